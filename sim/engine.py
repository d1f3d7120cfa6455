"""The deterministic discrete-event simulator: ``run(scenario) -> Trace``.

Theory of operation
-------------------
The simulator owns everything a node must not touch: sim time (integer ticks), the
network, timers and randomness. It keeps one heap of due items — messages in flight,
armed timers, client requests and faults scheduled at a time — ordered by
``(due time, sequence number)``, so ties break by creation order and a run is a pure
function of its scenario. Randomness comes only from ``random.Random`` instances seeded
from the scenario seed with a per-purpose string (``"<seed>:net"``, ``"<seed>:<node>"``);
string seeds are hashed with SHA-512 by ``random``, so they do not depend on
``PYTHONHASHSEED`` and the trace is byte-identical in every process.

One *step* is one cause: boot (step 0), delivering a message, firing a timer, a client
request, or a fault. In ``random`` mode the next cause is the earliest due item. In
``manual`` mode the learner's choices (message ids ``m<n>`` / timer ids ``t<n>``) pick it;
client requests and timed faults still fire on their own when their time comes (or at
once when nothing else is pending). Faults with ``after_step: k`` are applied as step
``k + 1``: that is how the UI injects a fault "now" without changing the past.

After every step the simulator snapshots the nodes that stepped, records the state diff,
and evaluates every named invariant of the protocol. Hard limits (steps, sim time,
pending messages) and an optional caller-supplied ``keep_going`` callback (the caller's
wall-time budget: this module never reads a clock) end the run with an ``end`` event
whose ``reason`` says why.

Network semantics: a message is lost (``loss``) at send time and shown as a drop right
after its send; a message whose link is cut or whose destination is down when it is due
is dropped then. ``duplicate`` makes a second copy with its own id and latency;
``reorder`` adds up to ``reorder_delay`` extra ticks. A crash keeps a node's durable
fields (written through at the end of each of its steps), discards its volatile fields
and timers; a restart rebuilds the node and restores the durable fields.
"""

from __future__ import annotations

import functools
import heapq
import random
from typing import Any, Callable, Mapping, NamedTuple

from protocols import REGISTRY
from sim.protocol import ProtocolSpec
from sim.scenario import ClientOp, Fault, Scenario
from sim.trace import SPLICE_FIELD, TIMERS_FIELD, Event, StepInfo, Trace
from sim.types import _SCALARS
from sim.types import (CancelTimer, ClientRequest, Deliver, Node, Note, Reply, Restart, Send, SetTimer, Start,
                       Timer, message_to_json, to_json_value)

_MSG, _TIMER, _CLIENT, _FAULT = 0, 1, 2, 3
_new_event = functools.partial(tuple.__new__, Event)  # no per-field Python-level work on the hot path
_new_step = functools.partial(tuple.__new__, StepInfo)
_new_deliver = functools.partial(tuple.__new__, Deliver)


class _Flight(NamedTuple):
    """A message in the network: sent, not yet delivered or dropped."""

    id: str
    src: str
    dst: str
    msg: Any
    payload: dict
    due: int
    lamport: int
    vc: tuple[int, ...]


_new_flight = functools.partial(tuple.__new__, _Flight)


def _cow_json(prev: tuple[Any, Any] | None, v: Any) -> Any:
    """The JSON of a COPY_ON_WRITE field. A dict rebound as ``{**old, key: new}`` shares its
    other values with the old dict, and by the contract those were not mutated either: their
    JSON is reused from the last recording instead of being copied again."""
    if prev is None or type(v) is not dict or type(prev[0]) is not dict:
        return v if type(v) in _SCALARS else to_json_value(v)
    old, old_json = prev
    return {k: old_json[k] if k in old and old[k] is x else x if type(x) in _SCALARS else to_json_value(x)
            for k, x in v.items()} if all(type(k) is str for k in v) else to_json_value(v)


