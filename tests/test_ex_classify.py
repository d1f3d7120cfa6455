"""The 'classify' exercises: generated histories, graded by the checkers (lessons/exercises/kinds/classify.py).

Every exercise, several learner seeds: the question is deterministic and decisive, the answer key
grades correct, changing any one tick grades wrong with the checker's reasons, the key is closed
under the model hierarchy, and the answers vary from seed to seed.
"""

from __future__ import annotations

import ast
import collections
import dataclasses
import random
import re
from pathlib import Path

import pytest
import yaml

from checkers import MODELS
from checkers.hierarchy import contradictions, implies
from checkers.notation import parse_notation
from checkers.verdict import Message
from lessons.exercises import core, history_gen
from lessons.exercises.kinds import classify
from ui.i18n import catalog

ROOT = Path(__file__).resolve().parents[1]
SPECS = [s for s in core.load_exercises().values() if s.kind == "classify"]
SEEDS = [core.question_seed("learner", n) for n in range(5)]  # learner seeds as the app makes them
VARIETY_SEEDS = range(14)


def _seeds(spec):
    return [core.question_seed(spec.id, s) for s in SEEDS]


def _keys_in_catalogs(lines):
    """Every Message line's key exists in both languages (bilingual mappings carry their own text)."""
    for line in lines:
        if isinstance(line, Message):
            assert line.key in catalog("en") and line.key in catalog("zh"), line.key
        else:
            assert line["en"].strip() and line["zh"].strip(), line


def test_the_exercises_cover_the_lessons():
    topics = collections.Counter(s.topic for s in SPECS)
    wanted = {"background": 2, "concepts": 2, "principles": 2, "applications": 1, "tools": 3, "trends": 1, "faq": 2}
    assert len(SPECS) >= 13
    assert all(topics[t] >= n for t, n in wanted.items()), topics
    lesson_ids = {p.name for p in (ROOT / "lessons/content").iterdir() if p.is_dir()}
    for s in SPECS:
        assert s.topic in lesson_ids, s.id
        assert s.title["en"].strip() and s.title["zh"].strip(), s.id
        assert len(s.hints["en"]) == len(s.hints["zh"]) >= 1, s.id


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.id)
def test_questions_are_deterministic_small_and_decisive(spec):
    for seed in _seeds(spec):
        q = classify.make(spec, seed)
        assert classify.make(spec, seed) == q  # pure: same (exercise, seed), same question
        assert (q.kind, q.form, q.seed, q.exercise_id) == ("classify", "models", seed, spec.id)
        h = parse_notation(q.data["notation"])
        assert h.timed and 2 <= len(h.processes()) <= 4 and 1 <= len(h.keys()) <= 2 and 4 <= len(h.ops) <= 10
        writes = [(o.key, o.input) for o in h.ops if o.f == "write"]
        assert len(writes) == len(set(writes)), q.data["notation"]  # reads-from is unambiguous
        found = classify.verdicts(q.data["notation"])  # every model, asked or not
        assert all(v.applicable and v.result in ("ok", "illegal") for v in found.values()), found
        assert not contradictions(found), (q.data["notation"], contradictions(found))
        assert q.data["models"] == [m for m in MODELS if m in q.data["models"]] and len(q.data["models"]) >= 2
        assert len(q.hints) == len(spec.hints["en"]) + 1
        _keys_in_catalogs(q.prompt + q.hints)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.id)
def test_the_key_is_right_and_every_wrong_tick_is_explained(spec):
    for seed in _seeds(spec)[:3]:
        q = classify.make(spec, seed)
        key = core.answer_key(q)
        assert core.grade(q, key).correct and core.grade(q, key).witness == {}
        for model in q.data["models"]:
            changed = [m for m in key if m != model] if model in key else key + [model]
            fb = core.grade(q, changed)
            assert not fb.correct, (q.data["notation"], model)
            said = "fails" if model in key else "holds"
            assert fb.explanation[0] == Message(f"ex_classify.said.{said}.{model}", {})
            assert any(line.key.startswith("chk.") for line in fb.explanation)  # the checker's own reasons
            assert set(fb.witness) == {model}
            _keys_in_catalogs(fb.explanation)


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.id)
def test_the_key_is_closed_under_the_hierarchy(spec):
    for seed in _seeds(spec):
        q = classify.make(spec, seed)
        key = set(core.answer_key(q))
        for a in key:
            assert all(b in key for b in q.data["models"] if implies(a, b)), (a, key)


