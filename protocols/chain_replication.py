"""Chain replication of a key-value store on servers ``n1`` .. ``nN``, reconfigured by a ``master``.

Theory of operation
-------------------
Names follow R. van Renesse & F. B. Schneider, "Chain Replication for Supporting High Throughput
and Availability" (OSDI 2004). The servers form a chain ``n1 → n2 → … → nN`` (``chain``).

* §2: an *update* (``put``) enters at the **head**, which gives it the next sequence number,
  applies it and forwards it (``Forward``) to its successor; each server appends it to its
  history ``hist`` (Hist_i), applies it and forwards it on. The **tail** replies to the client
  and sends ``Acked(seq)`` back up the chain. A *query* (``get``) is answered by the tail from
  its state, which holds exactly the updates every server has: queries and updates are
  linearizable. A server other than the head refuses updates and one other than the tail
  refuses queries (``not_head`` / ``not_tail``: definite failures, no effect).
* §3: ``sent`` (Sent_i) holds the updates a server forwarded that the tail has not processed
  yet; ``Acked`` removes them. The **master** detects failures (servers ``Ping`` it every
  ``heartbeat_interval`` ticks; one silent for ``failure_timeout`` ticks is fail-stopped),
  removes the server from the chain and sends the new ``Config`` (numbered ``version``) to
  every server. Head failure: the successor becomes the head (updates only the old head had
  were never acknowledged, so losing them is allowed). Tail failure: the predecessor becomes
  the tail; its whole ``hist`` is now processed by the tail, so it acknowledges it upstream.
  Middle failure: the predecessor S- sends its ``sent`` to its new successor S+, which
  appends what it lacks (the paper's Update Propagation and Inprocess Requests invariants
  say exactly this fills the gap). A server also re-sends ``sent`` to its successor every
  heartbeat, and takes a ``Forward`` only from its current predecessor and only in sequence
  order, so duplicated and reordered messages are harmless.

Fault model. Servers are *fail-stop* (§3): a crashed server never comes back — a restarted
one stays ``removed``, refuses clients and is dropped by the master. The master is assumed
not to fail (the paper replicates it with Paxos). The master's timeout is a perfect failure
detector only with bounded delays (no loss, no partitions); under that model, with crashes,
duplication and reordering, the store is linearizable and the invariants hold.

History variables (never read by the protocol): ``replied``, the sequence numbers a server
answered as the tail.

Deviations from the paper
-------------------------
- One key-value object stands for the paper's set of objects; the sequence number is the
  position in ``hist``.
- The paper's middle-failure protocol has S+ report the last sequence number it received and
  S- send only the missing suffix; here S- sends all of ``sent`` and S+ skips what it has.
- Servers are never added (the paper's §3 chain extension at the tail is not modelled), so a
  chain that loses every server stays empty.
- When a tail fails, updates its predecessor had forwarded but the old tail had not answered
  get no reply from the new tail (the client's op is indeterminate); the paper's clients
  would time out and retry.
- Inprocess Requests Invariant is checked as "every update a server holds beyond the tail's
  history is in its ``sent``" (Hist_i ⊆ Hist_tail ⊕ Sent_i): ``Acked`` takes time to travel,
  so Sent_i may still list updates the tail already processed.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.protocol import Bug, Invariant, Param, ProtocolSpec, Violation
from sim.types import ClientRequest, Deliver, Node, Note, Reply, Restart, Send, SetTimer, Start, Timer

MASTER = "master"


@dataclass(frozen=True, slots=True, kw_only=True)
class Forward:
    """Predecessor → successor: the update with sequence number ``seq``."""

    seq: int
    entry: dict


@dataclass(frozen=True, slots=True, kw_only=True)
class Acked:
    """Successor → predecessor: the tail has processed every update up to ``seq``."""

    seq: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Ping:
    """Server → master: I am alive (and know configuration ``version``)."""

    version: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """Master → server: the chain, head first."""

    version: int
    chain: tuple


def server_ids(params) -> tuple[str, ...]:
    return tuple(f"n{i + 1}" for i in range(params["nodes"]))


def node_ids(params) -> tuple[str, ...]:
    return server_ids(params) + (MASTER,)


def entry_label(e) -> str:
    return f"put {e['key']}={e['value']}"


class Server(Node):
    DURABLE = ("replied",)
    VOLATILE = ("role", "chain", "version", "hist", "sent", "kv")
    ROLE = "replica"
    LOGS = ("replied", "hist")

    def __init__(self, node_id, peers, params, bug, rng) -> None:
        super().__init__(node_id, peers, params, bug, rng)
        self.replied: list = []
        self.chain: list = list(server_ids(params))
        self.version = 1
        self.hist: list = []
        self.sent: list = []
        self.kv: dict = {}
        self.role = self._role()

    def _role(self) -> str:
        if self.node_id not in self.chain:
            return "removed"
        if len(self.chain) == 1:
            return "head+tail"
        return "head" if self.chain[0] == self.node_id else "tail" if self.chain[-1] == self.node_id else "middle"

    @property
    def pred(self):
        i = self.chain.index(self.node_id)
        return self.chain[i - 1] if i > 0 else None

    @property
    def succ(self):
        i = self.chain.index(self.node_id)
        return self.chain[i + 1] if i + 1 < len(self.chain) else None

    def is_head(self) -> bool:
        return self.role in ("head", "head+tail")

    def is_tail(self) -> bool:
        return self.role in ("tail", "head+tail")

    def _arm(self, now) -> list:
        h = self.params["horizon_ticks"]
        return [] if h and now >= h else [SetTimer(name="heartbeat", after=self.params["heartbeat_interval"])]

    def step(self, inp, now) -> list:
        if isinstance(inp, Start):
            return self._arm(now)
        if isinstance(inp, Restart):  # fail-stop: a server that crashed never rejoins
            self.chain, self.role, self.hist, self.sent, self.kv = [], "removed", [], [], {}
            return [Note(key="cr.stays_removed", args={"node": self.node_id})]
        if self.role == "removed":
            if isinstance(inp, ClientRequest):
                return [Reply(client=inp.client, result={"ok": False, "error": "removed"})]
            return []
        if isinstance(inp, Timer):
            return self.tick_heartbeat(now)
        if isinstance(inp, ClientRequest):
            return self._on_client(inp)
        if isinstance(inp, Deliver):
            m = inp.msg
            if isinstance(m, Forward):
                return self._on_forward(inp.src, m)
            if isinstance(m, Acked):
                return self._on_acked(inp.src, m)
            if isinstance(m, Config):
                return self._on_config(m)
        return []

    # ------------------------------------------------------------------ §2: updates and queries
    def _on_client(self, inp: ClientRequest) -> list:
        f, key = inp.op.get("f"), inp.op.get("key")
        if f not in ("get", "put") or not isinstance(key, str):
            return [Reply(client=inp.client, result={"ok": False, "error": "bad_op"})]
        if f == "get":
            if not self.is_tail() and self.bug != "read-at-head":
                return [Note(key="cr.not_tail", args={"node": self.node_id, "client": inp.client,
                                                      "tail": self.chain[-1]}),
                        Reply(client=inp.client, result={"ok": False, "error": "not_tail", "tail": self.chain[-1]})]
            value = self.kv.get(key)
            return [Note(key="cr.query", args={"node": self.node_id, "key": key, "value": str(value),
                                               "entries": len(self.hist)}),
                    Reply(client=inp.client, result={"ok": True, "value": value})]
        if not self.is_head():
            return [Note(key="cr.not_head", args={"node": self.node_id, "client": inp.client, "head": self.chain[0]}),
                    Reply(client=inp.client, result={"ok": False, "error": "not_head", "head": self.chain[0]})]
        entry = {"client": inp.client, "key": key, "value": inp.op.get("value")}
        out = [Note(key="cr.head_update", args={"node": self.node_id, "seq": len(self.hist) + 1,
                                                "entry": entry_label(entry)})]
        out += self._process(len(self.hist) + 1, entry)
        if self.bug == "reply-before-tail" and not self.is_tail():
            self.replied.append(len(self.hist))
            out.append(Reply(client=inp.client, result={"ok": True}))
        return out

    def _process(self, seq: int, entry: dict) -> list:
        """Append to Hist_i and apply; then forward (not the tail) or reply and acknowledge (the tail)."""
        self.hist.append({"seq": seq, **entry})
        self.kv = {**self.kv, entry["key"]: entry["value"]}
        if not self.is_tail():
            self.sent.append(self.hist[-1])
            return [Send(dst=self.succ, msg=Forward(seq=seq, entry=entry))]
        self.replied.append(seq)
        out = [Note(key="cr.tail_reply", args={"node": self.node_id, "seq": seq, "entry": entry_label(entry)})]
        if self.bug != "reply-before-tail" or self.is_head():
            out.append(Reply(client=entry["client"], result={"ok": True}))
        if self.pred is not None:
            out.append(Send(dst=self.pred, msg=Acked(seq=seq)))
        return out

    def _on_forward(self, src, m: Forward) -> list:
        if src != self.pred or m.seq != len(self.hist) + 1:
            return []  # not from our predecessor, a duplicate, or out of order: it is sent again
        return [Note(key="cr.forward", args={"node": self.node_id, "seq": m.seq, "entry": entry_label(m.entry),
                                             "src": src})] + self._process(m.seq, m.entry)

    def _on_acked(self, src, m: Acked) -> list:
        if src != self.succ or not self.sent or self.sent[0]["seq"] > m.seq:
            return []
        self.sent = [e for e in self.sent if e["seq"] > m.seq]
        return [Send(dst=self.pred, msg=Acked(seq=m.seq))] if self.pred is not None else []

    # ------------------------------------------------------------------ §3: failures
    def tick_heartbeat(self, now) -> list:
        out = self._arm(now) + [Send(dst=MASTER, msg=Ping(version=self.version))]
        if self.succ is not None:  # re-send what the tail has not processed (lost, reordered, new successor)
            out += [Send(dst=self.succ, msg=Forward(seq=e["seq"], entry=_entry(e))) for e in self.sent]
        return out

    def _on_config(self, m: Config) -> list:
        if m.version <= self.version:
            return []
        old_succ, old_role = self.succ if self.node_id in self.chain else None, self.role
        self.chain, self.version = list(m.chain), m.version
        self.role = self._role()
        out = [Note(key="cr.config", args={"node": self.node_id, "chain": " → ".join(m.chain) or "-",
                                           "role": self.role, "version": m.version})]
        if self.role == "removed":
            self.hist, self.sent, self.kv = [], [], {}
            return out
        if self.is_tail() and old_role not in ("tail", "head+tail"):
            # §3 tail failure: everything we hold is now processed by the tail
            done = self.hist[-1]["seq"] if self.hist else 0
            self.sent = []
            if self.pred is not None:
                out.append(Send(dst=self.pred, msg=Acked(seq=done)))
        elif self.succ != old_succ and self.succ is not None:
            # §3 middle failure: S- sends Sent to its new successor S+
            out.append(Note(key="cr.resend", args={"node": self.node_id, "succ": self.succ, "count": len(self.sent)}))
            out += [Send(dst=self.succ, msg=Forward(seq=e["seq"], entry=_entry(e))) for e in self.sent]
        return out


def _entry(e) -> dict:
    return {k: v for k, v in e.items() if k != "seq"}


class Master(Node):
    """The configuration master (§3): detects fail-stopped servers and publishes the new chain."""

    DURABLE = ("chain", "version")
    VOLATILE = ("heard",)
    ROLE = "master"

    def __init__(self, node_id, peers, params, bug, rng) -> None:
        super().__init__(node_id, peers, params, bug, rng)
        self.chain: list = list(server_ids(params))
        self.version = 1
        self.heard: dict = {}

    def _arm(self, now) -> list:
        h = self.params["horizon_ticks"]
        return [] if h and now >= h else [SetTimer(name="check", after=self.params["heartbeat_interval"])]

    def step(self, inp, now) -> list:
        if isinstance(inp, (Start, Restart)):
            self.heard = {n: now for n in self.chain}
            return self._arm(now)
        if isinstance(inp, Deliver) and isinstance(inp.msg, Ping):
            self.heard = {**self.heard, inp.src: now}
            if inp.msg.version < self.version:  # it missed a Config
                return [Send(dst=inp.src, msg=Config(version=self.version, chain=tuple(self.chain)))]
            return []
        if isinstance(inp, Timer):
            return self.tick_check(now)
        if isinstance(inp, ClientRequest):
            return [Reply(client=inp.client, result={"ok": False, "error": "not_a_server"})]
        return []

    def tick_check(self, now) -> list:
        out = self._arm(now)
        h = self.params["horizon_ticks"]
        if h and now >= h:
            return out  # after the horizon servers stop pinging: no more failure detection
        failed = [n for n in self.chain if now - self.heard.get(n, now) >= self.params["failure_timeout"]]
        if not failed:
            return out
        self.chain = [n for n in self.chain if n not in failed]
        self.version += 1
        out.append(Note(key="cr.remove", args={"failed": ", ".join(failed), "chain": " → ".join(self.chain) or "-",
                                               "version": self.version}))
        cfg = Config(version=self.version, chain=tuple(self.chain))
        return out + [Send(dst=n, msg=cfg) for n in server_ids(self.params)]


# -------------------------------------------------------------------------- invariants
def _live_chain(states):
    chain = (states.get(MASTER) or {}).get("chain") or []
    return [n for n in chain if (states.get(n) or {}).get("hist") is not None
            and states[n].get("role") not in (None, "removed")]


def update_propagation(states):
    """§3 Update Propagation Invariant: for servers i ≤ j in the chain, Hist_j is a prefix of Hist_i."""
    live = _live_chain(states)
    for a, b in zip(live, live[1:]):
        ha, hb = states[a]["hist"], states[b]["hist"]
        if len(hb) > len(ha) or ha[:len(hb)] != hb:
            return Violation(key="cr.violation.propagation", args={"i": a, "j": b})
    return None


def inprocess_requests(states):
    """§3 Inprocess Requests Invariant: Hist_i = Hist_tail ⊕ Sent_i — every update server i holds beyond
    the tail's history is in Sent_i (read here as an inclusion, see the module doc)."""
    live = _live_chain(states)
    if not live:
        return None
    tail_len = len(states[live[-1]]["hist"])
    for n in live[:-1]:
        s = states[n]
        pending = {e["seq"] for e in s.get("sent") or []}
        missing = [e["seq"] for e in s["hist"][tail_len:] if e["seq"] not in pending]
        if missing:
            return Violation(key="cr.violation.inprocess", args={"node": n, "seq": missing[0], "tail": live[-1]})
    return None


