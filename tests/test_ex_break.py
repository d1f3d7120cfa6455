"""The ``break`` exercise kind (lessons/exercises/kinds/breakit.py): schedule faults that break an invariant.

For every exercise: the key schedule kept in the YAML breaks the named invariant for at least
five seeds (learners' seeds, so different network randomness), the evidence points at the
violating step of a run that the witness replays; an empty schedule does not break it; the
protocol without the bug keeps it under the key where the YAML says so; and malformed
schedules are translated ``AnswerError``s, never tracebacks.
"""

from __future__ import annotations

import pytest

from checkers.verdict import Message
from lessons.exercises import core
from lessons.exercises.kinds import breakit as b
from lessons.exercises.runs import run_dict
from ui.i18n import catalog

EXERCISES = [s for s in core.load_exercises().values() if s.kind == "break"]
SEEDS = 5


def keys(feedback) -> list[str]:
    return [m.key for m in feedback.explanation]


def messages(texts):
    for m in texts:
        if isinstance(m, Message):
            yield m
            yield from messages(a for a in m.args.values() if isinstance(a, Message))


def first_question():
    return b.make(core.get_exercise("break-2pc-forgets-prepared"), 7)


# ------------------------------------------------------------------------------ content
def test_content_covers_the_topics():
    topics = [s.topic for s in EXERCISES]
    assert len(EXERCISES) >= 9
    for topic, n in (("concepts", 2), ("practice", 3), ("tools", 1), ("trends", 2), ("faq", 1)):
        assert topics.count(topic) >= n, topic
    for s in EXERCISES:
        assert s.title["zh"] and len(s.hints["en"]) == len(s.hints["zh"]) >= 1
        assert s.params["key"] and len(s.params["key"]) <= s.params["max_faults"]


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda s: s.id)
def test_the_key_breaks_the_invariant_for_many_seeds(ex):
    for learner in range(SEEDS):
        seed = core.question_seed(ex.id, learner)
        qu = core.make_question(ex.id, seed)
        assert qu.data["scenario"]["seed"] == seed and qu.data["scenario"]["faults"] == []
        feedback = core.grade(qu, core.answer_key(qu))
        assert feedback.correct, (ex.id, seed, feedback.explanation)
        assert keys(feedback)[0] == "ex_break.broke"
        step = feedback.witness["step"]
        replay = run_dict(feedback.witness["scenario"])
        assert replay.scenario.bug == qu.data["scenario"]["bug"]
        assert replay.invariants_at(step)[qu.data["invariant"]] is not None
        assert replay.invariants_at(step - 1)[qu.data["invariant"]] is None  # it broke at exactly that step
        own = feedback.explanation[1]  # the protocol's own explanation of the violation
        assert own.key == replay.invariants_at(step)[qu.data["invariant"]]["key"]


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda s: s.id)
def test_an_empty_schedule_does_not_break_it(ex):
    qu = b.make(ex, core.question_seed(ex.id, 0))
    feedback = core.grade(qu, [])
    assert not feedback.correct
    assert keys(feedback)[0] == "ex_break.held" and "ex_break.hint.generic" in keys(feedback)
    assert qu.data["invariant"] not in run_dict(feedback.witness["scenario"]).ever_violated()


@pytest.mark.parametrize("ex", [s for s in EXERCISES if s.params.get("correct_keeps")], ids=lambda s: s.id)
def test_the_correct_protocol_keeps_the_invariant_under_the_key(ex):
    qu = b.make(ex, core.question_seed(ex.id, 1))
    scenario = {**qu.data["scenario"], "bug": None, "faults": core.answer_key(qu)}
    assert qu.data["invariant"] not in run_dict(scenario).ever_violated()
    assert "ex_break.correct.keeps" in keys(core.grade(qu, core.answer_key(qu)))


ALTERNATIVES = {  # schedules of node and partition faults only (no message ids): other ways in
    "break-gcounter-sum-merge": [{"type": "crash", "node": "r2", "at": 25},
                                 {"type": "restart", "node": "r2", "at": 30}],
    "break-fifo-no-holdback": [{"type": "partition", "groups": [["p2"]], "at": 5}, {"type": "heal", "at": 25}],
    "break-causal-sender-entry-only": [{"type": "partition", "groups": [["p3"]], "at": 0}, {"type": "heal", "at": 30}],
    "break-abd-no-write-back": [{"type": "partition", "groups": [["s1"]], "at": 35}, {"type": "heal", "at": 130}],
}


@pytest.mark.parametrize("ex_id", sorted(ALTERNATIVES))
def test_other_schedules_break_it_too_and_the_grader_accepts_them(ex_id):
    for learner in range(SEEDS):
        qu = core.make_question(ex_id, core.question_seed(ex_id, learner))
        feedback = core.grade(qu, ALTERNATIVES[ex_id])
        assert feedback.correct and "ex_break.correct.keeps" in keys(feedback), (ex_id, learner)


