"""AppTest: the Exercises page — every exercise opens from its share link in both languages; a right
and a wrong answer per form (answer keys from ``core.answer_key``) get graded and recorded; bad URL
values and malformed answers give translated messages; assignment links (repository and ad-hoc)."""

from __future__ import annotations

import json

import pytest

from lessons.exercises import core
from lessons.exercises import record as rec
from tests.support.apptest import open_page
from tests.test_exercise_record import FakeKind, wrong_answer
from ui import share
from ui.i18n import translate
from ui.lang import md_escape

IDS = list(core.load_exercises())
SEED = 4242


def tr(lang, key, **args):
    return translate(lang, key, **args)


def _texts(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [h.value for h in at.header]
    parts += [w.value for w in at.warning] + [e.value for e in at.error] + [i.value for i in at.info]
    return "\n".join(str(p) for p in parts)


def _no_missing_keys(at) -> None:
    text = _texts(at)
    assert "[exercises." not in text and "[ex_" not in text and "[chk." not in text, text[:2000]


def _record(at) -> rec.Record:
    return rec.parse(at.session_state["progress.record"])


def _form_widgets_present(at, q: core.Question, qk: str) -> None:
    if q.form == "choice":
        radio = at.radio(key=qk + ".choice")
        assert radio.options and len(radio.options) == len(q.choices) and radio.value is None
    elif q.form == "models":
        assert {c.key for c in at.checkbox} >= {f"{qk}.m.{m}" for m in q.data["models"]}
        assert at.get("plotly_chart"), "the history timeline"
    elif q.form == "quorum":
        assert {n.key for n in at.number_input} >= {qk + ".n", qk + ".r", qk + ".w"}
    else:
        assert at.get("arrow_data_frame") or at.get("data_editor") or at.dataframe


@pytest.mark.parametrize("exercise_id", IDS)
def test_every_exercise_opens_from_its_link_in_both_languages(exercise_id):
    spec = core.get_exercise(exercise_id)
    q = core.make_question(exercise_id, SEED)
    qk = f"exercises.q.{exercise_id}.{SEED}"
    at = open_page("pages/exercises.py", "en", exercise=exercise_id, seed=str(SEED))
    for lang in ("en", "zh"):
        if lang == "zh":
            at.query_params["lang"] = "zh"
            at.run()
            assert not at.exception, [e.value for e in at.exception]
        assert tr(lang, "exercises.title") in [t.value for t in at.title]
        assert spec.title[lang] in [h.value for h in at.header]
        assert tr(lang, "exercises.shared", seed=SEED) in [c.value for c in at.caption]
        assert not at.warning, [w.value for w in at.warning]
        _form_widgets_present(at, q, qk)
        _no_missing_keys(at)


def _first_of_form(form: str) -> str:
    found = [i for i in IDS if core.FORMS[core.get_exercise(i).kind] == form]
    assert found, f"no exercise with the {form!r} form"
    return found[0]


def _answer_in_form(at, q: core.Question, qk: str, raw) -> None:
    """Put ``raw`` into the page's widgets (the schedule editor starts from ``<qk>.rows``)."""
    if q.form == "choice":
        at.radio(key=qk + ".choice").set_value(raw)
    elif q.form == "models":
        for m in q.data["models"]:
            at.checkbox(key=f"{qk}.m.{m}").set_value(m in raw)
    elif q.form == "quorum":
        for f in ("n", "r", "w"):
            at.number_input(key=f"{qk}.{f}").set_value(raw[f])
        if "sync" in raw:
            at.toggle(key=qk + ".sync").set_value(raw["sync"])
    at.run()
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.parametrize("form", ["choice", "models", "quorum", "schedule"])
def test_right_then_wrong_answer_is_graded_and_recorded(form):
    exercise_id = _first_of_form(form)
    name = "Ada Lovelace"
    seed = core.question_seed(exercise_id, core.learner_seed_of(name))
    q = core.make_question(exercise_id, seed)
    key = core.answer_key(q)
    bad = wrong_answer(q)
    assert bad is not None, "no wrong answer found"
    qk = f"exercises.q.{exercise_id}.{seed}"
    at = open_page("pages/exercises.py", "en", exercise=exercise_id)
    at.text_input(key="exercises.name_input").input(name).run()
    assert tr("en", "exercises.learner_seed", seed=core.learner_seed_of(name)) in [c.value for c in at.caption]
    for raw, ok in ((key, True), (bad, False)):
        if form == "schedule":
            at.session_state[qk + ".rows"] = raw  # the editor's starting rows (no edits made in it)
        _answer_in_form(at, q, qk, raw)
        if not ok:  # the answer changed since the last submission: its feedback is gone
            assert tr("en", "exercises.feedback.right") not in [s.value for s in at.success]
        at.button(key=qk + ".submit").click().run()
        assert not at.exception, [e.value for e in at.exception]
        if ok:
            assert tr("en", "exercises.feedback.right") in [s.value for s in at.success], _texts(at)
        else:
            assert tr("en", "exercises.feedback.wrong") in [e.value for e in at.error], _texts(at)
        _no_missing_keys(at)
        r = _record(at)
        assert r.learner == name and r.learner_seed == core.learner_seed_of(name)
        assert [(a.exercise, a.seed, a.correct) for a in r.answers] == [(exercise_id, seed, ok)]  # last one wins
        assert json.dumps(r.answers[0].answer, sort_keys=True) == json.dumps(raw, sort_keys=True)


def test_a_step_witness_links_to_the_lab():
    exercise_id = _first_of_form("choice")
    q = core.make_question(exercise_id, SEED)
    qk = f"exercises.q.{exercise_id}.{SEED}"
    at = open_page("pages/exercises.py", "zh", exercise=exercise_id, seed=str(SEED))
    _answer_in_form(at, q, qk, core.answer_key(q))
    at.button(key=qk + ".submit").click().run()
    fb = core.grade(q, core.answer_key(q))
    step = fb.witness["step"]
    links = [p for p in at.get("page_link") if p.proto.label == tr("zh", "exercises.feedback.open_lab", step=step)]
    assert len(links) == 1 and links[0].proto.page == "lab"
    query = dict(part.split("=", 1) for part in links[0].proto.query_string.lstrip("?").split("&"))
    scenario, cursor = share.decode(query["p"])
    assert cursor == step and scenario.protocol == q.data["scenario"]["protocol"]


def test_hints_one_at_a_time():
    exercise_id = next(i for i in IDS if len(core.make_question(i, SEED).hints) >= 2)
    q = core.make_question(exercise_id, SEED)
    qk = f"exercises.q.{exercise_id}.{SEED}"
    at = open_page("pages/exercises.py", "en", exercise=exercise_id, seed=str(SEED))
    assert not [i for i in at.info if i.value.startswith("Hint")]
    at.button(key=qk + ".hint_btn").click().run()
    assert len([i for i in at.info if i.value.startswith("Hint 1:")]) == 1
    assert not [i for i in at.info if i.value.startswith("Hint 2:")]
    at.button(key=qk + ".hint_btn").click().run()
    assert len([i for i in at.info if i.value.startswith("Hint")]) == 2


def test_submit_without_an_answer_and_a_malformed_answer_give_messages(monkeypatch):
    exercise_id = _first_of_form("choice")
    qk = f"exercises.q.{exercise_id}.{SEED}"
    at = open_page("pages/exercises.py", "zh", exercise=exercise_id, seed=str(SEED))
    at.button(key=qk + ".submit").click().run()
    assert tr("zh", "exercises.need_answer") in [w.value for w in at.warning]

    class Refusing(FakeKind):
        @staticmethod
        def parse_answer(question, raw):
            raise core.AnswerError("exercises.err.answer_big", "too big", kib=16)

    monkeypatch.setattr(core, "kind_module", lambda kind: Refusing)
    q = core.make_question(exercise_id, SEED)  # cached from the real kind
    at.radio(key=qk + ".choice").set_value(q.choices[0].value).run()
    at.button(key=qk + ".submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert tr("zh", "exercises.err.answer_big", kib=16) in [w.value for w in at.warning]
    assert "progress.record" not in at.session_state or not _record(at).answers


@pytest.mark.parametrize("query,key", [
    ({"exercise": "no-such-exercise"}, "exercises.unknown_exercise"),
    ({"exercise": "<b>x</b>" * 50, "seed": "1"}, "exercises.unknown_exercise"),
    ({"exercise": IDS[0] if IDS else "x", "seed": "abc"}, "exercises.bad_seed"),
    ({"exercise": IDS[0] if IDS else "x", "seed": "99999999999"}, "exercises.bad_seed"),
    ({"exercise": IDS[0] if IDS else "x", "seed": "-3"}, "exercises.bad_seed"),
    ({"assignment": "no-such-assignment"}, "exercises.err.unknown_assignment"),
    ({"assignment": "../../etc/passwd"}, "exercises.err.unknown_assignment"),
    ({"assign": "%%%garbage"}, "exercises.err.link_garbled"),
    ({"assign": "A" * 5000}, "exercises.err.link_too_long"),
])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_bad_url_values_give_a_translated_message_and_the_page_works(query, key, lang):
    at = open_page("pages/exercises.py", lang, **query)
    head = translate(lang, key).split("{")[0].split("“")[0]
    assert any(w.value.startswith(head) for w in at.warning), [w.value for w in at.warning]
    assert len(at.header) == 1  # a question is shown all the same
    _no_missing_keys(at)


def _answer_assignment_first(at, assignment: rec.Assignment, name: str) -> tuple[str, int]:
    at.text_input(key="exercises.name_input").input(name).run()
    ex, seed = rec.questions_for(assignment, core.learner_seed_of(name))[0]
    q = core.make_question(ex, seed)
    qk = f"exercises.q.{ex}.{seed}"
    _answer_in_form(at, q, qk, core.answer_key(q))
    at.button(key=qk + ".submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return ex, seed


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_repository_assignment_link(lang):
    week1 = rec.get_assignment("week1-models")
    at = open_page("pages/exercises.py", lang, assignment="week1-models")
    assert tr(lang, "exercises.assignment.title", title=md_escape(week1.title[lang], 200)) in [s.value for s in at.subheader]
    assert tr(lang, "exercises.assignment.progress", done=0, total=len(week1.items)) in [c.value for c in at.caption]
    assert len(at.selectbox(key="exercises.assign_pick").options) == len(week1.items)
    ex, seed = _answer_assignment_first(at, week1, "Grace")
    assert tr(lang, "exercises.feedback.right") in [s.value for s in at.success]
    r = _record(at)
    assert r.assignment == "week1-models" and [(a.exercise, a.seed, a.correct) for a in r.answers] == [(ex, seed, True)]
    assert tr(lang, "exercises.assignment.progress", done=1, total=len(week1.items)) in [c.value for c in at.caption]
    _no_missing_keys(at)


def test_adhoc_assignment_link_and_its_completion_on_the_progress_page():
    adhoc = rec.assignment_from_dict({"id": "quiz-3", "title": {"en": "Quiz three", "zh": "测验三"},
                                      "exercises": [{"id": i, "seed": 9} for i in IDS[:3]]})
    at = open_page("pages/exercises.py", "en", assign=rec.encode_assignment(adhoc))
    assert tr("en", "exercises.assignment.title", title=md_escape("Quiz three", 200)) in [s.value for s in at.subheader]
    _answer_assignment_first(at, adhoc, "Lin")
    assert _record(at).assignment == "quiz-3"
    at.switch_page("pages/progress.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert tr("en", "exercises.progress.completion", done=1, correct=1, total=3) in [m.value for m in at.markdown]


@pytest.mark.parametrize("exercise_id", [i for i in IDS if core.get_exercise(i).kind == "break"])
def test_schedule_editor_rows_round_trip_the_answer_key(exercise_id):
    from ui.exercise_forms import faults_to_rows, rows_to_faults

    key = core.answer_key(core.make_question(exercise_id, SEED))
    assert rows_to_faults(faults_to_rows(key)) == key
    assert rows_to_faults([{"type": None, "at": 3}, {"type": "", "node": "x"}]) == []  # empty rows are skipped


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_malformed_schedule_gets_the_graders_translated_message(lang):
    from ui.exercise_forms import answer_error_text

    exercise_id = next(i for i in IDS if core.get_exercise(i).kind == "break"
                       and "crash" in core.make_question(i, SEED).data["fault_types"])
    q = core.make_question(exercise_id, SEED)
    bad = [{"type": "crash", "at": 5}]  # a crash of no node
    with pytest.raises(core.AnswerError) as info:
        core.grade(q, bad)
    qk = f"exercises.q.{exercise_id}.{SEED}"
    at = open_page("pages/exercises.py", lang, exercise=exercise_id, seed=str(SEED))
    at.session_state[qk + ".rows"] = bad
    at.run()
    at.button(key=qk + ".submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    expected = answer_error_text(info.value, lang)
    assert "[" not in expected.replace("\\[", "")  # the key and its nested reason both translated
    assert expected in [w.value for w in at.warning]
    assert "progress.record" not in at.session_state


def test_render_text_handles_nested_messages_and_bilingual_texts():
    from checkers.verdict import Message
    from ui.exercise_forms import plain, render_text

    inner = Message("exercises.err.unknown_exercise", {"exercise": {"en": "cart", "zh": "购物车"}})
    outer = Message("exercises.feedback.malformed", {"reason": inner})
    for lang in ("en", "zh"):
        want = translate(lang, "exercises.feedback.malformed",
                         reason=translate(lang, "exercises.err.unknown_exercise", exercise="cart" if lang == "en"
                                          else "购物车"))
        assert render_text(outer, lang) == want
        assert render_text(outer.to_json(), lang) == want  # a Message as JSON
        assert render_text([{"en": "a", "zh": "甲"}, 3], lang) == ("a, 3" if lang == "en" else "甲, 3")
        assert plain({"m": outer, "ops": (1, {"en": "x", "zh": "乙"})}, lang) == \
            {"m": want, "ops": [1, "x" if lang == "en" else "乙"]}
    deep = Message("exercises.hint", {"n": 1, "hint": None})
    for _ in range(50):
        deep = Message("exercises.hint", {"n": 1, "hint": deep})
    assert render_text(deep, "en")  # bounded depth, no RecursionError
