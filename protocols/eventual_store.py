"""An eventually consistent key-value store with Bayou's session guarantees: replicas ``r1`` .. ``rN``.

Clients talk to it through client-library nodes ``c1`` .. ``cK``.

Theory of operation
-------------------
**Replicas (Bayou-style, Terry et al. SOSP 1995; Petersen et al. SOSP 1997).** Every replica
accepts reads and writes on its own, without asking anyone (the store is *available* under any
partition). A write accepted at replica ``r`` is stamped with the tag ``(ts, r)``, ``ts`` a
Lamport clock (Lamport 1978, IR1/IR2), and with ``seq``, its number among ``r``'s writes, so
its write id is ``(r, seq)``. Each replica keeps

* ``store``: key → ``{value, ts, origin, seq}``, merged by **last-writer-wins** on ``(ts, origin)``
  (Thomas's write rule; Johnson & Thomas, RFC 677);
* ``vv``: its *version vector*, ``vv[o]`` = the number of ``o``'s writes it has incorporated —
  always a prefix, and causally closed (the prefix property of Bayou's anti-entropy);
* ``lamport``: its Lamport clock, advanced past every tag it learns (IR2).

With ``push`` on, a new write is also sent at once to every peer (``Push``, best effort); a peer applies it only if
it already incorporated everything the writer had (``deps`` ≤ its ``vv`` and ``seq`` is the next
write of its origin); otherwise it drops it and waits for anti-entropy. Every
``gossip_interval`` ticks each replica does **anti-entropy** with one peer drawn from its seeded
RNG: push-pull of its whole store and version vector (``AntiEntropy``); both sides merge by LWW
and take the pointwise maximum of the vectors. Anti-entropy repairs any lost message, so once
writes stop every replica converges to the same store (eventual consistency, Vogels 2009).

**Session guarantees (Terry et al., "Session Guarantees for Weakly Consistent Replicated Data",
PDIS 1994).** As in the paper, a session's state lives *at the client*: each ``c*`` node is the
paper's session manager (client library). It keeps, per client id, a **write-set vector**
(the ids of the session's writes) and a **read-set vector** (the version vectors of the replicas
its reads were served from — a superset of the relevant writes, an approximation the paper allows).
A workload entry goes to the client node; ``op["replica"]`` names the replica the client talks
to this time (a *roaming* client), else its home replica ``r((k-1) mod N + 1)``. A client id must
always use the same client-library node, where its session lives (node ``c2`` refuses client
``c1``, whose session is at node ``c1``). The client
sends the op with both vectors; the replica checks, for each guarantee switched on (params
``ryw``, ``mr``, ``mw``, ``wfr``), the paper's condition:

====================  ========  =============================================
guarantee             op        the replica's ``vv`` must dominate
====================  ========  =============================================
Read Your Writes      read      the write-set vector
Monotonic Reads       read      the read-set vector
Writes Follow Reads   write     the read-set vector
Monotonic Writes      write     the write-set vector
====================  ========  =============================================

A replica that is not up to date enough **refuses** (``{"ok": false, "error": "session"}``,
a definite failure: nothing happened): the session is kept consistent at the cost of
availability; the client may try another replica, or again later. Because a replica's incorporated
writes are causally closed and a write is stamped after everything the replica has, the
write-side checks also order the new write after the session's earlier writes / reads (the
paper's WriteOrder requirement) both in the LWW order and in propagation.

Claims (checked by ``checkers`` on client histories): always ``eventual``; each guarantee
switched on adds its model; RYW + MR + MW together give PRAM (Brzeziński, Sobaniec &
Wawrzyniak 2004) and all four give causal consistency (Brzeziński et al., "From session
causality to causal consistency", PDP 2004). The history checkers' per-guarantee readings cannot
see a Monotonic Writes or Writes Follow Reads violation on its own (``checkers/views.py``), so the
tests show those two through PRAM and causal consistency, with the other guarantees switched on.

Bug variant ``no-clock-advance``: a replica does not advance its Lamport clock past the tags it
merges (IR2 skipped), so a write can be stamped *lower* than a write it follows and lose the
LWW race to it: the write-order half of Monotonic Writes / Writes Follow Reads breaks.

Deviations from the paper
-------------------------
- Bayou's anti-entropy sends the missing writes of an ordered write log, and servers re-execute
  writes (dependency checks, merge procedures) and can roll back tentative writes. Here the
  replicated state is a LWW map and anti-entropy ships the whole map (state-based, as in
  Dynamo/CRDT anti-entropy); there is no primary, no commit/tentative distinction.
- The read-set vector is the whole version vector of the replica that served the read, not
  only the writes relevant to it (conservative: more refusals, never a missed guarantee).
- A refused request is not retried by the client library; a lost request or reply leaves the
  op open (``info``): there are no client timeouts or retries.
- Replicas and session state never lose data in a crash (everything is durable). A replica
  remembers each client's last request (``served``) and answers a duplicate again without
  applying it twice (the network may duplicate messages).
- Replicas stop arming the anti-entropy timer at ``horizon_ticks`` so a run ends quiescent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sim.protocol import Bug, Invariant, Param, ProtocolSpec, Violation
from sim.types import ClientRequest, Deliver, Node, Note, Reply, Restart, Send, SetTimer, Start, Timer


# ---------------------------------------------------------------------------- messages
@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    """Client library → replica: one op plus the session's vectors (Terry et al. 1994)."""

    req: int
    client: str
    f: str
    key: str
    value: Any
    read_vec: dict
    write_vec: dict


