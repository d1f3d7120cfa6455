"""Textbook process events of a logical-clocks run, their own clocks, and the diagram that shows them.

Theory of operation
-------------------
The simulator stamps *every* trace event (boot, timer firing, note, ...) with its own
Lamport and vector clock: right for its bookkeeping, wrong for teaching, since a process's
first event would show L=3. Lamport (1978) counts only a process's own events — local
events, sends and receives — and so do Fidge (1988) and Mattern (1989). The protocol
(``protocols.logical_clocks``) keeps exactly those clocks; this module reads them back:

- local event: the ``lc.local_event`` note's ``lamport`` / ``vc`` args;
- send: the message's ``ts`` / ``vc`` (the sender's clocks at the send, IR1);
- receive: the ``lc.receive`` note's ``lamport`` / ``vc`` args (after IR2), plus the
  message's ``ts`` so IR2 can be checked. A receive is drawn at its ``deliver`` event
  (where the message arrow lands); ``note_i`` keeps the note's index.

``textbook_events(trace)`` returns them in execution order as ``ClockEvent`` tuples; ``i``
is the trace index used for drawing, picking (``customdata``) and for comparing with
``sim.causality`` on the simulator's clocks. On those events both sets of clocks give the
same happens-before relation (the tests check it on many runs); only the numbers differ.

``relation`` / ``classify`` decide happens-before from the textbook vector clocks (a → b iff
V(a) ≤ V(b) entrywise and V(a) ≠ V(b)), with the same comparison as ``sim.causality``
(``vc_relation`` / ``cones``); ``lamport_order`` is Lamport's total order (clock,
then process id: his "arbitrary total ordering of the processes"). ``clock_figure`` draws
only these events — one lane per process, execution order left to right (each event its
own column, so labels never collide), message arrows from send to receive — labelled with
their clocks, and coloured by causal relation to a selected event.

Any other protocol's run is read into the same ``ClockEvent`` tuples with the *simulator's*
clocks by ``viz.causality_view.simulator_events`` (``sub``/``info`` describe its local events),
so everything below serves both sources.

Pure: no Streamlit, no clock, no randomness. ``t`` translates (``ui.i18n.translator``).
"""

from __future__ import annotations

from typing import Any, Callable, NamedTuple, Sequence

import numpy as np
import plotly.graph_objects as go

# The comparison, the causal classes and the vc format are sim.causality's (re-exported for ui.clocks_view).
from sim.causality import CONCURRENT, FUTURE, PAST, SELF, cones, fmt_vc  # noqa: F401
from sim.causality import vc_relation as relation  # noqa: F401
from sim.trace import Trace
from viz import style
from viz.msc import _segments
LABEL_MODES = ("lamport", "vector", "both")
LABEL_LIMIT = 160  # above this many events, clocks go to the hover text only (labels would pile up)
LABEL_GAP = 1  # columns: adjacent same-lane labels on the same side would overlap ("12 · [5,6,0]" is wide)
KIND_SYMBOL = {"local": "diamond", "send": "circle", "receive": "square"}
KIND_COLOUR = {"local": style.OI_PURPLE, "send": style.OI_BLUE, "receive": style.OI_SKY}


class ClockEvent(NamedTuple):
    i: int  # trace index: the send, the deliver (receive) or the lc.local_event note
    node: str
    lane: int  # position of node in trace.nodes (the process id order p1 < p2 < ...)
    k: int  # 1-based: this is the process's k-th event
    kind: str  # "local" | "send" | "receive"
    peer: str | None  # send: destination; receive: source
    msg_id: str | None
    lamport: int  # the process's own Lamport clock at this event
    vc: tuple[int, ...]  # the process's own vector clock at this event
    ts: int | None  # receive: the message's timestamp (the sender's clock)
    step: int
    time: int
    note_i: int | None = None  # receive: the lc.receive note's trace index
    sub: str | None = None  # local event of a protocol run: its trace kind (timer, invoke, note, ...)
    info: str = ""  # protocol run: send/receive: the message type; local: a short translated detail


