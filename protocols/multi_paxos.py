"""Multi-Paxos: a replicated key-value state machine on servers ``s1`` .. ``sN``.

Theory of operation
-------------------
Names follow van Renesse & Altinbuken, *Paxos Made Moderately Complex* (ACM Computing
Surveys 47(3), 2015), §2. Every server plays the paper's roles, co-located (see the deviations):

- **Acceptor** (§2.2). ``ballot_num`` (the highest ballot promised) and ``accepted`` (every
  pvalue ⟨b, s, c⟩ — ballot, slot, command — it accepted, never removed) are durable. A
  ballot is a pair ``(round, leader)``, compared lexicographically, so two leaders never own
  the same ballot.
- **Leader** with its Scout and Commanders folded in (§2.3–2.5). A *passive* leader (role
  ``follower``) whose ``election`` timer fires — drawn from the node's injected, seeded RNG —
  becomes a Scout (role ``scout``): it picks ballot ``(round + 1, self)`` and sends
  ``P1a(ballot)``. Acceptors answer ``P1b(ballot_num, pvalues)``. With P1b for its ballot
  from a majority the ballot is *adopted*: the leader becomes *active* (role ``leader``),
  takes for every slot reported in phase 1 the command of the highest-ballot pvalue
  (``proposals ◁ pmax(pvals)``), fills every hole below the highest slot it knows with a
  **no-op**, and runs a Commander per open slot: ``P2a(ballot, slot, command)`` to every
  acceptor, ``P2b(ballot_num, slot)`` back. P2b for its ballot from a majority decide the
  slot; the leader broadcasts ``Decision(slot, command)``. An active leader proposes new
  commands straight in phase 2 — **a stable leader skips phase 1** — and sends ``Heartbeat``
  every ``heartbeat_interval`` ticks. A P1b, P2b or Heartbeat carrying a higher ballot
  *preempts* it: it becomes passive again and waits for its own election timeout.
- **Replica** (§2.1). A client sends ``{"f": "put"|"get", "key", "value", "seq"}`` to any
  server. The command is the tuple ``(client, seq, f, key, value)`` (the paper's ⟨κ, cid,
  op⟩, flat): the client id and its sequence number identify it. The receiving replica keeps
  it in ``requests`` and forwards it (``Request``) to the leader it knows (the owner of
  ``ballot_num``); the leader's replica gives it slot ``slot_in`` and ``slot_in`` moves on.
  Every replica stores decisions and applies them in slot order from ``slot_out`` — never
  past a gap — to its key-value store ``kv``. A command already performed in an earlier slot
  (a retried request decided twice) is skipped, not applied again (§2.1 ``perform``); its
  output is kept in ``executed``, so the replica that received the client's request — and
  only that one — answers (``Reply``), also a retry that arrives after the command was
  performed.

Lost messages are repaired by the leader's heartbeat: it re-sends ``P2a`` to acceptors that
have not answered for a slot still open since the previous heartbeat (``overdue``), and a
replica whose ``slot_out`` is behind the leader's asks for the missing decisions (``CatchUp``)
and re-forwards requests unanswered since the previous heartbeat.

History variables (TLA+ sense: written, never read by the protocol, durable even for a bug
variant): ``decided`` maps each slot to the label of the first decision the replica learned for
it, ``applied`` lists the slots in the order the replica applied them, and ``votes`` lists
an acceptor's promises ``("promise", round, leader)`` and accepts ``("accept", round, leader,
slot)``. The invariants read only them: Per-slot agreement (§2.1, R1), In-order application
(§2.1, R2/R3) and Promise respected (§2.2, A2).

Bug variant ``no-reproposal``: a newly adopted leader ignores the pvalues reported in phase 1.
It gives open slots, from its first undecided one, to its own pending requests and fills the
rest with no-ops — so a command already chosen (accepted by a majority) in a slot the new
leader had not heard decided can be overwritten, and two replicas decide different commands
for that slot.

Deviations from the paper
-------------------------
- Roles are co-located on every server and talk to themselves without messages (the local
  acceptor promises and accepts at once). A leader uses its replica's decisions: it does not
  re-propose a slot it already knows decided.
- Slots are chosen by the leader's replica: other replicas forward requests to it (the paper
  has every replica propose for its own ``slot_in`` to all leaders and re-propose when another
  command wins the slot). Each replica's ``slot_in`` is used only while its server leads.
- Failure detection is a randomised election timeout, as in Raft, rather than the paper's
  liveness discussion: a passive leader that hears no ``Heartbeat`` in time starts a scout;
  a preempted leader waits for its timeout instead of starting a new scout at once.
  ``Heartbeat``, ``CatchUp`` and ``Request`` are our messages, not the paper's. Servers stop
  arming timers once ``now >= horizon_ticks`` (0 = never), so runs end quiescent.
- An acceptor accepts ``P2a`` with ``b >= ballot_num`` (raising ``ballot_num``), not only
  ``b = ballot_num`` (Paxos.tla Phase2b): it may have missed the P1a. Any message with a
  higher ballot raises ``ballot_num`` (promising more is always safe).
- A P1b carries only the highest-ballot pvalue per slot (enough for pmax: a state
  reduction); no garbage collection, no reconfiguration (no WINDOW), no read-only optimisation.
- The sequence number is the op's ``seq``; without one the receiving server makes one from
  its id and the request's tick, so only a client that sends ``seq`` can retry safely.
- Replica state (``decisions``, ``kv``, ``slot_out``, ``executed``, ``requests``) is volatile:
  a restarted replica catches up from the leader's decisions. Only the replica that received
  a request answers it; a client whose replica crashes gets no answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.protocol import Bug, Invariant, LogEntry, Param, ProtocolSpec, ReplicaView, Violation
from sim.types import CancelTimer, ClientRequest, Deliver, Node, Note, Reply, Restart, Send, SetTimer, Start, Timer

FOLLOWER, SCOUT, LEADER = "follower", "scout", "leader"
NOOP = ("", "", "noop", "", None)  # a command that changes nothing (fills a hole)
NO_BALLOT = (0, "")


# ---------------------------------------------------------------------------- messages
@dataclass(frozen=True, slots=True, kw_only=True)
class P1a:
    """Phase 1a, scout → acceptor: promise ``ballot`` (§2.4)."""

    ballot: tuple


@dataclass(frozen=True, slots=True, kw_only=True)
class P1b:
    """Phase 1b, acceptor → scout: my ``ballot_num`` and, per slot, the highest-ballot pvalue (ballot, slot, command)
    I accepted (all that pmax needs)."""

    ballot: tuple
    accepted: tuple


@dataclass(frozen=True, slots=True, kw_only=True)
class P2a:
    """Phase 2a, commander → acceptor: accept ``command`` for ``slot`` in ``ballot`` (§2.3)."""

    ballot: tuple
    slot: int
    command: tuple


@dataclass(frozen=True, slots=True, kw_only=True)
class P2b:
    """Phase 2b, acceptor → commander: my ``ballot_num`` after handling the P2a for ``slot``."""

    ballot: tuple
    slot: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """Leader → replica: ``command`` is decided for ``slot`` (§2.3)."""

    slot: int
    command: tuple


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    """Replica → leader's replica: please get this client command a slot (§2.1's ⟨request, c⟩)."""

    command: tuple


@dataclass(frozen=True, slots=True, kw_only=True)
class Heartbeat:
    """Active leader → all: I lead ``ballot``; my replica has applied every slot below ``slot_out``."""

    ballot: tuple
    slot_out: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CatchUp:
    """Replica → leader: send me the decisions from ``slot_out`` on."""

    slot_out: int


def server_ids(params) -> tuple[str, ...]:
    return tuple(f"s{i + 1}" for i in range(params["nodes"]))


def cid(c) -> str:
    """A command's identity: client id and sequence number (no-ops have none)."""
    return f"{c[0]}#{c[1]}" if c[2] != "noop" else ""


