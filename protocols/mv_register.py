"""MV-Register: a multi-value register that keeps every concurrent write (a state-based CRDT).

Theory of operation
-------------------
Shapiro et al., INRIA RR-7506, 2011, §3.2 (the register of Dynamo's shopping cart, DeCandia et al.
SOSP 2007): the state is a set of ``(value, version vector)`` pairs. ``set(v)`` at replica ``i``
replaces them all by one pair whose vector dominates theirs (their pointwise maximum, entry ``i``
plus one). Merge keeps the pairs of both sides that no other pair's vector strictly dominates: a
write that saw another supersedes it, and writes that did not see each other are both kept. The
value is the set of those values (siblings); the next write that has seen them resolves them.
Replicas, anti-entropy and the shared invariants are ``protocols.crdt_replica``'s; the lattice
functions are in ``protocols.crdt_types``.

Bug variant ``pick-one``: merge keeps only one of several concurrent values. Replicas still
converge — but to a value that silently drops a concurrent write, which is what an MV-Register
is for: strong convergence is not the whole specification.

Deviations from the source
--------------------------
See ``protocols.crdt_types`` and ``protocols.crdt_replica``.
"""

from __future__ import annotations

from protocols.crdt_replica import make_spec
from protocols.crdt_types import MV_REGISTER
from sim.protocol import Bug


def _workload(params):
    """Two concurrent writes become siblings; a later write at r3 that has seen both resolves them."""
    reps = [f"r{i + 1}" for i in range(params["replicas"])]
    return [{"at": 10, "node": reps[0], "client": "c1", "op": {"f": "set", "value": "blue"}},
            {"at": 10, "node": reps[1], "client": "c2", "op": {"f": "set", "value": "green"}},
            {"at": 200, "node": reps[-1], "client": "c1", "op": {"f": "read"}}]


SPEC = make_spec(
    crdt=MV_REGISTER,
    bugs=(Bug(id="pick-one", description_key="crdt.bug.pick_one",
              breaks=("Strong convergence", "Inflation", "Matches specification")),),
    workload=_workload,
)