def textbook_events(trace: Trace) -> tuple[ClockEvent, ...]:
    """Every process's local events, sends and receives, in execution order, with its own clocks."""
    lane = {n: k for k, n in enumerate(trace.nodes)}
    count = dict.fromkeys(trace.nodes, 0)
    alias: dict[str, str] = {}  # duplicate copy id -> original message id
    last_deliver: dict[str, Any] = {}
    out: list[ClockEvent] = []

    def add(e, kind, peer, msg_id, lamport, vc, ts=None, note_i=None, at=None):
        count[e.node] += 1
        at = at or e
        out.append(ClockEvent(i=at.i, node=e.node, lane=lane[e.node], k=count[e.node], kind=kind, peer=peer,
                              msg_id=msg_id, lamport=int(lamport), vc=tuple(int(x) for x in vc), ts=ts,
                              step=at.step, time=at.time, note_i=note_i))

    for e in trace.events:
        payload = e.payload or {}
        if e.kind == "duplicate" and e.msg_id and (e.detail or {}).get("of"):
            alias[e.msg_id] = alias.get(e.detail["of"], e.detail["of"])
        elif e.kind == "send" and payload.get("type") == "Message" and e.node in lane:
            add(e, "send", e.peer, e.msg_id, payload["ts"], payload["vc"])
        elif e.kind == "deliver" and payload.get("type") == "Message":
            last_deliver[e.node] = e
        elif e.kind == "note" and e.node in lane:
            key, args = (e.detail or {}).get("key"), (e.detail or {}).get("args") or {}
            if key == "lc.local_event":
                add(e, "local", None, None, args["lamport"], args["vc"])
            elif key == "lc.receive":
                d = last_deliver.pop(e.node, None)
                if d is not None and d.step != e.step:
                    d = None  # the note belongs to this step's delivery only
                mid = alias.get(d.msg_id, d.msg_id) if d is not None else None
                add(e, "receive", args.get("src"), mid, args["lamport"], args["vc"], ts=int(args["ts"]),
                    note_i=e.i, at=d)
    return tuple(out)


def classify(events: Sequence[ClockEvent], selected: int) -> np.ndarray:
    """Per event (same order as ``events``): PAST / FUTURE / CONCURRENT relative to the event whose
    trace index is ``selected``, SELF for it. Raises ``KeyError`` if no event has that index."""
    pos = {e.i: k for k, e in enumerate(events)}[selected]
    V = np.array([e.vc for e in events], dtype=np.int64)
    return cones(V, V[pos])


def lamport_order(events: Sequence[ClockEvent]) -> list[ClockEvent]:
    """Lamport's total order ⇒: by clock, ties broken by process id (lane), then by position."""
    return sorted(events, key=lambda e: (e.lamport, e.lane, e.k))


def label(e: ClockEvent, mode: str) -> str:
    if mode == "lamport":
        return str(e.lamport)
    if mode == "vector":
        return fmt_vc(e.vc)
    return f"{e.lamport} · {fmt_vc(e.vc)}"