@dataclass(frozen=True, slots=True, kw_only=True)
class Response:
    """Replica → client library: the result, the replica's version vector and the new write's id."""

    req: int
    client: str
    result: dict
    vv: dict
    wid: tuple = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Push:
    """Replica → peer: one new write, sent at once (best effort); ``deps`` = the writer's vv before it."""

    write: dict


@dataclass(frozen=True, slots=True, kw_only=True)
class AntiEntropy:
    """Replica → peer: my whole store and version vector; the peer merges and answers with its own."""

    store: dict
    vv: dict
    reply: bool


# ----------------------------------------------------------------------------- helpers
def dominates(a: dict, b: dict) -> bool:
    """Version vector ``a`` ≥ ``b`` pointwise (missing entries are 0)."""
    return all(a.get(k, 0) >= n for k, n in b.items())


def vmax(a: dict, b: dict) -> dict:
    return {k: max(a.get(k, 0), b.get(k, 0)) for k in sorted(set(a) | set(b))}


def tag(v: dict) -> tuple:
    return (v["ts"], v["origin"])


def replica_ids(params) -> tuple[str, ...]:
    return tuple(f"r{i + 1}" for i in range(params["replicas"]))


def client_ids(params) -> tuple[str, ...]:
    return tuple(f"c{i + 1}" for i in range(params["clients"]))


GUARANTEES = ("ryw", "mr", "wfr", "mw")
# Terry et al. 1994: which vector each guarantee checks, for which op
_CHECKS = {"get": (("ryw", "write_vec"), ("mr", "read_vec")), "put": (("wfr", "read_vec"), ("mw", "write_vec"))}


