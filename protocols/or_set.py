"""OR-Set: the observed-remove, add-wins set with unique tags and tombstones (a state-based CRDT).

Theory of operation
-------------------
Shapiro et al., INRIA RR-7506, 2011, §3.3: ``add(e)`` attaches a fresh unique tag to ``e``;
``remove(e)`` tombstones the tags of ``e`` that this replica has *observed*; ``e`` is in the set iff
some tag of it is not tombstoned. Merge is the union of the tags and of the tombstones. A remove
only cancels the adds it saw, so an add concurrent with a remove survives (add wins), and a
removed element stays removed however the states travel. Replicas, anti-entropy and the shared
invariants are ``protocols.crdt_replica``'s; the lattice functions are in ``protocols.crdt_types``.

Bug variant ``naive-set``: remove simply deletes the element and merge is the union — the remove
is not an inflation, so the next merge with a replica that still has the element brings it back:
the "deleted item reappears" anomaly of Dynamo's shopping cart (DeCandia et al. SOSP 2007, §4.4).

Deviations from the source
--------------------------
See ``protocols.crdt_types`` (elements are strings; tags are ``"replica:seq"``; tombstones are never
collected) and ``protocols.crdt_replica``.
"""

from __future__ import annotations

from protocols.crdt_replica import make_spec
from protocols.crdt_types import OR_SET
from sim.protocol import Bug


def _workload(params):
    """A shopping cart: milk is added at r1, removed at r2 after it arrived, eggs added at r1."""
    reps = [f"r{i + 1}" for i in range(params["replicas"])]
    return [{"at": 0, "node": reps[0], "client": "c1", "op": {"f": "add", "elem": "milk"}},
            {"at": 100, "node": reps[1], "client": "c2", "op": {"f": "remove", "elem": "milk"}},
            {"at": 110, "node": reps[0], "client": "c1", "op": {"f": "add", "elem": "eggs"}},
            {"at": 280, "node": reps[-1], "client": "c1", "op": {"f": "read"}}]


SPEC = make_spec(
    crdt=OR_SET,
    bugs=(Bug(id="naive-set", description_key="crdt.bug.naive_set",
              breaks=("Strong convergence", "Inflation", "Matches specification")),),
    workload=_workload,
)
