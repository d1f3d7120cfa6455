"""Logical Clocks: Lamport and vector clocks (Lamport 1978; Fidge 1988, Mattern 1989) on a
space-time diagram — the textbook processes' own clocks, or the simulator's clocks on any
protocol's preset; pick events to see their causal past, future and concurrent events, and why
two events are related as they are. Logic lives in viz.clock_events, viz.causality_view and
ui.clocks_view."""

from __future__ import annotations

import streamlit as st

from protocols import REGISTRY
from sim.edit import apply_controls, default_scenario
from ui.clocks_view import (SOURCES, TEXTBOOK, cone_counts, event_label, explain, order_table, preset_choices,
                            scenario_for)
from ui.export import export_buttons
from ui.frame import require_app_frame
from ui.lang import bound_t, current_lang
from ui.runner import run_json
from viz.causality_view import MAX_EVENTS, clock_window, simulator_events, window_starts
from viz.clock_events import LABEL_MODES, clock_figure, textbook_events
from viz.msc import selected_event_indices

require_app_frame()

t = bound_t()
ss = st.session_state
st.title(t("clocks.title"))
st.markdown(t("clocks.intro"))

with st.sidebar:
    st.header(t("clocks.controls"))
    source = st.selectbox(t("clocks.source"), SOURCES, key="clocks.source", help=t("clocks.source_help"),
                          format_func=lambda s: t("clocks.source_textbook") if s == TEXTBOOK
                          else t(REGISTRY[s].title_key))
    if source == TEXTBOOK:
        SPEC = REGISTRY["logical-clocks"]
        params = {p.name: st.number_input(t(p.help_key), int(p.minimum), int(p.maximum), int(p.default),
                                          key=f"clocks.p.{p.name}") for p in SPEC.params}
        seed = st.number_input(t("lab.controls.seed"), 0, 10**9, 1, key="clocks.seed")
        buggy = st.toggle(t("clocks.bug_toggle"), key="clocks.bug", help=t("lc.bug.no_max_on_receive"))
        sc = apply_controls(default_scenario(SPEC.id), {"params": params, "seed": int(seed),
                                                         "bug": "no-max-on-receive" if buggy else None})
    else:
        presets, error = preset_choices(source, current_lang())
        if error:
            st.error(t("clocks.presets_error", error=error))
        preset = st.selectbox(t("clocks.preset"), ["", *presets], key=f"clocks.preset.{source}",
                              format_func=lambda p: presets.get(p, p) if p else t("clocks.preset_default"))
        sc = scenario_for(source, preset or None)
trace = run_json(sc.to_json())
every = textbook_events(trace) if source == TEXTBOOK else simulator_events(trace, t)

st.caption(t("clocks.which_clocks" if source == TEXTBOOK else "clocks.which_clocks_sim"))
first = 0
if len(every) > MAX_EVENTS:  # long runs: a window of whole steps, chosen by its first step
    starts = window_starts(every)
    if ss.get("clocks.window") not in range(starts[0], starts[-1] + 1):
        ss["clocks.window"] = starts[0]  # another run: start at its beginning
    first = st.slider(t("clocks.window"), starts[0], starts[-1], key="clocks.window")
win = clock_window(every, first)
if win.clipped:
    st.info(t("clocks.window_note", total=win.total, shown=len(win.events), a=win.first_step, b=win.last_step,
              before=win.before, after=win.after))
events = win.events
by_i = {e.i: e for e in events}
ids = list(by_i)
for key in ("clocks.pick_a", "clocks.pick_b"):
    if ss.get(key) not in by_i:
        ss[key] = None  # the run or the window changed: an old pick may no longer be shown
if not events:
    st.info(t("clocks.no_events"))
    st.stop()

mode = st.segmented_control(t("clocks.labels"), LABEL_MODES, key="clocks.labels", default="both",
                            format_func=lambda m: t(f"clocks.labels_{m}")) or "both"
picked = selected_event_indices(ss.get("clocks.chart") or {})
if picked and picked[0] in by_i and picked[0] != ss.get("clocks.last_click"):
    ss["clocks.last_click"] = ss["clocks.pick_a"] = picked[0]  # a new click on the diagram
fig = clock_figure(events, trace.nodes, t, labels=mode, selected=ss["clocks.pick_a"], second=ss["clocks.pick_b"])
st.plotly_chart(fig, key="clocks.chart", on_select="rerun", selection_mode="points", config={"displayModeBar": False})
export_buttons(fig, f"clocks-{source}", "clocks.export")

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