def label(c) -> str:
    """A short label of a command, unique per command id: ``c1#1 put x=1`` or ``no-op``."""
    if c[2] == "noop":
        return "no-op"
    arg = f"={c[4]}" if c[2] == "put" else ""
    return f"{cid(c)} {c[2]} {c[3]}{arg}"


def result_of(c, output) -> dict:
    """The reply to command ``c`` whose operation returned ``output`` (a get's value; None for a put)."""
    return {"ok": True} if c[2] == "put" else {"ok": True, "value": output}


def pmax(pvalues) -> dict[int, tuple]:
    """§2.4's pmax: for each slot, the (ballot, command) of the highest-ballot pvalue."""
    best: dict[int, tuple] = {}
    for b, s, c in pvalues:
        if s not in best or b > best[s][0]:
            best[s] = (b, c)
    return best


def fmt(ballot) -> str:
    return f"({ballot[0]}, {ballot[1] or '-'})"


# ----------------------------------------------------------------------------- server
class Server(Node):
    DURABLE = ("ballot_num", "accepted", "decided", "applied", "votes")
    VOLATILE = ("role", "ballot", "proposals", "p1b_from", "pvalues", "p2b_from", "overdue", "slot_in", "slot_out",
                "decisions", "requests", "executed", "kv")
    HISTORY = ("decided", "applied", "votes")
    LOGS = ("accepted", "applied", "votes")  # append or rebind only, items never mutated (Node.LOGS): splices
    ROLE = "replica"

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.others = tuple(p for p in self.peers if p != self.node_id)
        # acceptor (durable)
        self.ballot_num: tuple = NO_BALLOT
        self.accepted: list[tuple] = []  # pvalues (ballot, slot, command), in the order accepted
        # history variables (durable, never read by the protocol)
        self.decided: dict[str, str] = {}  # str(slot) -> label of the first decision learned for it
        self.applied: list[int] = []  # slots in the order they were applied (each once)
        self.votes: list[tuple] = []  # ("promise", round, leader) / ("accept", round, leader, slot)
        # leader (volatile)
        self.role = FOLLOWER
        self.ballot: tuple = NO_BALLOT  # the ballot this server scouts or leads with
        self.proposals: dict[int, tuple] = {}  # open slot -> command this leader proposes (dropped once decided)
        self.p1b_from: list[str] = []  # scout: acceptors that adopted our ballot
        self.pvalues: dict[int, tuple] = {}  # scout: slot -> highest (ballot, command) reported
        self.p2b_from: dict[int, list[str]] = {}  # commanders: open slot -> acceptors that accepted it
        # open slots (leader) / command ids of unanswered requests (replica) seen at the last heartbeat: only
        # what is still open one heartbeat later is re-sent, so a message merely in flight is not sent twice
        self.overdue: list = []
        # replica (volatile)
        self.slot_in = 1
        self.slot_out = 1
        self.decisions: dict[int, tuple] = {}
        self.requests: list[tuple] = []  # commands clients asked *this* replica for, not yet performed
        self.executed: dict[str, object] = {}  # command id -> its output (answers retries without re-applying)
        self.kv: dict[str, object] = {}

    def restore_durable(self, saved) -> None:
        """From disk (JSON: lists) back to tuples: ballots, pvalues and their commands."""
        super().restore_durable(saved)
        self.ballot_num = tuple(self.ballot_num)
        self.accepted = [(tuple(b), s, tuple(c)) for b, s, c in self.accepted]

    @property
    def majority(self) -> int:
        return len(self.peers) // 2 + 1

    # ------------------------------------------------------------------ the one door in
    def step(self, inp, now):
        if isinstance(inp, Start):
            return self._arm_election(now)
        if isinstance(inp, Restart):
            return [Note(key="mp.restart", args={"node": self.node_id, "ballot": fmt(self.ballot_num),
                                                 "accepted": len(pmax(self.accepted))})] + self._arm_election(now)
        if isinstance(inp, Timer):
            if inp.name == "election" and self.role != LEADER:
                return self.become_scout(now)
            if inp.name == "heartbeat" and self.role == LEADER:
                return self.tick_heartbeat(now)
            return []
        if isinstance(inp, ClientRequest):
            return self._on_client(inp, now)
        if isinstance(inp, Deliver):
            return self._on_message(inp.src, inp.msg, now)
        return []

    def _on_message(self, src, m, now) -> list:
        if isinstance(m, P1a):
            return self._on_p1a(src, m, now)
        if isinstance(m, P1b):
            return self._on_p1b(src, m, now)
        if isinstance(m, P2a):
            return self._on_p2a(src, m, now)
        if isinstance(m, P2b):
            return self._on_p2b(src, m, now)
        if isinstance(m, Decision):
            return self.on_decision(m.slot, m.command)
        if isinstance(m, Request):
            return self._on_request(m.command)
        if isinstance(m, Heartbeat):
            return self._on_heartbeat(src, m, now)
        if isinstance(m, CatchUp):
            return self._on_catch_up(src, m)
        return []

    # ------------------------------------------------------------------ timers
    def _arm_election(self, now) -> list:
        if self.params["horizon_ticks"] and now >= self.params["horizon_ticks"]:
            return [CancelTimer(name="election")]
        lo, hi = self.params["election_timeout_min"], self.params["election_timeout_max"]
        return [SetTimer(name="election", after=self.rng.randint(lo, max(lo, hi)))]

    def _arm_heartbeat(self, now) -> list:
        if self.params["horizon_ticks"] and now >= self.params["horizon_ticks"]:
            return []
        return [SetTimer(name="heartbeat", after=self.params["heartbeat_interval"])]

    # ------------------------------------------------------------------ acceptor (§2.2)
    def promise(self, b) -> None:
        """Raise ``ballot_num`` to ``b`` (promising more is always safe) and remember it in the history."""
        self.ballot_num = b
        self.votes = self.votes + [("promise", b[0], b[1])]

    def accept(self, b, slot: int, command) -> None:
        if b > self.ballot_num:
            self.promise(b)
        self.accepted = self.accepted + [(b, slot, command)]
        self.votes = self.votes + [("accept", b[0], b[1], slot)]

    def observe(self, b, now) -> list:
        """Any message with a ballot above ``ballot_num`` raises it; a scout or leader of a lower one is preempted."""
        if b <= self.ballot_num:
            return []
        self.promise(b)
        if self.role != FOLLOWER and self.ballot < b:
            return self.become_follower(b, now)
        return []

    def _pvalues(self) -> tuple:
        return tuple((b, s, c) for s, (b, c) in sorted(pmax(self.accepted).items()))

    def _on_p1a(self, src, m: P1a, now) -> list:
        out = self.observe(m.ballot, now)
        pvalues = self._pvalues()
        if out or self.ballot_num == m.ballot:  # we promised it: give the scout time to finish
            out += self._arm_election(now) if self.role == FOLLOWER else []
            out.append(Note(key="mp.promise", args={"node": self.node_id, "ballot": fmt(m.ballot),
                                                    "accepted": len(pvalues)}))
        return out + [Send(dst=src, msg=P1b(ballot=self.ballot_num, accepted=pvalues))]

    def _on_p2a(self, src, m: P2a, now) -> list:
        out = self.observe(m.ballot, now)
        if m.ballot >= self.ballot_num:  # P2a never goes below the promise (A2)
            if (m.ballot, m.slot, m.command) not in self.accepted:
                self.accept(m.ballot, m.slot, m.command)
                out.append(Note(key="mp.accept", args={"node": self.node_id, "ballot": fmt(m.ballot),
                                                       "slot": m.slot, "command": label(m.command)}))
            out += self._arm_election(now) if self.role == FOLLOWER else []
        else:
            out.append(Note(key="mp.reject_p2a", args={"node": self.node_id, "ballot": fmt(m.ballot),
                                                       "slot": m.slot, "promised": fmt(self.ballot_num)}))
        return out + [Send(dst=src, msg=P2b(ballot=self.ballot_num, slot=m.slot))]

    # ------------------------------------------------------------------ role changes (only here)
    def become_follower(self, b, now) -> list:
        """Preempted by ballot ``b`` (§2.5): become passive and wait for the election timeout."""
        out = [Note(key="mp.preempted", args={"node": self.node_id, "ballot": fmt(self.ballot), "by": fmt(b)})]
        if self.role == LEADER:
            out += [CancelTimer(name="heartbeat")] + self._arm_election(now)
        self.role, self.proposals, self.p1b_from, self.pvalues, self.p2b_from = FOLLOWER, {}, [], {}, {}
        self.overdue = []
        return out

    def become_scout(self, now) -> list:
        """Phase 1a (§2.4): a fresh ballot above every ballot seen, promised by our own acceptor at once."""
        self.ballot = (self.ballot_num[0] + 1, self.node_id)
        self.promise(self.ballot)
        self.role, self.proposals, self.p2b_from, self.overdue = SCOUT, {}, {}, []
        self.p1b_from, self.pvalues = [self.node_id], pmax(self.accepted)
        return ([Note(key="mp.scout", args={"node": self.node_id, "ballot": fmt(self.ballot)})]
                + self._arm_election(now) + [Send(dst=p, msg=P1a(ballot=self.ballot)) for p in self.others])

    def become_leader(self, now) -> list:
        """Adopted (§2.5): re-propose pmax(pvals) for every open slot, fill holes with no-ops, go active."""
        self.role = LEADER
        if self.bug == "no-reproposal":
            out = self._propose_fresh()
        else:
            out = self._repropose()
        out = ([Note(key="mp.adopted", args={"node": self.node_id, "ballot": fmt(self.ballot),
                                             "acceptors": ", ".join(self.p1b_from)}),
                CancelTimer(name="election")] + out + self._fill_holes())
        self.slot_in = max([self.slot_in, self.slot_out, *[s + 1 for s in self.proposals]])
        for s in sorted(self.proposals):
            out += self.send_p2a(s)
        self.pvalues = {}
        for c in self.requests:  # this replica's own clients: propose what is still open
            out += self.propose(c)
        return out + self.broadcast_heartbeat() + self._arm_heartbeat(now)

    def _repropose(self) -> list:
        out = []
        for s, (b, c) in sorted(self.pvalues.items()):
            if s not in self.decisions:
                self.proposals[s] = c
                out.append(Note(key="mp.repropose", args={"node": self.node_id, "slot": s, "command": label(c),
                                                          "from": fmt(b)}))
        return out

    def _propose_fresh(self) -> list:
        """BUG: forget the reported pvalues; open slots get this leader's own requests first."""
        out = [Note(key="mp.ignore_pvalues", args={"node": self.node_id, "count": len(self.pvalues)})]
        slot = self.slot_out
        for c in self.requests:
            while slot in self.decisions:
                slot += 1
            self.proposals[slot] = c
            slot += 1
        return out

    def _fill_holes(self) -> list:
        top = max([*self.pvalues, *self.proposals, *self.decisions], default=0)
        holes = [s for s in range(self.slot_out, top + 1) if s not in self.proposals and s not in self.decisions]
        for s in holes:
            self.proposals[s] = NOOP
        return [Note(key="mp.noop", args={"node": self.node_id, "slots": ", ".join(map(str, holes))})] if holes else []

    # ------------------------------------------------------------------ scout (§2.4)
    def _on_p1b(self, src, m: P1b, now) -> list:
        out = self.observe(m.ballot, now)
        if self.role != SCOUT or m.ballot != self.ballot or src in self.p1b_from:
            return out
        self.p1b_from = sorted(self.p1b_from + [src])
        for b, s, c in m.accepted:  # pmax: keep the highest-ballot pvalue per slot
            if s not in self.pvalues or b > self.pvalues[s][0]:
                self.pvalues[s] = (b, c)
        if len(self.p1b_from) >= self.majority:
            return out + self.become_leader(now)
        return out

    # ------------------------------------------------------------------ commanders (§2.3)
    def send_p2a(self, slot: int) -> list:
        """Start (or, from the heartbeat, resume) the commander of ``slot``: our acceptor votes at once."""
        c = self.proposals[slot]
        if slot not in self.p2b_from:
            self.accept(self.ballot, slot, c)
            self.p2b_from[slot] = [self.node_id]
        msg = P2a(ballot=self.ballot, slot=slot, command=c)
        return [Send(dst=p, msg=msg) for p in self.others if p not in self.p2b_from[slot]]

    def _on_p2b(self, src, m: P2b, now) -> list:
        out = self.observe(m.ballot, now)
        if self.role != LEADER or m.ballot != self.ballot or src in self.p2b_from.get(m.slot, [src]):
            return out
        self.p2b_from[m.slot] = sorted(self.p2b_from[m.slot] + [src])
        if len(self.p2b_from[m.slot]) < self.majority:
            return out
        c = self.proposals[m.slot]
        del self.p2b_from[m.slot]
        out.append(Note(key="mp.chosen", args={"node": self.node_id, "slot": m.slot, "command": label(c),
                                               "ballot": fmt(self.ballot)}))
        return out + [Send(dst=p, msg=Decision(slot=m.slot, command=c)) for p in self.others] + \
            self.on_decision(m.slot, c)

    # ------------------------------------------------------------------ leader: proposals, heartbeat
    def propose(self, c) -> list:
        """An active leader gives a new command the next slot, straight to phase 2 (no phase 1)."""
        known = (*self.proposals.values(), *self.decisions.values())
        if cid(c) in self.executed or any(cid(p) == cid(c) for p in known):
            return []  # already performed, decided or in an open slot: do not propose it twice
        while self.slot_in in self.decisions or self.slot_in in self.proposals:
            self.slot_in += 1
        slot, self.slot_in = self.slot_in, self.slot_in + 1
        self.proposals[slot] = c
        return [Note(key="mp.propose", args={"node": self.node_id, "slot": slot, "command": label(c),
                                             "ballot": fmt(self.ballot)})] + self.send_p2a(slot)

    def _on_request(self, c) -> list:
        return self.propose(c) if self.role == LEADER else []  # the replica re-forwards it to the next leader

    def broadcast_heartbeat(self) -> list:
        return [Send(dst=p, msg=Heartbeat(ballot=self.ballot, slot_out=self.slot_out)) for p in self.others]

    def tick_heartbeat(self, now) -> list:
        """Heartbeat, and re-send P2a to acceptors that have not answered for an open slot (lost messages)."""
        out = self.broadcast_heartbeat()
        for s in self.overdue:
            if s in self.p2b_from:
                out += self.send_p2a(s)
        self.overdue = sorted(self.p2b_from)
        return out + self._arm_heartbeat(now)

    def _on_catch_up(self, src, m: CatchUp) -> list:
        if self.role != LEADER:
            return []
        return [Send(dst=src, msg=Decision(slot=s, command=self.decisions[s]))
                for s in range(m.slot_out, self.slot_out) if s in self.decisions]

    # ------------------------------------------------------------------ replica (§2.1)
    def _on_client(self, inp: ClientRequest, now) -> list:
        op = inp.op
        if op.get("f") not in ("put", "get") or not isinstance(op.get("key"), str):
            return [Reply(client=inp.client, result={"error": "bad_op"})]
        seq = op.get("seq", f"{self.node_id}@{now}")  # no seq: this request is unique, it cannot be retried
        c = (inp.client, seq, op["f"], op["key"], op.get("value"))  # the paper's ⟨κ, cid, op⟩, flat
        if cid(c) in self.executed:  # a retry of a performed command: answer again, do not apply twice
            return [Note(key="mp.duplicate_reply", args={"node": self.node_id, "command": label(c)}),
                    Reply(client=inp.client, result=result_of(c, self.executed[cid(c)]))]
        if all(cid(r) != cid(c) for r in self.requests):
            self.requests = self.requests + [c]
        if self.role == LEADER:
            return self.propose(c)
        return self.forward([c])

    def forward(self, commands) -> list:
        """Send requests to the leader this replica knows (the owner of the highest ballot it has seen)."""
        leader = self.ballot_num[1]
        if not leader or leader == self.node_id:
            return [Note(key="mp.no_leader", args={"node": self.node_id, "count": len(commands)})]
        return ([Note(key="mp.forward", args={"node": self.node_id, "leader": leader,
                                              "commands": "; ".join(label(c) for c in commands)})]
                + [Send(dst=leader, msg=Request(command=c)) for c in commands])

    def _on_heartbeat(self, src, m: Heartbeat, now) -> list:
        out = self.observe(m.ballot, now)
        if m.ballot != self.ballot_num or self.role != FOLLOWER:
            return out  # a stale leader (or ourselves)
        out += self._arm_election(now)
        if m.slot_out > self.slot_out:
            out.append(Send(dst=src, msg=CatchUp(slot_out=self.slot_out)))
        late = [c for c in self.requests if cid(c) in self.overdue]
        if late:  # unanswered for a heartbeat: the leader may never have got them (lost, or it changed)
            out += self.forward(late)
        self.overdue = [cid(c) for c in self.requests]
        return out

    def on_decision(self, slot: int, c) -> list:
        if slot in self.decisions:
            return []
        self.decisions = {**self.decisions, slot: c}
        # decided: no commander needed any more (another leader may have decided it)
        self.proposals.pop(slot, None)
        self.p2b_from.pop(slot, None)
        if str(slot) not in self.decided:  # a second, different decision shows up at the node that made it
            self.decided = {**self.decided, str(slot): label(c)}
        return self.perform()

    def perform(self) -> list:
        """Apply decisions in slot order from ``slot_out``; stop at the first gap (§2.1)."""
        out: list = []
        while self.slot_out in self.decisions:
            slot, c = self.slot_out, self.decisions[self.slot_out]
            out += self._apply(slot, c)
            if slot not in self.applied:  # a restarted replica applies its slots again from 1
                self.applied = self.applied + [slot]
            self.slot_out += 1
        return out

    def _apply(self, slot, c) -> list:
        if c[2] == "noop":
            return []
        key = cid(c)
        if key in self.executed:  # decided in an earlier slot too: skip it, do not apply twice
            return [Note(key="mp.skip_duplicate", args={"node": self.node_id, "slot": slot, "command": label(c)})]
        if c[2] == "put":
            self.kv = {**self.kv, c[3]: c[4]}
            output = None
        else:
            output = self.kv.get(c[3])
        self.executed = {**self.executed, key: output}
        mine = [r for r in self.requests if cid(r) == key]
        if not mine:
            return []
        self.requests = [r for r in self.requests if cid(r) != key]
        return [Reply(client=c[0], result=result_of(c, output))]


