"""Home: what Consistency Lab is for, and the curriculum map of its eight topics."""

from __future__ import annotations

import streamlit as st

from lessons.registry import lesson_ids
from ui.frame import PAGES, page_file, require_app_frame
from ui.lang import bound_t

require_app_frame()

t = bound_t()

# (topic id, the lab page that goes with it or None, issue area of what is still to come)
TOPICS = (
    ("background", None, "lessons"),
    ("concepts", "models", "lessons"),
    ("maths", "clocks", "lessons"),
    ("code", "lab", "lessons"),
    ("bigdata", "compare", "lessons"),
    ("tools", "models", "lessons"),
    ("trends", "crdts", "lessons"),
    ("faq", "lab", "lessons"),
)
# the lesson of each topic (lessons/content/<id>), where one has been written
LESSON_OF = {"background": "background", "concepts": "concepts", "maths": "principles", "bigdata": "applications",
             "tools": "tools", "trends": "trends", "faq": "faq", "code": "practice"}
NAV = {stem: (key, icon) for stem, key, icon in PAGES}

st.title(t("core.home.title"))
st.markdown(t("core.home.intro"))
c1, c2 = st.columns(2)
c1.page_link(page_file("lab"), label=t("core.home.try_lab"), icon=NAV["lab"][1])
c2.page_link(page_file("clocks"), label=t("core.home.try_clocks"), icon=NAV["clocks"][1])

present_lessons = lesson_ids()
st.header(t("core.home.map_title"))
st.caption(t("core.home.map_caption"))
for n, (topic, page, area) in enumerate(TOPICS, start=1):
    with st.container(border=True):
        st.markdown(f"**{n}. {t(f'core.topic.{topic}.title')}**")
        st.write(t(f"core.topic.{topic}.desc"))
        if topic in LESSON_OF and LESSON_OF[topic] in present_lessons:
            st.page_link(page_file("lessons"), label=t("core.home.read_lesson"), icon=":material/school:",
                         query_params={"lesson": LESSON_OF[topic]})
        else:
            st.caption(t("core.home.coming", area=t(f"core.area.{area}")))
        if page:
            st.page_link(page_file(page), label=t("core.home.available", page=t(NAV[page][0])),
                         icon=":material/check_circle:")
