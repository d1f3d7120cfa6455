"""Progress records and assignments (``lessons.exercises.record``): round trip, bounds, hostile
input, re-grading that ignores the claimed flags, assignments from files and ad-hoc links.

Most tests use a tiny stand-in kind (``fake``, below) so they check the record's logic whatever
the exercise content is; the last ones run over the real exercises with their answer keys."""

from __future__ import annotations

import base64
import json
import zlib

import pytest

from checkers.verdict import Message
from lessons.exercises import core
from lessons.exercises import record as rec
from ui.i18n import LANGS, has

REAL = list(core.load_exercises())


class FakeKind:
    """A 'quorum'-form kind: right iff n == target and r + w > n (target from the seed)."""

    @staticmethod
    def make(spec, seed):
        return core.Question(exercise_id=spec.id, kind=spec.kind, form="quorum", seed=seed,
                             prompt=(Message("exercises.title"),), data={"n_range": [1, 7], "target": seed % 5 + 1})

    @staticmethod
    def parse_answer(question, raw):
        if not (isinstance(raw, dict) and all(isinstance(raw.get(k), int) for k in "nrw")):
            raise core.AnswerError("exercises.err.answer_json", "need n, r, w")
        return raw

    @staticmethod
    def grade(question, answer):
        ok = answer["n"] == question.data["target"] and answer["r"] + answer["w"] > answer["n"]
        return core.Feedback(correct=ok, explanation=(Message("exercises.feedback.right"),), witness={"step": 1})

    @staticmethod
    def answer_key(question):
        n = question.data["target"]
        return {"n": n, "r": n, "w": 1}


class ExplodingKind(FakeKind):
    @staticmethod
    def grade(question, answer):
        raise RuntimeError("a kind's bug")


FAKE_SPECS = {i: core.ExerciseSpec(id=i, kind="quorum", topic="concepts", title={"en": i, "zh": i})
              for i in ("fake-a", "fake-b", "fake-c", "fake-boom")}


@pytest.fixture
def fake(monkeypatch):
    monkeypatch.setattr(core, "load_exercises", lambda: FAKE_SPECS)
    monkeypatch.setattr(core, "kind_module", lambda kind: FakeKind)
    core.make_question.cache_clear()
    rec.load_assignments.cache_clear()
    yield
    core.make_question.cache_clear()
    rec.load_assignments.cache_clear()


def right(ex, seed):
    return FakeKind.answer_key(core.make_question(ex, seed))


def wrong(ex, seed):
    return {"n": 7, "r": 1, "w": 1}


# ------------------------------------------------------------------------------- record
def test_round_trip_and_last_answer_wins(fake):
    r = rec.new("Ada Lovelace", 42)
    r = rec.add(r, "fake-a", 3, wrong("fake-a", 3), False)
    r = rec.add(r, "fake-b", 9, right("fake-b", 9), True)
    r = rec.add(r, "fake-a", 3, right("fake-a", 3), True)  # replaces the first
    assert [(a.exercise, a.seed) for a in r.answers] == [("fake-b", 9), ("fake-a", 3)]
    doc = json.loads(rec.to_json(r))
    assert doc["format"] == "consistency-lab-progress" and doc["version"] == 1
    assert doc["learner"] == "Ada Lovelace" and doc["learner_seed"] == 42 and doc["assignment"] is None
    assert rec.parse(rec.to_json(r)) == r
    assert rec.parse(rec.to_json(r).encode()) == r
    # duplicates in a file: the last one wins there too
    doc["answers"].append({"exercise": "fake-b", "seed": 9, "answer": wrong("fake-b", 9), "correct": False})
    again = rec.parse(json.dumps(doc))
    assert len(again.answers) == 2 and again.answers[-1].answer == wrong("fake-b", 9)


