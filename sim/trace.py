"""The trace: the complete, immutable record of one run, and everything derived from it.

Theory of operation
-------------------
A run is a sequence of *steps*. Each step has one cause (boot, a delivery, a timer, a
client request, a fault) and produces one or more *events* (the delivery itself, the
sends and notes it caused, the network's drops...). Every event carries its step, sim
time, node, peer, message id, message payload and, for events that happen at a node,
the Lamport clock and vector clock the simulator computed for it (network events such as
a partition have neither: they are not events of any process).

State: ``diffs[s]`` holds, per node that changed in step ``s``, the fields that changed.
A field a node declares as a log (``Node.LOGS``) is recorded as a *splice* instead of its
whole new value: ``diffs[s][node]["~splice"] = {field: [start, items]}`` means "keep the
first ``start`` items, then append ``items``", so a run's trace grows with what its logs
append, not with their length times the number of steps. Read diffs through
``changed_at`` / ``iter_changes`` (full values) unless you apply splices yourself.
A full snapshot is kept every ``SNAPSHOT_EVERY`` steps, so ``states_at(s)`` costs at most
that many diff applications. ``invariant_changes`` lists when each named invariant starts
or stops being violated; ``invariants_at(s)`` replays it.

Serialisation (``to_json``) is canonical: sorted keys, no spaces, so the same run gives
byte-identical files. The format is documented in ``docs/formats.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping, NamedTuple

from sim.scenario import Scenario

FORMAT = "consistency-lab-trace"
VERSION = 2  # 2: diffs may hold splices (see the module doc); version 1 had none
READABLE_VERSIONS = (1, 2)  # an imported trace is re-run from its scenario, so both read the same
SNAPSHOT_EVERY = 32
SPLICE_FIELD = "~splice"  # reserved pseudo-field of a diff (not an identifier, so no state field can clash)
TIMERS_FIELD = "armed_timers"  # pseudo-field the simulator adds to every node state: {name: [timer id, due]}

# Event kinds, in the order the docs list them.
EVENT_KINDS = ("start", "send", "deliver", "drop", "duplicate", "delay", "timer", "crash", "restart",
               "partition", "heal", "skew", "invoke", "return", "note", "violation", "end")


class Event(NamedTuple):
    """One event. ``lamport``/``vc`` are ``None`` for network events (see module doc)."""

    i: int
    step: int
    time: int
    kind: str
    node: str | None
    peer: str | None = None
    msg_id: str | None = None
    payload: Mapping[str, Any] | None = None
    lamport: int | None = None
    vc: tuple[int, ...] | None = None
    detail: Mapping[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        out = {"i": self.i, "step": self.step, "time": self.time, "kind": self.kind}
        for name in ("node", "peer", "msg_id", "payload", "lamport", "detail"):
            v = getattr(self, name)
            if v is not None:
                out[name] = v
        if self.vc is not None:
            out["vc"] = list(self.vc)
        return out


class Interval(NamedTuple):
    """A stretch of steps ``[start, end)`` (``end`` ``None``: until the run ends) and what held."""

    start: int
    end: int | None
    what: Any


class StepInfo(NamedTuple):
    time: int
    cause: str  # "start" | "deliver" | "timer" | "client" | "fault" | "end"
    ref: str | None = None  # message id, timer id, workload index or fault index
    chosen: bool = False  # manual mode: this step consumed one of the learner's choices


@dataclass(frozen=True, slots=True, weakref_slot=True)
class Trace:
    scenario: Scenario
    nodes: tuple[str, ...]
    roles: Mapping[str, str]
    events: tuple[Event, ...]
    steps: tuple[StepInfo, ...]
    step_first_event: tuple[int, ...]  # index of the first event of each step; + len(events) at the end
    diffs: tuple[Mapping[str, Mapping[str, Any]], ...]
    invariant_names: tuple[str, ...]
    invariant_changes: tuple[tuple[int, str, Mapping[str, Any] | None], ...]
    end: Mapping[str, Any]
    _snapshots: dict[int, dict[str, dict[str, Any]]] = field(default_factory=dict, compare=False, repr=False)
    _intervals: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    # ------------------------------------------------------------------ navigation
    @property
    def n_steps(self) -> int:
        return len(self.steps)

    def events_of_step(self, step: int) -> tuple[Event, ...]:
        return self.events[self.step_first_event[step]:self.step_first_event[step + 1]]

    def events_until(self, step: int) -> tuple[Event, ...]:
        """Every event up to and including ``step``."""
        return self.events[:self.step_first_event[min(step, self.n_steps - 1) + 1]]

    # ----------------------------------------------------------------------- state
    def states_at(self, step: int) -> dict[str, dict[str, Any]]:
        """Every node's state after ``step`` (fresh dicts; callers may keep them)."""
        step = max(0, min(step, self.n_steps - 1))
        base = (step // SNAPSHOT_EVERY) * SNAPSHOT_EVERY
        snap = self._snapshot(base)
        states = {n: dict(v) for n, v in snap.items()}
        for s in range(base + 1, step + 1):
            apply_diff(states, self.diffs[s])
        return states

    def _snapshot(self, base: int) -> dict[str, dict[str, Any]]:
        if base in self._snapshots:
            return self._snapshots[base]
        prev = max((b for b in self._snapshots if b < base), default=None)
        if prev is None:
            states: dict[str, dict[str, Any]] = {n: {} for n in self.nodes}
            start = 0
        else:
            states = {n: dict(v) for n, v in self._snapshots[prev].items()}
            start = prev + 1
        for s in range(start, base + 1):
            apply_diff(states, self.diffs[s])
            if s % SNAPSHOT_EVERY == 0:
                self._snapshots[s] = {n: dict(v) for n, v in states.items()}
        return self._snapshots[base]

    def changed_at(self, step: int) -> Mapping[str, Mapping[str, Any]]:
        """``{node: {field: new full value}}`` for the fields that changed in ``step``."""
        if not 0 <= step < self.n_steps:
            return {}
        diff = self.diffs[step]
        if not any(SPLICE_FIELD in fields for fields in diff.values()):
            return diff
        states = self.states_at(step)
        return {node: _full_values(fields, states[node]) for node, fields in diff.items()}

    def iter_changes(self):
        """Yield ``(step, {node: {field: new full value}})`` for every step, in order, in one pass."""
        states: dict[str, dict[str, Any]] = {n: {} for n in self.nodes}
        for step, diff in enumerate(self.diffs):
            apply_diff(states, diff)
            if any(SPLICE_FIELD in fields for fields in diff.values()):
                diff = {node: _full_values(fields, states[node]) for node, fields in diff.items()}
            yield step, diff

    def partition_intervals(self) -> tuple[Interval, ...]:
        """Each stretch of steps with links cut: ``Interval(start, end, links)``, where ``end`` is the
        step of the heal or of the next partition (which replaces the cut), or ``None`` if never
        healed, and ``links`` the directed ``(src, dst)`` pairs cut."""
        if "partitions" not in self._intervals:
            out: list[Interval] = []
            for e in self.events:
                if e.kind in ("partition", "heal") and out and out[-1].end is None:
                    out[-1] = out[-1]._replace(end=e.step)
                if e.kind == "partition":
                    out.append(Interval(e.step, None, tuple(tuple(link) for link in (e.detail or {}).get("cut", ()))))
            self._intervals["partitions"] = tuple(out)
        return self._intervals["partitions"]

    def down_intervals(self) -> tuple[Interval, ...]:
        """Each stretch a node was crashed: ``Interval(crash step, restart step or None, node)``."""
        if "downs" not in self._intervals:
            out: list[Interval] = []
            open_: dict[str, int] = {}
            for e in self.events:
                if e.kind == "crash":
                    open_[e.node] = len(out)
                    out.append(Interval(e.step, None, e.node))
                elif e.kind == "restart" and e.node in open_:
                    k = open_.pop(e.node)
                    out[k] = out[k]._replace(end=e.step)
            self._intervals["downs"] = tuple(out)
        return self._intervals["downs"]

    def up_at(self, step: int) -> dict[str, bool]:
        up = {n: True for n in self.nodes}
        for iv in self.down_intervals():
            if iv.start <= step and (iv.end is None or step < iv.end):
                up[iv.what] = False
        return up

    def cut_at(self, step: int) -> frozenset[tuple[str, str]]:
        """The directed links cut after ``step``."""
        for iv in self.partition_intervals():
            if iv.start <= step and (iv.end is None or step < iv.end):
                return frozenset(iv.what)
        return frozenset()

    def invariants_at(self, step: int) -> dict[str, Mapping[str, Any] | None]:
        """``{invariant name: None if it holds, else the violation}`` after ``step``."""
        status: dict[str, Mapping[str, Any] | None] = {name: None for name in self.invariant_names}
        for s, name, violation in self.invariant_changes:
            if s > step:
                break
            status[name] = violation
        return status

    def ever_violated(self) -> set[str]:
        """The names of the invariants violated at some step of the run."""
        return {name for _step, name, v in self.invariant_changes if v is not None}

    def first_violation_step(self) -> int | None:
        for s, _name, violation in self.invariant_changes:
            if violation is not None:
                return s
        return None

    # --------------------------------------------------------------------- pending
    def pending_at(self, step: int) -> list[dict[str, Any]]:
        """Messages in flight and timers armed after ``step``: what manual mode may choose."""
        in_flight: dict[str, Event] = {}
        due: dict[str, int] = {}
        for e in self.events_until(step):
            if e.kind == "send" and not (e.detail and e.detail.get("lost")):
                in_flight[e.msg_id] = e
                due[e.msg_id] = (e.detail or {}).get("due", e.time)
            elif e.kind == "duplicate":
                in_flight[e.msg_id] = e
                due[e.msg_id] = (e.detail or {}).get("due", e.time)
            elif e.kind == "delay" and e.msg_id in in_flight:  # a delay fault moved the due time
                due[e.msg_id] = (e.detail or {}).get("due", due[e.msg_id])
            elif e.kind in ("deliver", "drop") and e.msg_id in in_flight:
                del in_flight[e.msg_id]
        out = [{"id": mid, "kind": "message", "src": e.node if e.kind == "send" else e.peer,
                "dst": e.peer if e.kind == "send" else e.node, "type": (e.payload or {}).get("type", "?"),
                "due": due[mid]} for mid, e in in_flight.items()]
        states = self.states_at(step)
        for node in self.nodes:
            for name, (tid, due) in sorted((states[node].get(TIMERS_FIELD) or {}).items()):
                out.append({"id": tid, "kind": "timer", "src": node, "dst": node, "type": name, "due": due})
        out.sort(key=lambda p: (p["due"], _id_order(p["id"])))
        return out

    def choices_before(self, step: int) -> list[str]:
        """The manual choices consumed by steps ``0..step`` (to branch from ``step``)."""
        return [s.ref for s in self.steps[: step + 1] if s.chosen and s.ref is not None]

    # ---------------------------------------------------------------- serialise
    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "scenario": self.scenario.to_dict(),
            "nodes": list(self.nodes),
            "roles": dict(self.roles),
            "events": [e.to_dict() for e in self.events],
            "steps": [{"time": s.time, "cause": s.cause, "ref": s.ref, "chosen": s.chosen} for s in self.steps],
            "diffs": list(self.diffs),
            "invariants": {"names": list(self.invariant_names),
                           "changes": [[s, n, v] for s, n, v in self.invariant_changes]},
            "end": dict(self.end),
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def apply_diff(states: dict[str, dict[str, Any]], diff: Mapping[str, Mapping[str, Any]]) -> None:
    """Apply one step's diff. Never mutates a value in place: snapshots share the old ones."""
    for node, fields in diff.items():
        state = states[node]
        splices = fields.get(SPLICE_FIELD)
        if splices is None:
            state.update(fields)
            continue
        for name, value in fields.items():
            if name != SPLICE_FIELD:
                state[name] = value
        for name, (start, items) in splices.items():
            state[name] = state[name][:start] + items


def _full_values(fields: Mapping[str, Any], state: Mapping[str, Any]) -> dict[str, Any]:
    """A node's diff with each splice replaced by the field's full value (taken from ``state``)."""
    out = {name: value for name, value in fields.items() if name != SPLICE_FIELD}
    for name in fields.get(SPLICE_FIELD, ()):
        out[name] = state[name]
    return out


def _id_order(pid: str) -> tuple[str, int]:
    return (pid[0], int(pid[1:]) if pid[1:].isdigit() else 0)
