"""Presentation mode for a lecture hall: ``?present=1`` in the URL.

Theory of operation
-------------------
An instructor in front of 200 people needs large type, high contrast and nothing but the page:
``presenting()`` reads ``?present=1`` (``0`` ends it), keeps the choice in the session so that
moving between pages keeps it, and writes it back to the URL so that a copied link presents too.
While presenting, the frame (``ui.frame.run_app``) collapses and hides the sidebar, hides the
navigation and injects ``PRESENT_CSS``: a larger base font (every rem-sized element scales),
black text on white, thicker focus outlines. The trace player keeps its keyboard stepping
(←/→, Home/End) for clicker-free demos.
"""

from __future__ import annotations

import streamlit as st

KEY = "present"

# data-present lets tests find the style block; sizes are rem so Streamlit's widgets scale with it
PRESENT_CSS = """<style data-present="1">
html { font-size: 22px; }
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stSidebarNav"] { display: none; }
.stApp, .stApp p, .stApp li, .stApp td, .stApp th, .stApp label { color: #000000; }
.stApp { background: #FFFFFF; }
.stApp h1 { font-size: 2.4rem; } .stApp h2 { font-size: 1.9rem; } .stApp h3 { font-size: 1.5rem; }
.stApp :focus-visible { outline: 4px solid #0072B2 !important; outline-offset: 2px; }
</style>"""


def presenting() -> bool:
    """Is presentation mode on (``?present=1``, remembered for the session)?"""
    value = st.query_params.get(KEY)
    if value is not None:
        st.session_state[KEY] = value == "1"
    on = bool(st.session_state.get(KEY))
    if on and st.query_params.get(KEY) != "1":
        st.query_params[KEY] = "1"
    return on


def apply_presentation_style() -> None:
    st.markdown(PRESENT_CSS, unsafe_allow_html=True)
