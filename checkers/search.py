"""Bounded search for a legal linear extension: the engine behind ``checkers.views``.

Theory of operation
-------------------
Every model of ``checkers.views`` asks one question of a set of operations ("nodes"): is there
a total order of them that

* extends a given strict partial order (the model's constraints: program order, reads-from,
  a session guarantee…), given as ``preds[i]``, the bitmask of nodes that must come before
  node ``i`` — already transitively closed, so a constraint through a left-out node still
  binds (``i`` in ``preds[i]`` means ``i`` lies on a cycle and can never be placed);
* may leave out the ``optional`` nodes (indeterminate ``info`` writes: they may never have
  taken effect) but contains every other node;
* is legal for a sequential specification, applied slot by slot (a slot is one register,
  or one object of a datatype)?

Sequential consistency (Lamport 1979) asks it once for all operations; causal memory, PRAM
and the session guarantees ask it once per process, for that process's *view*. Deciding it
is NP-complete in general (Gibbons & Korach 1997 for sequential consistency; Cantin, Lipasti
& Smith 2005 for PRAM and causal memory), so this is a depth-first search over
*configurations* ``(placed-or-skipped bitmask, state)`` with a memo of the configurations
already explored — the cache of Wing & Gong's search (Wing & Gong 1993; Lowe 2017;
Porcupine) without real time. ``Budget.tick`` is called for every configuration and for
the work done in it, so a caller's deadline is honoured.

Two kinds of problem:

* ``RegisterProblem`` — every node is a read or a write of a slot holding a *token*. A write
  sets the slot to its token; a read is legal iff the slot holds one of the tokens it
  *accepts*. With values as tokens this is a read/write register; with the writer's node
  index as token (and ``-1`` for the initial value) a read accepting one token must read
  *from a given write* (the reads-from relation of causal memory), and a read accepting
  several may read from any of them. Most pruning below needs this shape.
* ``StepProblem`` — any datatype: ``step(slot_state, node) -> new state | ILLEGAL``
  (``checkers.datatypes``), for sequential consistency of CAS registers, mutexes, kv
  stores with ``append`` and multi-register transactions.

Before searching, a register problem is *saturated* with the orders every solution must
have: when a read can only read from one write w, every other write of its slot comes before
w or after the read, and which one often follows from the orders already known (the
write-order inference of checking with a known read mapping, Gibbons & Korach 1997). Forced
orders that close a cycle settle the question without any search; they are also returned,
with the read that forced each one, for the explanation.

Pruning, each a dominance argument (a pruned branch can do nothing a kept one cannot):

* *observers first* — a node that never changes the state when legal (a read, a failed
  CAS), available now and legal now, is placed at once: moving it earlier in any solution
  keeps every other step's state and every constraint;
* *dead slots* (registers) — a write to a slot no unplaced read looks at is placed as soon
  as it is available: nothing can observe where it went;
* *unwanted info writes* (registers) — an optional write whose token no unplaced read
  wants is left out: removing it from a solution changes no read;
* *junk state* (registers) — a slot holding a token no unplaced read wants is recorded as
  ``JUNK``, so configurations that differ only in unobservable values meet in the memo;
* *interchangeable writes* (registers) — of two available writes with the same slot, the
  same (or an equally unwanted) token and the same successors, only the first is tried:
  swapping them in a solution gives another solution;
* *lazy writes* (registers) — a write that nothing has to follow is tried only when a ready
  read is waiting for its token: in any solution it can be moved later, to just before the
  first read that reads from it, or (if none does) to the end, where the dead-slot rule
  places it;
* *a supplier must remain* (registers) — when no token some unplaced read accepts is in its
  slot or written by an unplaced write that may still precede it, the branch is dead and
  that read is the *culprit*.

Result: ``Outcome(ok, order, culprit, forced, contradiction)`` — the placed nodes in order (a
solution, or the longest prefix reached when there is none), on failure the node that could
not be placed at the end of that prefix, the forced orders, and whether they alone were
contradictory.

Deviations: none from the definitions; the search is exact within its budget.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from checkers.datatypes import ILLEGAL
from checkers.verdict import Budget


class _Junk:
    """The state of a slot whose token nobody will read again (one shared, hashable marker)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "JUNK"


JUNK = _Junk()


@dataclass(frozen=True, slots=True)
class RegisterProblem:
    preds: tuple[int, ...]  # preds[i]: bitmask of nodes that must precede node i (closed)
    is_read: tuple[bool, ...]
    slot: tuple[int, ...]
    token: tuple[Any, ...]  # written token (writes); a frozenset of accepted tokens (reads)
    initial: tuple[Any, ...]  # token of every slot before any write
    optional: int = 0  # nodes that may be left out (never optional reads: they are dropped)
    rank: tuple[int, ...] = ()  # tie-break among moves (e.g. by call time); default index


