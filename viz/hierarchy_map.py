"""The consistency map: the model hierarchy drawn as layers, coloured by what the checkers found.

Theory of operation
-------------------
``hierarchy_figure(status, tr, selected)`` draws ``checkers.hierarchy.hierarchy_graph()`` with a
fixed, hand-tuned layout (``LAYOUT``) that follows the Jepsen map: the strongest model at the
top, the transactional branch on the left, single-object models on the right and the session
guarantees along the bottom right; family bands are shaded behind the nodes. A generic graph
layout would move nodes whenever the graph changes; a fixed one lets a learner remember where
"causal" is.

Each node is one marker in ONE trace (arrays of colour, symbol and ring width), so the figure
stays small. Status is carried three ways so colour is never the only cue (Okabe & Ito
palette, ``viz/style.py``): fill colour, marker shape and a glyph inside (✓ ✗ ? –, in
parentheses when implied). Availability is the ring width plus a small translated badge
(T/S/U); the legend explains both. Implication arrows are layout annotations (18 of them: one
per edge is fine at this size), Jepsen's dark and our derived ``causal → eventual`` grey with a
"[D]" tag (annotation arrows cannot be dashed, so the tag is the non-colour cue); invisible
markers at edge midpoints carry the edge's hover text and citation. A selected node gets an
orange ring and its arrows are drawn thick and orange.
``customdata`` of a node is its model id, so ``st.plotly_chart(on_select=...)`` can report a
click. Fonts are at least 14 px (projector-readable).

``tr(key, **args)`` is the caller's translator (``ui.i18n.translator(lang)``); viz never imports ui.
"""

from __future__ import annotations

import textwrap
from typing import Any, Callable, Mapping

import plotly.graph_objects as go

from checkers import hierarchy
from viz import style

Translate = Callable[..., str]

# model -> (x, y, label position, badge offset dx, dy): y is the layer (6 = strongest). Hand-tuned on a
# rendered figure so that no arrow crosses a node, a label or an availability badge.
LAYOUT: dict[str, tuple[float, float, str, float, float]] = {
    "strict-serializable": (6.2, 6, "top center", 0.42, -0.02),
    "serializable": (3.0, 5, "middle left", 0.0, 0.36),
    "linearizable": (8.8, 5, "middle right", -0.36, -0.22),
    "repeatable-read": (1.75, 4, "middle left", 0.0, 0.36),
    "snapshot-isolation": (4.25, 4, "middle right", 0.36, 0.22),
    "sequential": (8.8, 4, "middle right", -0.36, 0.0),
    "cursor-stability": (0.75, 3, "middle left", 0.0, 0.36),
    "monotonic-atomic-view": (3.0, 3, "middle right", 0.0, -0.36),
    "causal": (8.8, 3, "middle left", 0.36, 0.22),
    "read-committed": (1.9, 2, "middle right", -0.36, 0.0),
    "pram": (7.4, 2, "middle left", -0.36, 0.24),
    "eventual": (11.6, 2, "bottom center", 0.36, 0.22),
    "read-uncommitted": (1.9, 1, "middle right", -0.36, 0.0),
    "monotonic-reads": (5.9, 1, "bottom center", -0.36, 0.22),
    "monotonic-writes": (7.4, 0.45, "bottom center", 0.36, 0.22),
    "read-your-writes": (8.9, 1, "bottom center", 0.36, 0.22),
    "writes-follow-reads": (10.4, 0.45, "bottom center", 0.36, 0.22),
}
X_RANGE = (-1.4, 12.6)
Y_RANGE = (-0.8, 7.05)  # the session row is staggered (y = 1 and 0.45) so its labels never touch
# family bands: (x0, x1, y0, y1) in data coordinates, drawn behind everything
BANDS: dict[str, tuple[float, float, float, float]] = {
    "transactional": (-0.8, 5.3, 0.5, 6.45),
    "single-object": (5.45, 12.5, 1.5, 6.45),
    "session": (5.45, 12.5, -0.75, 1.4),
}
BAND_FILL = {"transactional": "rgba(86,180,233,0.08)", "single-object": "rgba(0,158,115,0.07)",
             "session": "rgba(230,159,0,0.08)"}