def test_regrade_ignores_claims_so_tampering_cannot_raise_the_score(fake):
    r = rec.new("", 1)
    r = rec.add(r, "fake-a", 1, right("fake-a", 1), True)
    r = rec.add(r, "fake-b", 2, wrong("fake-b", 2), False)
    r = rec.add(r, "fake-c", 3, wrong("fake-c", 3), False)
    honest = rec.score(r)
    assert (honest.answered, honest.correct, honest.total, honest.claimed_correct) == (3, 1, 3, 1)
    doc = json.loads(rec.to_json(r))
    for a in doc["answers"]:
        a["correct"] = True
    tampered = rec.score(rec.parse(json.dumps(doc)))
    assert tampered.correct == 1 and tampered.claimed_correct == 3 and tampered.percent == honest.percent
    # a claimed-wrong but really right answer counts as right
    doc["answers"][0]["correct"] = False
    assert rec.score(rec.parse(json.dumps(doc))).correct == 1


def test_unknown_exercise_malformed_answer_and_a_kind_bug_count_as_wrong(fake, monkeypatch):
    r = rec.new("", 1)
    r = rec.add(r, "no-such-exercise", 1, {"n": 1}, True)
    r = rec.add(r, "fake-a", 1, "not a dict", True)
    r = rec.add(r, "fake-boom", 1, right("fake-boom", 1), True)
    monkeypatch.setattr(core, "kind_module", lambda kind: FakeKind)
    graded = rec.regrade(r)
    assert [g.correct for g in graded[:2]] == [False, False]
    assert graded[0].error.key == "exercises.err.unknown_exercise"
    assert isinstance(graded[1].error, core.AnswerError)
    assert graded[2].correct  # sanity: the fake grades the key right...
    monkeypatch.setattr(core, "kind_module", lambda kind: ExplodingKind)
    core.make_question.cache_clear()
    boom = rec.regrade_one(r.answers[2])
    assert not boom.correct and boom.error.key == "exercises.err.grading_failed"  # ...and a crash is wrong


JUNK = [
    (b"\xff\xfe not utf-8", "not_json"),
    ("[1, 2", "not_json"),
    ("[" * 100_000 + "]" * 100_000, "nested"),
    ('{"format": "something-else", "version": 1}', "format"),
    ('{"format": "consistency-lab-progress", "version": 2, "answers": []}', "version"),
    ('{"format": "consistency-lab-progress", "version": true, "answers": []}', "version"),
    ('{"format": "consistency-lab-progress", "version": 1, "learner_seed": 1, "answers": {}}', "answers"),
    ('{"format": "consistency-lab-progress", "version": 1, "learner_seed": -1, "answers": []}', "seed"),
    ('{"format": "consistency-lab-progress", "version": 1, "learner_seed": 1.5, "answers": []}', "seed"),
    ('{"format": "consistency-lab-progress", "version": 1, "learner_seed": 1, "answers": [], "x": 1}', "field"),
    ('{"format": "consistency-lab-progress", "version": 1, "learner_seed": 1, "learner": 7, "answers": []}',
     "learner"),
    ('{"format": "consistency-lab-progress", "version": 1, "learner_seed": 1, "assignment": "../x", "answers": []}',
     "assignment_id"),
    ('{"format": "consistency-lab-progress", "version": 1, "learner_seed": 1, "answers": [{"exercise": "a"}]}',
     "answer"),
    ('{"format": "consistency-lab-progress", "version": 1, "learner_seed": 1, "answers": '
     '[{"exercise": "a", "seed": 1, "answer": 1, "correct": "yes"}]}', "answer"),
    ('{"format": "consistency-lab-progress", "version": 1, "learner_seed": 1, "answers": '
     '[{"exercise": "<script>", "seed": 1, "answer": 1, "correct": true}]}', "answer_field"),
    ('{"format": "consistency-lab-progress", "version": 1, "learner_seed": 1, "answers": '
     '[{"exercise": "a", "seed": 99999999999, "answer": 1, "correct": true}]}', "answer_field"),
]


@pytest.mark.parametrize("data,key", JUNK, ids=[k for _, k in JUNK])
def test_junk_records_are_refused_with_a_translatable_error(data, key):
    with pytest.raises(rec.RecordError) as info:
        rec.parse(data)
    assert info.value.key == f"exercises.err.{key}"
    assert all(has(lang, info.value.key) for lang in LANGS)
    assert str(info.value)  # the English text (the CLI prints it)