# --------------------------------------------------------------------------- replicas
class Replica(Node):
    DURABLE = ("store", "vv", "lamport", "served")
    ROLE = "peer"

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.replicas = tuple(p for p in self.peers if p.startswith("r"))
        self.store: dict[str, dict] = {}
        self.vv: dict[str, int] = {}
        self.lamport = 0
        self.served: dict[str, list] = {}  # client -> [last req, its Response fields]: a duplicate is re-answered

    # -- the door
    def step(self, inp, now):
        if isinstance(inp, (Start, Restart)):
            return self._arm(now)
        if isinstance(inp, Timer) and inp.name == "anti_entropy":
            return self._start_anti_entropy(now)
        if isinstance(inp, Deliver):
            msg = inp.msg
            if isinstance(msg, Request):
                return self._on_request(inp.src, msg)
            if isinstance(msg, Push):
                return self._on_push(inp.src, msg.write)
            if isinstance(msg, AntiEntropy):
                return self._on_anti_entropy(inp.src, msg)
        if isinstance(inp, ClientRequest):  # clients talk to a client library, not to a replica
            return [Reply(client=inp.client, result={"ok": False, "error": "not_a_client_node"})]
        return []

    def _arm(self, now) -> list:
        horizon = self.params["horizon_ticks"]
        if (horizon and now >= horizon) or len(self.replicas) < 2:
            return []
        return [SetTimer(name="anti_entropy", after=self.params["gossip_interval"])]

    # -- clients (Terry et al. 1994: the server-side checks)
    def _session_ok(self, msg: Request) -> str | None:
        """The first guarantee whose vector this replica does not dominate, or None."""
        for flag, field in _CHECKS[msg.f]:
            if self._guarantee_on(flag) and not dominates(self.vv, getattr(msg, field)):
                return flag
        return None

    def _guarantee_on(self, flag: str) -> bool:
        return bool(self.params[flag])

    def _on_request(self, src: str, msg: Request) -> list:
        last = self.served.get(msg.client)
        if last and last[0] >= msg.req:  # a duplicate (or older) request: answer again, do nothing
            return [Send(dst=src, msg=Response(**last[1]))] if last[0] == msg.req else []
        missing = self._session_ok(msg)
        out: list = []
        wid: tuple = ()
        if missing:
            result = {"ok": False, "error": "session"}
            out.append(Note(key="es.refuse", args={"node": self.node_id, "client": msg.client,
                                                             "guarantee": missing}))
        elif msg.f == "get":
            held = self.store.get(msg.key)
            result = {"ok": True, "value": None if held is None else held["value"]}
            out.append(Note(key="es.read", args={"node": self.node_id, "client": msg.client,
                                                           "target": msg.key, "value": result["value"]}))
        else:
            write = self._accept_write(msg.key, msg.value)
            wid = (self.node_id, write["seq"])
            result = {"ok": True}
            out.append(Note(key="es.write", args={"node": self.node_id, "client": msg.client,
                                                            "target": msg.key, "value": msg.value,
                                                            "ts": write["ts"], "seq": write["seq"]}))
            out += self._propagate(write)
        fields = {"req": msg.req, "client": msg.client, "result": result, "vv": dict(self.vv), "wid": wid}
        self.served = {**self.served, msg.client: [msg.req, fields]}
        return out + [Send(dst=src, msg=Response(**fields))]

    def _accept_write(self, key: str, value: Any) -> dict:
        self.lamport += 1  # IR1
        seq = self.vv.get(self.node_id, 0) + 1
        write = {"key": key, "value": value, "ts": self.lamport, "origin": self.node_id, "seq": seq,
                 "deps": dict(self.vv)}
        self._lww(key, write)
        self.vv = {**self.vv, self.node_id: seq}
        return write

    def _propagate(self, write: dict) -> list:
        if not self.params["push"]:
            return []
        return [Send(dst=p, msg=Push(write=write)) for p in self.replicas if p != self.node_id]

    # -- replication
    def _lww(self, key: str, write: dict) -> bool:
        """Last-writer-wins: keep the value with the larger (ts, origin) tag; True if it changed."""
        mine = self.store.get(key)
        if self.bug != "no-clock-advance":
            self.lamport = max(self.lamport, write["ts"])  # IR2
        if mine is not None and tag(mine) >= tag(write):
            return False
        self.store = {**self.store, key: {k: write[k] for k in ("value", "ts", "origin", "seq")}}
        return True

    def _on_push(self, src: str, write: dict) -> list:
        origin, seq = write["origin"], write["seq"]
        if seq <= self.vv.get(origin, 0):
            return []
        if seq != self.vv.get(origin, 0) + 1 or not dominates(self.vv, write["deps"]):
            return [Note(key="es.push_deferred", args={"node": self.node_id, "origin": origin, "seq": seq})]
        self._lww(write["key"], write)
        self.vv = {**self.vv, origin: seq}
        return [Note(key="es.push_applied", args={"node": self.node_id, "origin": origin, "seq": seq,
                                                            "target": write["key"], "value": write["value"]})]

    def _start_anti_entropy(self, now) -> list:
        peer = self.rng.choice([p for p in self.replicas if p != self.node_id])
        return [Send(dst=peer, msg=AntiEntropy(store=dict(self.store), vv=dict(self.vv), reply=False))] + self._arm(now)

    def _on_anti_entropy(self, src: str, msg: AntiEntropy) -> list:
        changed = [k for k in sorted(msg.store) if self._lww(k, msg.store[k])]
        self.vv = vmax(self.vv, msg.vv)
        out: list = []
        if changed:
            out.append(Note(key="es.merge", args={"node": self.node_id, "peer": src,
                                                            "keys": ", ".join(changed)}))
        if not msg.reply:  # push-pull: answer with my (merged) state
            out.append(Send(dst=src, msg=AntiEntropy(store=dict(self.store), vv=dict(self.vv), reply=True)))
        return out


