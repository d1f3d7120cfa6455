"""Glossary: every term in English and 简体中文 with its definition and source (``lessons/glossary.yaml``)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lessons.glossary import load_glossary, matching
from ui.frame import require_app_frame
from ui.lang import bound_t, current_lang

require_app_frame()
t = bound_t()
lang = current_lang()
st.title(t("glossary.title"))
st.markdown(t("glossary.intro"))
query = st.text_input(t("glossary.search"), key="glossary.search", max_chars=60)
terms = matching(load_glossary(), query, lang)
if not terms:
    st.info(t("glossary.nothing", query=query.strip()))
else:
    st.dataframe(pd.DataFrame({t("glossary.col.en"): [x.en for x in terms], t("glossary.col.zh"): [x.zh for x in terms],
                               t("glossary.col.def"): [x.definition[lang] for x in terms],
                               t("glossary.col.source"): [x.source for x in terms]}),
                 hide_index=True, width="stretch")
