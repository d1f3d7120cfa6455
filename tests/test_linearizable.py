"""The linearizability checker: known verdicts on real histories, a brute-force oracle on
tiny ones, witnesses that replay, sound explanations, and a budget that always stops it.

Herlihy & Wing 1990 §2 is the definition; ``checkers/linearizable.py`` explains the search.
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checkers.datatypes import ILLEGAL, datatype_of
from checkers.formats import read_history
from checkers.history import History, Op
from checkers.linearizable import check_linearizable
from checkers.verdict import Budget

SHARED = Path(__file__).resolve().parents[2] / "shared" / "histories"
SETS = {"jepsen-etcd": lambda name: "etcd-register", "kv": lambda name: "kv-string",
        "knossos": lambda name: ("knossos-multi-register" if name.startswith("multi-register")
                                 else "knossos-mutex" if name.startswith("mutex") else "knossos-cas-register")}


def _shared_cases():
    if not SHARED.is_dir():
        return []
    cases = []
    for folder, datatype in SETS.items():
        expected = json.loads((SHARED / folder / "expected.json").read_text())
        cases.extend((folder, name, datatype(name), verdict) for name, verdict in sorted(expected.items()))
    return cases


CASES = _shared_cases()


def test_the_shared_histories_are_all_there():
    if not SHARED.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"{SHARED} is missing: CI must have ../shared beside the checkout")
        pytest.skip(f"{SHARED} not found: the shared histories sit beside the repository (../shared)")
    assert len(CASES) == 230
    assert sum(1 for c in CASES if c[0] == "jepsen-etcd") == 102
    assert sum(1 for c in CASES if c[0] == "kv") == 6
    assert sum(1 for c in CASES if c[0] == "knossos") == 122


@pytest.mark.parametrize("folder,name,datatype,expected", CASES, ids=[f"{c[0]}/{c[1]}" for c in CASES])
def test_verdict_equals_the_known_verdict(folder, name, datatype, expected):
    history = read_history((SHARED / folder / name).read_bytes(), name=name, datatype=datatype)
    verdict = check_linearizable(history, Budget())
    assert verdict.result == ("ok" if expected else "illegal"), verdict.explanation
    if expected:
        _assert_linearization(history, verdict.witness["order"], verdict.witness["points"])
    else:
        assert verdict.witness["culprit"] in {o.id for o in history.ops}
        if "core" in verdict.witness:
            assert verdict.witness["culprit"] in verdict.witness["core"]


# ---- independent replays ----------------------------------------------------------------------

def _assert_linearization(history: History, order: list[int], points: dict[int, float]) -> None:
    """``order`` holds every ok op once, is legal per key, and its points respect real time."""
    ops = {o.id: o for o in history.ops}
    ok_ids = {o.id for o in history.ops if o.status == "ok"}
    assert ok_ids <= set(order)
    assert len(order) == len(set(order))
    assert all(ops[i].status != "fail" for i in order)
    dt = datatype_of(history)
    states: dict = {}
    for i in order:
        o = ops[i]
        key = o.key if dt.keyed else None
        state = states.get(key, dt.initial_state(history, key)) if key in states or True else None
        state = states[key] if key in states else dt.initial_state(history, key)
        new = dt.step(state, o)
        assert new is not ILLEGAL, f"{o.label()} is illegal at state {state!r}"
        states[key] = new
        p = points[i]
        assert o.call <= p and (o.ret is None or p <= o.ret), f"point {p} outside [{o.call}, {o.ret}] of {o.label()}"
    assert [points[i] for i in order] == sorted(points[i] for i in order)


def _brute_force(history: History) -> bool:
    """Herlihy & Wing by enumeration: some subset of info ops plus all ok ops, in some order
    respecting real time, is legal. Only for a handful of ops."""
    dt = datatype_of(history)
    ops = [o for o in history.ops if o.status != "fail"]
    ok = [o for o in ops if o.status == "ok"]
    info = [o for o in ops if o.status == "info"]
    for r in range(len(info) + 1):
        for chosen in itertools.combinations(info, r):
            for perm in itertools.permutations(ok + list(chosen)):
                if any(b.ret is not None and b.ret < a.call for n, a in enumerate(perm) for b in perm[n + 1:]):
                    continue
                states: dict = {}
                for o in perm:
                    key = o.key if dt.keyed else None
                    state = states[key] if key in states else dt.initial_state(history, key)
                    new = dt.step(state, o)
                    if new is ILLEGAL:
                        break
                    states[key] = new
                else:
                    return True
    return False


@st.composite
def tiny_histories(draw, datatype="cas-register", max_ops=6):
    """Random small timed histories: distinct event times, one op at a time per process."""
    n = draw(st.integers(1, max_ops))
    times = draw(st.permutations(list(range(2 * n))))
    procs = draw(st.integers(1, 3))
    keys = ["x", "y"] if datatype != "etcd-register" and draw(st.booleans()) else ["x"]
    ops = []
    for i in range(n):
        a, b = sorted(times[2 * i:2 * i + 2])
        f = draw(st.sampled_from(["read", "write", "cas"] if "cas" in datatype else ["read", "write"]))
        status = draw(st.sampled_from(["ok", "ok", "ok", "info", "fail"]))
        value = draw(st.integers(0, 2))
        op = dict(id=i, process=f"P{i % procs}", f=f, key=None if datatype == "etcd-register" else draw(st.sampled_from(keys)),
                  call=a, ret=b if status != "info" else None, status=status)
        if f == "read":
            op["output"] = value if status == "ok" else None
        elif f == "write":
            op["input"] = value
        else:
            op["input"] = (value, draw(st.integers(0, 2)))
            op["output"] = draw(st.booleans()) if status == "ok" else None
        ops.append(Op(**op))
    # one op at a time per process: give overlapping ops of a process their own process name
    ops = _one_at_a_time(ops)
    return History(tuple(ops), datatype, {"x": 0, "y": 0} if datatype != "etcd-register" else {})


def _one_at_a_time(ops: list[Op]) -> list[Op]:
    out, busy = [], {}
    for o in sorted(ops, key=lambda o: o.call):
        proc = o.process
        while busy.get(proc, -1) >= o.call:
            proc += "'"
        busy[proc] = float("inf") if o.ret is None else o.ret
        out.append(Op(**{**{s: getattr(o, s) for s in o.__slots__}, "process": proc}))
    return sorted(out, key=lambda o: o.id)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_histories())
def test_agrees_with_brute_force_on_tiny_histories(history):
    verdict = check_linearizable(history, Budget())
    assert (verdict.result == "ok") == _brute_force(history)
    if verdict.result == "ok":
        _assert_linearization(history, verdict.witness["order"], verdict.witness["points"])
    else:
        core = verdict.witness.get("core")
        assert core is not None and verdict.witness["culprit"] in core
        # the core is a genuine certificate: on its own it is not linearizable either
        assert not _brute_force(history.restricted(core))


@settings(max_examples=150, deadline=None)
@given(tiny_histories(datatype="etcd-register"))
def test_single_object_datatype_agrees_with_brute_force(history):
    assert (check_linearizable(history, Budget()).result == "ok") == _brute_force(history)


@st.composite
def sequential_executions(draw):
    """A legal sequential run of a register, then stretched into overlapping intervals that
    still contain each op's instant: linearizable by construction."""
    n = draw(st.integers(1, 40))
    procs = draw(st.integers(1, 6))
    state, ops, busy = {"x": 0, "y": 0}, [], {}
    t = 0
    for i in range(n):
        t += 10
        proc = f"P{draw(st.integers(1, procs))}"
        if busy.get(proc, -1) >= t - 3:
            proc = f"Q{i}"
        key = draw(st.sampled_from(["x", "y"]))
        call = t - draw(st.integers(0, min(3, t - busy.get(proc, -1) - 1)))
        ret = t + draw(st.integers(0, 25))
        busy[proc] = ret
        kind = draw(st.sampled_from(["read", "write", "cas"]))
        if kind == "read":
            ops.append(Op(id=i, process=proc, f="read", key=key, output=state[key], call=call, ret=ret))
        elif kind == "write":
            v = draw(st.integers(0, 5))
            ops.append(Op(id=i, process=proc, f="write", key=key, input=v, call=call, ret=ret))
            state[key] = v
        else:
            frm, to = draw(st.integers(0, 5)), draw(st.integers(0, 5))
            ok = state[key] == frm
            ops.append(Op(id=i, process=proc, f="cas", key=key, input=(frm, to), output=ok, call=call, ret=ret))
            if ok:
                state[key] = to
    return History(tuple(ops), "cas-register", {"x": 0, "y": 0})


