"""Two-phase commit: a transaction manager ``tm`` and resource managers ``rm1`` .. ``rmN``.

Theory of operation
-------------------
Names follow Gray & Lamport's ``TwoPhase.tla`` ("Consensus on Transaction Commit", 2006):
``rm_state`` ∈ {working, prepared, committed, aborted}, ``tm_state`` ∈ {init, committed,
aborted}, ``tm_prepared`` (the RMs whose Prepared vote the TM has received), and one
handler per spec action: ``_tm_rcv_prepared``, ``_tm_commit``, ``_tm_abort``,
``_rm_prepare``, ``_rm_choose_to_abort``, ``_rm_rcv_commit_msg``, ``_rm_rcv_abort_msg``.
Each action emits a ``Note`` whose key is ``tpc.<action>``, so the event log names it.

1. A client asks the TM to commit (``{"type": "commit"}``). The TM sends ``Prepare`` to
   every RM and arms ``tm_vote_timeout`` and a retry timer (``tm_retry``).
2. Each RM votes. ``rm_prepare``: it becomes *prepared* and answers ``Prepared``; from now
   on it may not decide alone. ``rm_choose_to_abort``: it aborts and answers ``VoteNo``
   (the RM numbered ``vote_no`` always does; any RM that has not voted also may, when its
   ``rm_work_timeout`` expires or after it crashed and lost its uncommitted work).
3. The TM commits when every RM is in ``tm_prepared``; it aborts on any ``VoteNo`` or when
   the vote timeout expires. The decision (``tm_state``) is durable; the TM replies to the
   client with the outcome and then sends the decision to the RMs one at a time.
4. A prepared RM that has not learned the decision is *in doubt*: it keeps its locks
   (``locks_held``) and asks the TM again (``DecisionRequest``) every
   ``rm_decision_timeout`` ticks. Nothing else can release it — this is 2PC's blocking.
5. A TM that restarts re-reads its durable decision and sends it again; if it had not
   decided it aborts (*presumed abort*) and says so.

Locks: each RM's part of the transaction has already run and holds its locks (strict
two-phase locking) until it commits or aborts. A *working* RM can release them by aborting
on its own; a *prepared* RM cannot.

``history`` is a history variable in the TLA+ sense: the RM appends each action it takes
and never reads it. It is what the invariants "AC4: decide at most once" and "Prepared RM
never aborts alone" look at, and it survives crashes even in the bug variant that forgets
``rm_state`` (the observer's record, not the RM's memory).

Deviations from the paper
-------------------------
- ``TwoPhase.tla`` has no Prepare request, no client and no timeouts: RMs prepare
  spontaneously and the TM may abort at any time. Here the TM sends ``Prepare`` (the
  textbook flow of Gray 1978 / Bernstein et al.), aborts on a vote timeout, and RMs send an
  explicit ``VoteNo`` (the spec's ``RMChooseToAbort`` sends nothing).
- The TM sends its decision to one RM per step (timer ``tm_send_decision``) instead of one
  broadcast message, so a learner can crash it after only some RMs got the decision.
- Message loss is handled by retries (``Prepare`` re-sent to RMs whose vote is missing;
  in-doubt RMs re-ask with ``DecisionRequest``; the TM answers a late ``Prepared`` with its
  decision). The spec's messages are a set that is never lost.
- The TM's restart recovery (re-send the decision; presumed abort if undecided) is from the
  presumed-abort variant of 2PC (Mohan, Lindsay & Obermarck 1986), not from the spec.
- One transaction per run; a second commit request is answered with the first outcome.
- An RM that receives a decision contradicting its own (only possible with a bug variant)
  keeps its state and notes the conflict: a real RM cannot undo a commit or an abort.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.protocol import Bug, Invariant, Param, ProtocolSpec, Violation
from sim.types import (CancelTimer, ClientRequest, Deliver, Node, Note, Reply, Restart, Send, SetTimer, Start,
                       Timer)

TM = "tm"
DECIDING_ACTIONS = ("rm_choose_to_abort", "rm_rcv_commit_msg", "rm_rcv_abort_msg")


# ---------------------------------------------------------------------------- messages
@dataclass(frozen=True, slots=True, kw_only=True)
class Prepare:
    """TM → RM: please vote."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Prepared:
    """RM → TM: yes vote (``[type |-> "Prepared", rm |-> r]`` in TwoPhase.tla)."""

    rm: str


