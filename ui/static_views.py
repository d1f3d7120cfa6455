"""The Protocol Lab's static (server-drawn) views, behind a toggle: plotly diagram (a window
around the cursor plus an overview strip of the whole run), topology, state table, event
log and invariant badges at the cursor. Each view is a pure function from ``viz/``."""

from __future__ import annotations

import streamlit as st

from ui.lang import md_escape, t
from viz.msc import default_window, msc_figure, overview_figure
from viz.tables import event_log, invariant_badges as badges, styled_state_table
from viz.topology import topology_figure


def invariant_badges(trace, cursor: int) -> None:
    cols = st.columns(max(1, len(trace.invariant_names)))
    for col, b in zip(cols, badges(trace, cursor, t)):
        text = f"{md_escape(b['label'])}: {md_escape(b['explanation'] or b['description'], 300)}"
        (col.success if b["ok"] else col.error)(text)


def static_views(trace, cursor: int) -> None:
    invariant_badges(trace, cursor)
    window = default_window(trace, cursor)
    st.plotly_chart(overview_figure(trace, cursor, t, window=window), key="lab.static.overview")
    st.plotly_chart(msc_figure(trace, cursor, t, window=window), key="lab.static.msc")
    left, right = st.columns([1, 2])
    left.plotly_chart(topology_figure(trace, cursor, t), key="lab.static.topology")
    right.dataframe(styled_state_table(trace, cursor, t))
    st.dataframe(event_log(trace, cursor, t), hide_index=True)
