"""Anti-entropy repair with Merkle trees (Dynamo / Cassandra repair): replicas ``r1`` .. ``rN``.

Theory of operation
-------------------
Every replica holds a value for each key of a fixed key space ``k00`` .. (param ``keys``),
each stamped with a version ``(ts, origin)`` (a Lamport clock and the writer; all keys start at
value 0, version ``(0, "")``). Clients write at any replica (``{"f": "put", "key", "value"}``);
copies are reconciled by keeping the larger version (Demers et al. 1987 §1.1,
``protocols.gossip.merge_entry``). Replicas that were cut off from each other drift apart.

**Repair (DeCandia et al., "Dynamo", SOSP 2007, §4.7; R. Merkle, CRYPTO 1987).** Each replica
keeps a Merkle tree over its key space (``protocols/merkle.py``: ``fanout`` children per node,
``depth`` levels, leaves = key ranges). Every ``repair_ticks`` a replica not already repairing
picks a peer at random and runs one session, top-down:

1. ``HashRequest`` for the root; the peer answers ``Hashes`` (its hashes of the asked nodes).
2. The initiator compares them with its own tree. Equal subtrees are done — whole ranges proved
   identical by one hash. For every differing inner node it asks for the children's hashes.
3. For every differing leaf it sends its entries of that range (``Entries``); the peer keeps the
   newer version of each key and answers with its own (merged) entries of those ranges
   (``EntriesBack``), which the initiator merges: both now hold the same range.

The session ends when nothing is outstanding, or is abandoned after ``repair_ticks`` (a lost
message, a crashed peer). Only differing ranges are shipped: ``repair_cost`` counts the
session's messages and bytes next to a full-state push-pull exchange (each side sends its whole
store, as in Demers's anti-entropy).

History variables: ``peak`` (the largest version held per key), ``learned`` (every version a
replica adopted) and ``repairs`` (each
completed session: its peer, whether it was *clean* — neither replica's store changed during it
except by the session's own merges, checked with the peer's change counter ``changes`` carried in
every answer — and both change counters at its end).

Invariants: **Repair agreement** — after a clean session, while neither replica has changed
since, the two stores are equal (compared entry by entry, not by hash: a hash that misses a
difference is caught); **Versions only grow** (``protocols.gossip``).

Bug variants (each breaks Repair agreement):

* ``hash-ignores-values`` — leaves hash the key names of their range only, so two replicas that
  hold different values of the same keys have equal trees and the repair sees nothing;
* ``first-differing-child-only`` — at each comparison the initiator follows only the first
  differing node and forgets the others: with differences in two ranges, one is never repaired.

Deviations from the source
--------------------------
- Dynamo keeps one tree per key range a node hosts and compares trees of common ranges; here
  every replica holds the whole key space (one tree). Cassandra's repair builds trees on demand
  (validation compaction) and streams ranges; here trees are rebuilt from the store at each
  comparison (cheap at these sizes) and ranges are exchanged both ways in one round trip.
- The initiator drives the whole descent, one level per round trip; there is no read repair and
  no hinted handoff. Deletes (tombstones) are not modelled.
- Replicas stop starting sessions at ``horizon_ticks`` so that a run ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from protocols import merkle
from protocols.gossip import merge_entry, raise_peak, version, versions_only_grow
from sim.protocol import Bug, Invariant, Param, ProtocolSpec, Violation
from sim.types import ClientRequest, Deliver, Node, Note, Reply, Restart, Send, SetTimer, Start, Timer

HASH_BYTES = 32  # a SHA-256 digest
ADDR_BYTES = 4  # a tree node's (level, index)
HEADER_BYTES = 16  # type, session, request number


# ---------------------------------------------------------------------------- messages
@dataclass(frozen=True, slots=True, kw_only=True)
class HashRequest:
    """Initiator → peer: send me your hashes of these tree nodes ``(level, index)``."""

    session: str
    req: int
    nodes: tuple


@dataclass(frozen=True, slots=True, kw_only=True)
class Hashes:
    """Peer → initiator: ``(level, index, hash)`` for each asked node, and the peer's change counter."""

    session: str
    req: int
    hashes: tuple
    changes: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Entries:
    """Initiator → peer: my entries of these differing leaf ranges (leaf index → {key: entry})."""

    session: str
    req: int
    leaves: dict


