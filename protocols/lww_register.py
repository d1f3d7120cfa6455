"""LWW-Register: a last-writer-wins register, ordered by (timestamp, replica) (a state-based CRDT).

Theory of operation
-------------------
Shapiro et al., INRIA RR-7506, 2011, §3.2: the state is ``(value, timestamp, replica)``; ``set(v)``
stamps ``v`` with the replica's clock and merge keeps the state with the larger ``(timestamp,
replica)`` — a total order, so merge is a least upper bound and all replicas converge. The price
is in the semantics: of two concurrent writes one is silently lost, and which one depends on the
clocks. A ``skew`` fault sets a replica's clock behind, and a write made there *later in real
time* loses to an older one. Replicas, anti-entropy and the shared invariants are
``protocols.crdt_replica``'s; the lattice functions are in ``protocols.crdt_types``.

Bug variant ``no-tiebreak``: merge compares timestamps only and, on a tie, keeps the local value.
Merge is then not commutative: two replicas that wrote in the same tick keep their own value for
ever, though both have seen both writes.

Deviations from the source
--------------------------
See ``protocols.crdt_types`` (the ``seq`` tie-break within a replica; a local write with an older
timestamp than the held one is lost at once) and ``protocols.crdt_replica``.
"""

from __future__ import annotations

from protocols.crdt_replica import make_spec
from protocols.crdt_types import LWW_REGISTER
from sim.protocol import Bug


def _workload(params):
    """Two replicas write in the same tick; the larger replica id wins everywhere."""
    reps = [f"r{i + 1}" for i in range(params["replicas"])]
    return [{"at": 10, "node": reps[0], "client": "c1", "op": {"f": "set", "value": "blue"}},
            {"at": 10, "node": reps[1], "client": "c2", "op": {"f": "set", "value": "green"}}] + [
        {"at": 250, "node": r, "client": f"c{k + 1}", "op": {"f": "read"}} for k, r in enumerate(reps)]


SPEC = make_spec(
    crdt=LWW_REGISTER,
    bugs=(Bug(id="no-tiebreak", description_key="crdt.bug.no_tiebreak",
              breaks=("Strong convergence", "Matches specification")),),
    workload=_workload,
)
