"""The non-real-time checkers (checkers/views.py): textbook verdicts, a brute-force oracle written
straight from the definitions, independent replays of every witness, explanations that render in
both languages, budgets and determinism.

The oracle enumerates everything: subsets of the indeterminate writes, every reads-from choice and
every linear extension of the model's constraints, then checks legality at the end. It shares no
code with the checkers (it does not import checkers.views or checkers.search).
"""

from __future__ import annotations

import itertools
import json
import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checkers import check
from checkers.datatypes import ILLEGAL, datatype_of
from checkers.history import History, Op, check_well_formed
from checkers.verdict import Budget, Message
from ui.i18n import LANGS, catalog, translate

VIEW_MODELS = ("sequential", "causal", "pram", "read-your-writes", "monotonic-reads", "monotonic-writes",
               "writes-follow-reads", "eventual")
SHARED = Path(__file__).resolve().parents[2] / "shared" / "histories"
OP = re.compile(r"([WR])\((\w+)\)(\w+)(\?)?")


# ---- building histories ----------------------------------------------------------------------

def hist(spec: dict[str, str], initial: dict | None = None, *, times: dict[str, list] | None = None,
         datatype: str = "register") -> History:
    """``{"P1": "W(x)1 R(x)2?"}``: W/R of key and value; a trailing ``?`` makes the op ``info``.
    Integers stay integers. ``times`` (per process, one (call, ret) per op) makes it timed."""
    ops, n = [], 0
    for proc, text in spec.items():
        for k, (kind, key, raw, info) in enumerate(OP.findall(text)):
            value = int(raw) if raw.isdigit() else raw
            call, ret = times[proc][k] if times else (None, None)
            status = "info" if info else "ok"
            if kind == "W":
                ops.append(Op(id=n, process=proc, f="write", key=key, input=value, call=call,
                              ret=None if info else ret, status=status))
            else:
                ops.append(Op(id=n, process=proc, f="read", key=key, output=None if info else value,
                              call=call, ret=None if info else ret, status=status))
            n += 1
    if times:
        ops.sort(key=lambda o: o.call)
    return check_well_formed(History(tuple(ops), datatype, initial or {}, timed=times is not None))


def verdicts(h: History, models=VIEW_MODELS) -> dict[str, str]:
    return {m: check(h, m).result for m in models}


# ---- the textbook examples ------------------------------------------------------------------------

