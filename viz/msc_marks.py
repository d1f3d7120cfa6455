"""A verdict's witness drawn on the message-sequence diagram of the run it came from.

Theory of operation
-------------------
``checkers.marks.marks(history, verdict)`` says *which operations* to show (the culprit, the
minimal core, the linearization points, the edges); ``checkers.from_trace`` says which
``invoke`` and ``return`` events of the trace each operation is. This module joins the two
on an ``MscLayout``: every marked operation becomes a translucent band along its client's
node lane from its invoke event to its return event (or to the right edge while it is still
pending), a linearization point becomes a diamond on that band at the same fraction of the
operation's interval as in the history, and an edge between two operations an arrow from
the end of one band to the start of the other. The result is a list of plotly trace dicts
(each with ``meta`` = ``"mark:<kind>"``) that ``viz.msc.msc_figure`` output can take with
``fig.add_traces`` — the diagram itself is not rebuilt.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np

from checkers.history import History
from checkers.marks import Mark
from viz.msc import MscLayout

# (colour, band width) per mark kind; colour-blind-safe hues, the kind is also in the legend
MARK_STYLE = {"culprit": ("#d62728", 12.0), "core": ("#ff7f0e", 9.0), "cycle": ("#9467bd", 9.0),
              "point": ("#2ca02c", 6.0), "order": ("#2ca02c", 6.0)}
EDGE_COLOURS = {"rt": "#444444", "po": "#1f77b4", "rf": "#9467bd"}


def _event_x(layout: MscLayout, axis: str) -> dict[int, tuple[float, int]]:
    """Event index → (x, lane) for every point event of the layout."""
    xs = layout.px(axis)
    return {int(e): (float(x), int(lane)) for e, x, lane in zip(layout.p_event, xs, layout.p_lane)}


def mark_traces(layout: MscLayout, history: History, marks: Sequence[Mark],
                op_events: Mapping[int, tuple[int, int | None]], tr: Callable[..., str], *,
                axis: str = "time") -> list[dict[str, Any]]:
    """Plotly trace dicts drawing ``marks`` over the diagram laid out by ``layout``."""
    where = _event_x(layout, axis)
    right = float(np.nanmax(layout.px(axis))) if len(layout.p_event) else 0.0
    ops = {o.id: o for o in history.ops}

    def band(op_id: int) -> tuple[float, float, int] | None:
        events = op_events.get(op_id)
        if events is None or events[0] not in where:
            return None
        x0, lane = where[events[0]]
        x1 = where[events[1]][0] if events[1] is not None and events[1] in where else right
        return x0, x1, lane

    out: list[dict[str, Any]] = []
    for kind in ("core", "cycle", "culprit"):
        xs: list[float] = []
        ys: list[float] = []
        hover: list[str] = []
        for m in (m for m in marks if m.kind == kind):
            for op_id in m.op_ids:
                b = band(op_id)
                if b is None:
                    continue
                xs += [b[0], b[1], np.nan]
                ys += [b[2], b[2], np.nan]
                hover += [ops[op_id].label()] * 3
        if xs:
            colour, width = MARK_STYLE[kind]
            out.append(dict(type="scatter", x=xs, y=ys, mode="lines", name=tr(f"viz.marks.{kind}"),
                            meta=f"mark:{kind}", opacity=0.45, hovertext=hover,
                            hovertemplate="%{hovertext}<extra></extra>",
                            line=dict(color=colour, width=width)))
    points = [m for m in marks if m.kind in ("point", "order")]
    if points:
        xs, ys, text = [], [], []
        for m in points:
            op_id = m.op_ids[0]
            b = band(op_id)
            if b is None:
                continue
            o = ops[op_id]
            frac = 0.5
            if m.time is not None and o.ret is not None and o.ret > o.call:
                frac = min(1.0, max(0.0, (m.time - o.call) / (o.ret - o.call)))
            xs.append(b[0] + frac * (b[1] - b[0]))
            ys.append(b[2])
            text.append(m.label)
        colour, _width = MARK_STYLE["point"]
        out.append(dict(type="scatter", x=xs, y=ys, mode="markers+text", text=text, textposition="top center",
                        name=tr("viz.marks.point"), meta="mark:point", hoverinfo="skip",
                        marker=dict(symbol="diamond", size=11, color=colour, line=dict(width=1, color="white"))))
    edges = [m for m in marks if m.kind == "edge" and len(m.op_ids) == 2]
    for edge_kind in ("rt", "po", "rf"):
        xs, ys = [], []
        for m in (m for m in edges if m.edge_kind == edge_kind):
            a, b = band(m.op_ids[0]), band(m.op_ids[1])
            if a is None or b is None:
                continue
            xs += [a[1], b[0], np.nan]
            ys += [a[2], b[2], np.nan]
        if xs:
            out.append(dict(type="scatter", x=xs, y=ys, mode="lines+markers", name=tr(f"viz.marks.edge_{edge_kind}"),
                            meta=f"mark:edge:{edge_kind}", hoverinfo="skip",
                            line=dict(color=EDGE_COLOURS[edge_kind], width=2, dash="dot" if edge_kind == "po" else None),
                            marker=dict(symbol="arrow", angleref="previous", size=[0, 10, 0] * (len(xs) // 3),
                                        color=EDGE_COLOURS[edge_kind])))
    return out