# status -> (fill, marker symbol, glyph, glyph colour). Okabe–Ito; implied = a paler fill + (glyph).
STATUS_STYLE: dict[str, tuple[str, str, str, str]] = {
    "holds": (style.OI_GREEN, "circle", "✓", "#FFFFFF"),
    "implied-holds": ("rgba(0,158,115,0.35)", "circle", "(✓)", style.OI_BLACK),
    "violated": (style.OI_VERMILLION, "square", "✗", "#FFFFFF"),
    "implied-violated": ("rgba(213,94,0,0.35)", "square", "(✗)", style.OI_BLACK),
    "unknown": (style.OI_YELLOW, "diamond", "?", style.OI_BLACK),
    "not-applicable": (style.LIGHT_GREY, "hexagon", "–", style.OI_BLACK),
}
# availability -> ring width (px); the badge text comes from the catalog
RING_WIDTH = {"unavailable": 4.5, "sticky": 2.5, "totally": 0.5}
NODE_SIZE = 40
NODE_STANDOFF = 24  # px between an arrow's ends and a node's centre (about the node radius)
FONT_SIZE = 15


def hierarchy_figure(status: Mapping[str, str], tr: Translate, selected: str | None = None) -> go.Figure:
    """The map with every node in its status (``checkers.hierarchy.node_status``); missing → unknown."""
    g = hierarchy.hierarchy_graph()
    models = list(hierarchy.MAP_MODELS)
    states = {m: s if (s := status.get(m)) in STATUS_STYLE else "unknown" for m in models}
    selected = selected if selected in LAYOUT else None
    traces = [_edge_hover_trace(g, tr), _node_trace(g, models, states, tr), _label_trace(models, tr),
              _badge_trace(models, tr)]
    if selected:
        traces.append(_selected_trace(selected, tr))
    traces += _legend_traces(tr)
    layout = dict(
        height=820, margin=dict(l=10, r=10, t=44, b=10), font=dict(size=FONT_SIZE),
        hoverlabel=dict(font=dict(size=14)), hovermode="closest", clickmode="event+select", dragmode=False,
        showlegend=True, legend=dict(orientation="h", x=0.0, xanchor="left", y=0.0, yanchor="top", font=dict(size=14)),
        xaxis=dict(range=list(X_RANGE), visible=False, fixedrange=True),
        yaxis=dict(range=list(Y_RANGE), visible=False, fixedrange=True),
        plot_bgcolor="#FFFFFF", paper_bgcolor="#FFFFFF",
        shapes=_band_shapes(), annotations=_band_labels(tr) + _edge_arrows(g, selected)
        + [dict(text=tr("model.map.caption"), xref="paper", yref="paper", x=0, y=1.0, yanchor="bottom",
                xanchor="left", showarrow=False, font=dict(size=FONT_SIZE, color=style.colour("text")))],
        uirevision="hierarchy-map",
    )
    return go.Figure(data=traces, layout=layout)


# ---------------------------------------------------------------------------- nodes
def _wrap(text: str, width: int = 13) -> str:
    """Long names on two lines (spaces only: Chinese names are short and unspaced)."""
    return "<br>".join(textwrap.wrap(text, width, break_long_words=False)) or text


def _node_hover(g: Any, model: str, state: str, tr: Translate) -> str:
    attrs = g.nodes[model]
    lines = [f"<b>{tr(f'model.name.{model}')}</b>",
             tr(f"model.def.{model}"),
             tr("model.map.hover.status", value=tr(f"model.status.{state}")),
             tr("model.map.hover.availability", value=tr(f"model.availability.{attrs['availability']}")),
             tr("model.map.hover.family", value=tr(f"model.family.{attrs['family']}")),
             tr("model.map.hover.checkable" if attrs["checkable"] else "model.map.hover.not_checkable"),
             tr("model.map.hover.source", value=attrs["source"])]
    # long definitions wrap so the hover box fits a projector screen
    return "<br>".join("<br>".join(textwrap.wrap(line, 70)) if not line.startswith("<b>") else line
                       for line in lines)