# ============================================================================ figure
def clock_figure(events: Sequence[ClockEvent], nodes: Sequence[str], t: Callable[..., str], *,
                 labels: str = "both", selected: int | None = None, second: int | None = None,
                 height: int | None = None) -> go.Figure:
    """Lanes p1..pN (top to bottom), one column per event in execution order, arrows send → receive,
    points labelled with their own clocks. ``selected`` (a trace index) colours every event by its
    causal relation to that event; ``second`` (event B) gets a ring. Points carry ``customdata`` = trace index; each trace's ``meta``
    names its role (``lanes``, ``messages``, ``local``/``send``/``receive`` or ``past``/...)."""
    if labels not in LABEL_MODES:
        raise ValueError(f"labels must be one of {LABEL_MODES}, not {labels!r}")
    pal = style.palette()
    n = len(events)
    x = np.arange(1, n + 1, dtype=np.float32)
    y = np.array([e.lane for e in events], dtype=np.float32)
    traces: list[Any] = []
    lx, ly = _segments(np.full(len(nodes), 0.5), np.arange(len(nodes)), np.full(len(nodes), n + 0.5),
                       np.arange(len(nodes)))
    traces.append(go.Scatter(x=lx, y=ly, mode="lines", line=dict(color=pal["lane_down"], width=1),
                             hoverinfo="skip", showlegend=False, meta="lanes"))
    lane_of = dict(zip(nodes, range(len(nodes))))
    where = {e.msg_id: k for k, e in enumerate(events) if e.kind == "send"}
    pairs = [(where[e.msg_id], k) for k, e in enumerate(events) if e.kind == "receive" and e.msg_id in where]
    if pairs:
        s, r = np.array(pairs).T
        mx, my = _segments(x[s], y[s], x[r], y[r])
        size = np.tile(np.array([0, 13, 0], dtype=np.float32), len(pairs))
        traces.append(go.Scatter(x=mx, y=my, mode="lines+markers", name=t("clocks.fig.message"), meta="messages",
                                 line=dict(color=style.GREY, width=1.3),
                                 marker=dict(symbol="arrow", angleref="previous", size=size, color=style.GREY),
                                 hoverinfo="skip"))
    text = np.array([label(e, labels) for e in events], dtype=object)
    pos = np.array(_text_sides(events, lane_of), dtype=object)
    hover = np.array([t("clocks.fig.hover", name=f"e{e.i}", node=e.node, k=e.k, what=kind_text(e, t),
                        lamport=e.lamport, vc=fmt_vc(e.vc)) for e in events], dtype=object)
    symbols = np.array([KIND_SYMBOL[e.kind] for e in events], dtype=object)
    kinds = np.array([e.kind for e in events], dtype=object)
    if selected is None:
        groups = [(kinds == k, k, KIND_COLOUR[k], t(f"clocks.fig.{k}")) for k in ("local", "send", "receive")]
    else:
        cls = classify(events, selected)
        groups = [(cls == SELF, "self", pal["causal_self"], t("clocks.fig.self")),
                  (cls == PAST, "past", pal["causal_past"], t("clocks.fig.past")),
                  (cls == FUTURE, "future", pal["causal_future"], t("clocks.fig.future")),
                  (cls == CONCURRENT, "concurrent", pal["causal_concurrent"], t("clocks.fig.concurrent"))]
    show_text = n <= LABEL_LIMIT
    for mask, role, colour, name in groups:
        idx = np.flatnonzero(mask)
        big = role == "self"
        traces.append(go.Scatter(
            x=x[idx], y=y[idx], mode="markers+text" if show_text else "markers", name=name, meta=role,
            customdata=np.array([events[k].i for k in idx], dtype=np.int32),
            text=text[idx] if show_text else None, textposition=pos[idx] if show_text else None,
            textfont=dict(size=11, color=colour if selected is not None else pal["text"]), hovertext=hover[idx], hovertemplate="%{hovertext}<extra></extra>",
            marker=dict(symbol=symbols[idx], size=15 if big else 11, color=colour,
                        line=dict(width=2 if big else 1, color="white"))))
    if second is not None and second != selected:
        k = [e.i for e in events].index(second)
        traces.append(go.Scatter(x=x[[k]], y=y[[k]], mode="markers", name=t("clocks.fig.second"), meta="second",
                                 customdata=np.array([second], dtype=np.int32), hoverinfo="skip",
                                 marker=dict(symbol="circle-open", size=21, color=pal["causal_self"],
                                             line=dict(width=2.5, color=pal["causal_self"]))))
    fig = go.Figure(data=traces)
    fig.update_layout(
        height=height or 150 + 90 * len(nodes), margin=dict(l=10, r=10, t=30, b=40), plot_bgcolor="white",
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0), clickmode="event+select",
        dragmode="pan", hovermode="closest")
    fig.update_xaxes(title_text=t("clocks.fig.x_axis"), range=[0.3, n + 0.7], showgrid=False, zeroline=False,
                     showticklabels=False)
    fig.update_yaxes(tickmode="array", tickvals=list(range(len(nodes))), ticktext=list(nodes),
                     range=[len(nodes) - 0.4, -0.6], showgrid=False, zeroline=False, fixedrange=True)
    return fig


def _text_side(e: ClockEvent, lane_of: dict[str, int]) -> str:
    """Put the clock label on the side of the lane no message arrow uses at this point."""
    if e.kind == "local" or e.peer not in lane_of:
        return "top center" if e.k % 2 else "bottom center"
    other_below = lane_of[e.peer] > e.lane  # y grows downwards (lane 0 on top)
    return "top center" if other_below else "bottom center"


def _text_sides(events: Sequence[ClockEvent], lane_of: dict[str, int]) -> list[str]:
    """Each label's side; a label that would sit next to the previous one on its lane (within
    ``LABEL_GAP`` columns, same side) moves to the other side rather than collide with it."""
    out: list[str] = []
    last: dict[int, tuple[int, str]] = {}  # lane -> (column, side) of its previous label
    for col, e in enumerate(events):
        side = _text_side(e, lane_of)
        prev = last.get(e.lane)
        if prev is not None and col - prev[0] <= LABEL_GAP and prev[1] == side:
            side = "bottom center" if side == "top center" else "top center"
        last[e.lane] = (col, side)
        out.append(side)
    return out


def kind_text(e: ClockEvent, t: Callable[..., str]) -> str:
    """What the event is, in words: "local event", "sends m1 to p3", "receives m1 from p2"."""
    msg = f"{e.info} {e.msg_id or ''}".strip() if e.kind in ("send", "receive") else ""
    if e.kind == "send":
        return t("clocks.kind.send", peer=e.peer or "", msg=msg)
    if e.kind == "receive":
        return t("clocks.kind.deliver", peer=e.peer or "", msg=msg)
    if e.sub:  # a protocol run's local event (viz.causality_view): boot, timer, client request, note...
        what = t(f"clocks.kind.{e.sub}")
        return f"{what}: {e.info}" if e.info else what
    return t("clocks.kind.local")