@settings(max_examples=200, deadline=None)
@given(sequential_executions())
def test_histories_from_a_sequential_execution_are_linearizable(history):
    verdict = check_linearizable(history, Budget())
    assert verdict.result == "ok"
    _assert_linearization(history, verdict.witness["order"], verdict.witness["points"])


# ---- explanations --------------------------------------------------------------------------

def _reg(*ops, initial=0):
    return History(tuple(Op(id=n, **o) for n, o in enumerate(ops)), "register", {"x": initial})


def test_stale_read_is_explained_with_its_three_operations():
    h = _reg(dict(process="P1", f="write", key="x", input=1, call=0, ret=1),
             dict(process="P1", f="write", key="x", input=2, call=2, ret=3),
             dict(process="P2", f="read", key="x", output=1, call=4, ret=5),
             dict(process="P3", f="read", key="x", output=2, call=6, ret=7))
    v = check_linearizable(h, Budget())
    assert v.result == "illegal"
    assert v.witness["culprit"] == 2 and v.witness["core"] == [0, 1, 2]
    assert [m.key for m in v.explanation][:3] == ["chk.lin.culprit", "chk.lin.core", "chk.lin.stale_read"]
    assert [0, 1, "rt"] in v.witness["edges"] and [1, 2, "rt"] in v.witness["edges"]


