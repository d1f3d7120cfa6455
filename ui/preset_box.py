"""One select box over a protocol's presets, titled in the reader's language, plus a "no preset"
choice (the protocol's default run). Used by the pages that let the reader pick a run."""

from __future__ import annotations

import streamlit as st

from lessons.presets import Preset, list_presets
from ui.lang import current_lang


def preset_box(protocol: str, label: str, none_label: str, *, key: str, none_first: bool = True) -> Preset | None:
    """The chosen preset, or None for the default run (listed first, or last with ``none_first=False``)."""
    presets = {p.id: p for p in list_presets(protocol)}
    lang = current_lang()
    options = ["", *presets] if none_first else [*presets, ""]
    pick = st.selectbox(label, options, key=key,
                        format_func=lambda p: ((presets[p].meta.get("title") or {}).get(lang) or p) if p else none_label)
    return presets[pick] if pick else None
