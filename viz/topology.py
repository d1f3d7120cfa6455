"""Topology at a cursor: who is up, which links a partition cut, how many messages are in flight.

Theory of operation
-------------------
The nodes sit on a circle (``networkx.circular_layout``), or, when exactly one node has a
role of its own (a two-phase-commit coordinator), that node sits in the middle with the
others on a shell around it (``networkx.shell_layout``). Both layouts are deterministic
functions of the node order, so the picture never jumps between steps.

Everything the picture shows at step ``cursor`` comes from the trace: whether a node is up
from its crash/restart events (``msc_layout``'s down intervals), the cut links from the
last ``partition`` event's ``cut`` list not yet undone by a ``heal``, and the messages in
flight per directed link from ``msc_layout``'s send/resolve steps. A few vectorised traces
(links, busy links, cut links, per-direction counts, nodes, ✕ over crashed nodes), never
one trace per link.

For a consensus protocol (its spec gives ``replica_view``) a node's label and colour are its
*live* role at the cursor, the hover adds its term/ballot, a live leader gets a thick black
ring and a ★ with its epoch, a live candidate a ◆ (``viz/consensus.py`` reads the views).
Other protocols keep their static roles. Pure: no Streamlit.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable

import networkx as nx
import numpy as np
import plotly.graph_objects as go

from sim.trace import Trace
from viz import style
from viz.consensus import live_roles
from viz.msc import MscLayout, _to_t, _tr, msc_layout

Translate = Callable[..., str]


def node_positions(trace: Trace) -> dict[str, tuple[float, float]]:
    """Deterministic positions: a lone-role node in the centre, the rest on a circle."""
    g = nx.Graph()
    g.add_nodes_from(trace.nodes)
    roles = Counter(trace.roles.get(n, "node") for n in trace.nodes)
    lone = [n for n in trace.nodes if roles[trace.roles.get(n, "node")] == 1]
    if len(trace.nodes) >= 3 and len(lone) == 1 and len(roles) > 1:
        rest = [n for n in trace.nodes if n != lone[0]]
        pos = nx.shell_layout(g, nlist=[lone, rest])
    else:
        pos = nx.circular_layout(g)
    return {n: (float(pos[n][0]), float(pos[n][1])) for n in trace.nodes}


def cut_links_at(trace: Trace, cursor: int) -> set[tuple[str, str]]:
    """Directed links cut by a partition after step ``cursor``."""
    return set(trace.cut_at(cursor))


def down_at(lay: MscLayout, cursor: int) -> set[str]:
    """Nodes crashed (not yet restarted) after step ``cursor``."""
    mask = (lay.c_start_step <= cursor) & (lay.c_end_step > cursor)
    return {lay.lanes[i] for i in lay.c_node[mask]}


def in_flight_at(lay: MscLayout, cursor: int) -> Counter:
    """``{(src, dst): number of message copies in flight}`` after step ``cursor``."""
    mask = (lay.m_send_step <= cursor) & (lay.m_end_step > cursor)
    return Counter((lay.lanes[s], lay.lanes[d]) for s, d in zip(lay.m_src[mask], lay.m_dst[mask]))


def _segs(pairs: list[tuple[str, str]], pos: dict[str, tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    x = np.full(3 * len(pairs), np.nan, dtype=np.float32)
    y = np.full(3 * len(pairs), np.nan, dtype=np.float32)
    for j, (a, b) in enumerate(pairs):
        x[3 * j], y[3 * j] = pos[a]
        x[3 * j + 1], y[3 * j + 1] = pos[b]
    return x, y


def _spec_of(trace: Trace) -> Any:
    from protocols import REGISTRY

    return REGISTRY.get(trace.scenario.protocol)


def topology_figure(trace: Trace, cursor: int, t: Translate | None = None, *, height: int | None = None,
                    layout: MscLayout | None = None, spec: Any = None) -> go.Figure:
    """The network after step ``cursor``. Traces carry ``meta`` (``links``, ``busy``, ``cut``,
    ``counts``, ``nodes``, ``down``; for a protocol with ``replica_view`` also ``leaders`` and
    ``candidates``) so pages and tests can find them. A consensus node shows its live role
    (leader ★ with a thick ring, candidate ◆) and its epoch in the hover."""
    t = _to_t(t)
    spec = spec if spec is not None else _spec_of(trace)
    replicas = live_roles(trace, spec, cursor)  # {} unless the protocol gives replica_view
    lay = layout if layout is not None else msc_layout(trace, t)
    pal = style.palette()
    cursor = max(0, min(int(cursor), trace.n_steps - 1))
    pos = node_positions(trace)
    nodes = list(trace.nodes)
    down = down_at(lay, cursor)
    cut = cut_links_at(trace, cursor)
    flying = in_flight_at(lay, cursor)
    pairs = [(a, b) for i, a in enumerate(nodes) for b in nodes[i + 1:]]
    is_cut = [(a, b) in cut or (b, a) in cut for a, b in pairs]
    busy = [flying[(a, b)] + flying[(b, a)] > 0 for a, b in pairs]
    traces: list[dict[str, Any]] = []

    plain = [p for p, c, b in zip(pairs, is_cut, busy) if not c and not b]
    if plain:
        x, y = _segs(plain, pos)
        traces.append(dict(type="scatter", x=x, y=y, mode="lines", line=dict(color=pal["link"], width=1),
                           hoverinfo="skip", name=_tr(t, "viz.legend.link"), meta="links"))
    hot = [p for p, c, b in zip(pairs, is_cut, busy) if b and not c]
    if hot:
        x, y = _segs(hot, pos)
        traces.append(dict(type="scatter", x=x, y=y, mode="lines", line=dict(color=pal["link_busy"], width=3),
                           hoverinfo="skip", name=_tr(t, "viz.legend.link_busy"), meta="busy"))
    cut_pairs = [p for p, c in zip(pairs, is_cut) if c]
    if cut_pairs:
        x, y = _segs(cut_pairs, pos)
        traces.append(dict(type="scatter", x=x, y=y, mode="lines",
                           line=dict(color=pal["link_cut"], width=2, dash="dash"), hoverinfo="skip",
                           name=_tr(t, "viz.legend.link_cut"), meta="cut"))
    # per-direction in-flight counts, written a third of the way from the sender
    if flying:
        links = sorted(flying)
        cx = np.array([pos[a][0] + (pos[b][0] - pos[a][0]) / 3 for a, b in links], dtype=np.float32)
        cy = np.array([pos[a][1] + (pos[b][1] - pos[a][1]) / 3 for a, b in links], dtype=np.float32)
        traces.append(dict(
            type="scatter", x=cx, y=cy, mode="markers+text", text=[str(flying[k]) for k in links],
            textposition="middle center", textfont=dict(size=11, color="#FFFFFF"),
            marker=dict(size=18, color=pal["inflight"]), name=_tr(t, "viz.status.inflight"), meta="counts",
            hovertext=[_tr(t, "viz.hover.in_flight_link", src=a, dst=b, n=flying[(a, b)]) for a, b in links],
            hovertemplate="%{hovertext}<extra></extra>"))
    roles = [replicas[n].role if n in replicas else trace.roles.get(n, "node") for n in nodes]
    colours = [pal["node_down"] if n in down else style.role_colour(r) for n, r in zip(nodes, roles)]
    status = [_tr(t, "viz.hover.node_down" if n in down else "viz.hover.node_up") for n in nodes]
    hover = [f"<b>{n}</b> · {_tr(t, f'viz.role.{r}', r)} · {s}" for n, r, s in zip(nodes, roles, status)]
    if replicas:
        epoch_name = _tr(t, spec.epoch_key, "epoch") if spec.epoch_key else "epoch"
        hover = [f"{h} · {epoch_name} {replicas[n].epoch}" if n in replicas else h for h, n in zip(hover, nodes)]
    leading = [n for n in nodes if n in replicas and n not in down and replicas[n].up and replicas[n].role == "leader"]
    running = [n for n in nodes if n in replicas and n not in down and replicas[n].up
               and replicas[n].role == "candidate"]
    traces.append(dict(
        type="scatter", x=np.array([pos[n][0] for n in nodes], np.float32),
        y=np.array([pos[n][1] for n in nodes], np.float32), mode="markers+text",
        text=[f"{n}<br>{_tr(t, f'viz.role.{r}', r)}" for n, r in zip(nodes, roles)], textposition="top center",
        marker=dict(size=34, color=colours, line=dict(width=[5 if n in leading else 2 for n in nodes],
                                                      color=[style.OI_BLACK if n in leading else "#FFFFFF"
                                                             for n in nodes])),
        meta="nodes", name=_tr(t, "viz.legend.node"), customdata=nodes, hovertext=hover,
        hovertemplate="%{hovertext}<extra></extra>"))
    for group, symbol, colour, meta in ((leading, "star", style.OI_ORANGE, "leaders"),
                                        (running, "diamond", style.OI_PURPLE, "candidates")):
        if group:  # a glyph at the node's lower right, the epoch written beside it
            traces.append(dict(
                type="scatter", x=np.array([pos[n][0] + 0.16 for n in group], np.float32),
                y=np.array([pos[n][1] - 0.14 for n in group], np.float32), mode="markers+text",
                marker=dict(symbol=symbol, size=20, color=colour, line=dict(width=1.5, color=style.OI_BLACK)),
                text=[str(replicas[n].epoch) for n in group], textposition="middle right",
                textfont=dict(size=12, color=style.colour("text")), meta=meta, customdata=group,
                name=_tr(t, f"viz.role.{'leader' if meta == 'leaders' else 'candidate'}"),
                hovertext=[hover[nodes.index(n)] for n in group], hovertemplate="%{hovertext}<extra></extra>"))
    if down:
        dn = [n for n in nodes if n in down]
        traces.append(dict(type="scatter", x=np.array([pos[n][0] for n in dn], np.float32),
                           y=np.array([pos[n][1] for n in dn], np.float32), mode="markers",
                           marker=dict(symbol="x-thin-open", size=26, color=pal["crash"], line=dict(width=4)),
                           name=_tr(t, "viz.legend.node_down"), meta="down", hoverinfo="skip"))
    fig_layout = dict(
        height=height or 360, margin=dict(l=10, r=10, t=10, b=10), showlegend=False, hovermode="closest",
        xaxis=dict(visible=False, range=[-1.4, 1.4], fixedrange=True),
        yaxis=dict(visible=False, range=[-1.3, 1.45], fixedrange=True, scaleanchor="x"),
    )
    return go.Figure(data=traces, layout=go.Layout(fig_layout), _validate=False)
