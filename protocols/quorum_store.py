"""A leaderless, Dynamo-style quorum key-value store: nodes ``n1`` .. ``nM``, N replicas per key.

Theory of operation
-------------------
Names follow DeCandia et al., "Dynamo: Amazon's Highly Available Key-value Store" (SOSP 2007).

1. **Preference list (§4.2, §4.3).** The nodes sit on a ring in id order; a key's position is
   ``zlib.crc32(key) mod M`` (a stable hash: Python's ``hash()`` is salted per process), and
   its preference list is the ring read clockwise from there. The first N nodes are the key's
   replicas; the rest are the fallbacks a sloppy quorum may borrow.
2. **Coordination (§4.5).** The node a client asks *coordinates* the request, replica or not.
   A ``put`` makes a new version and sends ``Put`` to the N replicas (a coordinator that is a
   replica stores it at once and counts itself); it answers ``{"ok": true}`` after W acks. A
   ``get`` sends ``Get`` to the N replicas and answers after R replies with the newest version
   among them (``None`` if none has the key). The coordinator waits ``timeout`` ticks; then a
   ``get`` fails (``{"ok": false, "error": "timeout"}``: a read has no effect) — see the
   deviations for a ``put``.
3. **Versions (§4.4).** ``vv = false``: last-writer-wins — a version's tag is the coordinator's
   clock reading ``(time, node, seq)``, and a replica keeps only the highest tag (the simulator
   can skew a node's clock, and then a *later* write can carry a *smaller* tag and vanish).
   ``vv = true``: the tag is a version vector; the coordinator takes the clocks of its own
   local versions as the context, so a write that did not see another is *concurrent* with it;
   a replica keeps every version that no other dominates (siblings). A read returns one value
   if one version survives, else the list of sibling values, sorted — the client must merge.
4. **Read repair (§4.7, ``read_repair``).** After answering a read, the coordinator sends the
   result's versions to every replica that replied with an older one (asynchronously: the
   client does not wait for it).
5. **Sloppy quorum and hinted handoff (§4.6, ``sloppy``).** If a replica has not answered
   after ``timeout // 2`` ticks, the coordinator asks the next unused fallback node on the
   preference list instead. A fallback stores a write as a *hint* for the replica it stands in
   for (and counts it as an ack); it sends the hint back (``Handoff``) every
   ``handoff_interval`` ticks until the owner acknowledges it, then drops it. A fallback answers
   reads from its hints too. A stand-in and the replica it stands in for count once towards R or
   W, should both answer (else one node could make up two of the W acks).

**What the checkers can say** (``claims``; tests/test_quorum_store.py proves each claim on
1,000 seeded runs per claimed configuration with crashes, restarts, partitions, loss,
duplication, reordering and, in half of them, a skewed clock). Every last-writer-wins
configuration gives ``monotonic-writes``, ``writes-follow-reads`` and ``eventual``: reads return
written values and never run in a causal circle — weak guarantees in the per-process reading of
``checkers.views``. With R + W > N and a strict quorum it also gives ``read-your-writes``: a
completed write is on W replicas, so every later read's R replies include a version of the key,
and its process's view can put the value read after its own writes. Nothing stronger: seeded
searches find, with R + W > N, a new/old inversion (one read sees a write still in flight, a
later read misses it: not linearizable) and one client reading new then old (not
monotonic-reads, so not PRAM). A sloppy quorum breaks read-your-writes (the write went to
stand-ins the read does not ask), and so does R + W ≤ N (a stale read). Clock skew makes LWW
drop a *later* write silently (preset ``quorum-store-lww-lost-write``: not linearizable, not
PRAM; read-your-writes alone survives, since a process's view may reorder its own writes). With
``vv`` a read with siblings returns a *list* of values, which no write wrote: every model of the
register vocabulary rejects that history (even ``eventual``), so ``vv`` claims nothing — the
siblings are the application's merge problem, not a register's answer.

History variables (never read by the protocol), kept small so that checking them after every
step costs the same at step 10 as at step 100,000: ``peak`` (per node and key: the *frontier* —
the versions no other dominates — of every version the node has ever stored) and ``acked`` (per
coordinator and key: the frontier of the tags of the writes it acknowledged, each with its W).
"Versions only grow" says every version in ``peak`` is still covered by a stored version: it
breaks at exactly the step at which a replica discards a version that nothing it keeps
supersedes (before it, the store covered all of ``peak``; the discarded version covered what
is now uncovered), and holds again once the replica stores a version superseding all it ever
held. "Acknowledged writes stay on W nodes" needs only the frontier, because a node holding a
version that supersedes tag *t* also supersedes every tag *t* supersedes: the frontier has the
fewest holders.

Deviations from the paper
-------------------------
- A ``put`` whose W acks do not arrive in time is answered ``{"indeterminate": true,
  "reason": "timeout"}`` (like Cassandra's WriteTimeoutException): some replicas may have
  stored it and Dynamo never rolls a write back, so it is *indeterminate*, not a failure —
  answering ``{"ok": false}`` would tell the checkers that it had no effect, which is false.
  The history shows it as ``info`` (``checkers.from_trace``); the event log notes
  ``qs.put_timeout``.
- No consistent hashing with virtual nodes, no membership or gossip-based failure detection:
  the ring is fixed, and "unreachable" means "has not answered within ``timeout // 2``".
- Clients carry no context: a ``put`` takes the coordinator's local versions as its context
  (Dynamo's client passes the context of its last ``get``). Version vectors are not truncated.
- No Merkle-tree anti-entropy (§4.7): replicas converge only through writes, read repair and
  hinted handoff, so a write that reached fewer than N replicas may never reach the others.
- A read waits for R replies and repairs only the replicas that answered by then.
- A request from a client to a non-replica is coordinated there (Dynamo would forward it to a
  node of the preference list).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from typing import Any

from sim.protocol import Bug, Invariant, Param, ProtocolSpec, Violation
from sim.types import CancelTimer, ClientRequest, Deliver, Node, Note, Reply, Restart, Send, SetTimer, Timer

# A version is ``(value, tag)``. LWW tag: ``(time, node, seq)``; vv tag: ``((node, counter), ...)`` sorted.


# ---------------------------------------------------------------------------- messages
@dataclass(frozen=True, slots=True, kw_only=True)
class Put:
    """Coordinator → replica (or stand-in, with ``hint`` = the replica it stands in for)."""

    op: str  # the coordinator's request id ("" for read repair: no ack expected)
    key: str
    version: tuple
    hint: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PutAck:
    op: str
    key: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Get:
    op: str
    key: str


@dataclass(frozen=True, slots=True, kw_only=True)
class GetReply:
    op: str
    key: str
    versions: tuple  # every version the node holds for the key (replica store and hints)


@dataclass(frozen=True, slots=True, kw_only=True)
class Handoff:
    """Stand-in → owner: a hinted write, handed back (§4.6)."""

    key: str
    version: tuple


@dataclass(frozen=True, slots=True, kw_only=True)
class HandoffAck:
    key: str
    version: tuple


# ---------------------------------------------------------------------------- versions
def _tup(x: Any) -> Any:
    """JSON lists (a restored or recorded state) back to tuples, recursively."""
    return tuple(_tup(v) for v in x) if isinstance(x, (list, tuple)) else x


def is_vv(tag: Any) -> bool:
    return len(tag) == 0 or isinstance(tag[0], (list, tuple))


def descends(a: Any, b: Any) -> bool:
    """Tag ``a`` equals or supersedes tag ``b`` (LWW: a ≥ b; vv: a dominates b entry-wise).

    Tags may be tuples (live nodes) or JSON lists (recorded states the invariants read): a vv's
    pairs unpack the same either way, and an LWW tag is flat, so a shallow ``tuple`` makes the
    two comparable without rebuilding nested tags (the invariants call this a lot)."""
    if is_vv(a) and is_vv(b):
        ca = {n: c for n, c in a}
        return all(ca.get(n, 0) >= c for n, c in b)
    return tuple(a) >= tuple(b)


def frontier(tags: tuple) -> tuple:
    """The tags no other tag in ``tags`` strictly supersedes, without duplicates, in order."""
    out: list = []
    for t in tags:
        if not any(u != t and descends(u, t) for u in tags) and t not in out:
            out.append(t)
    return tuple(sorted(out))


def merge(versions: list, incoming: list, vv: bool) -> list:
    """LWW: the highest tag. vv: every version no other strictly dominates (siblings), deduplicated."""
    every = [(_tup(v), _tup(t)) for v, t in list(versions) + list(incoming)]
    if not every:
        return []
    if not vv:
        return [max(every, key=lambda x: x[1])]
    out: list = []
    for v, t in every:
        if any(u != t and descends(u, t) for _w, u in every) or any(u == t for _w, u in out):
            continue
        out.append((v, t))
    return sorted(out, key=lambda x: x[1])


def ring(key: str, ids: tuple[str, ...]) -> list[str]:
    """The key's preference list: the ring of node ids read from ``crc32(key) mod M`` (§4.2)."""
    start = zlib.crc32(str(key).encode("utf-8")) % len(ids)
    return [ids[(start + i) % len(ids)] for i in range(len(ids))]