# -------------------------------------------------------------------------- invariants
def per_slot_agreement(states):
    """R1: no two replicas decide (and so apply) different commands for the same slot."""
    first: dict[int, tuple[str, str]] = {}
    for n in sorted(states):
        s = states[n]
        for slot, lab in (s.get("decided") or {}).items():
            seen = first.setdefault(slot, (n, lab))
            if seen[1] != lab:
                return Violation(key="mp.violation.agreement",
                                 args={"slot": int(slot), "a": seen[0], "first": seen[1], "b": n, "second": lab})
    return None


def in_order_application(states):
    """R2/R3: a replica applies slot s only after every slot below s, with no gaps."""
    for n in sorted(states):
        for k, slot in enumerate(states[n].get("applied") or (), start=1):
            if slot != k:
                return Violation(key="mp.violation.in_order", args={"node": n, "slot": slot, "expected": k})
    return None


def promise_respected(states):
    """A2: an acceptor never accepts a pvalue whose ballot is below the ballot it promised."""
    for n in sorted(states):
        highest = (0, "")
        for v in states[n].get("votes") or ():
            b = (v[1], v[2])
            if v[0] == "accept" and b < highest:
                return Violation(key="mp.violation.promise", args={"node": n, "ballot": fmt(b),
                                                                   "promised": fmt(highest)})
            if b > highest:
                highest = b
    return None


