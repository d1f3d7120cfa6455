"""Logical Clocks: each process's own Lamport and vector clocks (Lamport 1978; Fidge 1988, Mattern
1989) on a space-time diagram; pick events to see their causal past, future and concurrent events,
and why two events are related as they are. Logic lives in viz.clock_events and ui.clocks_view."""

from __future__ import annotations

import streamlit as st

from protocols import REGISTRY
from sim.edit import apply_controls, default_scenario
from ui.clocks_view import cone_counts, event_label, explain, order_table
from ui.frame import require_app_frame
from ui.lang import bound_t
from ui.runner import run_json
from viz.clock_events import LABEL_MODES, clock_figure, textbook_events
from viz.msc import selected_event_indices

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
    buggy = st.toggle(t("clocks.bug_toggle"), key="clocks.bug", help=t("lc.bug.no_max_on_receive"))
sc = apply_controls(default_scenario(SPEC.id), {"params": params, "seed": int(seed),
                                                 "bug": "no-max-on-receive" if buggy else None})
trace = run_json(sc.to_json())
events = textbook_events(trace)
by_i = {e.i: e for e in events}
ids = list(by_i)

ss = st.session_state
for key in ("clocks.pick_a", "clocks.pick_b"):
    if ss.get(key) not in by_i:
        ss[key] = None  # the run changed: an old pick may no longer exist

st.caption(t("clocks.which_clocks"))
mode = st.segmented_control(t("clocks.labels"), LABEL_MODES, key="clocks.labels", default="both",
                            format_func=lambda m: t(f"clocks.labels_{m}")) or "both"
picked = selected_event_indices(ss.get("clocks.chart") or {})
if picked and picked[0] in by_i and picked[0] != ss.get("clocks.last_click"):
    ss["clocks.last_click"] = ss["clocks.pick_a"] = picked[0]  # a new click on the diagram
st.plotly_chart(clock_figure(events, trace.nodes, t, labels=mode, selected=ss["clocks.pick_a"],
                             second=ss["clocks.pick_b"]),
                key="clocks.chart", on_select="rerun", selection_mode="points", config={"displayModeBar": False})

labels = {i: event_label(e, t) for i, e in by_i.items()}
c1, c2 = st.columns(2)
a = c1.selectbox(t("clocks.pick_a"), ids, key="clocks.pick_a", format_func=labels.get,
                 placeholder=t("clocks.pick_placeholder"))
b = c2.selectbox(t("clocks.pick_b"), ids, key="clocks.pick_b", format_func=labels.get,
                 placeholder=t("clocks.pick_placeholder"))

if a is None:
    st.info(t("clocks.hint"))
else:
    n = cone_counts(events, a)
    m1, m2, m3 = st.columns(3)
    m1.metric(t("clocks.rel.past"), n["past"])
    m2.metric(t("clocks.rel.future"), n["future"])
    m3.metric(t("clocks.rel.concurrent"), n["concurrent"])
    if b is not None:
        rel, vec, lam = explain(by_i[a], by_i[b], trace.nodes, t)
        (st.warning if rel == "concurrent" else st.success)(vec)
        if lam:
            st.markdown(lam)
        if rel == "concurrent":
            st.markdown(t("clocks.why_concurrent"))

st.subheader(t("clocks.table_title"))
st.caption(t("clocks.table_caption"))
st.dataframe(order_table(events, t, a), hide_index=True)
with st.expander(t("clocks.theory_title")):
    st.markdown(t("clocks.theory"))
    st.caption(t("clocks.sources"))