def replied_everywhere(states):
    """§2: the tail replies only to updates every server in the chain holds, so a replied update is on every
    live server of the chain."""
    replied = {seq for s in states.values() for seq in (s.get("replied") or [])}
    if not replied:
        return None
    top = max(replied)
    for n in _live_chain(states):
        if len(states[n]["hist"]) < top:
            return Violation(key="cr.violation.replied", args={"node": n, "seq": top})
    return None


INVARIANTS = (
    Invariant(name="Update Propagation Invariant", check=update_propagation,
              source="van Renesse & Schneider 2004, §3", description_key="cr.inv.propagation",
              label_key="cr.inv_label.propagation", reads=("chain", "hist", "role")),
    Invariant(name="Inprocess Requests Invariant", check=inprocess_requests,
              source="van Renesse & Schneider 2004, §3", description_key="cr.inv.inprocess",
              label_key="cr.inv_label.inprocess", reads=("chain", "hist", "role", "sent")),
    Invariant(name="Replied updates are on every server", check=replied_everywhere,
              source="van Renesse & Schneider 2004, §2", description_key="cr.inv.replied",
              label_key="cr.inv_label.replied", reads=("chain", "hist", "role", "replied")),
)


def _default_workload(params):
    ids = server_ids(params)
    return [{"at": 30, "node": ids[0], "client": "c1", "op": {"f": "put", "key": "x", "value": 1}},
            {"at": 32, "node": ids[-1], "client": "c2", "op": {"f": "get", "key": "x"}},
            {"at": 80, "node": ids[0], "client": "c1", "op": {"f": "put", "key": "x", "value": 2}},
            {"at": 140, "node": ids[-1], "client": "c2", "op": {"f": "get", "key": "x"}}]


