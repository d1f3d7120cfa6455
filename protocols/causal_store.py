"""A causally consistent key-value store by causal broadcast: replicas ``r1`` .. ``rN``, clients ``c1`` .. ``cK``.

Theory of operation
-------------------
Every replica accepts reads and writes locally (no coordination, available under partitions).
Causality is tracked with **vector clocks** and enforced by **causal broadcast with a hold-back
queue** (Birman, Schiper & Stephenson 1991, "Lightweight causal and atomic group multicast";
the same rule as COPS's "apply a remote write only after its dependencies", Lloyd et al.,
"Don't Settle for Eventual", SOSP 2011, with the whole vector as the dependency list).

1. **Local write.** Replica ``r`` stamps the write with ``seq`` = ``vc[r] + 1``, its
   dependencies ``deps`` = its vector clock ``vc`` before the write (everything it has applied
   — the write's causal past), and a Lamport timestamp ``ts`` for conflict resolution. It
   applies it, appends it to its ``log`` and sends ``Replicate`` to every peer.
2. **Remote write.** A replica puts an incoming write into its ``holdback`` queue (shown in
   the state table) and applies it only when it is *deliverable*: ``seq == vc[origin] + 1`` (the
   next write of its origin) and ``deps[k] ≤ vc[k]`` for every other replica ``k`` (all its
   dependencies applied). Applying a write may make others in the queue deliverable.
3. **Conflicts.** Two concurrent writes to one key are applied in different orders at
   different replicas; each replica keeps the one with the larger ``(ts, origin)`` tag
   (last-writer-wins), so replicas converge (COPS's *causal+*). A write that causally follows
   another has a larger ``ts`` (Lamport's IR2), so it always wins: causality is never undone.
4. **Anti-entropy.** Every ``gossip_interval`` ticks a replica sends its ``vc`` to one peer
   drawn from its seeded RNG (``Sync``); the peer answers with every write of its log that
   the vector lacks, in log order (``SyncReply``). This repairs lost messages and crashes (the
   hold-back queue is volatile). Timers stop at ``horizon_ticks`` so runs end quiescent.
5. **Clients.** The client library (``c*`` nodes, shared with ``eventual-store``) keeps each
   client's *context* (COPS's client library): the version vectors of the replicas that served its reads
   and the ids of its writes. A replica serves a request only if its ``vc`` covers that context
   (all four session guarantees of Terry et al. 1994 at once); otherwise it refuses
   (``{"ok": false, "error": "session"}``). A client that stays with one replica (sticky, as a
   COPS client stays in its data centre) is never refused; a roaming client may be.

Consistency: the store claims **causal** consistency (Ahamad et al. 1995) and everything it
implies (PRAM, the four session guarantees, eventual). It is **not sequential**: two clients
that each write at their own replica and then read the other's key can both read the old
value (each replica has applied only its own write so far) — causal, since the writes are
concurrent, but no single order of the four ops explains it.

The log is the history: ``Causal delivery`` checks that each replica applied writes in an
order that respects every write's dependencies, and ``Vector clock counts the log`` that the
clock says exactly what was applied. Bug variant ``apply-without-deps``: a replica applies a
remote write as soon as it arrives, skipping the hold-back queue — a reader can then see an
effect before its cause.

Deviations from the papers
--------------------------
- COPS tracks the *nearest* dependencies of each write as (key, version) pairs and checks them
  with ``dep_check`` calls inside a data centre; here the whole vector clock of the writing
  replica is the dependency list (one entry per replica), the classic causal-broadcast form.
- No COPS-GT get-transactions, no partitioning of keys across servers of a data centre.
- A request whose context the replica has not applied is refused, not blocked until it is.
- Replica state is durable except the hold-back queue; a crash only delays delivery.
- A lost request or reply leaves the op open (``info``): no client retries.
"""

from __future__ import annotations

from dataclasses import dataclass

from protocols.eventual_store import (Request, Response, SessionClient, client_ids, dominates, replica_ids, tag,
                                      _params)
from sim.protocol import Bug, Invariant, ProtocolSpec, Violation
from sim.types import ClientRequest, Deliver, Node, Note, Reply, Restart, Send, SetTimer, Start, Timer


# ---------------------------------------------------------------------------- messages
@dataclass(frozen=True, slots=True, kw_only=True)
class Replicate:
    """Replica → peer: one write {key, value, ts, origin, seq, deps} (causal broadcast)."""

    write: dict


@dataclass(frozen=True, slots=True, kw_only=True)
class Sync:
    """Replica → peer (anti-entropy): this is what I have applied; send me what I lack."""

    vc: dict


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncReply:
    """Peer → replica: the writes of my log its vector clock lacks, in my log (causal) order."""

    writes: tuple