@dataclass(frozen=True, slots=True, kw_only=True)
class VoteNo:
    """RM → TM: no vote (the RM has aborted)."""

    rm: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Commit:
    """TM → RM: the decision is commit."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Abort:
    """TM → RM: the decision is abort."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DecisionRequest:
    """In-doubt RM → TM: what did you decide?"""

    rm: str


def rm_ids(params) -> tuple[str, ...]:
    return tuple(f"rm{i + 1}" for i in range(params["participants"]))


# ------------------------------------------------------------------------------ the TM
class TransactionManager(Node):
    DURABLE = ("tm_state", "tm_prepared")
    VOLATILE = ("collecting", "client", "to_notify")
    ROLE = "coordinator"

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.rms = tuple(p for p in self.peers if p != TM)
        self.tm_state = "init"
        self.tm_prepared: list[str] = []  # kept sorted: shown in the state table
        self.collecting = False  # votes requested and not yet decided
        self.client: str | None = None
        self.to_notify: list[str] = []  # RMs the decision still has to be sent to

    def step(self, inp, now):
        if isinstance(inp, ClientRequest):
            return self._on_client(inp)
        if isinstance(inp, Deliver):
            msg = inp.msg
            if isinstance(msg, Prepared):
                return self._tm_rcv_prepared(msg.rm)
            if isinstance(msg, VoteNo):
                return self._on_vote_no(msg.rm)
            if isinstance(msg, DecisionRequest):
                return self._on_decision_request(msg.rm)
            return []
        if isinstance(inp, Timer):
            if inp.name == "tm_vote_timeout" and self.tm_state == "init" and self.collecting:
                return self._tm_abort(Note(key="tpc.tm_vote_timeout",
                                           args={"missing": ", ".join(self._missing())}))
            if inp.name == "tm_retry" and self.tm_state == "init" and self.collecting:
                return self._send_prepare(self._missing()) + [SetTimer(name="tm_retry",
                                                                      after=self.params["tm_retry"])]
            if inp.name == "tm_send_decision":
                return self._send_next_decision()
            return []
        if isinstance(inp, Restart):
            return self._on_restart()
        return []  # Start: nothing to do until a client asks

    # -- helpers
    def _missing(self) -> list[str]:
        return [r for r in self.rms if r not in self.tm_prepared]

    def _decision_msg(self):
        return Commit() if self.tm_state == "committed" else Abort()

    def _send_prepare(self, rms) -> list:
        return [Send(dst=r, msg=Prepare()) for r in rms]

    def _enough_prepared(self) -> bool:
        if self.bug == "commit-on-majority":  # BUG: a majority is not everyone
            return 2 * len(self.tm_prepared) > len(self.rms)
        return len(self.tm_prepared) == len(self.rms)  # TwoPhase.tla TMCommit: tmPrepared = RM

    # -- handlers
    def _on_client(self, inp: ClientRequest) -> list:
        if inp.op.get("type") != "commit":
            return [Reply(client=inp.client, result={"error": "unknown_op"})]
        if self.tm_state != "init":
            return [Reply(client=inp.client, result={"outcome": self.tm_state})]
        if self.collecting:
            return [Note(key="tpc.tm_busy", args={"client": inp.client})]
        self.collecting = True
        self.client = inp.client
        return ([Note(key="tpc.tm_begin", args={"client": inp.client, "rms": ", ".join(self.rms)})]
                + self._send_prepare(self._missing())
                + [SetTimer(name="tm_vote_timeout", after=self.params["tm_vote_timeout"]),
                   SetTimer(name="tm_retry", after=self.params["tm_retry"])])

    def _tm_rcv_prepared(self, rm: str) -> list:
        if self.tm_state != "init":
            # a late or repeated vote: the RM is in doubt, so tell it the decision
            return [Send(dst=rm, msg=self._decision_msg())]
        out: list = []
        if rm not in self.tm_prepared:
            self.tm_prepared = sorted(self.tm_prepared + [rm])
            out.append(Note(key="tpc.tm_rcv_prepared", args={"rm": rm, "count": len(self.tm_prepared),
                                                             "total": len(self.rms)}))
        if self.collecting and self._enough_prepared():
            out += self._tm_commit()
        return out

    def _on_vote_no(self, rm: str) -> list:
        if self.tm_state == "init":
            return self._tm_abort(Note(key="tpc.tm_rcv_no", args={"rm": rm}))
        if self.tm_state == "committed":  # only with a bug variant
            return [Note(key="tpc.tm_late_no", args={"rm": rm})]
        return []

    def _on_decision_request(self, rm: str) -> list:
        if self.tm_state == "init":
            return [Note(key="tpc.tm_undecided", args={"rm": rm})]
        return [Send(dst=rm, msg=self._decision_msg()),
                Note(key=f"tpc.tm_answer_{self.tm_state}", args={"rm": rm})]  # one key per decision: translatable

    def _tm_commit(self) -> list:
        self.tm_state = "committed"
        return self._decide(Note(key="tpc.tm_commit", args={"prepared": ", ".join(self.tm_prepared)}))

    def _tm_abort(self, why: Note) -> list:
        self.tm_state = "aborted"
        return self._decide(why, Note(key="tpc.tm_abort", args={}))

    def _decide(self, *notes: Note) -> list:
        """The decision is durable from the end of this step; tell the client, then each RM."""
        self.collecting = False
        out: list = [*notes, CancelTimer(name="tm_vote_timeout"), CancelTimer(name="tm_retry")]
        if self.client is not None:
            out.append(Reply(client=self.client, result={"outcome": self.tm_state}))
        self.to_notify = list(self.rms)
        return out + self._send_next_decision()

    def _send_next_decision(self) -> list:
        if not self.to_notify:
            return []
        rm, self.to_notify = self.to_notify[0], self.to_notify[1:]
        out: list = [Send(dst=rm, msg=self._decision_msg())]
        if self.to_notify:
            out.append(SetTimer(name="tm_send_decision", after=self.params["tm_send_decision"]))
        return out

    def _on_restart(self) -> list:
        if self.tm_state == "init":
            # presumed abort: no decision on disk means nobody can have been told "commit"
            self.tm_state = "aborted"
            return self._decide(Note(key="tpc.tm_presumed_abort", args={}), Note(key="tpc.tm_abort", args={}))
        return self._decide(Note(key="tpc.tm_recover", args={"decision": self.tm_state}))


