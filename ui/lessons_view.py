"""The Lessons page: one lesson of the curriculum at a time, in the reader's language, with links
that open the presets it cites in the Protocol Lab, its sources, and its self-check.

Theory of operation
-------------------
Lessons are data (``lessons.registry``: ``lessons/content/<id>/``); this module only renders
them. ``?lesson=<id>`` in the URL opens a lesson directly (an unknown id gets a translated
message and the first lesson). A ``preset`` block becomes a page link to the Lab carrying the
preset as a share link (``ui.share.encode``), so the Lab opens exactly that run; a ``source``
block becomes a citation line. The ``check`` section renders the self-check questions of
``lesson.yaml``: one radio per question (nothing pre-selected) and a button that marks each
answer right or wrong with its explanation — the answer key never reaches the page before —
followed by a link to the topic's graded exercises (``?topic=<lesson id>`` on the Exercises
page). A ``widget`` block imports ``ui.widgets.<name>`` and calls its ``render``.

Widget state lives under ``lessons.*``.
"""

from __future__ import annotations

import importlib

import streamlit as st

from lessons.exercises.core import exercises_of
from lessons.presets import load_preset
from lessons.registry import Lesson, LessonError, Section, list_lessons
from ui import share
from ui.frame import page_file
from ui.lang import bound_t, current_lang

K = "lessons."


def _pick(lessons: list[Lesson], t) -> Lesson:
    ids = [lesson.id for lesson in lessons]
    wanted = st.query_params.get("lesson")
    if wanted is not None and wanted not in ids:
        st.warning(t("lessons_page.unknown", lesson=str(wanted)[:40]))
    if K + "pick" not in st.session_state:
        st.session_state[K + "pick"] = wanted if wanted in ids else ids[0]
    lang = current_lang()
    by_id = {lesson.id: lesson for lesson in lessons}
    chosen = st.selectbox(t("lessons_page.choose"), ids, key=K + "pick",
                          format_func=lambda i: f"{by_id[i].order}. {by_id[i].title[lang]}")
    if st.query_params.get("lesson") != chosen:
        st.query_params["lesson"] = chosen
    return by_id[chosen]


def _preset_link(preset_id: str, t, lang: str) -> None:
    preset = load_preset(preset_id)
    title = (preset.meta.get("title") or {}).get(lang) or preset_id
    st.page_link(page_file("lab"), label=t("lessons_page.open_preset", title=title), icon=":material/science:",
                 query_params={"lang": lang, "p": share.encode(preset, 0)})


def _section(lesson: Lesson, section: Section, t, lang: str) -> None:
    st.header(section.heading)
    for block in section.blocks:
        if block.kind == "markdown":
            st.markdown(block.text)
        elif block.kind == "preset":
            _preset_link(block.ref, t, lang)
        elif block.kind == "widget":
            importlib.import_module(f"ui.widgets.{block.ref}").render(f"lesson.{lesson.id}.{block.ref}.")
        else:
            st.caption(t("lessons_page.source", citation=lesson.sources[block.ref]))


def _self_check(lesson: Lesson, t, lang: str) -> None:
    picks = []
    for n, q in enumerate(lesson.self_check):
        picks.append(st.radio(f"{n + 1}. {q.question[lang]}", range(len(q.choices)), index=None,
                              key=f"{K}{lesson.id}.q{n}", format_func=lambda c, q=q: q.choices[c][lang]))
    if st.button(t("lessons_page.check"), key=f"{K}{lesson.id}.check"):
        right = 0
        for n, (q, pick) in enumerate(zip(lesson.self_check, picks)):
            if pick is None:
                st.info(t("lessons_page.unanswered", n=n + 1))
            elif pick == q.answer:
                right += 1
                st.success(t("lessons_page.right", n=n + 1, why=q.why[lang]))
            else:
                st.error(t("lessons_page.wrong", n=n + 1, answer=q.choices[q.answer][lang], why=q.why[lang]))
        st.markdown(t("lessons_page.score", right=right, total=len(lesson.self_check)))


def _exercises_link(lesson: Lesson, t, lang: str) -> None:
    """After the self-check: the graded exercises of this lesson's topic, if it has any."""
    count = len(exercises_of(lesson.id))
    if count:
        st.page_link(page_file("exercises"), label=t("lessons_page.exercises", n=count), icon=":material/quiz:",
                     query_params={"lang": lang, "topic": lesson.id})


def lessons_page() -> None:
    t = bound_t()
    lang = current_lang()
    st.title(t("lessons_page.title"))
    try:
        lessons = list_lessons()
    except LessonError as e:  # a broken lesson file is our bug: say which, keep the app running
        st.error(t("lessons_page.broken", reason=str(e)[:300]))
        return
    if not lessons:
        st.info(t("lessons_page.none"))
        return
    lesson = _pick(lessons, t)
    st.markdown(f"*{lesson.summary[lang]}*")
    for section in lesson.sections[lang]:
        if section.id == "check":
            st.header(section.heading)
            _self_check(lesson, t, lang)
            _exercises_link(lesson, t, lang)
        else:
            _section(lesson, section, t, lang)