# --------------------------------------------------------------------------- replicas
class CausalReplica(Node):
    DURABLE = ("store", "vc", "lamport", "log", "served")
    VOLATILE = ("holdback",)
    LOGS = ("log",)  # append only (Node.LOGS)
    ROLE = "peer"

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.replicas = tuple(p for p in self.peers if p.startswith("r"))
        self.store: dict[str, dict] = {}
        self.vc: dict[str, int] = {}
        self.lamport = 0
        self.log: list[dict] = []  # the writes applied here, in the order applied
        self.served: dict[str, list] = {}
        self.holdback: list[dict] = []  # remote writes received but not yet deliverable

    def step(self, inp, now):
        if isinstance(inp, (Start, Restart)):
            return self._arm(now)
        if isinstance(inp, Timer) and inp.name == "anti_entropy":
            peer = self.rng.choice([p for p in self.replicas if p != self.node_id])
            return [Send(dst=peer, msg=Sync(vc=dict(self.vc)))] + self._arm(now)
        if isinstance(inp, Deliver):
            msg = inp.msg
            if isinstance(msg, Request):
                return self._on_request(inp.src, msg)
            if isinstance(msg, Replicate):
                return self._receive([msg.write])
            if isinstance(msg, Sync):
                missing = tuple(w for w in self.log if w["seq"] > msg.vc.get(w["origin"], 0))
                return [Send(dst=inp.src, msg=SyncReply(writes=missing))] if missing else []
            if isinstance(msg, SyncReply):
                return self._receive(list(msg.writes))
        if isinstance(inp, ClientRequest):
            return [Reply(client=inp.client, result={"ok": False, "error": "not_a_client_node"})]
        return []

    def _arm(self, now) -> list:
        horizon = self.params["horizon_ticks"]
        if (horizon and now >= horizon) or len(self.replicas) < 2:
            return []
        return [SetTimer(name="anti_entropy", after=self.params["gossip_interval"])]

    # -- clients
    def _on_request(self, src: str, msg: Request) -> list:
        last = self.served.get(msg.client)
        if last and last[0] >= msg.req:
            return [Send(dst=src, msg=Response(**last[1]))] if last[0] == msg.req else []
        out: list = []
        wid: tuple = ()
        if not (dominates(self.vc, msg.read_vec) and dominates(self.vc, msg.write_vec)):
            result = {"ok": False, "error": "session"}
            out.append(Note(key="cs.refuse", args={"node": self.node_id, "client": msg.client}))
        elif msg.f == "get":
            held = self.store.get(msg.key)
            result = {"ok": True, "value": None if held is None else held["value"]}
            out.append(Note(key="cs.read", args={"node": self.node_id, "client": msg.client, "target": msg.key,
                                                 "value": result["value"]}))
        else:
            self.lamport += 1
            seq = self.vc.get(self.node_id, 0) + 1
            write = {"key": msg.key, "value": msg.value, "ts": self.lamport, "origin": self.node_id, "seq": seq,
                     "deps": dict(self.vc)}
            self._apply(write)
            wid = (self.node_id, seq)
            result = {"ok": True}
            out.append(Note(key="cs.write", args={"node": self.node_id, "client": msg.client, "target": msg.key,
                                                  "value": msg.value, "vc": _show(self.vc)}))
            out += [Send(dst=p, msg=Replicate(write=write)) for p in self.replicas if p != self.node_id]
        fields = {"req": msg.req, "client": msg.client, "result": result, "vv": dict(self.vc), "wid": wid}
        self.served = {**self.served, msg.client: [msg.req, fields]}
        return out + [Send(dst=src, msg=Response(**fields))]

    # -- causal broadcast
    def _applied(self, w: dict) -> bool:
        if self.bug == "apply-without-deps":  # the clock is no longer a prefix: look in the log
            return any(e["origin"] == w["origin"] and e["seq"] == w["seq"] for e in self.log)
        return w["seq"] <= self.vc.get(w["origin"], 0)

    def _deliverable(self, w: dict) -> bool:
        if self.bug == "apply-without-deps":  # BUG: no hold-back, apply on arrival
            return True
        o = w["origin"]
        return w["seq"] == self.vc.get(o, 0) + 1 and all(
            n <= self.vc.get(k, 0) for k, n in w["deps"].items() if k != o)

    def _receive(self, writes: list) -> list:
        held = {(w["origin"], w["seq"]) for w in self.holdback}
        fresh = [w for w in writes if not self._applied(w) and (w["origin"], w["seq"]) not in held]
        if not fresh:
            return []
        self.holdback = self.holdback + fresh
        out: list = []
        progress = True
        while progress:
            progress = False
            for w in self.holdback:
                if self._deliverable(w):
                    self.holdback = [h for h in self.holdback if h is not w]
                    self._apply(w)
                    out.append(Note(key="cs.deliver", args={"node": self.node_id, "origin": w["origin"],
                                                            "seq": w["seq"], "target": w["key"], "value": w["value"]}))
                    progress = True
                    break
        if self.holdback:
            out.append(Note(key="cs.hold", args={"node": self.node_id, "count": len(self.holdback)}))
        return out

    def _apply(self, w: dict) -> None:
        self.lamport = max(self.lamport, w["ts"])  # IR2
        mine = self.store.get(w["key"])
        if mine is None or tag(w) > tag(mine):
            self.store = {**self.store, w["key"]: {k: w[k] for k in ("value", "ts", "origin", "seq")}}
        self.vc = {**self.vc, w["origin"]: max(self.vc.get(w["origin"], 0), w["seq"])}
        self.log.append(w)  # Node.LOGS: append only; w is never mutated


