"""Any protocol's run on the Logical Clocks page (viz/causality_view.py, ui/clocks_view.py).

The events drawn are exactly the events ``sim.causality`` gives a clock, with the simulator's own
Lamport and vector clocks; the page's relation, explanation and Lamport order on them agree with
``sim.causality``; the window keeps long runs bounded without changing any relation.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lessons.presets import list_presets, load_preset
from protocols import REGISTRY
from sim import causality
from sim.engine import run
from sim.scenario import parse_scenario
from ui.clocks_view import SOURCES, TEXTBOOK, explain, order_table, order_verdict, preset_choices, scenario_for
from ui.i18n import translate, translator
from viz.causality_view import LOCAL_KINDS, MAX_EVENTS, clock_window, simulator_events, window_starts
from viz.clock_events import ClockEvent, classify, clock_figure, kind_text, lamport_order, relation

# one preset of each protocol with a wide range of shapes, plus loss, duplicates, crashes and partitions
PRESETS = ["abd-new-old-inversion", "causal-store-concurrent-writes", "chain-replication-middle-crash",
           "eventual-store-stale-then-converge", "logical-clocks-basic", "multi-paxos-bug-no-reproposal",
           "paxos-dueling-proposers", "primary-backup-sync-failover", "quorum-store-siblings", "raft-leader-crash",
           "raft-stale-leader", "two-phase-commit-message-loss", "two-phase-commit-coordinator-crash"]
ALL_PRESETS = [p.id for p in list_presets()]


@pytest.fixture(scope="module")
def traces():
    return {pid: run(load_preset(pid)) for pid in PRESETS}


@pytest.mark.parametrize("preset", PRESETS)
def test_events_are_exactly_the_clocked_events_at_nodes_with_the_simulators_clocks(traces, preset):
    trace = traces[preset]
    evs = simulator_events(trace, translator("en"))
    clocked = [e for e in trace.events if e.vc is not None and e.node in trace.nodes]
    assert [e.i for e in evs] == [e.i for e in clocked]
    assert all(e.kind in ("send", "deliver", *LOCAL_KINDS) for e in clocked)  # no network event has a clock
    for ce, e in zip(evs, clocked):
        assert ce.lamport == e.lamport and ce.vc == e.vc and ce.node == e.node and ce.step == e.step
        assert ce.kind == {"send": "send", "deliver": "receive"}.get(e.kind, "local")
        assert ce.sub == (None if e.kind in ("send", "deliver") else e.kind)
        assert ce.vc[ce.lane] == ce.k  # the k-th event of p_i has V[i] = k: every counted event ticks


@pytest.mark.parametrize("preset", ALL_PRESETS)
def test_every_preset_of_every_protocol_reads_into_clock_events(preset):
    trace = run(load_preset(preset))
    evs = simulator_events(trace, translator("zh"))
    assert len(evs) == sum(e.vc is not None and e.node in trace.nodes for e in trace.events) > 0
    assert all(e.vc[e.lane] == e.k for e in evs)
    assert all(0 < len(clock_window(evs, s).events) <= MAX_EVENTS for s in window_starts(evs)[:: 7])


@pytest.mark.parametrize("preset", PRESETS)
def test_receives_join_their_send_and_carry_its_timestamp(traces, preset):
    evs = simulator_events(traces[preset])
    sends = {e.msg_id: e for e in evs if e.kind == "send"}
    receives = [e for e in evs if e.kind == "receive"]
    assert receives, "every preset delivers some message"
    for r in receives:
        s = sends[r.msg_id]  # a duplicate copy's delivery joins the original send
        assert r.ts == s.lamport and s.peer == r.node and r.peer == s.node
        assert r.lamport >= s.lamport + 1  # IR2
        assert relation(s.vc, r.vc) == "before"


def test_a_duplicate_copy_is_received_on_its_original_sends_arrow():
    d = load_preset("two-phase-commit-happy-path").to_dict()
    d["network"] = {**d.get("network", {}), "duplicate": 0.6}
    trace = run(parse_scenario(d))
    assert any(e.kind == "duplicate" for e in trace.events)
    evs = simulator_events(trace)
    sends = {e.msg_id for e in evs if e.kind == "send"}
    received = [e.msg_id for e in evs if e.kind == "receive"]
    assert set(received) <= sends  # copies (fresh ids in the trace) are named by their original
    assert len(received) > len(set(received))  # some message was received twice


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(preset=st.sampled_from(PRESETS), data=st.data())
def test_relation_explanation_and_lamport_order_agree_with_sim_causality(traces, preset, data):
    trace = traces[preset]
    evs = simulator_events(trace)
    t = translator("en")
    picks = data.draw(st.lists(st.sampled_from(evs), min_size=2, max_size=12, unique_by=lambda e: e.i))
    for a, b in itertools.product(picks, repeat=2):
        want = causality.relation(trace.events[a.i], trace.events[b.i])
        rel, vec, lam = explain(a, b, trace.nodes, t)
        assert rel == relation(a.vc, b.vc) == want
        if rel == "concurrent":
            assert f"e{a.i} ‖ e{b.i}" in vec
        elif rel in ("before", "after"):
            x, y = (a, b) if rel == "before" else (b, a)
            assert f"e{x.i} → e{y.i}" in vec and "Clock Condition" in lam and "broken" not in lam
    order = lamport_order(picks)
    pos = {e.i: k for k, e in enumerate(order)}
    assert all(pos[a.i] < pos[b.i] for a, b in itertools.product(picks, repeat=2) if relation(a.vc, b.vc) == "before")
    assert all(order_verdict(p, c) in ("forced", "arbitrary") for p, c in zip(order, order[1:]))


def test_classify_on_a_protocol_run_is_the_simulators_cones(traces):
    trace = traces["raft-leader-crash"]
    evs = simulator_events(trace)
    ref = evs[len(evs) // 2]
    mine = classify(evs, ref.i).tolist()
    theirs = causality.classify(trace, ref.i)
    assert mine == [int(theirs[e.i]) for e in evs]
    assert {causality.PAST, causality.FUTURE, causality.CONCURRENT} <= set(mine)


# ---------------------------------------------------------------- the window
def _ev(i, step):
    return ClockEvent(i=i, node="p1", lane=0, k=i + 1, kind="local", peer=None, msg_id=None, lamport=i + 1,
                      vc=(i + 1,), ts=None, step=step, time=step)


def test_window_keeps_whole_steps_and_counts_what_it_leaves_out():
    evs = [_ev(i, i // 3) for i in range(30)]  # ten steps of three events
    w = clock_window(evs, 0, 10)
    assert [e.i for e in w.events] == list(range(9))  # step 3 would be cut: left out whole
    assert (w.first_step, w.last_step, w.before, w.after, w.total) == (0, 2, 0, 21, 30) and w.clipped
    w = clock_window(evs, 4, 10)
    assert w.events[0].step == 4 and w.before == 12 and w.before + len(w.events) + w.after == 30
    w = clock_window(evs, 8, 10)
    assert [e.step for e in w.events] == [8, 8, 8, 9, 9, 9] and w.after == 0
    assert not clock_window(evs, 0, 100).clipped
    w = clock_window(evs, 99, 10)
    assert w.events == () and w.first_step == -1 and w.before == 30
    huge = [_ev(i, 0) for i in range(12)]  # one step bigger than the window: its first events
    assert len(clock_window(huge, 0, 5).events) == 5
    with pytest.raises(ValueError):
        clock_window(evs, 0, 0)


@pytest.mark.parametrize("preset", ["raft-bug-figure-8", "multi-paxos-leader-change"])
def test_every_window_of_a_long_run_is_bounded_and_they_cover_the_run(traces, preset):
    trace = traces.get(preset) or run(load_preset(preset))
    evs = simulator_events(trace)
    assert len(evs) > 3 * MAX_EVENTS  # long: the page must window it
    seen, first = [], 0
    while True:
        w = clock_window(evs, first)
        assert 0 < len(w.events) <= MAX_EVENTS
        assert w.before == len(seen)
        seen.extend(e.i for e in w.events)
        if not w.after:
            break
        first = w.last_step + 1
    assert seen == [e.i for e in evs]
    assert window_starts(evs) == sorted({e.step for e in evs}) and window_starts(evs)[0] == 0


# ---------------------------------------------------------------- words and figure
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_local_kind_and_message_has_translated_words(traces, lang):
    t = translator(lang)
    seen = set()
    for trace in traces.values():
        for e in simulator_events(trace, t):
            text = kind_text(e, t)
            assert "[clocks." not in text and text
            if e.kind in ("send", "receive"):
                assert e.msg_id in text and e.info in text  # "sends Prepare m3 to n2"
            seen.add(e.sub or e.kind)
    assert {"start", "timer", "send", "receive"} <= seen
    for sub in LOCAL_KINDS:
        assert not t(f"clocks.kind.{sub}").startswith("[")


def test_figure_draws_the_window_with_the_simulators_clocks(traces):
    trace = traces["raft-leader-crash"]
    t = translator("en")
    w = clock_window(simulator_events(trace, t), 20)
    fig = clock_figure(w.events, trace.nodes, t, labels="vector", selected=w.events[5].i)
    pts = [tr for tr in fig.data if tr.meta in ("self", "past", "future", "concurrent")]
    ids = sorted(int(i) for tr in pts for i in tr.customdata)
    assert ids == sorted(e.i for e in w.events)
    text = {int(i): s for tr in pts for i, s in zip(tr.customdata, tr.text)}
    assert all(text[e.i] == causality.fmt_vc(trace.events[e.i].vc) for e in w.events)
    df = order_table(w.events, t, w.events[5].i)
    assert len(df) == len(w.events)


# ---------------------------------------------------------------- picking the run
def test_sources_are_the_textbook_then_every_protocol():
    assert SOURCES[0] == TEXTBOOK and set(SOURCES[1:]) == set(REGISTRY)


def test_preset_choices_give_titles_in_the_language_and_survive_a_broken_file(monkeypatch):
    got, err = preset_choices("raft", "zh")
    assert err is None and "raft-first-election" in got
    assert got["raft-first-election"] == load_preset("raft-first-election").meta["title"]["zh"]
    assert scenario_for("raft", "raft-first-election").meta["preset"] == "raft-first-election"
    assert scenario_for("raft", None).protocol == "raft"
    import ui.clocks_view as cv

    def broken(protocol=None):
        raise ValueError("preset x.yaml must start with its protocol id")

    monkeypatch.setattr(cv, "list_presets", broken)
    assert cv.preset_choices("raft", "en") == ({}, "preset x.yaml must start with its protocol id")
    assert "{error}" not in translate("en", "clocks.presets_error", error="x")
