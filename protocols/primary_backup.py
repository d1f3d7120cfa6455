"""Primary-backup (remote-write) replication of a key-value store on nodes ``p``, ``b1`` .. ``bN``.

Theory of operation
-------------------
The primary-based *remote-write* protocol of van Steen & Tanenbaum, *Distributed Systems*
(4th ed. 2023), §7.5.1 (Alsberg & Day 1976; Budhiraja, Marzullo, Schneider & Toueg 1993).
Every write goes to the one primary, which orders it in its ``log`` and forwards it to the
backups in that order (``Update``); backups append and answer ``Ack`` with how much of the
log they hold (``match``).

* ``sync_replication`` (the book's *blocking* variant): the primary acknowledges a write to
  the client only after every backup in ``members`` (the live, caught-up backups) holds it —
  the write is then *committed* (``commit_index``). Reads at the primary answer from the
  committed prefix. Otherwise (*non-blocking*): the primary acknowledges at once and ships
  the new entries with its next heartbeat, ``heartbeat_interval`` ticks later.
* ``backup_reads``: a backup answers a read from its own committed prefix (the primary
  piggybacks ``commit`` on every ``Update``) instead of refusing it. Writes at a backup are
  always refused (``not_primary``: a definite failure, no effect).
* ``sync`` reads (ZooKeeper's ``sync`` before a read): a ``get`` with ``"sync": true`` at a
  backup (``backup_reads`` on) sends ``SyncRequest`` to its primary. The primary, if it is
  the ready primary of that view, answers ``SyncReply`` with its ``commit_index`` at that
  moment (the *sync point*), right after an ``Update`` with what the backup lacks. The backup
  answers the read from its committed prefix as soon as that prefix reaches the sync point
  (from the ``Update``, or any later one); every write acknowledged before the read began is
  then in it. At the primary ``sync`` is a no-op. The read fails with ``sync_failed`` (a
  definite answer: a failed read has no effect) when the backup knows no primary, when the
  primary refuses (not the ready primary of that view), when the backup moves to a new view
  or takes over, or when its failover timer finds the primary silent. A crash of the backup
  leaves the read without an answer (indeterminate, like any op at a crashed node); so does
  the end of the run (``horizon_ticks``) before the answer. ``syncs`` (volatile) lists the
  waiting reads as ``[n, at, client, key, sync point]``; ``syncs_asked`` numbers them, and
  ``(at, n)`` names a read in the messages.
* ``max_lag`` = K > 0 (Azure Cosmos DB's *bounded staleness*: writes are throttled while a
  replica lags too far behind), non-blocking replication only: the primary still appends and
  commits write i at once, but acknowledges it only once every *live* backup (heard from
  within ``failover_timeout_min``, the test that drops members) has told it in this view
  (``Ack``) that it holds at least i − K entries; until then the write waits in ``pending``.
  A backup applies the entries of an ``Update`` together with its ``commit`` (non-blocking:
  the primary's whole log), so after an ``Update`` its committed prefix is its whole log,
  at least the ``match`` it acknowledges. With ``max_lag`` a backup
  answers (non-sync) reads only while it is ``synced``; a restarted one refuses
  (``not_synced``) until the primary has brought it up to date. Hence, in the synchronous
  fault model below, a read invoked after write i was acknowledged returns a committed prefix
  of at least i − K entries: at most K versions (log entries, of any key) behind.
  ``max_lag`` is ignored under ``sync_replication`` (every member already holds an
  acknowledged write; a backup may still learn late that it is committed — use sync reads).
* Failover: every node sends ``Alive`` (backups) or ``Update`` (the primary) to every other
  node every ``heartbeat_interval`` ticks. A backup that hears nothing from the primary for
  its failover timeout (drawn from the node's seeded RNG between ``failover_timeout_min`` and
  ``failover_timeout_max``) suspects it. Then the lowest-ranked *eligible* live node (order
  ``p, b1, b2, …``; eligible = ``synced``: a member of the last primary's view, heard from
  within ``failover_timeout_min``) takes over: ``view`` + 1, ``members`` = the eligible
  nodes it hears, a full state transfer (``Update`` with ``start = 0``) to everyone. A new
  primary answers reads only once its whole log is committed in its view (``view_start``).
  The primary drops from ``members`` a backup it has not heard from for
  ``failover_timeout_min``; a caught-up backup (``match`` = log length) is (re-)added and
  told so (``member``), which makes it ``synced`` again. A node that restarts is not synced
  until then, so it can never take over with a stale log.

Fault model. The timeout is a *perfect failure detector* only in a synchronous system: no
message loss, no partitions, delays (incl. reordering) below ``failover_timeout_min`` minus
``heartbeat_interval``. Under those assumptions (crashes, restarts, duplication, bounded
reordering) sync + primary reads is linearizable and the invariants hold. A partition (or
lossy links) makes the detector lie: the cut-off old primary drops its backups from
``members`` and keeps acknowledging writes alone while a backup takes over — *two primaries*
(split brain, in different views). That breaks linearizability (and the invariant
Acknowledged writes survive failover): the old primary's acknowledged writes are lost when
it rejoins, and its reads are stale. Real systems fence with a view service, leases or an
atomic test-and-set (curriculum §4.10).

``views_led`` and ``acked`` are history variables (never read by the protocol):
the views a node led, and the writes it acknowledged under sync replication as
``[entry view, index, acknowledging view]``.

Deviations from the paper
-------------------------
- The book does not fix failure detection; the rank rule ("lowest-ranked eligible live node")
  and the membership/``synced`` bookkeeping are this module's, in the spirit of Budhiraja et
  al.'s ``Δ``-bounded detection. There is no separate view service.
- The log is durable and the key-value map is recomputed from its committed prefix; a
  real backup would persist the map. ``commit_index`` is volatile, so a restarted backup
  answers (with ``backup_reads``) from an empty map until the primary tells it more.
- A new primary keeps (and commits) the uncommitted tail of its log; the old primary's
  client of such a write gets no answer (the op is indeterminate), never an error.
- Non-blocking propagation is batched on the heartbeat, which is what makes an acknowledged
  write lost when the primary crashes before the next heartbeat (the book's warning). With
  ``max_lag`` at most the last K acknowledged writes can be lost that way.
- ``sync`` and ``max_lag`` model ZooKeeper's ``sync`` and Cosmos DB's bounded staleness, not
  their implementations: ZooKeeper orders the sync through Zab, Cosmos DB bounds the lag per
  region and physical partition, in versions K *or* time T; here only K, in log entries.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.protocol import Bug, Invariant, Param, ProtocolSpec, Violation
from sim.types import ClientRequest, Deliver, Node, Note, Reply, Restart, Send, SetTimer, Start, Timer

PRIMARY, BACKUP = "primary", "backup"


@dataclass(frozen=True, slots=True, kw_only=True)
class Update:
    """Primary → backup: log entries from ``start`` (0 = whole log), its commit index, membership."""

    view: int
    start: int
    entries: tuple
    commit: int
    member: bool
    seq: int  # the primary's send counter: a delayed Update must not undo a newer one's membership news


@dataclass(frozen=True, slots=True, kw_only=True)
class Ack:
    """Backup → primary: my log agrees with yours up to ``match`` (-1: send me everything)."""

    view: int
    match: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Alive:
    """Backup → everyone: a heartbeat, with whether I am a synced member."""

    view: int
    synced: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncRequest:
    """Backup → its primary: a client's sync read (invoked at tick ``at``, my ``n``-th): your commit index?"""

    view: int
    at: int
    n: int


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncReply:
    """Primary → backup: my commit index when your SyncRequest arrived (the sync point); ``ok`` False: I am
    not the ready primary of that view."""

    view: int
    at: int
    n: int
    commit: int
    ok: bool