OK, NO = "ok", "illegal"
TEXTBOOK = {
    # Tanenbaum & van Steen 2nd ed. Fig. 7-5(b) = 7-9(b): causal but not sequential
    "tvs-7-5b": (hist({"P1": "W(x)a", "P2": "W(x)b", "P3": "R(x)b R(x)a", "P4": "R(x)a R(x)b"}),
                 dict(sequential=NO, causal=OK, pram=OK, **{"read-your-writes": OK, "monotonic-reads": OK,
                      "monotonic-writes": OK, "writes-follow-reads": OK}, eventual=OK)),
    # T&vS Fig. 7-9(a) shape: PRAM but not causal (W(x)b causally follows W(x)a)
    "pram-not-causal": (hist({"P1": "W(x)a", "P2": "R(x)a W(x)b", "P3": "R(x)b R(x)a"}),
                        dict(sequential=NO, causal=NO, pram=OK, **{"read-your-writes": OK, "monotonic-reads": OK,
                             "monotonic-writes": OK, "writes-follow-reads": OK}, eventual=OK)),
    # Bayou read-your-writes violation (Terry et al. 1994)
    "ryw": (hist({"P1": "W(x)1 R(x)0"}, {"x": 0}),
            dict(sequential=NO, causal=NO, pram=NO, **{"read-your-writes": NO, "monotonic-reads": OK,
                 "monotonic-writes": OK, "writes-follow-reads": OK}, eventual=OK)),
    # monotonic-reads violation
    "mr": (hist({"P1": "W(x)1", "P2": "R(x)1 R(x)0"}, {"x": 0}),
           dict(sequential=NO, causal=NO, pram=NO, **{"read-your-writes": OK, "monotonic-reads": NO,
                "monotonic-writes": OK, "writes-follow-reads": OK}, eventual=OK)),
    # Jepsen's monotonic-writes prose ("all processes observe w1 before w2"): P2 observes 2 then 1.
    # Judged on its own (per-process views, reads free) MW holds, and so does MR; only together
    # (PRAM) are they violated. Monotonic writes alone is violated only by a value nobody wrote.
    "mw-prose": (hist({"P1": "W(x)1 W(x)2", "P2": "R(x)2 R(x)1"}, {"x": 0}),
                 dict(sequential=NO, causal=NO, pram=NO, **{"read-your-writes": OK, "monotonic-reads": OK,
                      "monotonic-writes": OK, "writes-follow-reads": OK}, eventual=OK)),
    # P2 sees P1's second write but then not the first (different keys): PRAM rejects it
    "mw-cross-key": (hist({"P1": "W(x)1 W(y)1", "P2": "R(y)1 R(x)0"}, {"x": 0, "y": 0}),
                     dict(sequential=NO, causal=NO, pram=NO, **{"read-your-writes": OK, "monotonic-reads": OK,
                          "monotonic-writes": OK, "writes-follow-reads": OK}, eventual=OK)),
    "mw-thin-air": (hist({"P1": "W(x)1", "P2": "R(x)7"}, {"x": 0}),
                    dict(sequential=NO, causal=NO, pram=NO, **{"read-your-writes": NO, "monotonic-reads": NO,
                         "monotonic-writes": NO, "writes-follow-reads": NO}, eventual=NO)),
    # writes-follow-reads fails on its own only when its orders run in a circle; the
    # post/reply anomaly is caught by causal memory
    "wfr-post-reply": (hist({"P1": "W(x)1", "P2": "R(x)1 W(y)1", "P3": "R(y)1 R(x)0"}, {"x": 0, "y": 0}),
                       dict(sequential=NO, causal=NO, pram=OK, **{"read-your-writes": OK, "monotonic-reads": OK,
                            "monotonic-writes": OK, "writes-follow-reads": OK}, eventual=OK)),
    # thin air: so ∪ rf is a cycle; RYW and PRAM still hold, WFR's orders run in a circle
    "thin-air": (hist({"P1": "R(x)1 W(y)1", "P2": "R(y)1 W(x)1"}, {"x": 0, "y": 0}),
                 dict(sequential=NO, causal=NO, pram=OK, **{"read-your-writes": OK, "monotonic-reads": OK,
                      "monotonic-writes": OK, "writes-follow-reads": NO}, eventual=NO)),
    # Lamport's store buffer (Dekker): causal, not sequential
    "store-buffer": (hist({"P1": "W(x)1 R(y)0", "P2": "W(y)1 R(x)0"}, {"x": 0, "y": 0}),
                     dict(sequential=NO, causal=OK, pram=OK, **{"read-your-writes": OK, "monotonic-reads": OK,
                          "monotonic-writes": OK, "writes-follow-reads": OK}, eventual=OK)),
    # T&vS Fig. 7-8: causal (writes c and b concurrent), not sequential
    "tvs-7-8": (hist({"P1": "W(x)a W(x)c", "P2": "R(x)a W(x)b", "P3": "R(x)a R(x)c R(x)b",
                      "P4": "R(x)a R(x)b R(x)c"}),
                dict(sequential=NO, causal=OK, pram=OK, **{"read-your-writes": OK, "monotonic-reads": OK,
                     "monotonic-writes": OK, "writes-follow-reads": OK}, eventual=OK)),
}


@pytest.mark.parametrize("name", sorted(TEXTBOOK))
def test_textbook_verdicts(name):
    h, expected = TEXTBOOK[name]
    assert verdicts(h) == expected
    assert all(oracle(h, m) == (r == OK) for m, r in expected.items())  # the oracle agrees


def test_stale_read_is_sequential_but_not_linearizable():
    """Kleppmann DDIA Fig. 9-1: the write completes, a later read still returns the old value."""
    h = hist({"P1": "W(x)1", "P2": "R(x)1", "P3": "R(x)0"}, {"x": 0},
             times={"P1": [(0, 1)], "P2": [(2, 3)], "P3": [(4, 5)]})
    assert check(h, "sequential").result == "ok"
    assert check(h, "linearizable").result == "illegal"
    order = check(h, "sequential").witness["order"]
    assert order.index(h.ops[2].id) < order.index(h.ops[0].id)  # the stale read goes first


