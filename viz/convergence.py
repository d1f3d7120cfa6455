"""The convergence view: each replica's value over the steps of a run, until they agree.

Theory of operation
-------------------
Eventual (and strong eventual) consistency is a statement about the future: once updates
stop, replicas come to hold the same value (Vogels 2009; Shapiro et al. 2011). The view
makes that visible: one stair line per replica, its value at every step where it changed,
and a vertical marker at the **convergence step** — the first step from which every replica
holds the same value until the end of the run (``convergence_step``). Without one the title
says the replicas never agreed.

Values may be numbers (counters) or anything else (registers, sets, sibling lists). Numbers
share a numeric axis; anything else is drawn on a categorical axis whose categories are the
values' canonical text (``value_text``: sorted for sets, so ``{b, a}`` and ``{a, b}`` are
one category), in order of first appearance.

Input is a plain ``{replica: [(step, value), ...]}`` series (ascending steps, a replica's
value holding until its next point), produced by the protocol side (for instance
``protocols.crdt_replica``); this module knows nothing about traces or Streamlit.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import plotly.graph_objects as go

from viz.style import palette

Series = Mapping[str, Sequence[tuple[int, Any]]]
Translate = Callable[..., str]

_LINE_COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#B59B00", "#000000")


def value_text(value: Any) -> str:
    """A canonical, short text for a replica's value (sets sorted, so equal values read alike)."""
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(value_text(v) for v in value)) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(value_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {value_text(v)}" for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))) + "}"
    if value is None:
        return "⊥"
    return str(value)


def value_at(points: Sequence[tuple[int, Any]], step: int) -> Any:
    """The value a replica holds after ``step`` (its last point at or before it; None before the first)."""
    current = None
    for s, v in points:
        if s > step:
            break
        current = v
    return current


def convergence_step(series: Series, last_step: int) -> int | None:
    """The first step from which every replica holds the same value through ``last_step``; None if
    they disagree at the end (or there are no replicas)."""
    if not series:
        return None
    changes = sorted({s for points in series.values() for s, _v in points if s <= last_step} | {0})
    agreed_from = None
    for s in changes:
        texts = {value_text(value_at(points, s)) for points in series.values()}
        if len(texts) == 1:
            if agreed_from is None:
                agreed_from = s
        else:
            agreed_from = None
    return agreed_from


def convergence_figure(series: Series, last_step: int, tr: Translate, *, cursor: int | None = None,
                       height: int = 320) -> go.Figure:
    """Stair lines per replica, the convergence step marked (and the player's cursor, if given)."""
    colours = palette()
    numeric = all(isinstance(v, (int, float)) and not isinstance(v, bool)
                  for points in series.values() for _s, v in points)
    fig = go.Figure()
    for k, (replica, points) in enumerate(sorted(series.items())):
        if not points:
            continue
        xs = [s for s, _v in points] + [last_step]  # the last value holds to the end of the run
        ys = [v if numeric else value_text(v) for _s, v in points]
        ys = ys + ys[-1:]
        fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines+markers", line={"shape": "hv", "width": 2.5,
                                                                         "color": _LINE_COLOURS[k % len(_LINE_COLOURS)]},
                                 name=replica, hovertemplate=f"{replica} · " + tr("conv.hover") + "<extra></extra>"))
    at = convergence_step(series, last_step)
    if at is not None:
        fig.add_vline(x=at, line={"color": colours["ok"], "dash": "dash", "width": 2})
        fig.add_annotation(x=at, y=1.0, yref="paper", text=tr("conv.converged_at", step=at), showarrow=False,
                           xanchor="left", yanchor="bottom", font={"size": 13})
        title = tr("conv.title_converged", step=at)
    else:
        title = tr("conv.title_diverged")
    if cursor is not None:
        fig.add_vline(x=cursor, line={"color": colours["text"], "width": 1})
    fig.update_layout(title=title, height=height, margin={"l": 60, "r": 20, "t": 60, "b": 40},
                      xaxis_title=tr("conv.step"), yaxis_title=tr("conv.value"), legend_title=tr("conv.replica"),
                      plot_bgcolor="white")
    if not numeric:
        fig.update_yaxes(type="category")
    return fig
