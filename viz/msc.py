"""The message-sequence (Lamport) diagram: one lane per node, time flowing right.

Theory of operation
-------------------
Two steps, as in porcupine's "check, explain, draw" split:

1. ``msc_layout(trace)`` walks the events ONCE and returns an ``MscLayout``: plain numpy
   arrays saying what to draw — every message copy (a send or a duplicate) with both
   ends in both coordinate systems (sim time and step index), the step at which it was
   sent and resolved, how it ended (delivered / dropped for a reason / still in flight),
   every point event (start, send, deliver, timer, crash, restart, invoke, return, note,
   skew, violation) with its lane, and the partition intervals. It does not depend on the
   cursor, so it is computed once per ``(trace, language)`` and memoised by identity.
   A JavaScript renderer could draw the same picture from the same arrays.

2. ``msc_figure(trace, cursor, t, ...)`` selects with boolean masks what is visible at the
   cursor (nothing after it), and emits a FEW plotly traces whatever the run length:
   one per message status (delivered, duplicate, dropped, in flight) with segments
   separated by NaN in float32 arrays (never Python lists with ``None``: plotly's
   validation of those costs ~240 ms at 20k messages), arrowheads as ``arrow`` markers
   oriented by ``angleref="previous"``, the point events grouped by kind (or, when an
   event is selected, by causal relation to it), partition intervals as one filled trace,
   and one trace ringing the current step. No annotation or shape per message.

Clickable markers carry ``customdata`` = event index (for messages: the index of the
send/duplicate event that created the copy), so ``st.plotly_chart(on_select=...)`` can
return it; ``selected_event_indices(selection)`` reads them back.

Long runs: ``window=(lo_step, hi_step)`` keeps only what overlaps the window;
``default_window`` picks one ending at the cursor with at most ``max_events`` events, and
``overview_figure`` is the thin whole-run strip (events per time bucket, cursor, window,
violations).

Lanes are ``y = 0 .. n-1`` (the y axis is reversed, so the first node is on top); events
that happen at no node (violations, notes of the simulator) sit on a "network" row at
``y = -1``.
"""

from __future__ import annotations

import json
import weakref
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from sim.causality import NO_CLOCK, SELF, classify, fmt_vc
from sim.trace import Trace
from viz import style

Translate = Callable[..., str]

# message status codes (MscLayout.m_status: how the copy ENDS in the whole trace)
DELIVERED, DROPPED, OPEN = 0, 1, 2
DROP_REASONS = ("", "loss", "partition", "crashed", "fault")
NETWORK_LANE = -1
# kinds drawn as point markers (drop/duplicate/delay are drawn as part of their message)
POINT_KINDS = ("start", "send", "deliver", "timer", "crash", "restart", "invoke", "return", "note", "skew",
               "violation")
# how point kinds are grouped into traces (legend entries) when no event is selected
KIND_GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("endpoints", ("send", "deliver")),
    ("other", ("start", "note", "skew")),
    ("timer", ("timer",)),
    ("crash", ("crash",)),
    ("restart", ("restart",)),
    ("client", ("invoke", "return")),
    ("violation", ("violation",)),
)
# Above this many visible messages the figure drops per-message hover text and the
# send/receive dots (each is one SVG node and ~150 bytes of JSON); a window keeps them.
DETAIL_LIMIT = 3000
# plotly's per-element validation of arrays costs ~1 s at 20k events; every trace below is
# built from typed arrays whose shape this module controls, and tests validate a full figure.
_VALIDATE = False
CAUSAL_CLASSES = ((-1, "past"), (1, "future"), (0, "concurrent"), (2, "self"), (3, "none"))


def _tr(t: Translate, key: str, fallback: str | None = None, /, **args: Any) -> str:
    """Translate ``key``; a missing key (``[key]``) falls back to ``fallback`` (default: the key)."""
    text = t(key, **args)
    return (key if fallback is None else fallback) if text == f"[{key}]" else text


