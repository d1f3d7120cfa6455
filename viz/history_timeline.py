"""The history timeline: one row per process, one bar per operation, the verdict's witness on top.

Theory of operation
-------------------
``timeline_figure(history, verdict, tr, highlight=...)`` is the textbook picture of a
concurrent history (Herlihy & Wing 1990, Fig. 1; Porcupine's visualisation): time flows right,
each process is a row (first process on top), and each operation is a bar from its call to its
return, labelled with ``Op.label()`` (``W(x)1``, ``R(x)2``…).

* ``ok`` ops are solid bars; ``info`` ops (indeterminate: took effect at some instant after the
  call, or never) are hatched and run to the right edge; ``fail`` ops (no effect) are grey.
* An *untimed* history (no call/return: sequential and weaker models only) has no real time:
  each process's ops are laid out in program order at unit spacing, and a note says so.
* The witness comes from ``checkers.marks.marks`` (the pure step between checking and
  drawing): for ``ok``, the linearization points joined in linearization order, or — when the
  witness is an order without points, e.g. a sequential order that ignores real time — each
  op numbered by its position; for ``illegal``, the culprit (vermillion outline and a star at its end),
  the minimal core (thick outline), a cycle (purple outline; arrows along it unless the witness
  also gives edges) and relation edges as arrows, one trace per kind: real time ``rt`` solid
  blue from a's return to b's call, program order ``po`` black dotted, reads-from ``rf`` green
  dashed from the middle of the write to the middle of the read.

Bars are horizontal ``go.Bar`` traces (``base`` = start), one per status, so there are a few
traces whatever the history's size; arrows are segments separated by ``None`` with arrowhead
markers oriented by ``angleref="previous"`` (as in ``viz/msc.py``). Colours are the Okabe–Ito
constants of ``viz/style.py`` and every cue also differs in outline, hatch, dash or symbol.
Nothing here is random: the same inputs give the same figure. ``customdata`` of a bar is its op
id, so a page can map a click back to the op.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

import plotly.graph_objects as go

from checkers.history import History, Op
from checkers.marks import Mark, marks
from checkers.verdict import Verdict
from viz import style

Translate = Callable[..., str]

BAR_WIDTH = 0.38  # in row units
FONT_SIZE = 15
STATUS_FILL = {"ok": style.OI_SKY, "info": "#FFFFFF", "fail": style.LIGHT_GREY}
STATUS_LINE = {"ok": style.OI_BLUE, "info": style.OI_BLUE, "fail": style.GREY}
# edge kind -> (colour, dash)
EDGE_STYLE = {"rt": (style.OI_BLUE, "solid"), "po": (style.OI_BLACK, "dot"), "rf": (style.OI_GREEN, "dash"),
              "cycle": (style.OI_PURPLE, "dashdot")}
POINT_COLOUR = style.OI_ORANGE


@dataclass(frozen=True, slots=True)
class Geometry:
    """Where each op's bar is: ``bars[id] = (start, end, row)``; ``right`` is the info bars' end."""

    bars: Mapping[int, tuple[float, float, int]]
    rows: tuple[str, ...]
    left: float
    right: float
    timed: bool


def timeline_figure(history: History, verdict: Verdict | None, tr: Translate, *,
                    highlight: Iterable[int] = ()) -> go.Figure:
    """The timeline of ``history`` with ``verdict``'s witness drawn on it (``None``: bars only)."""
    geo = geometry(history)
    if not history.ops:
        return go.Figure(layout=_layout(geo, tr, note=tr("model.timeline.empty")))
    ops = {o.id: o for o in history.ops}
    found = marks(history, verdict)
    traces: list[Any] = []
    lit = [i for i in dict.fromkeys(highlight) if i in geo.bars]
    if lit:
        traces.append(_outline_trace([ops[i] for i in lit], geo, name=tr("model.timeline.legend.highlight"),
                                     fill=style.colour("highlight"), line=style.colour("highlight"), width=0,
                                     bar_width=BAR_WIDTH + 0.3, meta="highlight"))
    for status in ("ok", "info", "fail"):
        group = [o for o in history.ops if o.status == status]
        if group:
            traces.append(_bar_trace(group, geo, status, tr))
    traces += _witness_traces(found, ops, geo, tr)
    traces.append(_label_trace(history.ops, geo))
    note = None if history.timed else tr("model.timeline.untimed")
    return go.Figure(data=traces, layout=_layout(geo, tr, note=note))


