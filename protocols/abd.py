"""ABD: an atomic (linearizable) key-value store of registers on servers ``s1`` .. ``sN``.

Theory of operation
-------------------
Attiya, Bar-Noy & Dolev, *Sharing Memory Robustly in Message-Passing Systems* (JACM 42(1),
1995), emulate a shared register over message passing so that it survives the crash of any
minority of the servers: every operation talks to a **majority**, and any two majorities
intersect. We implement the multi-writer version (Lynch & Shvartsman, FTCS 1997, and the
usual textbook presentation), one register per key:

- **Server state.** Per key a *tag* ``(ts, wid)`` — a timestamp and the id of the writer
  that chose it, compared lexicographically, so no two writes share a tag — and the value
  written with it: ``store[key] = [ts, wid, value]`` (durable). A server answers ``Query``
  with its tag and value, and on ``Propagate(tag, value)`` adopts the pair if the tag is
  higher than its own (it never lowers its tag) and acknowledges either way.
- **Write** (two phases). Phase 1 (*query*): ask every server for its tag of the key, wait
  for a majority, take the highest timestamp ``ts``. Phase 2 (*propagate*): pick the tag
  ``(ts + 1, writer id)``, send it with the value to every server, wait for a majority of
  acknowledgements, reply ``{"ok": true}``.
- **Read** (two phases). Phase 1: query a majority, take the value of the **highest** tag.
  Phase 2 (*write-back*): propagate that tag and value to a majority, and only then reply
  with the value. The write-back is what makes reads atomic: once a read returns a value, a
  majority holds its tag, so every later read (which queries a majority, and majorities
  intersect) sees a tag at least as high — no *new/old inversion*.

**The receiving server is the client's proxy.** A client sends ``{"f": "put"|"get", "key",
"value"}`` to any server; that server coordinates the operation (it is the paper's reader
or writer process) and answers the client. It counts its own store without messages (the
local query answers and the local propagate is adopted at once), like the co-located roles of
``multi_paxos``. Messages carry the operation's id ``op`` so that late, duplicated or reordered
answers of an earlier phase or operation are ignored.

**Message loss.** The paper assumes reliable links between correct processes. Here links may
lose messages, so a coordinator with operations in flight arms the ``retry`` timer: every
``retry_ticks`` it re-sends the current phase's message to the servers that have not answered
yet. Both requests are idempotent (a query changes nothing; a propagate of a tag not above the
server's own is acknowledged without effect), so duplicates are harmless. Servers stop arming
the timer once ``now >= horizon_ticks`` (0 = never), so runs end; an operation still open then
gets no answer (its client sees it as indeterminate).

History variables (written, never read by the protocol, durable): ``tags`` lists every
``(key, ts, wid)`` this server adopted, in order; ``completed`` lists ``(f, key, ts, wid)`` for
every operation this server answered as coordinator (a read records the tag of the value it
returned). Invariants: *Monotone tags* (a server's tag for a key only increases) and
*Completed tag at a majority* (the tag of every completed write — and read — is held, or
surpassed, by a majority of the servers: the property the linearizability proof rests on).

Bug variant ``no-write-back``: a read answers right after phase 1, skipping the write-back.
A read can then return a value held by a single server (a write still in its phase 2), and a
later read that queries another majority returns the older value: a new/old inversion, not
linearizable although every quorum is a strict majority (DDIA Fig. 9-6).

Deviations from the paper
-------------------------
- Crash-recovery instead of crash-stop: ``store`` is durable, so a restarted server still
  holds (at least) every tag it acknowledged, and the majority argument survives restarts.
  Operations in flight at a crashed coordinator are lost (volatile ``pending``); their clients
  get no answer.
- The writer id in a tag is the id of the coordinating server (the client's proxy), not of
  the client. Because one server may coordinate several writes at once, it never reuses a
  timestamp: it picks ``max(highest ts queried, last_ts) + 1`` with ``last_ts`` durable.
- Retransmission timers and the horizon (above) are ours; the paper's links are reliable.
- One register per key (P-compositionality makes the key-value store linearizable as a whole);
  no bounded timestamps (the paper's main technical contribution is a bounded-label version;
  we use unbounded integers, as its simple unbounded construction does); no read optimisation
  that skips the write-back when a majority already holds the highest tag.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.protocol import Bug, Invariant, Param, ProtocolSpec, Violation
from sim.types import CancelTimer, ClientRequest, Deliver, Node, Note, Reply, Restart, Send, SetTimer, Start, Timer

NO_TAG = (0, "")  # the tag of a key nobody wrote (its value is None)
QUERY, PROPAGATE = "query", "propagate"


# ---------------------------------------------------------------------------- messages
@dataclass(frozen=True, slots=True, kw_only=True)
class Query:
    """Phase 1, coordinator → server: what is your tag (and value) for ``key``?"""

    op: str
    key: str


@dataclass(frozen=True, slots=True, kw_only=True)
class QueryAck:
    """Phase 1 answer, server → coordinator: my ``tag`` for ``key`` and the value written with it."""

    op: str
    key: str
    tag: tuple
    value: object


@dataclass(frozen=True, slots=True, kw_only=True)
class Propagate:
    """Phase 2, coordinator → server: store ``value`` with ``tag`` unless you hold a higher tag."""

    op: str
    key: str
    tag: tuple
    value: object


@dataclass(frozen=True, slots=True, kw_only=True)
class PropagateAck:
    """Phase 2 answer, server → coordinator: I hold ``tag`` or a higher one for ``key``."""

    op: str
    key: str


def server_ids(params) -> tuple[str, ...]:
    return tuple(f"s{i + 1}" for i in range(params["nodes"]))


def fmt(tag) -> str:
    """A tag as the notes show it: ``(2, s1)``; the initial tag as ``(0, -)``."""
    return f"({tag[0]}, {tag[1] or '-'})"


def tag_of(entry) -> tuple:
    """The tag of a ``store`` entry ``[ts, wid, value]`` (None: the key was never written here)."""
    return NO_TAG if entry is None else (entry[0], entry[1])


# ----------------------------------------------------------------------------- server
class Server(Node):
    DURABLE = ("store", "last_ts", "tags", "completed")
    VOLATILE = ("pending", "retry_armed")
    HISTORY = ("tags", "completed")
    LOGS = ("tags", "completed")  # append or rebind only, items never mutated (Node.LOGS)
    ROLE = "replica"  # viz.role.replica (shared with multi_paxos)

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.others = tuple(p for p in self.peers if p != self.node_id)
        self.store: dict[str, list] = {}  # key -> [ts, wid, value]
        self.last_ts = 0  # highest timestamp this server chose for a write it coordinated
        # history variables (durable, never read by the protocol)
        self.tags: list[tuple] = []  # (key, ts, wid) adopted, in order
        self.completed: list[tuple] = []  # (f, key, ts, wid) of every op this server answered
        # coordinator (volatile): op id -> {client, f, key, value, phase, acks, tag, best}
        self.pending: dict[str, dict] = {}
        self.retry_armed = False

    @property
    def majority(self) -> int:
        return len(self.peers) // 2 + 1

    # ------------------------------------------------------------------ the one door in
    def step(self, inp, now):
        if isinstance(inp, Start):
            return []
        if isinstance(inp, Restart):
            return [Note(key="abd.restart", args={"node": self.node_id, "keys": len(self.store)})]
        if isinstance(inp, Timer):
            return self.tick_retry(now) if inp.name == "retry" else []
        if isinstance(inp, ClientRequest):
            return self._on_client(inp, now)
        if isinstance(inp, Deliver):
            return self._on_message(inp.src, inp.msg, now)
        return []

    def _on_message(self, src, m, now) -> list:
        if isinstance(m, Query):
            entry = self.store.get(m.key)
            return [Send(dst=src, msg=QueryAck(op=m.op, key=m.key, tag=tag_of(entry),
                                               value=None if entry is None else entry[2]))]
        if isinstance(m, Propagate):
            out = self.adopt(m.key, m.tag, m.value)
            return out + [Send(dst=src, msg=PropagateAck(op=m.op, key=m.key))]
        if isinstance(m, QueryAck):
            return self._on_query_ack(src, m, now)
        if isinstance(m, PropagateAck):
            return self._on_propagate_ack(src, m, now)
        return []

    # ------------------------------------------------------------------ server side
    def adopt(self, key: str, tag, value) -> list:
        """Store ``value`` with ``tag`` if the tag is above ours: a server's tag never decreases."""
        tag = tuple(tag)
        old = tag_of(self.store.get(key))
        if tag <= old:
            return []
        self.store = {**self.store, key: [tag[0], tag[1], value]}
        self.tags = self.tags + [(key, tag[0], tag[1])]
        return [Note(key="abd.adopt", args={"node": self.node_id, "key": key, "value": _show(value),
                                            "tag": fmt(tag), "old": fmt(old)})]

    # ------------------------------------------------------------------ coordinator (the client's proxy)
    def _on_client(self, inp: ClientRequest, now) -> list:
        op = inp.op
        f, key = op.get("f"), op.get("key")
        if f not in ("put", "get") or not isinstance(key, str):
            return [Reply(client=inp.client, result={"ok": False, "error": "bad_op"})]
        op_id = f"{inp.client}@{now}"  # unique here: a client has one op at a time at a server
        entry = self.store.get(key)
        self.pending = {**self.pending, op_id: {
            "client": inp.client, "f": f, "key": key, "value": op.get("value"), "phase": QUERY,
            "acks": [self.node_id], "tag": list(tag_of(entry)), "best": None if entry is None else entry[2]}}
        args = {"node": self.node_id, "client": inp.client, "key": key}
        note = (Note(key="abd.start_write", args={**args, "value": _show(op.get("value"))}) if f == "put"
                else Note(key="abd.start_read", args=args))
        return [note] + self.broadcast_phase(op_id) + self._arm_retry(now)

    def broadcast_phase(self, op_id: str, only_missing: bool = False) -> list:
        """Send the current phase's message of ``op_id`` to every other server (or those yet to answer)."""
        p = self.pending[op_id]
        if p["phase"] == QUERY:
            msg = Query(op=op_id, key=p["key"])
        else:
            msg = Propagate(op=op_id, key=p["key"], tag=tuple(p["tag"]), value=p["best"])
        return [Send(dst=s, msg=msg) for s in self.others if not (only_missing and s in p["acks"])]

    def _on_query_ack(self, src, m: QueryAck, now) -> list:
        p = self.pending.get(m.op)
        if p is None or p["phase"] != QUERY or src in p["acks"]:
            return []  # late, duplicated, or for another op
        p["acks"] = sorted(p["acks"] + [src])
        if tuple(m.tag) > tuple(p["tag"]):
            p["tag"], p["best"] = list(m.tag), m.value
        if len(p["acks"]) < self.majority:
            return []
        return self.query_done(m.op, now)

    def query_done(self, op_id: str, now) -> list:
        """Phase 1 heard from a majority: a write picks its tag, a read its value; then phase 2."""
        p = self.pending[op_id]
        highest = tuple(p["tag"])
        args = {"node": self.node_id, "client": p["client"], "key": p["key"], "acks": ", ".join(p["acks"]),
                "highest": fmt(highest)}
        if p["f"] == "put":
            self.last_ts = max(highest[0], self.last_ts) + 1
            p["tag"], p["best"] = [self.last_ts, self.node_id], p["value"]
            note = Note(key="abd.write_phase2", args={**args, "tag": fmt(p["tag"]), "value": _show(p["value"])})
        elif self.bug == "no-write-back":
            return [Note(key="abd.skip_write_back", args={**args, "value": _show(p["best"])})] + \
                self.finish(op_id)[1:]  # (the "a majority holds the tag" note would be false)
        else:
            note = Note(key="abd.read_phase2", args={**args, "value": _show(p["best"])})
        p["phase"], p["acks"] = PROPAGATE, [self.node_id]
        out = [note] + self.adopt(p["key"], p["tag"], p["best"]) + self.broadcast_phase(op_id)
        if len(p["acks"]) >= self.majority:  # a single server is its own majority
            out += self.finish(op_id)
        return out

    def _on_propagate_ack(self, src, m: PropagateAck, now) -> list:
        p = self.pending.get(m.op)
        if p is None or p["phase"] != PROPAGATE or src in p["acks"]:
            return []
        p["acks"] = sorted(p["acks"] + [src])
        if len(p["acks"]) < self.majority:
            return []
        return self.finish(m.op)

    def finish(self, op_id: str) -> list:
        """Answer the client; the op's tag (a read: of the value it returns) is in ``completed``."""
        p = self.pending[op_id]
        self.pending = {k: v for k, v in self.pending.items() if k != op_id}
        self.completed = self.completed + [(p["f"], p["key"], p["tag"][0], p["tag"][1])]
        result = {"ok": True} if p["f"] == "put" else {"ok": True, "value": p["best"]}
        idle = [CancelTimer(name="retry")] if not self.pending and self.retry_armed else []
        self.retry_armed = self.retry_armed and bool(self.pending)
        note = Note(key="abd.done", args={"node": self.node_id, "client": p["client"], "key": p["key"],
                                          "tag": fmt(p["tag"]), "acks": ", ".join(p["acks"]),
                                          "result": "ok" if p["f"] == "put" else _show(p["best"])})
        return [note, Reply(client=p["client"], result=result)] + idle

    # ------------------------------------------------------------------ retransmission
    def _arm_retry(self, now) -> list:
        if self.retry_armed or not self.pending:
            return []
        if self.params["horizon_ticks"] and now >= self.params["horizon_ticks"]:
            return []
        self.retry_armed = True
        return [SetTimer(name="retry", after=self.params["retry_ticks"])]

    def tick_retry(self, now) -> list:
        """Re-send the current phase to the servers that have not answered (lost messages)."""
        self.retry_armed = False
        if not self.pending:
            return []
        out = [Note(key="abd.retry", args={"node": self.node_id, "ops": len(self.pending)})]
        for op_id in sorted(self.pending):
            out += self.broadcast_phase(op_id, only_missing=True)
        return out + self._arm_retry(now)