# ------------------------------------------------------------------------------ an RM
class ResourceManager(Node):
    DURABLE = ("rm_state", "locks_held", "history")
    ROLE = "participant"

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.rm_state = "working"
        self.locks_held = True
        self.history: list[str] = []  # history variable: actions taken; never read by the protocol

    def durable_fields(self):
        if self.bug == "rm-forgets-prepared":  # BUG: the prepare record is not forced to disk
            return ("history",)
        return self.DURABLE

    @property
    def votes_no(self) -> bool:
        return self.node_id == f"rm{self.params['vote_no']}"

    def step(self, inp, now):
        if isinstance(inp, Start):
            return [SetTimer(name="rm_work_timeout", after=self.params["rm_work_timeout"])]
        if isinstance(inp, Restart):
            return self._on_restart()
        if isinstance(inp, Deliver):
            msg = inp.msg
            if isinstance(msg, Prepare):
                return self._on_prepare()
            if isinstance(msg, Commit):
                return self._rm_rcv_commit_msg()
            if isinstance(msg, Abort):
                return self._rm_rcv_abort_msg()
            return []
        if isinstance(inp, Timer):
            if inp.name == "rm_work_timeout" and self.rm_state == "working":
                return self._rm_choose_to_abort("tpc.rm_timeout_abort")
            if inp.name == "rm_decision_timeout" and self.rm_state == "prepared":
                return self._ask_decision()
        return []

    def _set_state(self, state: str, action: str) -> None:
        self.rm_state = state
        self.locks_held = state in ("working", "prepared")
        self.history = self.history + [action]

    def _ask_decision(self) -> list:
        return [Note(key="tpc.rm_in_doubt", args={"rm": self.node_id}),
                Send(dst=TM, msg=DecisionRequest(rm=self.node_id)),
                SetTimer(name="rm_decision_timeout", after=self.params["rm_decision_timeout"])]

    def _on_prepare(self) -> list:
        if self.rm_state == "working":
            if self.votes_no:
                return self._rm_choose_to_abort("tpc.rm_votes_no")
            return self._rm_prepare()
        if self.rm_state == "prepared":  # our vote was lost or is slow: vote again
            return [Send(dst=TM, msg=Prepared(rm=self.node_id))]
        if self.rm_state == "aborted":
            return [Send(dst=TM, msg=VoteNo(rm=self.node_id))]
        return []

    def _rm_prepare(self) -> list:
        self._set_state("prepared", "rm_prepare")
        return [Note(key="tpc.rm_prepare", args={"rm": self.node_id}),
                CancelTimer(name="rm_work_timeout"),
                Send(dst=TM, msg=Prepared(rm=self.node_id)),
                SetTimer(name="rm_decision_timeout", after=self.params["rm_decision_timeout"])]

    def _rm_choose_to_abort(self, why: str) -> list:
        self._set_state("aborted", "rm_choose_to_abort")
        return [Note(key=why, args={"rm": self.node_id}),
                Note(key="tpc.rm_choose_to_abort", args={"rm": self.node_id}),
                CancelTimer(name="rm_work_timeout"),
                Send(dst=TM, msg=VoteNo(rm=self.node_id))]

    def _rm_rcv_commit_msg(self) -> list:
        if self.rm_state == "aborted":  # only with a bug variant: cannot undo an abort
            return [Note(key="tpc.rm_conflict_aborted", args={"rm": self.node_id})]
        if self.rm_state == "committed":
            return []
        self._set_state("committed", "rm_rcv_commit_msg")
        return [Note(key="tpc.rm_rcv_commit_msg", args={"rm": self.node_id}),
                CancelTimer(name="rm_decision_timeout"), CancelTimer(name="rm_work_timeout")]

    def _rm_rcv_abort_msg(self) -> list:
        if self.rm_state == "committed":  # only with a bug variant: cannot undo a commit
            return [Note(key="tpc.rm_conflict_committed", args={"rm": self.node_id})]
        if self.rm_state == "aborted":
            return []
        self._set_state("aborted", "rm_rcv_abort_msg")
        return [Note(key="tpc.rm_rcv_abort_msg", args={"rm": self.node_id}),
                CancelTimer(name="rm_decision_timeout"), CancelTimer(name="rm_work_timeout")]

    def _on_restart(self) -> list:
        if self.rm_state == "prepared":  # still in doubt after the crash: locks kept, ask again
            return [Note(key="tpc.rm_recover_in_doubt", args={"rm": self.node_id})] + self._ask_decision()
        if self.rm_state == "working":  # the uncommitted work was lost with the crash
            return self._rm_choose_to_abort("tpc.rm_lost_work")
        return []


