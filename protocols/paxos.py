"""Single-decree Paxos: proposers ``p1`` .. ``pP``, acceptors ``a1`` .. ``aA``, learners ``l1`` .. ``lL``.

Theory of operation
-------------------
Names follow Lamport, *Paxos Made Simple* (2001), §2.2–2.3: ``Prepare(n)``, ``Promise(n,
accepted_n, accepted_v)``, ``Accept(n, v)``, ``Accepted(n, v)``; an acceptor keeps
``promised_n`` (the highest ballot it answered in phase 1), ``accepted_n`` and ``accepted_v``
(the proposal it accepted last), all three durable. Each action emits a ``Note`` whose key is
``paxos.<action>``, so the event log names it.

1. A client asks a proposer to propose a value (``{"type": "propose", "value": "A"}``).
   The proposer picks a ballot no other proposer can pick — ``round · P + index`` with
   ``round`` durable, so it is never reused after a crash — and sends ``Prepare(n)`` to
   every acceptor (phase 1a). It arms ``proposer_retry`` with a random backoff drawn from
   its injected RNG.
2. An acceptor that has promised nothing higher promises ``n`` and answers
   ``Promise(n, accepted_n, accepted_v)`` (phase 1b, P1a); otherwise it answers ``Nack``.
3. With promises from a majority, the proposer proposes the value of the highest-ballot
   proposal reported, or its own value if none was reported (P2c), with ``Accept(n, v)``
   (phase 2a).
4. An acceptor accepts ``(n, v)`` unless it promised a higher ballot, and sends
   ``Accepted(n, v)`` to the proposer and to every learner (phase 2b).
5. A value is *chosen* when a majority of acceptors accepted it in the same ballot. A learner
   learns it when it has ``Accepted`` from a majority for one ballot; the proposer of that
   ballot answers its client with the chosen value (which may not be the client's own).
6. A proposer that is refused (``Nack``) retries after a short random backoff, and one that
   hears nothing in time (``proposer_retry``, re-armed for each phase) retries too, each time
   with a higher ballot. Two proposers can
   pre-empt each other's phase 2 for ever (*dueling proposers*: Paxos is safe but not live);
   the random backoff makes this unlikely to last. With ``distinguished_proposer`` only
   ``p1`` runs ballots; the others forward their client's value to it (``Forward``) and wait
   for ``Chosen`` (§2.4).

History variables (TLA+ sense, never read by the protocol, kept on disk even by the bug
variant that forgets the acceptor's state — the observer's record, not the node's memory):
each acceptor's ``history`` lists ``["promise", n]`` and ``["accept", n, v]`` in order; each
proposer's ``requested`` lists the values clients asked it to propose. The invariants
compute "chosen" from them: (n, v) is chosen when a majority of acceptors have
``["accept", n, v]`` in their histories.

Deviations from the paper
-------------------------
- An acceptor that refuses a ``Prepare`` or ``Accept`` below its promise answers ``Nack(n,
  promised_n)`` — the optional hint of §2.2. A nacked proposer retries after a short random
  backoff with a ballot above ``promised_n``; a lost reply is covered by ``proposer_retry``,
  re-armed at the start of each phase. Quick retries are what lets proposers duel (§2.4).
- Accepting ``(n, v)`` also raises ``promised_n`` to ``n`` (as in ``Paxos.tla`` Phase2b), so a
  later ``Prepare`` below ``n`` is refused.
- Ballots are ``round · P + index`` rather than drawn from disjoint sets by some other rule.
- A proposer's client and value are volatile: a proposer that crashes forgets the request
  (only ``round`` and ``requested`` survive). Forwarders re-send ``Forward`` on their timer.
- Learners are separate nodes told by every acceptor; the paper also discusses a distinguished
  learner that relays. The proposer of the ballot learns from the same ``Accepted`` messages.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.protocol import Bug, Invariant, LogEntry, Param, ProtocolSpec, ReplicaView, Violation
from sim.types import CancelTimer, ClientRequest, Deliver, Node, Note, Reply, Restart, Send, SetTimer, Timer

RETRY = "proposer_retry"


# ---------------------------------------------------------------------------- messages
@dataclass(frozen=True, slots=True, kw_only=True)
class Prepare:
    """Phase 1a, proposer → acceptor."""

    n: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Promise:
    """Phase 1b, acceptor → proposer: no ballot below ``n`` will be accepted; my last vote."""

    n: int
    accepted_n: int
    accepted_v: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Accept:
    """Phase 2a, proposer → acceptor."""

    n: int
    v: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Accepted:
    """Phase 2b, acceptor → proposer and learners."""

    n: int
    v: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Nack:
    """Acceptor → proposer: ballot ``n`` is below my promise ``promised_n``; abandon it (§2.2's optional hint)."""

    n: int
    promised_n: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Forward:
    """Proposer → distinguished proposer ``p1``: please get this value chosen."""

    v: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Chosen:
    """Distinguished proposer → forwarder: this value is chosen."""

    v: str


def ids_of(params, prefix: str, count_param: str) -> tuple[str, ...]:
    return tuple(f"{prefix}{i + 1}" for i in range(params[count_param]))


def _majority(total: int) -> int:
    return total // 2 + 1


# ------------------------------------------------------------------------- proposer
class Proposer(Node):
    DURABLE = ("round", "requested")
    VOLATILE = ("phase", "ballot", "value", "client", "promises", "accepts", "nacked", "chosen_v", "forwarders")
    ROLE = "proposer"

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.acceptors = tuple(p for p in self.peers if p.startswith("a"))
        self.proposers = tuple(p for p in self.peers if p.startswith("p"))
        self.learners = tuple(p for p in self.peers if p.startswith("l"))
        self.index = int(self.node_id[1:])
        self.round = 0
        self.requested: list[str] = []  # history variable: values clients asked for
        self.phase = "idle"  # idle | forwarded | 1 | 2 | done
        self.ballot = 0
        self.value: str | None = None
        self.client: str | None = None
        self.promises: dict[str, list] = {}  # acceptor -> [accepted_n, accepted_v]
        self.accepts: list[str] = []  # acceptors that sent Accepted for our ballot (sorted)
        self.nacked = False  # a Nack for the current ballot arrived: a retry is already scheduled
        self.chosen_v: str | None = None
        self.forwarders: list[str] = []  # proposers waiting for Chosen from us

    @property
    def leads(self) -> bool:
        return not self.params["distinguished_proposer"] or self.index == 1

    def step(self, inp, now):
        if isinstance(inp, ClientRequest):
            return self._on_client(inp)
        if isinstance(inp, Deliver):
            msg = inp.msg
            if isinstance(msg, Promise):
                return self._on_promise(inp.src, msg)
            if isinstance(msg, Accepted):
                return self._on_accepted(inp.src, msg)
            if isinstance(msg, Nack):
                return self._on_nack(inp.src, msg)
            if isinstance(msg, Forward):
                return self._on_forward(inp.src, msg.v)
            if isinstance(msg, Chosen):
                return self._on_chosen(msg.v)
            return []
        if isinstance(inp, Timer) and inp.name == RETRY and self.phase in ("forwarded", "1", "2"):
            return self._on_timeout()
        if isinstance(inp, Restart) and self.round:
            return [Note(key="paxos.proposer_recover", args={"proposer": self.node_id, "round": self.round})]
        return []

    # -- helpers
    def _backoff(self) -> SetTimer:
        jitter = self.rng.randint(0, self.params["retry_jitter_ticks"])  # the injected RNG only
        return SetTimer(name=RETRY, after=self.params["retry_ticks"] + jitter)

    def _finish(self, v: str) -> list:
        self.phase, self.chosen_v = "done", v
        out: list = [CancelTimer(name=RETRY)]
        if self.client is not None:
            out.append(Reply(client=self.client, result={"value": v}))
        out += [Send(dst=f, msg=Chosen(v=v)) for f in self.forwarders]
        self.forwarders = []
        return out

    # -- handlers
    def _on_client(self, inp: ClientRequest) -> list:
        v = inp.op.get("value")
        if inp.op.get("type") != "propose" or not isinstance(v, str):
            return [Reply(client=inp.client, result={"error": "unknown_op"})]
        if self.phase == "done":
            return [Reply(client=inp.client, result={"value": self.chosen_v})]
        if self.phase != "idle":
            return [Note(key="paxos.proposer_busy", args={"proposer": self.node_id, "client": inp.client})]
        self.client, self.value = inp.client, v
        self.requested = self.requested + [v]
        if not self.leads:
            self.phase = "forwarded"
            return [Note(key="paxos.forward", args={"proposer": self.node_id, "value": v}),
                    Send(dst="p1", msg=Forward(v=v)), self._backoff()]
        return self._send_prepare()

    def _on_forward(self, src: str, v: str) -> list:
        if self.phase == "done":
            return [Send(dst=src, msg=Chosen(v=self.chosen_v))]
        if src not in self.forwarders:
            self.forwarders = sorted(self.forwarders + [src])
        if self.phase != "idle":
            return []
        self.value = v
        self.requested = self.requested + [v]
        return self._send_prepare()

    def _on_chosen(self, v: str) -> list:
        if self.phase != "forwarded":
            return []
        return [Note(key="paxos.proposer_learn", args={"proposer": self.node_id, "value": v})] + self._finish(v)

    def _on_timeout(self) -> list:
        if self.phase == "forwarded":
            return [Send(dst="p1", msg=Forward(v=self.value)), self._backoff()]
        key = "paxos.proposer_retry" if self.nacked else "paxos.proposer_timeout"
        return [Note(key=key, args={"proposer": self.node_id, "n": self.ballot})] + self._send_prepare()

    def _send_prepare(self) -> list:
        """Phase 1a: a new ballot, higher than any this proposer ever used (``round`` is durable)."""
        self.round += 1
        self.ballot = self.round * len(self.proposers) + self.index
        self.phase, self.promises, self.accepts, self.nacked = "1", {}, [], False
        return ([Note(key="paxos.send_prepare", args={"proposer": self.node_id, "n": self.ballot})]
                + [Send(dst=a, msg=Prepare(n=self.ballot)) for a in self.acceptors] + [self._backoff()])

    def _on_promise(self, acceptor: str, msg: Promise) -> list:
        if self.phase != "1" or msg.n != self.ballot or acceptor in self.promises:
            return []
        self.promises = {**self.promises, acceptor: [msg.accepted_n, msg.accepted_v]}
        if len(self.promises) < _majority(len(self.acceptors)):
            return []
        return self._send_accept()

    def _send_accept(self) -> list:
        """Phase 2a with P2c: propose the value of the highest-numbered proposal a majority reported."""
        reported = [(n, v) for n, v in self.promises.values() if v is not None]
        if reported and self.bug != "ignore-promised-value":
            top_n, v = max(reported, key=lambda nv: nv[0])
            note = Note(key="paxos.adopt_value", args={"proposer": self.node_id, "n": self.ballot, "value": v,
                                                       "from_n": top_n})
        else:  # nothing accepted yet (or, with the bug, whatever was reported is ignored)
            v = self.value
            key = "paxos.ignore_value" if reported else "paxos.own_value"
            note = Note(key=key, args={"proposer": self.node_id, "n": self.ballot, "value": v})
        self.phase = "2"
        return ([note] + [Send(dst=a, msg=Accept(n=self.ballot, v=v)) for a in self.acceptors]
                + ([] if self.nacked else [self._backoff()]))  # phase 2 gets its own full timeout

    def _on_nack(self, acceptor: str, msg: Nack) -> list:
        """Pre-empted by a higher ballot: retry soon, after a short random backoff, with a ballot above it."""
        if self.phase not in ("1", "2") or msg.n != self.ballot or self.nacked:
            return []
        self.nacked = True
        self.round = max(self.round, msg.promised_n // len(self.proposers))
        after = 1 + self.rng.randint(0, self.params["retry_jitter_ticks"])
        return [Note(key="paxos.nacked", args={"proposer": self.node_id, "n": msg.n, "acceptor": acceptor,
                                               "promised": msg.promised_n}),
                SetTimer(name=RETRY, after=after)]

    def _on_accepted(self, acceptor: str, msg: Accepted) -> list:
        if self.phase != "2" or msg.n != self.ballot or acceptor in self.accepts:
            return []
        self.accepts = sorted(self.accepts + [acceptor])
        if len(self.accepts) < _majority(len(self.acceptors)):
            return []
        return [Note(key="paxos.proposer_chosen", args={"proposer": self.node_id, "n": msg.n, "value": msg.v,
                                                        "acceptors": ", ".join(self.accepts)})] + self._finish(msg.v)


# ------------------------------------------------------------------------- acceptor
class Acceptor(Node):
    DURABLE = ("promised_n", "accepted_n", "accepted_v", "history")
    ROLE = "acceptor"

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.learners = tuple(p for p in self.peers if p.startswith("l"))
        self.promised_n = 0
        self.accepted_n = 0
        self.accepted_v: str | None = None
        self.history: list[list] = []  # history variable: ["promise", n] / ["accept", n, v]

    def durable_fields(self):
        if self.bug == "forget-promise-on-restart":  # BUG: the promise and the vote are not forced to disk
            return ("history",)
        return self.DURABLE

    def step(self, inp, now):
        if isinstance(inp, Deliver):
            if isinstance(inp.msg, Prepare):
                return self._on_prepare(inp.src, inp.msg.n)
            if isinstance(inp.msg, Accept):
                return self._on_accept(inp.src, inp.msg.n, inp.msg.v)
        if isinstance(inp, Restart):
            return [Note(key="paxos.acceptor_recover", args={"acceptor": self.node_id, "promised": self.promised_n,
                                                             "accepted": self.accepted_n})]
        return []

    def _on_prepare(self, src: str, n: int) -> list:
        """Phase 1b (P1a): promise ``n`` unless a higher ballot was promised; report the last vote."""
        if n < self.promised_n:
            return [Note(key="paxos.ignore_prepare", args={"acceptor": self.node_id, "n": n,
                                                           "promised": self.promised_n}),
                    Send(dst=src, msg=Nack(n=n, promised_n=self.promised_n))]
        out: list = []
        if n > self.promised_n:
            self.promised_n = n
            self.history = self.history + [["promise", n]]
            out.append(Note(key="paxos.promise", args={"acceptor": self.node_id, "n": n,
                                                       "accepted_n": self.accepted_n,
                                                       "accepted_v": self.accepted_v or "-"}))
        return out + [Send(dst=src, msg=Promise(n=n, accepted_n=self.accepted_n, accepted_v=self.accepted_v))]

    def _on_accept(self, src: str, n: int, v: str) -> list:
        """Phase 2b (P1a): accept unless a higher ballot was promised; tell the proposer and the learners."""
        if n < self.promised_n:
            return [Note(key="paxos.ignore_accept", args={"acceptor": self.node_id, "n": n,
                                                          "promised": self.promised_n}),
                    Send(dst=src, msg=Nack(n=n, promised_n=self.promised_n))]
        out: list = []
        if (self.accepted_n, self.accepted_v) != (n, v):
            self.promised_n, self.accepted_n, self.accepted_v = n, n, v
            self.history = self.history + [["accept", n, v]]
            out.append(Note(key="paxos.accept", args={"acceptor": self.node_id, "n": n, "value": v}))
        return out + [Send(dst=d, msg=Accepted(n=n, v=v)) for d in (src, *self.learners)]


# -------------------------------------------------------------------------- learner
class Learner(Node):
    DURABLE = ("learned",)
    VOLATILE = ("votes",)
    ROLE = "learner"

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.n_acceptors = sum(1 for p in self.peers if p.startswith("a"))
        self.learned: str | None = None
        self.votes: dict[str, list[str]] = {}  # str(ballot) -> acceptors that reported Accepted (sorted)

    def step(self, inp, now):
        if isinstance(inp, Deliver) and isinstance(inp.msg, Accepted):
            return self._on_accepted(inp.src, inp.msg.n, inp.msg.v)
        return []

    def _on_accepted(self, acceptor: str, n: int, v: str) -> list:
        key = str(n)
        voters = self.votes.get(key, [])
        if acceptor in voters:
            return []  # a duplicate counts once
        voters = sorted(voters + [acceptor])
        self.votes = {**self.votes, key: voters}
        if len(voters) < _majority(self.n_acceptors):
            return []
        if self.learned is None:
            self.learned = v
            return [Note(key="paxos.learn", args={"learner": self.node_id, "value": v, "n": n,
                                                  "acceptors": ", ".join(voters)})]
        if self.learned != v:  # only possible when Agreement is broken
            return [Note(key="paxos.learn_conflict", args={"learner": self.node_id, "value": v,
                                                           "learned": self.learned})]
        return []


# ------------------------------------------------------------------------ invariants
def _acceptors(states):
    return {n: s for n, s in states.items() if n.startswith("a")}


def chosen_proposals(states) -> list[tuple[int, str]]:
    """(n, v) such that a majority of acceptors voted for v in ballot n (from the history variables)."""
    accs = _acceptors(states)
    voters: dict[tuple[int, str], set[str]] = {}
    for a, s in accs.items():
        for entry in s.get("history") or ():
            if entry[0] == "accept":
                voters.setdefault((entry[1], entry[2]), set()).add(a)
    need = _majority(len(accs))
    return sorted(nv for nv, who in voters.items() if len(who) >= need)


def nontriviality(states):
    """Only a value that a client proposed may be chosen (Paxos Made Simple §2.1)."""
    proposed = {v for n, s in states.items() if n.startswith("p") for v in s.get("requested") or ()}
    for n, v in chosen_proposals(states):
        if v not in proposed:
            return Violation(key="paxos.violation.nontriviality", args={"value": v, "n": n})
    return None


def agreement(states):
    """At most one value is chosen (Paxos Made Simple §2.1 safety; Paxos.tla Consistency)."""
    chosen = chosen_proposals(states)
    for n2, v2 in chosen:
        if v2 != chosen[0][1]:
            n1, v1 = chosen[0]
            return Violation(key="paxos.violation.agreement", args={"n1": n1, "v1": v1, "n2": n2, "v2": v2})
    return None


def promise_respected(states):
    """An acceptor never accepts a ballot below one it promised (P1a; Paxos.tla Phase2b: maxBal[a] ≤ b)."""
    for a, s in sorted(_acceptors(states).items()):
        highest = 0
        for entry in s.get("history") or ():
            if entry[0] == "accept" and entry[1] < highest:
                return Violation(key="paxos.violation.promise", args={"acceptor": a, "n": entry[1],
                                                                      "promised": highest})
            highest = max(highest, entry[1])
    return None


def learner_correctness(states):
    """A learner (or a proposer answering its client) learns only a chosen value (§2.3)."""
    values = {v for _n, v in chosen_proposals(states)}
    for node, s in sorted(states.items()):
        learned = s.get("learned") if node.startswith("l") else s.get("chosen_v")
        if learned is not None and learned not in values:
            return Violation(key="paxos.violation.learner", args={"node": node, "value": learned})
    return None


INVARIANTS = (
    Invariant(name="Nontriviality", check=nontriviality, source="Lamport, Paxos Made Simple (2001) §2.1",
              description_key="paxos.inv.nontriviality", label_key="paxos.inv_label.nontriviality"),
    Invariant(name="Agreement", check=agreement,
              source="Lamport, Paxos Made Simple (2001) §2.1; tlaplus/Examples Paxos/Paxos.tla (Consistency)",
              description_key="paxos.inv.agreement", label_key="paxos.inv_label.agreement"),
    Invariant(name="Promise respected", check=promise_respected,
              source="Lamport, Paxos Made Simple (2001) §2.2 P1a; Paxos.tla Phase2b",
              description_key="paxos.inv.promise", label_key="paxos.inv_label.promise"),
    Invariant(name="Learner correctness", check=learner_correctness,
              source="Lamport, Paxos Made Simple (2001) §2.3", description_key="paxos.inv.learner",
              label_key="paxos.inv_label.learner"),
)


def node_ids(params) -> tuple[str, ...]:
    return (ids_of(params, "p", "proposers") + ids_of(params, "a", "acceptors")
            + ids_of(params, "l", "learners"))


def _make_node(node_id, ids, params, bug, rng):
    cls = {"p": Proposer, "a": Acceptor, "l": Learner}[node_id[0]]
    return cls(node_id, ids, params, bug, rng)


def _default_workload(params):
    """Every proposer gets a client with its own value ("A", "B", ...), a few ticks apart."""
    return [{"at": 5 * i, "node": f"p{i + 1}", "client": f"c{i + 1}",
             "op": {"type": "propose", "value": "ABCDE"[i]}} for i in range(params["proposers"])]



def replica_view(state) -> ReplicaView | None:
    """A node's snapshot as the Lab's consensus views read it: single-decree Paxos is a log of one slot.

    Acceptor: epoch = promised ballot, slot 1 = its accepted (ballot, value), never known
    chosen by the acceptor itself. Proposer: epoch = its current ballot, slot 1 = the value it
    knows chosen. Learner: slot 1 = the value it learned (chosen by definition, epoch unknown: 0).
    """
    if "promised_n" in state:
        v = state.get("accepted_v")
        slot = (LogEntry(index=1, epoch=state.get("accepted_n") or 0, label=str(v), committed=False),) if v else ()
        return ReplicaView(role="acceptor", epoch=state.get("promised_n") or 0, entries=slot, up=True)
    if "round" in state:
        v = state.get("chosen_v")
        slot = (LogEntry(index=1, epoch=state.get("ballot") or 0, label=str(v), committed=True),) if v else ()
        return ReplicaView(role="proposer", epoch=state.get("ballot") or 0, entries=slot,
                           up=state.get("phase") is not None)
    if "learned" in state:
        v = state.get("learned")
        slot = (LogEntry(index=1, epoch=0, label=str(v), committed=True),) if v else ()
        return ReplicaView(role="learner", epoch=0, entries=slot, up=state.get("votes") is not None)
    return None

SPEC = ProtocolSpec(
    id="paxos",
    title_key="proto.paxos.title",
    summary_key="proto.paxos.summary",
    source="L. Lamport, Paxos Made Simple, ACM SIGACT News 32(4), 2001; tlaplus/Examples Paxos/Paxos.tla",
    params=(
        Param(name="proposers", default=2, minimum=1, maximum=5, help_key="paxos.param.proposers"),
        Param(name="acceptors", default=3, minimum=1, maximum=7, help_key="paxos.param.acceptors"),
        Param(name="learners", default=1, minimum=1, maximum=3, help_key="paxos.param.learners"),
        Param(name="retry_ticks", default=60, minimum=1, maximum=100_000, help_key="paxos.param.retry_ticks"),
        Param(name="retry_jitter_ticks", default=40, minimum=0, maximum=100_000,
              help_key="paxos.param.retry_jitter_ticks"),
        Param(name="distinguished_proposer", default=False, help_key="paxos.param.distinguished_proposer"),
    ),
    bugs=(
        Bug(id="ignore-promised-value", description_key="paxos.bug.ignore_promised_value", breaks=("Agreement",)),
        Bug(id="forget-promise-on-restart", description_key="paxos.bug.forget_promise_on_restart",
            breaks=("Agreement", "Promise respected")),
    ),
    invariants=INVARIANTS,
    node_ids=node_ids,
    make_node=_make_node,
    default_workload=_default_workload,
    replica_view=replica_view,
    epoch_key="paxos.epoch",
)