def _show(value) -> str:
    return "∅" if value is None else str(value)


# -------------------------------------------------------------------------- invariants
def monotone_tags(states):
    """A server's tag for a key never decreases: ``tags`` (what it adopted) rises per key."""
    for n in sorted(states):
        last: dict[str, tuple] = {}
        for key, ts, wid in states[n].get("tags") or ():
            if key in last and (ts, wid) <= last[key]:
                return Violation(key="abd.violation.monotone", args={"node": n, "key": key, "tag": fmt((ts, wid)),
                                                                     "old": fmt(last[key])})
            last[key] = (ts, wid)
    return None


def completed_at_majority(states):
    """Every completed op's tag is held (or surpassed) by a majority of the servers."""
    majority = len(states) // 2 + 1
    held: dict[str, list[tuple]] = {}
    for n in sorted(states):
        for key, entry in (states[n].get("store") or {}).items():
            held.setdefault(key, []).append(tag_of(entry))
    for n in sorted(states):
        for f, key, ts, wid in states[n].get("completed") or ():
            if (ts, wid) == NO_TAG:
                continue  # a read of a key nobody wrote: every server holds at least the initial tag
            count = sum(t >= (ts, wid) for t in held.get(key, ()))
            if count < majority:
                return Violation(key="abd.violation.majority_write" if f == "put" else "abd.violation.majority_read",
                                 args={"node": n, "key": key, "tag": fmt((ts, wid)), "count": count,
                                       "majority": majority})
    return None


