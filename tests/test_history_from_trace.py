"""The client history of a simulator run (checkers/from_trace.py).

The only protocol that issues client operations today is two-phase commit (``{"type":
"commit"}`` → ``{"outcome": ...}``), so the real-run tests use its presets and workloads
built here, with random fault schedules for the property. Register/kv style ops (read,
write, cas, append), which no protocol issues yet, are tested on hand-written events.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checkers.formats import read_history, to_json
from checkers.from_trace import history_from_trace, op_fields, result_fields
from checkers.history import History
from lessons.presets import list_presets, load_preset
from sim.engine import run
from sim.scenario import parse_scenario
from sim.trace import Event
from tests.strategies import fault_schedules

TPC_NODES = ("tm", "rm1", "rm2", "rm3")


def tpc(workload, **extra):
    return run(parse_scenario({"protocol": "two-phase-commit", "seed": 3, "workload": workload, **extra}))


def client_events(trace):
    return [e for e in trace.events if e.kind in ("invoke", "return")]


def assert_consistent(trace, history: History, mapping, upto_step=None):
    """Ops = invokes; mapping points at the right events; times order the events as indices do."""
    invokes = [e for e in client_events(trace) if e.kind == "invoke" and (upto_step is None or e.step <= upto_step)]
    assert [o.id for o in history.ops] == list(range(len(invokes)))
    assert [mapping[o.id][0] for o in history.ops] == [e.i for e in invokes]
    stamps = []  # (event index, time given to it)
    for o in history.ops:
        inv, ret = mapping[o.id]
        assert trace.events[inv].kind == "invoke"
        assert o.f == trace.events[inv].detail["op"]["type"]
        stamps.append((inv, o.call))
        if ret is None:
            assert o.status == "info" and o.ret is None
        else:
            assert trace.events[ret].kind == "return" and trace.events[ret].detail["client"] == o.process.split("#")[0]
            assert upto_step is None or trace.events[ret].step <= upto_step
            assert o.ret is not None and o.ret >= o.call
            stamps.append((ret, o.ret))
    stamps.sort()
    assert [t for _i, t in stamps] == sorted(t for _i, t in stamps)  # same order as the events
    assert len({t for _i, t in stamps}) == len(stamps)  # and all distinct


# ================================================================================ real runs

TPC_PRESETS = [p.id for p in list_presets("two-phase-commit")]


@pytest.mark.parametrize("preset", TPC_PRESETS)
def test_every_two_phase_commit_preset_gives_one_op_per_client_request(preset):
    trace = run(load_preset(preset))
    history, mapping = history_from_trace(trace)
    assert_consistent(trace, history, mapping)
    assert len(history.ops) >= 1 and history.datatype == "register" and history.timed
    for o in history.ops:
        assert o.status in ("ok", "info")
        if o.status == "ok":
            assert o.output in ("committed", "aborted")


def test_happy_path_commit_is_ok_and_committed():
    trace = run(load_preset("two-phase-commit-happy-path"))
    history, mapping = history_from_trace(trace)
    [op] = history.ops
    assert (op.process, op.f, op.status, op.output) == ("c1", "commit", "ok", "committed")
    inv, ret = mapping[op.id]
    assert (op.call, op.ret) == (trace.events[inv].time, trace.events[ret].time)  # no shared instants: sim time


def test_prefix_histories_follow_the_cursor():
    trace = run(load_preset("two-phase-commit-coordinator-crash"))
    full, _ = history_from_trace(trace)
    seen_ok = False
    for step in range(trace.n_steps):
        history, mapping = history_from_trace(trace, upto_step=step)
        assert_consistent(trace, history, mapping, upto_step=step)
        for o in history.ops:  # an op that has not returned yet is indeterminate; later it is what it is
            later = full.op(o.id)
            assert (o.process, o.f, o.call) == (later.process, later.f, later.call)
            assert o.status == "info" or o == later
            seen_ok |= o.status == "ok"
    assert seen_ok
    assert history_from_trace(trace, upto_step=trace.n_steps - 1)[0] == full


def test_shared_instants_are_ordered_by_event_index():
    # tm replies at once to a commit that arrives after the decision: invoke and return share t=500;
    # two requests at t=0 share an instant too.
    trace = tpc([{"at": 0, "node": "tm", "client": "c1", "op": {"type": "commit"}},
                 {"at": 0, "node": "tm", "client": "c2", "op": {"type": "commit"}},
                 {"at": 500, "node": "tm", "client": "c1", "op": {"type": "commit"}}])
    history, mapping = history_from_trace(trace)
    assert_consistent(trace, history, mapping)
    late = history.ops[2]
    inv, ret = mapping[late.id]
    assert trace.events[inv].time == trace.events[ret].time == 500
    assert late.call < late.ret and history.ops[0].call < history.ops[1].call


def test_a_client_with_an_outstanding_request_continues_as_a_new_process():
    trace = tpc([{"at": 0, "node": "tm", "client": "c1", "op": {"type": "commit"}},
                 {"at": 0, "node": "tm", "client": "c1", "op": {"type": "commit"}},
                 {"at": 2, "node": "rm1", "client": "c1", "op": {"type": "commit"}}])
    history, mapping = history_from_trace(trace)
    assert [o.process for o in history.ops] == ["c1", "c1#2", "c1#3"]
    assert_consistent(trace, history, mapping)


def test_an_error_reply_is_a_failed_op():
    trace = tpc([{"at": 0, "node": "tm", "client": "c1", "op": {"type": "rollback"}}])
    [op] = history_from_trace(trace)[0].ops
    assert (op.f, op.status, op.output) == ("rollback", "fail", None)


def test_a_run_without_client_ops_has_an_empty_history():
    trace = run(parse_scenario({"protocol": "ping", "seed": 1, "limits": {"max_steps": 50}}))
    history, mapping = history_from_trace(trace)
    assert history.ops == () and mapping == {}


def test_same_trace_same_history():
    trace = run(load_preset("two-phase-commit-message-loss"))
    assert history_from_trace(trace) == history_from_trace(trace)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(workload=st.lists(st.tuples(st.integers(0, 300), st.sampled_from(TPC_NODES), st.sampled_from(("c1", "c2"))),
                         min_size=1, max_size=5),
       faults=fault_schedules(TPC_NODES, max_faults=4, max_time=300),
       seed=st.integers(0, 1000), cut=st.integers(0, 60))
def test_any_run_gives_a_well_formed_consistent_history(workload, faults, seed, cut):
    trace = run(parse_scenario({
        "protocol": "two-phase-commit", "seed": seed, "faults": faults, "limits": {"max_steps": 400},
        "network": {"loss": 0.1, "duplicate": 0.1},
        "workload": [{"at": at, "node": node, "client": c, "op": {"type": "commit"}} for at, node, c in workload]}))
    for upto in (None, min(cut, trace.n_steps - 1)):
        history, mapping = history_from_trace(trace, upto_step=upto)  # check_well_formed ran inside
        assert_consistent(trace, history, mapping, upto_step=upto)


# ===================================================================== register/kv style ops


def fake_trace(*specs):
    """Events (kind, time, node, detail) as a trace has them; only ``events`` is read."""
    return SimpleNamespace(events=tuple(Event(i=i, step=i, time=t, kind=k, node=n, detail=d)
                                        for i, (k, t, n, d) in enumerate(specs)))


def test_register_ops_map_to_reads_and_writes():
    trace = fake_trace(("invoke", 0, "n1", {"client": "c1", "op": {"f": "write", "key": "x", "value": 3}}),
                       ("invoke", 1, "n2", {"client": "c2", "op": {"f": "read", "key": "x"}}),
                       ("return", 2, "n1", {"client": "c1", "result": {"ok": True}}),
                       ("return", 4, "n2", {"client": "c2", "result": {"ok": True, "value": 3}}),
                       ("invoke", 5, "n2", {"client": "c2", "op": {"f": "write", "key": "y", "value": [1, 2]}}),
                       ("return", 6, "n2", {"client": "c2", "result": {"ok": False}}),
                       ("invoke", 7, "n1", {"client": "c1", "op": {"f": "read", "key": "y"}}))
    history, mapping = history_from_trace(trace)
    assert history.datatype == "register"
    assert [(o.process, o.label(), o.status, o.call, o.ret) for o in history.ops] == [
        ("c1", "W(x)3", "ok", 0, 2), ("c2", "R(x)3", "ok", 1, 4), ("c2", "W(y)(1, 2)", "fail", 5, 6),
        ("c1", "R(y)?", "info", 7, None)]
    assert mapping == {0: (0, 2), 1: (1, 3), 2: (4, 5), 3: (6, None)}
    assert read_history(to_json(history)) == history


def test_cas_and_append_choose_the_datatype():
    cas = fake_trace(("invoke", 0, "n1", {"client": "a", "op": {"f": "cas", "key": "x", "from": 1, "to": 2}}),
                     ("return", 1, "n1", {"client": "a", "result": {"ok": True}}))
    history, _ = history_from_trace(cas)
    assert history.datatype == "cas-register" and history.ops[0].input == (1, 2) and history.ops[0].output is True
    kv = fake_trace(("invoke", 0, "n1", {"client": "a", "op": {"f": "append", "key": "k", "value": "ab"}}),
                    ("return", 1, "n1", {"client": "a", "result": {}}))
    assert history_from_trace(kv)[0].datatype == "kv"


def test_a_reply_from_another_node_and_a_repeated_reply():
    trace = fake_trace(("invoke", 0, "n1", {"client": "c", "op": {"f": "read", "key": "x"}}),
                       ("return", 3, "n2", {"client": "c", "result": {"value": None}}),  # forwarded and answered
                       ("return", 3, "n2", {"client": "c", "result": {"value": None}}))  # a duplicate: ignored
    history, mapping = history_from_trace(trace)
    assert mapping == {0: (0, 1)} and history.ops[0].status == "ok" and history.ops[0].output is None


def test_an_ambiguous_reply_taints_its_client_instead_of_guessing():
    # a deposed Raft leader: it appended c's put (answered only if committed) and at once
    # redirects c's next request — a reply names its client, not which request it answers
    trace = fake_trace(("invoke", 0, "n1", {"client": "c", "op": {"f": "put", "key": "x", "value": 1}}),
                       ("invoke", 1, "n1", {"client": "c", "op": {"f": "put", "key": "x", "value": 2}}),
                       ("return", 2, "n1", {"client": "c", "result": {"error": "not_leader"}}),
                       ("invoke", 3, "n2", {"client": "c", "op": {"f": "get", "key": "x"}}),
                       ("return", 4, "n2", {"client": "c", "result": {"ok": True, "value": 1}}),
                       ("invoke", 5, "n2", {"client": "d", "op": {"f": "get", "key": "x"}}),
                       ("return", 6, "n2", {"client": "d", "result": {"ok": True, "value": 1}}))
    history, mapping = history_from_trace(trace)
    # neither put may be called failed (the first may well have been committed), and c's
    # later get is not claimed either; the other client is unaffected
    assert [o.status for o in history.ops] == ["info", "info", "info", "ok"]
    assert mapping[3] == (5, 6)


def test_an_indeterminate_reply_keeps_the_op_info_and_the_client_pairable():
    # a quorum-store put that timed out: answered "may or may not have happened"; the client's
    # next op at the same node must still be paired (no taint), and runs as a fresh process
    # because the timed-out write may still take effect
    trace = fake_trace(("invoke", 0, "n1", {"client": "c", "op": {"f": "put", "key": "x", "value": 1}}),
                       ("return", 2, "n1", {"client": "c", "result": {"indeterminate": True, "reason": "timeout"}}),
                       ("invoke", 3, "n1", {"client": "c", "op": {"f": "get", "key": "x"}}),
                       ("return", 4, "n1", {"client": "c", "result": {"ok": True, "value": 1}}))
    history, mapping = history_from_trace(trace)
    assert [(o.process, o.status, o.ret, o.output) for o in history.ops] == [
        ("c", "info", None, None), ("c#2", "ok", 4, 1)]
    assert mapping == {0: (0, None), 1: (2, 3)}
    assert result_fields("put", {"indeterminate": True}) == ("info", None)


@pytest.mark.parametrize("request_,expected", [
    ({"f": "read", "key": "x"}, ("read", "x", None)),
    ({"type": "write", "key": 7, "value": [1, 2]}, ("write", "7", (1, 2))),
    ({"f": "cas", "key": "x", "value": [1, 2]}, ("cas", "x", (1, 2))),
    ({"f": "cas", "expected": 1, "new": 2}, ("cas", None, (1, 2))),
    ({"f": "put", "key": "k", "input": "v"}, ("put", "k", "v")),
])
def test_op_fields(request_, expected):
    assert op_fields(request_) == expected


@pytest.mark.parametrize("f,result,expected", [
    ("read", {"ok": True, "value": 5}, ("ok", 5)),
    ("read", {"output": [1]}, ("ok", (1,))),
    ("write", {"ok": True}, ("ok", None)),
    ("cas", {"ok": True}, ("ok", True)),
    ("cas", {"ok": False}, ("fail", None)),
    ("commit", {"outcome": "aborted"}, ("ok", "aborted")),
    ("commit", {"error": "unknown_op"}, ("fail", None)),
    ("x", {"a": 1, "b": 2}, ("ok", (("a", 1), ("b", 2)))),
    ("x", 3, ("ok", 3)),
])
def test_result_fields(f, result, expected):
    assert result_fields(f, result) == expected