def test_causal_illegal_witness_names_process_and_core():
    h, _ = TEXTBOOK["pram-not-causal"]
    v = check(h, "causal")
    assert v.witness["process"] == "P3"
    assert set(v.witness["core"]) == {o.id for o in h.ops}  # nothing can go
    kinds = {tuple(e) for e in v.witness["edges"]}
    assert (0, 1, "rf") in kinds and (1, 2, "po") in kinds  # W(x)a ↦ R(x)a →po W(x)b


def test_cycle_witness_is_a_cycle_of_po_and_rf():
    h, _ = TEXTBOOK["thin-air"]
    for model in ("causal", "eventual"):
        cycle = check(h, model).witness["cycle"]
        assert len(cycle) == 4
        for a, b in zip(cycle, cycle[1:] + cycle[:1]):
            assert _po(h, a, b) or _rf_possible(h, a, b)
    wfr = check(h, "writes-follow-reads").witness["cycle"]
    assert {h.op(i).f for i in wfr} == {"write"}


def test_sequential_explanation_shows_the_forced_orders():
    """T&vS 7-5(b): the reads force W(x)b before W(x)a (P3) and W(x)a before W(x)b (P4)."""
    h, _ = TEXTBOOK["tvs-7-5b"]
    keys = [m.key for m in check(h, "sequential").explanation]
    assert keys.count("chk.views.edge.forced_before") == 2
    assert "chk.views.core" in keys


# ---- the brute-force oracle ---------------------------------------------------------------------

def _kept(h: History) -> list[Op]:
    return [o for o in h.ops if o.status != "fail" and not (o.status == "info" and o.f == "read")]


def _program(h: History) -> dict[str, list[Op]]:
    out: dict[str, list[Op]] = {}
    kept = _kept(h)
    if h.timed:
        kept = sorted(kept, key=lambda o: (o.call, h.ops.index(o)))
    for o in kept:
        out.setdefault(o.process, []).append(o)
    return out


def _so(h: History) -> set[tuple[int, int]]:
    return {(a.id, b.id) for ops in _program(h).values() for i, a in enumerate(ops) for b in ops[i + 1:]}


def _po(h: History, a: int, b: int) -> bool:
    return (a, b) in _so(h)


def _rf_possible(h: History, w: int, r: int) -> bool:
    w, r = h.op(w), h.op(r)
    return w.f == "write" and r.f == "read" and w.key == r.key and w.input == r.output


def _init(h: History, key):
    return h.initial.get(key)


def _closure(pairs: set[tuple[int, int]]) -> set[tuple[int, int]]:
    out = set(pairs)
    while True:
        new = {(a, d) for a, b in out for c, d in out if b == c} - out
        if not new:
            return out
        out |= new


def _extensions(nodes: list[int], rel: set[tuple[int, int]]):
    """Every order of ``nodes`` with a before b for (a, b) in rel (a == b: impossible)."""
    if any((a, a) in rel for a in nodes):
        return
    before = {n: {a for a, b in rel if b == n and a in nodes} for n in nodes}

    def grow(prefix, left):
        if not left:
            yield list(prefix)
            return
        for n in sorted(left):
            if before[n] <= set(prefix):
                prefix.append(n)
                yield from grow(prefix, left - {n})
                prefix.pop()

    yield from grow([], frozenset(nodes))


def _legal_by_value(h: History, order: list[int]) -> bool:
    state: dict = {}
    for i in order:
        o = h.op(i)
        if o.f == "write":
            state[o.key] = o.input
        elif state.get(o.key, _init(h, o.key)) != o.output:
            return False
    return True


def _legal_by_rf(h: History, order: list[int], rf: dict[int, int | None]) -> bool:
    last: dict = {}
    for i in order:
        o = h.op(i)
        if o.f == "write":
            last[o.key] = i
        elif i in rf and last.get(o.key) != rf[i]:
            return False
    return True


def _subsets(items):
    items = list(items)
    return itertools.chain.from_iterable(itertools.combinations(items, k) for k in range(len(items) + 1))


