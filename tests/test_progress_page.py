"""AppTest: the Progress page in both languages; importing a record re-grades it (claims are not
trusted); bad uploads give a translated message and leave the progress alone; assignment completion;
the instructor's ad-hoc assignment builder."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from lessons.exercises import core
from lessons.exercises import record as rec
from tests.support.apptest import open_page
from tests.test_exercise_record import wrong_answer
from ui.i18n import translate

IDS = list(core.load_exercises())


def _tampered_record(assignment: str | None = None) -> tuple[rec.Record, int]:
    """Two right answers, one wrong answer claimed right, one unknown exercise claimed right."""
    seed = core.learner_seed_of("Ada")
    r = rec.new("Ada", seed, assignment)
    right = 0
    for ex in IDS:
        s = core.question_seed(ex, seed)
        q = core.make_question(ex, s)
        if right < 2:
            r = rec.add(r, ex, s, core.answer_key(q), True)
            right += 1
        elif (bad := wrong_answer(q)) is not None:
            r = rec.add(r, ex, s, bad, True)  # a lie
            break
    r = rec.add(r, "no-such-exercise", 1, "x", True)
    return r, 2


def _upload(at, name: str, data: bytes):
    at.file_uploader(key="progress.upload").set_value((name, data, "application/json")).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _texts(at) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [e.value for e in at.error]
                     + [s.value for s in at.success] + [i.value for i in at.info])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_page_renders_empty_in_both_languages(lang):
    at = open_page("pages/progress.py", lang)
    assert translate(lang, "exercises.progress.title") in [t.value for t in at.title]
    assert translate(lang, "exercises.progress.empty") in [i.value for i in at.info]
    assert translate(lang, "exercises.progress.summary", answered=0, correct=0) in [m.value for m in at.markdown]
    assert len(at.get("download_button")) == 1 and len(at.file_uploader) == 1
    assert "[exercises." not in _texts(at)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_import_regrades_and_never_trusts_the_claims(lang):
    record, really_right = _tampered_record()
    at = open_page("pages/progress.py", lang)
    _upload(at, "progress.json", rec.to_json(record).encode())
    assert translate(lang, "exercises.progress.imported", n=len(record.answers)) in [s.value for s in at.success]
    assert translate(lang, "exercises.progress.summary", answered=len(record.answers), correct=really_right) \
        in [m.value for m in at.markdown]
    kept = rec.parse(at.session_state["progress.record"])
    assert [a.correct for a in kept.answers] == [True, True, False, False]  # the claims replaced by the truth
    assert kept.learner == "Ada" and at.session_state["exercises.name"] == "Ada"
    answers = at.dataframe[1].value
    now, claimed = translate(lang, "exercises.progress.col_now"), translate(lang, "exercises.progress.col_correct")
    yes, no = translate(lang, "exercises.progress.yes"), translate(lang, "exercises.progress.no")
    assert list(answers[now]) == [yes, yes, no, no]
    note = translate(lang, "exercises.progress.col_note")
    assert answers[note].iloc[-1] == translate(lang, "exercises.err.unknown_exercise", exercise="no-such-exercise")
    per_topic = at.dataframe[0].value
    assert per_topic[translate(lang, "exercises.progress.col_answered")].sum() == len(record.answers)
    assert per_topic[claimed].sum() == really_right
    assert "[exercises." not in _texts(at)


BAD = [
    ("junk.json", b"\x00\x01\x02 not json", "exercises.err.not_json"),
    ("list.json", b"[1, 2, 3]", "exercises.err.format"),
    ("future.json", json.dumps({"format": rec.FORMAT, "version": 9, "answers": []}).encode(), "exercises.err.version"),
    ("huge.json", b" " * (rec.MAX_RECORD_BYTES + 10), "exercises.err.too_big"),
    ("seed.json", json.dumps({"format": rec.FORMAT, "version": 1, "learner_seed": "7", "answers": []}).encode(),
     "exercises.err.seed"),
]


@pytest.mark.parametrize("name,data,key", BAD, ids=[b[0] for b in BAD])
def test_a_bad_upload_gives_a_translated_message_and_keeps_the_progress(name, data, key):
    record, _ = _tampered_record()
    at = open_page("pages/progress.py", "zh")
    _upload(at, "good.json", rec.to_json(record).encode())
    before = at.session_state["progress.record"]
    _upload(at, name, data)
    head = translate("zh", key).split("{")[0].split("“")[0]
    assert any(e.value.startswith(head) for e in at.error), [e.value for e in at.error]
    assert at.session_state["progress.record"] == before
    assert not at.success


def test_assignment_completion_after_import():
    week1 = rec.get_assignment("week1-models")
    seed = core.learner_seed_of("Bob")
    r = rec.new("Bob", seed, "week1-models")
    mine = rec.questions_for(week1, seed)
    for ex, s in mine[:2]:
        r = rec.add(r, ex, s, core.answer_key(core.make_question(ex, s)), True)
    r = rec.add(r, IDS[-1], 5, core.answer_key(core.make_question(IDS[-1], 5)), True)  # not part of it
    at = open_page("pages/progress.py", "en")
    _upload(at, "bob.json", rec.to_json(r).encode())
    assert translate("en", "exercises.progress.completion", done=2, correct=2, total=len(week1.items)) \
        in [m.value for m in at.markdown]
    labels = [b.proto.label for b in at.get("download_button")]
    assert translate("en", "exercises.progress.download_completion") in labels


def test_instructor_builds_an_adhoc_assignment_link():
    at = open_page("pages/progress.py", "en")
    at.toggle(key="progress.instructor").set_value(True).run()
    assert translate("en", "exercises.builder.pick_some") in [c.value for c in at.caption]
    at.multiselect(key="progress.b.exercises").set_value(IDS[:2]).run()
    at.number_input(key="progress.b.seed").set_value(77).run()
    at.toggle(key="progress.b.per_learner").set_value(True).run()
    at.text_input(key="progress.b.id").input("quiz-1").run()
    assert not at.exception, [e.value for e in at.exception]
    link = [c.value for c in at.code if "assign=" in c.value]
    assert len(link) == 1
    code = parse_qs(urlsplit(link[0]).query)["assign"][0]
    built = rec.decode_assignment(code)
    assert built.id == "quiz-1" and built.per_learner and built.items == tuple((ex, 77) for ex in IDS[:2])
    at.text_input(key="progress.b.id").input("bad id!").run()  # an invalid id: a message, no link
    assert not [c for c in at.code if "assign=" in c.value] and at.warning
