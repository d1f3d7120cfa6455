"""A verdict's witness drawn on the message-sequence diagram: bands on the client lanes
between each marked operation's invoke and return events, points inside them."""

from __future__ import annotations

import numpy as np

from checkers.from_trace import history_from_trace
from checkers.marks import marks
from checkers.verdict import Verdict
from lessons.presets import load_preset
from sim.engine import run
from ui.i18n import translate, translator
from viz.msc import msc_figure, msc_layout
from viz.msc_marks import mark_traces


def _run():
    trace = run(load_preset("two-phase-commit-happy-path"))
    history, op_events = history_from_trace(trace)
    assert history.ops, "the preset must have client operations"
    return trace, history, op_events


def test_culprit_and_core_become_bands_from_invoke_to_return():
    trace, history, op_events = _run()
    op = history.ops[0]
    verdict = Verdict("linearizable", "illegal", witness={"culprit": op.id, "core": [op.id]})
    layout = msc_layout(trace, translator("en"))
    traces = mark_traces(layout, history, marks(history, verdict), op_events, lambda k, **a: translate("en", k, **a))
    by_meta = {t["meta"]: t for t in traces}
    assert set(by_meta) == {"mark:culprit", "mark:core"}
    invoke, ret = op_events[op.id]
    x_of = dict(zip(layout.p_event.tolist(), layout.px("time").tolist()))
    lane_of = dict(zip(layout.p_event.tolist(), layout.p_lane.tolist()))
    band = by_meta["mark:culprit"]
    assert band["x"][:2] == [x_of[invoke], x_of[ret]]
    assert band["y"][:2] == [lane_of[invoke], lane_of[invoke]]
    assert by_meta["mark:core"]["name"] == "minimal core"


def test_points_sit_inside_their_bands_and_edges_join_bands():
    trace, history, op_events = _run()
    ops = [o for o in history.ops if o.status == "ok"]
    order = [o.id for o in sorted(ops, key=lambda o: o.call)]
    points = {o.id: (o.call + o.ret) / 2 for o in ops}
    verdict = Verdict("linearizable", "ok", witness={"order": order, "points": points,
                                                     "edges": [[order[0], order[-1], "rt"]]})
    layout = msc_layout(trace, translator("zh"))
    traces = mark_traces(layout, history, marks(history, verdict), op_events, lambda k, **a: translate("zh", k, **a),
                         axis="step")
    pts = next(t for t in traces if t["meta"] == "mark:point")
    assert pts["name"] == "线性化点" and len(pts["x"]) == len(ops)
    x_of = dict(zip(layout.p_event.tolist(), layout.px("step").tolist()))
    for x, op_id in zip(pts["x"], order):
        invoke, ret = op_events[op_id]
        assert x_of[invoke] <= x <= x_of[ret]
    edge = next(t for t in traces if t["meta"] == "mark:edge:rt")
    assert edge["x"][0] == x_of[op_events[order[0]][1]] and edge["x"][1] == x_of[op_events[order[-1]][0]]
    # the traces go straight onto the diagram
    fig = msc_figure(trace, len(trace.steps) - 1, translator("zh"), axis="step")
    fig.add_traces(traces)
    assert any(getattr(t, "meta", None) == "mark:point" for t in fig.data)


def test_unknown_verdicts_and_unmapped_ops_draw_nothing():
    trace, history, op_events = _run()
    layout = msc_layout(trace, translator("en"))
    assert mark_traces(layout, history, marks(history, Verdict("linearizable", "unknown")), op_events, str) == []
    op = history.ops[0]
    verdict = Verdict("linearizable", "illegal", witness={"culprit": op.id})
    assert mark_traces(layout, history, marks(history, verdict), {}, str) == []
    assert np.isfinite(layout.px("time")).all()