def _rf_choices(h: History):
    reads = [o for o in _kept(h) if o.f == "read"]
    options = []
    for r in reads:
        c = [w.id for w in _kept(h) if w.f == "write" and w.key == r.key and w.input == r.output]
        if r.output == _init(h, r.key):
            c.append(None)
        options.append(c)
    for combo in itertools.product(*options):
        yield dict(zip((r.id for r in reads), combo))


def _views_exist(h: History, rel: set, legal) -> bool:
    kept = _kept(h)
    ok_writes = [o.id for o in kept if o.f == "write" and o.status == "ok"]
    info_writes = [o.id for o in kept if o.f == "write" and o.status == "info"]
    for p, ops in _program(h).items():
        reads = [o.id for o in ops if o.f == "read"]
        if not any(legal(order) for extra in _subsets(info_writes)
                   for order in _extensions(ok_writes + list(extra) + reads, rel)):
            return False
    return True


def oracle(h: History, model: str) -> bool:
    """The definitions of checkers/views.py, by exhaustive enumeration (tiny histories only)."""
    kept = _kept(h)
    so = _so(h)
    kind = {o.id: o.f for o in kept}
    if model == "sequential":
        mandatory = [o.id for o in kept if o.status == "ok"]
        optional = [o.id for o in kept if o.status == "info"]
        return any(_legal_by_value(h, order) for extra in _subsets(optional)
                   for order in _extensions(mandatory + list(extra), so))
    by_value = lambda order: _legal_by_value(h, order)  # noqa: E731
    if model == "pram":
        return _views_exist(h, so, by_value)
    if model == "read-your-writes":
        return _views_exist(h, {(a, b) for a, b in so if kind[a] == "write" and kind[b] == "read"}, by_value)
    if model == "monotonic-reads":
        return _views_exist(h, {(a, b) for a, b in so if kind[a] == kind[b] == "read"}, by_value)
    if model == "monotonic-writes":
        return _views_exist(h, {(a, b) for a, b in so if kind[a] == kind[b] == "write"}, by_value)
    for rf in _rf_choices(h):
        rf_edges = {(w, r) for r, w in rf.items() if w is not None}
        if model == "eventual":
            if not any(a == b for a, b in _closure(so | rf_edges)):
                return True
            continue
        if model == "causal":
            rel = _closure(so | rf_edges)
            if any(a == b for a, b in rel):
                continue
        elif model == "writes-follow-reads":
            rel = _closure({(rf[r], w2) for r, w2 in so if r in rf and rf[r] is not None and kind[w2] == "write"})
        else:
            raise KeyError(model)
        if _views_exist(h, rel, lambda order, rf=rf: _legal_by_rf(h, order, rf)):
            return True
    return False


@st.composite
def tiny_histories(draw, max_ops: int = 6):
    """≤ 3 processes, ≤ ``max_ops`` ops, keys x/y, values 0–2 (duplicates welcome), some
    indeterminate and failed ops."""
    nproc = draw(st.integers(1, 3))
    ops = []
    for i in range(draw(st.integers(1, max_ops))):
        proc = f"P{draw(st.integers(1, nproc))}"
        key = draw(st.sampled_from("xy"))
        value = draw(st.integers(0, 2))
        status = draw(st.sampled_from(("ok",) * 6 + ("info", "fail")))
        if draw(st.booleans()):
            ops.append(Op(id=i, process=proc, f="write", key=key, input=value, status=status))
        else:
            ops.append(Op(id=i, process=proc, f="read", key=key, status=status,
                          output=value if status != "info" else None))
    initial = draw(st.sampled_from(({"x": 0, "y": 0}, {"x": 0}, {})))
    return History(tuple(ops), "register", initial, timed=False)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_histories())
def test_every_checker_agrees_with_the_oracle(h):
    for model in VIEW_MODELS:
        v = check(h, model)
        assert v.result != "unknown", model
        assert (v.result == "ok") == oracle(h, model), (model, v.result)
        if v.result == "ok":
            assert_witness_ok(h, model, v.witness)
        else:
            assert_witness_illegal(h, model, v.witness)


# ---- independent replays of the witnesses ---------------------------------------------------------