def test_make_is_deterministic_and_the_seed_is_the_network_seed():
    ex = core.get_exercise("break-2pc-commit-on-majority")
    assert b.make(ex, 11) == b.make(ex, 11)
    assert b.make(ex, 11).data["scenario"]["seed"] == 11 != b.make(ex, 12).data["scenario"]["seed"]
    data = b.make(ex, 11).data
    assert data["nodes"] == ["tm", "rm1", "rm2", "rm3"] and data["invariant"] == "TCConsistent"
    assert data["fault_types"] == ["crash", "restart", "partition", "heal"]


def test_every_text_is_in_both_catalogs():
    qu = first_question()
    texts = list(messages(qu.prompt))
    texts += list(messages(core.grade(qu, core.answer_key(qu)).explanation))
    texts += list(messages(core.grade(qu, []).explanation))
    for lang in ("en", "zh"):
        assert all(m.key in catalog(lang) for m in texts), [m.key for m in texts if m.key not in catalog(lang)]


def test_when_the_faults_alone_break_it_the_feedback_says_so():
    """A partition makes primary-backup's failure detector lie (split brain): the correct protocol loses an
    acknowledged write too. The exercise does not allow partitions; the grader, asked directly, is honest."""
    qu = b.make(core.get_exercise("break-pb-takeover-unsynced"), 4)
    faults = [{"type": "partition", "groups": [["p"]], "at": 40}, {"type": "heal", "at": 300}]
    with pytest.raises(core.AnswerError):
        core.grade(qu, faults)
    feedback = b.grade(qu, faults)
    assert feedback.correct and keys(feedback)[-1] == "ex_break.correct.breaks"
    correct = run_dict({**feedback.witness["scenario"], "bug": None})
    assert "Acknowledged writes survive failover" in correct.ever_violated()


def test_breaking_another_invariant_is_not_enough():
    ex = core.get_exercise("break-2pc-commit-on-majority")
    spec = core.ExerciseSpec(id=ex.id, kind="break", topic="faq", title=ex.title,
                             params={**ex.params, "invariant": "AC4: decide at most once"})
    qu = b.make(spec, 3)
    feedback = b.grade(qu, b.parse_answer(qu, ex.params["key"]))
    assert not feedback.correct and "ex_break.others" in keys(feedback)
    others = next(m for m in feedback.explanation if m.key == "ex_break.others")
    assert "TCConsistent" in others.args["names"]


# ------------------------------------------------------------------------- bad answers
@pytest.mark.parametrize("raw, key", [
    ({"type": "crash"}, "ex_break.err.not_list"),
    ("crash rm1 at 12", "ex_break.err.not_list"),
    ([{"type": "crash", "node": "rm1", "at": t} for t in range(4)], "ex_break.err.too_many"),
    (["crash"], "ex_break.err.not_fault"),
    ([{"type": "explode", "node": "rm1", "at": 3}], "ex_break.err.type"),
    ([{"type": "partition", "groups": [["rm1"]], "at": 3}], "ex_break.err.type"),  # not allowed here
    ([{"node": "rm1", "at": 3}], "ex_break.err.type"),
    ([{"type": "crash", "node": "rm9", "at": 3}], "ex_break.err.fault"),
    ([{"type": "crash", "node": "rm1"}], "ex_break.err.fault"),
    ([{"type": "crash", "node": "rm1", "at": "soon"}], "ex_break.err.fault"),
    ([{"type": "crash", "node": "rm1", "at": -1}], "ex_break.err.fault"),
    ([{"type": "crash", "node": "rm1", "at": 3, "after_step": 2}], "ex_break.err.fault"),
    ([{"type": "crash", "node": "rm1", "at": 3, "eval": "x"}], "ex_break.err.fault"),
    ([{"type": "crash", "node": "rm1", "at": 201}], "ex_break.err.too_late"),
    ([{"type": "crash", "node": "rm1", "after_step": 10**5}], "ex_break.err.too_late_step"),
])
def test_parse_answer_rejects_junk(raw, key):
    qu = first_question()  # crash/restart only, t_max 200, at most 3 faults
    with pytest.raises(core.AnswerError) as err:
        core.grade(qu, raw)
    assert err.value.key == key and key in catalog("zh")
    if key == "ex_break.err.fault":  # the simulator parser's own reason, translated
        assert err.value.args_["reason"].key in catalog("zh") and err.value.args_["path"].startswith("faults[0]")


def test_parse_answer_rejects_a_bad_message_id():
    qu = b.make(core.get_exercise("break-fifo-no-holdback"), 2)
    with pytest.raises(core.AnswerError) as err:
        core.grade(qu, [{"type": "delay", "msg": "seven", "by": 3, "at": 1}])
    assert err.value.args_["reason"].key == "err.msg_id"


def test_parse_answer_normalises_a_good_schedule():
    qu = first_question()
    parsed = b.parse_answer(qu, [{"type": "crash", "node": "rm1", "at": 12.0}, {"type": "restart", "node": "rm1",
                                                                                 "after_step": 4}])
    assert parsed == [{"type": "crash", "node": "rm1", "at": 12}, {"type": "restart", "node": "rm1",
                                                                    "after_step": 4}]