def _make(node_id, ids, params, bug, rng):
    cls = Master if node_id == MASTER else Server
    return cls(node_id, ids, params, bug, rng)


SPEC = ProtocolSpec(
    id="chain-replication",
    title_key="proto.cr.title",
    summary_key="proto.cr.summary",
    source="R. van Renesse & F. B. Schneider, Chain Replication for Supporting High Throughput and "
           "Availability, OSDI 2004 (§2, §3)",
    params=(
        Param(name="nodes", default=3, minimum=1, maximum=6, help_key="cr.param.nodes"),
        Param(name="heartbeat_interval", default=20, minimum=1, maximum=100_000,
              help_key="cr.param.heartbeat_interval"),
        Param(name="failure_timeout", default=80, minimum=1, maximum=100_000, help_key="cr.param.failure_timeout"),
        Param(name="horizon_ticks", default=500, minimum=0, maximum=1_000_000, help_key="cr.param.horizon_ticks"),
    ),
    bugs=(
        Bug(id="read-at-head", description_key="cr.bug.read_at_head", breaks=()),
        Bug(id="reply-before-tail", description_key="cr.bug.reply_before_tail",
            breaks=("Replied updates are on every server",)),
    ),
    invariants=INVARIANTS,
    node_ids=node_ids,
    make_node=_make,
    default_workload=_default_workload,
    claims=lambda params, bug: () if bug else ("linearizable",),
)
