"""Lessons (lessons/registry.py, pages/lessons.py): every lesson in both languages with the same
sections, every cited preset exists and runs, malformed lessons are refused, and the page renders
and grades its self-check in both languages."""

from __future__ import annotations

import shutil

import pytest

import lessons.registry as registry
from lessons.exercises.core import exercises_of
from lessons.presets import load_preset
from lessons.registry import LAST_SECTIONS, LessonError, list_lessons, load_lesson
from sim.engine import run
from tests.support.apptest import open_page
from ui.i18n import translate

LESSONS = [lesson.id for lesson in list_lessons()]


def _structure(sections):
    return [(s.id, [(b.kind, b.ref) for b in s.blocks if b.kind != "markdown"]) for s in sections]


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_both_languages_have_the_same_sections_presets_and_sources(lesson_id):
    lesson = load_lesson(lesson_id)
    en, zh = lesson.sections["en"], lesson.sections["zh"]
    assert _structure(en) == _structure(zh)
    assert tuple(s.id for s in en[-2:]) == LAST_SECTIONS
    assert all(s.heading for s in en + zh)
    cited = {b.ref for s in en for b in s.blocks if b.kind == "source"}
    assert cited == set(lesson.sources), "every source is cited, every citation has a source"
    assert all(any(b.kind == "source" for b in s.blocks) for s in en[:-2]), "each teaching section cites"


@pytest.mark.parametrize("lesson_id", LESSONS)
def test_every_cited_preset_exists_and_runs(lesson_id):
    lesson = load_lesson(lesson_id)
    used = {b.ref for s in lesson.sections["en"] for b in s.blocks if b.kind == "preset"}
    assert used == set(lesson.presets)
    for pid in lesson.presets:
        trace = run(load_preset(pid))
        assert trace.end["reason"] == "quiescent", pid


def test_there_is_a_lesson_and_the_first_is_the_background():
    assert LESSONS and LESSONS[0] == "background"


def _copy_lesson(tmp_path, monkeypatch):
    shutil.copytree(registry.CONTENT_DIR / "background", tmp_path / "background")
    monkeypatch.setattr(registry, "CONTENT_DIR", tmp_path)
    return tmp_path / "background"


@pytest.mark.parametrize("edit, message", [
    (lambda d: (d / "zh.md").write_text((d / "zh.md").read_text().replace("<!-- section: clocks -->\n", "")),
     "differ in their sections"),
    (lambda d: (d / "en.md").write_text((d / "en.md").read_text().replace("<!-- section: check -->", "")),
     "last sections"),
    (lambda d: (d / "en.md").write_text("Intro before any section\n" + (d / "en.md").read_text()), "before the first"),
    (lambda d: (d / "en.md").write_text((d / "en.md").read_text().replace("<!-- preset: raft-stale-leader -->",
                                                                           "<!-- preset: no-such-preset -->")),
     "not listed"),
    (lambda d: (d / "lesson.yaml").write_text((d / "lesson.yaml").read_text().replace("answer: 1", "answer: 7", 1)),
     "answer"),
    (lambda d: (d / "en.md").write_bytes(b"x" * (registry.MAX_FILE_BYTES + 1)), "KiB"),
])
def test_a_malformed_lesson_is_refused_with_the_file_and_reason(tmp_path, monkeypatch, edit, message):
    folder = _copy_lesson(tmp_path, monkeypatch)
    load_lesson("background")  # the copy is fine
    edit(folder)
    with pytest.raises(LessonError, match=message):
        load_lesson("background")


def test_a_missing_language_and_a_bad_id_are_refused(tmp_path, monkeypatch):
    folder = _copy_lesson(tmp_path, monkeypatch)
    (folder / "zh.md").unlink()
    with pytest.raises(LessonError, match="missing"):
        load_lesson("background")
    with pytest.raises(LessonError, match="not a lesson id"):
        load_lesson("../etc")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_renders_the_lesson_and_grades_the_self_check(lang):
    lesson = load_lesson("background")
    at = open_page("pages/lessons.py", lang)
    assert translate(lang, "lessons_page.title") in [x.value for x in at.title]
    assert [h.value for h in at.header] == [s.heading for s in lesson.sections[lang]]
    captions = [c.value for c in at.caption]
    assert all(translate(lang, "lessons_page.source", citation=c) in captions for c in lesson.sources.values())
    radios = [r for r in at.radio if r.key.startswith("lessons.background.q")]
    assert len(radios) == len(lesson.self_check) and all(r.value is None for r in radios)
    radios[0].set_value(lesson.self_check[0].answer)
    radios[1].set_value((lesson.self_check[1].answer + 1) % len(lesson.self_check[1].choices))
    at.button(key="lessons.background.check").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert len(at.success) == 1 and len(at.error) == 1 and len(at.info) == 1  # right, wrong, unanswered
    assert lesson.self_check[1].why[lang] in at.error[0].value
    total = len(lesson.self_check)
    assert translate(lang, "lessons_page.score", right=1, total=total) in [m.value for m in at.markdown]


def test_a_link_opens_a_lesson_and_an_unknown_one_says_so():
    at = open_page("pages/lessons.py", "en", lesson="no-such-lesson")
    assert at.warning and "no-such-lesson" in at.warning[0].value
    assert at.selectbox(key="lessons.pick").value == LESSONS[0]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("lesson_id", LESSONS)
def test_every_lesson_renders_in_both_languages(lesson_id, lang):
    lesson = load_lesson(lesson_id)
    at = open_page("pages/lessons.py", lang, lesson=lesson_id)
    assert [h.value for h in at.header] == [s.heading for s in lesson.sections[lang]]
    links = [b.ref for s in lesson.sections[lang] for b in s.blocks if b.kind == "preset"]
    exercises = len(exercises_of(lesson_id))
    page_links = [p.proto for p in at.get("page_link")]
    assert len([p for p in page_links if p.page == "lab"]) >= len(links)  # widgets may add Lab links of their own
    # every lesson topic has graded exercises, linked once after the self-check
    assert exercises >= 5
    assert [(p.label, p.query_string) for p in page_links if p.page == "exercises"] == [
        (translate(lang, "lessons_page.exercises", n=exercises), f"lang={lang}&topic={lesson_id}")]
    assert len([r for r in at.radio if r.key.startswith(f"lessons.{lesson_id}.q")]) == len(lesson.self_check)
