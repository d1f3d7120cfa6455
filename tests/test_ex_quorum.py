"""The ``quorum`` exercise kind (lessons/exercises/kinds/quorum.py): design N, R, W (and sync/async).

The answer key of every exercise grades correct for several seeds; typical wrong answers are
caught by *running* the store, with the evidence a learner needs (a stale read with R + W ≤ N,
an unavailable write with W too big, two disjoint write quorums with W ≤ N/2, a lost write with
async primary-backup, a slower W, too many replicas); the closed-form rules behind the answer
key agree with the probes on every small configuration; malformed answers are ``AnswerError``s.
"""

from __future__ import annotations

import time

import pytest

from checkers.verdict import Message
from lessons.exercises import core
from lessons.exercises.kinds import quorum as q
from lessons.exercises.runs import run_dict
from ui.i18n import catalog, translate

EXERCISES = [s for s in core.load_exercises().values() if s.kind == "quorum"]


def spec(store, requirements, n_range, ex_id="t-quorum"):
    return core.ExerciseSpec(id=ex_id, kind="quorum", topic="faq", title={"en": "t", "zh": "t"},
                             params={"store": store, "n_range": n_range, "requirements": requirements})


def question(store, requirements, n_range, seed=5):
    return q.make(spec(store, requirements, n_range), seed)


def keys(feedback) -> list[str]:
    return [m.key for m in feedback.explanation]


def line(feedback, key) -> Message:
    return next(m for m in feedback.explanation if m.key == key)


def messages(texts):
    """Every Message in ``texts``, nested arguments included."""
    for m in texts:
        if isinstance(m, Message):
            yield m
            yield from messages(a for a in m.args.values() if isinstance(a, Message))


# ------------------------------------------------------------------------------ content
def test_content_covers_the_topics_with_bilingual_titles_and_hints():
    topics = [s.topic for s in EXERCISES]
    assert len(EXERCISES) >= 6
    for topic, n in (("background", 1), ("principles", 1), ("applications", 3), ("faq", 1)):
        assert topics.count(topic) >= n, topic
    for s in EXERCISES:
        assert s.title["en"] and s.title["zh"] and len(s.hints["en"]) == len(s.hints["zh"]) >= 1


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda s: s.id)
def test_make_is_deterministic_and_the_key_grades_correct(ex):
    for learner in range(4):
        seed = core.question_seed(ex.id, learner)
        one, two = q.make(ex, seed), q.make(ex, seed)
        assert one == two
        assert one.form == "quorum" and one.data["allow_sync"] == (one.data["store"] == "primary-backup")
        key = core.answer_key(one)
        feedback = core.grade(one, key)
        assert feedback.correct, (ex.id, seed, key, feedback.explanation)
        assert keys(feedback)[0] == "ex_quorum.summary.correct"
        assert keys(feedback).count("ex_quorum.verdict.met") == len(one.data["requirements"])


def test_the_seed_picks_the_requirements():
    ex = core.get_exercise("quorum-survive-crashes")
    picked = {tuple(r["args"].get("f", 0) for r in q.make(ex, s).data["requirements"]) for s in range(40)}
    assert len(picked) > 1
    keys_ = {tuple(sorted(q.answer_key(q.make(ex, s)).items())) for s in range(40)}
    assert len(keys_) > 1  # different requirements, different designs


def test_prompt_lists_the_requirements_and_every_text_is_translated():
    qu = question("quorum-store", [{"id": "no_stale_reads"}, {"id": "write_available", "f": 1}], [1, 7])
    assert [m.key for m in qu.prompt[1:3]] == ["ex_quorum.req.no_stale_reads", "ex_quorum.req.write_available"]
    wrong = core.grade(qu, {"n": 3, "r": 1, "w": 2})
    texts = list(messages(qu.prompt)) + list(messages(wrong.explanation))
    for lang in ("en", "zh"):
        for m in texts:
            assert m.key in catalog(lang), m.key
            flat = {k: v for k, v in m.args.items() if not isinstance(v, Message)}
            if len(flat) == len(m.args):
                assert "{" not in translate(lang, m.key, **flat), m.key  # every placeholder filled


