"""Make sure every page runs inside ``app.py``'s frame (navigation, language switch).

Why: a folder named ``pages/`` next to the main script makes a fresh Streamlit server
start in its legacy multipage mode, in which a deep link such as ``/lab`` runs
``pages/lab.py`` directly, without ``app.py``, until some visitor's session has run
``app.py`` once (its ``st.navigation`` call switches the mode off for the process).
A share link is exactly such a deep link. Each page therefore calls
``require_app_frame()`` first: in legacy mode it switches the mode off and reruns, and
the rerun goes through ``app.py``, which resolves the same URL to the same page.
"""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def require_app_frame() -> None:
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