@dataclass(frozen=True, slots=True, kw_only=True)
class EntriesBack:
    """Peer → initiator: its entries of those ranges after merging mine; how many keys it took."""

    session: str
    req: int
    leaves: dict
    applied: int
    changes: int


# ----------------------------------------------------------------------------- replicas
class MerkleReplica(Node):
    DURABLE = ("store", "clock", "changes", "peak", "learned", "repairs")
    VOLATILE = ("root", "session", "sessions_started")
    HISTORY = ("peak", "learned", "repairs")
    LOGS = ("learned", "repairs")
    COPY_ON_WRITE = ("store", "session", "peak")
    ROLE = "peer"

    def __init__(self, *args) -> None:
        super().__init__(*args)
        p = self.params
        self.others = tuple(x for x in self.peers if x != self.node_id)
        self.names = merkle.key_names(p["keys"])
        self.store: dict[str, dict] = {k: {"value": 0, "ts": 0, "origin": ""} for k in self.names}
        self.clock = 0
        self.changes = 0  # store changes so far, any cause (peers read it to tell a clean session)
        self.peak: dict[str, list] = {}  # key -> the largest version ever held — history
        self.learned: list[tuple] = []  # (update id, key, ts, origin, time) — history
        self.repairs: list[tuple] = []  # (session, peer, clean, my changes, peer's changes, time) — history
        self.session: dict | None = None
        self.sessions_started = 0
        self._tree_of: tuple = (None, None)  # (store object, its tree): not state, a cache (store is copy-on-write)
        self.root = self._tree()[0][0][:8]

    def _tree(self) -> list[list[str]]:
        """The Merkle tree of the current store, rebuilt only after the store object changed."""
        if self._tree_of[0] is not self.store:
            p = self.params
            self._tree_of = (self.store, merkle.build_tree(self.store, p["keys"], p["fanout"], p["depth"],
                                                           keys_only=self.bug == "hash-ignores-values"))
        return self._tree_of[1]

    def _range(self, leaf: int) -> dict:
        lo, hi = merkle.leaf_range(leaf, self.params["keys"], self.params["fanout"], self.params["depth"])
        return {k: self.store[k] for k in self.names[lo:hi]}

    # -- the door
    def step(self, inp, now):
        if isinstance(inp, (Start, Restart)):
            return self._arm(now, first=isinstance(inp, Start))
        if isinstance(inp, Timer) and inp.name == "repair":
            return self._on_repair_timer(now)
        if isinstance(inp, ClientRequest):
            return self._on_client(inp.client, inp.op, now)
        if isinstance(inp, Deliver):
            return self._on_message(inp.src, inp.msg, now)
        return []

    def _arm(self, now: int, first: bool = False) -> list:
        horizon = self.params["horizon_ticks"]
        if (horizon and now >= horizon) or not self.others:
            return []
        jitter = self.rng.randint(0, self.params["repair_ticks"] // 2) if first else 0
        return [SetTimer(name="repair", after=self.params["repair_ticks"] + jitter)]

    # -- clients
    def _on_client(self, client: str, op: Mapping[str, Any], now: int) -> list:
        key = op.get("key")
        if key not in self.store:
            return [Reply(client=client, result={"ok": False, "error": "bad_key"})]
        if op.get("f") == "get":
            return [Reply(client=client, result={"ok": True, "value": self.store[key]["value"]})]
        if op.get("f") != "put":
            return [Reply(client=client, result={"ok": False, "error": "bad_op"})]
        self.clock += 1
        self._adopt(key, {"value": op.get("value"), "ts": self.clock, "origin": self.node_id}, now)
        self.root = self._tree()[0][0][:8]
        return [Note(key="merkle.note.write", args={"node": self.node_id, "target": key, "value": op.get("value")}),
                Reply(client=client, result={"ok": True})]

    def _adopt(self, key: str, entry: Mapping[str, Any], now: int) -> None:
        self.store = {**self.store, key: dict(entry)}
        self.peak = raise_peak(self.peak, key, entry)
        self.changes += 1
        self.learned.append((f"{entry['origin']}:{entry['ts']}", key, entry["ts"], entry["origin"], now))

    def _merge(self, leaves: Mapping[str, Mapping[str, Any]], now: int) -> list[str]:
        took = []
        for leaf in sorted(leaves, key=int):
            for key, theirs in sorted(leaves[leaf].items()):
                mine = self.store.get(key)
                if key in self.store and merge_entry(mine, theirs) is theirs and version(theirs) != version(mine):
                    self.clock = max(self.clock, theirs["ts"])
                    self._adopt(key, theirs, now)
                    took.append(key)
        if took:
            self.root = self._tree()[0][0][:8]
        return took

    # -- the initiator's session
    def _on_repair_timer(self, now: int) -> list:
        horizon = self.params["horizon_ticks"]
        if horizon and now >= horizon:
            return []
        out: list = []
        if self.session is not None:
            if now - self.session["started"] < self.params["repair_ticks"]:
                return self._arm(now)
            out.append(Note(key="merkle.note.abandon", args={"node": self.node_id, "peer": self.session["peer"]}))
            self.session = None
        peer = self.rng.choice(self.others)
        self.sessions_started += 1
        sid = f"{self.node_id}.{self.sessions_started}"
        self.session = {"id": sid, "peer": peer, "started": now, "next_req": 2, "pending": [1],
                        "a_lo": None, "b_lo": None, "b_hi": None, "applied_a": 0, "applied_b": 0}
        out += [Note(key="merkle.note.start", args={"node": self.node_id, "peer": peer}),
                Send(dst=peer, msg=HashRequest(session=sid, req=1, nodes=((0, 0),)))]
        return out + self._arm(now)

    def _answer(self, msg, changes: int) -> dict | None:
        """The session with ``msg.req`` outstanding, updated for this answer; None for a stale/duplicate one."""
        s = self.session
        if s is None or s["id"] != msg.session or msg.req not in s["pending"]:
            return None
        s = {**s, "pending": [r for r in s["pending"] if r != msg.req]}
        if s["b_lo"] is None:
            s["a_lo"], s["b_lo"] = self.changes, changes
        s["b_hi"] = max(s["b_hi"] or 0, changes)
        return s

    def _on_hashes(self, src: str, msg: Hashes, now: int) -> list:
        s = self._answer(msg, msg.changes)
        if s is None:
            return []
        tree, depth = self._tree(), self.params["depth"]
        differ = [(lvl, i) for (lvl, i, h) in msg.hashes if tree[lvl][i] != h]
        if self.bug == "first-differing-child-only":
            differ = differ[:1]
        inner = [c for (lvl, i) in differ if lvl < depth for c in merkle.children(lvl, i, self.params["fanout"])]
        leaves = [i for (lvl, i) in differ if lvl == depth]
        out: list = [Note(key="merkle.note.compare", args={
            "node": self.node_id, "peer": src, "compared": len(msg.hashes), "differ": len(differ),
            "nodes": ", ".join(f"{lvl}.{i}" for lvl, i in differ) or "-"})]
        for msg_out in ([HashRequest(session=s["id"], req=s["next_req"], nodes=tuple(inner))] if inner else []) + (
                [Entries(session=s["id"], req=s["next_req"] + bool(inner),
                         leaves={str(i): self._range(i) for i in leaves})] if leaves else []):
            s["pending"] = s["pending"] + [msg_out.req]
            out.append(Send(dst=src, msg=msg_out))
        s["next_req"] += bool(inner) + bool(leaves)
        return out + self._settle(s, now)

    def _on_entries_back(self, src: str, msg: EntriesBack, now: int) -> list:
        s = self._answer(msg, msg.changes)
        if s is None:
            return []
        took = self._merge(msg.leaves, now)
        s = {**s, "applied_a": s["applied_a"] + len(took), "applied_b": s["applied_b"] + msg.applied}
        out = [Note(key="merkle.note.ranges", args={"node": self.node_id, "peer": src,
                                                     "keys": ", ".join(took) or "-"})]
        return out + self._settle(s, now)

    def _settle(self, s: dict, now: int) -> list:
        """Keep the session, or close it when nothing is outstanding (recording whether it was clean)."""
        if s["pending"]:
            self.session = s
            return []
        clean = s["b_hi"] - s["b_lo"] == s["applied_b"] and self.changes - s["a_lo"] == s["applied_a"]
        self.repairs.append((s["id"], s["peer"], clean, self.changes, s["b_hi"], now))
        self.session = None
        return [Note(key="merkle.note.done", args={"node": self.node_id, "peer": s["peer"],
                                                    "keys": s["applied_a"] + s["applied_b"]})]

    # -- the peer's side
    def _on_message(self, src: str, msg: Any, now: int) -> list:
        if isinstance(msg, HashRequest):
            tree = self._tree()
            hashes = tuple((lvl, i, tree[lvl][i]) for (lvl, i) in msg.nodes)
            return [Send(dst=src, msg=Hashes(session=msg.session, req=msg.req, hashes=hashes, changes=self.changes))]
        if isinstance(msg, Entries):
            took = self._merge(msg.leaves, now)
            back = {leaf: self._range(int(leaf)) for leaf in msg.leaves}
            out = [Note(key="merkle.note.ranges", args={"node": self.node_id, "peer": src,
                                                         "keys": ", ".join(took) or "-"})]
            return out + [Send(dst=src, msg=EntriesBack(session=msg.session, req=msg.req, leaves=back,
                                                        applied=len(took), changes=self.changes))]
        if isinstance(msg, Hashes):
            return self._on_hashes(src, msg, now)
        if isinstance(msg, EntriesBack):
            return self._on_entries_back(src, msg, now)
        return []


# -------------------------------------------------------------------------- invariants
def repair_agreement(states):
    """Merkle 1987 / Dynamo §4.7: a clean repair leaves both replicas with equal stores; checked while
    neither has changed since (the change counters recorded at the end of the session)."""
    for a, s in sorted(states.items()):
        if not s.get("repairs") or s.get("store") is None:
            continue
        _sid, b, clean, a_changes, b_changes, _t = s["repairs"][-1]
        other = states.get(b) or {}
        if not clean or s.get("changes") != a_changes or other.get("changes") != b_changes:
            continue
        theirs = other.get("store") or {}
        if s["store"] == theirs:  # the common case, compared in C
            continue
        differ = [k for k in sorted(s["store"]) if version(s["store"][k]) != version(theirs.get(k))
                  or s["store"][k].get("value") != (theirs.get(k) or {}).get("value")]
        if differ:
            return Violation(key="merkle.violation.disagree", args={"node": a, "peer": b,
                                                                    "keys": ", ".join(differ[:6])})
    return None


INVARIANTS = (
    Invariant(name="Repair agreement", check=repair_agreement,
              source="R. Merkle, CRYPTO 1987; DeCandia et al., Dynamo, SOSP 2007, §4.7",
              description_key="merkle.inv.agreement", label_key="merkle.inv_label.agreement",
              reads=("repairs", "changes", "store")),
    Invariant(name="Versions only grow", check=versions_only_grow,
              source="Demers et al. 1987, §1.1 (larger timestamp wins)",
              description_key="merkle.inv.grow", label_key="merkle.inv_label.grow", reads=("store", "peak")),
)


# ------------------------------------------------------------------------ measurement
def message_bytes(payload: Mapping[str, Any]) -> int:
    """Estimated wire size of one repair message (its trace JSON): a header, 32 bytes per hash,
    4 per tree address, and each entry's ``key|ts|origin|value`` bytes."""
    kind = payload.get("type")
    if kind == "HashRequest":
        return HEADER_BYTES + ADDR_BYTES * len(payload["nodes"])
    if kind == "Hashes":
        return HEADER_BYTES + 8 + (ADDR_BYTES + HASH_BYTES) * len(payload["hashes"])
    if kind in ("Entries", "EntriesBack"):
        return HEADER_BYTES + 8 + sum(ADDR_BYTES + sum(len(merkle.entry_bytes(k, e)) for k, e in leaf.items())
                                      for leaf in payload["leaves"].values())
    return 0


def repair_cost(trace) -> dict[str, int]:
    """Messages and bytes the Merkle repairs of a run sent, next to full-state exchange: for every
    session started, both replicas sending their whole store (2 messages; bytes from the final stores)."""
    merkle_msgs = merkle_bytes = 0
    sessions: dict[str, str] = {}
    for e in trace.events:
        if e.kind == "send" and e.payload and e.payload.get("type") in ("HashRequest", "Hashes", "Entries",
                                                                         "EntriesBack"):
            merkle_msgs += 1
            merkle_bytes += message_bytes(e.payload)
            if e.payload["type"] == "HashRequest":
                sessions.setdefault(e.payload["session"], e.node)
    final = trace.states_at(trace.n_steps - 1)
    full_bytes = 0
    for sid, initiator in sessions.items():
        peer = next((r[1] for s in final.values() for r in s.get("repairs") or () if r[0] == sid), None)
        for n in (initiator, peer or initiator):
            store = final[n].get("store") or {}
            full_bytes += HEADER_BYTES + sum(len(merkle.entry_bytes(k, v)) for k, v in store.items())
    return {"sessions": len(sessions), "merkle_messages": merkle_msgs, "merkle_bytes": merkle_bytes,
            "full_messages": 2 * len(sessions), "full_bytes": full_bytes}


def _default_workload(params):
    """r1 and r2 write different keys while nobody repairs yet; repair then finds the two ranges."""
    names = merkle.key_names(params["keys"])
    return [{"at": 1, "node": "r1", "client": "c1", "op": {"f": "put", "key": names[1], "value": 7}},
            {"at": 2, "node": "r2", "client": "c2", "op": {"f": "put", "key": names[-2], "value": 9}}]


SPEC = ProtocolSpec(
    id="merkle-anti-entropy",
    title_key="proto.merkle-anti-entropy.title",
    summary_key="proto.merkle-anti-entropy.summary",
    source="R. Merkle, A Digital Signature Based on a Conventional Encryption Function, CRYPTO 1987; "
           "G. DeCandia et al., Dynamo: Amazon's Highly Available Key-value Store, SOSP 2007, §4.7; "
           "A. Demers et al., PODC 1987",
    params=(
        Param(name="replicas", default=2, minimum=2, maximum=5, help_key="merkle.param.replicas"),
        Param(name="keys", default=64, minimum=4, maximum=512, help_key="merkle.param.keys"),
        Param(name="fanout", default=2, minimum=2, maximum=4, help_key="merkle.param.fanout"),
        Param(name="depth", default=3, minimum=1, maximum=5, help_key="merkle.param.depth"),
        Param(name="repair_ticks", default=100, minimum=10, maximum=100_000, help_key="merkle.param.repair_ticks"),
        Param(name="horizon_ticks", default=400, minimum=0, maximum=1_000_000,
              help_key="merkle.param.horizon_ticks"),
    ),
    bugs=(Bug(id="hash-ignores-values", description_key="merkle.bug.hash_ignores_values",
              breaks=("Repair agreement",)),
          Bug(id="first-differing-child-only", description_key="merkle.bug.first_child_only",
              breaks=("Repair agreement",))),
    invariants=INVARIANTS,
    node_ids=lambda params: tuple(f"r{i + 1}" for i in range(params["replicas"])),
    make_node=lambda node_id, ids, params, bug, rng: MerkleReplica(node_id, ids, params, bug, rng),
    default_workload=_default_workload,
)