def _cj(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _vc(vc: Sequence[int] | None) -> str:
    return "—" if vc is None else fmt_vc(vc)


def _missing(key: str, **_args: Any) -> str:
    return f"[{key}]"


def _to_t(t: Translate | None) -> Translate:
    """The caller's translator (``ui.i18n.translator(lang)``: viz/ may not import ui/). Without
    one, labels fall back to their keys."""
    if t is None:
        return _missing
    if not callable(t):
        raise TypeError("t must be a translator: ui.i18n.translator(lang)")
    return t


# ============================================================================ layout
@dataclass(frozen=True, eq=False)
class MscLayout:
    """What to draw, independent of the cursor. Arrays are indexed by message copy
    (``m_*``), point event (``p_*``) or partition interval (``b_*``)."""

    lanes: tuple[str, ...]  # node ids; lane i is y = i
    roles: tuple[str, ...]
    n_steps: int
    step_time: np.ndarray  # float64[n_steps]: sim time of each step
    # messages (one row per copy: a send, or a duplicate)
    m_id: np.ndarray  # object[str]
    m_event: np.ndarray  # int32: index of the send / duplicate event that created it
    m_end_event: np.ndarray  # int32: index of the deliver / drop event, -1 if never resolved
    m_src: np.ndarray  # int16 lanes
    m_dst: np.ndarray
    m_send_step: np.ndarray  # int32
    m_end_step: np.ndarray  # int32; n_steps when never resolved
    m_x0_time: np.ndarray  # float64
    m_x0_step: np.ndarray
    m_x1_time: np.ndarray  # where the drawn end is (delivery, the ✕ of a drop, or due time if open)
    m_x1_step: np.ndarray
    m_y1: np.ndarray  # float64: dst lane, or part-way for drops in mid-air
    m_due: np.ndarray  # float64: due time recorded at send/duplicate
    m_status: np.ndarray  # int8: DELIVERED / DROPPED / OPEN
    m_reason: np.ndarray  # int8 index into DROP_REASONS
    m_dup: np.ndarray  # bool: a duplicate copy
    m_type: np.ndarray  # object[str]: message type
    m_hover: np.ndarray  # object[str]: type, id, payload, send clocks, and how it ended
    m_hover_open: np.ndarray  # object[str]: same without the ending (for in-flight at a cursor)
    # delays: (message row, step, new due time)
    d_msg: np.ndarray
    d_step: np.ndarray
    d_due: np.ndarray
    # point events
    p_event: np.ndarray  # int32 event index
    p_step: np.ndarray  # int32
    p_x_time: np.ndarray  # float64
    p_x_step: np.ndarray
    p_lane: np.ndarray  # int16 (NETWORK_LANE for events at no node)
    p_kind: np.ndarray  # object[str]
    p_hover: np.ndarray  # object[str]
    # partition intervals [start step, end step) — end = n_steps if never healed
    b_start_step: np.ndarray
    b_end_step: np.ndarray
    b_start_time: np.ndarray
    b_end_time: np.ndarray  # inf if never healed
    b_hover: np.ndarray
    # crashed intervals [crash step, restart step) per lane — end = n_steps if never restarted
    c_node: np.ndarray
    c_start_step: np.ndarray
    c_end_step: np.ndarray
    c_start_time: np.ndarray
    c_end_time: np.ndarray
    # all events (for the overview and counts)
    e_step: np.ndarray  # int32[n_events]
    e_time: np.ndarray  # float64[n_events]

    @property
    def has_network_row(self) -> bool:
        return bool(np.any(self.p_lane == NETWORK_LANE))

    def x0(self, axis: str) -> np.ndarray:
        return self.m_x0_time if axis == "time" else self.m_x0_step

    def x1(self, axis: str) -> np.ndarray:
        return self.m_x1_time if axis == "time" else self.m_x1_step

    def px(self, axis: str) -> np.ndarray:
        return self.p_x_time if axis == "time" else self.p_x_step

    def step_x(self, step: int, axis: str) -> float:
        step = max(0, min(step, self.n_steps - 1))
        return float(self.step_time[step]) if axis == "time" else float(step)

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible copy (lists), e.g. for a JavaScript renderer or a golden file."""
        out: dict[str, Any] = {}
        for name in self.__dataclass_fields__:
            v = getattr(self, name)
            if isinstance(v, np.ndarray):
                v = np.where(np.isinf(v), None, v).tolist() if v.dtype.kind == "f" else v.tolist()
            elif isinstance(v, tuple):
                v = list(v)
            out[name] = v
        return out


_HOVER_KEYS = ("viz.hover.payload", "viz.hover.lamport", "viz.hover.vc", "viz.hover.sent", "viz.hover.step",
               "viz.hover.time", "viz.hover.due", "viz.hover.copy_of", "viz.status.delivered", "viz.status.dropped",
               "viz.status.inflight", "viz.status.duplicate", "viz.hover.partition", "viz.hover.healed_at",
               "viz.lane.network") + tuple(f"viz.kind.{k}" for k in POINT_KINDS) + tuple(
    f"viz.reason.{r}" for r in DROP_REASONS[1:])

_MEMO: dict[tuple, tuple[Any, MscLayout]] = {}
_MEMO_MAX = 4


def msc_layout(trace: Trace, t: Translate | None = None) -> MscLayout:
    """The cursor-independent drawing data of ``trace`` (memoised per trace object and language)."""
    t = _to_t(t)
    labels = {k: _tr(t, k) for k in _HOVER_KEYS}
    key = (id(trace), tuple(labels.values()))
    hit = _MEMO.get(key)
    if hit is not None and hit[0]() is trace:
        return hit[1]
    layout = _build_layout(trace, labels, t)
    try:
        ref = weakref.ref(trace, lambda _r, k=key: _MEMO.pop(k, None))
    except TypeError:  # Trace without a weakref slot: keep it alive, bounded by _MEMO_MAX
        ref = (lambda obj: (lambda: obj))(trace)
    if len(_MEMO) >= _MEMO_MAX:
        _MEMO.pop(next(iter(_MEMO)))
    _MEMO[key] = (ref, layout)
    return layout


def _build_layout(trace: Trace, L: Mapping[str, str], t: Translate) -> MscLayout:
    lanes = {n: i for i, n in enumerate(trace.nodes)}
    n_steps = trace.n_steps
    step_time = np.array([s.time for s in trace.steps], dtype=np.float64)
    # message columns
    row: dict[str, int] = {}
    m_id: list[str] = []
    m_event: list[int] = []
    m_end_event: list[int] = []
    m_src: list[int] = []
    m_dst: list[int] = []
    m_send_step: list[int] = []
    m_end_step: list[int] = []
    m_x0t: list[float] = []
    m_end_time: list[float] = []
    m_due: list[float] = []
    m_status: list[int] = []
    m_reason: list[int] = []
    m_dup: list[bool] = []
    m_type: list[str] = []
    m_head: list[str] = []
    m_tail: list[str] = []
    d_msg: list[int] = []
    d_step: list[int] = []
    d_due: list[float] = []
    p_event: list[int] = []
    p_step: list[int] = []
    p_time: list[float] = []
    p_lane: list[int] = []
    p_kind: list[str] = []
    p_hover: list[str] = []
    kind_label = {k: L[f"viz.kind.{k}"] for k in POINT_KINDS}
    reason_label = {r: L[f"viz.reason.{r}"] for r in DROP_REASONS[1:]}
    lam, vcl, stp, tim = L["viz.hover.lamport"], L["viz.hover.vc"], L["viz.hover.step"], L["viz.hover.time"]
    pay = L["viz.hover.payload"]

    def new_msg(e, src: str, dst: str, dup: bool, head: str) -> None:
        row[e.msg_id] = len(m_id)
        d = e.detail or {}
        m_id.append(e.msg_id)
        m_event.append(e.i)
        m_end_event.append(-1)
        m_src.append(lanes[src])
        m_dst.append(lanes[dst])
        m_send_step.append(e.step)
        m_end_step.append(n_steps)
        m_x0t.append(e.time)
        m_end_time.append(float(d.get("due", e.time)))
        m_due.append(float(d.get("due", e.time)))
        m_status.append(OPEN)
        m_reason.append(0)
        m_dup.append(dup)
        m_type.append(str((e.payload or {}).get("type", "?")))
        m_head.append(head)
        m_tail.append("")

    for e in trace.events:
        k = e.kind
        if k == "send" or k == "duplicate":
            payload = e.payload or {}
            body = {f: v for f, v in payload.items() if f != "type"}
            mtype = payload.get("type", "?")
            if k == "send":
                src, dst = e.node, e.peer
                head = (f"<b>{mtype}</b> {e.msg_id} · {src} → {dst}<br>{pay}: {_cj(body)}<br>"
                        f"{L['viz.hover.sent']}: {tim} {e.time}, {stp} {e.step}, {lam} {e.lamport}, {vcl} {_vc(e.vc)}")
            else:
                src, dst = e.peer, e.node
                of = (e.detail or {}).get("of", "?")
                head = (f"<b>{mtype}</b> {e.msg_id} · {src} → {dst}<br>{pay}: {_cj(body)}<br>"
                        f"{_tr(t, 'viz.hover.copy_of', None, of=of)}: {tim} {e.time}, {stp} {e.step}")
            new_msg(e, src, dst, k == "duplicate", head)
            if k == "send":
                p_event.append(e.i)
                p_step.append(e.step)
                p_time.append(e.time)
                p_lane.append(lanes[e.node])
                p_kind.append("send")
                p_hover.append(f"<b>{kind_label['send']}</b> {mtype} {e.msg_id} → {e.peer}<br>"
                               f"{tim} {e.time} · {stp} {e.step}<br>{lam} {e.lamport} · {vcl} {_vc(e.vc)}")
            continue
        if k == "deliver" or k == "drop":
            r = row.get(e.msg_id)
            if r is not None:
                m_end_event[r] = e.i
                m_end_step[r] = e.step
                m_end_time[r] = float(e.time)
                if k == "deliver":
                    m_status[r] = DELIVERED
                    m_tail[r] = (f"<br>{L['viz.status.delivered']}: {tim} {e.time}, {stp} {e.step}, "
                                 f"{lam} {e.lamport}, {vcl} {_vc(e.vc)}")
                else:
                    reason = str((e.detail or {}).get("reason", "fault"))
                    m_status[r] = DROPPED
                    m_reason[r] = DROP_REASONS.index(reason) if reason in DROP_REASONS else 4
                    m_tail[r] = (f"<br>✕ {L['viz.status.dropped']} ({reason_label.get(reason, reason)}): "
                                 f"{tim} {e.time}, {stp} {e.step}")
            if k == "drop":
                continue
        elif k == "delay":
            r = row.get(e.msg_id)
            if r is not None:
                d_msg.append(r)
                d_step.append(e.step)
                d_due.append(float((e.detail or {}).get("due", m_due[r])))
            continue
        elif k in ("partition", "heal"):
            continue  # drawn as intervals (Trace.partition_intervals), not as points
        if k not in kind_label:
            continue
        p_event.append(e.i)
        p_step.append(e.step)
        p_time.append(e.time)
        p_lane.append(lanes[e.node] if e.node in lanes else NETWORK_LANE)
        p_kind.append(k)
        p_hover.append(_event_hover(e, kind_label[k], L, t))

    # where each message copy's drawn end is
    m_src_a = np.array(m_src, dtype=np.int16)
    m_dst_a = np.array(m_dst, dtype=np.int16)
    status = np.array(m_status, dtype=np.int8)
    reason = np.array(m_reason, dtype=np.int8)
    x0t = np.array(m_x0t, dtype=np.float64)
    x0s = np.array(m_send_step, dtype=np.float64)
    due = np.array(m_due, dtype=np.float64)
    end_t = np.array(m_end_time, dtype=np.float64)
    end_s = np.array(m_end_step, dtype=np.float64)
    x1t = end_t.copy()
    x1s = end_s.copy()
    y1 = m_dst_a.astype(np.float64)
    # a lost message (dropped at send time) ends half-way; a "drop this message" fault part-way
    lost = (status == DROPPED) & (reason == DROP_REASONS.index("loss"))
    fault = (status == DROPPED) & (reason == DROP_REASONS.index("fault"))
    span = np.maximum(due - x0t, 1e-9)
    frac = np.where(lost, 0.5, np.where(fault, np.clip((end_t - x0t) / span, 0.15, 0.95), 1.0))
    x1t = np.where(lost, x0t + 0.5 * (due - x0t), x1t)
    x1s = np.where(lost, x0s + 0.5, x1s)
    y1 = np.where(lost | fault, m_src_a + frac * (m_dst_a - m_src_a), y1)
    m_head_a = np.array(m_head, dtype=object)
    hover = np.array([h + tl for h, tl in zip(m_head, m_tail)], dtype=object)

    times = [st.time for st in trace.steps]
    bands: list[list[Any]] = []  # [start step, end step, start time, end time, hover]
    for iv in trace.partition_intervals():
        band_hover = f"<b>{L['viz.hover.partition']}</b><br>" + ", ".join(f"{a}↛{b}" for a, b in iv.what[:40])
        if iv.end is not None and trace.events_of_step(iv.end)[0].kind == "heal":
            band_hover += f"<br>{L['viz.hover.healed_at']}: {tim} {times[iv.end]}"
        bands.append([iv.start, iv.end, float(times[iv.start]), None if iv.end is None else float(times[iv.end]),
                      band_hover])
    downs: list[list[Any]] = []  # [lane, crash step, restart step, crash time, restart time]
    for iv in trace.down_intervals():
        if iv.what in lanes:
            downs.append([lanes[iv.what], iv.start, n_steps if iv.end is None else iv.end, float(times[iv.start]),
                          np.inf if iv.end is None else float(times[iv.end])])
    nb = len(bands)
    b_start_step = np.array([b[0] for b in bands], dtype=np.int32)
    b_end_step = np.array([n_steps if b[1] is None else b[1] for b in bands], dtype=np.int32)
    b_start_time = np.array([b[2] for b in bands], dtype=np.float64)
    b_end_time = np.array([np.inf if b[3] is None else b[3] for b in bands], dtype=np.float64)
    return MscLayout(
        lanes=tuple(trace.nodes), roles=tuple(trace.roles.get(n, "node") for n in trace.nodes), n_steps=n_steps,
        step_time=step_time,
        m_id=np.array(m_id, dtype=object), m_event=np.array(m_event, dtype=np.int32),
        m_end_event=np.array(m_end_event, dtype=np.int32), m_src=m_src_a, m_dst=m_dst_a,
        m_send_step=np.array(m_send_step, dtype=np.int32), m_end_step=np.array(m_end_step, dtype=np.int32),
        m_x0_time=x0t, m_x0_step=x0s, m_x1_time=x1t, m_x1_step=x1s, m_y1=y1, m_due=due, m_status=status,
        m_reason=reason, m_dup=np.array(m_dup, dtype=bool), m_type=np.array(m_type, dtype=object),
        m_hover=hover, m_hover_open=m_head_a,
        d_msg=np.array(d_msg, dtype=np.int32), d_step=np.array(d_step, dtype=np.int32),
        d_due=np.array(d_due, dtype=np.float64),
        p_event=np.array(p_event, dtype=np.int32), p_step=np.array(p_step, dtype=np.int32),
        p_x_time=np.array(p_time, dtype=np.float64), p_x_step=np.array(p_step, dtype=np.float64),
        p_lane=np.array(p_lane, dtype=np.int16), p_kind=np.array(p_kind, dtype=object),
        p_hover=np.array(p_hover, dtype=object),
        b_start_step=b_start_step, b_end_step=b_end_step, b_start_time=b_start_time, b_end_time=b_end_time,
        b_hover=np.array([b[4] for b in bands], dtype=object) if nb else np.array([], dtype=object),
        c_node=np.array([d[0] for d in downs], dtype=np.int16),
        c_start_step=np.array([d[1] for d in downs], dtype=np.int32),
        c_end_step=np.array([d[2] for d in downs], dtype=np.int32),
        c_start_time=np.array([d[3] for d in downs], dtype=np.float64),
        c_end_time=np.array([d[4] for d in downs], dtype=np.float64),
        e_step=np.fromiter((e.step for e in trace.events), dtype=np.int32, count=len(trace.events)),
        e_time=np.fromiter((e.time for e in trace.events), dtype=np.float64, count=len(trace.events)),
    )


def _event_hover(e, kind_label: str, L: Mapping[str, str], t: Translate) -> str:
    d = e.detail or {}
    where = e.node if e.node is not None else L["viz.lane.network"]
    head = f"<b>{kind_label}</b> · {where}<br>{L['viz.hover.time']} {e.time} · {L['viz.hover.step']} {e.step}"
    extra = ""
    k = e.kind
    if k == "deliver":
        extra = f"<br>{(e.payload or {}).get('type', '?')} {e.msg_id} ← {e.peer}"
    elif k == "timer":
        extra = f"<br>{d.get('name', '?')} ({d.get('timer', '')})"
    elif k == "invoke":
        extra = f"<br>{d.get('client', '?')}: {_cj(d.get('op', {}))}"
    elif k == "return":
        extra = f"<br>{d.get('client', '?')}: {_cj(d.get('result'))}"
    elif k == "note":
        extra = "<br>" + _tr(t, str(d.get("key", "")), None, **(d.get("args") or {}))
    elif k == "violation":
        extra = f"<br>{d.get('invariant', '?')}: " + _tr(t, str(d.get("key", "")), None, **(d.get("args") or {}))
    elif k == "skew":
        extra = f"<br>{d.get('by', 0):+}"
    clock = ""
    if e.lamport is not None:
        clock = f"<br>{L['viz.hover.lamport']} {e.lamport} · {L['viz.hover.vc']} {_vc(e.vc)}"
    return head + extra + clock


# ============================================================================ helpers
def _segments(x0: np.ndarray, y0: np.ndarray, x1: np.ndarray, y1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Interleave segments as ``[x0, x1, NaN, ...]`` float32 arrays (one plotly path per segment)."""
    n = len(x0)
    x = np.empty(3 * n, dtype=np.float32)
    y = np.empty(3 * n, dtype=np.float32)
    x[0::3], x[1::3], x[2::3] = x0, x1, np.nan
    y[0::3], y[1::3], y[2::3] = y0, y1, np.nan
    return x, y


def _triple(a: np.ndarray, b: np.ndarray, sep: Any) -> np.ndarray:
    out = np.empty(3 * len(a), dtype=object if a.dtype == object else a.dtype)
    out[0::3], out[1::3], out[2::3] = a, b, sep
    return out


def _message_trace(lay: MscLayout, idx: np.ndarray, x0: np.ndarray, x1: np.ndarray, y1: np.ndarray,
                   hover: np.ndarray | None, *, name: str, colour: str, dash: str, end_symbol: str,
                   width: float, end_size: float, group: str) -> dict[str, Any]:
    """One status of messages as ONE trace: segments + an end marker (arrowhead or ✕) per segment."""
    x, y = _segments(x0[idx], lay.m_src[idx], x1[idx], y1[idx])
    size = np.zeros(3 * len(idx), dtype=np.float32)
    size[1::3] = end_size
    cd = lay.m_event[idx].astype(np.int32)
    tr: dict[str, Any] = dict(
        type="scatter", x=x, y=y, mode="lines+markers", name=name, legendgroup=group, meta=group,
        line=dict(color=colour, width=width, dash=dash),
        # arrowheads turn with their segment; a drop's ✕ stays upright
        marker=dict(symbol=end_symbol, size=size, color=colour, angleref="previous" if end_symbol == "arrow" else "up",
                    line=dict(width=1.6, color=colour)),
        customdata=_triple(cd, cd, -1))
    if hover is None:
        tr["hoverinfo"] = "skip"
    else:
        h = hover[idx]
        tr.update(hovertext=_triple(h, h, ""), hovertemplate="%{hovertext}<extra></extra>")
    return tr


def _point_trace(lay: MscLayout, idx: np.ndarray, px: np.ndarray, *, colour: str | None, name: str, group: str,
                 big: bool = False, hover: bool = True) -> dict[str, Any]:
    """Point events as ONE trace; symbol/colour/size are scalars when the group has one kind."""
    kinds = lay.p_kind[idx]
    uniq = list(dict.fromkeys(kinds.tolist()))
    if len(uniq) == 1:
        sym: Any = style.symbol(uniq[0])
        size: Any = float(style.MARKER_SIZES.get(uniq[0], 8))
        col: Any = style.colour(uniq[0])
    else:
        sym = np.array([style.symbol(k) for k in kinds], dtype=object)
        size = np.array([style.MARKER_SIZES.get(k, 8) for k in kinds], dtype=np.float32)
        col = np.array([style.colour(k) for k in kinds], dtype=object)
    if colour is not None:
        col = colour
        size = np.maximum(size, 9.0)
    if big:
        size = size + 8
    tr: dict[str, Any] = dict(
        type="scatter", x=px[idx].astype(np.float32), y=lay.p_lane[idx].astype(np.float32), mode="markers",
        name=name, legendgroup=group, meta=group, customdata=lay.p_event[idx].astype(np.int32),
        marker=dict(symbol=sym, size=size, color=col, line=dict(width=1, color=col)))
    if hover:
        tr.update(hovertext=lay.p_hover[idx], hovertemplate="%{hovertext}<extra></extra>")
    else:
        tr["hoverinfo"] = "skip"
    return tr


def selected_event_indices(selection: Any) -> list[int]:
    """Event indices from ``st.plotly_chart(on_select=...)``'s selection (points' customdata)."""
    points: Any = []
    if isinstance(selection, Mapping) or hasattr(selection, "get"):
        sel = selection.get("selection", selection)
        points = sel.get("points", []) if hasattr(sel, "get") else []
    out: list[int] = []
    for p in points or []:
        cd = p.get("customdata") if hasattr(p, "get") else None
        if isinstance(cd, (list, tuple)):
            cd = cd[0] if cd else None
        if isinstance(cd, (int, float)) and not isinstance(cd, bool) and cd >= 0:
            out.append(int(cd))
    return out


def _classify(trace: Trace, i: int) -> np.ndarray:
    """-1 past / 1 future / 0 concurrent / 2 itself / 3 no clock, for every event (``sim.causality``)."""
    try:
        return classify(trace, i)
    except ValueError:  # the selected event has no clock (a network event): only itself is marked
        out = np.full(len(trace.events), NO_CLOCK, dtype=np.int8)
        out[i] = SELF
        return out


# ============================================================================ figure
def default_window(trace: Trace, cursor: int, max_events: int = 400) -> tuple[int, int]:
    """``(lo_step, cursor)``: the longest window ending at the cursor with at most ``max_events``
    events (never empty: at least the cursor's own step)."""
    cursor = max(0, min(int(cursor), trace.n_steps - 1))
    last = trace.step_first_event[cursor + 1]
    first = max(0, last - max_events)
    if first == 0:
        return (0, cursor)
    lo = trace.events[first].step
    if trace.step_first_event[lo] < first:  # that step is only partly inside: start after it
        lo += 1
    return (min(lo, cursor), cursor)


def msc_figure(trace: Trace, cursor: int, t: Translate | None = None, *, axis: str = "time",
               window: tuple[int, int] | None = None, highlight: Iterable[str] | None = None,
               selected_event: int | None = None, height: int | None = None,
               layout: MscLayout | None = None) -> go.Figure:
    """The diagram as it stands after step ``cursor`` (nothing later is drawn).

    ``t``: a translator (``ui.i18n.translator(lang)``) or a language code. ``axis``: x is sim
    time or step index. ``window``: ``(lo_step, hi_step)``, only what overlaps it is drawn.
    ``highlight``: message ids to emphasise (e.g. the pending message about to be chosen).
    ``selected_event``: an event index; point events are then coloured by their causal
    relation to it. ``layout``: a precomputed ``msc_layout(trace, t)`` (else memoised).
    Every trace carries ``meta`` = its role (``delivered``, ``inflight``, ``crash``,
    ``causal_past`` ...) so tests and pages can find it without the translated name."""
    if axis not in ("time", "step"):
        raise ValueError(f"axis must be 'time' or 'step', not {axis!r}")
    t = _to_t(t)
    lay = layout if layout is not None else msc_layout(trace, t)
    pal = style.palette()
    cursor = max(0, min(int(cursor), lay.n_steps - 1))
    lo, hi = (0, cursor) if window is None else (max(0, int(window[0])), min(int(window[1]), cursor))
    hi = max(hi, lo)
    lo = min(lo, cursor)
    x0, x1 = lay.x0(axis), lay.x1(axis)

    # ---- messages visible at the cursor
    sent = (lay.m_send_step <= hi) & (lay.m_end_step >= lo)
    resolved = lay.m_end_step <= cursor
    inflight = sent & ~resolved
    delivered = sent & resolved & (lay.m_status == DELIVERED)
    dropped = sent & resolved & (lay.m_status == DROPPED)
    detail = int(np.count_nonzero(sent)) <= DETAIL_LIMIT
    due = lay.m_due.copy()  # in-flight copies point to where they are due, as known at the cursor
    if len(lay.d_msg):
        ok = lay.d_step <= cursor
        due[lay.d_msg[ok]] = lay.d_due[ok]
    cursor_x = lay.step_x(cursor, axis)
    fx1 = np.where(inflight, np.maximum(due, cursor_x) if axis == "time" else cursor_x + 0.8, x1)
    fy1 = np.where(inflight, lay.m_dst.astype(np.float64), lay.m_y1)

    x_lo = lay.step_x(lo, axis)
    x_hi = max(lay.step_x(hi, axis), float(np.max(fx1[inflight])) if inflight.any() else -np.inf)
    span = max(x_hi - x_lo, 1.0)
    x_right = x_hi + 0.03 * span
    top = (NETWORK_LANE if lay.has_network_row else 0) - 0.5
    bottom = len(lay.lanes) - 0.5
    traces: list[dict[str, Any]] = []

    # ---- partition intervals: one filled trace of rectangles
    if len(lay.b_start_step):
        bi = np.flatnonzero((lay.b_start_step <= hi) & (lay.b_end_step > lo))
        if len(bi):
            open_ = lay.b_end_step[bi] > cursor
            if axis == "time":
                bx0, bx1 = lay.b_start_time[bi], np.where(open_, x_right, lay.b_end_time[bi])
            else:
                bx0 = lay.b_start_step[bi].astype(np.float64)
                bx1 = np.where(open_, x_right, lay.b_end_step[bi]).astype(np.float64)
            bx1 = np.minimum(bx1, x_right)
            n = len(bi)
            bx = np.empty(6 * n, dtype=np.float32)
            by = np.empty(6 * n, dtype=np.float32)
            for j, (right, low) in enumerate(((0, 0), (1, 0), (1, 1), (0, 1), (0, 0))):
                bx[j::6] = bx1 if right else bx0
                by[j::6] = bottom if low else top
            bx[5::6] = by[5::6] = np.nan
            traces.append(dict(type="scatter", x=bx, y=by, mode="lines", fill="toself", fillcolor=pal["partition"],
                               line=dict(color=pal["partition_edge"], width=0.6, dash="dot"), meta="partition",
                               name=_tr(t, "viz.legend.partition"), hovertext=np.repeat(lay.b_hover[bi], 6),
                               hoveron="points", hovertemplate="%{hovertext}<extra></extra>"))
    # ---- crashed intervals: the lane drawn wide and pale while its node is down
    if len(lay.c_node):
        ci = np.flatnonzero((lay.c_start_step <= hi) & (lay.c_end_step > lo))
        if len(ci):
            open_ = lay.c_end_step[ci] > cursor
            cx0 = (lay.c_start_time if axis == "time" else lay.c_start_step.astype(np.float64))[ci]
            cx1 = np.where(open_, x_right, (lay.c_end_time if axis == "time" else lay.c_end_step)[ci])
            x, y = _segments(cx0, lay.c_node[ci], np.minimum(cx1, x_right), lay.c_node[ci])
            traces.append(dict(type="scatter", x=x, y=y, mode="lines", line=dict(color=pal["lane_down"], width=10),
                               name=_tr(t, "viz.legend.node_down"), hoverinfo="skip", meta="down"))
    # ---- highlighted messages: a wide pale underlay
    if highlight:
        idx = np.flatnonzero(sent & np.isin(lay.m_id, list(highlight)))
        if len(idx):
            x, y = _segments(x0[idx], lay.m_src[idx], fx1[idx], fy1[idx])
            traces.append(dict(type="scatter", x=x, y=y, mode="lines", line=dict(color=pal["highlight"], width=9),
                               name=_tr(t, "viz.legend.highlight"), hoverinfo="skip", meta="highlight"))
    # ---- messages, one trace per status
    groups = (
        ("delivered", delivered & ~lay.m_dup, "arrow", pal["delivered"], style.DASH["delivered"], 1.4, 9),
        ("duplicate", delivered & lay.m_dup, "arrow", pal["duplicate"], style.DASH["duplicate"], 1.8, 9),
        ("dropped", dropped, "x", pal["dropped"], style.DASH["dropped"], 1.4, 11),
        ("inflight", inflight, "arrow", pal["inflight"], style.DASH["inflight"], 2.0, 10),
    )
    for key, mask, sym, col, dash, width, size in groups:
        idx = np.flatnonzero(mask)
        if not len(idx):
            continue
        hover = lay.m_hover if detail else None
        if key == "inflight":
            label, due_label = _tr(t, "viz.status.inflight"), _tr(t, "viz.hover.due")
            hover = lay.m_hover_open.copy()
            hover[idx] = [f"{h}<br>⋯ {label}, {due_label} {due[i]:g}" for h, i in zip(hover[idx], idx)]
        traces.append(_message_trace(lay, idx, x0, fx1, fy1, hover, name=_tr(t, f"viz.legend.{key}"), colour=col,
                                     dash=dash, end_symbol=sym, width=width, end_size=size, group=key))
    # ---- point events, grouped by kind, or by causal relation to the selected event
    px = lay.px(axis)
    pvis = (lay.p_step >= lo) & (lay.p_step <= hi)
    if selected_event is None:
        for gname, kinds in KIND_GROUPS:
            if gname == "endpoints" and not detail:
                continue
            idx = np.flatnonzero(pvis & np.isin(lay.p_kind, kinds))
            if len(idx):
                traces.append(_point_trace(lay, idx, px, colour=None, name=_tr(t, f"viz.legend.{gname}"),
                                           group=gname))
    else:
        pcls = _classify(trace, int(selected_event))[lay.p_event]
        for code, cname in CAUSAL_CLASSES:
            idx = np.flatnonzero(pvis & (pcls == code))
            if len(idx):
                traces.append(_point_trace(lay, idx, px, colour=pal[f"causal_{cname}"], big=code == 2,
                                           name=_tr(t, f"viz.legend.causal_{cname}"), group=f"causal_{cname}",
                                           hover=detail or code == 2))
    # ---- the current step, ringed
    cur = np.flatnonzero(lay.p_step == cursor)
    if len(cur) and lo <= cursor <= hi:
        traces.append(dict(type="scatter", x=px[cur].astype(np.float32), y=lay.p_lane[cur].astype(np.float32),
                           mode="markers", name=_tr(t, "viz.legend.current"), hoverinfo="skip", meta="current",
                           marker=dict(symbol="circle-open", size=20, color=pal["current_ring"],
                                       line=dict(width=2.5))))

    lanes_y = list(range(len(lay.lanes)))
    ticktext = [f"{n} · {_tr(t, f'viz.role.{r}', r)}" for n, r in zip(lay.lanes, lay.roles)]
    if lay.has_network_row:
        lanes_y = [NETWORK_LANE] + lanes_y
        ticktext = [_tr(t, "viz.lane.network")] + ticktext
    fig_layout = dict(
        height=height or max(260, 60 * len(lanes_y) + 120), margin=dict(l=10, r=10, t=16, b=90),
        hovermode="closest", clickmode="event+select", dragmode="pan",
        legend=dict(orientation="h", yanchor="top", y=-0.22, x=0, font=dict(size=11)),
        uirevision=f"msc:{axis}",
        xaxis=dict(title=dict(text=_tr(t, f"viz.axis.{axis}")), range=[x_lo - 0.02 * span, x_right],
                   zeroline=False, showgrid=True, gridcolor=pal["grid"]),
        yaxis=dict(tickvals=lanes_y, ticktext=ticktext, range=[bottom, top], zeroline=False, showgrid=True,
                   gridcolor=pal["lane"], gridwidth=1, fixedrange=True),
        # one shape (the cursor), never one per message
        shapes=[dict(type="line", xref="x", yref="paper", x0=cursor_x, x1=cursor_x, y0=0, y1=1,
                     line=dict(color=pal["cursor"], width=1.5, dash="dot"))],
    )
    return _figure(traces, fig_layout)


def _figure(traces: list[dict[str, Any]], fig_layout: dict[str, Any]) -> go.Figure:
    """Validate the (small) layout; hand the (large, typed-array) traces to plotly unvalidated."""
    return go.Figure(data=traces, layout=go.Layout(fig_layout), _validate=_VALIDATE)


def overview_figure(trace: Trace, cursor: int, t: Translate | None = None, *, axis: str = "time",
                    window: tuple[int, int] | None = None, bins: int = 200,
                    layout: MscLayout | None = None) -> go.Figure:
    """A thin whole-run strip: events per bucket (up to the cursor dark, later light), the
    window being shown, the cursor, and violation marks. Five traces at most."""
    t = _to_t(t)
    lay = layout if layout is not None else msc_layout(trace, t)
    pal = style.palette()
    cursor = max(0, min(int(cursor), lay.n_steps - 1))
    ex = lay.e_time if axis == "time" else lay.e_step.astype(np.float64)
    x_min = float(ex.min()) if len(ex) else 0.0
    x_max = max(float(ex.max()) if len(ex) else 1.0, x_min + 1.0)
    edges = np.linspace(x_min, x_max, bins + 1)
    past = lay.e_step <= cursor
    h_past, _ = np.histogram(ex[past], bins=edges)
    h_future, _ = np.histogram(ex[~past], bins=edges)
    mids = ((edges[:-1] + edges[1:]) / 2).astype(np.float32)
    width = float(edges[1] - edges[0])
    cursor_x = lay.step_x(cursor, axis)
    ymax = float(max(1, (h_past + h_future).max()))
    traces: list[dict[str, Any]] = [
        dict(type="bar", x=mids, y=h_past.astype(np.int32), width=width, marker=dict(color=pal["overview_bar"]),
             name=_tr(t, "viz.legend.events"), meta="past", hovertemplate="%{x:.0f}: %{y}<extra></extra>"),
        dict(type="bar", x=mids, y=h_future.astype(np.int32), width=width, marker=dict(color=pal["future"]),
             name=_tr(t, "viz.legend.future"), meta="future", hovertemplate="%{x:.0f}: %{y}<extra></extra>"),
    ]
    if window is not None:
        wx0, wx1 = lay.step_x(window[0], axis), lay.step_x(min(window[1], cursor), axis)
        traces.append(dict(type="scatter", x=np.array([wx0, wx1, wx1, wx0, wx0], np.float32),
                           y=np.array([0, 0, ymax, ymax, 0], np.float32), mode="lines", fill="toself",
                           fillcolor=pal["current"], line=dict(width=0), hoverinfo="skip", meta="window",
                           name=_tr(t, "viz.legend.window")))
    traces.append(dict(type="scatter", x=np.array([cursor_x, cursor_x], np.float32),
                       y=np.array([0, ymax], np.float32), mode="lines", line=dict(color=pal["cursor"], width=2),
                       hoverinfo="skip", name=_tr(t, "viz.legend.cursor"), meta="cursor"))
    vi = np.flatnonzero(lay.p_kind == "violation")
    if len(vi):
        traces.append(dict(type="scatter", x=lay.px(axis)[vi].astype(np.float32),
                           y=np.full(len(vi), ymax, np.float32), mode="markers", meta="violation",
                           marker=dict(symbol="triangle-down", size=10, color=pal["violation"]),
                           name=_tr(t, "viz.legend.violation"), hovertext=lay.p_hover[vi],
                           hovertemplate="%{hovertext}<extra></extra>", customdata=lay.p_event[vi].astype(np.int32)))
    fig_layout = dict(height=110, margin=dict(l=10, r=10, t=4, b=28), barmode="stack",
                      showlegend=False, bargap=0, uirevision=f"overview:{axis}",
                      xaxis=dict(range=[x_min, x_max], fixedrange=True),
                      yaxis=dict(visible=False, fixedrange=True, range=[0, ymax * 1.08]))
    return _figure(traces, fig_layout)
