"""G-Counter: a grow-only counter replicated as a vector of per-replica counts (a state-based CRDT).

Theory of operation
-------------------
Shapiro et al., INRIA RR-7506, 2011, §3.1 (and the TLA+ ``specifications/FiniteMonotonic/CRDT.tla``):
the state is a vector ``P`` with one entry per replica. ``inc`` at replica ``i`` does ``P[i] += 1``
(or ``by``); the value is ``Σ P``; merge is the pointwise maximum — commutative, associative and
idempotent, so states can be resent, duplicated and reordered at will. Each replica is the only
one that ever raises its own entry, so ``P[i]`` at ``i`` is the largest copy of it anywhere
(``Safety`` in ``CRDT.tla``). The replicas, anti-entropy and the other invariants are those of
``protocols.crdt_replica``; the lattice functions are in ``protocols.crdt_types``.

Bug variants: ``sum-merge`` (merge adds the vectors: the same increments, received twice, count
twice) and ``max-total`` (merge keeps the state with the larger total: concurrent increments on
the other side are lost) — the two failures the curriculum (§4.15) names.

Deviations from the source
--------------------------
See ``protocols.crdt_replica`` (push-only anti-entropy, durable state, history variables) and
``protocols.crdt_types`` (op-based counters are not implemented).
"""

from __future__ import annotations

from protocols.crdt_replica import make_spec, own_entry_invariant
from protocols.crdt_types import G_COUNTER
from sim.protocol import Bug


def _workload(params):
    """Each replica counts one visitor; later everybody reads the total."""
    reps = [f"r{i + 1}" for i in range(params["replicas"])]
    return ([{"at": 5 * k, "node": r, "client": f"c{k + 1}", "op": {"f": "inc"}} for k, r in enumerate(reps)]
            + [{"at": 250, "node": r, "client": f"c{k + 1}", "op": {"f": "read"}} for k, r in enumerate(reps)])


SPEC = make_spec(
    crdt=G_COUNTER,
    bugs=(Bug(id="sum-merge", description_key="crdt.bug.sum_merge",
              breaks=("Strong convergence", "Matches specification", "Own entry is the largest")),
          Bug(id="max-total", description_key="crdt.bug.max_total",
              breaks=("Inflation", "Matches specification", "Own entry is the largest"))),
    workload=_workload,
    extra_invariants=(own_entry_invariant(("",)),),
)