@dataclass(frozen=True, slots=True)
class StepProblem:
    preds: tuple[int, ...]
    slot: tuple[int, ...]
    initial: tuple[Any, ...]
    step: Callable[[Any, int], Any]  # (state of the node's slot, node) -> new state | ILLEGAL
    observers: int = 0  # nodes that never change the state when legal
    optional: int = 0
    rank: tuple[int, ...] = ()  # the order in which to try nodes (e.g. by call time); default index


@dataclass(slots=True)
class Outcome:
    ok: bool
    order: list[int] = field(default_factory=list)
    culprit: int | None = None
    # orders the saturation added, as (before, after, the read that forces it)
    forced: list[tuple[int, int, int]] = field(default_factory=list)
    contradiction: bool = False  # the forced orders alone are cyclic: no search was needed
    conflict: list[int] = field(default_factory=list)  # then: the nodes of one such cycle and the reads behind it


def bits(mask: int):
    """Indices of the set bits of ``mask``, lowest first."""
    while mask:
        low = mask & -mask
        yield low.bit_length() - 1
        mask ^= low


def closure(direct: list[int]) -> list[int]:
    """Transitive closure of a relation given as direct-predecessor bitmasks (cycles allowed:
    a node on a cycle ends up in its own mask)."""
    anc = list(direct)
    changed = True
    while changed:
        changed = False
        for i, mask in enumerate(anc):
            new = mask
            for j in bits(mask):
                new |= anc[j]
            if new != mask:
                anc[i] = new
                changed = True
    return anc