def test_size_and_count_bounds():
    big = '{"format": "consistency-lab-progress", "version": 1, "learner": "' + "x" * rec.MAX_RECORD_BYTES + '"}'
    with pytest.raises(rec.RecordError) as info:
        rec.parse(big)
    assert info.value.key == "exercises.err.too_big"
    many = {"format": rec.FORMAT, "version": 1, "learner": "", "learner_seed": 1, "assignment": None,
            "answers": [{"exercise": "a", "seed": i, "answer": 1, "correct": True} for i in range(rec.MAX_ANSWERS + 1)]}
    with pytest.raises(rec.RecordError) as info:
        rec.parse(json.dumps(many))
    assert info.value.key == "exercises.err.too_many"
    with pytest.raises(rec.RecordError) as info:
        rec.add(rec.new("", 1), "a", 1, "y" * (rec.MAX_ANSWER_BYTES + 1), True)
    assert info.value.key == "exercises.err.answer_big"
    with pytest.raises(rec.RecordError):
        rec.add(rec.new("", 1), "a", 1, float("nan"), True)  # not JSON
    with pytest.raises(rec.RecordError):
        rec.new("a\x00b", 1)


def test_a_growing_record_stays_importable():
    r = rec.new("", 1)
    for i in range(rec.MAX_ANSWERS + 5):
        r = rec.add(r, "a", i, i, False)
    assert len(r.answers) == rec.MAX_ANSWERS and r.answers[-1].seed == rec.MAX_ANSWERS + 4
    r = rec.new("", 1)
    for i in range(80):
        r = rec.add(r, "a", i, "z" * (rec.MAX_ANSWER_BYTES - 100), False)
    assert len(rec.to_json(r).encode()) <= rec.MAX_RECORD_BYTES
    assert rec.parse(rec.to_json(r)) == r and r.answers[-1].seed == 79


# ---------------------------------------------------------------------------- assignments
def _assignment(per_learner=False, items=(("fake-a", 5), ("fake-b", 6), ("fake-c", 7))):
    return rec.assignment_from_dict({"id": "hw1", "title": {"en": "Homework", "zh": "作业"},
                                     "exercises": [{"id": e, "seed": s} for e, s in items],
                                     "per_learner": per_learner})


def test_assignment_score_counts_only_its_questions(fake):
    a = _assignment()
    r = rec.new("", 1, "hw1")
    r = rec.add(r, "fake-a", 5, right("fake-a", 5), True)
    r = rec.add(r, "fake-b", 6, wrong("fake-b", 6), False)
    for s in range(10, 20):  # extra right answers outside the assignment do not pad the score
        r = rec.add(r, "fake-c", s, right("fake-c", s), True)
    s = rec.score(r, a)
    assert (s.answered, s.correct, s.total, s.percent) == (2, 1, 3, 33.3)
    done = rec.for_assignment(r, a)
    assert done.assignment == "hw1" and {(x.exercise, x.seed) for x in done.answers} == {("fake-a", 5), ("fake-b", 6)}


def test_per_learner_assignments_give_each_learner_their_own_questions(fake):
    a = _assignment(per_learner=True)
    ada, bob = rec.questions_for(a, core.learner_seed_of("ada")), rec.questions_for(a, core.learner_seed_of("bob"))
    assert [e for e, _ in ada] == [e for e, _ in bob] == ["fake-a", "fake-b", "fake-c"]
    assert ada != bob and ada == rec.questions_for(a, core.learner_seed_of("ADA "))
    r = rec.new("ada", core.learner_seed_of("ada"), "hw1")
    for ex, seed in ada:
        r = rec.add(r, ex, seed, right(ex, seed), True)
    assert rec.score(r, a).correct == 3
    # the same answers filed under another learner's seed are not that learner's questions
    other = rec.Record("bob", core.learner_seed_of("bob"), "hw1", r.answers)
    assert rec.score(other, a).answered == 0


def test_adhoc_link_round_trip(fake):
    a = _assignment(per_learner=True)
    code = rec.encode_assignment(a)
    assert len(code) <= rec.MAX_LINK_CHARS and code.replace("-", "").replace("_", "").isalnum()
    assert rec.decode_assignment(code) == a
    assert rec.find_assignment("hw1", a) == a and rec.find_assignment(None, a) is None