def _node_trace(g: Any, models: list[str], states: Mapping[str, str], tr: Translate) -> go.Scatter:
    fill = [STATUS_STYLE[states[m]][0] for m in models]
    return go.Scatter(
        x=[LAYOUT[m][0] for m in models], y=[LAYOUT[m][1] for m in models], mode="markers+text",
        name="models", showlegend=False, customdata=models, meta="nodes",
        text=[STATUS_STYLE[states[m]][2] for m in models], textposition="middle center",
        textfont=dict(size=16, color=[STATUS_STYLE[states[m]][3] for m in models]),
        marker=dict(size=NODE_SIZE, color=fill, symbol=[STATUS_STYLE[states[m]][1] for m in models],
                    line=dict(color=style.OI_BLACK,
                              width=[RING_WIDTH[g.nodes[m]["availability"]] for m in models])),
        hovertext=[_node_hover(g, m, states[m], tr) for m in models], hovertemplate="%{hovertext}<extra></extra>")


def _label_trace(models: list[str], tr: Translate) -> go.Scatter:
    # invisible node-sized markers: plotly then offsets each label by the node's radius
    return go.Scatter(
        x=[LAYOUT[m][0] for m in models], y=[LAYOUT[m][1] for m in models], mode="markers+text",
        marker=dict(size=NODE_SIZE + 6, color="rgba(0,0,0,0)"),
        text=[_wrap(tr(f"model.name.{m}")) for m in models], textposition=[LAYOUT[m][2] for m in models],
        textfont=dict(size=FONT_SIZE, color=style.colour("text")), hoverinfo="skip", showlegend=False,
        meta="labels")


def _badge_trace(models: list[str], tr: Translate) -> go.Scatter:
    g = hierarchy.hierarchy_graph()
    badges = [tr("model.availability.badge." + g.nodes[m]["availability"]) for m in models]
    return go.Scatter(
        x=[LAYOUT[m][0] + LAYOUT[m][3] for m in models], y=[LAYOUT[m][1] + LAYOUT[m][4] for m in models],
        mode="text", text=[f"<b>{b}</b>" for b in badges], textfont=dict(size=14, color=style.OI_BLUE),
        hoverinfo="skip", showlegend=False, meta="badges")


def _selected_trace(model: str, tr: Translate) -> go.Scatter:
    x, y = LAYOUT[model][:2]
    return go.Scatter(x=[x], y=[y], mode="markers", name=tr("model.map.legend.selected"), meta="selected",
                      marker=dict(symbol="circle-open", size=NODE_SIZE + 20, color=style.colour("cursor"),
                                  line=dict(width=4)), hoverinfo="skip", customdata=[model])


# ---------------------------------------------------------------------------- edges
def _edge_arrows(g: Any, selected: str | None) -> list[dict[str, Any]]:
    """One arrow annotation per edge, from the stronger model to the weaker one."""
    out = []
    for a, b, attrs in sorted(g.edges(data=True), key=lambda e: (e[0], e[1])):
        near = selected in (a, b)
        colour = style.colour("cursor") if near else style.GREY if attrs["derived"] else style.colour("text")
        (x0, y0), (x1, y1) = LAYOUT[a][:2], LAYOUT[b][:2]
        out.append(dict(x=x1, y=y1, ax=x0, ay=y0, xref="x", yref="y", axref="x", ayref="y", text="",
                        showarrow=True, arrowhead=2, arrowsize=1.3, arrowwidth=3.2 if near else 1.8,
                        arrowcolor=colour, standoff=NODE_STANDOFF, startstandoff=NODE_STANDOFF,
                        name=f"edge:{a}->{b}"))
        if attrs["derived"]:
            out.append(dict(x=(x0 + x1) / 2, y=(y0 + y1) / 2, xref="x", yref="y", text="[D]", showarrow=False,
                            yshift=12, font=dict(size=14, color=style.GREY), name=f"derived:{a}->{b}"))
    return out


