"""PN-Counter: a counter that can go down, as a pair of G-Counters (a state-based CRDT).

Theory of operation
-------------------
Shapiro et al., INRIA RR-7506, 2011, §3.1: one G-Counter cannot count down — a decrement would
lower an entry, and merge (the maximum) would undo it. So the state is a pair ``(P, N)`` of
G-Counters: ``inc`` at ``i`` raises ``P[i]``, ``dec`` raises ``N[i]``; the value is ``ΣP − ΣN``
and merge takes the pointwise maximum of both halves. Both halves only grow (the state is an
inflation) while the value may go down. Replicas, anti-entropy and the shared invariants are
``protocols.crdt_replica``'s; the lattice functions are in ``protocols.crdt_types``.

Bug variant ``sum-merge``: merge adds both halves — increments and decrements received twice
count twice, so the value drifts with every resent state.

Deviations from the source
--------------------------
See ``protocols.crdt_replica`` and ``protocols.crdt_types``.
"""

from __future__ import annotations

from protocols.crdt_replica import make_spec, own_entry_invariant
from protocols.crdt_types import PN_COUNTER
from sim.protocol import Bug


def _workload(params):
    """Stock of an item: r1 receives 3, r2 sells one, r1 sells one; later everybody reads."""
    reps = [f"r{i + 1}" for i in range(params["replicas"])]
    return [{"at": 0, "node": reps[0], "client": "c1", "op": {"f": "inc", "by": 3}},
            {"at": 5, "node": reps[1], "client": "c2", "op": {"f": "dec"}},
            {"at": 10, "node": reps[0], "client": "c1", "op": {"f": "dec"}}] + [
        {"at": 250, "node": r, "client": f"c{k + 1}", "op": {"f": "read"}} for k, r in enumerate(reps)]


SPEC = make_spec(
    crdt=PN_COUNTER,
    bugs=(Bug(id="sum-merge", description_key="crdt.bug.sum_merge_pn",
              breaks=("Strong convergence", "Matches specification", "Own entry is the largest")),),
    workload=_workload,
    extra_invariants=(own_entry_invariant(("p", "n")),),
)