def _pack(obj, raw=None):
    data = raw if raw is not None else json.dumps(obj).encode()
    return base64.urlsafe_b64encode(zlib.compress(data)).decode().rstrip("=")


JUNK_LINKS = {
    "empty": "",
    "not_base64": "abc$%^",
    "not_zlib": base64.urlsafe_b64encode(b"hello world").decode().rstrip("="),
    "too_long": "A" * (rec.MAX_LINK_CHARS + 1),
    "bomb": _pack(None, raw=b"[" + b" " * 1_000_000 + b"]"),
    "not_json": _pack(None, raw=b"{nope"),
    "nested": _pack(None, raw=b"[" * 5000 + b"]" * 5000),
    "list": _pack([1, 2, 3]),
    "no_items": _pack({"id": "x", "title": {"en": "a", "zh": "b"}, "exercises": []}),
    "bad_seed": _pack({"id": "x", "title": {"en": "a", "zh": "b"}, "exercises": [{"id": "fake-a", "seed": -1}]}),
    "unknown_exercise": _pack({"id": "x", "title": {"en": "a", "zh": "b"}, "exercises": [{"id": "nope", "seed": 1}]}),
    "extra_field": _pack({"id": "x", "title": {"en": "a", "zh": "b"}, "exercises": [{"id": "fake-a", "seed": 1}],
                          "eval": "__import__('os')"}),
    "too_many": _pack({"id": "x", "title": {"en": "a", "zh": "b"},
                       "exercises": [{"id": "fake-a", "seed": i} for i in range(rec.MAX_ASSIGNMENT_ITEMS + 1)]}),
}


@pytest.mark.parametrize("name", list(JUNK_LINKS))
def test_junk_links_are_refused(fake, name):
    with pytest.raises(rec.RecordError) as info:
        rec.decode_assignment(JUNK_LINKS[name])
    assert all(has(lang, info.value.key) for lang in LANGS), info.value.key


def test_assignment_yaml_reads_back(fake):
    import yaml

    a = _assignment()
    assert rec.assignment_from_dict(yaml.safe_load(rec.assignment_yaml(a))) == a


# ------------------------------------------------------------------------ real exercises
def test_repository_assignments_load_and_name_real_exercises():
    rec.load_assignments.cache_clear()
    found = rec.load_assignments()
    assert "week1-models" in found
    week1 = found["week1-models"]
    assert len(week1.items) >= 4 and all(ex in core.load_exercises() for ex, _ in week1.items)
    assert rec.get_assignment("week1-models") is week1
    for bad in ("nope", "../etc/passwd", None, "x" * 500):
        with pytest.raises(rec.RecordError):
            rec.get_assignment(bad)


def test_real_exercises_regrade_their_keys_right_and_tampering_shows():
    assert REAL, "no exercises in lessons/exercises/content"
    r = rec.new("Grace", core.learner_seed_of("Grace"))
    for ex in REAL:
        seed = core.question_seed(ex, r.learner_seed)
        r = rec.add(r, ex, seed, core.answer_key(core.make_question(ex, seed)), False)  # claims: all wrong
    s = rec.score(rec.parse(rec.to_json(r)))
    assert (s.answered, s.correct, s.claimed_correct) == (len(REAL), len(REAL), 0)


# ------------------------------------------------------------------ helpers for other tests
def wrong_answer(question: core.Question):
    """A well-formed answer that ``core.grade`` marks wrong, or None when this helper has none."""
    key = core.answer_key(question)
    candidates = []
    if question.form == "choice":
        candidates = [c.value for c in question.choices if c.value != key]
    elif question.form == "models":
        models = list(question.data.get("models", ()))
        candidates = [[m for m in models if m not in key], [], models]
    elif question.form == "quorum":
        lo, hi = question.data["n_range"]
        candidates = [{"n": n, "r": 1, "w": 1, **({"sync": False} if question.data.get("allow_sync") else {})}
                      for n in range(max(lo, 2), hi + 1)] + [{"n": hi, "r": 1, "w": 1}]
    elif question.form == "schedule":
        candidates = [[]]
    for raw in candidates:
        try:
            if raw != key and not core.grade(question, raw).correct:
                return raw
        except core.AnswerError:
            continue
    return None