def _edge_hover_trace(g: Any, tr: Translate) -> go.Scatter:
    """Invisible markers at edge midpoints: hovering an arrow names the implication and its source."""
    edges = sorted(g.edges(data=True), key=lambda e: (e[0], e[1]))
    hover = []
    for a, b, attrs in edges:
        lines = [tr("model.map.hover.edge", a=tr(f"model.name.{a}"), b=tr(f"model.name.{b}"))]
        if attrs["derived"]:
            lines.append(tr("model.map.hover.derived"))
        lines.append(tr("model.map.hover.source", value=attrs["source"]))
        hover.append("<br>".join("<br>".join(textwrap.wrap(line, 70)) for line in lines))
    return go.Scatter(
        x=[(LAYOUT[a][0] + LAYOUT[b][0]) / 2 for a, b, _ in edges],
        y=[(LAYOUT[a][1] + LAYOUT[b][1]) / 2 for a, b, _ in edges],
        mode="markers", marker=dict(size=14, color="rgba(0,0,0,0)"), showlegend=False, meta="edge-hover",
        customdata=[f"{a}->{b}" for a, b, _ in edges], hovertext=hover, hovertemplate="%{hovertext}<extra></extra>")


# ---------------------------------------------------------------------------- bands and legend
def _band_shapes() -> list[dict[str, Any]]:
    return [dict(type="rect", xref="x", yref="y", x0=x0, x1=x1, y0=y0, y1=y1, layer="below",
                 fillcolor=BAND_FILL[fam], line=dict(width=0)) for fam, (x0, x1, y0, y1) in BANDS.items()]


def _band_labels(tr: Translate) -> list[dict[str, Any]]:
    # transactional: top-left corner; the others at their right edge, out of the nodes' and labels' way
    out = []
    for fam, (x0, x1, y0, y1) in BANDS.items():
        left, top = fam == "transactional", fam != "session"
        out.append(dict(x=x0 if left else x1, y=y1 if top else y0, xref="x", yref="y",
                        xanchor="left" if left else "right", yanchor="top" if top else "bottom",
                        text=f"<i>{tr(f'model.family.{fam}')}</i>", showarrow=False,
                        font=dict(size=14, color=style.GREY), name=f"band:{fam}"))
    return out


def _legend_traces(tr: Translate) -> list[go.Scatter]:
    """Legend-only entries: statuses (shape + colour + glyph), edge kinds, availability badges."""
    out = []
    for state, (fill, symbol, glyph, _ink) in STATUS_STYLE.items():
        out.append(go.Scatter(x=[None], y=[None], mode="markers", name=f"{glyph} {tr(f'model.status.{state}')}",
                              marker=dict(size=16, color=fill, symbol=symbol, line=dict(color=style.OI_BLACK, width=1)),
                              legendgroup="status", meta=f"legend:{state}"))
    for derived, key in ((False, "model.map.legend.jepsen_edge"), (True, "model.map.legend.derived_edge")):
        out.append(go.Scatter(x=[None], y=[None], mode="lines", name=tr(key), legendgroup="edges",
                              line=dict(color=style.GREY if derived else style.colour("text"), width=2),
                              meta="legend:derived" if derived else "legend:jepsen"))
    for av in hierarchy.AVAILABILITIES:
        name = tr("model.map.legend.availability", badge=tr(f"model.availability.badge.{av}"),
                  name=tr(f"model.availability.short.{av}"))
        out.append(go.Scatter(x=[None], y=[None], mode="markers", name=name, legendgroup="availability",
                              marker=dict(size=16, color="#FFFFFF", symbol="circle",
                                          line=dict(color=style.OI_BLACK, width=RING_WIDTH[av])),
                              meta=f"legend:{av}"))
    return out