def node_ids(params) -> tuple[str, ...]:
    return ("p",) + tuple(f"b{i + 1}" for i in range(params["backups"]))


def entry_label(e) -> str:
    return f"put {e['key']}={e['value']}"


def kv_of(entries) -> dict:
    kv: dict = {}
    for e in entries:
        kv[e["key"]] = e["value"]
    return kv


class Replica(Node):
    DURABLE = ("view", "log", "views_led", "acked")
    VOLATILE = ("role", "primary", "synced", "commit_index", "kv", "view_start", "members", "match", "heard",
                "peer_synced", "pending", "seq", "syncs", "syncs_asked")
    ROLE = BACKUP
    LOGS = ("log", "views_led", "acked")

    def __init__(self, node_id, peers, params, bug, rng) -> None:
        super().__init__(node_id, peers, params, bug, rng)
        self.others = tuple(n for n in peers if n != node_id)
        self.view = 1
        self.log: list = []
        self.views_led: list = []
        self.acked: list = []
        self._volatile()

    def _volatile(self) -> None:
        self.role = BACKUP
        self.primary = None
        self.synced = False
        self.commit_index = 0
        self.kv: dict = {}
        self.view_start = 0
        self.members: list = []
        self.match: dict = {}
        self.heard: dict = {}
        self.peer_synced: dict = {}
        self.pending: dict = {}
        self.seq = 0  # primary: Updates sent in this view; backup: newest Update seen from its primary
        self.syncs: list = []  # backup: waiting sync reads [n, at, client, key, sync point or None]
        self.syncs_asked = 0  # backup: sync reads asked since the (re)start

    # ------------------------------------------------------------------ plumbing
    @property
    def sync(self) -> bool:
        return bool(self.params["sync_replication"])

    @property
    def bounded(self) -> bool:
        """Bounded staleness is on: ``max_lag`` > 0 under non-blocking replication."""
        return not self.sync and self.params["max_lag"] > 0

    def _after_horizon(self, now) -> bool:
        return bool(self.params["horizon_ticks"]) and now >= self.params["horizon_ticks"]

    def _arm(self, name, after, now) -> list:
        return [] if self._after_horizon(now) else [SetTimer(name=name, after=after)]

    def _arm_failover(self, now) -> list:
        lo, hi = self.params["failover_timeout_min"], self.params["failover_timeout_max"]
        return self._arm("failover", self.rng.randint(lo, max(lo, hi)), now)

    def step(self, inp, now) -> list:
        if isinstance(inp, Deliver):
            self.heard = {**self.heard, inp.src: now}
            m = inp.msg
            if isinstance(m, Update):
                return self._on_update(inp.src, m, now)
            if isinstance(m, Ack):
                return self._on_ack(inp.src, m, now)
            if isinstance(m, Alive):
                return self._on_alive(inp.src, m, now)
            if isinstance(m, SyncRequest):
                return self._on_sync_request(inp.src, m)
            if isinstance(m, SyncReply):
                return self._on_sync_reply(m)
            return []
        if isinstance(inp, ClientRequest):
            return self._on_client(inp, now)
        if isinstance(inp, Timer):
            if inp.name == "heartbeat":
                return self.tick_heartbeat(now)
            if inp.name == "failover":
                return self.tick_failover(now)
            return []
        if isinstance(inp, Start):
            self.heard = {n: now for n in self.others}
            if self.node_id == self.peers[0]:  # p is the primary of view 1, every backup a member
                self.role, self.primary, self.synced = PRIMARY, self.node_id, True
                self.views_led.append(1)
                self.members = list(self.others)
                self.match = {b: 0 for b in self.others}
                return self._arm("heartbeat", self.params["heartbeat_interval"], now)
            self.primary, self.synced = self.peers[0], True
            return self._arm("heartbeat", self.params["heartbeat_interval"], now) + self._arm_failover(now)
        if isinstance(inp, Restart):
            self._volatile()
            return ([Note(key="pb.restart", args={"node": self.node_id, "view": self.view, "entries": len(self.log)})]
                    + self._arm("heartbeat", self.params["heartbeat_interval"], now) + self._arm_failover(now))
        return []

    # ------------------------------------------------------------------ commit and apply
    def _set_commit(self, n: int) -> None:
        if n < self.commit_index:
            self.commit_index = n
            self.kv = kv_of(self.log[:n])
        else:
            kv = dict(self.kv)
            for e in self.log[self.commit_index:n]:
                kv[e["key"]] = e["value"]
            self.kv, self.commit_index = kv, n

    def maybe_commit(self) -> list:
        """Sync: an entry commits once every member holds it; async: everything is committed at once."""
        n = len(self.log)
        if self.sync:
            n = min([n] + [self.match.get(b, 0) for b in self.members])
        if n <= self.commit_index:
            return []
        self._set_commit(n)
        out = []
        for index in sorted(i for i in self.pending if i <= n and self.sync):
            e = self.log[index - 1]
            self.acked.append([e["view"], index, self.view])
            out.append(Note(key="pb.commit", args={"node": self.node_id, "index": index, "entry": entry_label(e),
                                                   "members": ", ".join(self.members) or "-"}))
            out.append(Reply(client=self.pending[index], result={"ok": True}))
        self.pending = {i: c for i, c in self.pending.items() if i > n or not self.sync}
        return out

    def maybe_ack_bounded(self, now) -> list:
        """Bounded staleness: acknowledge a waiting write i once every live backup holds entry i − max_lag."""
        if not self.pending or not self.bounded:
            return []
        floor = self._bounded_floor(now)
        k, out = self.params["max_lag"], []
        for index in sorted(i for i in self.pending if i - k <= floor):
            out.append(Note(key="pb.ack_bounded", args={"node": self.node_id, "index": index, "max_lag": k,
                                                        "floor": max(index - k, 0)}))
            out.append(Reply(client=self.pending[index], result={"ok": True}))
        self.pending = {i: c for i, c in self.pending.items() if i - k > floor}
        return out

    def _bounded_floor(self, now) -> int:
        """How many entries every live backup has acknowledged holding in this view (-1: one has not yet)."""
        return min([self.match.get(b, 0) for b in self.others if self._live(b, now)], default=len(self.log))

    # ------------------------------------------------------------------ clients
    def _on_client(self, inp: ClientRequest, now) -> list:
        f, key = inp.op.get("f"), inp.op.get("key")
        if f not in ("get", "put") or not isinstance(key, str):
            return [Reply(client=inp.client, result={"ok": False, "error": "bad_op"})]
        if f == "get":
            if inp.op.get("sync") is True and self.role != PRIMARY and self.params["backup_reads"]:
                return self.send_sync(inp.client, key, now)  # at the primary, sync is a no-op
            return self._on_read(inp.client, key)
        if self.role != PRIMARY:
            return [Note(key="pb.refuse_write", args={"node": self.node_id, "client": inp.client,
                                                      "primary": self.primary or "?"}),
                    Reply(client=inp.client, result={"ok": False, "error": "not_primary", "primary": self.primary})]
        self.log.append({"view": self.view, "client": inp.client, "key": key, "value": inp.op.get("value")})
        index = len(self.log)
        out = [Note(key="pb.append", args={"node": self.node_id, "index": index, "entry": entry_label(self.log[-1]),
                                           "view": self.view})]
        if not self.sync:  # non-blocking: acknowledge now, propagate with the next heartbeat
            self._set_commit(index)
            if self.bounded:  # ... unless a live backup lags more than max_lag behind
                self.pending = {**self.pending, index: inp.client}
                out += self.maybe_ack_bounded(now)
                return out + ([self._hold_note(index, now)] if index in self.pending else [])
            return out + [Note(key="pb.ack_async", args={"node": self.node_id, "index": index}),
                          Reply(client=inp.client, result={"ok": True})]
        self.pending = {**self.pending, index: inp.client}
        return out + self.broadcast_update() + self.maybe_commit()

    def _on_read(self, client, key) -> list:
        if self.role == PRIMARY:
            if self.commit_index < self.view_start:
                return [Note(key="pb.not_ready", args={"node": self.node_id, "client": client}),
                        Reply(client=client, result={"ok": False, "error": "not_ready"})]
        elif not self.params["backup_reads"]:
            return [Note(key="pb.refuse_read", args={"node": self.node_id, "client": client,
                                                     "primary": self.primary or "?"}),
                    Reply(client=client, result={"ok": False, "error": "not_primary", "primary": self.primary})]
        elif self.bounded and not self.synced:
            return [Note(key="pb.refuse_unsynced", args={"node": self.node_id, "client": client}),
                    Reply(client=client, result={"ok": False, "error": "not_synced"})]
        value = self.kv.get(key)
        return [Note(key="pb.read", args={"node": self.node_id, "key": key, "value": str(value),
                                          "commit": self.commit_index, "entries": len(self.log)}),
                Reply(client=client, result={"ok": True, "value": value})]

    def _hold_note(self, index, now) -> Note:
        k = self.params["max_lag"]
        lagging = [b for b in self.others if self._live(b, now) and self.match.get(b, 0) < index - k]
        return Note(key="pb.hold", args={"node": self.node_id, "index": index, "max_lag": k,
                                         "floor": index - k, "backups": ", ".join(lagging)})

    # ------------------------------------------------------------------ sync reads
    def send_sync(self, client, key, now) -> list:
        """ZooKeeper's sync before a read: ask the primary for its commit index, answer once ours reaches it."""
        if self.primary is None:
            return self._fail_sync([[None, now, client, key, None]])
        n = self.syncs_asked
        self.syncs_asked += 1
        self.syncs = self.syncs + [[n, now, client, key, None]]
        return [Note(key="pb.sync_ask", args={"node": self.node_id, "client": client, "primary": self.primary}),
                Send(dst=self.primary, msg=SyncRequest(view=self.view, at=now, n=n))]

    def _on_sync_request(self, src, m: SyncRequest) -> list:
        if self.role != PRIMARY or m.view != self.view or self.commit_index < self.view_start:
            return [Note(key="pb.sync_refuse", args={"node": self.node_id, "backup": src, "view": m.view}),
                    Send(dst=src, msg=SyncReply(view=m.view, at=m.at, n=m.n, commit=-1, ok=False))]
        return [Note(key="pb.sync_point", args={"node": self.node_id, "backup": src, "commit": self.commit_index}),
                self.send_update(src),
                Send(dst=src, msg=SyncReply(view=self.view, at=m.at, n=m.n, commit=self.commit_index, ok=True))]

    def _on_sync_reply(self, m: SyncReply) -> list:
        mine = [s for s in self.syncs if (s[0], s[1]) == (m.n, m.at)]
        if not mine or m.view != self.view:
            return []  # already answered or given up (a duplicate, or from before a view change)
        if not m.ok:
            self.syncs = [s for s in self.syncs if s not in mine]
            return self._fail_sync(mine)
        self.syncs = [s[:4] + [m.commit] if s in mine else s for s in self.syncs]
        out = self.maybe_answer_syncs()
        if any(s[0] == m.n and s[1] == m.at for s in self.syncs):
            out.append(Note(key="pb.sync_wait", args={"node": self.node_id, "client": mine[0][2], "point": m.commit,
                                                      "commit": self.commit_index}))
        return out

    def maybe_answer_syncs(self) -> list:
        """Answer every sync read whose sync point our committed prefix has reached."""
        done = [s for s in self.syncs if s[4] is not None and s[4] <= self.commit_index]
        if not done:
            return []
        self.syncs = [s for s in self.syncs if s not in done]
        out: list = []
        for _n, _at, client, key, point in done:
            value = self.kv.get(key)
            out.append(Note(key="pb.sync_read", args={"node": self.node_id, "key": key, "value": str(value),
                                                      "point": point, "commit": self.commit_index}))
            out.append(Reply(client=client, result={"ok": True, "value": value}))
        return out

    def abort_syncs(self) -> list:
        """The primary changed or fell silent: the waiting sync reads fail (a failed read has no effect)."""
        waiting, self.syncs = self.syncs, []
        return self._fail_sync(waiting)

    def _fail_sync(self, reads) -> list:
        out: list = []
        for read in reads:
            out.append(Note(key="pb.sync_abort", args={"node": self.node_id, "client": read[2]}))
            out.append(Reply(client=read[2], result={"ok": False, "error": "sync_failed"}))
        return out

    # ------------------------------------------------------------------ replication
    def send_update(self, b: str) -> Send:
        start = min(max(self.match.get(b, 0), 0), len(self.log))
        self.seq += 1
        return Send(dst=b, msg=Update(view=self.view, start=start, entries=tuple(self.log[start:]),
                                      commit=self.commit_index, member=b in self.members, seq=self.seq))

    def broadcast_update(self) -> list:
        return [self.send_update(b) for b in self.others]

    def _on_update(self, src, m: Update, now) -> list:
        if m.view < self.view:
            return []  # a deposed primary: it learns the new view from our Alive
        out: list = []
        if self.role == PRIMARY and m.view == self.view:
            return []  # cannot happen with one primary per view
        if self.role == PRIMARY:
            out += self.become_backup(m.view)
        if m.view > self.view:
            if m.start != 0:
                return [Send(dst=src, msg=Ack(view=m.view, match=-1))]  # new view: state transfer first
            self.log = list(m.entries)  # rebind: the new primary's log replaces ours
            self.view, self.primary, self.seq = m.view, src, 0
            self._set_commit(0)  # what is committed in the new view comes with m.commit below
            out.append(Note(key="pb.state_transfer", args={"node": self.node_id, "primary": src, "view": m.view,
                                                           "entries": len(self.log)}))
            out += self.abort_syncs()
        # same view: our log and the update are both prefixes of this view's one primary's log
        self.primary = src
        if m.start > len(self.log):
            return out + [Send(dst=src, msg=Ack(view=m.view, match=len(self.log)))]
        elif m.start + len(m.entries) > len(self.log):
            new = m.entries[len(self.log) - m.start:]
            self.log.extend(new)
            out.append(Note(key="pb.backup_append", args={"node": self.node_id, "count": len(new),
                                                          "entries": len(self.log)}))
        self._set_commit(max(self.commit_index, min(m.commit, len(self.log))))
        out += self.maybe_answer_syncs()
        fresh = m.seq > self.seq
        self.seq = max(self.seq, m.seq)
        if fresh and self.synced != m.member:
            self.synced = m.member
            out.append(Note(key="pb.joined" if m.member else "pb.not_member",
                            args={"node": self.node_id, "primary": src, "view": m.view}))
        return out + self._arm_failover(now) + [Send(dst=src, msg=Ack(view=self.view, match=len(self.log)))]

    def _on_ack(self, src, m: Ack, now) -> list:
        if m.view > self.view and self.role == PRIMARY:
            return self.become_backup(self.view)
        if self.role != PRIMARY or m.view != self.view:
            return []
        if m.match < 0:
            self.match = {**self.match, src: -1}
            return [self.send_update(src)]
        if m.match < self.match.get(src, 0) and self.match.get(src, 0) >= 0:
            return []  # a stale or duplicated ack
        self.match = {**self.match, src: m.match}
        out: list = []
        if src not in self.members and m.match >= len(self.log):
            self.members = sorted(self.members + [src], key=self.peers.index)
            out.append(Note(key="pb.add_member", args={"node": self.node_id, "backup": src}))
            out.append(self.send_update(src))  # tell it: it is synced now
        return out + self.maybe_commit() + self.maybe_ack_bounded(now)

    def _on_alive(self, src, m: Alive, now) -> list:
        self.peer_synced = {**self.peer_synced, src: m.synced}
        if self.role == PRIMARY and m.view > self.view:
            return self.become_backup(self.view)
        return []

    # ------------------------------------------------------------------ failure detection and failover
    def _live(self, n, now) -> bool:
        return now - self.heard.get(n, -10**9) < self.params["failover_timeout_min"]

    def tick_heartbeat(self, now) -> list:
        out = self._arm("heartbeat", self.params["heartbeat_interval"], now)
        if self.role != PRIMARY:
            return out + [Send(dst=n, msg=Alive(view=self.view, synced=self.synced)) for n in self.others]
        gone = [b for b in self.members if not self._live(b, now)]
        if gone:  # silent for a whole timeout: crashed (in the synchronous fault model)
            self.members = [b for b in self.members if b not in gone]
            out.append(Note(key="pb.drop_member", args={"node": self.node_id, "backups": ", ".join(gone)}))
        return out + self.broadcast_update() + self.maybe_commit() + self.maybe_ack_bounded(now)

    def tick_failover(self, now) -> list:
        if self.role == PRIMARY or self._after_horizon(now):
            return []
        if self.primary is not None and self._live(self.primary, now):
            return self._arm_failover(now)
        aborted = self.abort_syncs()  # the primary is silent: a sync point may never come
        eligible = [n for n in self.others if n != self.primary and self._live(n, now) and self.peer_synced.get(n)]
        me_ok = self.synced or self.bug == "takeover-unsynced"
        if not me_ok or any(self.peers.index(n) < self.peers.index(self.node_id) for n in eligible):
            return [Note(key="pb.wait_takeover", args={"node": self.node_id, "primary": self.primary or "?"})
                    ] + aborted + self._arm_failover(now)
        return aborted + self.become_primary(eligible, now)

    def become_primary(self, eligible, now) -> list:
        old = self.primary or "?"
        self.view += 1
        self.role, self.primary, self.synced = PRIMARY, self.node_id, True
        self.views_led.append(self.view)
        self.view_start = len(self.log)
        self.members = list(eligible)
        self.match = {b: -1 for b in self.others}  # -1: send the whole log (state transfer)
        self.pending = {}
        out = [Note(key="pb.takeover", args={"node": self.node_id, "old": old, "view": self.view,
                                             "members": ", ".join(self.members) or "-"})]
        return out + self._arm("heartbeat", self.params["heartbeat_interval"], now) + self.broadcast_update() \
            + self.maybe_commit()

    def become_backup(self, view) -> list:
        dropped = len(self.pending)
        self.role, self.synced, self.primary = BACKUP, False, None
        self.members, self.match, self.pending = [], {}, {}
        return [Note(key="pb.step_down", args={"node": self.node_id, "view": view, "pending": dropped})]