def _relation(h: History, model: str, rf: dict[int, int | None]) -> set[tuple[int, int]]:
    so = _so(h)
    kind = {o.id: o.f for o in _kept(h)}
    rf_edges = {(w, r) for r, w in rf.items() if w is not None}
    return {
        "causal": lambda: _closure(so | rf_edges),
        "pram": lambda: so,
        "read-your-writes": lambda: {(a, b) for a, b in so if kind[a] == "write" and kind[b] == "read"},
        "monotonic-reads": lambda: {(a, b) for a, b in so if kind[a] == kind[b] == "read"},
        "monotonic-writes": lambda: {(a, b) for a, b in so if kind[a] == kind[b] == "write"},
        "writes-follow-reads": lambda: _closure({(rf[r], w2) for r, w2 in so
                                                 if r in rf and rf[r] is not None and kind[w2] == "write"}),
    }[model]()


def _rf_from_views(h: History, views: dict[str, list[int]]) -> dict[int, int | None]:
    """A read's source is the last write to its key before it in its own process's view."""
    rf: dict[int, int | None] = {}
    for proc, order in views.items():
        last: dict = {}
        for i in order:
            o = h.op(i)
            if o.f == "write":
                last[o.key] = i
            elif o.process == proc:
                rf[i] = last.get(o.key)
    return rf


def assert_witness_ok(h: History, model: str, witness) -> None:
    kept = _kept(h)
    mandatory_writes = {o.id for o in kept if o.f == "write" and o.status == "ok"}
    info_writes = {o.id for o in kept if o.f == "write" and o.status == "info"}
    if model == "sequential":
        order = witness["order"]
        assert {o.id for o in kept if o.status == "ok"} <= set(order) <= {o.id for o in kept}
        assert len(order) == len(set(order))
        pos = {i: n for n, i in enumerate(order)}
        assert all(pos[a] < pos[b] for a, b in _so(h) if a in pos and b in pos)
        dt, state = datatype_of(h), {}
        for i in order:  # replay with the datatype's own sequential specification
            o = h.op(i)
            key = o.key if dt.keyed else None
            new = dt.step(state.get(key, dt.initial_state(h, key)), o)
            assert new is not ILLEGAL, o
            state[key] = new
        return
    if model == "eventual":
        rf = {r: w for w, r, kind in witness["edges"]}
        assert all(kind == "rf" for _w, _r, kind in witness["edges"])
        for o in kept:
            if o.f == "read":
                assert (o.id in rf and _rf_possible(h, rf[o.id], o.id)) or \
                    (o.id not in rf and o.output == _init(h, o.key))
        assert not any(a == b for a, b in _closure(_so(h) | {(w, r) for r, w in rf.items()}))
        return
    views = witness["views"]
    assert set(views) == {o.process for o in kept}
    rf = _rf_from_views(h, views)
    rel = _relation(h, model, rf)
    if model == "causal":
        assert not any(a == b for a, b in rel)
    for proc, order in views.items():
        own_reads = {o.id for o in kept if o.f == "read" and o.process == proc}
        assert mandatory_writes | own_reads <= set(order) <= mandatory_writes | info_writes | own_reads
        assert _legal_by_value(h, order)
        pos = {i: n for n, i in enumerate(order)}
        assert all(pos[a] < pos[b] for a, b in rel if a in pos and b in pos), (proc, order)


def assert_witness_illegal(h: History, model: str, witness) -> None:
    ids = {o.id for o in h.ops}
    if "cycle" in witness:
        cycle = witness["cycle"]
        assert set(cycle) <= ids and cycle
    if "culprit" in witness:
        assert witness["culprit"] in ids
    core = witness.get("core")
    assert core is not None and set(core) <= ids
    sub = h.restricted(core)
    assert check(sub, model).result == "illegal"  # the core is a counterexample by itself
    for i in core:  # … and a 1-minimal one (a read left without any writer proves nothing)
        smaller = h.restricted(set(core) - {i})
        assert check(smaller, model).result == "ok" or unsourced(smaller), (model, core, i)


def unsourced(h: History) -> list[int]:
    """Reads whose value no write wrote and that is not the initial value."""
    kept = _kept(h)
    return [r.id for r in kept if r.f == "read" and r.output != _init(h, r.key) and not any(
            w.f == "write" and w.key == r.key and w.input == r.output for w in kept)]