def test_explanations_handle_writes_that_never_returned():
    """An unanswered (info) write has no return time: explaining a core that holds one must not
    compare None with a time (found by the primary-backup sweeps)."""
    from checkers.linearizable import explain_core

    ops = [Op(id=0, process="P1", f="write", key="x", input=1, call=0, ret=None, status="info"),
           Op(id=1, process="P2", f="write", key="x", input=2, call=1, ret=2, status="ok"),
           Op(id=2, process="P3", f="read", key="x", output=1, call=3, ret=4, status="ok"),
           Op(id=3, process="P4", f="read", key="x", output=7, call=5, ret=6, status="ok"),
           Op(id=4, process="P5", f="read", key="x", output=2, call=7, ret=8, status="ok")]
    dt = datatype_of(History(ops=tuple(ops), datatype="register"))
    for core in (ops[:3], [ops[0], ops[2], ops[3]], [ops[1], ops[2]], [ops[0], ops[1], ops[4]]):
        lines = explain_core(list(core), dt, None)
        assert lines[0].key == "chk.lin.core" and lines[-1].key.startswith("chk.lin.")


def test_the_core_never_blames_a_read_whose_write_was_deleted():
    # W(x)1 early, W(x)2, then W(x)1 again before the read of 1: linearizable. Deleting the
    # second W(x)1 would leave a stale read — an unsound "explanation" the checker must not give.
    h = _reg(dict(process="P1", f="write", key="x", input=1, call=0, ret=1),
             dict(process="P1", f="write", key="x", input=2, call=2, ret=3),
             dict(process="P2", f="write", key="x", input=1, call=4, ret=5),
             dict(process="P3", f="read", key="x", output=1, call=6, ret=7),
             dict(process="P3", f="read", key="x", output=3, call=8, ret=9))
    v = check_linearizable(h, Budget())
    assert v.result == "illegal" and v.witness["core"] == [4]
    assert "chk.lin.never_written" in [m.key for m in v.explanation]


def test_new_old_inversion_is_named():
    h = _reg(dict(process="P1", f="write", key="x", input=1, call=0, ret=10),
             dict(process="P2", f="read", key="x", output=1, call=1, ret=2),
             dict(process="P3", f="read", key="x", output=0, call=3, ret=4))
    v = check_linearizable(h, Budget())
    assert v.result == "illegal" and "chk.lin.inversion" in [m.key for m in v.explanation]


def test_untimed_histories_are_not_applicable():
    h = History((Op(id=0, process="P1", f="write", key="x", input=1),), "register", {"x": 0}, timed=False)
    v = check_linearizable(h, Budget())
    assert v.result == "unknown" and not v.applicable


def test_info_write_may_take_effect_late_or_never():
    base = [dict(process="P1", f="write", key="x", input=1, call=0, ret=None, status="info"),
            dict(process="P2", f="read", key="x", output=0, call=5, ret=6),
            dict(process="P2", f="read", key="x", output=1, call=7, ret=8)]
    assert check_linearizable(_reg(*base), Budget()).result == "ok"
    never = base[:2]
    assert check_linearizable(_reg(*never), Budget()).result == "ok"
    back = base + [dict(process="P2", f="read", key="x", output=0, call=9, ret=10)]
    assert check_linearizable(_reg(*back), Budget()).result == "illegal"


def test_mutex_and_multi_register():
    mutex = History((Op(id=0, process="1", f="acquire", call=0, ret=3),
                     Op(id=1, process="2", f="acquire", call=1, ret=2)), "mutex")
    v = check_linearizable(mutex, Budget())
    assert v.result == "illegal"
    txn = History((Op(id=0, process="1", f="txn", input=(("write", "x", 1),), output=(("write", "x", 1),), call=0, ret=1),
                   Op(id=1, process="2", f="txn", input=(("read", "x", None), ("read", "y", None)),
                      output=(("read", "x", 1), ("read", "y", 0)), call=2, ret=3)), "multi-register")
    assert check_linearizable(txn, Budget()).result == "ok"


@pytest.mark.parametrize("budget", [Budget(max_steps=10, poll=1), Budget(keep_going=lambda: False, poll=1)],
                         ids=["steps", "keep_going"])
def test_the_budget_always_stops_the_search(budget):
    if not SHARED.is_dir():
        pytest.skip(f"{SHARED} not found")
    h = read_history((SHARED / "jepsen-etcd" / "etcd_057.jsonl").read_bytes(), datatype="etcd-register")
    v = check_linearizable(h, budget)
    assert v.result == "unknown" and v.applicable and v.explanation[0].key == "chk.unknown.budget"