# -------------------------------------------------------------------- wrong answers, caught
def test_r_plus_w_at_most_n_is_caught_as_a_stale_read():
    qu = question("quorum-store", [{"id": "no_stale_reads"}], [1, 7])
    feedback = core.grade(qu, {"n": 3, "r": 1, "w": 2})
    assert not feedback.correct
    stale = line(feedback, "ex_quorum.evidence.stale")
    assert stale.args["got"] == "None" and stale.args["acked"] < stale.args["time"]
    assert line(feedback, "ex_quorum.evidence.checker").args["result"].key == "ex_quorum.checker.illegal"
    assert "ex_quorum.reason.intersect_no" in keys(feedback)
    # the witness replays the very run: the step is the stale read's reply
    trace = run_dict(feedback.witness["scenario"])
    ret = [e for e in trace.events_of_step(feedback.witness["step"]) if e.kind == "return"]
    assert ret and ret[0].detail["result"] == {"ok": True, "value": None}
    assert core.grade(qu, {"n": 3, "r": 2, "w": 2}).correct


def test_w_too_big_is_caught_as_an_unavailable_write():
    qu = question("quorum-store", [{"id": "write_available", "f": 1}], [1, 7])
    feedback = core.grade(qu, {"n": 3, "r": 1, "w": 3})
    assert not feedback.correct
    failed = line(feedback, "ex_quorum.evidence.avail_failed")
    assert failed.args["op"] == "put" and failed.args["need"] == 3 and failed.args["left"] == 2
    trace = run_dict(feedback.witness["scenario"])
    assert sum(e.kind == "crash" for e in trace.events) == 1
    assert any(e.kind == "return" and e.detail["result"].get("indeterminate") for e in trace.events)


def test_too_few_replicas_for_the_crashes_is_unavailable():
    qu = question("quorum-store", [{"id": "read_available", "f": 2}], [1, 7])
    assert not core.grade(qu, {"n": 2, "r": 1, "w": 1}).correct  # both replicas down
    assert "ex_quorum.evidence.all_down" in keys(core.grade(qu, {"n": 2, "r": 1, "w": 1}))
    assert core.grade(qu, {"n": 3, "r": 1, "w": 1}).correct


def test_w_at_most_half_is_caught_as_two_disjoint_write_quorums():
    qu = question("quorum-store", [{"id": "no_disjoint_writes"}, {"id": "no_stale_reads"}], [1, 7])
    feedback = core.grade(qu, {"n": 4, "r": 3, "w": 2})
    assert not feedback.correct
    disjoint = line(feedback, "ex_quorum.evidence.disjoint")
    assert not set(disjoint.args["a"].split(", ")) & set(disjoint.args["b"].split(", "))
    assert "ex_quorum.reason.majority_no" in keys(feedback)
    assert core.grade(qu, {"n": 4, "r": 2, "w": 3}).correct


def test_async_primary_backup_loses_an_acknowledged_write():
    qu = question("primary-backup", [{"id": "failover_no_loss"}], [2, 5])
    feedback = core.grade(qu, {"n": 3, "r": 1, "w": 1, "sync": False})
    assert not feedback.correct
    lost = line(feedback, "ex_quorum.evidence.lost")
    assert lost.args["value"] == 2 and lost.args["got"] == "1" and lost.args["acked"] < lost.args["crash"]
    assert line(feedback, "ex_quorum.evidence.checker").args["result"].key == "ex_quorum.checker.illegal"
    assert "ex_quorum.reason.async" in keys(feedback)
    assert feedback.witness["scenario"]["params"]["sync_replication"] is False
    assert core.grade(qu, {"n": 3, "r": 1, "w": 1, "sync": True}).correct


def test_a_slower_w_than_needed_fails_fast_writes_with_measured_latency():
    reqs = [{"id": "write_available", "f": 1}, {"id": "read_available", "f": 1}, {"id": "no_stale_reads"},
            {"id": "fast_writes"}]
    qu = question("quorum-store", reqs, [1, 7])
    feedback = core.grade(qu, {"n": 4, "r": 2, "w": 3})  # W = 2, R = 3 also works at N = 4
    assert not feedback.correct
    lat = line(feedback, "ex_quorum.evidence.latency")
    assert lat.args["best_w"] == 2 and float(lat.args["mine"]) > float(lat.args["best"])
    assert core.grade(qu, {"n": 4, "r": 3, "w": 2}).correct


def test_sync_is_slower_when_nothing_asks_for_it():
    qu = question("primary-backup", [{"id": "fast_writes"}], [2, 5])
    feedback = core.grade(qu, {"n": 2, "r": 1, "w": 2, "sync": True})
    assert not feedback.correct
    lat = line(feedback, "ex_quorum.evidence.latency_pb")
    assert float(lat.args["best"]) == 0 < float(lat.args["mine"])