# -------------------------------------------------------------------------- invariants
def one_primary_per_view(states):
    """Budhiraja et al. 1993: at most one primary at a time, per view (here: each view is led once)."""
    seen: dict[int, str] = {}
    for n in sorted(states):
        for v in states[n].get("views_led") or []:
            if v in seen and seen[v] != n:
                return Violation(key="pb.violation.one_primary", args={"a": seen[v], "b": n, "view": v})
            seen[v] = n
    return None


def acked_writes_survive(states):
    """van Steen & Tanenbaum §7.5.1 (blocking remote-write): a primary's log holds every write
    acknowledged (under sync replication) in its view or an earlier one."""
    acked = sorted({tuple(a) for s in states.values() for a in (s.get("acked") or [])})
    if not acked:
        return None
    for n in sorted(states):
        s = states[n]
        if s.get("role") != PRIMARY:
            continue
        log, view = s.get("log") or [], s.get("view") or 0
        for entry_view, index, ack_view in acked:
            if ack_view <= view and (index > len(log) or log[index - 1]["view"] != entry_view):
                return Violation(key="pb.violation.acked_lost", args={"node": n, "view": view, "index": index,
                                                                      "ack_view": ack_view})
    return None


def primary_order(states):
    """§7.5.1: backups apply the updates in the order of the primary: a synced backup's log is a
    prefix of the log of the primary of its view."""
    primaries = {s.get("view"): (n, s.get("log") or []) for n, s in states.items() if s.get("role") == PRIMARY}
    for n in sorted(states):
        s = states[n]
        if s.get("role") != BACKUP or not s.get("synced") or s.get("view") not in primaries:
            continue
        p, plog = primaries[s["view"]]
        log = s.get("log") or []
        if log != plog[:len(log)]:
            return Violation(key="pb.violation.order", args={"node": n, "primary": p})
    return None