class Simulation:
    """One run in progress. Use ``run()``; this class is its working memory."""

    def __init__(self, scenario: Scenario, spec: ProtocolSpec | None = None, *, verify_logs: bool = False) -> None:
        self.sc = scenario
        self.verify_logs = verify_logs  # tests: check the LOGS and COPY_ON_WRITE contracts after every step
        self.spec = spec or REGISTRY[scenario.protocol]
        self.params = self.spec.resolve_params(scenario.params)
        self.node_ids = self.spec.node_ids(self.params)
        self.index = {n: i for i, n in enumerate(self.node_ids)}
        self.net_rng = random.Random(f"{scenario.seed}:net")
        self.node_rngs = {n: random.Random(f"{scenario.seed}:{n}") for n in self.node_ids}
        self.nodes: dict[str, Node] = {
            n: self.spec.make_node(n, self.node_ids, self.params, scenario.bug, self.node_rngs[n])
            for n in self.node_ids}
        self.roles = {n: self.nodes[n].ROLE for n in self.node_ids}
        self.up = {n: True for n in self.node_ids}
        self.disk: dict[str, dict[str, Any]] = {}
        self.lamport = {n: 0 for n in self.node_ids}
        self.vcl = {n: [0] * len(self.node_ids) for n in self.node_ids}
        self.skew = {n: 0 for n in self.node_ids}
        self.cut: set[tuple[str, str]] = set()
        self.now = 0
        self.seq = 0
        self.heap: list[tuple[int, int, int, str]] = []
        self.flights: dict[str, _Flight] = {}
        self.timers: dict[str, tuple[str, str, int]] = {}  # timer id -> (node, name, due)
        self.node_timers: dict[str, dict[str, str]] = {n: {} for n in self.node_ids}  # node -> name -> id
        self.n_msgs = 0
        self.n_timers = 0
        self.workload: tuple[ClientOp, ...] = (scenario.workload if scenario.workload is not None else tuple(
            ClientOp(at=w["at"], node=w["node"], client=w.get("client", "c1"), op=w["op"])
            for w in self.spec.default_workload(self.params)))
        self.step_faults: dict[int, list[int]] = {}
        for fi, f in enumerate(scenario.faults):
            if f.after_step is not None:
                self.step_faults.setdefault(f.after_step, []).append(fi)
            else:
                self._push(f.at, _FAULT, f"f{fi}")
        for wi, w in enumerate(self.workload):
            self._push(w.at, _CLIENT, f"w{wi}")
        # trace under construction
        self.events: list[Event] = []
        self.steps: list[StepInfo] = []
        self.step_first: list[int] = []
        self.diffs: list[dict[str, dict[str, Any]]] = []
        self.current: dict[str, dict[str, Any]] = {n: {} for n in self.node_ids}
        self.touched: list[str] = []
        self.log_src: dict[str, dict[str, tuple[list, int]]] = {n: {} for n in self.node_ids}  # LOGS: (list, len)
        self.cow_src: dict[str, dict[str, Any]] = {n: {} for n in self.node_ids}  # COPY_ON_WRITE: last recorded
        self.json_memo: dict[int, tuple[Any, Any]] = {}  # id(log item) -> (item, its JSON), items are immutable
        self.inv_status: dict[str, Any] = {inv.name: None for inv in self.spec.invariants}
        self.inv_changes: list[tuple[int, str, Any]] = []
        self.choice_pos = 0
        self.step_no = 0
        self.loss, self.dup, self.reorder = scenario.network.loss, scenario.network.duplicate, scenario.network.reorder
        lat = scenario.network.latency
        self.lat_kind, self.lat_low, self.lat_high = lat.kind, lat.low, lat.high

    # ------------------------------------------------------------------ plumbing
    def _push(self, due: int, kind: int, ref: str) -> None:
        self.seq += 1
        heapq.heappush(self.heap, (due, self.seq, kind, ref))

    def _event(self, kind: str, node: str | None, peer: str | None = None, msg_id: str | None = None,
               payload: Mapping[str, Any] | None = None, detail: Mapping[str, Any] | None = None,
               clock: bool = True, recv: _Flight | None = None) -> Event:
        """Record an event; events at a node tick its Lamport and vector clock (IR1/IR2)."""
        lamport = vc = None
        if clock and node is not None:
            v = self.vcl[node]  # this node's vector clock, kept as a mutable list
            if recv is None:
                lamport = self.lamport[node] + 1
            else:
                own = self.lamport[node]
                lamport = (own if own > recv.lamport else recv.lamport) + 1
                for j, x in enumerate(recv.vc):
                    if x > v[j]:
                        v[j] = x
            v[self.index[node]] += 1
            vc = tuple(v)
            self.lamport[node] = lamport
        events = self.events
        ev = _new_event((len(events), self.step_no, self.now, kind, node, peer, msg_id, payload, lamport, vc,
                         detail))
        events.append(ev)
        return ev

    def _begin_step(self, cause: str, ref: str | None = None, chosen: bool = False) -> None:
        self.step_no = len(self.steps)
        self.steps.append(_new_step((self.now, cause, ref, chosen)))
        self.step_first.append(len(self.events))
        self.touched = []

    def _latency(self) -> int:
        kind, low, high = self.lat_kind, self.lat_low, self.lat_high
        rng = self.net_rng
        if kind == "uniform":
            # low + floor(U * span): uniform on [low, high], and cheaper than randint on the hot path
            d = low + int(rng.random() * (high - low + 1))
        elif kind == "fixed":
            d = low
        else:  # long_tail: Pareto-distributed, scaled so its minimum is ``low``, capped at ``high``
            d = min(high, int(max(low, 1) * rng.paretovariate(self.sc.network.latency.alpha)))
        if self.reorder and rng.random() < self.reorder:
            d += rng.randint(0, self.sc.network.reorder_delay)
        return d

    # -------------------------------------------------------------------- effects
    def _run_node(self, node: str, inp: Any) -> None:
        effects = self.nodes[node].step(inp, self.now + self.skew[node])
        if node not in self.touched:
            self.touched.append(node)
        for eff in effects:
            if type(eff) is Send:
                self._send(node, eff)
            elif isinstance(eff, SetTimer):
                self._set_timer(node, eff.name, eff.after)
            elif isinstance(eff, CancelTimer):
                tid = self.node_timers[node].pop(eff.name, None)
                if tid is not None:
                    del self.timers[tid]
            elif isinstance(eff, Reply):
                self._event("return", node, peer=eff.client, detail={"client": eff.client,
                                                                     "result": to_json_value(eff.result)})
            elif isinstance(eff, Note):
                self._event("note", node, detail={"key": eff.key, "args": to_json_value(eff.args)})
            else:  # a protocol bug, not a learner's: fail loudly in tests
                raise TypeError(f"{node} returned an unknown effect {eff!r}")

    def _send(self, src: str, eff: Send) -> None:
        dst = eff.dst
        if dst not in self.index:
            raise ValueError(f"{src} sent to unknown node {dst!r}")
        self.n_msgs += 1
        mid = f"m{self.n_msgs}"
        payload = message_to_json(eff.msg)
        lost = self.loss and self.net_rng.random() < self.loss
        due = self.now + self._latency()
        sent = self._event("send", src, dst, mid, payload, {"due": due, "lost": True} if lost else {"due": due})
        if lost:
            self._event("drop", dst, src, mid, payload, {"reason": "loss"}, False)
            return
        flight = _new_flight((mid, src, dst, eff.msg, payload, due, sent.lamport, sent.vc))
        self.flights[mid] = flight
        self.seq += 1
        heapq.heappush(self.heap, (due, self.seq, _MSG, mid))
        if self.dup and self.net_rng.random() < self.dup:
            self._duplicate(flight, "network")

    def _duplicate(self, flight: _Flight, reason: str) -> None:
        self.n_msgs += 1
        mid = f"m{self.n_msgs}"
        due = self.now + self._latency()
        copy = flight._replace(id=mid, due=due)
        self.flights[mid] = copy
        self._push(due, _MSG, mid)
        self._event("duplicate", flight.dst, peer=flight.src, msg_id=mid, payload=flight.payload,
                    detail={"of": flight.id, "due": due, "reason": reason}, clock=False)

    def _set_timer(self, node: str, name: str, after: int) -> None:
        old = self.node_timers[node].pop(name, None)
        if old is not None:
            del self.timers[old]
        self.n_timers += 1
        tid = f"t{self.n_timers}"
        due = self.now + max(0, int(after))
        self.timers[tid] = (node, name, due)
        self.node_timers[node][name] = tid
        self._push(due, _TIMER, tid)

    # ---------------------------------------------------------------------- causes
    def _deliver(self, mid: str) -> None:
        f = self.flights.pop(mid)
        if self.cut and (f.src, f.dst) in self.cut:
            self._event("drop", f.dst, peer=f.src, msg_id=mid, payload=f.payload, detail={"reason": "partition"},
                        clock=False)
        elif not self.up[f.dst]:
            self._event("drop", f.dst, peer=f.src, msg_id=mid, payload=f.payload, detail={"reason": "crashed"},
                        clock=False)
        else:
            self._event("deliver", f.dst, f.src, mid, f.payload, None, True, f)
            self._run_node(f.dst, _new_deliver((f.src, f.msg, mid)))

    def _fire_timer(self, tid: str) -> None:
        node, name, _due = self.timers.pop(tid)
        del self.node_timers[node][name]
        self._event("timer", node, detail={"name": name, "timer": tid})
        self._run_node(node, Timer(name=name))

    def _client(self, wi: int) -> None:
        w = self.workload[wi]
        if not self.up[w.node]:
            self._event("note", w.node, detail={"key": "note.client_request_lost", "args": {"client": w.client}},
                        clock=False)
            return
        self._event("invoke", w.node, peer=w.client, detail={"client": w.client, "op": dict(w.op), "op_index": wi})
        self._run_node(w.node, ClientRequest(client=w.client, op=w.op))

    def _fault(self, fi: int) -> None:
        f: Fault = self.sc.faults[fi]
        detail = {"fault": fi}
        if f.type == "crash":
            if not self.up[f.node]:
                return self._event("note", f.node, detail={"key": "note.already_down", "args": {}}, clock=False)
            # Durable fields are written through at the end of every step, so what is on disk now is
            # exactly the durable part of the state recorded after this node's last step.
            node_obj = self.nodes[f.node]
            self.disk[f.node] = {k: _copy_list(self.current[f.node].get(k)) for k in node_obj.durable_fields()}
            self.up[f.node] = False
            for tid in self.node_timers[f.node].values():
                del self.timers[tid]
            self.node_timers[f.node] = {}
            self._event("crash", f.node, detail=detail)
            self.touched.append(f.node)
        elif f.type == "restart":
            if self.up[f.node]:
                return self._event("note", f.node, detail={"key": "note.already_up", "args": {}}, clock=False)
            node = self.spec.make_node(f.node, self.node_ids, self.params, self.sc.bug, self.node_rngs[f.node])
            node.restore_durable(self.disk.get(f.node, {}))
            self.nodes[f.node] = node
            self.up[f.node] = True
            self._event("restart", f.node, detail=detail)
            self._run_node(f.node, Restart())
        elif f.type == "partition":
            groups = [set(g) for g in f.groups]
            if groups:
                rest = set(self.node_ids).difference(*groups)
                if rest:
                    groups.append(rest)
                side = {n: gi for gi, g in enumerate(groups) for n in g}
                self.cut |= {(a, b) for a in self.node_ids for b in self.node_ids if side[a] != side[b]}
            self.cut |= set(f.links)
            self._event("partition", None, detail={**detail, "cut": sorted([a, b] for a, b in self.cut)},
                        clock=False)
        elif f.type == "heal":
            self.cut.clear()
            self._event("heal", None, detail=detail, clock=False)
        elif f.type == "skew":
            self.skew[f.node] = f.by
            self._event("skew", f.node, detail={**detail, "by": f.by}, clock=False)
        else:  # drop / duplicate / delay one specific pending message
            flight = self.flights.get(f.msg)
            if flight is None:
                return self._event("note", None, detail={"key": "note.not_pending", "args": {"msg": f.msg}},
                                   clock=False)
            if f.type == "drop":
                del self.flights[f.msg]
                self._event("drop", flight.dst, peer=flight.src, msg_id=f.msg, payload=flight.payload,
                            detail={**detail, "reason": "fault"}, clock=False)
            elif f.type == "duplicate":
                self._duplicate(flight, "fault")
            else:
                flight = self.flights[f.msg] = flight._replace(due=flight.due + f.by)
                self._push(flight.due, _MSG, f.msg)  # the old heap entry is skipped: its due no longer matches
                self._event("delay", flight.dst, peer=flight.src, msg_id=f.msg, payload=flight.payload,
                            detail={**detail, "by": f.by, "due": flight.due}, clock=False)

    # ------------------------------------------------------------------- bookkeeping
    def _end_step(self) -> None:
        """Record what changed in the nodes that stepped, then check the invariants.

        Compares field by field against the last recorded state instead of building a full
        snapshot first: this is the simulator's hottest bookkeeping (see bench/sim_throughput.py).
        """
        diff: dict[str, dict[str, Any]] = {}
        touched = self.touched
        if len(touched) > 1:
            touched.sort(key=self.index.__getitem__)
        for node in touched:
            obj = self.nodes[node]
            cur = self.current[node]
            changed: dict[str, Any] = {}
            splices: dict[str, list] = {}
            if self.up[node]:
                logs, cow, seen = obj.LOGS, obj.COPY_ON_WRITE, self.cow_src[node]
                for name in obj.DURABLE + obj.VOLATILE:
                    v = getattr(obj, name)
                    if cow and name in cow:
                        prev = seen.get(name)
                        if prev is not None and prev[0] is v:
                            continue  # the very object recorded last time: by contract unchanged
                        v = _cow_json(prev, v)
                        seen[name] = (getattr(obj, name), v)
                    elif logs and name in logs and type(v) is list:
                        old = cur.get(name)
                        if type(old) is list:
                            splice = self._log_splice(node, name, v, old)
                            if splice is not None:
                                splices[name] = splice
                            continue
                        self.log_src[node][name] = (v, len(v))
                        v = [self._log_item_json(x) for x in v]
                    elif type(v) not in _SCALARS:
                        v = to_json_value(v)
                    if name not in cur or cur[name] != v:
                        changed[name] = v
                if self.verify_logs:
                    self._verify_logs(node, obj, cur, changed)
            else:  # crashed: only what is on disk survives; volatile fields are gone
                self.cow_src[node].clear()  # what is recorded now is the disk's, not the objects'
                saved = self.disk.get(node, {})
                for name in obj.DURABLE + obj.VOLATILE:
                    v = saved.get(name)
                    if name not in cur or cur[name] != v:
                        changed[name] = v
            armed = self.node_timers[node]
            timers = {name: [armed[name], self.timers[armed[name]][2]] for name in sorted(armed)} if armed else {}
            if TIMERS_FIELD not in cur or cur[TIMERS_FIELD] != timers:
                changed[TIMERS_FIELD] = timers
            if changed:
                cur.update(changed)
                for name in obj.LOGS:  # later splices extend the recorded list in place: it must be ours alone
                    if type(changed.get(name)) is list:
                        cur[name] = list(changed[name])
            if splices:  # ``cur`` already holds the spliced lists (see _log_splice)
                changed[SPLICE_FIELD] = splices
            if changed:
                diff[node] = changed
        self.diffs.append(diff)
        if diff and self.spec.invariants:
            self._check_invariants(diff)

    def _log_splice(self, node: str, name: str, v: list, old: list) -> list | None:
        """``[start, new items]`` turning the recorded JSON ``old`` into ``v``, or None if unchanged.

        Under the ``Node.LOGS`` contract the common case costs O(appended items): the same
        list object only grew, or a new list whose first ``len(old)`` items are the old ones
        (compared by identity first, in C). Anything else (truncation, a restored node) falls
        back to finding the common prefix of the JSON values.
        """
        src = self.log_src[node].get(name)
        self.log_src[node][name] = (v, len(v))
        n = len(v)
        if src is not None and n >= src[1] == len(old) and (src[0] is v or v[:src[1]] == src[0][:src[1]]):
            start = src[1]
            if start == n:
                return None
            items = [self._log_item_json(x) for x in v[start:]]
            old.extend(items)  # the recorded list is the engine's own (see _end_step); diffs hold only items
            return [start, items]
        else:
            new = [self._log_item_json(x) for x in v]
            start, m = 0, min(n, len(old))
            while start < m and new[start] == old[start]:
                start += 1
            if start == n == len(old):
                return None
            items = new[start:]
        self.current[node][name] = old[:start] + items
        return [start, items]

    def _log_item_json(self, x: Any) -> Any:
        """The JSON of a log item, converted once and shared by every node holding it (items are
        immutable by contract), so equal logs on two nodes compare by identity, fast."""
        if type(x) in _SCALARS:
            return x
        hit = self.json_memo.get(id(x))
        if hit is not None and hit[0] is x:
            return hit[1]
        j = to_json_value(x)
        self.json_memo[id(x)] = (x, j)
        if j is not x:  # a restarted node's log holds these very JSON items: keep them shared
            self.json_memo[id(j)] = (j, j)
        return j

    def _verify_logs(self, node: str, obj: Node, cur: Mapping[str, Any], changed: Mapping[str, Any]) -> None:
        """Tests only: the recorded state must equal a full copy of the node (the ``Node.LOGS`` and
        ``Node.COPY_ON_WRITE`` contracts)."""
        for name in obj.DURABLE + obj.VOLATILE:
            want = to_json_value(getattr(obj, name))
            got = changed[name] if name in changed else cur.get(name)
            if got != want:
                raise AssertionError(f"{node}.{name} breaks the Node.LOGS or COPY_ON_WRITE contract: "
                                     f"recorded {got!r}, is {want!r}")

    def _check_invariants(self, diff: Mapping[str, Mapping[str, Any]]) -> None:
        step = len(self.steps) - 1
        for inv in self.spec.invariants:
            if inv.reads and not any(name in ch or name in ch.get(SPLICE_FIELD, ()) for ch in diff.values()
                                     for name in inv.reads):
                continue  # nothing it reads changed: its verdict cannot have changed either
            v = inv.check(self.current)
            vj = None if v is None else {"key": v.key, "args": to_json_value(v.args)}
            if vj != self.inv_status[inv.name]:
                self.inv_status[inv.name] = vj
                self.inv_changes.append((step, inv.name, vj))
                if vj is not None:
                    self._event("violation", None, detail={"invariant": inv.name, **vj}, clock=False)

    def _do(self, kind: int, ref: str, chosen: bool = False) -> None:
        cause = ("deliver", "timer", "client", "fault")[kind]
        self._begin_step(cause, ref, chosen)
        if kind == _MSG:
            self._deliver(ref)
        elif kind == _TIMER:
            self._fire_timer(ref)
        elif kind == _CLIENT:
            self._client(int(ref[1:]))
        else:
            self._fault(int(ref[1:]))
        self._end_step()

    def _next_manual(self) -> tuple[int, str] | str:
        """The next cause in manual mode, or the reason the run stops."""
        auto = [(due, seq, kind, ref) for due, seq, kind, ref in self.heap if kind in (_CLIENT, _FAULT)]
        first_auto = min(auto) if auto else None
        if first_auto is not None and first_auto[0] <= self.now:
            heapq.heappop(self.heap) if self.heap[0] == first_auto else self._remove(first_auto)
            return first_auto[2], first_auto[3]
        if self.choice_pos >= len(self.sc.choices):
            if first_auto is not None and not self.flights and not self.timers:
                self._remove(first_auto)
                self.now = max(self.now, first_auto[0])
                return first_auto[2], first_auto[3]
            return "awaiting_choice" if (self.flights or self.timers or first_auto) else "quiescent"
        choice = self.sc.choices[self.choice_pos]
        if choice in self.flights:
            due, kind = self.flights[choice].due, _MSG
        elif choice in self.timers:
            due, kind = self.timers[choice][2], _TIMER
        else:
            return "bad_choice"
        if first_auto is not None and first_auto[0] <= due:
            self._remove(first_auto)
            self.now = max(self.now, first_auto[0])
            return first_auto[2], first_auto[3]
        self.choice_pos += 1
        self.now = max(self.now, due)
        return kind, choice

    def _remove(self, item: tuple[int, int, int, str]) -> None:
        self.heap.remove(item)
        heapq.heapify(self.heap)

    # ------------------------------------------------------------------------ run
    def run(self, keep_going: Callable[[], bool] | None = None) -> Trace:
        self._begin_step("start")
        for n in self.node_ids:
            self._event("start", n)
            self._run_node(n, Start())
        self._end_step()
        reason = self._loop(keep_going)
        self._begin_step("end")
        detail: dict[str, Any] = {"reason": reason}
        if reason == "bad_choice":
            detail["choice"] = self.sc.choices[self.choice_pos]
        self._event("end", None, detail=detail, clock=False)
        self.diffs.append({})
        self.step_first.append(len(self.events))
        return Trace(scenario=self.sc, nodes=self.node_ids, roles=self.roles, events=tuple(self.events),
                     steps=tuple(self.steps), step_first_event=tuple(self.step_first), diffs=tuple(self.diffs),
                     invariant_names=tuple(inv.name for inv in self.spec.invariants),
                     invariant_changes=tuple(self.inv_changes), end=detail)

    def _loop(self, keep_going: Callable[[], bool] | None) -> str:
        manual = self.sc.mode == "manual"
        max_steps, max_pending, max_time = self.sc.max_steps, self.sc.max_pending, self.sc.max_time
        heap, flights, timers, steps, step_faults = self.heap, self.flights, self.timers, self.steps, self.step_faults
        queue: list[int] = []
        while True:
            done = len(steps) - 1  # steps completed after boot
            if done + 1 >= max_steps:
                return "max_steps"
            if len(flights) > max_pending:
                return "max_pending"
            if keep_going is not None and done % 256 == 0 and not keep_going():
                return "stopped"
            if step_faults and done in step_faults:  # faults "after step k" run as steps k+1, k+2, ... in order
                queue.extend(step_faults.pop(done))
            if queue:
                self._do(_FAULT, f"f{queue.pop(0)}")
                continue
            if manual:
                nxt = self._next_manual()
                if isinstance(nxt, str):
                    return nxt
                kind, ref = nxt
            else:
                while True:  # pop the earliest live item; stale entries (delivered, re-timed, cancelled) are skipped
                    if not heap:
                        return "quiescent"
                    due, _seq, kind, ref = heapq.heappop(heap)
                    if kind == _MSG:
                        f = flights.get(ref)
                        if f is not None and f.due == due:
                            break
                    elif kind != _TIMER or ref in timers:
                        break
                if due > self.now:
                    self.now = due
            if self.now > max_time:
                return "max_time"
            if kind == _MSG and not manual:  # the hot path: one delivery
                self._begin_step("deliver", ref, False)
                self._deliver(ref)
                self._end_step()
            else:
                self._do(kind, ref, chosen=manual and kind in (_MSG, _TIMER))


def _copy_list(value: Any) -> Any:
    """A recorded log list is extended in place by later splices: the disk keeps its own copy."""
    return list(value) if type(value) is list else value


def run(scenario: Scenario, keep_going: Callable[[], bool] | None = None) -> Trace:
    """Run ``scenario`` to its end. Same scenario (incl. seed and choices) → identical trace."""
    return Simulation(scenario).run(keep_going)