# ---------------------------------------------------------------------------- geometry
def geometry(history: History) -> Geometry:
    """Bar extents: call→return in real time, or program-order slots for an untimed history."""
    rows = tuple(history.processes())
    row_of = {p: i for i, p in enumerate(rows)}
    bars: dict[int, tuple[float, float, int]] = {}
    if not history.timed:
        for proc, ops in history.by_process().items():
            for k, o in enumerate(ops):
                bars[o.id] = (k + 0.1, k + 0.9, row_of[proc])
        width = max((len(ops) for ops in history.by_process().values()), default=1)
        return Geometry(bars, rows, 0.0, float(width), False)
    times = [t for o in history.ops for t in (o.call, o.ret) if t is not None]
    left, last = (float(min(times)), float(max(times))) if times else (0.0, 1.0)
    right = last + max(1.0, 0.08 * (last - left))  # info bars run past every real event
    for o in history.ops:
        end = float(o.ret) if o.ret is not None else right if o.status == "info" else float(o.call)
        bars[o.id] = (float(o.call), end, row_of[o.process])
    return Geometry(bars, rows, left, right, True)


def _mid(geo: Geometry, op_id: int) -> float:
    start, end, _row = geo.bars[op_id]
    return (start + end) / 2


# ---------------------------------------------------------------------------- bars and labels
def _hover(o: Op, geo: Geometry, tr: Translate, n: int | None = None) -> str:
    if not geo.timed:
        when = tr("model.timeline.hover.untimed", n=n, process=o.process)
    elif o.ret is None:
        when = tr("model.timeline.hover.pending", call=o.call)
    else:
        when = tr("model.timeline.hover.interval", call=o.call, ret=o.ret)
    return f"<b>{o.label()}</b> · {o.process}<br>{when}<br>{tr(f'model.timeline.status.{o.status}')}"


def _bar_trace(group: list[Op], geo: Geometry, status: str, tr: Translate) -> go.Bar:
    position = _program_positions(group, geo)
    start = [geo.bars[o.id][0] for o in group]
    return go.Bar(
        orientation="h", base=start, x=[geo.bars[o.id][1] - s for o, s in zip(group, start)],
        y=[geo.bars[o.id][2] for o in group], width=BAR_WIDTH, name=tr(f"model.timeline.legend.{status}"),
        marker=dict(color=STATUS_FILL[status], line=dict(color=STATUS_LINE[status], width=1.5),
                    pattern=dict(shape="/", fgcolor=style.OI_BLUE, size=8) if status == "info" else None),
        customdata=[o.id for o in group], meta=f"bars:{status}",
        hovertext=[_hover(o, geo, tr, position.get(o.id)) for o in group], hovertemplate="%{hovertext}<extra></extra>")


def _program_positions(group: list[Op], geo: Geometry) -> dict[int, int]:
    """1-based program-order position of each op (untimed hover), read off its slot."""
    return {o.id: int(geo.bars[o.id][0]) + 1 for o in group} if not geo.timed else {}


def _label_trace(ops: tuple[Op, ...], geo: Geometry) -> go.Scatter:
    return go.Scatter(
        x=[_mid(geo, o.id) for o in ops], y=[geo.bars[o.id][2] - BAR_WIDTH / 2 - 0.16 for o in ops], mode="text",
        text=[o.label() for o in ops], textposition="top center", hoverinfo="skip", showlegend=False,
        textfont=dict(size=FONT_SIZE, color=[style.GREY if o.status == "fail" else style.colour("text") for o in ops]),
        meta="labels")