INVARIANTS = (
    Invariant(name="Per-slot agreement", check=per_slot_agreement,
              source="van Renesse & Altinbuken 2015, §2.1 (invariant R1)",
              description_key="mp.inv.agreement", label_key="mp.inv_label.agreement", reads=("decided",)),
    Invariant(name="In-order application", check=in_order_application,
              source="van Renesse & Altinbuken 2015, §2.1 (invariants R2, R3)",
              description_key="mp.inv.in_order", label_key="mp.inv_label.in_order", reads=("applied",)),
    Invariant(name="Promise respected", check=promise_respected,
              source="van Renesse & Altinbuken 2015, §2.2 (invariant A2); Paxos.tla Phase2b",
              description_key="mp.inv.promise", label_key="mp.inv_label.promise", reads=("votes",)),
)


def replica_view(state) -> ReplicaView:
    """A server's snapshot as the Lab's consensus views read it: epoch = round of ``ballot_num``.

    The log is what the server knows per slot: a decision (committed), else the pvalue its
    acceptor accepted (epoch = that ballot's round). A crashed server's decisions are gone,
    so it shows the slots it had applied (the ``applied`` history variable) as committed.
    """
    up = state.get("role") is not None
    rows: dict[int, LogEntry] = {}
    for s, (b, c) in pmax(state.get("accepted") or ()).items():
        rows[s] = LogEntry(index=s, epoch=b[0], label=label(c), committed=False)
    decisions = state.get("decisions") or {}
    if decisions:
        for s, c in decisions.items():
            epoch = rows[int(s)].epoch if int(s) in rows else 0
            rows[int(s)] = LogEntry(index=int(s), epoch=epoch, label=label(c), committed=True)
    else:
        decided = state.get("decided") or {}
        for s in state.get("applied") or ():
            epoch = rows[s].epoch if s in rows else 0
            rows[s] = LogEntry(index=s, epoch=epoch, label=decided.get(str(s), "?"), committed=True)
    ballot = state.get("ballot_num") or NO_BALLOT
    return ReplicaView(role=state.get("role") or FOLLOWER, epoch=ballot[0],
                       entries=tuple(rows[s] for s in sorted(rows)), up=up)


