"""The Logical Clocks page teaches the textbook clocks (viz/clock_events.py, ui/clocks_view.py, pages/clocks.py).

Lamport 1978 counts only a process's local events, sends and receives (first event: L=1);
Fidge 1988 / Mattern 1989 likewise (first event of p_i: V = e_i). These tests check that the
events the page shows carry exactly those clocks, that IR2 holds on every receive, that the
happens-before relation they give is the simulator's (``sim.causality.relation``) on the same
events, that the bug variant is visibly wrong, and that the page explains a picked pair — for the
textbook run and for any protocol's preset (simulator clocks, ``viz.causality_view``), whose long
runs the page shows a window at a time (tests/test_causality_view.py covers the pure parts).
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from sim import causality
from sim.engine import run
from sim.scenario import parse_scenario
from tests.strategies import fault_schedules
from ui.clocks_view import event_label, explain, order_table, order_verdict
from ui.i18n import translate, translator
from viz.clock_events import (CONCURRENT, FUTURE, PAST, SELF, ClockEvent, classify, clock_figure, lamport_order,
                              relation, textbook_events)

ROOT = Path(__file__).resolve().parents[1]


def _run(processes=3, seed=1, bug=None, events=5, send=50, network=None, faults=()):
    d = {"protocol": "logical-clocks", "seed": seed, "bug": bug, "faults": list(faults),
         "params": {"processes": processes, "events_per_process": events, "send_percent": send}}
    if network:
        d["network"] = network
    return run(parse_scenario(d))


RUNS = [(n, seed) for n in (2, 3, 4, 6) for seed in (0, 1, 2, 7, 42)]


def _by_process(evs):
    out = {}
    for e in evs:
        out.setdefault(e.node, []).append(e)
    return out


# ---------------------------------------------------------------- textbook clocks
@pytest.mark.parametrize("n,seed", RUNS)
def test_first_event_of_every_process_is_textbook(n, seed):
    trace = _run(n, seed)
    per = _by_process(textbook_events(trace))
    assert set(per) == set(trace.nodes)  # every process did something (events_per_process=5)
    sends = {e.msg_id: e for e in textbook_events(trace) if e.kind == "send"}
    for lane, node in enumerate(trace.nodes):
        first, unit = per[node][0], tuple(int(j == lane) for j in range(n))
        assert first.k == 1
        if first.kind == "receive":  # nothing before it: IR2 gives max(0, ts) + 1, V = V(send) + e_i
            assert first.lamport == first.ts + 1, first
            assert first.vc == tuple(x + u for x, u in zip(sends[first.msg_id].vc, unit)), first
        else:  # a local event or a send: L=1, V=e_i (Lamport 1978; Fidge 1988, Mattern 1989)
            assert first.lamport == 1 and first.vc == unit, first
    # ... unlike the simulator's trace clocks, which also tick on boot and timer firings
    assert any(trace.events[per[node][0].i].lamport > 1 for node in trace.nodes)


@pytest.mark.parametrize("n,seed", RUNS)
def test_ir1_ir2_and_own_entry_counts_events(n, seed):
    trace = _run(n, seed)
    evs = textbook_events(trace)
    sends = {e.msg_id: e for e in evs if e.kind == "send"}
    assert any(e.kind == "receive" for e in evs)
    for node, mine in _by_process(evs).items():
        lane, prev = trace.nodes.index(node), 0
        for k, e in enumerate(mine, start=1):
            assert e.k == k and e.vc[lane] == k  # V_i[i] counts p_i's own events
            if e.kind == "receive":
                assert e.lamport == max(prev, e.ts) + 1  # IR2
                s = sends[e.msg_id]  # the arrow joins the right send
                assert s.lamport == e.ts and s.peer == e.node and e.peer == s.node
                assert e.vc == tuple(max(x, y) + (j == lane) for j, (x, y) in
                                     enumerate(zip(mine[k - 2].vc if k > 1 else (0,) * n, s.vc)))
            else:
                assert e.lamport == prev + 1  # IR1
            prev = e.lamport


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(2, 6), seed=st.integers(0, 10**6), send=st.integers(0, 100), dup=st.sampled_from([0, 0.3]),
       loss=st.sampled_from([0, 0.2]), data=st.data())
def test_textbook_happens_before_equals_the_simulators(n, seed, send, dup, loss, data):
    nodes = [f"p{i + 1}" for i in range(n)]
    faults = data.draw(fault_schedules(nodes, max_faults=3, kinds=("crash", "restart", "duplicate", "delay")))
    trace = _run(n, seed, events=6, send=send, network={"duplicate": dup, "loss": loss}, faults=faults)
    evs = textbook_events(trace)
    for a, b in itertools.product(evs, repeat=2):
        ours = relation(a.vc, b.vc)
        theirs = causality.relation(trace.events[a.i], trace.events[b.i])
        assert ours == theirs, (a, b)
        if a.note_i is not None and a is not b:  # the receive's note is the same event for happens-before
            assert ours == causality.relation(trace.events[a.note_i], trace.events[b.i])
    if evs:  # classify agrees with relation, and Lamport's order extends happens-before
        cls = classify(evs, evs[len(evs) // 2].i)
        ref = evs[len(evs) // 2]
        want = {"before": PAST, "after": FUTURE, "concurrent": CONCURRENT, "same": SELF}
        assert [want[relation(e.vc, ref.vc)] for e in evs] == cls.tolist()
        order = lamport_order(evs)
        pos = {e.i: k for k, e in enumerate(order)}
        assert all(pos[a.i] < pos[b.i] for a, b in itertools.product(evs, repeat=2) if relation(a.vc, b.vc) == "before")


def test_bug_no_max_on_receive_is_visibly_wrong():
    bad = [e for seed in range(6) for e in textbook_events(_run(3, seed, bug="no-max-on-receive", events=8))
           if e.kind == "receive" and e.lamport <= e.ts]
    assert bad, "the bug variant should produce a receive with L <= ts"
    good = [e for seed in range(6) for e in textbook_events(_run(3, seed, events=8))
            if e.kind == "receive" and e.lamport <= e.ts]
    assert not good


def test_lamport_order_breaks_ties_by_process_id():
    evs = textbook_events(_run(4, 3))
    order = lamport_order(evs)
    keys = [(e.lamport, e.lane) for e in order]
    assert keys == sorted(keys)
    assert any(a.lamport == b.lamport for a, b in zip(order, order[1:]))  # there are ties to break


# ---------------------------------------------------------------- explanations
def _ev(i, node, lane, lamport, vc, kind="local"):
    return ClockEvent(i=i, node=node, lane=lane, k=1, kind=kind, peer=None, msg_id=None, lamport=lamport, vc=vc,
                      ts=None, step=i, time=i)


NODES = ("p1", "p2", "p3")


def test_explain_before_after_concurrent_same():
    t = translator("en")
    a, b = _ev(1, "p1", 0, 1, (1, 0, 0)), _ev(2, "p2", 1, 2, (2, 1, 0))
    rel, vec, lam = explain(a, b, NODES, t)
    assert rel == "before"
    assert "V(e1)=[1,0,0] ≤ V(e2)=[2,1,0]" in vec and "e1 → e2" in vec and "entry p1: 1 < 2" in vec
    assert "L(e1)=1 < L(e2)=2" in lam
    rel, vec, _ = explain(b, a, NODES, t)
    assert rel == "after" and "e1 → e2" in vec
    c, d = _ev(3, "p1", 0, 3, (3, 0, 0)), _ev(4, "p3", 2, 4, (0, 1, 3))
    rel, vec, lam = explain(c, d, NODES, t)
    assert rel == "concurrent" and "e3 ‖ e4" in vec
    assert "entry p1 is bigger in e3 (3 > 0)" in vec and "entry p2 is bigger in e4 (1 > 0)" in vec
    assert "L(e3)=3 < L(e4)=4" in lam and "does **not** mean e3 → e4" in lam
    assert explain(d, c, NODES, t)[2] == lam  # the Lamport sentence names the smaller clock first
    rel, _, lam = explain(c, _ev(5, "p2", 1, 3, (0, 3, 0)), NODES, t)
    assert rel == "concurrent" and "L(e3) = L(e5) = 3" in lam
    assert explain(a, a, NODES, t)[0] == "same"
    _, _, lam = explain(_ev(1, "p1", 0, 5, (1, 0, 0)), _ev(2, "p2", 1, 2, (1, 1, 0)), NODES, t)
    assert "Clock Condition is broken" in lam
    zh = explain(c, d, NODES, translator("zh"))
    assert "e3 ‖ e4" in zh[1] and "并不" in zh[2]


def test_order_table_says_forced_or_arbitrary():
    t = translator("en")
    trace = _run(3, 1)
    evs = textbook_events(trace)
    df = order_table(evs, t)
    assert len(df) == len(evs)
    col = df[translate("en", "clocks.col.vs_prev")].tolist()
    order = lamport_order(evs)
    assert col[0] == "—"
    for prev, cur, text in zip(order, order[1:], col[1:]):
        v = order_verdict(prev, cur)
        assert v in ("forced", "arbitrary")  # never "contradicts" with correct clocks
        assert text.startswith("forced" if v == "forced" else "arbitrary")
    assert {"forced", "arbitrary"} <= {order_verdict(p, c) for p, c in zip(order, order[1:])}
    sel = order_table(evs, t, evs[3].i)[translate("en", "clocks.col.relation")].tolist()
    assert sel.count(translate("en", "clocks.short.self")) == 1
    assert event_label(evs[0], t).startswith(f"e{evs[0].i} · ")


# ---------------------------------------------------------------- figure
def test_figure_draws_only_process_events_with_their_own_clocks():
    t = translator("en")
    trace = _run(3, 1)
    evs = textbook_events(trace)
    fig = clock_figure(evs, trace.nodes, t, labels="both")
    pts = [tr for tr in fig.data if tr.meta in ("local", "send", "receive")]
    ids = sorted(int(i) for tr in pts for i in tr.customdata)
    assert ids == sorted(e.i for e in evs)
    text = {int(i): s for tr in pts for i, s in zip(tr.customdata, tr.text)}
    for lane, node in enumerate(trace.nodes):
        first = next(e for e in evs if e.node == node)
        assert text[first.i] == "1 · " + "[" + ",".join(str(int(j == lane)) for j in range(3)) + "]"
    msgs = next(tr for tr in fig.data if tr.meta == "messages")
    assert len(msgs.x) == 3 * sum(e.kind == "receive" for e in evs)
    assert {str(s) for tr in clock_figure(evs, trace.nodes, t, labels="lamport").data
            if tr.meta == "local" for s in tr.text} <= {str(e.lamport) for e in evs}
    with pytest.raises(ValueError):
        clock_figure(evs, trace.nodes, t, labels="nope")


def test_figure_colours_past_future_concurrent_of_the_selected_event():
    t = translator("zh")
    trace = _run(4, 2)
    evs = textbook_events(trace)
    sel = evs[len(evs) // 2]
    fig = clock_figure(evs, trace.nodes, t, selected=sel.i)
    got = {tr.meta: sorted(int(i) for i in tr.customdata) for tr in fig.data if tr.customdata is not None}
    cls = classify(evs, sel.i)
    for role, code in (("self", SELF), ("past", PAST), ("future", FUTURE), ("concurrent", CONCURRENT)):
        assert got[role] == sorted(e.i for e, c in zip(evs, cls) if c == code), role
    assert got["self"] == [sel.i] and got["past"] and got["concurrent"]
    names = {tr.meta: tr.name for tr in fig.data}
    assert names["past"] == translate("zh", "clocks.fig.past")
    assert len({tr.marker.color for tr in fig.data if tr.meta in ("past", "future", "concurrent")}) == 3
    ring = clock_figure(evs, trace.nodes, t, selected=sel.i, second=evs[0].i)
    assert [list(tr.customdata) for tr in ring.data if tr.meta == "second"] == [[evs[0].i]]


# ---------------------------------------------------------------- the page
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_page_explains_two_picked_events(lang):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = lang
    at.run()
    at.switch_page("pages/clocks.py").run()
    assert not at.exception, [e.value for e in at.exception]
    a, b = at.selectbox(key="clocks.pick_a"), at.selectbox(key="clocks.pick_b")
    ids = [int(o.split()[0][1:]) for o in a.options]
    trace = _run(3, 1)  # the page's defaults: 3 processes, seed 1
    evs = {e.i: e for e in textbook_events(trace)}
    assert ids == list(evs)
    t = translator(lang)
    # find a concurrent pair whose Lamport clocks differ: the case the page must not let mislead
    x, y = next((p, q) for p, q in itertools.combinations(evs.values(), 2)
                if relation(p.vc, q.vc) == "concurrent" and p.lamport != q.lamport)
    a.set_value(x.i)
    b.set_value(y.i)
    at.run()
    assert not at.exception
    rel, vec, lam = explain(x, y, trace.nodes, t)
    assert [w.value for w in at.warning] == [vec]
    assert lam in [m.value for m in at.markdown]
    assert f"e{x.i} ‖ e{y.i}" in vec
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    roles = {tr.get("meta") for tr in spec["data"]}
    assert {"self", "past", "future", "concurrent", "second"} <= roles  # A's cones, and B ringed
    # an ordered pair: success box
    p, q = next((p, q) for p, q in itertools.combinations(evs.values(), 2) if relation(p.vc, q.vc) == "before")
    at.selectbox(key="clocks.pick_a").set_value(p.i)
    at.selectbox(key="clocks.pick_b").set_value(q.i)
    at.run()
    assert [s.value for s in at.success] == [explain(p, q, trace.nodes, t)[1]]
    assert np.all([lbl.startswith("e") for lbl in at.selectbox(key="clocks.pick_a").options])


# ---------------------------------------------------------------- the page on any protocol's preset
def _page(lang, source, preset=None):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["lang"] = lang
    at.run()
    at.switch_page("pages/clocks.py").run()
    at.selectbox(key="clocks.source").set_value(source).run()
    if preset:
        at.selectbox(key=f"clocks.preset.{source}").set_value(preset).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_page_explains_two_events_of_a_protocol_preset(lang):
    from lessons.presets import load_preset
    from viz.causality_view import clock_window, simulator_events

    t = translator(lang)
    at = _page(lang, "two-phase-commit", "two-phase-commit-happy-path")
    trace = run(load_preset("two-phase-commit-happy-path"))
    evs = {e.i: e for e in clock_window(simulator_events(trace, t), 0).events}  # the first window
    a = at.selectbox(key="clocks.pick_a")
    assert [int(o.split()[0][1:]) for o in a.options] == list(evs)
    assert translate(lang, "clocks.which_clocks_sim") in [c.value for c in at.caption]
    x, y = next((p, q) for p, q in itertools.combinations(evs.values(), 2)
                if relation(p.vc, q.vc) == "concurrent" and p.lamport != q.lamport)
    a.set_value(x.i)
    at.selectbox(key="clocks.pick_b").set_value(y.i)
    at.run()
    assert not at.exception
    rel, vec, lam = explain(x, y, trace.nodes, t)
    assert rel == causality.relation(trace.events[x.i], trace.events[y.i]) == "concurrent"
    assert [w.value for w in at.warning] == [vec] and lam in [m.value for m in at.markdown]
    # a send and its receive: ordered, the success box says why, from their clocks
    s = next(e for e in evs.values() if e.kind == "send" and e.peer != e.node)
    r = next(e for e in evs.values() if e.kind == "receive" and e.msg_id == s.msg_id)
    at.selectbox(key="clocks.pick_a").set_value(r.i)
    at.selectbox(key="clocks.pick_b").set_value(s.i)
    at.run()
    rel, vec, _ = explain(r, s, trace.nodes, t)
    assert rel == "after" and [m.value for m in at.success] == [vec] and f"e{s.i} → e{r.i}" in vec
    df = at.dataframe[0].value
    assert len(df) == len(evs) and df[translate(lang, "clocks.col.lamport")].is_monotonic_increasing
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert {"self", "past", "future", "concurrent", "second"} <= {tr.get("meta") for tr in spec["data"]}


def test_page_windows_a_long_run_and_drops_picks_outside_the_window():
    from lessons.presets import load_preset
    from viz.causality_view import MAX_EVENTS, clock_window, simulator_events

    at = _page("en", "raft", "raft-leader-crash")
    evs = simulator_events(run(load_preset("raft-leader-crash")))
    assert len(evs) > MAX_EVENTS
    w = clock_window(evs, 0)
    assert [i.value for i in at.info][0] == translate("en", "clocks.window_note", total=len(evs), shown=len(w.events),
                                                       a=w.first_step, b=w.last_step, before=0, after=w.after)
    at.selectbox(key="clocks.pick_a").set_value(w.events[3].i).run()
    assert len(at.get("metric")) == 3
    later = w.last_step + 5
    at.slider(key="clocks.window").set_value(later).run()
    assert not at.exception
    w2 = clock_window(evs, later)
    opts = at.selectbox(key="clocks.pick_a").options
    assert [int(o.split()[0][1:]) for o in opts] == [e.i for e in w2.events] and len(opts) <= MAX_EVENTS
    assert at.selectbox(key="clocks.pick_a").value is None  # A is no longer shown: picked again
    assert translate("en", "clocks.hint") in [i.value for i in at.info]
    assert len(at.dataframe[0].value) == len(w2.events)
    # back to the textbook source: its own clocks and caption again
    at.selectbox(key="clocks.source").set_value("textbook").run()
    assert not at.exception and translate("en", "clocks.which_clocks") in [c.value for c in at.caption]