def _outline_trace(group: list[Op], geo: Geometry, *, name: str, fill: str, line: str, width: float,
                   bar_width: float = BAR_WIDTH, meta: str) -> go.Bar:
    start = [geo.bars[o.id][0] for o in group]
    return go.Bar(
        orientation="h", base=start, x=[geo.bars[o.id][1] - s for o, s in zip(group, start)],
        y=[geo.bars[o.id][2] for o in group], width=bar_width, name=name, meta=meta,
        marker=dict(color=fill, line=dict(color=line, width=width)), hoverinfo="skip",
        customdata=[o.id for o in group])


# ---------------------------------------------------------------------------- the witness
def _witness_traces(found: list[Mark], ops: Mapping[int, Op], geo: Geometry, tr: Translate) -> list[Any]:
    by_kind: dict[str, list[Mark]] = {}
    for m in found:
        by_kind.setdefault(m.kind, []).append(m)
    out: list[Any] = []
    none = "rgba(0,0,0,0)"
    for kind, colour, width in (("core", style.OI_BLACK, 3.5), ("cycle", style.OI_PURPLE, 3.5)):
        if kind in by_kind:
            ids = list(dict.fromkeys(i for m in by_kind[kind] for i in m.op_ids))
            out.append(_outline_trace([ops[i] for i in ids], geo, name=tr(f"model.timeline.legend.{kind}"),
                                      fill=none, line=colour, width=width, bar_width=BAR_WIDTH + 0.12, meta=kind))
    if "culprit" in by_kind:
        ids = [m.op_ids[0] for m in by_kind["culprit"]]
        out.append(_outline_trace([ops[i] for i in ids], geo, name=tr("model.timeline.legend.culprit"), fill=none,
                                  line=style.OI_VERMILLION, width=4.5, bar_width=BAR_WIDTH + 0.2, meta="culprit"))
        # the star sits on the bar's end: arrows into the culprit arrive at its start
        out.append(go.Scatter(x=[geo.bars[i][1] for i in ids], y=[geo.bars[i][2] for i in ids], mode="markers",
                              marker=dict(symbol="star", size=20, color=style.OI_VERMILLION,
                                          line=dict(color=style.OI_BLACK, width=1)),
                              showlegend=False, hoverinfo="skip", meta="culprit-star"))
    edges = by_kind.get("edge", [])
    for kind in ("rt", "po", "rf"):
        segs = [_edge_segment(m.op_ids, kind, geo) for m in edges if m.edge_kind == kind]
        if segs:
            out.append(_arrow_trace(segs, kind, tr(f"model.timeline.legend.edge.{kind}")))
    if "cycle" in by_kind and not edges:
        for m in by_kind["cycle"]:
            ring = list(m.op_ids) + [m.op_ids[0]]
            segs = [_edge_segment((a, b), "rf", geo) for a, b in zip(ring, ring[1:])]
            out.append(_arrow_trace(segs, "cycle", tr("model.timeline.legend.cycle"), legend=False))
    if "point" in by_kind and geo.timed:
        out.append(_points_trace(by_kind["point"], geo, tr))
    elif "point" in by_kind or "order" in by_kind:
        out.append(_order_trace(by_kind.get("point") or by_kind["order"], geo, tr))
    return out


def _edge_segment(ids: tuple[int, ...], kind: str, geo: Geometry) -> tuple[float, float, float, float]:
    """rt/po: from a's end to b's start (the gap is the point); rf: middle of write to middle of read,
    along the bars' lower edge so it never hides a label."""
    a, b = ids
    (a0, a1, ra), (b0, b1, rb) = geo.bars[a], geo.bars[b]
    if kind == "rf":
        drop = BAR_WIDTH / 2
        return (a0 + a1) / 2, ra + drop, (b0 + b1) / 2, rb + drop
    return a1, ra, b0, rb


def _arrow_trace(segs: list[tuple[float, float, float, float]], kind: str, name: str,
                 legend: bool = True) -> go.Scatter:
    xs: list[float | None] = []
    ys: list[float | None] = []
    sizes: list[float] = []
    for x0, y0, x1, y1 in segs:
        xs += [x0, x1, None]
        ys += [y0, y1, None]
        sizes += [0, 13, 0]
    colour, dash = EDGE_STYLE[kind]
    return go.Scatter(x=xs, y=ys, mode="lines+markers", name=name, showlegend=legend, hoverinfo="skip",
                      line=dict(color=colour, width=2.5, dash=dash), meta=f"edges:{kind}",
                      marker=dict(symbol="arrow", size=sizes, color=colour, angleref="previous"))


