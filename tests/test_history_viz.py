"""Witness marks and linearization points (checkers/marks.py) and the history timeline
(viz/history_timeline.py): timed, untimed, info and fail histories, every witness kind, both languages."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checkers.history import History, Op, check_well_formed
from checkers.marks import Mark, linearization_points, marks
from checkers.verdict import Verdict
from ui.i18n import translator
from viz.history_timeline import geometry, timeline_figure

EN, ZH = translator("en"), translator("zh")

# P1: W(x)1 [0,4]      R(x)0 [7,9]
# P2:   R(x)1 [2,6]          R(x)? [8,10] fail
# P3:  W(x)2 [1, …) info
TIMED = History((
    Op(id=0, process="P1", f="write", key="x", input=1, call=0, ret=4),
    Op(id=1, process="P2", f="read", key="x", output=1, call=2, ret=6),
    Op(id=2, process="P1", f="read", key="x", output=0, call=7, ret=9),
    Op(id=3, process="P3", f="write", key="x", input=2, call=1, status="info"),
    Op(id=4, process="P2", f="read", key="x", call=8, ret=10, status="fail"),
), initial={"x": 0})
UNTIMED = History((
    Op(id=0, process="P1", f="write", key="x", input=1),
    Op(id=1, process="P2", f="read", key="x", output=1),
    Op(id=2, process="P1", f="read", key="x", output=0),
    Op(id=3, process="P3", f="write", key="x", input=0),
), initial={"x": 0}, timed=False)
ILLEGAL = Verdict("linearizable", "illegal", witness={
    "culprit": 2, "core": [0, 1, 2], "longest": [0, 1],
    "edges": [[0, 2, "rt"], [1, 2, "rt"], [0, 1, "rf"], [1, 4, "po"]]})


def _ok(history, order, points=None, model="linearizable"):
    witness = {"order": list(order)}
    if points is not None:
        witness["points"] = points
    return Verdict(model, "ok", witness=witness)


def _trace(fig, meta):
    found = [t for t in fig.data if t.meta == meta]
    assert len(found) == 1, (meta, [t.meta for t in fig.data])
    return found[0]


def _metas(fig):
    return {t.meta for t in fig.data}


# ---------------------------------------------------------------------------- marks
def test_point_marks_follow_the_points_and_are_numbered():
    points = linearization_points(TIMED, [0, 1, 2])
    found = marks(TIMED, _ok(TIMED, [0, 1, 2], points))
    assert [(m.kind, m.op_ids, m.label, m.time) for m in found] == [
        ("point", (0,), "1", points[0]), ("point", (1,), "2", points[1]), ("point", (2,), "3", points[2])]


def test_points_with_json_string_keys_and_ties_keep_the_witness_order():
    found = marks(TIMED, Verdict("linearizable", "ok", witness={"order": [1, 0], "points": {"0": 3.0, "1": 3.0}}))
    assert [m.op_ids for m in found] == [(1,), (0,)]


def test_order_marks_without_points():
    found = marks(UNTIMED, _ok(UNTIMED, [3, 2, 0, 1], model="sequential"))
    assert [(m.kind, m.op_ids[0], m.label, m.time) for m in found] == [
        ("order", 3, "1", None), ("order", 2, "2", None), ("order", 0, "3", None), ("order", 1, "4", None)]


def test_illegal_marks_name_culprit_core_and_edges():
    found = marks(TIMED, ILLEGAL)
    assert found[0] == Mark(kind="culprit", op_ids=(2,), label="R(x)0")
    assert found[1] == Mark(kind="core", op_ids=(0, 1, 2), label="W(x)1, R(x)1, R(x)0")
    edges = [(m.op_ids, m.edge_kind) for m in found if m.kind == "edge"]
    assert edges == [((0, 2), "rt"), ((1, 2), "rt"), ((0, 1), "rf"), ((1, 4), "po")]
    cyc = marks(UNTIMED, Verdict("causal", "illegal", witness={"cycle": [0, 1, 2]}))
    assert cyc == [Mark(kind="cycle", op_ids=(0, 1, 2), label="W(x)1 → R(x)1 → R(x)0")]


def test_reads_from_edges_of_an_ok_verdict_are_marked_and_drawn():
    ok = Verdict("eventual", "ok", witness={"edges": [[0, 1, "rf"]]})
    assert marks(UNTIMED, ok) == [Mark(kind="edge", op_ids=(0, 1), label="W(x)1 → R(x)1", edge_kind="rf")]
    assert list(_trace(timeline_figure(UNTIMED, ok, EN), "edges:rf").x) == [0.5, 0.5, None]


def test_no_marks_for_unknown_or_missing_verdicts():
    assert marks(TIMED, None) == []
    assert marks(TIMED, Verdict("linearizable", "unknown")) == []
    assert marks(TIMED, Verdict("pram", "ok", witness={"views": {"P1": [0, 2]}})) == []


@pytest.mark.parametrize("witness", [{"culprit": 99}, {"core": [0, 99]}, {"edges": [[0, 99, "rt"]]},
                                     {"edges": [[0, 1, "xx"]]}])
def test_a_witness_about_another_history_raises(witness):
    with pytest.raises(ValueError):
        marks(TIMED, Verdict("linearizable", "illegal", witness=witness))


# ---------------------------------------------------------------------------- linearization points
def test_points_examples():
    assert linearization_points(TIMED, [0, 1, 2]) == {0: 0.0, 1: 2.0, 2: 7.0}
    # W(x)2 (info, [1, ∞)) linearized after R(x)0: its point moves past the read's call
    pts = linearization_points(TIMED, [0, 1, 2, 3])
    assert pts[3] > pts[2] >= 7 and pts[3] < 8


def test_touching_intervals_force_equal_points_but_never_leave_an_interval():
    # A and B called at 5, C returns at 5: closed intervals, so the only choice is 5, 5, 5
    h = History((Op(id=0, process="a", f="read", key="x", output=None, call=5, ret=10),
                 Op(id=1, process="b", f="read", key="x", output=None, call=5, ret=10),
                 Op(id=2, process="c", f="read", key="x", output=None, call=0, ret=5)))
    assert linearization_points(h, [0, 1, 2]) == {0: 5.0, 1: 5.0, 2: 5.0}


@pytest.mark.parametrize("order, message", [([2, 0], "real time"), ([0, 0], "twice"), ([0, 4], "fail"),
                                             ([0, 7], "not in this history")])
def test_bad_orders_raise(order, message):
    with pytest.raises(ValueError, match=message):
        linearization_points(TIMED, order)


def test_untimed_history_has_no_points():
    with pytest.raises(ValueError, match="untimed"):
        linearization_points(UNTIMED, [0, 1])


@st.composite
def timed_histories(draw):
    """Random well-formed timed histories (shared endpoints allowed) plus an instant inside each op."""
    n = draw(st.integers(1, 9))
    ops, instants = [], []
    for i in range(n):
        call = draw(st.integers(0, 12))
        info = draw(st.booleans()) and draw(st.booleans())
        ret = None if info else call + draw(st.integers(0, 6))
        ops.append(Op(id=i, process=f"p{i}", f="read", key="x", output=None, call=call, ret=ret,
                      status="info" if info else "ok"))
        instants.append(draw(st.integers(call, ret if ret is not None else call + 6)))
    return History(tuple(ops)), instants


@settings(max_examples=150, deadline=None)
@given(timed_histories(), st.randoms(use_true_random=False))
def test_points_are_inside_and_monotone_and_strict_when_possible(case, rnd):
    history, instants = case
    ids = list(range(len(instants)))
    rnd.shuffle(ids)  # random tie-breaks
    order = sorted(ids, key=lambda i: instants[i])  # an instant-ordered sequence respects real time
    points = linearization_points(history, order)
    seq = [points[i] for i in order]
    for i in order:
        o = history.op(i)
        assert o.call <= points[i] and (o.ret is None or points[i] <= o.ret)
    assert all(a <= b for a, b in zip(seq, seq[1:]))
    if len(set(instants)) == len(instants):  # a strictly increasing choice exists: we must find one
        assert all(a < b for a, b in zip(seq, seq[1:]))


@settings(max_examples=150, deadline=None)
@given(timed_histories(), st.permutations(range(9)))
def test_points_raise_exactly_when_the_order_breaks_real_time(case, perm):
    history, _ = case
    order = [i for i in perm if i < len(history.ops)]
    breaks = any(history.op(b).ret is not None and history.op(b).ret < history.op(a).call
                 for a, b in itertools.combinations(order, 2))
    if breaks:
        with pytest.raises(ValueError):
            linearization_points(history, order)
    else:
        assert set(linearization_points(history, order)) == set(order)


# ---------------------------------------------------------------------------- the timeline
def test_bars_for_ok_info_and_fail_ops():
    check_well_formed(TIMED)
    fig = timeline_figure(TIMED, None, EN)
    geo = geometry(TIMED)
    ok, info, fail = _trace(fig, "bars:ok"), _trace(fig, "bars:info"), _trace(fig, "bars:fail")
    assert list(ok.customdata) == [0, 1, 2] and list(ok.base) == [0, 2, 7] and list(ok.x) == [4, 4, 2]
    assert list(info.customdata) == [3] and info.base[0] + info.x[0] == geo.right > 10
    assert info.marker.pattern.shape == "/"  # hatched, not only a colour
    assert list(fail.customdata) == [4] and fail.marker.color != ok.marker.color
    assert list(ok.y) == [0, 1, 0] and list(fig.layout.yaxis.ticktext) == ["P1", "P2", "P3"]
    assert list(_trace(fig, "labels").text) == ["W(x)1", "R(x)1", "R(x)0", "W(x)2", "R(x)?"]
    assert fig.layout.xaxis.title.text == EN("model.timeline.axis.time")
    assert not fig.layout.annotations  # timed: no "no real time" note
    assert {"points", "order", "culprit", "core"}.isdisjoint(_metas(fig))


@pytest.mark.parametrize("tr", [EN, ZH])
def test_linearization_points_are_drawn_in_order(tr):
    points = linearization_points(TIMED, [0, 1, 2])
    fig = timeline_figure(TIMED, _ok(TIMED, [0, 1, 2], points), tr)
    trace = _trace(fig, "points")
    assert list(trace.x) == [points[0], points[1], points[2]] and list(trace.y) == [0, 1, 0]
    assert "lines" in trace.mode and list(trace.text) == ["1", "2", "3"]
    assert trace.name == tr("model.timeline.legend.point")


@pytest.mark.parametrize("tr", [EN, ZH])
def test_untimed_history_in_program_order_with_a_note_and_numbers(tr):
    fig = timeline_figure(UNTIMED, _ok(UNTIMED, [3, 2, 0, 1], model="sequential"), tr)
    ok = _trace(fig, "bars:ok")
    # each process's k-th op in slot k, at unit spacing
    assert [(i, b) for i, b in zip(ok.customdata, ok.base)] == [(0, 0.1), (1, 0.1), (2, 1.1), (3, 0.1)]
    assert [a.text for a in fig.layout.annotations] == [f"<i>{tr('model.timeline.untimed')}</i>"]
    assert fig.layout.xaxis.title.text == tr("model.timeline.axis.program_order")
    order = _trace(fig, "order")
    assert list(order.customdata) == [3, 2, 0, 1] and list(order.text) == ["1", "2", "3", "4"]
    assert "points" not in _metas(fig)


def test_points_on_an_untimed_history_become_numbers():
    fig = timeline_figure(UNTIMED, _ok(UNTIMED, [1, 0], {0: 2.0, 1: 1.0}), EN)
    assert list(_trace(fig, "order").customdata) == [1, 0] and "points" not in _metas(fig)


@pytest.mark.parametrize("tr", [EN, ZH])
def test_illegal_witness_highlights_and_arrows(tr):
    fig = timeline_figure(TIMED, ILLEGAL, tr)
    assert list(_trace(fig, "culprit").customdata) == [2] and _trace(fig, "culprit-star").marker.symbol == "star"
    assert list(_trace(fig, "core").customdata) == [0, 1, 2]
    rt, po, rf = _trace(fig, "edges:rt"), _trace(fig, "edges:po"), _trace(fig, "edges:rf")
    assert (rt.name, po.name, rf.name) == tuple(tr(f"model.timeline.legend.edge.{k}") for k in ("rt", "po", "rf"))
    assert len({rt.line.dash, po.line.dash, rf.line.dash}) == 3  # styled apart, not only by colour
    # rt: from W(x)1's return (4) to R(x)0's call (7), and from R(x)1's return (6) to the same call
    assert list(rt.x) == [4, 7, None, 6, 7, None] and list(rt.y) == [0, 0, None, 1, 0, None]
    assert list(rt.marker.size) == [0, 13, 0, 0, 13, 0] and rt.marker.symbol == "arrow"
    assert list(po.x)[:2] == [6, 8]
    assert list(rf.x)[:2] == [2.0, 4.0]  # middle of the write to the middle of the read
    assert tr("model.timeline.legend.culprit") == _trace(fig, "culprit").name


def test_cycle_without_edges_is_drawn_as_a_closed_ring():
    fig = timeline_figure(UNTIMED, Verdict("causal", "illegal", witness={"cycle": [0, 1, 2]}), EN)
    assert list(_trace(fig, "cycle").customdata) == [0, 1, 2]
    ring = _trace(fig, "edges:cycle")
    assert sum(1 for s in ring.marker.size if s) == 3  # 0→1, 1→2, 2→0


def test_highlight_draws_a_band_under_the_chosen_ops():
    fig = timeline_figure(TIMED, None, EN, highlight=[3, 3, 42])
    band = _trace(fig, "highlight")
    assert list(band.customdata) == [3] and fig.data[0] is band  # drawn first: under the bars
    assert band.name == EN("model.timeline.legend.highlight")


@pytest.mark.parametrize("tr", [EN, ZH])
def test_hover_text_is_translated(tr):
    fig = timeline_figure(TIMED, None, tr)
    ok_hover = _trace(fig, "bars:ok").hovertext[0]
    assert tr("model.timeline.hover.interval", call=0, ret=4) in ok_hover
    assert tr("model.timeline.status.ok") in ok_hover
    assert tr("model.timeline.hover.pending", call=1) in _trace(fig, "bars:info").hovertext[0]
    assert tr("model.timeline.status.fail") in _trace(fig, "bars:fail").hovertext[0]
    untimed = timeline_figure(UNTIMED, None, tr)
    assert tr("model.timeline.hover.untimed", n=2, process="P1") in _trace(untimed, "bars:ok").hovertext[2]


def test_empty_history():
    fig = timeline_figure(History(()), None, EN)
    assert not fig.data and fig.layout.annotations[0].text == f"<i>{EN('model.timeline.empty')}</i>"


def test_timeline_is_deterministic_and_readable():
    a = timeline_figure(TIMED, ILLEGAL, ZH, highlight=[1]).to_json()
    assert a == timeline_figure(TIMED, ILLEGAL, ZH, highlight=[1]).to_json()
    fig = timeline_figure(TIMED, ILLEGAL, EN)
    assert fig.layout.font.size >= 14 and fig.layout.legend.font.size >= 14
    assert all(t.textfont.size >= 14 for t in fig.data if t.textfont and t.textfont.size is not None)