@pytest.mark.parametrize("name", sorted(TEXTBOOK))
def test_textbook_witnesses_replay(name):
    h, _ = TEXTBOOK[name]
    for model in VIEW_MODELS:
        v = check(h, model)
        (assert_witness_ok if v.result == "ok" else assert_witness_illegal)(h, model, v.witness)


# ---- info ops, other datatypes, budgets, determinism ------------------------------------------

def test_info_write_may_or_may_not_have_happened():
    read_it = hist({"P1": "W(x)1?", "P2": "R(x)1"}, {"x": 0})
    missed_it = hist({"P1": "W(x)1?", "P2": "R(x)0"}, {"x": 0})
    for h in (read_it, missed_it):
        assert verdicts(h) == {m: "ok" for m in VIEW_MODELS}
    failed = History((Op(id=0, process="P1", f="write", key="x", input=1, status="fail"),
                      Op(id=1, process="P2", f="read", key="x", output=1)), "register", {"x": 0}, timed=False)
    assert verdicts(failed) == {m: "illegal" for m in VIEW_MODELS}  # a failed write had no effect


def test_memory_models_do_not_apply_to_a_mutex_but_sequential_does():
    ops = (Op(id=0, process="P1", f="acquire"), Op(id=1, process="P2", f="acquire"),
           Op(id=2, process="P1", f="release"))
    h = History(ops, "mutex", {}, timed=False)
    assert check(h, "sequential").result == "ok"  # P1 acquire, release, then P2 acquire
    assert check(h, "sequential").witness["order"] == [0, 2, 1]
    both = History(ops[:2], "mutex", {}, timed=False)
    assert check(both, "sequential").result == "illegal"  # two acquires, no release
    for model in VIEW_MODELS[1:]:
        v = check(h, model)
        assert (v.result, v.applicable, v.explanation[0].key) == ("unknown", False, "chk.unknown.not_applicable")


def test_sequential_on_a_cas_register_uses_the_step_function():
    ops = (Op(id=0, process="P1", f="write", input=1), Op(id=1, process="P2", f="cas", input=(1, 2), output=True),
           Op(id=2, process="P1", f="read", output=2), Op(id=3, process="P3", f="cas", input=(1, 3), output=True))
    h = History(ops, "etcd-register", {}, timed=False)
    assert check(h, "sequential").result == "illegal"  # only one CAS can find 1
    ok = History(ops[:3] + (Op(id=3, process="P3", f="cas", input=(1, 3), output=False),), "etcd-register", {},
                 timed=False)
    assert check(ok, "sequential").result == "ok"
    assert check(ok, "causal").applicable is False


def test_budget_and_deadline_give_unknown():
    h, _ = TEXTBOOK["tvs-7-8"]
    for model in VIEW_MODELS:
        assert check(h, model, Budget(max_steps=0, poll=1)).result == "unknown"
        assert check(h, model, Budget(keep_going=lambda: False, poll=1)).result == "unknown"


def test_same_input_same_verdict():
    h, _ = TEXTBOOK["tvs-7-8"]
    for model in VIEW_MODELS:
        a, b = check(h, model), check(h, model)
        assert json.dumps(a.to_json(), sort_keys=True) == json.dumps(b.to_json(), sort_keys=True)
        assert a.steps == b.steps


def test_untimed_and_timed_program_order():
    """Timed histories order a process's ops by call time, whatever their position in the file."""
    ops = (Op(id=0, process="P1", f="read", key="x", output=1, call=5, ret=6),
           Op(id=1, process="P1", f="write", key="x", input=1, call=0, ret=1))
    assert check(History(ops, "register", {"x": 0}, timed=True), "read-your-writes").result == "ok"
    untimed = History(tuple(Op(id=o.id, process=o.process, f=o.f, key=o.key, input=o.input, output=o.output)
                            for o in ops), "register", {"x": 0}, timed=False)
    assert check(untimed, "eventual").result == "illegal"  # reads 1 before writing it: thin air


# ---- explanations -------------------------------------------------------------------------------

def _all_messages():
    for h, _ in TEXTBOOK.values():
        for model in VIEW_MODELS:
            yield from check(h, model).explanation


