"""Protocol Lab: pick a protocol and a network, step through the run, break it, share it.

Thin page: the state lives in ``ui.lab_state`` (scenario JSON + cursor), every change of
the run is a pure function of ``sim.edit``, the trace comes from the cached ``ui.runner``.
"""

from __future__ import annotations

import functools

import streamlit as st

from protocols import REGISTRY
from sim import edit
from ui import lab_state as lab
from ui.consensus_views import protocol_views
from ui.explorer import open_in_explorer_button
from ui.export import export_msc
from ui.fault_palette import fault_palette, manual_picker
from ui.lab_verdicts import anomaly_marks, live_verdicts, store_verdicts
from ui.lang import current_lang, md_escape, bound_t
from ui.runner import run_json
from ui.show_code import show_code_panel
from ui.frame import require_app_frame

require_app_frame()

t = bound_t()

lang = current_lang()
lab.restore_from_url()
sc = lab.scenario()
lab.sidebar_controls(sc)
sc = lab.scenario()  # a widget callback may have changed it before this rerun
trace = run_json(sc.to_json())
cursor = lab.cursor(trace.n_steps)
manual = sc.mode == "manual"

st.title(t("lab.title"))
title = edit.meta_text(sc.meta, "title", lang)
st.caption(md_escape(title, 200) if title else t(REGISTRY[sc.protocol].summary_key))
lab.show_flash()
reason = trace.end.get("reason")
if reason in ("max_steps", "max_pending", "max_time", "stopped", "bad_choice"):
    st.warning(t(f"lab.end.{reason}", n=trace.n_steps))

verdicts = store_verdicts(trace, cursor)  # before the player: it marks a violation's operations
result = lab.player(trace, cursor, manual, marks=anomaly_marks(verdicts))
cursor = lab.follow_player(result.cursor, cursor, trace.n_steps)
if result.choose:
    lab.apply_choice(sc, trace, cursor, result.choose)
    st.rerun()
export_msc(trace, cursor, key="lab.export")  # the diagram up to the cursor as PNG/SVG/HTML

if manual:
    pick = manual_picker(trace, edit.action_cursor(trace, cursor), t)
    if pick:
        lab.apply_choice(sc, trace, cursor, pick)
        st.rerun()

with st.container(border=True):
    fault = fault_palette(trace, edit.action_cursor(trace, cursor), t)
if fault:
    lab.apply_fault(sc, trace, cursor, fault)
    st.rerun()
open_in_explorer_button(trace, cursor)

protocol_views(trace, cursor)  # consensus logs/terms (protocols with replica_view) + invariant panel
live_verdicts(verdicts)  # the client history up to the cursor against every consistency model
show_code_panel(trace, cursor)  # behind a toggle: the protocol method that handled the step at the cursor

if st.toggle(t("lab.static.toggle"), key="lab.static"):
    from ui.static_views import static_views

    static_views(trace, cursor)

st.subheader(t("lab.io.title"))
col_t, col_s, col_y = st.columns(3)
stem = f"{sc.protocol}-seed{sc.seed}"
col_t.download_button(t("lab.io.export_trace"), functools.partial(lambda j: run_json(j).to_json(), sc.to_json()),
                      file_name=f"{stem}.trace.json", mime="application/json", key="lab.dl.trace", on_click="ignore")
col_s.download_button(t("lab.io.export_scenario"), sc.to_json(), file_name=f"{stem}.scenario.json",
                      mime="application/json", key="lab.dl.scenario", on_click="ignore")
col_y.download_button(t("lab.io.export_yaml"), lab.scenario_yaml(sc), file_name=f"{stem}.scenario.yaml",
                      mime="application/yaml", key="lab.dl.yaml", on_click="ignore")
st.file_uploader(t("lab.io.import"), type=["json", "yaml", "yml"], key="lab.upload", on_change=lab.handle_upload,
                 help=t("lab.io.import_help"))

st.subheader(t("lab.share.title"))
st.caption(t("lab.share.help", step=cursor))
st.code(lab.publish_link(sc, cursor), language=None, wrap_lines=True)
