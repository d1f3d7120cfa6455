"""Placeholder page (being written)."""

from __future__ import annotations

import streamlit as st

from ui.frame import require_app_frame
from ui.lang import bound_t

require_app_frame()
t = bound_t()
st.title(t("core.nav.library"))