# -------------------------------------------------------------------------- invariants
def _rms(states):
    return {n: s for n, s in states.items() if n != TM}


def tc_consistent(states):
    """TCommit.tla TCConsistent: no RM committed while another aborted."""
    rms = _rms(states)
    committed = sorted(n for n, s in rms.items() if s.get("rm_state") == "committed")
    aborted = sorted(n for n, s in rms.items() if s.get("rm_state") == "aborted")
    if committed and aborted:
        return Violation(key="tpc.violation.tc_consistent", args={"committed": committed[0], "aborted": aborted[0]})
    return None


def decide_at_most_once(states):
    """AC4 (ACP_SB.tla): each participant decides at most once and never reverses."""
    for n, s in _rms(states).items():
        decisions = [a for a in (s.get("history") or []) if a in DECIDING_ACTIONS]
        if len(decisions) > 1:
            return Violation(key="tpc.violation.ac4", args={"rm": n, "first": decisions[0], "second": decisions[1]})
    return None


def tm_commits_only_if_all_prepared(states):
    """TwoPhase.tla TMCommit is enabled only when tmPrepared = RM."""
    tm = states.get(TM) or {}
    if tm.get("tm_state") != "committed":
        return None
    missing = sorted(set(_rms(states)) - set(tm.get("tm_prepared") or []))
    if missing:
        return Violation(key="tpc.violation.tm_commit", args={"rm": missing[0], "missing": ", ".join(missing)})
    return None


