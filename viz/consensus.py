"""Consensus views: the log matrix and the term/ballot timeline, drawn from ``ProtocolSpec.replica_view``.

Theory of operation
-------------------
A consensus protocol says how to read one node's snapshot as a replica (``ReplicaView``: live
role, epoch — Raft's term or a Paxos ballot — and log entries). Everything here is built from
that reading only, so it works for Raft, single-decree Paxos, Multi-Paxos and any later
protocol that gives ``replica_view``; for a spec without one every function returns empty
data and the figures say there is nothing to show.

* ``replica_history(trace, spec)`` walks the run **once**: it applies ``trace.diffs`` step by
  step with ``sim.trace.apply_diff`` (no ``states_at`` per step; it knows the diff encoding,
  e.g. log splices) and re-reads a node's view only at steps where that node's diff touched a
  real field (the simulator's ``armed_timers`` pseudo-field alone never changes a replica). It
  keeps, per node, the change points of ``(role, epoch, up)`` and every step at which the entry
  at an index was *replaced* by a different one (Raft's follower truncating a conflicting
  suffix, then appending the leader's entry). O(steps + changed steps × log length).
* ``role_segments`` turns the change points into lanes: one segment per stretch of constant
  role, epoch and up/down, clipped at the cursor. A node is *down* while the trace says it is
  crashed (``Trace.down_intervals``) or its view says ``up=False``.
* ``log_matrix_data`` reads the views at the cursor: one cell per (node, index) with its epoch,
  label and three flags — ``committed`` (the node knows it is committed), ``conflict`` (another
  node holds a different entry at the same index right now), ``overwritten`` (this node held a
  different entry at this index earlier in the run). Only the last ``LOG_WINDOW`` indices are
  drawn; the data says which window it is. ``committed_prefix`` of a row is the run of
  committed entries from index 1 (for Raft: ``max(commit_index, len(applied))``).
* ``live_roles`` / ``leaders_at`` give the views at the cursor; ``viz/topology.py`` uses them for
  its leader ★ and candidate ◆ markers.

Figures are a few vectorised plotly traces (a heatmap for the cells, outlines as polylines
separated by ``None``, one bar trace per role for the lanes), never one shape per cell.
Epoch colours cycle through tints of the Okabe–Ito palette (colour-blind safe, vermillion kept
for warnings) and the epoch number is written in every cell and segment, so colour is never
the only cue. Pure: no Streamlit, no clock, no randomness.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from sim.protocol import ProtocolSpec, ReplicaView
from sim.trace import TIMERS_FIELD, Trace
from sim.trace import apply_diff
from viz import style
from viz.msc import _to_t, _tr

Translate = Callable[..., str]

LOG_WINDOW = 40  # log indices drawn at most (the last ones)
MIN_COLUMNS = 12  # the x axis spans at least this many indices, so a short log keeps compact cells
DOWN = "down"  # role of a crashed stretch in ``role_segments``


def _tint(hex_colour: str, amount: float) -> str:
    """``hex_colour`` mixed with white (``amount`` of the colour kept): dark text stays readable."""
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    mix = [round(255 - (255 - c) * amount) for c in (r, g, b)]
    return "#" + "".join(f"{c:02X}" for c in mix)


# epoch e is drawn in EPOCH_COLOURS[e % 6]: consecutive epochs always differ
# (ordered so that consecutive epochs and epochs two apart — Raft's 1, 3, 5 in Figure 8 — differ in hue)
EPOCH_COLOURS = tuple(_tint(c, 0.55) for c in (style.OI_SKY, style.OI_ORANGE, style.OI_PURPLE, style.OI_BLUE,
                                                 style.OI_YELLOW, style.OI_GREEN))
EPOCH_NONE = "#F4F5F7"  # epoch 0: no ballot/term known
CRASHED_CELL = style.LIGHT_GREY
CONFLICT = style.OI_VERMILLION
OVERWRITTEN = style.OI_BLACK
COMMIT_LINE = style.OI_BLACK
FONT_SIZE = 13


def epoch_colour(epoch: int) -> str:
    return EPOCH_NONE if epoch <= 0 else EPOCH_COLOURS[epoch % len(EPOCH_COLOURS)]


# ============================================================================ data
@dataclass(frozen=True)
class ReplicaHistory:
    """What ``replica_history`` learns in one walk over the run (see the module doc)."""

    n_steps: int
    # per node: [(step, role, epoch, up)] at step 0 and at every change of one of the three
    points: Mapping[str, tuple[tuple[int, str, int, bool], ...]] = field(default_factory=dict)
    # per node: [(step, index)] each time the entry at ``index`` was replaced by a different one
    replaced: Mapping[str, tuple[tuple[int, int], ...]] = field(default_factory=dict)


CELL_COLUMNS = {"node": str, "row": int, "index": int, "epoch": int, "label": str, "committed": bool,
                "conflict": bool, "overwritten": bool, "up": bool}
ROW_COLUMNS = {"node": str, "row": int, "role": str, "epoch": int, "up": bool, "length": int,
               "committed_prefix": int}
SEGMENT_COLUMNS = {"node": str, "lane": int, "start": int, "end": int, "role": str, "epoch": int, "up": bool}


def _frame(rows: list[tuple], columns: Mapping[str, type]) -> pd.DataFrame:
    """A frame with one dtype per column even when empty (so boolean masks work on it)."""
    return pd.DataFrame(rows, columns=list(columns)).astype(dict(columns))


def has_views(spec: ProtocolSpec | None) -> bool:
    return spec is not None and spec.replica_view is not None


def _view(spec: ProtocolSpec, state: Mapping[str, Any]) -> ReplicaView | None:
    return spec.replica_view(state)  # a protocol's own pure reading; its tests cover every field it reads


def replica_history(trace: Trace, spec: ProtocolSpec | None) -> ReplicaHistory:
    """One pass over ``trace.diffs`` (see the module doc); empty for a spec without ``replica_view``."""
    if not has_views(spec):
        return ReplicaHistory(n_steps=trace.n_steps)
    crash_at: dict[int, list[tuple[str, bool]]] = {}
    for iv in trace.down_intervals():
        crash_at.setdefault(iv.start, []).append((iv.what, False))
        if iv.end is not None:
            crash_at.setdefault(iv.end, []).append((iv.what, True))
    states: dict[str, dict[str, Any]] = {n: {} for n in trace.nodes}
    alive = {n: True for n in trace.nodes}
    points: dict[str, list[tuple[int, str, int, bool]]] = {n: [] for n in trace.nodes}
    replaced: dict[str, list[tuple[int, int]]] = {n: [] for n in trace.nodes}
    held: dict[str, dict[int, str]] = {n: {} for n in trace.nodes}  # last entry held at each index, kept
    # across a truncation, so "truncate, then append a different entry" counts as a replacement
    views: dict[str, ReplicaView | None] = {n: None for n in trace.nodes}
    for step in range(trace.n_steps):
        diff = {node: fields for node, fields in trace.diffs[step].items() if node in states}
        apply_diff(states, diff)  # the trace's own rule (it knows its diff encoding, e.g. log splices)
        touched = {node for node, fields in diff.items() if any(f != TIMERS_FIELD for f in fields)}
        for node, up in crash_at.get(step, ()):
            alive[node] = up
            touched.add(node)
        for node in (trace.nodes if step == 0 else sorted(touched)):
            v = views[node] = _view(spec, states[node])
            if v is None:
                continue
            seen = held[node]
            for e in v.entries:
                before = seen.get(e.index)
                if before != e.label:
                    if before is not None:
                        replaced[node].append((step, e.index))
                    seen[e.index] = e.label
            point = (step, v.role, int(v.epoch), bool(v.up and alive[node]))
            last = points[node][-1] if points[node] else None
            if last is None or last[1:] != point[1:]:
                points[node].append(point)
    return ReplicaHistory(n_steps=trace.n_steps, points={n: tuple(p) for n, p in points.items()},
                          replaced={n: tuple(r) for n, r in replaced.items()})


def role_segments(trace: Trace, spec: ProtocolSpec | None, cursor: int | None = None,
                  history: ReplicaHistory | None = None) -> pd.DataFrame:
    """One row per stretch ``[start, end)`` of constant (role, epoch, up) per node, clipped after
    ``cursor`` (``None``: the whole run). ``role`` is ``DOWN`` for a crashed stretch."""
    hist = history if history is not None else replica_history(trace, spec)
    last = trace.n_steps if cursor is None else max(0, min(int(cursor), trace.n_steps - 1)) + 1
    rows = []
    for lane, node in enumerate(trace.nodes):
        pts = [p for p in hist.points.get(node, ()) if p[0] < last]
        for k, (step, role, epoch, up) in enumerate(pts):
            end = pts[k + 1][0] if k + 1 < len(pts) else last
            if end > step:
                rows.append((node, lane, step, end, role if up else DOWN, epoch, up))
    return _frame(rows, SEGMENT_COLUMNS)


def live_roles(trace: Trace, spec: ProtocolSpec | None, cursor: int) -> dict[str, ReplicaView]:
    """``{node: view}`` at the cursor, with ``up`` False for a crashed node (trace or view)."""
    if not has_views(spec):
        return {}
    cursor = max(0, min(int(cursor), trace.n_steps - 1))
    states, up = trace.states_at(cursor), trace.up_at(cursor)
    out = {}
    for n in trace.nodes:
        v = _view(spec, states.get(n, {}))
        if v is not None:
            out[n] = ReplicaView(role=v.role, epoch=v.epoch, entries=v.entries, up=bool(v.up and up[n]))
    return out


@dataclass(frozen=True)
class LogMatrix:
    cells: pd.DataFrame  # node, row, index, epoch, label, committed, conflict, overwritten, up
    rows: pd.DataFrame  # node, row, role, epoch, up, length, committed_prefix
    first: int  # first index drawn (1 unless the log is longer than LOG_WINDOW)
    last: int  # last index drawn (= longest log)


def log_matrix_data(trace: Trace, cursor: int, spec: ProtocolSpec | None, *,
                    history: ReplicaHistory | None = None, window: int = LOG_WINDOW) -> LogMatrix:
    """The cells of the log matrix after step ``cursor`` (see the module doc). ``committed_prefix``
    is the length of the run of committed entries from index 1."""
    views = live_roles(trace, spec, cursor)
    if not views:
        return LogMatrix(_frame([], CELL_COLUMNS), _frame([], ROW_COLUMNS), 1, 0)
    cursor = max(0, min(int(cursor), trace.n_steps - 1))
    hist = history if history is not None else replica_history(trace, spec)
    longest = max((len(v.entries) and max(e.index for e in v.entries)) for v in views.values())
    first = max(1, longest - window + 1)
    by_index: dict[int, set[str]] = {}
    for v in views.values():
        for e in v.entries:
            by_index.setdefault(e.index, set()).add(e.label)
    cells, rows = [], []
    for r, node in enumerate(trace.nodes):
        v = views.get(node)
        if v is None:
            continue
        replaced = {i for s, i in hist.replaced.get(node, ()) if s <= cursor}
        prefix = 0
        for e in sorted(v.entries, key=lambda e: e.index):
            if e.index == prefix + 1 and e.committed:
                prefix += 1
            if e.index >= first:
                cells.append((node, r, e.index, int(e.epoch), e.label, bool(e.committed),
                              len(by_index[e.index]) > 1, e.index in replaced, v.up))
        rows.append((node, r, v.role, int(v.epoch), v.up, len(v.entries), prefix))
    return LogMatrix(_frame(cells, CELL_COLUMNS), _frame(rows, ROW_COLUMNS), first, longest)


def leaders_at(trace: Trace, spec: ProtocolSpec | None, cursor: int) -> dict[str, tuple[str, int]]:
    """``{node: (role, epoch)}`` of the live leaders and candidates after ``cursor``."""
    return {n: (v.role, int(v.epoch)) for n, v in live_roles(trace, spec, cursor).items()
            if v.up and v.role in ("leader", "candidate")}


# ============================================================================ figures
def _empty(t: Translate, height: int) -> go.Figure:
    return go.Figure(layout=go.Layout(
        height=height, margin=dict(l=10, r=10, t=10, b=10), xaxis=dict(visible=False), yaxis=dict(visible=False),
        annotations=[dict(text=_tr(t, "consensus.none"), x=0.5, y=0.5, xref="paper", yref="paper",
                          showarrow=False, font=dict(size=FONT_SIZE))]))


def _boxes(cells: pd.DataFrame, pad: float) -> tuple[list[float | None], list[float | None]]:
    """Closed rectangles around cells (x = index, y = row), separated by ``None``."""
    x: list[float | None] = []
    y: list[float | None] = []
    for i, r in zip(cells["index"].tolist(), cells["row"].tolist()):
        x0, x1, y0, y1 = i - 0.5 + pad, i + 0.5 - pad, r - 0.5 + pad, r + 0.5 - pad
        x += [x0, x1, x1, x0, x0, None]
        y += [y0, y0, y1, y1, y0, None]
    return x, y


def _row_label(node: str, up: bool, role: str, t: Translate) -> str:
    role_text = _tr(t, f"viz.role.{role}", role)
    return f"{node} · {role_text}" if up else f"{node} ✕ {_tr(t, 'consensus.crashed')}"


def log_matrix_figure(trace: Trace, cursor: int, spec: ProtocolSpec | None, t: Translate | None = None, *,
                      history: ReplicaHistory | None = None, height: int | None = None) -> go.Figure:
    """Nodes × log indices after ``cursor``: cells coloured by epoch (number written in), ✓ and a
    black bar after the committed prefix, vermillion outline = conflict, black dotted = overwritten."""
    t = _to_t(t)
    data = log_matrix_data(trace, cursor, spec, history=history)
    nodes = list(trace.nodes)
    h = height or max(200, 70 + 44 * len(nodes))
    if not has_views(spec):
        return _empty(t, h)
    epoch_name = _tr(t, spec.epoch_key, "epoch") if spec.epoch_key else "epoch"
    first, last = data.first, max(data.last, data.first)
    n_rows, n_cols = len(nodes), last - first + 1
    cells = data.cells
    # heatmap classes: 0 = crashed, 1 = epoch 0, 2.. = EPOCH_COLOURS
    palette = [CRASHED_CELL, EPOCH_NONE, *EPOCH_COLOURS]
    z = np.full((n_rows, n_cols), np.nan)
    text = np.full((n_rows, n_cols), "", dtype=object)
    hover = np.full((n_rows, n_cols), "", dtype=object)
    done, pending = _tr(t, "consensus.hover.committed"), _tr(t, "consensus.hover.uncommitted")
    for c in cells.itertuples(index=False):
        col = c.index - first
        cls = 0 if not c.up else (1 if c.epoch <= 0 else 2 + c.epoch % len(EPOCH_COLOURS))
        z[c.row, col] = cls
        text[c.row, col] = f"{c.epoch}✓" if c.committed else str(c.epoch)
        flags = []
        if c.conflict:
            flags.append(_tr(t, "consensus.hover.conflict"))
        if c.overwritten:
            flags.append(_tr(t, "consensus.hover.overwritten"))
        hover[c.row, col] = "<br>".join([
            f"<b>{c.node}</b> · {_tr(t, 'consensus.index')} {c.index}",
            f"{epoch_name} {c.epoch} · {c.label}",
            done if c.committed else pending, *flags])
    n_cls = len(palette)
    scale = []
    for k, colour in enumerate(palette):
        scale += [[k / n_cls, colour], [(k + 1) / n_cls, colour]]
    traces: list[Any] = [dict(
        type="heatmap", z=z, x=list(range(first, last + 1)), y=list(range(n_rows)), text=text,
        texttemplate="%{text}", textfont=dict(size=FONT_SIZE, color=style.colour("text")), hovertext=hover,
        hovertemplate="%{hovertext}<extra></extra>", colorscale=scale, zmin=-0.5, zmax=n_cls - 0.5,
        showscale=False, xgap=2, ygap=2, meta="cells", name=_tr(t, "consensus.legend.entry"))]
    for flag, colour, width, dash, pad, key in (("overwritten", OVERWRITTEN, 2, "dot", 0.12, "overwritten"),
                                                ("conflict", CONFLICT, 3, "solid", 0.04, "conflict")):
        sub = cells[cells[flag]] if len(cells) else cells
        x, y = _boxes(sub, pad)
        traces.append(dict(type="scatter", x=x, y=y, mode="lines", line=dict(color=colour, width=width, dash=dash),
                           hoverinfo="skip", name=_tr(t, f"consensus.legend.{key}"), meta=key,
                           showlegend=True, visible=True if x else "legendonly"))
    # committed prefix: a thick bar after the last committed index of each row
    px: list[float | None] = []
    py: list[float | None] = []
    for r in data.rows.itertuples(index=False):
        if r.committed_prefix >= first:
            px += [r.committed_prefix + 0.5, r.committed_prefix + 0.5, None]
            py += [r.row - 0.5, r.row + 0.5, None]
    traces.append(dict(type="scatter", x=px, y=py, mode="lines", line=dict(color=COMMIT_LINE, width=4),
                       hoverinfo="skip", name=_tr(t, "consensus.legend.committed"), meta="committed",
                       showlegend=True, visible=True if px else "legendonly"))
    row_info = {r.node: r for r in data.rows.itertuples(index=False)}
    ticks = [_row_label(n, row_info[n].up, row_info[n].role, t) if n in row_info else n for n in nodes]
    note = ""
    if first > 1:
        note = _tr(t, "consensus.window", first=first, last=last)
    elif data.last == 0:
        note = _tr(t, "consensus.empty_logs")
    layout = dict(
        height=h, margin=dict(l=10, r=10, t=30 if note else 10, b=10), font=dict(size=FONT_SIZE),
        plot_bgcolor="#FFFFFF", hovermode="closest", dragmode=False,
        xaxis=dict(title=dict(text=_tr(t, "consensus.axis.index")), tickmode="linear", dtick=1 if n_cols <= 20 else 5,
                   range=[first - 0.5, max(last, first + MIN_COLUMNS - 1) + 0.5], fixedrange=True, showgrid=False,
                   zeroline=False, side="top"),
        yaxis=dict(tickmode="array", tickvals=list(range(n_rows)), ticktext=ticks, range=[n_rows - 0.5, -0.5],
                   fixedrange=True, showgrid=False, zeroline=False, automargin=True),
        legend=dict(orientation="h", x=0, y=-0.05, yanchor="top"),
        annotations=[dict(text=note, x=0, y=1.0, xref="paper", yref="paper", yanchor="bottom", showarrow=False,
                          xanchor="left", font=dict(size=12, color=style.colour("text")))] if note else [],
    )
    return go.Figure(data=traces, layout=go.Layout(layout), _validate=False)


def epoch_timeline_figure(trace: Trace, cursor: int, spec: ProtocolSpec | None, t: Translate | None = None, *,
                          history: ReplicaHistory | None = None, height: int | None = None) -> go.Figure:
    """One lane per node over steps 0..cursor: bars coloured by live role with the epoch written on
    them, crashed stretches grey and hatched, a cursor line; the x axis spans the whole run."""
    t = _to_t(t)
    nodes = list(trace.nodes)
    h = height or max(200, 90 + 40 * len(nodes))
    if not has_views(spec):
        return _empty(t, h)
    cursor = max(0, min(int(cursor), trace.n_steps - 1))
    segs = role_segments(trace, spec, cursor, history)
    epoch_name = _tr(t, spec.epoch_key, "epoch") if spec.epoch_key else "epoch"
    traces: list[Any] = []
    roles = list(dict.fromkeys(segs["role"].tolist()))
    roles = [r for r in roles if r != DOWN] + ([DOWN] if DOWN in roles else [])
    for role in roles:
        sub = segs[segs["role"] == role]
        down = role == DOWN
        name = _tr(t, "consensus.crashed") if down else _tr(t, f"viz.role.{role}", role)
        hover = [f"<b>{n}</b> · {name}<br>{epoch_name} {e}<br>{_tr(t, 'consensus.steps', start=s, end=en - 1)}"
                 for n, e, s, en in zip(sub["node"], sub["epoch"], sub["start"], sub["end"])]
        traces.append(dict(
            type="bar", orientation="h", y=sub["lane"].tolist(), x=(sub["end"] - sub["start"]).tolist(),
            base=sub["start"].tolist(), name=name, meta=f"role:{role}",
            text=[""] * len(sub) if down else [str(e) for e in sub["epoch"]],
            textposition="inside", insidetextanchor="middle", textfont=dict(size=12),
            marker=dict(color=CRASHED_CELL if down else style.role_colour(role),
                        line=dict(color="#FFFFFF", width=1),
                        pattern=dict(shape="/", fgcolor=style.GREY) if down else None),
            hovertext=hover, hovertemplate="%{hovertext}<extra></extra>", width=0.6))
    last = trace.n_steps - 1
    layout = dict(
        height=h, margin=dict(l=10, r=10, t=10, b=10), barmode="overlay", font=dict(size=FONT_SIZE),
        plot_bgcolor="#FFFFFF", hovermode="closest", uniformtext=dict(minsize=9, mode="hide"), dragmode="pan",
        xaxis=dict(title=dict(text=_tr(t, "viz.axis.step")), range=[-0.5, max(last, 1) + 0.5], showgrid=True,
                   gridcolor=style.colour("grid"), zeroline=False),
        yaxis=dict(tickmode="array", tickvals=list(range(len(nodes))), ticktext=nodes,
                   range=[len(nodes) - 0.5, -0.5], fixedrange=True, showgrid=False, zeroline=False),
        legend=dict(orientation="h", x=0, y=-0.25, yanchor="top"),
        shapes=[dict(type="line", x0=cursor + 1, x1=cursor + 1, y0=0, y1=1, yref="paper",
                     line=dict(color=style.colour("cursor"), width=2))],
    )
    return go.Figure(data=traces, layout=go.Layout(layout), _validate=False)
