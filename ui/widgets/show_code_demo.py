"""Lesson widget: pick a preset and a step, see the method that handled that step's event.

The same view as the Protocol Lab's "Show the code" panel (``ui.show_code``), on a preset run.
"""

from __future__ import annotations

import streamlit as st

from lessons.presets import list_presets, load_preset
from ui.lang import current_lang, t
from ui.runner import run_json
from ui.show_code import code_at, render_view

DEFAULT = "raft-first-election"
FIRST_STEP = 3  # past the boot: in the default preset, a timer or a message


def render(key_prefix: str) -> None:
    lang = current_lang()
    presets = {p.id: p for p in list_presets() if p.protocol != "ping"}
    ids = sorted(presets, key=lambda pid: (pid != DEFAULT, pid))

    def title(pid: str) -> str:
        meta_title = presets[pid].meta.get("title") or {}
        return f"{meta_title.get(lang) or meta_title.get('en') or pid} ({pid})"

    left, right = st.columns([2, 1])
    pid = left.selectbox(t("show_code.demo.preset"), ids, format_func=title, key=key_prefix + "preset")
    scenario_json = load_preset(pid).to_json()
    trace = run_json(scenario_json)
    last = max(0, trace.n_steps - 1)
    step = right.number_input(t("show_code.demo.step"), min_value=0, max_value=last, value=min(FIRST_STEP, last),
                              step=1, key=f"{key_prefix}step.{pid}")  # per preset: runs differ in length
    render_view(code_at(scenario_json, int(step)))
