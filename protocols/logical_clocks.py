"""Logical clocks: processes doing local events and exchanging messages, each keeping a
Lamport clock and a vector clock.

Theory of operation
-------------------
Processes ``p1`` .. ``pN`` each perform ``events_per_process`` actions, one per firing of
their ``act`` timer (the gap drawn from the injected RNG). An action is a local event
(``Note lc.local_event``) or the send of a ``Message`` to a peer chosen with the RNG.
Receiving a message is an event too (``Note lc.receive``).

Lamport clock (Lamport 1978): ``clock``.
- IR1: a process increments ``clock`` before each local event and each send; a message
  carries the sender's clock as its timestamp ``ts``.
- IR2: on receipt of a message with timestamp ``ts``, a process sets
  ``clock = max(clock, ts) + 1``. Hence the Clock Condition: a → b ⇒ C(a) < C(b).

Vector clock (Fidge 1988, Mattern 1989): ``vc``, one entry per process. A process
increments its own entry on every event; on receipt it takes the pointwise maximum with
the message's vector, then increments its own entry. Then a → b ⇔ V(a) < V(b), and two
events are concurrent exactly when their vectors are incomparable.

``events`` counts this process's own events; ``last_receive`` is ``[ts, clock]`` for the
most recent receipt (the message timestamp and the clock right after it), which is what
the invariant "Clock Condition C2 (IR2)" checks.

The simulator also stamps every trace event with a Lamport clock and a vector clock. Those
count *every* event of a node (boot, timer firings, notes...), so their values are larger
than the protocol's own; the happens-before relation they give between the protocol's
events (sends, receipts, local events) is the same, and the tests check exactly that.

Deviations from the paper
-------------------------
- Lamport's IR1 allows any positive increment; we always add 1.
- The simulator, not the process, decides when actions happen (the ``act`` timer), and a
  bounded number of actions keeps runs finite.
- Clocks are durable so that a crash and restart cannot turn time backwards (the paper
  does not consider crashes).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.protocol import Bug, Invariant, Param, ProtocolSpec, Violation
from sim.types import Deliver, Node, Note, Restart, Send, SetTimer, Start, Timer


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    ts: int  # the sender's Lamport clock at the send (IR1)
    vc: tuple[int, ...]  # the sender's vector clock at the send


class Process(Node):
    DURABLE = ("clock", "vc", "events", "actions_left", "last_receive")
    ROLE = "process"

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.me = self.peers.index(self.node_id)
        self.others = tuple(p for p in self.peers if p != self.node_id)
        self.clock = 0
        self.vc = [0] * len(self.peers)
        self.events = 0
        self.actions_left = int(self.params["events_per_process"])
        self.last_receive: list[int] | None = None

    def step(self, inp, now):
        if isinstance(inp, (Start, Restart)):
            return self._arm()
        if isinstance(inp, Timer) and inp.name == "act" and self.actions_left > 0:
            self.actions_left -= 1
            out = self._send() if self.rng.random() < self.params["send_percent"] / 100 else self._local_event()
            return out + self._arm()
        if isinstance(inp, Deliver) and isinstance(inp.msg, Message):
            return self._receive(inp.src, inp.msg)
        return []

    def _arm(self) -> list:
        if self.actions_left <= 0:
            return []
        return [SetTimer(name="act", after=self.rng.randint(1, self.params["gap_ticks_max"]))]

    def _tick(self) -> None:
        """IR1 and the vector clock's own-entry increment: one per event of this process."""
        self.clock += 1
        self.vc = self.vc[:self.me] + [self.vc[self.me] + 1] + self.vc[self.me + 1:]
        self.events += 1

    def _local_event(self) -> list:
        self._tick()
        return [Note(key="lc.local_event", args={"lamport": self.clock, "vc": list(self.vc)})]

    def _send(self) -> list:
        self._tick()
        dst = self.rng.choice(self.others)
        return [Send(dst=dst, msg=Message(ts=self.clock, vc=tuple(self.vc)))]

    def _receive(self, src: str, msg: Message) -> list:
        if self.bug == "no-max-on-receive":  # BUG: ignores the message timestamp
            self.clock += 1
        else:  # IR2
            self.clock = max(self.clock, msg.ts) + 1
        merged = [max(a, b) for a, b in zip(self.vc, msg.vc)]
        self.vc = merged[:self.me] + [merged[self.me] + 1] + merged[self.me + 1:]
        self.events += 1
        self.last_receive = [msg.ts, self.clock]
        return [Note(key="lc.receive", args={"src": src, "ts": msg.ts, "lamport": self.clock, "vc": list(self.vc)})]


# -------------------------------------------------------------------------- invariants
def clock_condition(states):
    """IR2 makes a receipt's clock exceed the message timestamp (so send → receive ⇒ C(send) < C(receive))."""
    for n, s in sorted(states.items()):
        last = s.get("last_receive")
        if last and last[1] <= last[0]:
            return Violation(key="lc.violation.clock_condition", args={"node": n, "ts": last[0], "clock": last[1]})
    return None


def vector_clock_dominance(states):
    """V_i[i] counts p_i's own events, and nobody knows more of p_i's events than p_i: V_j[i] ≤ V_i[i]."""
    names = sorted(states, key=lambda n: int(n[1:]) if n[1:].isdigit() else 0)
    for i, n in enumerate(names):
        s = states[n]
        vc, events = s.get("vc"), s.get("events")
        if vc is None or events is None:
            continue
        if vc[i] != events:
            return Violation(key="lc.violation.own_entry", args={"node": n, "entry": vc[i], "events": events})
        for m in names:
            other = states[m].get("vc")
            if other is not None and other[i] > vc[i]:
                return Violation(key="lc.violation.dominance",
                                 args={"node": n, "other": m, "theirs": other[i], "own": vc[i]})
    return None


SPEC = ProtocolSpec(
    id="logical-clocks",
    title_key="proto.logical-clocks.title",
    summary_key="proto.logical-clocks.summary",
    source="L. Lamport, Time, Clocks, and the Ordering of Events in a Distributed System, CACM 21(7), 1978; "
           "C. Fidge 1988; F. Mattern 1989",
    params=(
        Param(name="processes", default=3, minimum=2, maximum=6, help_key="param.processes"),
        Param(name="events_per_process", default=5, minimum=1, maximum=50, help_key="param.events_per_process"),
        Param(name="send_percent", default=50, minimum=0, maximum=100, help_key="param.send_percent"),
        Param(name="gap_ticks_max", default=20, minimum=1, maximum=1000, help_key="param.gap_ticks_max"),
    ),
    bugs=(Bug(id="no-max-on-receive", description_key="lc.bug.no_max_on_receive",
              breaks=("Clock Condition C2 (IR2)",)),),
    invariants=(
        Invariant(name="Clock Condition C2 (IR2)", check=clock_condition, source="Lamport 1978, C2 via IR2",
                  description_key="lc.inv.clock_condition",
                  label_key="lc.inv_label.clock_condition"),
        Invariant(name="Vector clock dominance", check=vector_clock_dominance,
                  source="Fidge 1988; Mattern 1989", description_key="lc.inv.dominance",
                  label_key="lc.inv_label.dominance"),
    ),
    node_ids=lambda params: tuple(f"p{i + 1}" for i in range(params["processes"])),
    make_node=lambda node_id, ids, params, bug, rng: Process(node_id, ids, params, bug, rng),
)