INVARIANTS = (
    Invariant(name="One primary per view", check=one_primary_per_view,
              source="Budhiraja, Marzullo, Schneider & Toueg 1993", description_key="pb.inv.one_primary",
              label_key="pb.inv_label.one_primary", reads=("views_led",)),
    Invariant(name="Acknowledged writes survive failover", check=acked_writes_survive,
              source="van Steen & Tanenbaum, Distributed Systems, §7.5.1", description_key="pb.inv.acked_lost",
              label_key="pb.inv_label.acked_lost", reads=("acked", "role", "log", "view")),
    Invariant(name="Backups follow primary order", check=primary_order,
              source="van Steen & Tanenbaum, Distributed Systems, §7.5.1", description_key="pb.inv.order",
              label_key="pb.inv_label.order", reads=("role", "synced", "view", "log")),
)


def claims(params, bug) -> tuple[str, ...]:
    """Blocking replication with reads at the primary: linearizable (in the synchronous fault model, see the
    module doc). Non-blocking replication (acknowledged writes can be lost at a failover) or reads at
    backups (stale): every read still returns a prefix of the one primary order, which keeps only the
    session guarantees about write order; read-your-writes, monotonic reads, PRAM and stronger fail
    (tests/test_primary_backup.py finds the seeds). Sync reads (a per-read choice) and ``max_lag`` leave the
    claims as they are; their own tests check them (sync reads with blocking replication: linearizable;
    ``max_lag``: backup reads at most K versions behind, measured on the trace — no checker model says it)."""
    if bug:
        return ()
    if params.get("sync_replication") and not params.get("backup_reads"):
        return ("linearizable",)
    return ("monotonic-writes", "writes-follow-reads", "eventual")


