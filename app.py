"""Consistency Lab / 一致性实验室 — the frame: page config, language switch, navigation.

Pages are registered explicitly with ``st.Page`` (never auto-discovered); each page is a
thin script under ``pages/``. The repository root goes on ``sys.path`` first so that
``streamlit run /elsewhere/app.py`` from any working directory finds ``sim``, ``ui`` ...
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
# Page files are named after their URL paths (pages/lab.py -> /lab): until st.navigation has run once,
# Streamlit resolves a deep link against the files in pages/, so the names must agree or the very
# first visit to /lab after a server start shows "Page not found".
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from ui.i18n import LANG_NAMES  # noqa: E402
from ui.lang import current_lang, language_selector, sync_lang_to_url, t  # noqa: E402

st.set_page_config(page_title=t("core.app_title"), page_icon="🧪", layout="wide")

PAGES = [
    st.Page(str(ROOT / "pages" / "home.py"), title=t("core.nav.home"), icon=":material/home:",
            url_path="home", default=True),
    st.Page(str(ROOT / "pages" / "lab.py"), title=t("core.nav.lab"), icon=":material/science:",
            url_path="lab"),
    st.Page(str(ROOT / "pages" / "clocks.py"), title=t("core.nav.clocks"), icon=":material/schedule:",
            url_path="clocks"),
]

with st.sidebar:
    st.markdown(f"**{t('core.app_title')}**")
language_selector()
nav = st.navigation(PAGES)
st.sidebar.caption(t("core.sidebar_footer", language=LANG_NAMES[current_lang()]))
sync_lang_to_url()
nav.run()
