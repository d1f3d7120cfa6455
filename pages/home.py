"""Home: what Consistency Lab is for, and the curriculum map of its eight topics."""

from __future__ import annotations

import streamlit as st

from ui.lang import bound_t
from ui.frame import require_app_frame

require_app_frame()

t = bound_t()

# (topic id, page available now or None, issue area of the lessons still to come)
TOPICS = (
    ("background", None, "lessons"),
    ("concepts", "pages/lab.py", "checkers"),
    ("maths", "pages/clocks.py", "checkers"),
    ("code", "pages/lab.py", "consensus"),
    ("bigdata", None, "replication"),
    ("tools", None, "lessons"),
    ("trends", None, "convergence"),
    ("faq", None, "lessons"),
)
LINK_LABEL = {"pages/lab.py": "core.nav.lab", "pages/clocks.py": "core.nav.clocks"}

st.title(t("core.home.title"))
st.markdown(t("core.home.intro"))
c1, c2 = st.columns(2)
c1.page_link("pages/lab.py", label=t("core.home.try_lab"), icon=":material/science:")
c2.page_link("pages/clocks.py", label=t("core.home.try_clocks"), icon=":material/schedule:")

st.header(t("core.home.map_title"))
st.caption(t("core.home.map_caption"))
for n, (topic, page, area) in enumerate(TOPICS, start=1):
    with st.container(border=True):
        st.markdown(f"**{n}. {t(f'core.topic.{topic}.title')}**")
        st.write(t(f"core.topic.{topic}.desc"))
        if page:
            st.page_link(page, label=t("core.home.available", page=t(LINK_LABEL[page])),
                         icon=":material/check_circle:")
        st.caption(t("core.home.coming", area=t(f"core.area.{area}")))