# ---------------------------------------------------------------------- client library
class SessionClient(Node):
    """The session manager of Terry et al. 1994: keeps each session's read-set and write-set vectors."""

    DURABLE = ("sessions", "next_req")
    VOLATILE = ("pending",)
    ROLE = "client"

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.replicas = tuple(p for p in self.peers if p.startswith("r"))
        k = int(self.node_id[1:]) - 1
        self.home = self.replicas[k % len(self.replicas)]
        self.sessions: dict[str, dict] = {}  # client id -> {"read_vec": {...}, "write_vec": {...}}
        self.next_req = 1
        self.pending: dict[str, str] = {}  # req (as text) -> client id

    def step(self, inp, now):
        if isinstance(inp, ClientRequest):
            return self._on_client(inp.client, inp.op)
        if isinstance(inp, Deliver) and isinstance(inp.msg, Response):
            return self._on_response(inp.src, inp.msg)
        return []

    def _on_client(self, client: str, op) -> list:
        f, replica = op.get("f"), op.get("replica", self.home)
        if f not in ("get", "put") or op.get("key") is None:
            return [Reply(client=client, result={"ok": False, "error": "bad_op"})]
        if replica not in self.replicas:
            return [Reply(client=client, result={"ok": False, "error": "bad_replica"})]
        if client in self.peers and client != self.node_id:  # c2's session lives at node c2, not here
            return [Reply(client=client, result={"ok": False, "error": "wrong_client_node"})]
        session = self.sessions.get(client, {"read_vec": {}, "write_vec": {}})
        req, self.next_req = self.next_req, self.next_req + 1
        self.pending = {**self.pending, str(req): client}
        return [Send(dst=replica, msg=Request(req=req, client=client, f=f, key=str(op["key"]),
                                              value=op.get("value"), read_vec=dict(session["read_vec"]),
                                              write_vec=dict(session["write_vec"])))]

    def _on_response(self, src: str, msg: Response) -> list:
        if self.pending.get(str(msg.req)) != msg.client:
            return []  # a duplicate reply, or one from before a crash
        self.pending = {k: v for k, v in self.pending.items() if k != str(msg.req)}
        out: list = []
        if msg.result.get("ok"):
            s = self.sessions.get(msg.client, {"read_vec": {}, "write_vec": {}})
            if msg.wid:  # a write: add its id to the write set
                origin, seq = msg.wid
                s = {**s, "write_vec": vmax(s["write_vec"], {origin: seq})}
            else:  # a read: the serving replica's vector bounds the writes relevant to it
                s = {**s, "read_vec": vmax(s["read_vec"], msg.vv)}
            self.sessions = {**self.sessions, msg.client: s}
        else:
            out.append(Note(key="es.refused", args={"node": self.node_id, "client": msg.client,
                                                              "replica": src}))
        return out + [Reply(client=msg.client, result=msg.result)]


# -------------------------------------------------------------------------- invariants
def _replicas(states):
    return {n: s for n, s in states.items() if n.startswith("r") and s.get("vv") is not None}


def clock_condition(states):
    """Lamport 1978 IR2: a replica's clock is at least every tag it has stored."""
    for n in sorted(_replicas(states)):
        s = states[n]
        for key in sorted(s.get("store") or {}):
            ts = s["store"][key]["ts"]
            if ts > (s.get("lamport") or 0):
                return Violation(key="es.violation.clock", args={"node": n, "target": key, "ts": ts,
                                                                 "lamport": s.get("lamport")})
    return None


def vv_covers_store(states):
    """Bayou's prefix property: every value a replica holds comes from a write its vv counts."""
    for n in sorted(_replicas(states)):
        s = states[n]
        for key in sorted(s.get("store") or {}):
            v = s["store"][key]
            if v["seq"] > (s["vv"] or {}).get(v["origin"], 0):
                return Violation(key="es.violation.vv_covers", args={"node": n, "target": key, "origin": v["origin"],
                                                                     "seq": v["seq"]})
    return None


