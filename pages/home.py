"""Home: what Consistency Lab is for, and the curriculum map of its eight topics."""

from __future__ import annotations

import streamlit as st

from ui.frame import PAGES, page_file, require_app_frame
from ui.lang import bound_t

require_app_frame()

t = bound_t()

# (topic id, page available now or None, issue area of the lessons still to come)
TOPICS = (
    ("background", "lessons", "lessons"),
    ("concepts", "lab", "checkers"),
    ("maths", "clocks", "checkers"),
    ("code", "lab", "consensus"),
    ("bigdata", "compare", "replication"),
    ("tools", None, "lessons"),
    ("trends", "crdts", "convergence"),
    ("faq", None, "lessons"),
)
NAV = {stem: (key, icon) for stem, key, icon in PAGES}

st.title(t("core.home.title"))
st.markdown(t("core.home.intro"))
c1, c2 = st.columns(2)
c1.page_link(page_file("lab"), label=t("core.home.try_lab"), icon=NAV["lab"][1])
c2.page_link(page_file("clocks"), label=t("core.home.try_clocks"), icon=NAV["clocks"][1])

st.header(t("core.home.map_title"))
st.caption(t("core.home.map_caption"))
for n, (topic, page, area) in enumerate(TOPICS, start=1):
    with st.container(border=True):
        st.markdown(f"**{n}. {t(f'core.topic.{topic}.title')}**")
        st.write(t(f"core.topic.{topic}.desc"))
        if page:
            st.page_link(page_file(page), label=t("core.home.available", page=t(NAV[page][0])),
                         icon=":material/check_circle:")
        st.caption(t("core.home.coming", area=t(f"core.area.{area}")))
