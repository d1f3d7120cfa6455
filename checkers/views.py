"""The consistency models without real time: sequential, causal, PRAM, the four session
guarantees and eventual consistency — bounded checkers that explain their verdicts.

Theory of operation
-------------------
Notation (shared by every definition below):

* H — the completed history: ``fail`` ops are dropped (they had no effect). An ``info`` op
  may or may not have taken effect, so it is *optional*: each view (or the one order) may
  contain it or leave it out. An ``info`` read returned nothing and constrains nothing, so
  it is dropped, and so is a read whose recorded value is legal in every state (Knossos's
  nil read).
* so — program (session) order: the ops of one process in ``call`` order (ties and untimed
  histories: the order of the history).
* rf — reads-from ("writes-into", Ahamad et al. 1995): a read r of value v on key x reads
  from one write of v to x, or from the initial value of x. Values need not be unique, so
  the models that use rf (causal, writes-follow-reads, eventual) ask whether *some* choice
  of rf works; the choices are searched within the budget.
* A *view* of process p is a total order of every write of H and of p's own reads (and, for
  causal memory, p's writes — they are writes already). It is *legal* when each read
  returns the value of the last write to its key before it (or the initial value if there
  is none). For the models that use rf, a view must moreover make each read read *from its
  rf write*: with unique values the two readings coincide.
* A relation R is *respected* by an order when a R b ⇒ a comes first, for a, b in the
  order. Every relation here is transitively closed over the whole history before it is
  restricted to a view, so an order through a left-out op still binds.

The models (each checker's docstring states the reading it implements):

=====================  =====================================================================
sequential             Lamport 1979: one legal order of all of H respecting so.
causal                 Ahamad, Neiger, Burns, Kohli & Hutto 1995: an rf such that
                       ↝ = (so ∪ rf)+ is acyclic and every process has a legal view
                       respecting ↝.
pram                   Lipton & Sandberg 1988: every process has a legal view respecting so.
read-your-writes,      Terry, Demers, Petersen, Spreitzer, Theimer & Welch 1994 (Bayou): every
monotonic-reads,       process has a legal view respecting only that guarantee's pairs.
monotonic-writes,
writes-follow-reads
eventual               Viotti & Vukolić 2016 §3.2 (finite-history reading): every read returns
                       a written or the initial value, and some rf makes so ∪ rf acyclic
                       (NoCircularCausality).
=====================  =====================================================================

With these readings PRAM ⇒ read-your-writes, monotonic reads and monotonic writes (their
pairs are pairs of so, on the same views), causal ⇒ PRAM (so ⊆ ↝), causal ⇒
writes-follow-reads (its pairs are in ↝, same rf) and causal ⇒ eventual (↝ acyclic);
sequential ⇒ causal (take the order's own reads-from; each view is the order restricted).
``tests/test_model_implications.py`` checks all of them on generated histories.

Why per-process views and not one arbitration order: Viotti & Vukolić's framework has a
single arbitration order, under which monotonic reads and causality become convergent and
Tanenbaum & van Steen's causal-but-not-sequential example (Fig. 7-9(b)) would be rejected
(curriculum.md §1.2). The per-process reading is Ahamad et al.'s and Jepsen's prose.

What "on its own witness" implies (worth teaching, pinned by the tests): monotonic writes and
writes-follow-reads order only *writes*, and in a view a process's reads are free to sit
right after the write they read. So monotonic writes alone fails only on a value nobody
wrote, and writes-follow-reads alone fails only when its orders run in a circle — which is
a cycle of so ∪ rf, so here eventual ⇒ writes-follow-reads. Jepsen's prose violation of
monotonic writes (P2 reads w2's value, then w1's) is caught by PRAM, which is the three
guarantees *in one view*. Terry et al.'s server-based definitions agree: a session whose
reads hit different servers cannot see the order in which one server applied two writes.

Algorithm: each view (or the one order) is a search for a legal linear extension,
``checkers.search`` (memoised depth-first search with dominance pruning and saturation of
the orders the reads force). Sequential consistency is never split by key: it is not
compositional (Herlihy & Wing 1990 show it is not a local property), and neither are
causal memory and PRAM, whose orders cross keys. With duplicate values, only the sources of
*global* reads (those followed by a write of their process) are searched, with relaxations
pruning whole subtrees (``_find_with_rf``); any other read's source is whichever write its
own view puts last.

Verdict witnesses (vocabulary of ``checkers/__init__``): ``ok`` — ``order`` (sequential),
``views`` (per-process models; causal and writes-follow-reads add the rf ``edges`` used),
``edges`` (eventual: the rf chosen); ``illegal`` — ``process`` whose view cannot be built,
``culprit`` (the op it got stuck on), ``longest`` (the longest partial view or order),
``cycle`` (causality that runs in a circle), ``core`` (a 1-minimal illegal subset of ops,
found by deletion within the budget; a subset where some read lost every possible writer
does not count, unless that is the failure) and the ``edges`` (po/rf) that explain the core.
Explanations are ``Message`` lines under ``chk.views.`` (``ui/i18n/*/views.yaml``), with op
references written ``P1:W(x)1`` so the arguments read the same in every language.

Deviations from the papers: the papers assume every value is written once; here duplicate
values are allowed and rf is searched. Ahamad et al. and Lipton & Sandberg consider
complete operations only; ``info`` writes are treated as optional per view.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from checkers.datatypes import ILLEGAL, datatype_of, is_read_write_memory
from checkers.history import History, Op
from checkers.search import RegisterProblem, StepProblem, bits, closure, find_cycle, solve
from checkers.verdict import Budget, Message, OutOfBudget, Verdict, not_applicable, unknown

SEQUENTIAL = "sequential"
CAUSAL = "causal"
PRAM = "pram"
RYW = "read-your-writes"
MR = "monotonic-reads"
MW = "monotonic-writes"
WFR = "writes-follow-reads"
EVENTUAL = "eventual"
INIT = -1  # rf source "the initial value"
CORE_MAX_OPS = 200  # larger failing histories get no minimal core (the culprit still shows)
CORE_MIN_STEPS = 5_000  # core search steps allowed beyond what the verdict itself used
SHOW_MAX = 14  # op labels shown in one explanation line


# ---- preparing a history -----------------------------------------------------------------

class _Anything:
    """A state no read can expect: a read legal here is legal everywhere (constrains nothing)."""

    __slots__ = ()


_ANY = _Anything()


@dataclass(frozen=True, slots=True)
class _Prep:
    history: History
    ops: tuple[Op, ...]  # the ops that matter; everything below is indexed like this
    processes: tuple[str, ...]
    of_process: dict[str, int]  # process -> bitmask of its ops
    so: tuple[int, ...]  # so[i]: ops of i's process that come before i (closed)
    so_cover: tuple[int, ...]  # the op just before i in its process (same closure, cheaper walks)
    slot: tuple[int, ...]
    slot_keys: tuple[Any, ...]
    initial: tuple[Any, ...]  # initial value of every slot
    optional: int  # info ops
    reads: int  # memory histories: bitmask of reads (else 0)
    writes: int
    later_writes: tuple[int, ...]  # later_writes[r]: writes of r's process after r in so

    @property
    def n(self) -> int:
        return len(self.ops)

    def is_read(self, i: int) -> bool:
        return bool(self.reads >> i & 1)


def _is_observer(op: Op) -> bool:
    """An op that never changes the state when it is legal (a read, a failed CAS, a read-only txn)."""
    if op.f in ("read", "get"):
        return True
    if op.f == "cas":
        return op.status == "ok" and op.output is False
    if op.f == "txn":
        micro = op.output if op.status == "ok" and op.output is not None else op.input
        return all(isinstance(m, tuple) and m and m[0] == "read" for m in micro or ())
    return False


def _unconstrained_read(history: History, op: Op) -> bool:
    dt = datatype_of(history)
    return op.f in ("read", "get") and dt.step(_ANY, op) is not ILLEGAL


def _prepare(history: History) -> _Prep:
    """H as the checkers read it: fail ops, info reads and reads that constrain nothing dropped."""
    dt = datatype_of(history)
    memory = is_read_write_memory(history)
    kept: list[tuple[int, Op]] = []
    for pos, o in enumerate(history.ops):
        if o.status == "fail" or (o.status == "info" and _is_observer(o)):
            continue
        if o.status == "ok" and _unconstrained_read(history, o):
            continue
        kept.append((pos, o))
    # program order: by call time when the history is timed, then by position
    order_key: Callable[[tuple[int, Op]], tuple] = (
        (lambda t: (t[1].call if t[1].call is not None else 0, t[0])) if history.timed else (lambda t: (t[0],)))
    procs: dict[str, list[tuple[int, Op]]] = {}
    for t in kept:
        procs.setdefault(t[1].process, []).append(t)
    ops: list[Op] = []
    so: list[int] = []
    cover: list[int] = []
    of_process: dict[str, int] = {}
    for proc, items in procs.items():
        items.sort(key=order_key)
        before = 0
        for n, (_pos, o) in enumerate(items):
            so.append(before)
            cover.append(1 << (len(ops) - 1) if n else 0)
            before |= 1 << len(ops)
            ops.append(o)
        of_process[proc] = before
    slot_of: dict[Any, int] = {}
    slot: list[int] = []
    for o in ops:
        key = o.key if dt.keyed else None
        slot.append(slot_of.setdefault(key, len(slot_of)))
    slot_keys = tuple(slot_of)
    reads = writes = 0
    if memory:
        for i, o in enumerate(ops):
            if dt.rw(o) == "r":
                reads |= 1 << i
            else:
                writes |= 1 << i
    later = [0] * len(ops)
    for proc_ops in of_process.values():  # walk each process backwards, collecting its writes
        after = 0
        for i in reversed(list(bits(proc_ops))):
            later[i] = after
            if writes >> i & 1:
                after |= 1 << i
    return _Prep(history, tuple(ops), tuple(procs), of_process, tuple(so), tuple(cover), tuple(slot), slot_keys,
                 tuple(dt.initial_state(history, k) for k in slot_keys),
                 sum(1 << i for i, o in enumerate(ops) if o.status == "info"), reads, writes, tuple(later))


# ---- outcomes ------------------------------------------------------------------------------

@dataclass(slots=True)
class _Found:
    """What a model's search found: success (order/views) or the first failure."""

    ok: bool
    order: list[int] = field(default_factory=list)  # sequential
    views: dict[str, list[int]] = field(default_factory=dict)
    rf: dict[int, int] = field(default_factory=dict)  # read -> write (INIT for the initial value)
    process: str | None = None
    culprit: int | None = None
    longest: list[int] = field(default_factory=list)
    cycle: list[int] | None = None
    never_written: int | None = None  # a read with no possible source
    forced: list[tuple[int, int, int]] = field(default_factory=list)  # (before, after, read)
    contradiction: bool = False  # the forced orders alone run in a circle
    conflict: list[int] = field(default_factory=list)  # then: the ops of one such circle