def no_phantom_writes(states):
    """No replica counts a write its origin never accepted: vv_r[o] ≤ vv_o[o]."""
    reps = _replicas(states)
    for n in sorted(reps):
        for o, k in sorted((reps[n]["vv"] or {}).items()):
            if o in reps and k > (reps[o]["vv"] or {}).get(o, 0):
                return Violation(key="es.violation.phantom", args={"node": n, "origin": o, "seq": k})
    return None


INVARIANTS = (
    Invariant(name="Clock Condition (IR2)", check=clock_condition, source="Lamport 1978, IR2",
              description_key="es.inv.clock", label_key="es.inv_label.clock", reads=("store", "lamport")),
    Invariant(name="Version vector covers store", check=vv_covers_store,
              source="Petersen et al. 1997 (Bayou anti-entropy), prefix property",
              description_key="es.inv.vv_covers", label_key="es.inv_label.vv_covers", reads=("store", "vv")),
    Invariant(name="No phantom writes", check=no_phantom_writes, source="Terry et al. 1994 (version vectors)",
              description_key="es.inv.phantom", label_key="es.inv_label.phantom", reads=("vv",)),
)


def claims(params, bug) -> tuple[str, ...]:
    if bug:
        return ()
    on = {g for g in GUARANTEES if params.get(g)}
    out: list[str] = []
    if on == set(GUARANTEES):
        out.append("causal")
    if {"ryw", "mr", "mw"} <= on:
        out.append("pram")
    names = {"wfr": "writes-follow-reads", "mr": "monotonic-reads", "mw": "monotonic-writes", "ryw": "read-your-writes"}
    out += [names[g] for g in ("wfr", "mr", "mw", "ryw") if g in on]
    return tuple(out) + ("eventual",)


def _make_node(node_id, ids, params, bug, rng):
    cls = Replica if node_id.startswith("r") else SessionClient
    return cls(node_id, ids, params, bug, rng)


def _default_workload(params):
    """A roaming client writes at r1 and at once reads at r2 (stale unless ``ryw``); later all agree."""
    reps = replica_ids(params)
    last = reps[-1]
    return [{"at": 0, "node": "c1", "client": "c1", "op": {"f": "put", "key": "x", "value": 1, "replica": reps[0]}},
            {"at": 30, "node": "c1", "client": "c1", "op": {"f": "get", "key": "x", "replica": reps[1]}},
            {"at": 400, "node": "c1", "client": "c1", "op": {"f": "get", "key": "x", "replica": last}}]


def _params(gossip_default=50):
    return (Param(name="replicas", default=3, minimum=2, maximum=5, help_key="es.param.replicas"),
            Param(name="clients", default=2, minimum=1, maximum=4, help_key="es.param.clients"),
            Param(name="gossip_interval", default=gossip_default, minimum=1, maximum=100_000,
                  help_key="es.param.gossip_interval"),
            Param(name="horizon_ticks", default=600, minimum=0, maximum=1_000_000, help_key="es.param.horizon_ticks"))


SPEC = ProtocolSpec(
    id="eventual-store",
    title_key="proto.eventual-store.title",
    summary_key="proto.eventual-store.summary",
    source="D. Terry et al., Session Guarantees for Weakly Consistent Replicated Data, PDIS 1994; "
           "D. Terry et al., Managing Update Conflicts in Bayou, SOSP 1995; K. Petersen et al., Flexible Update "
           "Propagation for Weakly Consistent Replication, SOSP 1997",
    params=_params() + (
        Param(name="push", default=False, help_key="es.param.push"),
        Param(name="ryw", default=False, help_key="es.param.ryw"),
        Param(name="mr", default=False, help_key="es.param.mr"),
        Param(name="mw", default=False, help_key="es.param.mw"),
        Param(name="wfr", default=False, help_key="es.param.wfr"),
    ),
    bugs=(Bug(id="no-clock-advance", description_key="es.bug.no_clock_advance", breaks=("Clock Condition (IR2)",)),),
    invariants=INVARIANTS,
    node_ids=lambda params: replica_ids(params) + client_ids(params),
    make_node=_make_node,
    default_workload=_default_workload,
    claims=claims,
)
