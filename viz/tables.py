"""Tables at a cursor: per-node state (with the cells this step changed), the event log, and
the invariant badges.

Theory of operation
-------------------
``state_table`` reads ``trace.states_at(cursor)`` (a snapshot plus at most
``SNAPSHOT_EVERY`` diffs) and ``trace.changed_at(cursor)`` (that step's diff). Rows are
nodes, columns are the union of the nodes' state fields in the protocol's declared order
(a coordinator's fields first, then fields only participants have), preceded by an "up"
column. Every state cell is rendered as a string — scalars as themselves, lists and dicts
as compact JSON, ``None`` as "—", a field the node does not have as "" — so each column has
one Arrow type and ``st.dataframe`` never falls back. The mask is a boolean frame of the
same shape: ``True`` exactly where this step's diff touched the cell ("up" flips on a
crash/restart in this step).

``event_log`` and ``invariant_badges`` translate everything a learner reads: event kinds,
drop reasons, notes and violations (translation key + args recorded by the protocol),
falling back to the raw key when a catalog lacks it. Pure: no Streamlit.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Mapping

import pandas as pd

from sim.causality import fmt_vc
from sim.trace import TIMERS_FIELD, Event, Trace
from viz import style
from viz.msc import _to_t, _tr

Translate = Callable[..., str]
UP = "up"


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    return json.dumps(value, sort_keys=False, separators=(",", ":"), ensure_ascii=False)


def _fields(states: Mapping[str, Mapping[str, Any]], nodes: tuple[str, ...]) -> list[str]:
    """Union of fields in declared order (first appearance, nodes in lane order), timers last."""
    out: dict[str, None] = {}
    for n in nodes:
        for f in states.get(n, {}):
            if f != TIMERS_FIELD:
                out.setdefault(f, None)
    if any(TIMERS_FIELD in states.get(n, {}) for n in nodes):
        out[TIMERS_FIELD] = None
    return list(out)


def _column_label(field: str, t: Translate) -> str:
    if field == UP:
        return _tr(t, "viz.col.up")
    if field == TIMERS_FIELD:
        return _tr(t, "viz.col.armed_timers")
    return field  # protocol field names are the paper's names: shown as in the code


def state_table(trace: Trace, cursor: int, t: Translate | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(table, changed_mask)`` after step ``cursor``: one row per node, an "up" column, then
    every state field; ``changed_mask`` is ``True`` exactly at the cells step ``cursor`` changed."""
    t = _to_t(t)
    cursor = max(0, min(int(cursor), trace.n_steps - 1))
    states = trace.states_at(cursor)
    diff = trace.changed_at(cursor)
    up = trace.up_at(cursor)
    flipped = {e.node for e in trace.events_of_step(cursor) if e.kind in ("crash", "restart")}
    fields = _fields(states, trace.nodes)
    rows, mask_rows = [], []
    for n in trace.nodes:
        st = states.get(n, {})
        rows.append([bool(up.get(n, True))] + [_cell(st[f]) if f in st else "" for f in fields])
        mask_rows.append([n in flipped] + [f in diff.get(n, {}) for f in fields])
    columns = [_column_label(f, t) for f in [UP] + fields]
    index = pd.Index(list(trace.nodes), name=_tr(t, "viz.col.node"))
    table = pd.DataFrame(rows, index=index, columns=columns)
    table[columns[0]] = table[columns[0]].astype(bool)
    for c in columns[1:]:
        table[c] = table[c].astype("string")
    mask = pd.DataFrame(mask_rows, index=index.copy(), columns=list(columns), dtype=bool)
    return table, mask


def styled_state_table(trace: Trace, cursor: int, t: Translate | None = None):
    """``state_table`` as a pandas ``Styler`` with the changed cells highlighted (renders in
    ``st.dataframe``)."""
    table, mask = state_table(trace, cursor, t)
    css = f"background-color: {style.colour('changed_cell')}; font-weight: 600"
    return table.style.apply(lambda _df: mask.replace({True: css, False: ""}), axis=None)


