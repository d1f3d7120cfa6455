"""The current language (English / 简体中文), kept in the URL as ``?lang=``, and ``t(key)``.

Theory of operation
-------------------
The URL is the source of truth so a shared link opens in the sender's language. A missing
or garbage ``lang`` (``?lang=xx``, a list, 10 kB of junk) falls back to the last language
this session chose, then to English; it never raises. ``language_selector`` (sidebar, drawn by
``ui/frame.py``) writes the choice back to ``st.query_params`` and to ``st.session_state["lang"]``,
the fallback for pages that clear the query string.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from ui.i18n import LANG_NAMES, LANGS, translate

_STATE = "lang"
_WIDGET = "lang.select"


def _from_url() -> str | None:
    try:
        value = st.query_params.get("lang")
    except Exception:  # noqa: BLE001 - a malformed query string must never break the page
        return None
    return value if isinstance(value, str) and value in LANGS else None


def current_lang() -> str:
    lang = _from_url() or st.session_state.get(_STATE)
    return lang if lang in LANGS else "en"


def t(key: str, /, **args: Any) -> str:
    """``key`` translated into the current language (``[key]`` when missing: a test catches it)."""
    return translate(current_lang(), key, **args)


def _on_change() -> None:
    chosen = st.session_state.get(_WIDGET)
    if chosen in LANGS:
        st.session_state[_STATE] = chosen
        st.query_params["lang"] = chosen


def sync_lang_to_url() -> None:
    """Write the current language into the URL (also repairs ``?lang=xx``), so links carry it."""
    lang = current_lang()
    if st.query_params.get("lang") != lang:
        st.query_params["lang"] = lang


def language_selector() -> str:
    """The sidebar select box; keeps the session in step (``sync_lang_to_url`` does the URL)."""
    lang = current_lang()
    st.session_state[_STATE] = lang
    st.session_state[_WIDGET] = lang
    st.sidebar.selectbox(translate(lang, "core.language"), LANGS, key=_WIDGET,
                         format_func=LANG_NAMES.__getitem__, on_change=_on_change)
    return lang


_MD_SPECIAL = set("\\`*_{}[]()#+-.!|<>~$:")


def md_escape(text: Any, limit: int = 120) -> str:
    """User-supplied text made inert for Markdown (no links, images, HTML, emphasis), and bounded."""
    s = str(text)
    if len(s) > limit:
        s = s[:limit] + "…"
    s = "".join(ch for ch in s if ch.isprintable())
    return "".join("\\" + ch if ch in _MD_SPECIAL else ch for ch in s)


def error_text(err: Any) -> str:
    """A ``ScenarioError`` in the current language, naming the field path (made inert for Markdown)."""
    from ui.i18n import has

    lang = current_lang()
    args = {k: md_escape(v, 60) for k, v in getattr(err, "args_", {}).items()}
    key = getattr(err, "key", "")
    reason = translate(lang, key, **args) if key and has(lang, key) else md_escape(getattr(err, "english", err))
    path = getattr(err, "path", "")
    if path:
        return translate(lang, "err.at_field", field=md_escape(path, 80), reason=reason)
    return translate(lang, "err.general", reason=reason)


def bound_t():
    """``t`` fixed to the language of this run (for ``format_func`` callbacks, which Streamlit may
    call outside the script run)."""
    from ui.i18n import translator

    return translator(current_lang())