def test_answers_vary_per_exercise_and_across_exercises():
    keys_of = {s.id: {tuple(core.answer_key(classify.make(s, core.question_seed(s.id, n)))) for n in VARIETY_SEEDS}
               for s in SPECS}
    assert all(len(keys) >= 2 for keys in keys_of.values()), {i: len(k) for i, k in keys_of.items()}
    full = [set(k) for s in SPECS for k in keys_of[s.id] if s.params.get("models") is None]
    assert set(MODELS) in full  # linearizable, so everything holds
    assert any("sequential" in k and "linearizable" not in k for k in full)
    assert any("causal" in k and "sequential" not in k for k in full)
    assert any("pram" in k and "causal" not in k for k in full)
    assert any("pram" not in k and "eventual" in k for k in full)  # only session guarantees / eventual left
    assert set() in full  # a read of a failed write: no model at all


def _question(spec_id="classify-stale-read"):
    return core.make_question(spec_id, core.question_seed(spec_id, 1))


@pytest.mark.parametrize("raw, key", [
    (None, "not_list"), ("linearizable", "not_list"), ({"linearizable": True}, "not_list"), (5, "not_list"),
    (["strict-serializable"], "unknown_model"), (["Linearizable"], "unknown_model"), ([1], "unknown_model"),
    ([["linearizable"]], "unknown_model"), (["eventual", "eventual"], "duplicate"),
    (["eventual"] * 100_000, "too_many"), (list(MODELS) + ["eventual"], "too_many"),
])
def test_junk_answers_are_rejected_with_a_translated_message(raw, key):
    with pytest.raises(core.AnswerError) as e:
        core.grade(_question(), raw)
    assert e.value.key == f"ex_classify.err.{key}"
    assert all(e.value.key in catalog(lang) for lang in ("en", "zh"))
    assert len(str(e.value)) < 200


def test_only_the_models_asked_may_be_ticked():
    q = _question("classify-porcupine-register")
    assert "pram" not in q.data["models"]
    with pytest.raises(core.AnswerError):
        classify.parse_answer(q, ["pram"])
    assert classify.parse_answer(q, ("eventual", "linearizable")) == ("linearizable", "eventual")
    assert classify.parse_answer(q, []) == ()


def _question_with_key(predicate):
    for spec in SPECS:
        for n in VARIETY_SEEDS:
            q = classify.make(spec, core.question_seed(spec.id, n))
            if predicate(set(core.answer_key(q)), q):
                return q
    raise AssertionError("no such question")


def test_a_tick_set_the_hierarchy_forbids_names_the_nearest_broken_implication():
    q = _question_with_key(lambda key, q: key == set(MODELS))
    notes = [m.key for m in core.grade(q, ["linearizable"]).explanation if m.key.startswith("ex_classify.implies")]
    assert notes == ["ex_classify.implies.linearizable.sequential"]
    notes = [m.key for m in core.grade(q, ["linearizable", "sequential", "pram"]).explanation
             if m.key.startswith("ex_classify.implies")]
    assert set(notes) == {"ex_classify.implies.sequential.causal", "ex_classify.implies.pram.read-your-writes",
                          "ex_classify.implies.pram.monotonic-reads", "ex_classify.implies.pram.monotonic-writes"}
    assert not [m for m in core.grade(q, ["eventual"]).explanation if m.key.startswith("ex_classify.implies")]


