"""The app's frame — page config, language switch, navigation — and the guard that keeps
every page inside it.

Theory of operation
-------------------
``app.py`` only puts the repository on ``sys.path`` and calls ``run_app()``: page config,
the sidebar (title, language), ``st.navigation`` over the explicitly registered pages
(each ``pages/<name>.py`` is served at ``/<name>``), then the chosen page. With ``?present=1``
(``ui.present``) the sidebar and navigation are hidden and the type is large.

Why the guard: a folder named ``pages/`` next to the main script makes Streamlit start
in its legacy multipage mode, in which a deep link such as ``/lab`` (every share link is
one) runs ``pages/lab.py`` directly, without ``app.py``, until some session has called
``st.navigation``. Each page therefore calls ``require_app_frame()`` first. In legacy
mode it switches that mode off and runs the frame right here, in the same script run —
so nothing the learner just clicked is lost, as it would be with a rerun — and the frame
runs this same page inside it; then the outer run stops.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager

from ui.i18n import LANG_NAMES
from ui.lang import current_lang, language_selector, sync_lang_to_url, t
from ui.present import apply_presentation_style, presenting

PAGES_DIR = Path(__file__).resolve().parents[1] / "pages"
# The app's pages: (file stem = URL path, navigation title key, icon); the first is the default.
PAGES = (
    ("home", "core.nav.home", ":material/home:"),
    ("lessons", "core.nav.lessons", ":material/school:"),
    ("glossary", "core.nav.glossary", ":material/translate:"),
    ("exercises", "core.nav.exercises", ":material/quiz:"),
    ("progress", "core.nav.progress", ":material/task_alt:"),
    ("library", "core.nav.library", ":material/video_library:"),
    ("lab", "core.nav.lab", ":material/science:"),
    ("clocks", "core.nav.clocks", ":material/schedule:"),
    ("models", "core.nav.models", ":material/account_tree:"),
    ("compare", "core.nav.compare", ":material/compare:"),
    ("crdts", "core.nav.crdts", ":material/merge:"),
    ("gossip", "core.nav.gossip", ":material/share:"),
)


def page_file(stem: str) -> str:
    """The path ``st.page_link`` and ``st.switch_page`` take for page ``stem``."""
    return f"pages/{stem}.py"


def run_app() -> None:
    present = presenting()
    st.set_page_config(page_title=t("core.app_title"), page_icon="🧪", layout="wide",
                       initial_sidebar_state="collapsed" if present else "auto")
    if present:
        apply_presentation_style()
    pages = [st.Page(str(PAGES_DIR / f"{stem}.py"), title=t(key), icon=icon, url_path=stem, default=(n == 0))
             for n, (stem, key, icon) in enumerate(PAGES)]
    with st.sidebar:
        st.markdown(f"**{t('core.app_title')}**")
    language_selector()
    nav = st.navigation(pages, position="hidden" if present else "sidebar")
    st.sidebar.caption(t("core.sidebar_footer", language=LANG_NAMES[current_lang()]))
    sync_lang_to_url()
    nav.run()


def require_app_frame() -> None:
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        run_app()
        st.stop()
