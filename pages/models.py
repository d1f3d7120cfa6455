"""Model Explorer: build or load a history, see which consistency models it satisfies, why, and
where it sits on the model map; edit one value and watch the verdicts change.

Thin page: the widgets live in ``ui.explorer`` (sources, table) and ``ui.explorer_results``
(bounded checking, timeline, map, per-model list, export); the science lives in ``checkers``.
"""

from __future__ import annotations

import streamlit as st

from checkers.formats import to_json
from ui import explorer as ex
from ui.explorer_results import exports, show_verdicts
from ui.frame import require_app_frame
from ui.lang import bound_t

require_app_frame()

t = bound_t()

st.title(t("explorer.title"))
st.markdown(t("explorer.intro"))

source = ex.pick_source(t)
base = ex.load_base(source, t)
if base is not None:
    base_json = to_json(base)
    history = ex.table_editor(base, base_json, t)
    if history is not None:
        history_json = base_json if history is base else to_json(history)
        ex.remember(history_json)
        show_verdicts(history, history_json, t, context=ex.digest(base_json))
        stem = st.session_state.get(ex.K_GALLERY, "history") if source == "gallery" else "history"
        exports(history, str(stem), t)