def _default_workload(params):
    ids = node_ids(params)
    return [{"at": 30, "node": "p", "client": "c1", "op": {"f": "put", "key": "x", "value": 1}},
            {"at": 90, "node": "p", "client": "c1", "op": {"f": "put", "key": "x", "value": 2}},
            {"at": 92, "node": ids[-1], "client": "c2", "op": {"f": "get", "key": "x"}},
            {"at": 150, "node": "p", "client": "c3", "op": {"f": "get", "key": "x"}}]


SPEC = ProtocolSpec(
    id="primary-backup",
    title_key="proto.pb.title",
    summary_key="proto.pb.summary",
    source="M. van Steen & A. S. Tanenbaum, Distributed Systems (4th ed. 2023), §7.5.1 (remote-write "
           "primary-backup); Budhiraja, Marzullo, Schneider & Toueg, The Primary-Backup Approach (1993)",
    params=(
        Param(name="backups", default=2, minimum=1, maximum=4, help_key="pb.param.backups"),
        Param(name="sync_replication", default=True, help_key="pb.param.sync_replication"),
        Param(name="backup_reads", default=False, help_key="pb.param.backup_reads"),
        Param(name="max_lag", default=0, minimum=0, maximum=1000, help_key="pb.param.max_lag"),
        Param(name="heartbeat_interval", default=20, minimum=1, maximum=100_000,
              help_key="pb.param.heartbeat_interval"),
        Param(name="failover_timeout_min", default=80, minimum=1, maximum=100_000,
              help_key="pb.param.failover_timeout_min"),
        Param(name="failover_timeout_max", default=120, minimum=1, maximum=100_000,
              help_key="pb.param.failover_timeout_max"),
        Param(name="horizon_ticks", default=600, minimum=0, maximum=1_000_000, help_key="pb.param.horizon_ticks"),
    ),
    bugs=(
        Bug(id="takeover-unsynced", description_key="pb.bug.takeover_unsynced",
            breaks=("One primary per view", "Acknowledged writes survive failover")),
    ),
    invariants=INVARIANTS,
    node_ids=node_ids,
    make_node=lambda node_id, ids, params, bug, rng: Replica(node_id, ids, params, bug, rng),
    default_workload=_default_workload,
    claims=claims,
)
