"""The fault palette and the manual-mode picker: widgets that turn "do this now" into a fault
dict for ``sim.edit.with_fault`` or a pending id for ``sim.edit.with_choice``.

Theory of operation
-------------------
The palette only *describes* a fault (``{"type": "crash", "node": "tm"}``); the page hands
it to the pure ``sim.edit.with_fault`` together with the cursor, so the fault lands as
``after_step: cursor`` and the past stays exactly as it was. Choices offered come from the
trace at the cursor: which nodes are up (crash) or down (restart), and which messages are
in flight (drop / duplicate / delay, from ``trace.pending_at``). Widget keys are
page-prefixed (``lab.fp.*``) so tests can press them.
"""

from __future__ import annotations

from typing import Any, Callable

import streamlit as st

from sim.edit import pending_messages
from sim.trace import Trace


def pending_label(p: dict[str, Any], t: Callable[..., str]) -> str:
    return t("lab.pending_item", id=p["id"], src=p["src"], dst=p["dst"], type=p["type"], due=p["due"])


def manual_picker(trace: Trace, cursor: int, t: Callable[..., str]) -> str | None:
    """Manual mode: the messages and timers pending after ``cursor``; return the one the learner
    delivers (or fires) in this run, if any. The page branches the run with it."""
    pending = {p["id"]: pending_label(p, t) for p in trace.pending_at(cursor)}
    st.markdown(f"**{t('lab.manual.title', step=cursor)}**")
    if not pending:
        st.caption(t("lab.manual.nothing"))
        return None
    col_pick, col_go = st.columns([4, 1], vertical_alignment="bottom")
    pick = col_pick.selectbox(t("lab.manual.pick"), list(pending), key="lab.manual.pick", format_func=pending.get)
    return pick if col_go.button(t("lab.manual.go"), key="lab.manual.go", type="primary") else None


def fault_palette(trace: Trace, cursor: int, t: Callable[..., str]) -> dict[str, Any] | None:
    """Render the palette; return the fault the learner asked for in this run, if any."""
    st.markdown(f"**{t('lab.faults.title')}**")
    st.caption(t("lab.faults.help", step=cursor))
    up = trace.up_at(cursor)
    col_node, col_part, col_msg = st.columns(3)
    fault = None
    with col_node:
        node = st.selectbox(t("lab.faults.node"), trace.nodes, key="lab.fp.node",
                            format_func=lambda n: t("lab.faults.node_item", node=n, role=t(f"viz.role.{trace.roles.get(n, 'node')}"),
                                                    state=t("lab.faults.up" if up[n] else "lab.faults.down")))
        a, b = st.columns(2)
        if a.button(t("lab.faults.crash"), key="lab.fp.crash", disabled=not up.get(node, False)):
            fault = {"type": "crash", "node": node}
        if b.button(t("lab.faults.restart"), key="lab.fp.restart", disabled=up.get(node, True)):
            fault = {"type": "restart", "node": node}
    with col_part:
        group = st.multiselect(t("lab.faults.group"), trace.nodes, key="lab.fp.group",
                               placeholder=t("lab.faults.group_placeholder"))
        a, b = st.columns(2)
        if a.button(t("lab.faults.partition"), key="lab.fp.partition",
                    disabled=not group or len(group) == len(trace.nodes)):
            fault = {"type": "partition", "groups": [list(group)]}
        if b.button(t("lab.faults.heal"), key="lab.fp.heal"):
            fault = {"type": "heal"}
    with col_msg:
        pending = pending_messages(trace, cursor)
        labels = {p["id"]: pending_label(p, t) for p in pending}
        msg = st.selectbox(t("lab.faults.message"), list(labels), key="lab.fp.msg",
                           format_func=labels.get, placeholder=t("lab.faults.no_message"))
        by = st.number_input(t("lab.faults.delay_by"), min_value=1, max_value=10_000, value=20, step=5,
                             key="lab.fp.by")
        a, b, c = st.columns(3)
        none = msg is None
        if a.button(t("lab.faults.drop"), key="lab.fp.drop", disabled=none):
            fault = {"type": "drop", "msg": msg}
        if b.button(t("lab.faults.duplicate"), key="lab.fp.dup", disabled=none):
            fault = {"type": "duplicate", "msg": msg}
        if c.button(t("lab.faults.delay"), key="lab.fp.delay", disabled=none):
            fault = {"type": "delay", "msg": msg, "by": int(by)}
    return fault
