"""Real browser: answer an exercise wrong and right and see the feedback, answer another one wrong,
then on the Progress page download the record and import it into a fresh session: the same counts."""

from __future__ import annotations

import json

import pytest
from playwright.sync_api import Page, expect

from lessons.exercises import core
from lessons.exercises import record as rec
from tests.support.browser import wait_idle
from ui.exercise_forms import model_name
from ui.i18n import translate

pytestmark = pytest.mark.browser
NAME = "Ada Lovelace"
SEED = 31337


def en(key, **args):
    return translate("en", key, **args)


def _two_models_exercises() -> tuple[str, str]:
    """Two 'models' exercises of one topic whose answers are not 'no model at all'."""
    by_topic: dict[str, list[str]] = {}
    for ex, spec in core.load_exercises().items():
        if core.FORMS[spec.kind] == "models" and core.answer_key(core.make_question(ex, SEED)) \
                and core.answer_key(core.make_question(ex, core.question_seed(ex, core.learner_seed_of(NAME)))):
            by_topic.setdefault(spec.topic, []).append(ex)
    pair = next(v for v in by_topic.values() if len(v) >= 2)
    return pair[0], pair[1]


def _bold_free(text: str) -> str:
    return text.replace("**", "")


def _tick(page: Page, models: list[str], all_models: list[str]) -> None:
    for m in all_models:
        box = page.get_by_test_id("stCheckbox").filter(has=page.get_by_text(model_name(m, "en"), exact=True))
        checked = box.get_by_role("checkbox").is_checked()
        if checked != (m in models):
            box.locator("label").click()
            wait_idle(page)


def _submit(page: Page) -> None:
    page.get_by_role("button", name=en("exercises.submit"), exact=True).click()
    wait_idle(page)


def test_answer_wrong_and_right_then_export_and_reimport_progress(lab_page: Page, tmp_path, browser):
    page = lab_page
    first, second = _two_models_exercises()
    page.goto(f"{page.app_url}/exercises?lang=en&exercise={first}&seed={SEED}")
    expect(page.get_by_role("heading", name=core.get_exercise(first).title["en"])).to_be_visible()
    wait_idle(page)
    page.get_by_role("textbox", name=en("exercises.learner"), exact=True).fill(NAME)
    page.get_by_role("textbox", name=en("exercises.learner"), exact=True).press("Enter")
    expect(page.get_by_text(en("exercises.learner_seed", seed=core.learner_seed_of(NAME)))).to_be_visible()
    wait_idle(page)

    q = core.make_question(first, SEED)
    key, models = core.answer_key(q), list(q.data["models"])
    _tick(page, [], models)  # nothing ticked: wrong (the key is not empty)
    _submit(page)
    expect(page.get_by_text(en("exercises.feedback.wrong"), exact=True)).to_be_visible()
    _tick(page, key, models)
    _submit(page)
    expect(page.get_by_text(en("exercises.feedback.right"), exact=True)).to_be_visible()
    expect(page.get_by_text(en("exercises.feedback.wrong"), exact=True)).to_have_count(0)

    # another exercise of the same topic, the learner's own copy: answered wrong
    page.get_by_role("combobox", name=en("exercises.exercise_pick"), exact=True).click()
    page.get_by_role("option", name=core.get_exercise(second).title["en"], exact=True).click()
    expect(page.get_by_role("heading", name=core.get_exercise(second).title["en"])).to_be_visible()
    wait_idle(page)
    _submit(page)
    expect(page.get_by_text(en("exercises.feedback.wrong"), exact=True)).to_be_visible()

    page.get_by_test_id("stSidebarNav").get_by_text(en("core.nav.progress"), exact=True).click()
    summary = _bold_free(en("exercises.progress.summary", answered=2, correct=1))
    expect(page.get_by_text(summary)).to_be_visible()
    wait_idle(page)
    button = page.get_by_test_id("stDownloadButton").filter(has_text=en("exercises.progress.download")).first
    with page.expect_download() as info:
        button.get_by_role("button").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    record = rec.parse(path.read_bytes())
    own = core.question_seed(second, core.learner_seed_of(NAME))
    assert record.learner == NAME
    assert [(a.exercise, a.seed, a.correct) for a in record.answers] == [(first, SEED, True), (second, own, False)]

    # a fresh session (new browser context): nothing yet, then the import brings the same counts back
    ctx = browser.new_context(viewport={"width": 1400, "height": 1600})
    try:
        fresh = ctx.new_page()
        fresh.set_default_timeout(30_000)
        fresh.goto(f"{page.app_url}/progress?lang=en")
        expect(fresh.get_by_text(_bold_free(en("exercises.progress.summary", answered=0, correct=0)))).to_be_visible()
        wait_idle(fresh)
        fresh.get_by_test_id("stFileUploader").locator("input[type=file]").set_input_files(str(path))
        expect(fresh.get_by_text(en("exercises.progress.imported", n=2))).to_be_visible()
        expect(fresh.get_by_text(summary)).to_be_visible()
        expect(fresh.get_by_text(en("exercises.progress.learner", learner=NAME, seed=record.learner_seed))) \
            .to_be_visible()
        wait_idle(fresh)
        with fresh.expect_download() as again:
            fresh.get_by_test_id("stDownloadButton").filter(has_text=en("exercises.progress.download")).first \
                .get_by_role("button").click()
        back = tmp_path / "again.json"
        again.value.save_as(back)
        assert json.loads(back.read_text(encoding="utf-8"))["answers"] == json.loads(path.read_text())["answers"]
    finally:
        ctx.close()
