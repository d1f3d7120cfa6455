"""Shared machinery of the four broadcast modules (reliable, FIFO, causal, total order).

Not a protocol of its own (it is not in ``protocols.REGISTRY``): it holds the message
type, the process base class with its retransmitting links, the history variables, and the
invariants named after the literature, so that each broadcast module only states its
*delivery rule*.

Theory of operation
-------------------
Processes ``p1`` .. ``pN`` broadcast messages; the workload asks a process to broadcast with
the client operation ``{f: broadcast, value: V}``. The extra field ``after: W`` makes the
process wait until it has *delivered* a message whose value is ``W`` and only then broadcast
``V`` (the "reply after reading the question" of Kleppmann's notes §4.2): the request is
kept in ``waiting`` until then, and the client's reply (the new message id) comes at the
broadcast.

Links (Kleppmann's notes §2.3, "reliable links" built from fair-loss links by
retransmission): every message a process sends is kept in ``unacked`` with the peers that
have not acknowledged it, and sent again every ``retransmit_ticks`` until they have (or
until ``horizon_ticks``, so that runs end). A receiver acknowledges every copy (``Ack``) and
drops the copies it has ``received`` already. The network may lose, duplicate and reorder
messages and partition links; processes may crash and restart.

Fault model (stated once for all four modules): *crash-recovery with stable storage*. All
protocol state is durable — a crash only pauses a process — except ``retransmit_armed`` (is
the retransmission timer armed?), which a restart re-arms. A process is *correct* if it is
up at the end; partitions heal and crashed processes restart before ``horizon_ticks``.
Under that model every broadcast message reaches every process, and the invariants below
hold at every step.

History variables (ghost state the protocol never reads):

* ``broadcasts`` — this process's broadcasts, ``{mid, value, seen}``, where ``seen`` is how
  many messages it had delivered when it broadcast (its causal past, read from ``delivered``).
* ``delivered`` — the ids of the messages this process has delivered, in delivery order.

``inbox`` is the application's own view (the values delivered, in order); the ``after``
condition of the workload reads it.

A message id (``mid``) is ``origin:n`` — the origin and its n-th send (in the Lamport variant
of total order broadcast acknowledgements are sends too, so the numbers of one origin's
broadcasts can skip).

Invariants (Kleppmann's notes §4.2; Hadzilacos & Toueg 1994; Défago, Schiper & Urbán
2004, §2.2):

* **Integrity** — no process delivers a message twice, and only messages that were
  broadcast (no duplication, no creation).
* **Agreement** — once no process has an unacknowledged message or anything held back,
  every process has delivered the same messages. (Agreement is an "eventually" property;
  this is its safety shadow, checkable at every step: when the system has gone quiet, no
  message can still reach a process that lacks it. The tests add the liveness half: at the
  end of every seeded run, once all faults are over, every process delivered every message.)
* **FIFO order** — a process delivers one origin's messages in the order it broadcast them,
  without gaps.
* **Causal order** — if broadcast(m1) → broadcast(m2) (happens-before: same process earlier,
  or m1 delivered at m2's sender before it broadcast m2, or transitively), no process
  delivers m2 before m1.
* **Total order** — if processes p and q both deliver m1 and m2, they deliver them in the
  same order.

Deviations from the sources
---------------------------
- Links retransmit only until ``horizon_ticks``: a run ends; a partition that outlasts the
  horizon can leave a message undelivered (Agreement then holds vacuously, because the
  sender still lists it as unacknowledged).
- Crash-recovery with durable state instead of the crash-stop model of the notes: the
  relay of eager reliable broadcast is kept as the notes give it, but with durable
  retransmission a process that crashes still delivers its messages once it is back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from sim.protocol import Invariant, Param, Violation
from sim.types import ClientRequest, Deliver, Node, Note, Reply, Restart, Send, SetTimer, Start, Timer


# ---------------------------------------------------------------------------- messages
@dataclass(frozen=True, slots=True, kw_only=True)
class Bcast:
    """A broadcast message (or a relay or retransmission of it) on a link."""

    mid: str  # "p1:2": origin and its n-th send
    origin: str
    seq: int  # the origin's n-th send (its FIFO sequence number)
    value: str | None  # None: a control message (a Lamport acknowledgement)
    stamp: dict  # what the delivery rule reads: {"vc": …}, {"ts": …}, {"gseq": …}, or {}


@dataclass(frozen=True, slots=True, kw_only=True)
class Ack:
    """Link acknowledgement: the receiver has the message ``mid`` (stop retransmitting it to me)."""

    mid: str


def origin_of(mid: str) -> str:
    return mid.split(":", 1)[0]


def process_ids(params) -> tuple[str, ...]:
    return tuple(f"p{i + 1}" for i in range(int(params["processes"])))


def common_params(prefix: str) -> tuple[Param, ...]:
    return (Param(name="processes", default=3, minimum=2, maximum=5, help_key="param.processes"),
            Param(name="retransmit_ticks", default=40, minimum=1, maximum=100_000,
                  help_key=f"{prefix}.param.retransmit_ticks"),
            Param(name="horizon_ticks", default=600, minimum=0, maximum=1_000_000,
                  help_key=f"{prefix}.param.horizon_ticks"))


# ---------------------------------------------------------------------------- processes
class BroadcastProcess(Node):
    """Links, history variables and the workload; subclasses give the delivery rule.

    Hooks: ``stamp(mid)`` (the metadata of a new broadcast), ``on_broadcast(msg)`` (what to do
    with one's own new message) and ``on_receive(msg, src)`` (first receipt of a message).
    """

    COMMON = ("inbox", "waiting", "send_seq", "received", "unacked", "broadcasts", "delivered")
    VOLATILE = ("retransmit_armed",)
    LOGS = ("inbox", "broadcasts", "delivered", "received")  # append only (Node.LOGS)
    COPY_ON_WRITE = ("unacked",)
    ROLE = "process"

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.others = tuple(p for p in self.peers if p != self.node_id)
        self.inbox: list[str] = []  # the application's view: the values delivered, in order
        self.broadcasts: list[dict] = []  # history variable
        self.delivered: list[str] = []  # history variable
        self.received: list[str] = []  # ids of messages received (to drop copies)
        self.unacked: dict[str, dict] = {}  # mid -> {"msg": fields, "to": [peers yet to ack]}
        self.waiting: list[list] = []  # [client, value, after]: broadcast once `after` is delivered
        self.send_seq = 0
        self.retransmit_armed = False

    # -- hooks
    def stamp(self, mid: str) -> dict:
        return {}

    def on_broadcast(self, msg: Bcast) -> list:
        raise NotImplementedError

    def on_receive(self, msg: Bcast, src: str) -> list:
        raise NotImplementedError

    # -- the one door in
    def step(self, inp, now):
        if isinstance(inp, (Start, Restart)):
            return self._arm(now)
        if isinstance(inp, Timer) and inp.name == "retransmit":
            self.retransmit_armed = False
            out = [Send(dst=p, msg=Bcast(**e["msg"])) for e in self.unacked.values() for p in e["to"]]
            return out + self._arm(now)
        if isinstance(inp, ClientRequest):
            return self._on_request(inp.client, inp.op) + self._arm(now)
        if isinstance(inp, Deliver):
            msg = inp.msg
            if isinstance(msg, Ack):
                return self._on_ack(msg.mid, inp.src)
            if isinstance(msg, Bcast):
                out = [Send(dst=inp.src, msg=Ack(mid=msg.mid))]
                if msg.mid in self.received:
                    return out  # a copy (retransmission, relay, duplicate): acknowledged again, nothing else
                self.received.append(msg.mid)
                return out + self.on_receive(msg, inp.src) + self._arm(now)
        return []

    def _arm(self, now) -> list:
        horizon = self.params["horizon_ticks"]
        if self.retransmit_armed or not self.unacked or (horizon and now >= horizon):
            return []
        self.retransmit_armed = True
        return [SetTimer(name="retransmit", after=self.params["retransmit_ticks"])]

    def _on_ack(self, mid: str, src: str) -> list:
        entry = self.unacked.get(mid)
        if entry is None or src not in entry["to"]:
            return []
        rest = [p for p in entry["to"] if p != src]
        self.unacked = ({k: v for k, v in self.unacked.items() if k != mid} if not rest
                        else {**self.unacked, mid: {"msg": entry["msg"], "to": rest}})
        return []

    # -- sending
    def send_all(self, msg: Bcast, to: tuple[str, ...] | None = None) -> list:
        """Send over the retransmitting links to ``to`` (default: every other process)."""
        to = tuple(p for p in (self.others if to is None else to) if p != self.node_id)
        if not to:
            return []
        prior = self.unacked.get(msg.mid)
        pending = list(prior["to"]) if prior else []
        fields = {"mid": msg.mid, "origin": msg.origin, "seq": msg.seq, "value": msg.value, "stamp": dict(msg.stamp)}
        self.unacked = {**self.unacked, msg.mid: {"msg": fields, "to": pending + [p for p in to if p not in pending]}}
        return [Send(dst=p, msg=msg) for p in to]

    def next_mid(self) -> tuple[str, int]:
        self.send_seq += 1
        return f"{self.node_id}:{self.send_seq}", self.send_seq

    # -- the workload
    def _on_request(self, client: str, op) -> list:
        if op.get("f") != "broadcast" or not isinstance(op.get("value"), str):
            return [Reply(client=client, result={"ok": False, "error": "unknown_op"})]
        after = op.get("after")
        if isinstance(after, str) and after not in self.inbox:
            self.waiting = self.waiting + [[client, op["value"], after]]
            return [Note(key="bc.wait", args={"node": self.node_id, "value": op["value"], "after": after})]
        return self.broadcast(client, op["value"])

    def broadcast(self, client: str, value: str) -> list:
        mid, seq = self.next_mid()
        self.broadcasts.append({"mid": mid, "value": value, "seen": len(self.delivered)})
        msg = Bcast(mid=mid, origin=self.node_id, seq=seq, value=value, stamp=self.stamp(mid))
        out = [Note(key="bc.broadcast", args={"node": self.node_id, "mid": mid, "value": value})]
        out += self.on_broadcast(msg)
        return out + [Reply(client=client, result={"ok": True, "value": mid})]

    # -- delivering
    def deliver(self, msg: Bcast, rule_key: str = "bc.deliver") -> list:
        """Hand ``msg`` to the application: record it, and start the broadcasts waiting for it."""
        self.delivered.append(msg.mid)
        self.inbox.append(msg.value)
        out = [Note(key=rule_key, args={"node": self.node_id, "mid": msg.mid, "value": msg.value})]
        ready = [w for w in self.waiting if w[2] == msg.value]
        if ready:
            self.waiting = [w for w in self.waiting if w[2] != msg.value]
            for client, value, _after in ready:
                out += self.broadcast(client, value)
        return out

    # -- hold-back queues
    def drain(self, deliverable: Callable[[dict], bool], on_ready: Callable[[dict], list]) -> list:
        """Repeatedly take the first message of ``holdback`` that ``deliverable`` accepts and hand it to
        ``on_ready``, until none is: one delivery may make others deliverable (Birman et al. 1991)."""
        out: list = []
        while True:
            ready = next((h for h in self.holdback if deliverable(h)), None)
            if ready is None:
                break
            self.holdback = [h for h in self.holdback if h is not ready]
            out += on_ready(ready)
        if self.holdback:
            out.append(Note(key="bc.hold", args={"node": self.node_id, "count": len(self.holdback),
                                                 "mids": ", ".join(h["mid"] for h in self.holdback)}))
        return out


def as_msg(fields: dict) -> Bcast:
    return Bcast(**fields)


# -------------------------------------------------------------------------- invariants
def _ordered(states) -> list[str]:
    return sorted(states, key=lambda n: (len(n), n))


def _history(states) -> dict[str, dict]:
    return {n: s for n, s in states.items() if s.get("delivered") is not None}


def integrity(states):
    """No duplication and no creation (Hadzilacos & Toueg 1994; Kleppmann's notes §4.2)."""
    procs = _history(states)
    sent = {b["mid"] for s in procs.values() for b in s.get("broadcasts") or ()}
    for n in _ordered(procs):
        seen: set[str] = set()
        for mid in procs[n]["delivered"]:
            if mid in seen:
                return Violation(key="bc.violation.duplicate", args={"node": n, "mid": mid})
            if mid not in sent:
                return Violation(key="bc.violation.created", args={"node": n, "mid": mid})
            seen.add(mid)
    return None


def agreement_check(pending: tuple[str, ...]) -> Callable:
    """Agreement's safety shadow: when nothing is unacknowledged or held back (the fields in
    ``pending``) anywhere, every process has delivered the same messages."""

    def agreement(states):
        procs = _history(states)
        for s in procs.values():
            if s.get("unacked") or any(s.get(f) for f in pending):
                return None  # something can still reach somebody
        names = _ordered(procs)
        for n in names[1:]:
            a, b = set(procs[names[0]]["delivered"]), set(procs[n]["delivered"])
            if a != b:
                lacking, has = (n, names[0]) if a - b else (names[0], n)
                mid = sorted((a - b) or (b - a))[0]
                return Violation(key="bc.violation.agreement", args={"node": lacking, "other": has, "mid": mid})
        return None

    return agreement


def fifo_order(states):
    """FIFO order: every process delivers each origin's messages as a prefix of its broadcasts, in order."""
    procs = _history(states)
    order = {n: [b["mid"] for b in s.get("broadcasts") or ()] for n, s in procs.items()}
    for n in _ordered(procs):
        got: dict[str, int] = {}
        for mid in procs[n]["delivered"]:
            o = origin_of(mid)
            k = got.get(o, 0)
            expected = order.get(o, [])[k] if k < len(order.get(o, [])) else None
            if mid != expected:
                return Violation(key="bc.violation.fifo", args={"node": n, "mid": mid, "origin": o,
                                                                "expected": expected or "-"})
            got[o] = k + 1
    return None


def causal_past(states) -> dict[str, set[str]]:
    """mid -> the messages whose broadcast happened before its broadcast (transitively)."""
    procs = _history(states)
    direct: dict[str, set[str]] = {}
    for n, s in procs.items():
        prev = None
        for b in s.get("broadcasts") or ():
            direct[b["mid"]] = set(s["delivered"][:b["seen"]]) | ({prev} if prev else set())
            prev = b["mid"]
    past: dict[str, set[str]] = {}

    def close(mid: str) -> set[str]:
        if mid not in past:
            past[mid] = set()  # broadcasts form a DAG; this guards against a malformed history
            acc: set[str] = set()
            for d in direct.get(mid, ()):
                acc |= {d} | close(d)
            past[mid] = acc
        return past[mid]

    for mid in direct:
        close(mid)
    return past


def causal_order(states):
    """Causal order (Birman, Schiper & Stephenson 1991; Kleppmann §4.2): no process delivers m2
    before a message m1 with broadcast(m1) → broadcast(m2)."""
    procs = _history(states)
    past = causal_past(states)
    for n in _ordered(procs):
        before: set[str] = set()
        for mid in procs[n]["delivered"]:
            missing = sorted(past.get(mid, set()) - before)
            if missing:
                return Violation(key="bc.violation.causal", args={"node": n, "mid": mid, "cause": missing[0]})
            before.add(mid)
    return None


def total_order(states):
    """Uniform total order (Défago et al. 2004 §2.2): two processes deliver the messages they both
    delivered in the same order."""
    procs = _history(states)
    names = _ordered(procs)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            both = set(procs[a]["delivered"]) & set(procs[b]["delivered"])
            seq_a = [m for m in procs[a]["delivered"] if m in both]
            seq_b = [m for m in procs[b]["delivered"] if m in both]
            if seq_a != seq_b:
                k = next(j for j, (x, y) in enumerate(zip(seq_a, seq_b)) if x != y)
                return Violation(key="bc.violation.total", args={"node": a, "other": b, "first": seq_a[k],
                                                                 "second": seq_b[k]})
    return None


HISTORY = ("delivered", "broadcasts")


def invariants(which: tuple[str, ...], pending: tuple[str, ...]) -> tuple[Invariant, ...]:
    """The named invariants a module declares, in a fixed order."""
    table = {
        "integrity": Invariant(name="Integrity", check=integrity,
                               source="Hadzilacos & Toueg 1994; Kleppmann, Distributed Systems notes §4.2",
                               description_key="bc.inv.integrity", label_key="bc.inv_label.integrity",
                               reads=HISTORY),
        "agreement": Invariant(name="Agreement", check=agreement_check(pending),
                               source="Hadzilacos & Toueg 1994; Kleppmann, Distributed Systems notes §4.2",
                               description_key="bc.inv.agreement", label_key="bc.inv_label.agreement",
                               reads=("delivered", "unacked") + pending),
        "fifo": Invariant(name="FIFO order", check=fifo_order, source="Kleppmann, Distributed Systems notes §4.2",
                          description_key="bc.inv.fifo", label_key="bc.inv_label.fifo", reads=HISTORY),
        "causal": Invariant(name="Causal order", check=causal_order,
                            source="Birman, Schiper & Stephenson 1991; Kleppmann, Distributed Systems notes §4.2",
                            description_key="bc.inv.causal", label_key="bc.inv_label.causal", reads=HISTORY),
        "total": Invariant(name="Total order", check=total_order,
                           source="Défago, Schiper & Urbán 2004, §2.2; Kleppmann, Distributed Systems notes §4.2",
                           description_key="bc.inv.total", label_key="bc.inv_label.total", reads=("delivered",)),
    }
    return tuple(table[w] for w in which)


def default_workload(params) -> list[dict[str, Any]]:
    """p1 asks a question; p2 replies once it has delivered it (Kleppmann's notes §4.2)."""
    ops = [{"at": 0, "node": "p1", "client": "p1", "op": {"f": "broadcast", "value": "question"}},
           {"at": 0, "node": "p2", "client": "p2", "op": {"f": "broadcast", "value": "reply", "after": "question"}}]
    if int(params["processes"]) >= 3:
        ops.append({"at": 20, "node": "p3", "client": "p3", "op": {"f": "broadcast", "value": "hello"}})
    return ops