def test_every_explanation_line_renders_in_both_languages():
    seen = set()
    for m in _all_messages():
        assert isinstance(m, Message) and m.key.startswith("chk.")
        seen.add(m.key)
        for lang in LANGS:
            assert m.key in catalog(lang), m.key
            text = translate(lang, m.key, **m.args)
            assert "{" not in text and "[" + m.key not in text, (lang, m.key, text)
    assert {"chk.views.core", "chk.views.edge.rf", "chk.views.edge.po", "chk.views.cycle.causal"} <= seen


def test_views_catalog_only_defines_its_own_keys():
    import yaml

    root = Path(__file__).resolve().parents[1] / "ui" / "i18n"
    for lang in LANGS:
        data = yaml.safe_load((root / lang / "views.yaml").read_text(encoding="utf-8"))
        assert list(data) == ["chk"] and list(data["chk"]) == ["views"]


# ---- speed on teaching-size histories -----------------------------------------------------------

def replicated_store(seed: int, nproc: int = 6, nops: int = 40, keys: str = "xyz", fifo: bool = False) -> History:
    """A history from a toy replicated store: each process reads its own replica; a write is
    applied locally and broadcast; replicas apply incoming writes in random (or FIFO) order."""
    import random

    rng = random.Random(seed)
    procs = [f"P{i + 1}" for i in range(nproc)]
    replica = {p: {k: 0 for k in keys} for p in procs}
    inbox: dict[str, list] = {p: [] for p in procs}
    ops: list[Op] = []
    counter = 0
    while len(ops) < nops:
        for q in procs:
            while inbox[q] and rng.random() < 0.5:
                k, v = inbox[q].pop(0 if fifo else rng.randrange(len(inbox[q])))
                replica[q][k] = v
        p, k = rng.choice(procs), rng.choice(keys)
        t = 2 * len(ops)
        if rng.random() < 0.45:
            counter += 1
            v = counter if rng.random() < 0.8 else rng.randint(1, 3)  # some duplicate values
            replica[p][k] = v
            for q in procs:
                if q != p:
                    inbox[q].append((k, v))
            ops.append(Op(id=len(ops), process=p, f="write", key=k, input=v, call=t, ret=t + 1))
        else:
            ops.append(Op(id=len(ops), process=p, f="read", key=k, output=replica[p][k], call=t, ret=t + 1))
    return History(tuple(ops), "register", {k: 0 for k in keys}, timed=True)


TEACHING = [replicated_store(s, fifo=s % 2 == 1) for s in range(12)]


def test_teaching_size_histories_answer_quickly():
    """≤ 6 processes, ≤ 40 ops: every verdict well within budget (deterministic step count) and
    fast (a generous wall-clock bound: the suite may share the machine)."""
    slowest = 0.0
    for h in TEACHING:
        for model in VIEW_MODELS:
            start = time.perf_counter()
            v = check(h, model, Budget(max_steps=400_000))
            slowest = max(slowest, time.perf_counter() - start)
            assert v.result in ("ok", "illegal"), model
            assert v.steps < 20_000, (model, v.steps)
    assert slowest < 2.0


# ---- the shared Jepsen/Knossos histories ---------------------------------------------------------

def _load_jsonl(path: Path, datatype: str) -> History:
    ops = []
    for line in path.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        value = d["input"]
        ops.append(Op(id=d["id"], process=str(d["client"]), f=d["op"], key=d["key"],
                      input=tuple(value) if isinstance(value, list) else value, output=d["output"],
                      call=d["call"], ret=d["return"], status=d["status"]))
    return History(tuple(ops), datatype, {}, timed=True)


def test_linearizable_etcd_histories_are_never_called_not_sequential():
    """Linearizable ⇒ sequential: on Porcupine's etcd histories known to be linearizable the
    sequential checker must answer ok or run out of budget — never illegal."""
    folder = SHARED / "jepsen-etcd"
    if not folder.exists():
        pytest.skip(f"shared histories not found at {folder}")
    expected = json.loads((folder / "expected.json").read_text())
    names = sorted(n for n, ok in expected.items() if ok)[:6]
    answered = 0
    for name in names:
        h = _load_jsonl(folder / name, "etcd-register")
        v = check(h, "sequential", Budget(max_steps=200_000))
        assert v.result in ("ok", "unknown"), name
        answered += v.result == "ok"
        if v.result == "ok":
            assert_witness_ok(h, "sequential", v.witness)
    assert answered >= 1
