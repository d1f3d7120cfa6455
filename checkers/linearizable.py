"""Linearizability (Herlihy & Wing 1990): a bounded, explained checker.

Definition implemented
----------------------
Herlihy & Wing, "Linearizability: A Correctness Condition for Concurrent Objects", TOPLAS
12(3), 1990, §2: a history H is linearizable iff it can be extended (by appending responses
to some pending invocations and dropping the rest) to H' such that complete(H') is
equivalent to a legal sequential history S with <_H ⊆ <_S, where A <_H B iff A returns
before B is invoked. Here: ``ok`` ops must appear in S; ``info`` ops (pending) may appear
once after their call or not at all; ``fail`` ops are dropped (README of
``../shared/histories``). Legality comes from ``checkers.datatypes``.

Algorithm
---------
*P-compositionality* (Herlihy & Wing Theorem 1, "locality"): keyed datatypes are checked
one key at a time. Each sub-history is checked by a sweep over call/return events in time
order that keeps the *set of configurations* ``(state, linearized open ops, applied info
ops)`` reachable by linearizing the ops seen so far — the just-in-time linearization of
Lowe ("Testing for linearizability", CCPE 2017), which is the memoised Wing & Gong search
(Wing & Gong 1993; Porcupine's cache of (linearized set, state)) run breadth-first. At the
return of op ``o`` every configuration is extended, through other open ops, until ``o`` is
linearized; a configuration that cannot linearize ``o`` dies; no configuration left means
the history is not linearizable, and ``o`` is the op that could not be explained.

Pruning, each justified by dominance (the pruned configuration can do nothing the kept one
cannot):

* a pending op that never changes the state (a read, a failed CAS) and is legal now is
  linearized at once — linearizing it later can only be harder;
* indeterminate (``info``) ops with the same operation and input are interchangeable once
  called, so only the earliest unapplied one of each kind is ever tried;
* of two configurations with equal state and equal linearized open ``ok`` ops, the one that
  applied a subset of the other's ``info`` ops is kept (an info op may still never happen).

Witness: for ``ok`` the linearization (``order``) and a linearization point inside every
op's interval (``points``); for ``illegal`` the op that could not be linearized
(``culprit``), the longest partial linearization found (``longest``), and a 1-minimal
subset of ops that is already not linearizable (``core``, found by deletion within the
budget) with a plain-language reading of the common patterns (stale read, a value nobody
wrote, new/old inversion).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from checkers.datatypes import ILLEGAL, Datatype, datatype_of, partitions
from checkers.history import History, Op, show_value
from checkers.marks import linearization_points
from checkers.search import unwind
from checkers.verdict import Budget, Message, OutOfBudget, Verdict, not_applicable, unknown

MODEL = "linearizable"
MAX_CONFIGS = 400_000  # configurations alive at once; beyond this the verdict is unknown
CORE_MAX_OPS = 400  # histories larger than this get no minimal core (the culprit still shows)
CORE_SHOWN = 40  # a bigger "core" explains nothing; the culprit and the longest prefix still show
CORE_STEPS = 20_000  # search steps the core may use beyond 20x what the verdict took


@dataclass(slots=True)
class _Outcome:
    ok: bool
    order: list[int]  # op indices (into the partition's op list) of a (partial) linearization
    culprit: int | None = None  # index of the op that could not be linearized


_READS = frozenset({"read", "get"})


def _observes_only(op: Op, dt: Datatype) -> bool:
    """True if ``op`` never changes any state: a read, a failed CAS, a read-only transaction.

    Only such ops may be linearized eagerly: a write of the current value is a no-op *now*
    but not later, so it does not qualify.
    """
    if op.status != "ok":
        return False
    f = op.f
    if f in _READS or (f == "cas" and op.output is False):
        return True
    return f == "txn" and op.output is not None and all(m[0] == "read" for m in op.output)


class _Sweep:
    """One P-compositional sub-history prepared for both searches.

    ``returns[j]`` says what is open at the j-th return event: the returning op, the open
    ops that change state (``movers``), the open observers, and the called info ops grouped
    by kind. ``eager`` linearizes every legal open observer (the first pruning rule).
    """

    def __init__(self, ops: list[Op], dt: Datatype, initial: Any):
        self.ops, self.step, self.initial = ops, dt.step, initial
        events: list[tuple[Any, int, int]] = []
        for i, o in enumerate(ops):
            events.append((o.call, 0, i))  # calls before returns at equal times: closed intervals
            if o.status == "ok":
                events.append((o.ret, 1, i))
        events.sort()
        observer = [o.status == "ok" and _observes_only(o, dt) for o in ops]
        self.returns: list[tuple[int, tuple[int, ...], tuple[int, ...], tuple[tuple[int, ...], ...]]] = []
        open_movers: list[int] = []
        open_observers: list[int] = []
        info_groups: dict[Any, list[int]] = {}
        groups: tuple[tuple[int, ...], ...] = ()
        for _time, is_return, o in events:
            if not is_return:
                if ops[o].status != "ok":
                    info_groups.setdefault((ops[o].f, ops[o].input), []).append(o)
                    groups = tuple(tuple(g) for g in info_groups.values())
                elif observer[o]:
                    open_observers.append(o)
                else:
                    open_movers.append(o)
                continue
            if observer[o]:
                self.returns.append((o, tuple(open_movers), tuple(open_observers), groups))
                open_observers.remove(o)
            else:
                open_movers.remove(o)
                self.returns.append((o, tuple(open_movers), tuple(open_observers), groups))
        self.guarded = dt.name in ("kv", "kv-string") and any(o.f == "append" for o in ops)
        self.guards = _prefix_guards(ops, [r[0] for r in self.returns]) if self.guarded else [()] * len(self.returns)

    def admits(self, j: int, state: Any, mask: int) -> bool:
        """False if the configuration can no longer satisfy a future read (``_prefix_guards``)."""
        if state is not None and not isinstance(state, str):
            return True  # a put of a non-string: the prefix argument says nothing
        for bit, output in self.guards[j]:
            if not mask & bit and isinstance(output, str) and not output.startswith(state or ""):
                return False
        return True

    def eager(self, observers: tuple[int, ...], state: Any, mask: int, path: Any) -> tuple[int, Any]:
        step, ops = self.step, self.ops
        for x in observers:
            bit = 1 << x
            if not mask & bit and step(state, ops[x]) is not ILLEGAL:
                mask |= bit
                path = (x, path)
        return mask, path

    def closure(self, j: int, configs, budget: Budget):
        """Every configuration after linearizing the j-th returning op ``o`` and whatever
        must precede it, reached from ``configs`` [(state, mask, imask, path)], nearest first.

        Yields ``((state, mask without o, imask), path)`` once per distinct configuration.
        """
        o, movers, observers, groups = self.returns[j]
        step, ops, eager, admits = self.step, self.ops, self.eager, self.admits
        obit = 1 << o
        frontier = []
        seen = set()
        for state, mask, imask, path in configs:
            mask, path = eager(observers, state, mask, path)
            if (state, mask, imask) not in seen:
                seen.add((state, mask, imask))
                frontier.append((state, mask, imask, path))
        emitted = set()
        while frontier:
            later = []
            for state, mask, imask, path in frontier:
                budget.tick()
                if mask & obit:
                    key = (state, mask & ~obit, imask)
                    if key not in emitted:
                        emitted.add(key)
                        yield key, path
                    continue
                new = step(state, ops[o])
                if new is not ILLEGAL:
                    m2, p2 = eager(observers, new, mask | obit, (o, path))
                    key = (new, m2 & ~obit, imask)
                    if key not in emitted and admits(j, new, m2):
                        emitted.add(key)
                        yield key, p2
                for x in movers:
                    bit = 1 << x
                    if mask & bit:
                        continue
                    new = step(state, ops[x])
                    if new is ILLEGAL:
                        continue
                    m2, p2 = eager(observers, new, mask | bit, (x, path))
                    key = (new, m2, imask)
                    if key not in seen and admits(j, new, m2):
                        seen.add(key)
                        later.append((new, m2, imask, p2))
                for members in groups:
                    for x in members:  # the earliest unapplied member stands for the group
                        bit = 1 << x
                        if imask & bit:
                            continue
                        new = step(state, ops[x])
                        if new is not ILLEGAL and new != state:
                            m2, p2 = eager(observers, new, mask, (x, path))
                            key = (new, m2, imask | bit)
                            if key not in seen and admits(j, new, m2):
                                seen.add(key)
                                later.append((new, m2, imask | bit, p2))
                        break
            if len(seen) > MAX_CONFIGS:
                raise OutOfBudget
            frontier = later


def _prefix_guards(ops: list[Op], returning: list[int]) -> list[tuple[tuple[int, str], ...]]:
    """Reads that bound the state of a grow-only-until-reset datatype (kv append/put).

    Appends only extend a string; only a ``put`` resets it. So if read ``g`` (returned
    ``out``) is not linearized yet and no ``put`` can be linearized before it (none is
    unfinished and called before ``g`` returns), the state now must be a prefix of ``out``
    — otherwise no continuation can satisfy ``g``. At the j-th return event the guards are
    the (up to three) earliest-returning such reads still to come.
    """
    reads = sorted((o.ret, i) for i, o in enumerate(ops) if o.status == "ok" and o.f in ("get", "read"))
    puts = [o for o in ops if o.f in ("put", "write")]
    out = []
    for o in returning:
        now = ops[o].ret
        guards = []
        for ret, i in reads:
            if ret < now:
                continue
            if any(p.call < ret and (p.ret is None or p.ret >= now) for p in puts):
                continue
            guards.append((1 << i, ops[i].output))
            if len(guards) == 3:
                break
        out.append(tuple(guards))
    return out


_SLICE = 256  # search steps one racer runs before letting the others go


def _depth_first(sweep: _Sweep, budget: Budget):
    """Wing & Gong's search, depth-first over return events, memoising failed configurations.

    Successors come nearest first, so a linearizable history usually goes straight through.
    A generator: yields every ``_SLICE`` steps, returns the ``_Outcome``.
    """
    last = len(sweep.returns)
    if not last:
        return _Outcome(True, [])
    failed: set[tuple[int, Any, int, int]] = set()
    returns, step, ops, guarded = sweep.returns, sweep.step, sweep.ops, sweep.guarded
    # a frame: [j, config, path, successors generator or None (not made yet), direct tried?]
    start = (sweep.initial, 0, 0)
    stack = [[0, start, None, None, False]]
    deepest, deepest_path, mark = 0, None, budget.used + _SLICE
    while stack:
        budget.used += 1
        if budget.used >= mark:
            mark = budget.used + _SLICE
            budget.tick(0)
            yield
        frame = stack[-1]
        j, config = frame[0], frame[1]
        if not frame[4]:
            # the common case first: linearize the returning op right away (inlined for speed)
            frame[4] = True
            o, _movers, observers, _groups = returns[j]
            obit = 1 << o
            state, mask, imask = config
            path = frame[2]
            for x in observers:
                bit = 1 << x
                if not mask & bit and step(state, ops[x]) is not ILLEGAL:
                    mask |= bit
                    path = (x, path)
            if not mask & obit:
                state = step(state, ops[o])
                if state is ILLEGAL:
                    continue
                mask |= obit
                path = (o, path)
                for x in observers:
                    bit = 1 << x
                    if not mask & bit and step(state, ops[x]) is not ILLEGAL:
                        mask |= bit
                        path = (x, path)
            if guarded and not sweep.admits(j, state, mask):
                continue
            config2, path2 = (state, mask & ~obit, imask), path
        else:
            if frame[3] is None:
                frame[3] = sweep.closure(j, [(*config, frame[2])], budget)
            item = next(frame[3], None)
            if item is None:
                failed.add((j, *config))
                stack.pop()
                continue
            config2, path2 = item
        if j + 1 == last:
            return _Outcome(True, unwind(path2))
        if failed and (j + 1, *config2) in failed:
            continue
        if j + 1 > deepest:
            deepest, deepest_path = j + 1, path2
        if len(failed) > MAX_CONFIGS:
            raise OutOfBudget
        stack.append([j + 1, config2, path2, None, False])
    return _Outcome(False, unwind(deepest_path), culprit=returns[deepest][0])


def _breadth_first(sweep: _Sweep, budget: Budget):
    """Lowe's just-in-time sweep: the whole set of configurations, return event by return
    event, with dominated info applications dropped. Best when the answer is "illegal"."""
    yield  # let the depth-first search have the first slice: most histories end there
    configs: dict[tuple[Any, int, int], Any] = {(sweep.initial, 0, 0): None}
    mark = budget.used + _SLICE
    for j, (o, *_rest) in enumerate(sweep.returns):
        results: dict[tuple[Any, int, int], Any] = {}
        for key, path in sweep.closure(j, [(*k, p) for k, p in configs.items()], budget):
            results[key] = path
            if budget.used >= mark:
                mark = budget.used + _SLICE
                yield
        if not results:
            longest = max(configs.values(), key=_path_len)
            return _Outcome(False, unwind(longest), culprit=o)
        configs = _drop_dominated(results)
    return _Outcome(True, unwind(next(iter(configs.values()))))


def _search(ops: list[Op], dt: Datatype, initial: Any, budget: Budget) -> _Outcome:
    """Both searches in turns: depth-first wins on linearizable histories, breadth-first on
    illegal ones, so the cost is about twice the better of the two, never the worse."""
    sweep = _Sweep(ops, dt, initial)
    racers = [_depth_first(sweep, budget), _breadth_first(sweep, budget)]
    while True:
        for racer in racers:
            try:
                next(racer)
            except StopIteration as done:
                return done.value


def _drop_dominated(results: dict[tuple[Any, int, int], Any]) -> dict[tuple[Any, int, int], Any]:
    """Keep, per (state, okmask), only configurations whose applied-info set is minimal."""
    groups: dict[tuple[Any, int], list[int]] = {}
    for state, mask, imask in results:
        groups.setdefault((state, mask), []).append(imask)
    if len(groups) == len(results):
        return results
    out = {}
    for (state, mask), imasks in groups.items():
        imasks.sort(key=int.bit_count)
        kept: list[int] = []
        for im in imasks:
            if not any(k & im == k for k in kept):
                kept.append(im)
        for im in kept:
            out[(state, mask, im)] = results[(state, mask, im)]
    return out


def _path_len(path: Any) -> int:
    n = 0
    while path is not None:
        n += 1
        path = path[1]
    return n


def _prepared(history: History) -> dict[Any, list[Op]]:
    """Per-partition ops; info reads are dropped (no effect, no observed output)."""
    dt = datatype_of(history)
    out = {}
    for key, ops in partitions(history).items():
        out[key] = [o for o in ops if not (o.status == "info" and dt.rw(o) == "r")]
    return out


def check_linearizable(history: History, budget: Budget) -> Verdict:
    if not history.timed and history.ops:  # the empty history is trivially linearizable
        return not_applicable(MODEL, "chk.lin.untimed")
    dt = datatype_of(history)
    parts = list(_prepared(history).items())
    for key, ops in parts:
        orphan = _read_of_unwritten_value(ops, dt, dt.initial_state(history, key))
        if orphan is not None:
            return _illegal(history, key, ops, _Outcome(False, [], culprit=orphan), budget)
    sweeps = [_Sweep(ops, dt, dt.initial_state(history, key)) for key, ops in parts]
    # every partition's two searches take turns: the first illegal partition ends the check
    # (as Porcupine's parallel per-partition search does), so one hard linearizable key
    # cannot delay the verdict on an easy illegal one
    racers = {n: [_depth_first(sw, budget), _breadth_first(sw, budget)] for n, sw in enumerate(sweeps)}
    orders: dict[int, list[Op]] = {}
    try:
        while racers:
            for n in list(racers):
                for racer in racers[n]:
                    try:
                        next(racer)
                    except StopIteration as done:
                        outcome = done.value
                        break
                else:
                    continue
                key, ops = parts[n]
                if not outcome.ok:
                    return _illegal(history, key, ops, outcome, budget)
                orders[n] = [ops[i] for i in outcome.order]
                del racers[n]
    except OutOfBudget:
        return unknown(MODEL, budget)
    per_key = [orders[n] for n in sorted(orders)]
    # keys are independent objects (Herlihy & Wing, locality): points per key, then merged
    points = {}
    for seq in per_key:
        points.update(linearization_points(history, [o.id for o in seq]))
    # ties between points are possible (closed intervals): keep each key's own order
    rank = {o.id: (points[o.id], k, pos) for k, seq in enumerate(per_key) for pos, o in enumerate(seq)}
    order = sorted(rank, key=rank.__getitem__)
    return Verdict(MODEL, "ok", (Message("chk.lin.ok", {"n": len(order)}),),
                   {"order": order, "points": points}, True, budget.used)


_REGISTERS = ("register", "cas-register", "etcd-register", "knossos-cas-register")


def _read_of_unwritten_value(ops: list[Op], dt: Datatype, initial: Any) -> int | None:
    """Index of an ok register read of a value no op writes (nor the initial value): no
    search can explain it, so say so at once."""
    if dt.name not in _REGISTERS:
        return None
    written = {initial}
    for o in ops:
        if o.f == "write":
            written.add(o.input)
        elif o.f == "cas":
            written.add(o.input[1])
    for i, o in enumerate(ops):
        if o.status == "ok" and o.f == "read" and o.output not in written:
            if not (dt.name == "knossos-cas-register" and o.output is None):
                return i
    return None


# ---- explaining an illegal history --------------------------------------------------------

def _illegal(history: History, key: Any, ops: list[Op], outcome: _Outcome, budget: Budget) -> Verdict:
    culprit = ops[outcome.culprit]
    longest = [ops[i].id for i in outcome.order]
    core = _core(history, key, ops, culprit, budget)
    witness: dict[str, Any] = {"culprit": culprit.id, "longest": longest, "key": key}
    lines = [Message("chk.lin.culprit", {"op": culprit.label(), "process": culprit.process})]
    if core is not None and len(core) <= CORE_SHOWN:
        witness["core"] = [o.id for o in core]
        witness["edges"] = _real_time_edges(core)
        lines.extend(explain_core(core, datatype_of(history), datatype_of(history).initial_state(history, key)))
    if longest:
        lines.append(Message("chk.lin.longest", {"n": len(longest),
                                                 "ops": " → ".join(history.op(i).label() for i in longest[-6:])}))
    return Verdict(MODEL, "illegal", tuple(lines), witness, True, budget.used)


def _core(history: History, key: Any, ops: list[Op], culprit: Op, budget: Budget) -> list[Op] | None:
    """A minimal non-linearizable subset found by *sound* deletion (Zeller's ddmin: chunks
    of halving size, down to single ops).

    A deletion is kept only if the rest is still not linearizable **and** the deleted op
    could not have helped (``_deletable``): then adding any deleted op back cannot make the
    core linearizable, so the core is a real reason — not an artefact such as a read whose
    only write was deleted. Ops called after the culprit returned cannot matter (the sweep
    failed before seeing them), so the prefix is the start. Ops farthest from the culprit go
    first, which keeps the core local to where things went wrong. The core has its own step
    budget; running out just leaves a larger (still sound) core.
    """
    current = [o for o in ops if o.call <= culprit.ret]
    if len(current) > CORE_MAX_OPS:
        return None
    dt = datatype_of(history)
    initial = dt.initial_state(history, key)
    sub = Budget(max_steps=min(max(0, budget.max_steps - budget.used), CORE_STEPS + 20 * budget.used),
                 keep_going=budget.keep_going)
    try:
        granularity = 2
        while True:
            candidates = [o for o in sorted(current, key=lambda o: (o.ret is not None and o.ret >= culprit.call,
                                                                    o.call))
                          if o is not culprit]
            if not candidates:
                break
            size = max(1, len(candidates) // granularity)
            progress = False
            for start in range(0, len(candidates), size):
                chunk = _removable(candidates[start:start + size], current, dt)
                if not chunk:
                    continue
                trial = [o for o in current if o not in chunk]
                if not _search(trial, dt, initial, sub).ok:
                    current, progress = trial, True
            if not progress:
                if size == 1:
                    break
                granularity *= 2
    except OutOfBudget:
        pass
    finally:
        budget.used += sub.used
    return sorted(current, key=lambda o: o.call)


def _removable(chunk: list[Op], current: list[Op], dt: Datatype) -> set[Op]:
    """The ops of ``chunk`` that can be deleted one after another, each ``_deletable`` in
    what is left at its turn (so the chain of sound single deletions argument still holds)."""
    remaining = list(current)
    gone: set[Op] = set()
    progress = True
    while progress:
        progress = False
        for op in chunk:
            if op not in gone and _deletable(op, remaining, dt):
                gone.add(op)
                remaining.remove(op)
                progress = True
    return gone


def _deletable(op: Op, remaining: list[Op], dt: Datatype) -> bool:
    """Could ``op`` never help linearize ``remaining``? (then deleting it is sound)

    An observer only adds constraints. A register write (or successful CAS) of ``v``
    matters only to ops that compare the state with ``v`` — reads of ``v``, CASes from ``v`` —
    or to failed CASes (which need the state to differ); with none of those left, removing
    it from any linearization leaves the rest legal. Other datatypes: observers only.
    """
    if _observes_only(op, dt) or (op.status == "info" and dt.rw(op) == "r"):
        return True
    if op.f == "write" or (op.f == "cas" and op.output is not False):
        value = op.input if op.f == "write" else op.input[1]
        for o in remaining:
            if o is op:
                continue
            if o.f == "cas" and (o.output is False or o.input[0] == value):
                return False
            if dt.rw(o) == "r" and o.status == "ok" and o.output == value:
                return False
        return True
    return False


def _real_time_edges(core: list[Op]) -> list[list[Any]]:
    """The covering pairs of the real-time order (a→b with no c such that a→c→b)."""
    edges = []
    for a in core:
        if a.ret is None:
            continue
        later = [b for b in core if a.ret < b.call]
        for b in later:
            if not any(c.ret is not None and c.ret < b.call for c in later):
                edges.append([a.id, b.id, "rt"])
    return edges


def explain_core(core: list[Op], dt: Datatype, initial: Any) -> list[Message]:
    """Plain-language lines for the common shapes of a minimal register core."""
    lines = [Message("chk.lin.core", {"n": len(core), "ops": ", ".join(o.label() for o in core)})]
    reads = [o for o in core if dt.rw(o) == "r" and o.status == "ok"]
    writes = [o for o in core if dt.rw(o) == "w"]
    if len(core) == 1 and reads:
        lines.append(Message("chk.lin.never_written", {"op": reads[0].label()}))
        return lines
    if len(reads) == 1 and len(core) == len(reads) + len(writes):
        r = reads[0]
        newer = [w for w in writes if w.input != r.output and w.ret is not None and w.ret < r.call]
        sources = [w for w in writes if w.input == r.output]
        for w in newer:
            if sources and all(s.ret is not None and s.ret < w.call for s in sources):
                lines.append(Message("chk.lin.stale_read", {
                    "read": r.label(), "value": show_value(r.output), "newer": w.label(),
                    "old": ", ".join(s.label() for s in sources)}))
                return lines
            if not sources and r.output == initial:
                lines.append(Message("chk.lin.stale_initial", {
                    "read": r.label(), "value": show_value(r.output), "newer": w.label()}))
                return lines
    if len(reads) == 2 and len(core) == len(reads) + len(writes):
        first, second = sorted(reads, key=lambda o: o.call)
        if first.ret < second.call and first.output != second.output:
            lines.append(Message("chk.lin.inversion", {"first": first.label(), "second": second.label()}))
            return lines
    lines.append(Message("chk.lin.no_order", {}))
    return lines