def _processes(prep: _Prep, first: str | None) -> list[str]:
    procs = list(prep.processes)
    if first in procs:
        procs.remove(first)
        procs.insert(0, first)
    return procs


@dataclass(slots=True)
class _Solved:
    ok: bool
    order: list[int]
    culprit: int | None
    forced: list[tuple[int, int, int]]
    contradiction: bool
    conflict: list[int]


def _solve_order(prep: _Prep, members: int, before: list[int] | tuple[int, ...], budget: Budget,
                 accept: dict[int, frozenset] | None = None) -> _Solved:
    """Search a legal order of ``members`` respecting ``before`` (op indices of ``prep``). With
    ``accept`` (read -> the writes it may read from, INIT for the initial value) each read must
    read from one of those writes; otherwise legality is by value."""
    local = list(bits(members))
    pos = {g: i for i, g in enumerate(local)}
    preds = []
    for g in local:
        mask = 0
        for h in bits(before[g] & members):
            mask |= 1 << pos[h]
        preds.append(mask)
    optional = sum(1 << pos[g] for g in local if prep.optional >> g & 1)
    # try ops in real-time order first: recorded histories are usually nearly linearizable
    when = [(prep.ops[g].call if prep.history.timed and prep.ops[g].call is not None else 0, g) for g in local]
    order = {w: n for n, w in enumerate(sorted(when))}
    rank = tuple(order[w] for w in when)
    if prep.reads or prep.writes:
        if accept is None:
            tokens = tuple(frozenset((prep.ops[g].output,)) if prep.is_read(g) else prep.ops[g].input
                           for g in local)
            initial = prep.initial
        else:
            tokens = tuple(accept[g] if prep.is_read(g) else g for g in local)
            initial = (INIT,) * len(prep.initial)
        problem = RegisterProblem(tuple(preds), tuple(prep.is_read(g) for g in local),
                                  tuple(prep.slot[g] for g in local), tokens, initial, optional, rank)
    else:
        step = datatype_of(prep.history).step
        ops = [prep.ops[g] for g in local]
        problem = StepProblem(tuple(preds), tuple(prep.slot[g] for g in local), prep.initial,
                              lambda state, i: step(state, ops[i]),
                              sum(1 << i for i, o in enumerate(ops) if o.status == "ok" and _is_observer(o)),
                              optional, rank)
    out = solve(problem, budget)
    return _Solved(out.ok, [local[i] for i in out.order], None if out.culprit is None else local[out.culprit],
                   [(local[a], local[b], local[r]) for a, b, r in out.forced], out.contradiction,
                   [local[i] for i in out.conflict])