def test_more_replicas_than_needed_fails_fewest_with_a_proof_run():
    qu = question("quorum-store", [{"id": "write_available", "f": 1}, {"id": "no_stale_reads"},
                                   {"id": "fewest_replicas"}], [1, 7])
    assert q.answer_key(qu) == {"n": 2, "r": 2, "w": 1}
    feedback = core.grade(qu, {"n": 3, "r": 2, "w": 2})
    assert not feedback.correct
    smaller = line(feedback, "ex_quorum.evidence.smaller")
    assert (smaller.args["n"], smaller.args["yours"]) == (2, 3)
    assert feedback.witness["scenario"]["params"]["N"] == 2  # the proof run, at the smaller N


# ------------------------------------------------------------------ rules agree with runs
@pytest.mark.parametrize("seed", [3, 11])
def test_closed_form_rules_agree_with_the_probes_on_every_small_configuration(seed):
    reqs = [{"id": "write_available", "args": {"f": 1}}, {"id": "read_available", "args": {"f": 2}},
            {"id": "no_stale_reads", "args": {}}, {"id": "no_disjoint_writes", "args": {}}]
    data = {"store": "quorum-store", "n_range": [1, 5], "requirements": reqs}
    for cfg in q._configs("quorum-store", 1, 5):
        for req in reqs:
            assert q._judge(data, req, cfg, seed).met == q.rule_ok("quorum-store", req, cfg), (cfg, req)
    pb = [{"id": "failover_no_loss", "args": {}}, {"id": "write_available", "args": {"f": 2}}]
    data = {"store": "primary-backup", "n_range": [2, 5], "requirements": pb}
    for cfg in q._configs("primary-backup", 2, 5):
        for req in pb:
            assert q._judge(data, req, cfg, seed).met == q.rule_ok("primary-backup", req, cfg), (cfg, req)


def test_grading_is_bounded():
    ex = core.get_exercise("quorum-cassandra-quorum")
    qu = q.make(ex, 1)
    start = time.perf_counter()
    core.grade(qu, {"n": 7, "r": 6, "w": 6})  # every probe plus the proof runs of a smaller N
    assert time.perf_counter() - start < 2.0


def test_an_infeasible_exercise_is_refused():
    with pytest.raises(core.ExerciseError):
        question("quorum-store", [{"id": "write_available", "f": 3}], [1, 3])
    with pytest.raises(core.ExerciseError):
        question("quorum-store", [{"id": "no_such_requirement"}], [1, 3])
    with pytest.raises(core.ExerciseError):
        question("primary-backup", [{"id": "fast_writes"}], [1, 5])  # primary-backup needs a backup


# ------------------------------------------------------------------------- bad answers
@pytest.mark.parametrize("raw, key", [
    ("n=3", "ex_quorum.err.not_mapping"),
    ([3, 2, 2], "ex_quorum.err.not_mapping"),
    ({"r": 2, "w": 2}, "ex_quorum.err.not_integer"),
    ({"n": "3", "r": 2, "w": 2}, "ex_quorum.err.not_integer"),
    ({"n": 3.0, "r": 2, "w": 2}, "ex_quorum.err.not_integer"),
    ({"n": True, "r": 1, "w": 1}, "ex_quorum.err.not_integer"),
    ({"n": 8, "r": 2, "w": 2}, "ex_quorum.err.out_of_range"),
    ({"n": 0, "r": 1, "w": 1}, "ex_quorum.err.out_of_range"),
    ({"n": 3, "r": 4, "w": 2}, "ex_quorum.err.out_of_range"),
    ({"n": 3, "r": 2, "w": 0}, "ex_quorum.err.out_of_range"),
    ({"n": 3, "r": 2, "w": 2, "sync": True}, "ex_quorum.err.unknown_field"),
    ({"n": 3, "r": 2, "w": 2, "eval": "boom"}, "ex_quorum.err.unknown_field"),
])
def test_parse_answer_rejects_junk(raw, key):
    qu = question("quorum-store", [{"id": "no_stale_reads"}], [1, 7])
    with pytest.raises(core.AnswerError) as err:
        core.grade(qu, raw)
    assert err.value.key == key and err.value.key in catalog("zh")


@pytest.mark.parametrize("raw", [{"n": 3, "r": 1, "w": 1}, {"n": 3, "r": 1, "w": 1, "sync": "yes"},
                                 {"n": 3, "r": 1, "w": 1, "sync": 1}])
def test_primary_backup_answers_need_a_boolean_sync(raw):
    qu = question("primary-backup", [{"id": "failover_no_loss"}], [2, 5])
    with pytest.raises(core.AnswerError) as err:
        core.grade(qu, raw)
    assert err.value.key == "ex_quorum.err.sync"