INVARIANTS = (
    Invariant(name="Monotone tags", check=monotone_tags,
              source="Attiya, Bar-Noy & Dolev 1995 (servers keep the largest label); Lynch & Shvartsman 1997",
              description_key="abd.inv.monotone", label_key="abd.inv_label.monotone", reads=("tags",)),
    Invariant(name="Completed tag at a majority", check=completed_at_majority,
              source="Attiya, Bar-Noy & Dolev 1995 (a read writes back before returning); "
                     "Lynch & Shvartsman 1997",
              description_key="abd.inv.majority", label_key="abd.inv_label.majority", reads=("store", "completed")),
)


def _default_workload(params):
    ids = server_ids(params)
    last = ids[-1]
    return [{"at": 10, "node": ids[0], "client": "c1", "op": {"f": "put", "key": "x", "value": 1}},
            {"at": 100, "node": ids[1], "client": "c2", "op": {"f": "put", "key": "x", "value": 2}},
            {"at": 110, "node": last, "client": "c3", "op": {"f": "get", "key": "x"}},
            {"at": 200, "node": ids[0], "client": "c1", "op": {"f": "get", "key": "x"}}]


SPEC = ProtocolSpec(
    id="abd",
    title_key="proto.abd.title",
    summary_key="proto.abd.summary",
    source="H. Attiya, A. Bar-Noy & D. Dolev, Sharing Memory Robustly in Message-Passing Systems, JACM 42(1), 1995; "
           "N. Lynch & A. Shvartsman, FTCS 1997 (multi-writer)",
    params=(
        Param(name="nodes", default=3, minimum=3, maximum=7, help_key="abd.param.nodes"),
        Param(name="retry_ticks", default=60, minimum=1, maximum=100_000, help_key="abd.param.retry_ticks"),
        Param(name="horizon_ticks", default=600, minimum=0, maximum=1_000_000, help_key="abd.param.horizon_ticks"),
    ),
    bugs=(
        Bug(id="no-write-back", description_key="abd.bug.no_write_back", breaks=("Completed tag at a majority",)),
    ),
    invariants=INVARIANTS,
    node_ids=server_ids,
    make_node=lambda node_id, ids, params, bug, rng: Server(node_id, ids, params, bug, rng),
    default_workload=_default_workload,
    claims=lambda params, bug: () if bug else ("linearizable",),
)