def sizes(params) -> tuple[int, int, int]:
    """(N, R, W), clamped so that W, R ≤ N ≤ number of nodes."""
    n = min(params["N"], params["nodes"])
    return n, min(params["R"], n), min(params["W"], n)


def _label(tag: Any) -> str:
    tag = _tup(tag)
    if is_vv(tag):
        return "{" + ", ".join(f"{n}:{c}" for n, c in tag) + "}"
    return f"({tag[0]}, {tag[1]})"


# ---------------------------------------------------------------------------- the node
class QuorumNode(Node):
    DURABLE = ("store", "hints", "seq", "peak", "acked")
    VOLATILE = ("pending",)
    ROLE = "replica"
    COPY_ON_WRITE = ("store", "hints", "peak", "acked")  # every change rebinds them (Node.COPY_ON_WRITE)

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.N, self.R, self.W = sizes(self.params)
        self.vv = bool(self.params["vv"])
        self.store: dict[str, list] = {}  # key -> versions (LWW: one)
        self.hints: dict[str, list] = {}  # "owner/key" -> versions held for owner (sloppy quorum)
        self.seq = 0  # writes coordinated: makes LWW tags unique, and is this node's vv counter
        self.peak: dict[str, tuple] = {}  # history variable: key -> frontier of the tags ever stored
        self.acked: dict[str, tuple] = {}  # history variable: key -> frontier of acked (tag, W)
        self.pending: dict[str, dict] = {}  # request id -> coordinator state of an open request

    def restore_durable(self, saved) -> None:
        super().restore_durable(saved)
        self.store = {k: [_tup(v) for v in vs] for k, vs in self.store.items()}
        self.hints = {k: [_tup(v) for v in vs] for k, vs in self.hints.items()}
        self.peak = {k: _tup(tags) for k, tags in self.peak.items()}
        self.acked = {k: _tup(acks) for k, acks in self.acked.items()}

    # -- the one door in
    def step(self, inp, now):
        if isinstance(inp, ClientRequest):
            return self._on_client(inp, now)
        if isinstance(inp, Deliver):
            return self._on_message(inp.src, inp.msg, now)
        if isinstance(inp, Timer):
            return self._on_timer(inp.name, now)
        if isinstance(inp, Restart) and self.hints:
            return [SetTimer(name="handoff", after=self.params["handoff_interval"])]
        return []  # Start: nothing until a client asks

    def _on_message(self, src: str, m, now: int) -> list:
        if isinstance(m, Put):
            return self._on_put(src, m)
        if isinstance(m, Get):
            versions = tuple(self.store.get(m.key, [])) + tuple(
                v for k, vs in sorted(self.hints.items()) if k.split("/", 1)[1] == m.key for v in vs)
            return [Send(dst=src, msg=GetReply(op=m.op, key=m.key, versions=versions))]
        if isinstance(m, PutAck):
            return self._on_put_ack(src, m)
        if isinstance(m, GetReply):
            return self._on_get_reply(src, m)
        if isinstance(m, Handoff):
            self._apply(m.key, [m.version])
            return [Note(key="qs.handoff_stored", args={"node": self.node_id, "key": m.key, "from": src}),
                    Send(dst=src, msg=HandoffAck(key=m.key, version=m.version))]
        if isinstance(m, HandoffAck):
            return self._on_handoff_ack(src, m)
        return []

    # -- replica side
    def _apply(self, key: str, incoming: list) -> bool:
        """Keep what §4.4 keeps; record the new versions in the history variable ``peak``."""
        old = self.store.get(key, [])
        if self.bug == "blind-overwrite":  # BUG: the version that arrives last wins, whatever its tag
            new = [_tup(v) for v in incoming[-1:]]
        else:
            new = merge(old, incoming, self.vv)
        if new == old:
            return False
        self.store = {**self.store, key: new}
        self.peak = {**self.peak, key: frontier(self.peak.get(key, ()) + tuple(t for _v, t in new))}
        return True

    def _on_put(self, src: str, m: Put) -> list:
        out: list = []
        if m.hint is not None and m.hint != self.node_id:
            slot = f"{m.hint}/{m.key}"
            self.hints = {**self.hints, slot: merge(self.hints.get(slot, []), [m.version], self.vv)}
            out += [Note(key="qs.hint_stored", args={"node": self.node_id, "key": m.key, "owner": m.hint}),
                    SetTimer(name="handoff", after=self.params["handoff_interval"])]
        elif self._apply(m.key, [m.version]) and not m.op:
            out.append(Note(key="qs.repaired", args={"node": self.node_id, "key": m.key,
                                                     "tag": _label(m.version[1])}))
        if m.op:
            out.append(Send(dst=src, msg=PutAck(op=m.op, key=m.key)))
        return out

    # -- coordinator side
    def _on_client(self, inp: ClientRequest, now: int) -> list:
        op, client = inp.op, inp.client
        f, key = op.get("f"), op.get("key")
        if f not in ("get", "put") or key is None:
            return [Reply(client=client, result={"ok": False, "error": "bad_op"})]
        key = str(key)
        self.seq += 1
        rid = f"{self.node_id}.{self.seq}"
        pref = ring(key, self.peers)
        replicas = pref[:self.N]
        req = {"client": client, "f": f, "key": key, "asked": list(replicas), "stand_in": {},
               "replied": {}, "fallbacks": pref[self.N:]}
        self.pending = {**self.pending, rid: req}
        out: list = []
        if f == "put":
            req["version"] = version = (op.get("value"), self._new_tag(key, now))
            out.append(Note(key="qs.put", args={"node": self.node_id, "key": key, "value": str(op.get("value")),
                                                "tag": _label(version[1]), "replicas": ", ".join(replicas),
                                                "w": self.W}))
            msg = Put(op=rid, key=key, version=version)
        else:
            out.append(Note(key="qs.get", args={"node": self.node_id, "key": key, "replicas": ", ".join(replicas),
                                                "r": self.R}))
            msg = Get(op=rid, key=key)
        out += [Send(dst=r, msg=msg) for r in replicas if r != self.node_id]
        out.append(SetTimer(name=f"timeout:{rid}", after=self.params["timeout"]))
        if self.params["sloppy"]:
            out.append(SetTimer(name=f"sloppy:{rid}", after=max(1, self.params["timeout"] // 2)))
        if self.node_id in replicas:  # a coordinator on the preference list serves itself at once
            out += self._local(msg, now)
        return out

    def _local(self, msg, now: int) -> list:
        """The coordinator is one of the nodes asked: it handles the request without a message."""
        effects = self._on_message(self.node_id, msg, now)
        out = [e for e in effects if not (isinstance(e, Send) and e.dst == self.node_id)]
        for e in effects:
            if isinstance(e, Send) and e.dst == self.node_id:
                out += self._on_message(self.node_id, e.msg, now)
        return out

    def _new_tag(self, key: str, now: int) -> tuple:
        if not self.vv:
            return (now, self.node_id, self.seq)  # LWW on the coordinator's (maybe skewed) clock
        context = {}
        for _v, tag in self.store.get(key, []):  # the coordinator's local versions are the context
            for n, c in tag:
                context[n] = max(context.get(n, 0), c)
        context[self.node_id] = max(context.get(self.node_id, 0) + 1, self.seq)  # seq: unique, increasing
        self.seq = context[self.node_id]
        return tuple(sorted(context.items()))

    def _on_put_ack(self, src: str, m: PutAck) -> list:
        req = self.pending.get(m.op)
        if req is None or req["f"] != "put" or src in req["replied"]:
            return []
        req["replied"][src] = True
        if self._slots(req) < self.W:
            return []
        key, tag = req["key"], req["version"][1]
        kept = tuple(a for a in self.acked.get(key, ()) if not descends(tag, a[0]))  # W is the same for all
        self.acked = {**self.acked, key: kept + ((tag, self.W),)}
        return self._finish(m.op, {"ok": True}, Note(key="qs.put_done", args={
            "node": self.node_id, "client": req["client"], "acks": ", ".join(req["replied"])}))

    @staticmethod
    def _slots(req: dict) -> int:
        """Replicas heard from: a stand-in answers for its owner, so the two count once (§4.6)."""
        return len({req["stand_in"].get(n, n) for n in req["replied"]})

    def _on_get_reply(self, src: str, m: GetReply) -> list:
        req = self.pending.get(m.op)
        if req is None or req["f"] != "get" or src in req["replied"]:
            return []
        req["replied"][src] = [_tup(v) for v in m.versions]
        if self._slots(req) < self.R:
            return []
        result = merge([], [v for vs in req["replied"].values() for v in vs], self.vv)
        values = sorted((v for v, _t in result), key=repr)
        value = values[0] if len(values) == 1 else (values or None)
        out = [Note(key="qs.siblings" if len(values) > 1 else "qs.get_done", args={
            "node": self.node_id, "client": req["client"], "key": req["key"], "value": str(value),
            "from": ", ".join(req["replied"])})]
        if self.params["read_repair"]:
            out += self._read_repair(req, result)
        return self._finish(m.op, {"ok": True, "value": value}, *out)

    def _read_repair(self, req: dict, result: list) -> list:
        out: list = []
        for node, versions in req["replied"].items():
            if all(any(descends(t, rt) for _v, t in versions) for _rv, rt in result):
                continue  # already has the read's versions or newer ones
            owner = req["stand_in"].get(node)
            if node == self.node_id:
                for v in result:
                    self._on_put(node, Put(op="", key=req["key"], version=v, hint=owner))
            else:
                out += [Send(dst=node, msg=Put(op="", key=req["key"], version=v, hint=owner)) for v in result]
            out.append(Note(key="qs.read_repair", args={"node": self.node_id, "key": req["key"], "to": node}))
        return out

    def _finish(self, rid: str, result: dict, *notes: Note) -> list:
        req = self.pending[rid]
        self.pending = {k: v for k, v in self.pending.items() if k != rid}
        return [*notes, Reply(client=req["client"], result=result), CancelTimer(name=f"timeout:{rid}"),
                *([CancelTimer(name=f"sloppy:{rid}")] if self.params["sloppy"] else [])]

    def _on_timer(self, name: str, now: int) -> list:
        kind, _, rid = name.partition(":")
        if kind == "handoff":
            return self._send_handoffs(now)
        req = self.pending.get(rid)
        if req is None:
            return []
        if kind == "sloppy":
            return self._sloppy(rid, req, now)
        self.pending = {k: v for k, v in self.pending.items() if k != rid}
        out = [CancelTimer(name=f"sloppy:{rid}")] if self.params["sloppy"] else []
        if req["f"] == "get":
            return out + [Note(key="qs.get_timeout", args={"node": self.node_id, "client": req["client"],
                                                           "got": len(req["replied"]), "r": self.R}),
                          Reply(client=req["client"], result={"ok": False, "error": "timeout"})]
        # indeterminate: some replicas may hold the version, so this is not a definite failure
        return out + [Note(key="qs.put_timeout", args={"node": self.node_id, "client": req["client"],
                                                       "got": len(req["replied"]), "w": self.W}),
                      Reply(client=req["client"], result={"indeterminate": True, "reason": "timeout"})]

    def _sloppy(self, rid: str, req: dict, now: int) -> list:
        """§4.6: every replica that has not answered is replaced by the next unused fallback."""
        out: list = []
        for owner in [r for r in req["asked"] if r not in req["replied"] and r not in req["stand_in"]]:
            fallbacks = [f for f in req["fallbacks"] if f not in req["asked"]]
            if not fallbacks:
                break
            sub = fallbacks[0]
            req["asked"].append(sub)
            req["stand_in"][sub] = owner
            msg = (Put(op=rid, key=req["key"], version=req["version"], hint=owner) if req["f"] == "put"
                   else Get(op=rid, key=req["key"]))
            out.append(Note(key="qs.sloppy", args={"node": self.node_id, "owner": owner, "sub": sub}))
            out += self._local(msg, now) if sub == self.node_id else [Send(dst=sub, msg=msg)]
        return out

    def _send_handoffs(self, now: int) -> list:
        out: list = []
        for slot, versions in sorted(self.hints.items()):
            owner, key = slot.split("/", 1)
            out += [Send(dst=owner, msg=Handoff(key=key, version=v)) for v in versions]
        horizon = self.params["horizon_ticks"]
        if self.hints and (horizon == 0 or now < horizon):
            out.append(SetTimer(name="handoff", after=self.params["handoff_interval"]))
        return out

    def _on_handoff_ack(self, src: str, m: HandoffAck) -> list:
        slot = f"{src}/{m.key}"
        kept = [v for v in self.hints.get(slot, []) if v != _tup(m.version)]
        if kept == self.hints.get(slot, []):
            return []
        self.hints = {k: v for k, v in self.hints.items() if k != slot}
        if kept:
            self.hints[slot] = kept
        return [Note(key="qs.handoff_done", args={"node": self.node_id, "key": m.key, "owner": src})]


# -------------------------------------------------------------------------- invariants
def _covers(tags: list, tag: Any) -> bool:
    """Some tag of ``tags`` equals or supersedes ``tag`` (``descends``, with LWW's flat tags compared
    directly: the invariants ask this about every key after most steps)."""
    if tag and not isinstance(tag[0], (list, tuple)):  # LWW: tags are flat and totally ordered
        tag = tuple(tag)
        return any(tuple(t) >= tag for t in tags)
    return any(descends(t, tag) for t in tags)


def versions_only_grow(states):
    """Dynamo §4.4: a replica discards a version only if one it keeps supersedes it
    (curriculum §4.13: read repair never replaces a newer version with an older one)."""
    for node, s in sorted(states.items()):
        store = s.get("store") or {}
        for key, tags in sorted((s.get("peak") or {}).items()):
            held = [t for _v, t in store.get(key, [])]
            for tag in tags:
                if not _covers(held, tag):
                    return Violation(key="qs.violation.versions", args={"node": node, "key": key,
                                                                        "lost": _label(tag)})
    return None


def acked_writes_stay(states):
    """Dynamo §4.5: an acknowledged write (or a version superseding it) is held by at least W nodes."""
    held: dict[str, dict[str, list]] = {}  # key -> node -> the tags it holds (stored or as a hint)
    for n, t in states.items():
        for key, vs in (t.get("store") or {}).items():
            held.setdefault(key, {}).setdefault(n, []).extend(x[1] for x in vs)
        for slot, vs in (t.get("hints") or {}).items():
            held.setdefault(slot.split("/", 1)[1], {}).setdefault(n, []).extend(x[1] for x in vs)
    owed: dict[str, list] = {}  # key -> [(tag, W, coordinator)] of every coordinator's acked frontier
    for coord, s in sorted(states.items()):
        for key, frontier_acked in (s.get("acked") or {}).items():
            owed.setdefault(key, []).extend((tag, w, coord) for tag, w in frontier_acked)
    for key, entries in sorted(owed.items()):
        if entries[0][0] and not isinstance(entries[0][0][0], (list, tuple)):
            # LWW tags are totally ordered (and W is one number): the newest acked write has the fewest holders
            entries = [max(entries, key=lambda e: (tuple(e[0]), e[1]))]
        holders = held.get(key, {}).values()
        for tag, w, coord in entries:
            count = sum(_covers(tags, tag) for tags in holders)
            if count < w:
                return Violation(key="qs.violation.acked", args={"node": coord, "key": key,
                                                                 "tag": _label(tag), "count": count, "w": w})
    return None


INVARIANTS = (
    Invariant(name="Versions only grow", check=versions_only_grow, source="DeCandia et al. 2007, §4.4, §4.7",
              description_key="qs.inv.versions", label_key="qs.inv_label.versions", reads=("peak", "store")),
    Invariant(name="Acknowledged writes stay on W nodes", check=acked_writes_stay,
              source="DeCandia et al. 2007, §4.5, §4.6", description_key="qs.inv.acked",
              label_key="qs.inv_label.acked", reads=("acked", "store", "hints")),
)


def claims(params, bug) -> tuple[str, ...]:
    """What tests/test_quorum_store.py proves for these params (no clock skew; see the module doc)."""
    if bug is not None or params["vv"]:
        return ()
    n, r, w = sizes(params)
    weak = ("monotonic-writes", "writes-follow-reads", "eventual")
    if r + w > n and not params["sloppy"]:
        return ("read-your-writes",) + weak
    return weak


def node_ids(params) -> tuple[str, ...]:
    return tuple(f"n{i + 1}" for i in range(params["nodes"]))


def default_workload(params) -> list[dict[str, Any]]:
    """A write at n1, then two reads of it from other coordinators while it spreads."""
    ids = node_ids(params)
    return [{"at": 10, "node": ids[0], "client": "c1", "op": {"f": "put", "key": "x", "value": 1}},
            {"at": 12, "node": ids[1], "client": "c2", "op": {"f": "get", "key": "x"}},
            {"at": 60, "node": ids[-1], "client": "c3", "op": {"f": "get", "key": "x"}}]


SPEC = ProtocolSpec(
    id="quorum-store",
    title_key="proto.quorum_store.title",
    summary_key="proto.quorum_store.summary",
    source="G. DeCandia et al., Dynamo: Amazon's Highly Available Key-value Store, SOSP 2007 (§4.4–4.7)",
    params=(
        Param(name="nodes", default=3, minimum=1, maximum=7, help_key="qs.param.nodes"),
        Param(name="N", default=3, minimum=1, maximum=7, help_key="qs.param.N"),
        Param(name="R", default=2, minimum=1, maximum=7, help_key="qs.param.R"),
        Param(name="W", default=2, minimum=1, maximum=7, help_key="qs.param.W"),
        Param(name="vv", default=False, help_key="qs.param.vv"),
        Param(name="sloppy", default=False, help_key="qs.param.sloppy"),
        Param(name="read_repair", default=True, help_key="qs.param.read_repair"),
        Param(name="timeout", default=80, minimum=2, maximum=100_000, help_key="qs.param.timeout"),
        Param(name="handoff_interval", default=50, minimum=1, maximum=100_000, help_key="qs.param.handoff_interval"),
        Param(name="horizon_ticks", default=1000, minimum=0, maximum=1_000_000, help_key="qs.param.horizon_ticks"),
    ),
    bugs=(Bug(id="blind-overwrite", description_key="qs.bug.blind_overwrite",
              breaks=("Versions only grow", "Acknowledged writes stay on W nodes")),),
    invariants=INVARIANTS,
    node_ids=node_ids,
    make_node=lambda node_id, ids, params, bug, rng: QuorumNode(node_id, ids, params, bug, rng),
    default_workload=default_workload,
    claims=claims,
)