@pytest.mark.parametrize("name", ["stale-read", "quorum-inversion", "linearizable-register"])
def test_grading_reruns_the_checkers_on_the_notation(name):
    """A question carrying a hand-written history is graded against that history's expected verdicts."""
    entry = yaml.safe_load((ROOT / "lessons/histories" / f"{name}.yaml").read_text(encoding="utf-8"))
    q = dataclasses.replace(_question(), data={"notation": entry["notation"], "models": list(MODELS)})
    expected = [m for m in MODELS if entry["expected"][m] == "ok"]
    assert core.answer_key(q) == expected
    assert core.grade(q, expected).correct
    assert not core.grade(q, list(MODELS)).correct or expected == list(MODELS)


def test_generated_hints_point_at_operations_of_the_history():
    for spec in SPECS:
        for seed in _seeds(spec):
            q = classify.make(spec, seed)
            hint = q.hints[-1]
            assert hint.key.startswith("ex_classify.hint.gen.")
            lines = dict(line.split(": ", 1) for line in q.data["notation"].splitlines()[1:])
            for value in hint.args.values():
                process, _, op = value.partition(":")
                assert process in lines, (value, q.data["notation"])
                assert not op or re.search(re.escape(op) + r"@", lines[process]), (value, q.data["notation"])


@pytest.mark.parametrize("flavour", sorted(history_gen.FLAVOURS))
def test_every_flavour_draws_well_formed_histories(flavour):
    for seed in range(30):
        g = history_gen.generate(flavour, random.Random(seed), max_ops=8)
        assert g == history_gen.generate(flavour, random.Random(seed), max_ops=8)
        h = parse_notation(g.notation)
        assert 4 <= len(h.ops) <= 8 and 2 <= len(h.processes()) <= 4
        assert g.notation.startswith("init ") and f"ex_classify.hint.gen.{g.hint}" in catalog("en")


@pytest.mark.parametrize("params", [{"flavours": ["nope"]}, {"models": ["serializable", "linearizable"]},
                                    {"models": ["eventual"]}, {"max_ops": 50}, {"flavor": ["inversion"]}])
def test_bad_params_are_an_exercise_error(params):
    spec = dataclasses.replace(SPECS[0], params=params)
    with pytest.raises(core.ExerciseError):
        classify.make(spec, 1)


def test_every_feedback_line_is_in_both_catalogs_and_the_chinese_follows_the_glossary():
    en = yaml.safe_load((ROOT / "ui/i18n/en/ex_classify.yaml").read_text(encoding="utf-8"))
    zh = yaml.safe_load((ROOT / "ui/i18n/zh/ex_classify.yaml").read_text(encoding="utf-8"))
    assert list(en) == list(zh) == ["ex_classify"]
    for model in MODELS:
        for said in ("holds", "fails"):
            assert f"ex_classify.said.{said}.{model}" in catalog("zh")
        for weaker in MODELS:
            if weaker != model and implies(model, weaker):
                assert f"ex_classify.implies.{model}.{weaker}" in catalog("en")
                assert f"ex_classify.implies.{model}.{weaker}" in catalog("zh")
    glossary = yaml.safe_load((ROOT / "lessons/glossary.yaml").read_text(encoding="utf-8"))
    avoided = [bad for term in glossary["terms"] for bad in term.get("avoid", [])]
    texts = [(ROOT / "ui/i18n/zh/ex_classify.yaml").read_text(encoding="utf-8"),
             (ROOT / "lessons/exercises/content/classify.yaml").read_text(encoding="utf-8")]
    assert avoided and not [bad for bad in avoided for text in texts if bad in text]


@pytest.mark.parametrize("module", ["lessons/exercises/history_gen.py", "lessons/exercises/kinds/classify.py"])
def test_the_generator_and_the_grader_are_pure(module):
    tree = ast.parse((ROOT / module).read_text(encoding="utf-8"))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert not imported & {"streamlit", "time", "datetime", "ui", "pages"}
    calls = [ast.unparse(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)]
    assert not [c for c in calls if c.startswith("random.") and c != "random.Random"]