def _points_trace(points: list[Mark], geo: Geometry, tr: Translate) -> go.Scatter:
    ids = [m.op_ids[0] for m in points]
    return go.Scatter(
        x=[m.time for m in points], y=[geo.bars[i][2] for i in ids], mode="lines+markers+text",
        name=tr("model.timeline.legend.point"), meta="points",
        line=dict(color=POINT_COLOUR, width=2, dash="dot"),
        marker=dict(symbol="diamond", size=14, color=POINT_COLOUR, line=dict(color=style.OI_BLACK, width=1.2)),
        text=[m.label for m in points], textposition="bottom center",
        textfont=dict(size=14, color=style.OI_BLACK), customdata=ids,
        hovertext=[tr("model.timeline.hover.point", n=m.label, time=_fmt(m.time)) for m in points],
        hovertemplate="%{hovertext}<extra></extra>")


def _order_trace(order: list[Mark], geo: Geometry, tr: Translate) -> go.Scatter:
    ids = [m.op_ids[0] for m in order]
    return go.Scatter(
        x=[_mid(geo, i) for i in ids], y=[geo.bars[i][2] for i in ids], mode="markers+text",
        name=tr("model.timeline.legend.order"), meta="order",
        marker=dict(symbol="circle", size=24, color="#FFFFFF", line=dict(color=style.OI_BLACK, width=1.5)),
        text=[m.label for m in order], textposition="middle center", textfont=dict(size=14, color=style.OI_BLACK),
        customdata=ids, hovertext=[tr("model.timeline.hover.order", n=m.label) for m in order],
        hovertemplate="%{hovertext}<extra></extra>")


def _fmt(t: float | None) -> str:
    return "" if t is None else f"{t:.2f}".rstrip("0").rstrip(".")


# ---------------------------------------------------------------------------- layout
def _layout(geo: Geometry, tr: Translate, note: str | None) -> dict[str, Any]:
    rows = list(range(len(geo.rows)))
    span = max(geo.right - geo.left, 1.0)
    xaxis: dict[str, Any] = dict(range=[geo.left - 0.04 * span, geo.right + 0.02 * span], zeroline=False,
                                 showgrid=True, gridcolor=style.colour("grid"), tickfont=dict(size=14),
                                 title=dict(text=tr("model.timeline.axis.time" if geo.timed
                                                    else "model.timeline.axis.program_order")))
    if not geo.timed:
        slots = list(range(int(geo.right)))
        xaxis.update(tickvals=[k + 0.5 for k in slots], ticktext=[str(k + 1) for k in slots], showgrid=False)
    annotations = []
    if note:
        annotations.append(dict(text=f"<i>{note}</i>", xref="paper", yref="paper", x=0, y=1.0, xanchor="left",
                                yanchor="bottom", showarrow=False, font=dict(size=14, color=style.colour("text"))))
    return dict(
        height=max(260, 90 * len(rows) + 170), margin=dict(l=10, r=10, t=40, b=10), barmode="overlay",
        font=dict(size=FONT_SIZE), hovermode="closest", hoverlabel=dict(font=dict(size=14)), dragmode="pan",
        legend=dict(orientation="h", x=0, y=-0.18, yanchor="top", font=dict(size=14)),
        xaxis=xaxis, annotations=annotations, plot_bgcolor="#FFFFFF", paper_bgcolor="#FFFFFF",
        yaxis=dict(tickvals=rows, ticktext=list(geo.rows), autorange=False,
                   range=[len(rows) - 0.4, -0.75] if rows else [0.5, -0.5], zeroline=False,
                   showgrid=False, fixedrange=True, tickfont=dict(size=FONT_SIZE),
                   title=dict(text=tr("model.timeline.axis.process"))),
        uirevision="history-timeline",
    )