# ------------------------------------------------------------------------ event log
def event_detail(e: Event, t: Translate) -> str:
    """One translated line saying what an event did (shared by the event log and the trace player)."""
    d = e.detail or {}
    k = e.kind
    if k == "send":
        return _tr(t, "viz.detail.lost" if d.get("lost") else "viz.detail.due", due=d.get("due", ""))
    if k == "drop":
        reason = str(d.get("reason", "fault"))
        return _tr(t, f"viz.reason.{reason}", reason)
    if k == "duplicate":
        return _tr(t, "viz.detail.copy_of", of=d.get("of", "?"), due=d.get("due", ""))
    if k == "delay":
        return _tr(t, "viz.detail.delayed", by=d.get("by", 0), due=d.get("due", ""))
    if k == "timer":
        return _tr(t, "viz.detail.timer", name=d.get("name", "?"), id=d.get("timer", ""))
    if k == "partition":
        return _tr(t, "viz.detail.cut", links=", ".join(f"{a}↛{b}" for a, b in d.get("cut", [])))
    if k == "heal":
        return _tr(t, "viz.detail.healed")
    if k == "skew":
        return _tr(t, "viz.detail.skew", by=d.get("by", 0))
    if k == "invoke":
        return _tr(t, "viz.detail.invoke", client=d.get("client", "?"), op=_cell(d.get("op", {})))
    if k == "return":
        return _tr(t, "viz.detail.return", client=d.get("client", "?"), result=_cell(d.get("result")))
    if k in ("crash", "restart"):
        return _tr(t, f"viz.detail.{k}")
    if k in ("note", "violation"):
        key = str(d.get("key", ""))
        args = d.get("args") or {}
        text = _tr(t, key, key, **args)
        if text == key and args:  # untranslated: show the raw key with its arguments
            text = f"{key} {_cell(args)}"
        return f"{d.get('invariant', '?')}: {text}" if k == "violation" else text
    if k == "end":
        reason = str(d.get("reason", ""))
        return _tr(t, f"viz.end.{reason}", reason)
    return ""


EVENT_LOG_COLUMNS = ("event", "step", "time", "kind", "node", "peer", "message", "lamport", "vc", "detail")


def event_log(trace: Trace, cursor: int, t: Translate | None = None, last: int = 200) -> pd.DataFrame:
    """The last ``last`` events up to and including step ``cursor``, oldest first. Columns (in
    ``EVENT_LOG_COLUMNS`` order, labels translated): event index, step, time, kind, node, peer,
    message (type and id), Lamport clock, vector clock, detail."""
    t = _to_t(t)
    cursor = max(0, min(int(cursor), trace.n_steps - 1))
    events = trace.events_until(cursor)[-max(0, int(last)):] if last else ()
    kind_names = {}
    rows = []
    for e in events:
        if e.kind not in kind_names:
            kind_names[e.kind] = _tr(t, f"viz.kind.{e.kind}", e.kind)
        msg = f"{(e.payload or {}).get('type', '?')} {e.msg_id}" if e.msg_id else ""
        rows.append((e.i, e.step, e.time, kind_names[e.kind], e.node or "", e.peer or "", msg, e.lamport,
                     "" if e.vc is None else fmt_vc(e.vc), event_detail(e, t)))
    cols = [_tr(t, f"viz.col.{c}") for c in EVENT_LOG_COLUMNS]
    df = pd.DataFrame(rows, columns=cols)
    for c, dtype in zip(cols, ("int64", "int64", "int64", "string", "string", "string", "string", "Int64",
                               "string", "string")):
        df[c] = df[c].astype(dtype)
    return df


# ------------------------------------------------------------------------ badges
def invariant_labels(trace: Trace, t: Translate | None = None) -> dict[str, dict[str, str]]:
    """``{name: {"label", "description", "source"}}`` for the run's protocol: the badge shows the
    translated short label, the tooltip the canonical name, description and source."""
    from protocols import REGISTRY

    t = _to_t(t)
    spec = REGISTRY.get(trace.scenario.protocol)
    out = {}
    for inv in spec.invariants if spec else ():
        out[inv.name] = {"label": _tr(t, inv.label_key, inv.name) if inv.label_key else inv.name,
                         "description": _tr(t, inv.description_key, ""), "source": inv.source}
    return out


def invariant_badges(trace: Trace, cursor: int, t: Translate | None = None) -> list[dict[str, Any]]:
    """One ``{"name", "label", "description", "ok", "explanation"}`` per named invariant after
    step ``cursor``; the explanation of a violated one is translated from its ``{"key", "args"}``."""
    t = _to_t(t)
    labels = invariant_labels(trace, t)
    out = []
    for name, v in trace.invariants_at(max(0, min(int(cursor), trace.n_steps - 1))).items():
        info = labels.get(name, {"label": name, "description": ""})
        badge = {"name": name, "label": info["label"], "description": info["description"], "ok": v is None,
                 "explanation": ""}
        if v is not None:
            key = str(v.get("key", ""))
            badge["explanation"] = _tr(t, key, key, **(v.get("args") or {}))
        out.append(badge)
    return out