def _views(prep: _Prep, before: list[int], budget: Budget, first: str | None,
           accept: dict[int, frozenset] | None = None) -> _Found:
    """A legal view for every process (all writes plus its reads), respecting ``before``."""
    views: dict[str, list[int]] = {}
    for p in _processes(prep, first):
        members = prep.writes | (prep.of_process[p] & prep.reads)
        out = _solve_order(prep, members, before, budget, accept)
        if not out.ok:
            return _Found(False, process=p, culprit=out.culprit, longest=out.order, forced=out.forced,
                          contradiction=out.contradiction, conflict=out.conflict)
        views[p] = out.order
    found = _Found(True, views=views)
    if accept is not None:
        found.rf = _rf_of_views(prep, views)
    return found


def _rf_of_views(prep: _Prep, views: dict[str, list[int]]) -> dict[int, int]:
    """Each read's source as its own process's view shows it: the last write to its key before it."""
    rf: dict[int, int] = {}
    for order in views.values():
        last: dict[int, int] = {}
        for i in order:
            if prep.is_read(i):
                rf[i] = last.get(prep.slot[i], INIT)
            else:
                last[prep.slot[i]] = i
    return rf


# ---- reads-from ----------------------------------------------------------------------------

def _rf_candidates(prep: _Prep) -> dict[int, list[int]]:
    """Every read's possible sources: writes of its value to its key, and INIT if it is the
    initial value. (A later write of the reader's own process stays a candidate: the
    definitions themselves reject it, as a cycle.)"""
    out: dict[int, list[int]] = {}
    for r in bits(prep.reads):
        o = prep.ops[r]
        k = prep.slot[r]
        cands = [w for w in bits(prep.writes)
                 if prep.slot[w] == k and prep.ops[w].input == o.output]
        if prep.initial[k] == o.output:
            cands.insert(0, INIT)
        out[r] = cands
    return out


def _global_reads(prep: _Prep) -> int:
    """Reads followed in program order by a write of their own process. Only their source can
    matter outside their own view: every path of so ∪ rf that leaves a read r goes through
    r's later ops, and a read is never the source of anything. The source of any other read
    is simply whichever candidate its own view puts last before it."""
    return sum(1 << r for r in bits(prep.reads) if prep.later_writes[r])


