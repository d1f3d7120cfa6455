"""Logical Clocks: Lamport and vector clocks on a message-sequence diagram; pick events to see
their causal past, future and concurrent events, and why two events are concurrent."""

from __future__ import annotations

import streamlit as st

from protocols import REGISTRY
from sim import causality
from sim.edit import apply_controls, default_scenario
from ui.clocks_view import cone_counts, event_label, order_table, process_events
from ui.lang import bound_t
from ui.runner import run_json
from ui.frame import require_app_frame

require_app_frame()

t = bound_t()

SPEC = REGISTRY["logical-clocks"]
st.title(t("clocks.title"))
st.markdown(t("clocks.intro"))

with st.sidebar:
    st.header(t("clocks.controls"))
    params = {p.name: st.number_input(t(p.help_key), int(p.minimum), int(p.maximum), int(p.default),
                                      key=f"clocks.p.{p.name}") for p in SPEC.params}
    seed = st.number_input(t("lab.controls.seed"), 0, 10**9, 1, key="clocks.seed")
sc = apply_controls(default_scenario(SPEC.id), {"params": params, "seed": int(seed)})
trace = run_json(sc.to_json())
events = process_events(trace)
cursor = trace.n_steps - 1

ss = st.session_state
for key in ("clocks.pick_a", "clocks.pick_b"):
    if ss.get(key) not in events:
        ss[key] = None  # the run changed: an old pick may no longer exist
try:
    from viz.msc import msc_figure, selected_event_indices
except ImportError:
    msc_figure = None
if msc_figure is not None:
    picked = selected_event_indices(ss.get("clocks.chart") or {})
    if picked and picked[0] in events and picked[0] != ss.get("clocks.last_click"):
        ss["clocks.last_click"] = ss["clocks.pick_a"] = picked[0]  # a new click on the diagram
    st.plotly_chart(msc_figure(trace, cursor, t, selected_event=ss["clocks.pick_a"]), key="clocks.chart",
                    on_select="rerun", selection_mode="points")
else:
    st.info(t("lab.static.unavailable"))

labels = {i: event_label(trace.events[i], t) for i in events}
c1, c2 = st.columns(2)
a = c1.selectbox(t("clocks.pick_a"), events, key="clocks.pick_a", format_func=labels.get,
                 placeholder=t("clocks.pick_placeholder"))
b = c2.selectbox(t("clocks.pick_b"), events, key="clocks.pick_b", format_func=labels.get,
                 placeholder=t("clocks.pick_placeholder"))

if a is None:
    st.info(t("clocks.hint"))
else:
    n = cone_counts(trace, a)
    m1, m2, m3 = st.columns(3)
    m1.metric(t("clocks.rel.past"), n["past"])
    m2.metric(t("clocks.rel.future"), n["future"])
    m3.metric(t("clocks.rel.concurrent"), n["concurrent"])
    if b is not None:
        rel = causality.relation(trace.events[a], trace.events[b])
        (st.warning if rel == "concurrent" else st.success)(causality.explain(trace.events[a], trace.events[b], t))
        if rel == "concurrent":
            st.markdown(t("clocks.why_concurrent"))

st.subheader(t("clocks.table_title"))
st.caption(t("clocks.table_caption"))
st.dataframe(order_table(trace, a, t), hide_index=True)
with st.expander(t("clocks.theory_title")):
    st.markdown(t("clocks.theory"))