def _show(vc: dict) -> str:
    return "[" + ", ".join(f"{k}:{n}" for k, n in sorted(vc.items())) + "]"


# -------------------------------------------------------------------------- invariants
def _replicas(states):
    return {n: s for n, s in states.items() if n.startswith("r") and s.get("log") is not None}


def causal_delivery(states):
    """Birman et al. 1991 / COPS §3: a write is applied only after its origin's earlier writes and its deps."""
    for n in sorted(_replicas(states)):
        seen: dict[str, int] = {}
        for w in states[n]["log"]:
            o = w["origin"]
            late = sorted(k for k, c in w["deps"].items() if k != o and c > seen.get(k, 0))
            if w["seq"] != seen.get(o, 0) + 1 or late:
                return Violation(key="cs.violation.causal_delivery",
                                 args={"node": n, "origin": o, "seq": w["seq"], "target": w["key"],
                                       "value": w["value"]})
            seen[o] = w["seq"]
    return None


def vc_counts_log(states):
    """A replica's vector clock entry for o is the number of o's writes it has applied."""
    for n in sorted(_replicas(states)):
        s = states[n]
        counts: dict[str, int] = {}
        for w in s["log"]:
            counts[w["origin"]] = counts.get(w["origin"], 0) + 1
        for o in sorted(set(counts) | set(s.get("vc") or {})):
            if counts.get(o, 0) != (s.get("vc") or {}).get(o, 0):
                return Violation(key="cs.violation.vc_counts", args={"node": n, "origin": o,
                                                                     "vc": (s.get("vc") or {}).get(o, 0),
                                                                     "count": counts.get(o, 0)})
    return None


INVARIANTS = (
    Invariant(name="Causal delivery", check=causal_delivery,
              source="Birman, Schiper & Stephenson 1991; Lloyd et al. 2011 (COPS) §3",
              description_key="cs.inv.causal_delivery", label_key="cs.inv_label.causal_delivery", reads=("log",)),
    Invariant(name="Vector clock counts the log", check=vc_counts_log, source="Fidge 1988; Mattern 1989",
              description_key="cs.inv.vc_counts", label_key="cs.inv_label.vc_counts", reads=("log", "vc")),
)

CLAIMS = ("causal", "pram", "writes-follow-reads", "monotonic-reads", "monotonic-writes", "read-your-writes",
          "eventual")


def _make_node(node_id, ids, params, bug, rng):
    cls = CausalReplica if node_id.startswith("r") else SessionClient
    return cls(node_id, ids, params, bug, rng)


def _default_workload(params):
    """Two clients write concurrently at their own replicas and read the other's key at once, then later."""
    reps = replica_ids(params)
    return [{"at": 0, "node": "c1", "client": "c1", "op": {"f": "put", "key": "x", "value": 1, "replica": reps[0]}},
            {"at": 0, "node": "c2", "client": "c2", "op": {"f": "put", "key": "y", "value": 2, "replica": reps[1]}},
            {"at": 40, "node": "c1", "client": "c1", "op": {"f": "get", "key": "y", "replica": reps[0]}},
            {"at": 40, "node": "c2", "client": "c2", "op": {"f": "get", "key": "x", "replica": reps[1]}},
            {"at": 200, "node": "c1", "client": "c1", "op": {"f": "get", "key": "y", "replica": reps[0]}},
            {"at": 200, "node": "c2", "client": "c2", "op": {"f": "get", "key": "x", "replica": reps[1]}}]


SPEC = ProtocolSpec(
    id="causal-store",
    title_key="proto.causal-store.title",
    summary_key="proto.causal-store.summary",
    source="W. Lloyd et al., Don't Settle for Eventual: Scalable Causal Consistency for Wide-Area Storage with "
           "COPS, SOSP 2011; K. Birman, A. Schiper & P. Stephenson, Lightweight Causal and Atomic Group Multicast, "
           "ACM TOCS 9(3), 1991; M. Ahamad et al., Causal Memory, Distributed Computing 9(1), 1995",
    params=_params(),
    bugs=(Bug(id="apply-without-deps", description_key="cs.bug.apply_without_deps",
              breaks=("Causal delivery", "Vector clock counts the log")),),
    invariants=INVARIANTS,
    node_ids=lambda params: replica_ids(params) + client_ids(params),
    make_node=_make_node,
    default_workload=_default_workload,
    claims=lambda params, bug: () if bug else CLAIMS,
)