class _Reach:
    """Descendants of every node under a relation (direct-predecessor masks), kept up to date
    as edges are added, so "would a → b close a cycle?" is one bit test."""

    def __init__(self, direct: list[int], budget: Budget):
        n = len(direct)
        succ = [0] * n
        for i, mask in enumerate(direct):
            for j in bits(mask):
                succ[j] |= 1 << i
        indegree = [mask.bit_count() for mask in direct]
        order = [i for i in range(n) if not indegree[i]]
        for a in order:  # Kahn's topological sort (the list grows while we walk it)
            for b in bits(succ[a]):
                indegree[b] -= 1
                if not indegree[b]:
                    order.append(b)
        self.cyclic = len(order) < n  # then every new edge counts as closing a cycle
        self.desc = [0] * n
        for a in reversed(order):
            d = 0
            for b in bits(succ[a]):
                d |= self.desc[b] | 1 << b
            self.desc[a] = d
        budget.tick(1 + n // 8)

    def closes(self, a: int, b: int) -> bool:
        return self.cyclic or a == b or bool(self.desc[b] >> a & 1)

    def add(self, a: int, b: int) -> None:
        new = self.desc[b] | 1 << b
        for x, d in enumerate(self.desc):
            if x == a or d >> a & 1:
                self.desc[x] = d | new


def _propagate(prep: _Prep, free: list[int], cands: dict[int, list[int]], chosen: dict[int, int],
               relation: Callable[[_Prep, dict[int, int]], list[int]],
               edges: Callable[[int, int], list[tuple[int, int]]],
               budget: Budget) -> tuple[dict[int, int], dict[int, list[int]], int | None]:
    """Forward checking for a choice of sources (cheap, no view is built): each read of
    ``free`` not chosen yet keeps only the sources that close no cycle of the relation
    (``edges(r, w)``: the (before, after) pairs that reading r from w adds); one with a single
    source left takes it; one with none dooms the choice. Returns (chosen, options, doomed)."""
    chosen = dict(chosen)
    while True:
        reach = _Reach(relation(prep, chosen), budget)

        def closes_cycle(r: int, w: int) -> bool:
            return any(reach.closes(a, b) for a, b in edges(r, w))

        options: dict[int, list[int]] = {}
        for r in free:
            if r not in chosen:
                budget.tick()
                options[r] = [w for w in cands[r] if not closes_cycle(r, w)]
                if not options[r]:
                    return chosen, options, r
        forced = [r for r, o in options.items() if len(o) == 1]
        if not forced:
            return chosen, options, None
        for r in forced:  # one at a time, each checked again: two forced sources may clash
            w = options[r][0]
            if closes_cycle(r, w):
                return chosen, options, r
            for a, b in edges(r, w):
                reach.add(a, b)
            chosen[r] = w


def _acyclic_choice(prep: _Prep, free: list[int], cands: dict[int, list[int]], chosen: dict[int, int],
                    relation, edges, budget: Budget) -> dict[int, int] | None:
    """Sources for the reads of ``free`` keeping the relation acyclic, or None: backtracking,
    the read with the fewest sources left first."""
    chosen, options, doomed = _propagate(prep, free, cands, chosen, relation, edges, budget)
    if doomed is not None:
        return None
    if not options:
        return chosen
    r = min(options, key=lambda r: (len(options[r]), r))
    for w in options[r]:
        found = _acyclic_choice(prep, free, cands, chosen | {r: w}, relation, edges, budget)
        if found is not None:
            return found
    return None


def _so_rf(prep: _Prep, rf: dict[int, int]) -> list[int]:
    """so ∪ rf as direct-predecessor masks (so by its cover: the same closure, shorter walks)."""
    direct = list(prep.so_cover)
    for r, w in rf.items():
        if w != INIT:
            direct[r] |= 1 << w
    return direct


def _first_choice(cands: dict[int, list[int]]) -> dict[int, int]:
    return {r: c[0] for r, c in cands.items() if c}


def _no_source(cands: dict[int, list[int]]) -> int | None:
    return next((r for r in sorted(cands) if not cands[r]), None)


# ---- the models ----------------------------------------------------------------------------

def _find_sequential(prep: _Prep, budget: Budget, first: str | None = None) -> _Found:
    out = _solve_order(prep, (1 << prep.n) - 1, prep.so, budget)
    if out.ok:
        return _Found(True, order=out.order)
    return _Found(False, culprit=out.culprit, longest=out.order, forced=out.forced,
                  contradiction=out.contradiction, conflict=out.conflict)


def _find_pram(prep: _Prep, budget: Budget, first: str | None = None) -> _Found:
    return _views(prep, list(prep.so), budget, first)


def _find_ryw(prep: _Prep, budget: Budget, first: str | None = None) -> _Found:
    # w →so r, both of the reader's process: the read must see the write
    before = [prep.so[i] & prep.writes if prep.is_read(i) else 0 for i in range(prep.n)]
    return _views(prep, before, budget, first)


def _find_mr(prep: _Prep, budget: Budget, first: str | None = None) -> _Found:
    before = [prep.so[i] & prep.reads if prep.is_read(i) else 0 for i in range(prep.n)]
    return _views(prep, before, budget, first)


def _find_mw(prep: _Prep, budget: Budget, first: str | None = None) -> _Found:
    before = [prep.so[i] & prep.writes if not prep.is_read(i) else 0 for i in range(prep.n)]
    return _views(prep, before, budget, first)


def _wfr_relation(prep: _Prep, rf: dict[int, int]) -> list[int]:
    """w1 before w2 whenever w1 ↦ r →so w2 (r and w2 of one process): Terry et al.'s
    "writes follow reads", as direct-predecessor masks over writes."""
    direct = [0] * prep.n
    for r, w1 in rf.items():
        if w1 != INIT:
            for w2 in bits(prep.later_writes[r]):
                direct[w2] |= 1 << w1
    return direct


def _acyclic_guess(prep: _Prep, relation, edges, chosen: dict[int, int], rest: list[int],
                   cands: dict[int, list[int]], preferred: dict[int, int], budget: Budget) -> dict[int, int]:
    """``chosen`` plus a source for each read of ``rest``: the preferred one unless it would
    close a cycle of the relation, then the first candidate that does not (greedy; a cycle
    left over is caught by the caller)."""
    reach = _Reach(relation(prep, chosen), budget)
    guess = dict(chosen)
    for r in rest:
        options = sorted(cands[r], key=lambda w: w != preferred[r])
        pick = next((w for w in options if not any(reach.closes(a, b) for a, b in edges(r, w))), options[0])
        for a, b in edges(r, pick):
            reach.add(a, b)
        guess[r] = pick
    return guess


def _wfr_edges(prep: _Prep) -> Callable[[int, int], list[tuple[int, int]]]:
    later = {r: list(bits(prep.later_writes[r])) for r in bits(prep.reads)}
    return lambda r, w: [] if w == INIT else [(w, w2) for w2 in later[r]]


def _causal_edges(r: int, w: int) -> list[tuple[int, int]]:
    return [] if w == INIT else [(w, r)]


def _find_wfr(prep: _Prep, budget: Budget, first: str | None = None) -> _Found:
    return _find_with_rf(prep, budget, first, relation=_wfr_relation, edges=_wfr_edges(prep))


def _find_causal(prep: _Prep, budget: Budget, first: str | None = None) -> _Found:
    return _find_with_rf(prep, budget, first, relation=_so_rf, edges=_causal_edges)


def _find_with_rf(prep: _Prep, budget: Budget, first: str | None, *,
                  relation: Callable[[_Prep, dict[int, int]], list[int]],
                  edges: Callable[[int, int], list[tuple[int, int]]]) -> _Found:
    """Search the sources of the *global* reads (``_global_reads``); every other read may read
    from any candidate its own view puts last. A partial choice is checked as a *relaxation*:
    the global reads not chosen yet are left free (no order across views, any source in their
    own view). Choosing more only adds orders, so a relaxation that fails — a view that cannot
    be built, or a cycle — rules out every completion, and its subtree is pruned. At each
    node the sources the relaxed views picked are tried first, all at once (swapping any that
    would close a cycle for one that does not) and then one by one, the read with the fewest
    sources left first, so a consistent history is usually settled in a few steps."""
    cands = _rf_candidates(prep)  # every read has one: ``_find`` checked
    glob = _global_reads(prep)
    fixed = {r: c[0] for r, c in cands.items() if glob >> r & 1 and len(c) == 1}
    free = [r for r, c in cands.items() if glob >> r & 1 and len(c) > 1]
    failing = [first]  # the process that failed last is checked first next time
    exact_failure: list[_Found] = []

    def attempt(rf: dict[int, int]) -> _Found:
        budget.tick()
        direct = relation(prep, rf)
        cycle = find_cycle(direct)
        if cycle is not None:
            return _Found(False, cycle=cycle, rf=rf)
        accept = {r: frozenset((rf[r],)) if r in rf else frozenset(c) for r, c in cands.items()}
        found = _views(prep, closure(direct), budget, failing[0], accept)
        if not found.ok:
            failing[0] = found.process
        return found

    def search(chosen: dict[int, int]) -> _Found:
        chosen, options, stuck = _propagate(prep, free, cands, chosen, relation, edges, budget)
        if stuck is not None:
            return _Found(False, cycle=find_cycle(relation(prep, chosen | {stuck: cands[stuck][0]})), rf=chosen)
        relaxed = attempt(chosen)
        if not relaxed.ok or not options:
            if not options and not relaxed.ok and not exact_failure:
                exact_failure.append(relaxed)
            return relaxed
        found = attempt(_acyclic_guess(prep, relation, edges, chosen, sorted(options), options, relaxed.rf, budget))
        if found.ok:
            return found
        if not exact_failure:
            exact_failure.append(found)
        r = min(options, key=lambda r: (len(options[r]), r))  # the most constrained read first
        for w in sorted(options[r], key=lambda w: w != relaxed.rf[r]):
            found = search(chosen | {r: w})
            if found.ok:
                return found
        return found

    root = search(fixed)
    if root.ok or not exact_failure:
        return root
    return exact_failure[0]


def _find_eventual(prep: _Prep, budget: Budget, first: str | None = None) -> _Found:
    cands = _rf_candidates(prep)  # every read has one: ``_find`` checked
    glob = _global_reads(prep)
    fixed = {r: c[0] for r, c in cands.items() if not glob >> r & 1}  # a local read closes no cycle
    rf = _acyclic_choice(prep, [r for r in cands if glob >> r & 1], cands, fixed, _so_rf, _causal_edges, budget)
    if rf is not None:
        return _Found(True, rf=rf)
    rf = _first_choice(cands)
    return _Found(False, cycle=find_cycle(_so_rf(prep, rf)), rf=rf)


@dataclass(frozen=True, slots=True)
class _Model:
    name: str
    slug: str  # catalog key part
    find: Callable[[_Prep, Budget, str | None], _Found]
    memory_only: bool = True
    per_process: bool = True


_MODELS = {m.name: m for m in (
    _Model(SEQUENTIAL, "sequential", _find_sequential, memory_only=False, per_process=False),
    _Model(CAUSAL, "causal", _find_causal),
    _Model(PRAM, "pram", _find_pram),
    _Model(RYW, "ryw", _find_ryw),
    _Model(MR, "mr", _find_mr),
    _Model(MW, "mw", _find_mw),
    _Model(WFR, "wfr", _find_wfr),
    _Model(EVENTUAL, "eventual", _find_eventual, per_process=False),
)}


# ---- the public checkers -------------------------------------------------------------------

def check_sequential(history: History, budget: Budget) -> Verdict:
    """Sequential consistency (Lamport 1979, "How to make a multiprocessor computer that
    correctly executes multiprocess programs"): "the result of any execution is the same as if
    the operations of all the processors were executed in some sequential order, and the
    operations of each individual processor appear in this sequence in the order specified by
    its program". Reading: one total order of H, legal for the datatype's sequential
    specification (``datatypes.datatype_of(h).step``), respecting so; ``info`` ops may be
    left out. Applies to every datatype. Witness: ``order`` / ``longest``, ``culprit``, ``core``.
    """
    return _check(_MODELS[SEQUENTIAL], history, budget)


def check_causal(history: History, budget: Budget) -> Verdict:
    """Causal memory (Ahamad, Neiger, Burns, Kohli & Hutto, "Causal memory: definitions,
    implementation, and programming", Distributed Computing 9(1), 1995, Def. 2): for every
    process p there is a legal serialization of H_{p+w} (all writes and p's ops) respecting
    the causality order ↝ = (so ∪ writes-into)+. Reading: some rf (the same for all views)
    makes ↝ acyclic and gives every process such a view in which each of its reads reads from
    its rf write. A cyclic ↝ is reported as the ``cycle``.
    """
    return _check(_MODELS[CAUSAL], history, budget)


def check_pram(history: History, budget: Budget) -> Verdict:
    """PRAM (Lipton & Sandberg, "PRAM: A scalable shared memory", Princeton TR CS-TR-180-88,
    1988): "writes done by a single process are received by all other processes in the order
    in which they were issued, but writes from different processes may be seen in a different
    order by different processes". Reading: for every process p a legal view of all writes
    and p's reads respecting so of every process (restricted to the view).
    """
    return _check(_MODELS[PRAM], history, budget)


def check_read_your_writes(history: History, budget: Budget) -> Verdict:
    """Read your writes (Terry, Demers, Petersen, Spreitzer, Theimer & Welch, "Session
    guarantees for weakly consistent replicated data", PDIS 1994): "read operations reflect
    previous writes" of the session. Reading: for every process p a legal view of all writes
    and p's reads in which each write of p comes before p's reads that follow it in so.
    """
    return _check(_MODELS[RYW], history, budget)


def check_monotonic_reads(history: History, budget: Budget) -> Verdict:
    """Monotonic reads (Terry et al. 1994): "successive reads reflect a non-decreasing set of
    writes". Reading: for every process p a legal view of all writes and p's reads in which
    p's reads keep their program order (a later read never sees an older state).
    """
    return _check(_MODELS[MR], history, budget)


def check_monotonic_writes(history: History, budget: Budget) -> Verdict:
    """Monotonic writes (Terry et al. 1994): "writes are propagated after writes that
    logically precede them". Reading: for every process p a legal view of all writes and p's
    reads in which the writes of each process q keep q's program order.
    """
    return _check(_MODELS[MW], history, budget)


def check_writes_follow_reads(history: History, budget: Budget) -> Verdict:
    """Writes follow reads (Terry et al. 1994): "writes are propagated after reads on which
    they depend". Reading: some rf such that, for every process p, a legal view of all writes
    and p's reads (each read reading from its rf write) puts w1 before w2 whenever w1 ↦ r and
    r →so w2 for a read r and a write w2 of one process.
    """
    return _check(_MODELS[WFR], history, budget)


def check_eventual(history: History, budget: Budget) -> Verdict:
    """Eventual consistency, finite-history reading (issue 3): every read returns a value some
    write wrote (or the initial value), and some rf makes so ∪ rf acyclic — Viotti & Vukolić
    2016 §3.2's NoCircularCausality; their EventualVisibility speaks of infinite histories
    and is not checkable on a finite one. Witness: ``edges`` (the rf chosen) / ``cycle`` or
    the ``culprit`` read whose value nobody wrote.
    """
    return _check(_MODELS[EVENTUAL], history, budget)


def _find(model: _Model, prep: _Prep, budget: Budget, first: str | None) -> _Found:
    """A read of a value nobody wrote breaks every model at once: say so before searching."""
    missing = _no_source(_rf_candidates(prep)) if prep.reads else None
    if missing is not None:
        return _Found(False, culprit=missing, never_written=missing, process=prep.ops[missing].process)
    return model.find(prep, budget, first)


def _check(model: _Model, history: History, budget: Budget) -> Verdict:
    if model.memory_only and not is_read_write_memory(history):
        return not_applicable(model.name, "chk.unknown.not_applicable", datatype=history.datatype)
    prep = _prepare(history)
    try:
        found = _find(model, prep, budget, None)
    except OutOfBudget:
        return unknown(model.name, budget)
    if found.ok:
        return _ok(model, prep, found, budget)
    return _illegal(model, prep, found, budget)


# ---- verdicts and explanations -------------------------------------------------------------

def _ref(op: Op) -> str:
    return f"{op.process}:{op.label()}"


def _refs(prep: _Prep, idx: list[int]) -> str:
    shown = [_ref(prep.ops[i]) for i in idx]
    if len(shown) > SHOW_MAX:
        shown = shown[:SHOW_MAX // 2] + ["…"] + shown[-SHOW_MAX // 2:]
    return " → ".join(shown)


def _value(v: Any) -> str:
    return "⊥" if v is None else str(v)


def _ok(model: _Model, prep: _Prep, found: _Found, budget: Budget) -> Verdict:
    ids = [o.id for o in prep.ops]
    if model.name == SEQUENTIAL:
        lines = [Message("chk.views.ok.sequential", {"n": len(found.order), "order": _refs(prep, found.order)})]
        return Verdict(model.name, "ok", tuple(lines), {"order": [ids[i] for i in found.order]}, True, budget.used)
    rf_edges = [[ids[w], ids[r], "rf"] for r, w in sorted(found.rf.items()) if w != INIT]
    if model.name == EVENTUAL:
        lines = [Message("chk.views.ok.eventual", {"n": len(found.rf)})]
        return Verdict(model.name, "ok", tuple(lines), {"edges": rf_edges}, True, budget.used)
    lines = [Message(f"chk.views.ok.{model.slug}", {"n": len(found.views)})]
    lines += [Message("chk.views.ok.view", {"process": p, "ops": _refs(prep, v)}) for p, v in found.views.items()]
    witness: dict[str, Any] = {"views": {p: [ids[i] for i in v] for p, v in found.views.items()}}
    if model.name in (CAUSAL, WFR):
        witness["edges"] = rf_edges
    return Verdict(model.name, "ok", tuple(lines), witness, True, budget.used)


def _illegal(model: _Model, prep: _Prep, found: _Found, budget: Budget) -> Verdict:
    ids = [o.id for o in prep.ops]
    witness: dict[str, Any] = {}
    lines: list[Message] = []
    if found.never_written is not None:
        r = prep.ops[found.never_written]
        witness["culprit"] = r.id
        lines.append(Message("chk.views.never_written", {
            "op": _ref(r), "value": _value(r.output), "target": _value(r.key)}))
    elif found.cycle is not None:
        witness["cycle"] = [ids[i] for i in found.cycle]
        lines.append(Message(f"chk.views.cycle.{'wfr' if model.name == WFR else 'causal'}", {
            "cycle": _refs(prep, found.cycle + found.cycle[:1])}))
    else:
        if found.process is not None:
            witness["process"] = found.process
            lines.append(Message(f"chk.views.illegal.{model.slug}", {"process": found.process}))
        else:
            lines.append(Message(f"chk.views.illegal.{model.slug}", {}))
        if found.culprit is not None:
            witness["culprit"] = ids[found.culprit]
            lines.append(Message("chk.views.forced" if found.contradiction else "chk.views.culprit",
                                 {"op": _ref(prep.ops[found.culprit])}))
        witness["longest"] = [ids[i] for i in found.longest]
        if found.longest:
            lines.append(Message("chk.views.longest", {"n": len(found.longest),
                                                      "ops": _refs(prep, found.longest)}))
    core = _core(model, prep, found, budget)
    if core is not None:
        witness["core"] = core
        sub = _prepare(prep.history.restricted(core))
        lines.append(Message("chk.views.core", {"n": len(core), "ops": ", ".join(_ref(o) for o in sub.ops)}))
        edges, why = _explain_core(model, sub, found.process)
        witness["edges"] = edges
        lines.extend(why)
    return Verdict(model.name, "illegal", tuple(lines), witness, True, budget.used)


def _core(model: _Model, prep: _Prep, found: _Found, budget: Budget) -> list[int] | None:
    """A 1-minimal subset of ops (ids) on which the model still fails: deletion in shrinking
    chunks (Zeller & Hildebrandt's ddmin), then single ops until none can go. Starts from the
    smallest set known to fail: the never-written read, the cycle, the ops behind a
    contradiction of forced orders (``search`` names them), or the failing view.
    Subsets in which a read has lost every possible writer are not counterexamples of the
    model — they fail trivially — so they are never accepted (unless that is the failure)."""
    history = prep.history
    if found.never_written is not None:
        start = [found.never_written]
    elif found.cycle is not None and model.name in (CAUSAL, EVENTUAL):
        start = list(found.cycle)
    elif model.per_process and model.name not in (CAUSAL, WFR) and found.process is not None:
        start = list(bits(prep.writes | (prep.of_process[found.process] & prep.reads)))
    else:
        start = list(range(prep.n))
    seed = _forced_seed(prep, found)
    if len(start) > CORE_MAX_OPS and not seed:
        return None
    # far from the culprit first: ops outside the longest prefix, later ones first
    near = set(found.longest) | {found.culprit}
    start.sort(key=lambda i: (i in near, i == found.culprit, -i))
    current = [prep.ops[i].id for i in start]
    # the explanation may cost about as much as the verdict did, never unboundedly more: a
    # core that runs out of steps is still sound, only less minimal
    sub = Budget(max_steps=min(max(0, budget.max_steps - budget.used), CORE_MIN_STEPS + budget.used),
                 keep_going=budget.keep_going)

    def still_fails(ids: list[int]) -> bool:
        trial = _prepare(history.restricted(ids))
        if found.never_written is None and _no_source(_rf_candidates(trial)) is not None:
            return False  # deleting a read's only writer proves nothing about the model
        return not _find(model, trial, sub, found.process).ok

    try:
        if seed and len(seed) < len(current) and still_fails([prep.ops[i].id for i in seed]):
            current = [prep.ops[i].id for i in sorted(seed, key=lambda i: (i == found.culprit, -i))]
        elif len(current) > CORE_MAX_OPS:
            return None
        elif not still_fails(current):  # only possible if the start set was a guess
            current = [o.id for o in prep.ops]
        chunk = max(1, len(current) // 2)
        while True:
            removed = False
            i = 0
            while i < len(current) and len(current) > 1:
                trial = current[:i] + current[i + chunk:]
                if trial and still_fails(trial):
                    current, removed = trial, True
                else:
                    i += chunk
            if chunk == 1 and not removed:
                break
            chunk = max(1, chunk // 2)
    except OutOfBudget:
        pass  # a larger core is still a correct (if less minimal) counterexample
    finally:
        budget.used += sub.used
    order = {o.id: n for n, o in enumerate(prep.ops)}
    return sorted(current, key=order.__getitem__)


def _forced_seed(prep: _Prep, found: _Found) -> set[int]:
    """When the forced orders alone were contradictory, the ops of one contradictory circle
    and of the reasons behind its orders usually already fail: a small place to start."""
    return set(found.conflict)


def _explain_core(model: _Model, prep: _Prep, process: str | None) -> tuple[list[list[Any]], list[Message]]:
    """The edges that make the core fail, each with the reason a student can check, then the
    conclusion (the read that finds no place). ``prep`` is the core alone."""
    ids = [o.id for o in prep.ops]
    edges: list[list[Any]] = []
    lines: list[Message] = []
    if prep.n == 1 and prep.reads:
        return edges, lines  # a value nobody wrote: the never-written line says it all
    name = model.name

    def po(a: int, b: int, kind: str) -> None:
        edges.append([ids[a], ids[b], "po"])
        lines.append(Message(f"chk.views.edge.{kind}", {"a": _ref(prep.ops[a]), "b": _ref(prep.ops[b]),
                                                       "process": prep.ops[b].process}))

    # rf edges: the chosen ones for causal/WFR/eventual; otherwise the evident ones (a read
    # whose value only one write of the core wrote)
    rf = _core_rf(model, prep)
    for r, w in sorted(rf.items()):
        if w == INIT:
            lines.append(Message("chk.views.edge.init", {"b": _ref(prep.ops[r]),
                                                        "value": _value(prep.ops[r].output)}))
        else:
            edges.append([ids[w], ids[r], "rf"])
            lines.append(Message("chk.views.edge.rf", {"a": _ref(prep.ops[w]), "b": _ref(prep.ops[r])}))
    for b in range(prep.n):
        for a in _covering(prep.so[b]):
            both_reads = prep.is_read(a) and prep.is_read(b)
            both_writes = not prep.is_read(a) and not prep.is_read(b)
            if name in (SEQUENTIAL, CAUSAL, PRAM, EVENTUAL):
                po(a, b, "po")
            elif name == MR and both_reads:
                po(a, b, "mr")
            elif name == MW and both_writes:
                po(a, b, "mw")
        if name == RYW and prep.is_read(b):
            for a in bits(prep.so[b] & prep.writes):
                po(a, b, "ryw")
    if name == WFR:
        for r, w1 in sorted(rf.items()):
            for w2 in range(prep.n):
                if w1 != INIT and prep.so[w2] >> r & 1 and not prep.is_read(w2):
                    edges.append([ids[r], ids[w2], "po"])
                    lines.append(Message("chk.views.edge.wfr", {
                        "a": _ref(prep.ops[w1]), "b": _ref(prep.ops[w2]), "read": _ref(prep.ops[r]),
                        "process": prep.ops[r].process}))
    lines.extend(_conclusion(model, prep, process))
    return edges, lines


def _covering(mask: int) -> list[int]:
    """The immediate program-order predecessor (so is a chain: the highest earlier op)."""
    return [mask.bit_length() - 1] if mask else []


def _core_rf(model: _Model, prep: _Prep) -> dict[int, int]:
    cands = _rf_candidates(prep) if prep.reads else {}
    if model.name in (CAUSAL, WFR, EVENTUAL):
        return _first_choice(cands)
    return {r: c[0] for r, c in cands.items() if len(c) == 1}


def _conclusion(model: _Model, prep: _Prep, process: str | None) -> list[Message]:
    """Where the core gets stuck: re-run the search on the core, show the orders the reads
    force (write before write, read before write) and name the read that finds no place."""
    try:
        found = _find(model, prep, Budget(max_steps=200_000), process)
    except OutOfBudget:
        found = _Found(False)
    lines = []
    for a, b, r in found.forced:
        args = {"a": _ref(prep.ops[a]), "b": _ref(prep.ops[b]), "read": _ref(prep.ops[r])}
        if a == r:  # the read comes before a write of its key
            lines.append(Message("chk.views.edge.forced_after", args))
        else:  # a write comes before the read's source
            lines.append(Message("chk.views.edge.forced_before", args))
    if found.contradiction or found.cycle is not None:
        lines.append(Message("chk.views.conclusion.cycle", {}))
    elif found.culprit is not None and prep.is_read(found.culprit):
        r = prep.ops[found.culprit]
        if found.process is not None:
            lines.append(Message("chk.views.conclusion.view", {"op": _ref(r), "value": _value(r.output),
                                                              "process": found.process}))
        else:
            lines.append(Message("chk.views.conclusion.read", {"op": _ref(r), "value": _value(r.output)}))
    else:
        lines.append(Message("chk.views.conclusion.none", {}))
    return lines
