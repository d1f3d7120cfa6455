"""The replica node every CRDT protocol runs, its invariants, the SPEC builder and the convergence series.

Not a protocol (not registered): ``g_counter``, ``pn_counter``, ``lww_register``, ``mv_register``
and ``or_set`` each call ``make_spec`` with their type from ``protocols.crdt_types``.

Theory of operation
-------------------
Replicas ``r1`` .. ``rN`` each hold one state of the type. A client op (``{f: inc}``,
``{f: dec, by}``, ``{f: set, value}``, ``{f: add, elem}``, ``{f: remove, elem}``, ``{f: read}``)
sent to a replica is applied there at once and answered — no coordination, so every replica is
available under any partition. The update gets the stamp ``(replica, seq, now)``: ``seq`` counts
the replica's own updates, ``now`` is its clock, which a ``skew`` fault shifts (the LWW-Register's
timestamps).

**State-based anti-entropy** (Shapiro et al. SSS 2011, §2): every ``gossip_interval`` ticks a
replica sends its whole state to one peer drawn from its seeded RNG (``Gossip``), which merges it
(least upper bound). Because merge is commutative, associative and idempotent, loss (the next
round resends), duplication and reordering are all harmless. Replicas stop gossiping at
``horizon_ticks`` so a run ends quiescent.

**History variables** (ghost state, never read by the protocol): ``seen`` is the version vector of
the updates the state reflects — ``seen[o]`` = how many of ``o``'s updates; it travels with the
state and merges by pointwise max, which is exact because a replica's state always contains all of
its own earlier updates. ``mine`` logs the replica's own updates with their causal context
(``ctx`` = ``seen`` just before). ``prev_state`` is the state before the last change.

Invariants (over the recorded states):

* **Strong convergence** (SSS 2011 §2): replicas whose states reflect the same updates (equal
  ``seen``) have equal values.
* **Inflation** (SSS 2011 §2, monotonic semilattice; ``Monotonicity`` in the TLA+ ``CRDT.tla``):
  a replica's state never goes down in the lattice order — ``prev_state ≤ state``.
* **Matches specification** (RR-7506 §3; Burckhardt et al. POPL 2014): a replica's value is the
  type's specification applied to the updates it has seen (``mine`` of every origin, cut at
  ``seen``) and their causal order.
* Counters add **Own entry is the largest** (``Safety`` of ``CRDT.tla``: ``counter[n][n] >=
  counter[o][n]``): only replica ``i`` increases ``P[i]``, so nobody holds more of it than ``i``.

``values_over_time(trace)`` reads a finished run as each replica's value over the steps, the
series the convergence view (``viz.convergence``) draws and finds the convergence step in.

Deviations from the source
--------------------------
- Anti-entropy is push-only to one random peer per round, as in the gossip of Demers et al. 1987;
  Shapiro et al. only require that every state eventually reaches every replica.
- Everything is durable: a crash is only an outage. ``seen``/``mine``/``prev_state`` are
  history variables that a real replica would not keep; ``Gossip`` carries ``seen`` only for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from protocols.crdt_types import CrdtType, Stamp, vv_max
from sim.protocol import Bug, Invariant, Param, ProtocolSpec, Violation
from sim.types import ClientRequest, Deliver, Node, Note, Reply, Restart, Send, SetTimer, Start, Timer

SOURCE = ("M. Shapiro, N. Preguiça, C. Baquero, M. Zawirski, Conflict-free Replicated Data Types, SSS 2011; "
          "A comprehensive study of Convergent and Commutative Replicated Data Types, INRIA RR-7506, 2011")


@dataclass(frozen=True, slots=True, kw_only=True)
class Gossip:
    """Replica → peer: my whole state (and the ghost version vector of the updates it reflects)."""

    state: Any
    seen: dict


def show(value: Any) -> str:
    """A value as short text for notes: sets and sibling lists in braces, no value as ⊥."""
    if value is None:
        return "⊥"
    if isinstance(value, list):
        return "{" + ", ".join(show(v) for v in value) + "}"
    return str(value)


# ---------------------------------------------------------------------------- replica
class Replica(Node):
    DURABLE = ("value", "state", "seen", "prev_state", "mine")
    HISTORY = ("seen", "prev_state", "mine")
    LOGS = ("mine",)
    COPY_ON_WRITE = ("state", "seen", "prev_state")
    ROLE = "replica"

    def __init__(self, crdt: CrdtType, *args) -> None:
        super().__init__(*args)
        self.crdt = crdt
        self.others = tuple(p for p in self.peers if p != self.node_id)
        self.state = crdt.initial()
        self.value = crdt.value(self.state)
        self.seen: dict[str, int] = {}
        self.prev_state = self.state
        self.mine: list[dict] = []

    def step(self, inp, now):
        if isinstance(inp, (Start, Restart)):
            return self._arm(now)
        if isinstance(inp, Timer) and inp.name == "gossip":
            return self._send_gossip() + self._arm(now)
        if isinstance(inp, Deliver) and isinstance(inp.msg, Gossip):
            return self._on_gossip(inp.src, inp.msg)
        if isinstance(inp, ClientRequest):
            return self._on_client(inp.client, inp.op, now)
        return []

    def _arm(self, now: int) -> list:
        horizon = self.params["horizon_ticks"]
        if (horizon and now >= horizon) or not self.others:
            return []
        return [SetTimer(name="gossip", after=self.params["gossip_interval"])]

    def _set_state(self, new: Any) -> None:
        if new != self.state:
            self.prev_state, self.state = self.state, new
            self.value = self.crdt.value(new)

    # -- clients: apply locally at once, answer at once
    def _on_client(self, client: str, op: Mapping[str, Any], now: int) -> list:
        if op.get("f") == "read":
            return [Note(key="crdt.read", args={"node": self.node_id, "client": client, "value": show(self.value)}),
                    Reply(client=client, result={"ok": True, "value": self.value})]
        parsed = self.crdt.parse_op(op)
        if parsed is None:
            return [Reply(client=client, result={"ok": False, "error": "bad_op"})]
        seq = self.seen.get(self.node_id, 0) + 1
        stamp = Stamp(replica=self.node_id, seq=seq, now=now)
        self.mine.append({"origin": self.node_id, "seq": seq, "op": parsed, "ctx": dict(self.seen), "ts": now})
        self.seen = {**self.seen, self.node_id: seq}
        self._set_state(self.crdt.update_for(self.bug)(self.state, parsed, stamp))
        what = " ".join(str(parsed[k]) for k in ("f", "by", "value", "elem") if k in parsed)
        return [Note(key="crdt.update", args={"node": self.node_id, "client": client, "op": what, "ts": now,
                                              "value": show(self.value)}),
                Reply(client=client, result={"ok": True})]

    # -- anti-entropy
    def _send_gossip(self) -> list:
        peer = self.rng.choice(self.others)
        return [Send(dst=peer, msg=Gossip(state=self.state, seen=dict(self.seen)))]

    def _on_gossip(self, src: str, msg: Gossip) -> list:
        before = self.value
        seen = vv_max(self.seen, msg.seen)
        if seen != self.seen:  # rebinding only on change keeps the COPY_ON_WRITE field (and its checks) idle
            self.seen = seen
        self._set_state(self.crdt.merge_for(self.bug)(self.state, msg.state))
        if self.value == before:
            return []
        return [Note(key="crdt.merge", args={"node": self.node_id, "peer": src, "before": show(before),
                                             "value": show(self.value)})]


# ------------------------------------------------------------------------- invariants
def _replicas(states) -> dict[str, Mapping[str, Any]]:
    return {n: s for n, s in states.items() if s.get("seen") is not None}


def _key(vv: Mapping[str, int]) -> tuple:
    return tuple(sorted((k, n) for k, n in vv.items() if n))


def strong_convergence(states):
    """Shapiro et al. 2011 §2: replicas that delivered the same updates have equivalent state."""
    reps = _replicas(states)
    first: dict[tuple, str] = {}
    for n in sorted(reps):
        k = _key(reps[n]["seen"])
        other = first.setdefault(k, n)
        if other != n and reps[other]["value"] != reps[n]["value"]:
            return Violation(key="crdt.violation.convergence",
                             args={"node": other, "other": n, "value": show(reps[other]["value"]),
                                   "other_value": show(reps[n]["value"]),
                                   "seen": "[" + ", ".join(f"{o}:{c}" for o, c in k) + "]"})
    return None


def seen_updates(states, node: str) -> list:
    """The updates ``node``'s state reflects: each origin's ``mine`` cut at ``seen[origin]``."""
    reps = _replicas(states)
    seen = reps[node]["seen"]
    return [u for o in sorted(reps) for u in (reps[o].get("mine") or [])[:seen.get(o, 0)]]


def _inflation(crdt: CrdtType) -> Callable:
    def inflation(states):
        reps = _replicas(states)
        for n in sorted(reps):
            if not crdt.leq(reps[n]["prev_state"], reps[n]["state"]):
                return Violation(key="crdt.violation.inflation",
                                 args={"node": n, "before": show(crdt.value(reps[n]["prev_state"])),
                                       "value": show(reps[n]["value"])})
        return None
    return inflation


def _matches_spec(crdt: CrdtType) -> Callable:
    def matches_specification(states):
        reps = _replicas(states)
        for n in sorted(reps):
            want = crdt.spec(seen_updates(states, n))
            if reps[n]["value"] != want:
                return Violation(key="crdt.violation.spec",
                                 args={"node": n, "value": show(reps[n]["value"]), "expected": show(want),
                                       "count": sum(reps[n]["seen"].values())})
        return None
    return matches_specification


def own_entry_invariant(halves: tuple[str, ...]) -> Invariant:
    """CRDT.tla ``Safety``: no replica holds more of ``P[o]`` (or ``N[o]``) than ``o`` itself."""
    def vector(state, half):
        return state if not half else state[half]

    def own_entry_is_largest(states):
        reps = _replicas(states)
        for n in sorted(reps):
            for half in halves:
                for o, k in sorted(vector(reps[n]["state"], half).items()):
                    own = vector(reps[o]["state"], half).get(o, 0) if o in reps else k
                    if k > own:
                        return Violation(key="crdt.violation.own_entry",
                                         args={"node": n, "origin": o, "count": k, "own": own,
                                               "half": half.upper() or "P"})
        return None

    return Invariant(name="Own entry is the largest", check=own_entry_is_largest,
                     source="tlaplus/Examples FiniteMonotonic/CRDT.tla, Safety (counter[n][n] >= counter[o][n])",
                     description_key="crdt.inv.own_entry", label_key="crdt.inv_label.own_entry", reads=("state",))


def invariants(crdt: CrdtType, extra: tuple[Invariant, ...] = ()) -> tuple[Invariant, ...]:
    return (
        Invariant(name="Strong convergence", check=strong_convergence,
                  source="Shapiro et al., SSS 2011, §2 (strong eventual consistency)",
                  description_key="crdt.inv.convergence", label_key="crdt.inv_label.convergence",
                  reads=("value", "seen")),
        Invariant(name="Inflation", check=_inflation(crdt),
                  source="Shapiro et al., SSS 2011, §2 (monotonic semilattice); CRDT.tla, Monotonicity",
                  description_key="crdt.inv.inflation", label_key="crdt.inv_label.inflation",
                  reads=("state", "prev_state", "value")),
        Invariant(name="Matches specification", check=_matches_spec(crdt),
                  source="Shapiro et al., INRIA RR-7506, 2011, §3; Burckhardt et al., POPL 2014",
                  description_key="crdt.inv.spec", label_key="crdt.inv_label.spec",
                  reads=("value", "seen", "mine")),
    ) + extra


# ------------------------------------------------------------------------------ SPEC
def replica_ids(params) -> tuple[str, ...]:
    return tuple(f"r{i + 1}" for i in range(params["replicas"]))


PARAMS = (
    Param(name="replicas", default=3, minimum=2, maximum=5, help_key="crdt.param.replicas"),
    Param(name="gossip_interval", default=20, minimum=1, maximum=100_000, help_key="crdt.param.gossip_interval"),
    Param(name="horizon_ticks", default=300, minimum=0, maximum=1_000_000, help_key="crdt.param.horizon_ticks"),
)


def make_spec(*, crdt: CrdtType, bugs: tuple[Bug, ...], workload: Callable[[Mapping[str, Any]], list],
              extra_invariants: tuple[Invariant, ...] = ()) -> ProtocolSpec:
    """The ProtocolSpec of one CRDT: replicas of ``crdt`` with anti-entropy, its invariants and bugs."""
    known = set(crdt.bug_merges) | set(crdt.bug_updates)
    assert {b.id for b in bugs} <= known, "every bug variant must be implemented in crdt_types"
    return ProtocolSpec(
        id=crdt.id, title_key=f"proto.{crdt.id}.title", summary_key=f"proto.{crdt.id}.summary", source=SOURCE,
        params=PARAMS, bugs=bugs, invariants=invariants(crdt, extra_invariants), node_ids=replica_ids,
        make_node=lambda node_id, ids, params, bug, rng: Replica(crdt, node_id, ids, params, bug, rng),
        default_workload=workload)


# ------------------------------------------------------------------- convergence series
def values_over_time(trace) -> dict[str, list[tuple[int, Any]]]:
    """``{replica: [(step, value), ...]}``: the value after step 0 and after every step that changed it."""
    out: dict[str, list[tuple[int, Any]]] = {}
    for step, diff in trace.iter_changes():
        for node, fields in diff.items():
            if "value" in fields:
                points = out.setdefault(node, [])
                if not points or points[-1][1] != fields["value"]:
                    points.append((step, fields["value"]))
    return {n: out[n] for n in trace.nodes if n in out}