def find_cycle(direct: list[int]) -> list[int] | None:
    """A cycle (node indices, in order) of the relation ``j -> i`` for ``j`` in ``direct[i]``."""
    succ: list[list[int]] = [[] for _ in direct]
    for i, mask in enumerate(direct):
        for j in bits(mask):
            succ[j].append(i)
    colour = [0] * len(direct)  # 0 new, 1 on the stack, 2 done
    for root in range(len(direct)):
        if colour[root]:
            continue
        stack = [(root, iter(succ[root]))]
        path = [root]
        colour[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                stack.pop()
                path.pop()
                colour[node] = 2
            elif colour[nxt] == 1:
                return path[path.index(nxt):]
            elif colour[nxt] == 0:
                colour[nxt] = 1
                stack.append((nxt, iter(succ[nxt])))
                path.append(nxt)
    return None


def solve(problem: RegisterProblem | StepProblem, budget: Budget) -> Outcome:
    """Search for a legal linear extension (raises ``OutOfBudget`` when the budget runs out)."""
    engine = _RegisterEngine(problem, budget) if isinstance(problem, RegisterProblem) else _StepEngine(problem)
    out = engine.run(budget)
    out.forced = list(getattr(engine, "forced", []))
    if out.contradiction and isinstance(engine, _RegisterEngine):
        out.conflict = engine.conflict(out.culprit)
    return out


class _Engine:
    """Depth-first search over (mask, state) with a memo; subclasses say what a move is."""

    def __init__(self, preds: tuple[int, ...], optional: int):
        self.n = len(preds)
        self.full = (1 << self.n) - 1
        self.preds = preds
        self.optional = optional
        self.mandatory = self.full & ~optional

    # hooks --------------------------------------------------------------------------------
    def is_read_node(self, i: int) -> bool:
        return False

    def start(self) -> tuple[Any, ...]:
        raise NotImplementedError

    def eager(self, mask: int, state: tuple, path: Any) -> tuple[int, tuple, Any, int, int]:
        """Forced moves; returns (mask, state, path, nodes placed, work done)."""
        raise NotImplementedError

    def dead(self, mask: int, state: tuple) -> int | None:
        """A node that can no longer be placed (the branch is dead), or None."""
        return None

    def moves(self, mask: int, state: tuple) -> list[tuple[int, Any]]:
        """(node, new state or None for 'leave the optional node out'), best first."""
        raise NotImplementedError

    # search -------------------------------------------------------------------------------
    def run(self, budget: Budget) -> Outcome:
        doomed = [i for i in bits(self.mandatory) if self.preds[i] >> i & 1]
        if doomed:  # a mandatory node that must precede itself: no order at all
            reads = [i for i in doomed if self.is_read_node(i)]
            return Outcome(False, [], (reads or doomed)[-1], contradiction=True)
        seen: set[tuple[int, tuple]] = set()  # configurations explored (after the forced moves)
        reached: set[tuple[int, tuple]] = set()  # configurations popped (before them: same result)
        best_len, best_path, best_culprit = -1, None, None
        # stack entries: (mask, state, path of placed nodes as nested pairs, its length)
        stack: list[tuple[int, tuple, Any, int]] = [(0, self.start(), None, 0)]
        while stack:
            mask, state, path, length = stack.pop()
            if (mask, state) in reached:
                budget.tick()
                continue
            reached.add((mask, state))
            mask, state, path, placed, work = self.eager(mask, state, path)
            length += placed
            budget.tick(1 + work // 16)
            if mask & self.mandatory == self.mandatory:
                return Outcome(True, unwind(path))
            config = (mask, state)
            if config in seen:
                continue
            seen.add(config)
            culprit = self.dead(mask, state)
            children = [] if culprit is not None else self.moves(mask, state)
            if not children:
                if culprit is None:
                    culprit = self._stuck(mask)
                if length > best_len:
                    best_len, best_path, best_culprit = length, path, culprit
                continue
            budget.tick(len(children) // 4)
            for node, new in reversed(children):
                bit = 1 << node
                if new is None:
                    stack.append((mask | bit, state, path, length))
                else:
                    stack.append((mask | bit, new, (node, path), length + 1))
        return Outcome(False, unwind(best_path), best_culprit)

    def _stuck(self, mask: int) -> int | None:
        """The culprit of a dead end: the first available mandatory node, else the first left."""
        left = self.mandatory & ~mask
        for i in bits(left):
            if self.preds[i] & ~mask == 0:
                return i
        return next(bits(left), None)


class _StepEngine(_Engine):
    def __init__(self, p: StepProblem):
        super().__init__(p.preds, p.optional)
        self.p = p

    def start(self) -> tuple:
        return tuple(self.p.initial)

    def _apply(self, state: tuple, i: int) -> Any:
        k = self.p.slot[i]
        new = self.p.step(state[k], i)
        if new is ILLEGAL:
            return ILLEGAL
        return state if new == state[k] else state[:k] + (new,) + state[k + 1:]

    def eager(self, mask, state, path):
        work = placed = 0
        progress = True
        while progress:
            progress = False
            for i in bits(self.p.observers & ~mask):
                work += 1
                if self.preds[i] & ~mask == 0 and self._apply(state, i) is not ILLEGAL:
                    mask |= 1 << i
                    path = (i, path)
                    placed += 1
                    progress = True
        return mask, state, path, placed, work

    def moves(self, mask, state):
        placed, skipped = [], []
        for i in bits(self.full & ~mask):
            if not self.preds[i] & ~mask:
                new = self._apply(state, i)
                if new is not ILLEGAL:
                    placed.append((i, new))
            if self.optional >> i & 1:
                skipped.append((i, None))  # the indeterminate op never took effect
        if self.p.rank:
            placed.sort(key=lambda move: self.p.rank[move[0]])
        return placed + skipped


class _RegisterEngine(_Engine):
    def __init__(self, p: RegisterProblem, budget: Budget):
        super().__init__(p.preds, p.optional)
        self.budget = budget
        self.p = p
        n = self.n
        self.reads = sum(1 << i for i in range(n) if p.is_read[i])
        self.writes = self.full & ~self.reads
        nslots = len(p.initial)
        self.slot_reads = [0] * nslots
        self.reads_with: dict[tuple[int, Any], int] = {}  # (slot, token) -> reads accepting it
        for i in bits(self.reads):
            self.slot_reads[p.slot[i]] |= 1 << i
            for tok in p.token[i]:
                key = (p.slot[i], tok)
                self.reads_with[key] = self.reads_with.get(key, 0) | 1 << i
        self.preds = list(self.preds)
        self.forced: list[tuple[int, int, int]] = []
        # every derived order: (before, after, the read behind it, the order it rests on)
        self.derived: list[tuple[int, int, int, tuple[int, int] | None]] = []
        self._saturate()
        self.succs = [0] * n  # the nodes that must come after each node
        for i, mask in enumerate(self.preds):
            budget.tick(1 + mask.bit_count() // 64)
            for j in bits(mask):
                self.succs[j] |= 1 << i
        self.supplier = [self._suppliers(r) if p.is_read[r] else 0 for r in range(n)]

    def _suppliers(self, r: int) -> int:
        """Writes that may supply read r: same slot, accepted token, not forced after it."""
        p = self.p
        out = 0
        for w in bits(self.slot_writes[p.slot[r]]):
            if p.token[w] in p.token[r] and not self.preds[w] >> r & 1:
                out |= 1 << w
        return out

    def _saturate(self) -> None:
        """Add the orders every solution must have anyway (the saturation of Gibbons & Korach's
        read-mapping reasoning): when read r can only read from write w, every other write w'
        of the slot comes before w or after r — before w if it must precede r, after r if it
        must follow w; and when r can only read the initial value, every write of the slot
        comes after r. Repeats until nothing changes; a node that ends up before itself makes
        the problem unsolvable (``run`` reports it). Orders that would hold only if an optional
        write is present are not added: closing over them would bind even when it is left out."""
        p = self.p
        self.slot_writes = [0] * len(p.initial)
        for w in bits(self.writes):
            self.slot_writes[p.slot[w]] |= 1 << w
        changed = True
        while changed:
            changed = False
            for r in bits(self.reads):
                self.budget.tick(1 + self.n // 16)
                k = p.slot[r]
                sup = self._suppliers(r)
                from_init = p.initial[k] in p.token[r]
                if sup and (sup & (sup - 1) or from_init):
                    continue  # more than one possible source: nothing is forced
                if not sup:
                    if from_init:  # only the initial value: every write of the slot follows r
                        for w in bits(self.slot_writes[k] & self.mandatory):
                            changed |= self._order(r, w, r, None)
                    continue
                w = sup.bit_length() - 1
                changed |= self._order(w, r, None, None, r)
                for other in bits(self.slot_writes[k] & self.mandatory & ~(1 << w)):
                    if self.preds[r] >> other & 1:
                        changed |= self._order(other, w, r, (other, r))
                    elif self.preds[other] >> w & 1:
                        changed |= self._order(r, other, r, (w, other))
                if self.preds[r] >> r & 1:
                    return

    def conflict(self, node: int) -> list[int]:
        """The ops behind a contradiction: a shortest cycle through ``node`` of the given and
        derived orders, plus, for each derived order used, the read behind it and a path for
        the order it was derived from (using only orders derived before it, so the
        justification is well founded)."""
        p = self.p
        used: set[int] = set()
        nodes: set[int] = set()
        cycle = self._path(node, node, len(self.derived), used)
        if cycle is None:
            return []
        nodes.update(cycle)
        first_use: dict[int, int] = {}  # read -> index of the first order derived from it
        for i, (_a, _b, why, _premise) in enumerate(self.derived):
            first_use.setdefault(why, i)
        todo, done = sorted(used), set()
        while todo:
            i = todo.pop()
            if i in done:
                continue
            done.add(i)
            _a, _b, r, premise = self.derived[i]
            nodes.add(r)
            more: set[int] = set()
            if premise is not None:
                nodes.update(self._path(premise[0], premise[1], i, more) or premise)
            # r had a single possible source: any other write of its value kept here must be
            # one that was known to come after r — keep the reason too
            for w in bits(self.slot_writes[p.slot[r]]):
                if w in nodes and p.token[w] in p.token[r] and self.p.preds[w] >> r & 1 == 0:
                    if not any(d[0] == w and d[1] == r for d in self.derived[:i + 1]):
                        nodes.update(self._path(r, w, first_use[r], more) or (r, w))
            todo.extend(sorted(more - done))
        return sorted(nodes)

    def _path(self, src: int, dst: int, limit: int, used: set[int]) -> list[int] | None:
        """Shortest path src ⇝ dst (src == dst: a cycle) over the given orders and the first
        ``limit`` derived ones; the derived ones it takes are added to ``used``."""
        given = self.p.preds
        derived_from: dict[int, list[tuple[int, int]]] = {}
        for i, (a, b, _why, _premise) in enumerate(self.derived[:limit]):
            derived_from.setdefault(a, []).append((b, i))
        parent: dict[int, tuple[int, int | None]] = {}
        frontier = [src]
        while frontier and dst not in parent:
            nxt = []
            for a in frontier:
                self.budget.tick(1 + self.n // 64)
                steps = [(b, None) for b in range(self.n) if given[b] >> a & 1] + derived_from.get(a, [])
                for b, i in steps:
                    if b not in parent:
                        parent[b] = (a, i)
                        nxt.append(b)
            frontier = nxt
        if dst not in parent:
            return None
        path, x = [dst], dst
        while True:
            a, i = parent[x]
            if i is not None:
                used.add(i)
            if a == src:
                return [src] + path[::-1] if src != dst else path[::-1]
            path.append(a)
            x = a

    def _order(self, a: int, b: int, why: int | None, premise: tuple[int, int] | None,
               reader: int | None = None) -> bool:
        """Add a before b (and everything it implies); True if that is new. ``why`` is the
        read that forces it (None for a read after its only source: plain reads-from, whose
        read is ``reader``); ``premise`` the order it was derived from."""
        if self.preds[b] >> a & 1:
            return False
        if why is not None:
            self.forced.append((a, b, why))
        self.derived.append((a, b, why if why is not None else reader, premise))
        before_a = self.preds[a] | 1 << a
        for x in range(self.n):
            if x == b or self.preds[x] >> b & 1:
                self.preds[x] |= before_a
        return True

    def is_read_node(self, i: int) -> bool:
        return self.p.is_read[i]

    def start(self) -> tuple:
        return self._normalise(0, tuple(self.p.initial))

    def _wanted(self, mask: int, slot: int, token: Any) -> int:
        return self.reads_with.get((slot, token), 0) & ~mask

    def _normalise(self, mask: int, state: tuple) -> tuple:
        out = None
        for k, tok in enumerate(state):
            if tok is not JUNK and not self._wanted(mask, k, tok):
                out = list(state) if out is None else out
                out[k] = JUNK
        return state if out is None else tuple(out)

    def _write(self, mask: int, state: tuple, w: int) -> tuple:
        k = self.p.slot[w]
        tok = self.p.token[w]
        if not self._wanted(mask, k, tok):
            tok = JUNK
        return state if state[k] is tok or state[k] == tok else state[:k] + (tok,) + state[k + 1:]

    def eager(self, mask, state, path):
        """Forced moves, looking only where they can be: reads, optional writes, dead slots."""
        p, preds = self.p, self.preds
        work = placed = 0
        progress = True
        while progress:
            progress = False
            for i in bits(self.reads & ~mask):
                work += 1
                if preds[i] & ~mask == 0 and state[p.slot[i]] in p.token[i]:
                    mask |= 1 << i
                    path = (i, path)
                    placed += 1
                    progress = True
            for i in bits(self.optional & ~mask):
                work += 1
                if not self._wanted(mask, p.slot[i], p.token[i]):
                    mask |= 1 << i  # an info write nobody needs: leave it out
                    progress = True
            for k, slot_reads in enumerate(self.slot_reads):
                if slot_reads & ~mask:
                    continue
                for i in bits(self.slot_writes[k] & ~mask):  # nobody reads this slot any more
                    work += 1
                    if preds[i] & ~mask == 0:
                        mask |= 1 << i
                        path = (i, path)
                        placed += 1
                        progress = True
            if progress:
                state = self._normalise(mask, state)
        return mask, state, path, placed, work

    def dead(self, mask, state):
        p = self.p
        for r in bits(self.reads & ~mask):
            if state[p.slot[r]] not in p.token[r] and not self.supplier[r] & ~mask:
                return r
        return None

    def moves(self, mask, state):
        """Available writes (one per class of interchangeable ones), best first: those a ready
        read is waiting for, then those that overwrite no value a read may still need, those
        that unblock a read, those whose value some read wants, earlier (``rank``) first; last,
        leaving out optional writes."""
        p = self.p
        ranked, skips = [], []
        tried: set[tuple[int, Any, int, int]] = set()
        left_reads = self.reads & ~mask
        ready_reads = [r for r in bits(left_reads) if self.preds[r] & ~mask == 0]
        for w in bits(self.writes & ~mask):
            if self.optional >> w & 1:
                skips.append((w, None))
            if self.preds[w] & ~mask:
                continue
            k, tok = p.slot[w], p.token[w]
            wanted = self._wanted(mask, k, tok)
            sig = (k, tok if wanted else JUNK, self.succs[w], self.optional >> w & 1)
            if sig in tried:
                continue  # interchangeable with a write already tried
            tried.add(sig)
            awaited = any(p.slot[r] == k and tok in p.token[r] and state[k] not in p.token[r] for r in ready_reads)
            if not awaited and not self.succs[w]:
                continue  # a write nothing must follow waits for a read that needs it (or the end)
            unblocks = bool(self.succs[w] & left_reads)
            # overwriting a value that a read which may still come first is waiting for
            hurts = state[k] is not JUNK and bool(self._wanted(mask, k, state[k]) & ~self.succs[w])
            ranked.append(((not awaited, hurts, not unblocks, not wanted, p.rank[w] if p.rank else w),
                           (w, self._write(mask | 1 << w, state, w))))
        ranked.sort(key=lambda t: t[0])
        return [move for _rank, move in ranked] + skips


def unwind(path: Any) -> list[int]:
    """A search path kept as nested ``(item, previous)`` pairs, as a list, first item first."""
    out = []
    while path is not None:
        out.append(path[0])
        path = path[1]
    out.reverse()
    return out