def prepared_never_aborts_alone(states):
    """An RM that voted Prepared may abort only on the TM's Abort, never by rm_choose_to_abort."""
    for n, s in _rms(states).items():
        hist = s.get("history") or []
        if "rm_prepare" in hist and "rm_choose_to_abort" in hist[hist.index("rm_prepare"):]:
            return Violation(key="tpc.violation.prepared_abort", args={"rm": n})
    return None


INVARIANTS = (
    Invariant(name="TCConsistent", check=tc_consistent, source="Gray & Lamport 2006, TCommit.tla",
              description_key="tpc.inv.tc_consistent",
              label_key="tpc.inv_label.tc_consistent"),
    Invariant(name="AC4: decide at most once", check=decide_at_most_once,
              source="Babaoğlu & Toueg 1993; tlaplus/Examples acp/ACP_SB.tla", description_key="tpc.inv.ac4",
              label_key="tpc.inv_label.ac4"),
    Invariant(name="TM commits only if all prepared", check=tm_commits_only_if_all_prepared,
              source="Gray & Lamport 2006, TwoPhase.tla (TMCommit)", description_key="tpc.inv.tm_commit",
              label_key="tpc.inv_label.tm_commit"),
    Invariant(name="Prepared RM never aborts alone", check=prepared_never_aborts_alone,
              source="Gray & Lamport 2006, TwoPhase.tla (RMChooseToAbort needs rmState = working)",
              description_key="tpc.inv.prepared_abort",
              label_key="tpc.inv_label.prepared_abort"),
)


def _make_node(node_id, ids, params, bug, rng):
    cls = TransactionManager if node_id == TM else ResourceManager
    return cls(node_id, ids, params, bug, rng)


SPEC = ProtocolSpec(
    id="two-phase-commit",
    title_key="proto.two-phase-commit.title",
    summary_key="proto.two-phase-commit.summary",
    source="J. Gray, Notes on Data Base Operating Systems, 1978; J. Gray & L. Lamport, Consensus on "
           "Transaction Commit, ACM TODS 31(1), 2006 (TCommit.tla, TwoPhase.tla)",
    params=(
        Param(name="participants", default=3, minimum=2, maximum=8, help_key="param.participants"),
        Param(name="vote_no", default=0, minimum=0, maximum=8, help_key="param.vote_no"),
        Param(name="tm_vote_timeout", default=200, minimum=1, maximum=100_000, help_key="param.tm_vote_timeout"),
        Param(name="tm_retry", default=40, minimum=1, maximum=100_000, help_key="param.tm_retry"),
        Param(name="tm_send_decision", default=3, minimum=0, maximum=100_000, help_key="param.tm_send_decision"),
        Param(name="rm_decision_timeout", default=60, minimum=1, maximum=100_000,
              help_key="param.rm_decision_timeout"),
        Param(name="rm_work_timeout", default=400, minimum=1, maximum=100_000, help_key="param.rm_work_timeout"),
    ),
    bugs=(
        Bug(id="commit-on-majority", description_key="tpc.bug.commit_on_majority",
            breaks=("TCConsistent", "TM commits only if all prepared")),
        Bug(id="rm-forgets-prepared", description_key="tpc.bug.rm_forgets_prepared",
            breaks=("TCConsistent", "Prepared RM never aborts alone")),
    ),
    invariants=INVARIANTS,
    node_ids=lambda params: (TM,) + rm_ids(params),
    make_node=_make_node,
    default_workload=lambda params: [{"at": 0, "node": TM, "client": "c1", "op": {"type": "commit"}}],
)
