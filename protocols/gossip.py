"""Epidemic dissemination: push, pull and push-pull anti-entropy with fan-out, nodes ``n1`` .. ``nN``.

Theory of operation
-------------------
A. Demers et al., "Epidemic Algorithms for Replicated Database Maintenance", PODC 1987.
Every node holds a copy of a small database: ``store`` maps a key to ``{value, ts, origin}``.
A client update (the workload's ``{"f": "put", "key", "value"}`` sent to a node) is stamped
with the version ``(ts, origin)`` — ``ts`` a Lamport clock (Lamport 1978, IR1/IR2) — and
copies are reconciled by keeping the larger version (Demers §1.1: "the value with the larger
timestamp"), a join that is commutative, associative and idempotent (``merge_entry``).

**Anti-entropy (§1.3).** Every ``round_ticks`` each node starts a round: it picks ``fanout``
distinct peers uniformly at random (its seeded ``rng``) and resolves differences with each:

* ``push`` — it sends its database (``Push``); the peer keeps the newer version of every key;
* ``pull`` — it sends the versions it holds (``PullRequest``); the peer answers with the
  entries it has newer (``Answer``);
* both — ``PushPull``: both of the above in one exchange.

Demers's analysis: with pull the probability ``p_i`` that a node is still *susceptible*
(has not got the update) after round ``i`` falls as ``p_{i+1} = p_i²``, with push as
``p_{i+1} = p_i (1 - 1/n)^{n(1 - p_i)} ≈ p_i e^{-1}`` once most nodes know; push spreads in
about ``log2 N + ln N`` rounds (Pittel 1987), push-pull in ``log3 N + O(log log N)`` (Karp et al.
FOCS 2000). ``viz/gossip.py`` measures this over many seeds and draws it against those curves.

**Going quiet.** Demers's anti-entropy runs forever. So that a run ends and "every update
reaches every node" becomes a checkable state predicate, a node here *retires* (stops
starting rounds) once it knows every peer holds exactly the versions it holds: every message
carries the sender's versions, and ``confirmed`` lists the peers whose versions equalled this
node's current ones (since versions only grow, such a peer holds at least as much; the list is
emptied whenever this node's store changes). A retired node still answers, and wakes up as soon
as it learns news or hears from a peer that holds something it lacks (or lacks something it
holds). Nodes start knowing nothing about their peers, so before an update is everywhere nobody
retires and the rounds follow the textbook model exactly.

History variables (ghost state the protocol never reads): ``injected`` (the updates clients
made at this node), ``learned`` (every version this node adopted, with the time), from which
``rounds_to_full`` reads the measurement, and ``peak`` (the largest version held per key).

Invariants: **No spurious updates** (a node holds only versions a client wrote), **Versions only
grow** (a node never replaces a version by an older one; Demers's merge is monotone) and
**Eventual dissemination** (once every node has gone quiet without hitting the horizon, every
node holds the newest version of every key written — Demers §1.3 "anti-entropy ... will
eventually infect the entire population").

Bug variants:

* ``rumor-mongering`` — Demers §1.4 (rumor mongering, feedback + coin, ``k = 1``): only nodes with
  a *hot* rumor gossip, and a node loses interest as soon as a peer it contacted already knew
  everything (the reply carries ``news``). Cheap, but it leaves a *residue* of nodes that never
  hear the update (``s = e^{-(k+1)(1-s)}`` ≈ 20% for ``k = 1``); without an anti-entropy backup
  nothing repairs it: breaks Eventual dissemination.
* ``non-monotone-merge`` — a node takes any version different from its own (last *received*
  wins) instead of the larger one: two concurrent updates of a key, received in different
  orders, make versions go back and replicas disagree: breaks Versions only grow.

Deviations from the paper
-------------------------
- Rounds are not lock-step: each node's round timer fires every ``round_ticks`` from a start
  drawn in ``[round_ticks, 1.1 round_ticks]``, and messages take network time, so a node may
  pass on an update within the round it learned it (measured rounds can be slightly fewer than
  the synchronous model's).
- Exchanges send whole databases (push) or only newer entries (pull), never checksums or
  recent-update lists (§1.3's optimisations); there are no deletions, hence no death
  certificates (§2.3).
- Every exchange is answered (``Answer`` with the responder's versions), also for push, so that
  nodes can learn that their peers are up to date and go quiet (see above); Demers's
  anti-entropy never stops. With both ``push`` and ``pull`` off a node pushes.
- ``horizon_rounds`` stops a node after that many rounds (0 = never), ending runs that
  cannot finish (a partition that never heals); Eventual dissemination is not judged then.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

from sim.protocol import Bug, Invariant, Param, ProtocolSpec, Violation
from sim.types import ClientRequest, Deliver, Node, Note, Reply, Restart, Send, SetTimer, Start, Timer

# ------------------------------------------------------------------ versioned entries (shared with
# protocols/merkle_anti_entropy.py): an entry is {"value", "ts", "origin"}, its version (ts, origin)


def version(entry: Mapping[str, Any] | None) -> tuple[int, str]:
    return (-1, "") if entry is None else (entry["ts"], entry["origin"])


def merge_entry(mine: Mapping[str, Any] | None, theirs: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    """The join of two copies of one key: the larger version wins (Demers §1.1). Commutative,
    associative, idempotent (tests/test_gossip.py checks it with Hypothesis)."""
    return theirs if version(theirs) > version(mine) else mine


def raise_peak(peak: Mapping[str, Any], key: str, entry: Mapping[str, Any]) -> Mapping[str, Any]:
    """The history variable ``peak`` (key -> largest version held) after holding ``entry``; copy-on-write."""
    if version(entry) > tuple(peak.get(key, (-1, ""))):
        return {**peak, key: [entry["ts"], entry["origin"]]}
    return peak


def digest(store: Mapping[str, Mapping[str, Any]]) -> dict[str, tuple[int, str]]:
    return {k: version(v) for k, v in sorted(store.items())}




# ---------------------------------------------------------------------------- messages
@dataclass(frozen=True, slots=True, kw_only=True)
class Push:
    """Initiator → peer: my whole database."""

    entries: dict


@dataclass(frozen=True, slots=True, kw_only=True)
class PullRequest:
    """Initiator → peer: the versions I hold; send me what you have newer."""

    have: dict


@dataclass(frozen=True, slots=True, kw_only=True)
class PushPull:
    """Initiator → peer: my whole database; send me what you have newer."""

    entries: dict


@dataclass(frozen=True, slots=True, kw_only=True)
class Answer:
    """Peer → initiator: the entries it has newer (pull), its versions after the merge, and whether
    the exchange told it anything new (Demers's rumor-mongering *feedback*)."""

    entries: dict
    have: dict
    news: bool


# ------------------------------------------------------------------------------- nodes
class GossipNode(Node):
    DURABLE = ("store", "clock", "gossiping", "round", "horizon_hit", "peak", "injected", "learned")
    VOLATILE = ("confirmed",)
    HISTORY = ("peak", "injected", "learned")
    LOGS = ("injected", "learned")
    COPY_ON_WRITE = ("store", "peak")
    ROLE = "peer"

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.others = tuple(p for p in self.peers if p != self.node_id)
        self.store: dict[str, dict] = {}
        self.clock = 0
        self.gossiping = self.bug != "rumor-mongering"  # a rumor monger starts with nothing hot to say
        self.round = 0
        self.horizon_hit = False
        self.injected: list[tuple] = []  # (update id, key, value, ts) — history, written by clients here
        self.learned: list[tuple] = []  # (update id, key, ts, origin, time) — history, every version adopted
        self.peak: dict[str, list] = {}  # key -> the largest version this node ever held — history
        # peers known to hold exactly my current versions, as text ("n3 n8"): a string is recorded
        # in the trace at no cost, where a set of 199 names would be copied at every change
        self.confirmed = ""

    # -- the door
    def step(self, inp, now):
        if isinstance(inp, Start):
            first = self.params["round_ticks"] + self.rng.randint(0, self.params["round_ticks"] // 10)
            return [SetTimer(name="round", after=first)] if self.gossiping else []
        if isinstance(inp, Restart):
            return self._arm() if self.gossiping else []
        if isinstance(inp, Timer) and inp.name == "round":
            return self._on_round(now)
        if isinstance(inp, ClientRequest):
            return self._on_client(inp.client, inp.op, now)
        if isinstance(inp, Deliver):
            return self._on_message(inp.src, inp.msg, now)
        return []

    def _arm(self) -> list:
        return [SetTimer(name="round", after=self.params["round_ticks"])]

    def _wake(self) -> list:
        if self.gossiping or self.horizon_hit or not self.others:
            return []
        self.gossiping = True
        return [Note(key="gossip.note.wake", args={"node": self.node_id})] + self._arm()

    # -- clients inject updates
    def _on_client(self, client: str, op: Mapping[str, Any], now: int) -> list:
        if op.get("f") != "put" or op.get("key") is None:
            return [Reply(client=client, result={"ok": False, "error": "bad_op"})]
        self.clock += 1  # IR1
        key, value = str(op["key"]), op.get("value")
        uid = f"{self.node_id}:{self.clock}"
        self.injected.append((uid, key, value, self.clock))
        self._adopt(key, {"value": value, "ts": self.clock, "origin": self.node_id}, now)
        out = [Note(key="gossip.note.inject", args={"node": self.node_id, "target": key, "value": value,
                                                    "update": uid})]
        return out + self._wake() + [Reply(client=client, result={"ok": True})]

    def _adopt(self, key: str, entry: Mapping[str, Any], now: int) -> None:
        self.store = {**self.store, key: dict(entry)}
        self.confirmed = ""  # nobody is known to hold my new version yet
        self.peak = raise_peak(self.peak, key, entry)
        self.learned.append((f"{entry['origin']}:{entry['ts']}", key, entry["ts"], entry["origin"], now))

    # -- rounds (Demers §1.3)
    def _on_round(self, now: int) -> list:
        horizon = self.params["horizon_rounds"]
        if horizon and self.round >= horizon:
            self.gossiping, self.horizon_hit = False, True
            return [Note(key="gossip.note.horizon", args={"node": self.node_id, "rounds": self.round})]
        if not self.gossiping:
            return []
        if self.bug != "rumor-mongering" and self._settled():
            self.gossiping = False
            return [Note(key="gossip.note.retire", args={"node": self.node_id})]
        self.round += 1
        peers = self.rng.sample(self.others, min(self.params["fanout"], len(self.others)))
        push, pull = self.params["push"], self.params["pull"]
        if pull and not push:
            msg: Any = PullRequest(have=digest(self.store))
        elif pull:
            msg = PushPull(entries=dict(self.store))
        else:
            msg = Push(entries=dict(self.store))
        return [Send(dst=p, msg=msg) for p in peers] + self._arm()

    def _settled(self) -> bool:
        """Every peer is known to hold exactly my versions: nothing left to tell or to fetch."""
        return len(self.confirmed.split()) == len(self.others)

    # -- exchanges
    def _merge(self, src: str, entries: Mapping[str, Any], now: int) -> list[str]:
        """Adopt every entry newer than mine (the bug: every entry *different* from mine)."""
        changed = []
        for key in sorted(entries):
            theirs, mine = entries[key], self.store.get(key)
            if self.bug == "non-monotone-merge":
                take = version(theirs) != version(mine)
            else:
                take = merge_entry(mine, theirs) is theirs and version(theirs) != version(mine)
            if take:
                self.clock = max(self.clock, theirs["ts"])  # IR2
                self._adopt(key, theirs, now)
                changed.append(key)
        return changed

    def _hear(self, src: str, have: Mapping[str, Any]) -> None:
        """``src`` holds at least ``have``: confirm it if that is exactly my versions, else forget it."""
        listed = f" {src} " in f" {self.confirmed} "
        if dict(have) == digest(self.store):
            if not listed:
                self.confirmed = f"{self.confirmed} {src}".strip()
        elif listed:
            self.confirmed = " ".join(p for p in self.confirmed.split() if p != src)

    def _on_message(self, src: str, msg: Any, now: int) -> list:
        out: list = []
        if isinstance(msg, (Push, PushPull)):
            changed = self._merge(src, msg.entries, now)
            self._hear(src, digest(msg.entries))
            newer = {}
            if isinstance(msg, PushPull):
                newer = {k: v for k, v in self.store.items() if version(v) > version(msg.entries.get(k))}
            reply = Answer(entries=newer, have=digest(self.store), news=bool(changed))
            out.append(Send(dst=src, msg=reply))
        elif isinstance(msg, PullRequest):
            changed = []
            self._hear(src, msg.have)
            newer = {k: v for k, v in self.store.items()
                     if k not in msg.have or version(v) > tuple(msg.have[k])}
            out.append(Send(dst=src, msg=Answer(entries=newer, have=digest(self.store), news=False)))
        elif isinstance(msg, Answer):
            changed = self._merge(src, msg.entries, now)
            self._hear(src, msg.have)
            if self.bug == "rumor-mongering" and not msg.news and self.gossiping:
                self.gossiping = False  # feedback + coin with k = 1: the peer knew already, lose interest
                out.append(Note(key="gossip.note.lose_interest", args={"node": self.node_id, "peer": src}))
        else:
            return []
        if changed:
            out.insert(0, Note(key="gossip.note.learn", args={"node": self.node_id, "peer": src,
                                                              "keys": ", ".join(changed)}))
        if self.bug == "rumor-mongering":
            return out + (self._wake() if changed else [])
        if changed or (self.others and not self._settled()):
            out += self._wake()
        return out


# -------------------------------------------------------------------------- invariants
def _nodes(states):
    return {n: s for n, s in states.items() if s.get("store") is not None}


def _injected(states) -> dict[tuple, Any]:
    """(key, ts, origin) -> value of every update a client made, from the history variables."""
    return {(key, ts, n): value for n, s in states.items() for (_uid, key, value, ts) in (s.get("injected") or ())}


def no_spurious_updates(states):
    """Demers §1.1: a copy only ever holds values clients wrote (with the version they were given)."""
    made = _injected(states)
    for n, s in sorted(_nodes(states).items()):
        for key, e in sorted(s["store"].items()):
            triple = (key, e["ts"], e["origin"])
            if triple not in made or made[triple] != e["value"]:
                return Violation(key="gossip.violation.spurious", args={"node": n, "target": key,
                                                                        "value": e["value"]})
    return None


def versions_only_grow(states):
    """The merge is monotone: a node's version of a key is at least the largest it ever held (``peak``,
    a history variable; shared with ``protocols.merkle_anti_entropy``)."""
    for n, s in sorted(_nodes(states).items()):
        for key, top in sorted((s.get("peak") or {}).items()):
            now = version(s["store"].get(key))
            if now < tuple(top):
                return Violation(key="gossip.violation.went_back", args={
                    "node": n, "target": key, "held": f"({top[0]}, {top[1]})", "now": f"({now[0]}, {now[1]})"})
    return None


def eventual_dissemination(states):
    """Demers §1.3: once every node has gone quiet (none stopped by the horizon), every node holds
    the newest version of every key a client wrote."""
    if not states or any(s.get("gossiping") is not False or s.get("horizon_hit") for s in states.values()):
        return None
    newest: dict[str, tuple] = {}
    for (key, ts, origin) in _injected(states):
        newest[key] = max(newest.get(key, (-1, "")), (ts, origin))
    for n, s in sorted(states.items()):
        for key, top in sorted(newest.items()):
            if version((s.get("store") or {}).get(key)) < top:
                return Violation(key="gossip.violation.residue", args={"node": n, "target": key})
    return None


INVARIANTS = (
    Invariant(name="No spurious updates", check=no_spurious_updates, source="Demers et al. 1987, §1.1",
              description_key="gossip.inv.spurious", label_key="gossip.inv_label.spurious",
              reads=("store", "injected")),
    Invariant(name="Versions only grow", check=versions_only_grow,
              source="Demers et al. 1987, §1.1 (larger timestamp wins)",
              description_key="gossip.inv.grow", label_key="gossip.inv_label.grow", reads=("store", "peak")),
    Invariant(name="Eventual dissemination", check=eventual_dissemination,
              source="Demers et al. 1987, §1.3 / §1.4 (residue)", description_key="gossip.inv.dissemination",
              label_key="gossip.inv_label.dissemination", reads=("gossiping", "horizon_hit", "store", "injected")),
)


# ------------------------------------------------------------------------ measurement
def rounds_to_full(trace, update: str | None = None) -> int | None:
    """Rounds from the injection of ``update`` (default: the first one a client made) until the last
    node holds it or a newer version of its key: ``ceil((t_last - t_injected) / round_ticks)``, read
    from the ``injected`` and ``learned`` history variables of the final state. ``None`` if no update
    was made or some node never got it."""
    final = trace.states_at(trace.n_steps - 1)
    made = []  # (time, update id, key, version) of every client update
    for origin, s in final.items():
        ids = {i[0] for i in s.get("injected") or ()}
        made += [(t, uid, key, (ts, o)) for (uid, key, ts, o, t) in s.get("learned") or ()
                 if uid in ids and o == origin]
    made = sorted(m for m in made if update is None or m[1] == update)
    if not made:
        return None
    t0, _uid, key, v0 = made[0]
    last = t0
    for s in final.values():
        times = [t for (_u, k, ts, o, t) in s.get("learned") or () if k == key and (ts, o) >= v0]
        if not times:
            return None
        last = max(last, min(times))
    return math.ceil((last - t0) / SPEC.resolve_params(trace.scenario.params)["round_ticks"])


def _default_workload(params):
    """One update injected at n1 just before the first round."""
    return [{"at": params["round_ticks"] - 1, "node": "n1", "client": "c1",
             "op": {"f": "put", "key": "x", "value": 1}}]


SPEC = ProtocolSpec(
    id="gossip",
    title_key="proto.gossip.title",
    summary_key="proto.gossip.summary",
    source="A. Demers et al., Epidemic Algorithms for Replicated Database Maintenance, PODC 1987; "
           "B. Pittel, On Spreading a Rumor, SIAM J. Appl. Math. 1987; R. Karp et al., Randomized Rumor "
           "Spreading, FOCS 2000",
    params=(
        Param(name="nodes", default=8, minimum=2, maximum=200, help_key="gossip.param.nodes"),
        Param(name="push", default=True, help_key="gossip.param.push"),
        Param(name="pull", default=False, help_key="gossip.param.pull"),
        Param(name="fanout", default=1, minimum=1, maximum=8, help_key="gossip.param.fanout"),
        Param(name="round_ticks", default=100, minimum=10, maximum=100_000, help_key="gossip.param.round_ticks"),
        Param(name="horizon_rounds", default=100, minimum=0, maximum=100_000,
              help_key="gossip.param.horizon_rounds"),
    ),
    bugs=(Bug(id="rumor-mongering", description_key="gossip.bug.rumor_mongering",
              breaks=("Eventual dissemination",)),
          Bug(id="non-monotone-merge", description_key="gossip.bug.non_monotone_merge",
              breaks=("Versions only grow",))),
    invariants=INVARIANTS,
    node_ids=lambda params: tuple(f"n{i + 1}" for i in range(params["nodes"])),
    make_node=lambda node_id, ids, params, bug, rng: GossipNode(node_id, ids, params, bug, rng),
    default_workload=_default_workload,
)
