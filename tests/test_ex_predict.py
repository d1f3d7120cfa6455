"""The 'predict' exercise kind: every exercise, several seeds — deterministic questions, a key the grader
accepts, distractors it rejects, and claims that match an independent read of the preset's trace."""

from __future__ import annotations

import ast
import json
import string
from collections import Counter
from pathlib import Path

import pytest

from checkers.verdict import Message
from lessons.exercises import core
from lessons.exercises.core import AnswerError, ExerciseError, ExerciseSpec
from lessons.exercises.kinds import predict
from lessons.presets import load_preset
from sim.engine import run
from ui.i18n import LANGS, catalog

ROOT = Path(__file__).resolve().parents[1]
SEEDS = (0, 1, 2, 7, 99, 123_456, 2**31 - 1)
SPECS = [s for s in core.load_exercises().values() if s.kind == "predict"]
TOPIC_COUNTS = {"background": 2, "concepts": 1, "principles": 2, "practice": 2, "applications": 1, "tools": 1,
                "trends": 2, "faq": 1}


def _texts(text):
    """A Text and every Message / bilingual dict nested in its arguments."""
    yield text
    if isinstance(text, Message):
        for v in text.args.values():
            if isinstance(v, (Message, dict)):
                yield from _texts(v)


def _check_text(text) -> None:
    """Each Message's key is in both catalogs with no placeholder left unfilled; bilingual dicts have both."""
    for t in _texts(text):
        if isinstance(t, Message):
            for lang in LANGS:
                assert t.key in catalog(lang), (lang, t.key)
                needed = {name for _, name, _, _ in string.Formatter().parse(catalog(lang)[t.key]) if name}
                assert needed <= set(t.args), (lang, t.key, needed - set(t.args))
        else:
            assert all(isinstance(t.get(lang), str) and t[lang].strip() for lang in LANGS), t


def _trace_of(spec: ExerciseSpec):
    """The preset's run, made here and not through the module's cache."""
    return run(load_preset(spec.params["preset"]))


def test_the_exercises_cover_the_topics_as_planned():
    assert len(SPECS) >= 12
    assert Counter(s.topic for s in SPECS) == Counter(TOPIC_COUNTS)
    for s in SPECS:
        assert s.title["en"].strip() and s.title["zh"].strip()
        assert len(s.hints["en"]) >= 1 and len(s.hints["zh"]) == len(s.hints["en"])


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_each_question_is_deterministic_graded_and_true_to_the_trace(spec):
    trace = _trace_of(spec)
    for seed in SEEDS:
        q = predict.make(spec, seed)
        assert q == predict.make(spec, seed) == core.make_question(spec.id, seed)
        assert q.form == "choice" and q.data["show"] == "diagram" and json.dumps(q.data)
        values = [c.value for c in q.choices]
        assert 3 <= len(values) <= 4 and len(set(values)) == len(values)
        assert len({repr(c.label) for c in q.choices}) == len(values)  # distinct labels
        for text in (*q.prompt, *q.hints, *(c.label for c in q.choices)):
            _check_text(text)
        assert q.hints[0] == {"en": spec.hints["en"][0], "zh": spec.hints["zh"][0]}

        key = core.answer_key(q)
        assert key in values
        fb = core.grade(q, key)
        assert fb.correct and fb.witness == {"step": q.data["cursor"] + 1}
        assert fb.explanation[0] == Message("ex_predict.fb.correct") and len(fb.explanation) >= 2
        for line in fb.explanation:
            _check_text(line)
        for wrong in set(values) - {key}:
            fb = core.grade(q, wrong)
            assert not fb.correct and fb.explanation[0].key == "ex_predict.fb.wrong"
            assert fb.witness == {"step": q.data["cursor"] + 1}

        _independent_read(spec, trace, q, key)


def _independent_read(spec, trace, q, key) -> None:
    """What the key claims, read straight from the events and states of the preset's own run."""
    cursor = q.data["cursor"]
    step = cursor + 1
    node = q.data["node"]
    assert trace.steps[step].cause == "deliver"
    [deliver] = [e for e in trace.events_of_step(step) if e.kind == "deliver"]
    assert (deliver.node, deliver.msg_id) == (node, q.data["msg_id"])
    # the question stops before the delivery: at the cursor the message is still in flight
    assert q.data["msg_id"] in {p["id"] for p in trace.pending_at(cursor)}
    ask = q.data["ask"]
    if ask["mode"] == "state":
        assert ask["field"] == predict.field_of(spec.params, trace.roles[node])
        assert json.loads(key) == trace.states_at(step)[node][ask["field"]]
        others = [json.loads(c.value) for c in q.choices if c.value != key]
        assert trace.states_at(step)[node][ask["field"]] not in others
        return
    claimed = json.loads(key)
    sends = sorted((e.payload["type"], e.peer) for e in trace.events_of_step(step)
                   if e.kind == "send" and e.node == node)
    assert sends == sorted((t, dst) for t, _fields, dsts in claimed["send"] for dst in dsts)
    for e in trace.events_of_step(step):
        if e.kind == "send" and e.node == node:  # every field the key shows is the payload's own value
            [fields] = [f for t, f, dsts in claimed["send"] if t == e.payload["type"] and e.peer in dsts
                        and all(e.payload.get(k) == v for k, v in f.items())]
            assert fields is not None
    replies = sorted(json.dumps([e.detail["client"], e.detail["result"]], sort_keys=True)
                     for e in trace.events_of_step(step) if e.kind == "return" and e.node == node)
    assert replies == sorted(json.dumps(r, sort_keys=True) for r in claimed["reply"])


