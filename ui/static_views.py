"""The Protocol Lab's static (server-drawn) views, behind a toggle: plotly diagram, topology,
state table, event log and invariant badges at the cursor. Each view comes from ``viz/``;
a view whose module has not landed yet is skipped with a note."""

from __future__ import annotations

import streamlit as st

from ui.lang import md_escape, t


def invariant_badges(trace, cursor: int) -> None:
    try:
        from viz.tables import invariant_badges as badges
    except ImportError:
        return
    cols = st.columns(max(1, len(trace.invariant_names)))
    for col, b in zip(cols, badges(trace, cursor, t)):
        text = f"{md_escape(b['name'])}: {md_escape(b.get('explanation') or '', 300)}"
        (col.success if b["ok"] else col.error)(text)


def static_views(trace, cursor: int) -> None:
    invariant_badges(trace, cursor)
    try:
        from viz.msc import msc_figure
        from viz.topology import topology_figure
        from viz.tables import event_log, styled_state_table
    except ImportError:
        st.info(t("lab.static.unavailable"))
        return
    st.plotly_chart(msc_figure(trace, cursor, t), key="lab.static.msc")
    left, right = st.columns([1, 2])
    left.plotly_chart(topology_figure(trace, cursor, t), key="lab.static.topology")
    right.dataframe(styled_state_table(trace, cursor, t))
    st.dataframe(event_log(trace, cursor, t), hide_index=True)