def _default_workload(params):
    ids = server_ids(params)
    return [{"at": 300, "node": ids[0], "client": "c1", "op": {"f": "put", "key": "x", "value": 1, "seq": 1}},
            {"at": 320, "node": ids[1], "client": "c2", "op": {"f": "put", "key": "x", "value": 2, "seq": 1}},
            {"at": 340, "node": ids[2], "client": "c3", "op": {"f": "put", "key": "y", "value": 3, "seq": 1}},
            {"at": 600, "node": ids[0], "client": "c1", "op": {"f": "get", "key": "x", "seq": 2}},
            {"at": 600, "node": ids[1], "client": "c2", "op": {"f": "get", "key": "x", "seq": 2}},
            {"at": 600, "node": ids[2], "client": "c3", "op": {"f": "get", "key": "y", "seq": 2}}]


SPEC = ProtocolSpec(
    id="multi-paxos",
    title_key="proto.multipaxos.title",
    summary_key="proto.multipaxos.summary",
    source="R. van Renesse & D. Altinbuken, Paxos Made Moderately Complex, ACM Computing Surveys 47(3), 2015",
    params=(
        Param(name="nodes", default=3, minimum=3, maximum=7, help_key="mp.param.nodes"),
        Param(name="election_timeout_min", default=150, minimum=1, maximum=100_000,
              help_key="mp.param.election_timeout_min"),
        Param(name="election_timeout_max", default=300, minimum=1, maximum=100_000,
              help_key="mp.param.election_timeout_max"),
        Param(name="heartbeat_interval", default=50, minimum=1, maximum=100_000,
              help_key="mp.param.heartbeat_interval"),
        Param(name="horizon_ticks", default=1200, minimum=0, maximum=1_000_000, help_key="mp.param.horizon_ticks"),
    ),
    bugs=(
        Bug(id="no-reproposal", description_key="mp.bug.no_reproposal", breaks=("Per-slot agreement",)),
    ),
    invariants=INVARIANTS,
    node_ids=server_ids,
    make_node=lambda node_id, ids, params, bug, rng: Server(node_id, ids, params, bug, rng),
    default_workload=_default_workload,
    replica_view=replica_view,
    claims=lambda params, bug: () if bug else ("linearizable",),
    epoch_key="mp.epoch",
)