def test_different_seeds_give_different_questions():
    varied_steps = 0
    for spec in SPECS:
        questions = [predict.make(spec, seed) for seed in SEEDS]
        assert len({repr(q) for q in questions}) >= 3, spec.id  # the step or at least the order of choices
        varied_steps += len({q.data["cursor"] for q in questions}) >= 2
    assert varied_steps >= len(SPECS) - 1  # the seed picks a different step for (almost) every exercise


def test_questions_ask_about_deterministic_consequences_of_many_message_kinds():
    kinds = {(predict.make(s, seed).data["ask"]["mode"]) for s in SPECS for seed in SEEDS[:2]}
    assert kinds == {"effects", "state"}
    # the effects exercises do show a wrong reply that is only a flipped boolean (the subtle distractor)
    raft = next(s for s in SPECS if s.id == "predict-raft-vote")
    labels = [c.label.args.get("sends", "") for seed in SEEDS for c in predict.make(raft, seed).choices]
    assert any("vote_granted=true" in x for x in labels) and any("vote_granted=false" in x for x in labels)


@pytest.mark.parametrize("raw", [None, 3, ["x"], {"value": "x"}, "", "not a choice", b"bytes"])
def test_a_malformed_answer_is_refused_with_a_translated_error(raw):
    q = predict.make(SPECS[0], 1)
    with pytest.raises(AnswerError) as err:
        core.grade(q, raw)
    assert err.value.key in catalog("en") and err.value.key in catalog("zh")


def test_a_value_with_a_stray_space_is_not_a_choice():
    q = predict.make(SPECS[0], 1)
    with pytest.raises(AnswerError):
        predict.parse_answer(q, core.answer_key(q) + " ")


def test_a_question_whose_run_no_longer_matches_is_refused():
    q = predict.make(SPECS[0], 3)
    moved = type(q)(**{**{f: getattr(q, f) for f in q.__dataclass_fields__},
                       "data": {**q.data, "cursor": q.data["cursor"] + 1}})
    with pytest.raises(ExerciseError):
        core.grade(moved, core.answer_key(q))


def _spec(**params):
    return ExerciseSpec(id="predict-test", kind="predict", topic="faq", title={"en": "t", "zh": "t"},
                        params=params, hints={"en": (), "zh": ()})


@pytest.mark.parametrize("params", [
    {"preset": "no-such-preset"},
    {"preset": "paxos-happy-path", "colour": "red"},
    {"preset": "paxos-happy-path", "ask": "guess"},
    {"preset": "paxos-happy-path", "ask": "state"},
    {"preset": "paxos-happy-path", "mistakes": "nonsense"},
    {"preset": "paxos-happy-path", "messages": ["NoSuchMessage"]},
])
def test_a_broken_exercise_is_our_bug_and_says_so(params):
    with pytest.raises(ExerciseError):
        predict.make(_spec(**params), 1)


def test_the_vector_clock_mistakes_are_the_textbook_ones():
    wrong = predict.MISTAKES["vector_clock"]([2, 0, 1], {"vc": [0, 3, 1]}, 0)
    truth = [3, 3, 1]  # max entry by entry, then tick own entry
    assert truth not in wrong
    assert [2, 3, 1] in wrong and [3, 0, 1] in wrong and [0, 3, 1] in wrong


def test_the_g_counter_mistake_is_the_sum_merge_bug():
    wrong = predict.MISTAKES["g_counter"]({"r1": 2, "r2": 1}, {"state": {"r1": 2, "r3": 1}}, 0)
    assert {"r1": 4, "r2": 1, "r3": 1} in wrong and {"r1": 2, "r2": 1, "r3": 1} not in wrong


def test_the_run_shown_is_the_preset_named_by_its_title_without_later_captions():
    for spec in SPECS:
        meta = load_preset(spec.params["preset"]).meta
        for seed in SEEDS[:3]:
            q = predict.make(spec, seed)
            assert q.prompt[0].args["run"] == meta["title"]
            assert q.data["scenario"]["meta"]["preset"] == spec.params["preset"]
            captions = q.data["scenario"]["meta"].get("captions", [])
            assert all(c["step"] <= q.data["cursor"] for c in captions)
            assert len(captions) < len(meta.get("captions", [])) or not any(
                c["step"] > q.data["cursor"] for c in meta.get("captions", []))


def test_the_module_is_pure():
    tree = ast.parse((ROOT / "lessons/exercises/kinds/predict.py").read_text(encoding="utf-8"))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not imported & {"streamlit", "time", "datetime", "threading"}
    calls = {n.func.attr for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
             and isinstance(n.func.value, ast.Name) and n.func.value.id == "random"}
    assert calls <= {"Random"}  # only seeded instances, never the global generator
