"""The ``classify`` exercise kind: tick every consistency model a generated history satisfies.

Theory of operation
-------------------
``make(spec, seed)`` draws a small timed register history from ``lessons.exercises.history_gen``
with ``random.Random`` seeded from ``seed`` (the exercise's ``params.flavours`` steer it towards
one anomaly or another), then runs **every** model's checker on it. A history on which some
checker says ``unknown`` (budget) or "not applicable" would have no sure answer, so it is
thrown away and another one drawn from a seed derived from ``(seed, attempt)`` — bounded and
deterministic, so the same (exercise, seed) always gives the same question.

``Question.data`` is ``{"notation": <checkers.notation text>, "models": [models asked]}`` (form
``models``); the answer is the list of models the learner says hold. ``parse_answer`` accepts
only a list of distinct names among ``data["models"]``.

``grade`` parses the notation again and re-runs the checkers with the same step budget: a stored
verdict is never trusted, and the step budget makes the verdicts deterministic. The answer is
correct iff it is exactly the set of models whose verdict is ``ok``. For each model the learner
got wrong the explanation is one line of ours ("you said X holds; the checker says …") followed
by the checker's own explanation (``chk.`` catalog keys), and ``Feedback.witness`` carries that
model's witness (JSON) for the UI to draw. If the ticked set is not even closed under the
hierarchy (linearizable ticked, sequential not), a line says which implication it breaks.

params (all optional): ``flavours`` — list of ``history_gen.FLAVOURS`` (default: all), one drawn
per question; ``models`` — the models asked (default ``checkers.MODELS``); ``max_ops`` — 8..10;
``story`` — bilingual ``{en, zh}`` text shown before the task.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any, Mapping

from checkers import check_all
from checkers.hierarchy import implies
from checkers.notation import parse_notation
from checkers.verdict import MODELS, Budget, Message, Verdict
from lessons.exercises import history_gen
from lessons.exercises.core import AnswerError, ExerciseError, ExerciseSpec, Feedback, Question, Text

# Search steps per checker: far more than any generated history needs (a few hundred), and a
# step count (not a deadline) so the verdict is the same at make and at grade time.
BUDGET_STEPS = 200_000
ATTEMPTS = 12
_PARAMS = {"flavours", "models", "max_ops", "story"}


def _budget() -> Budget:
    return Budget(max_steps=BUDGET_STEPS)


def _attempt_seed(seed: int, attempt: int) -> int:
    """A different, stable seed per retry (sha256: independent of PYTHONHASHSEED)."""
    digest = hashlib.sha256(f"classify:{seed}:{attempt}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _params(spec: ExerciseSpec) -> tuple[tuple[str, ...], tuple[str, ...], int]:
    """(flavours, models, max_ops) from ``spec.params``; an ``ExerciseError`` names a bad one."""
    p = spec.params
    unknown = set(p) - _PARAMS
    if unknown:
        raise ExerciseError(f"{spec.id}: unknown params {sorted(unknown)}")
    flavours = tuple(p.get("flavours") or history_gen.FLAVOURS)
    models = tuple(p.get("models") or MODELS)
    max_ops = p.get("max_ops", history_gen.MAX_OPS)
    if not set(flavours) <= set(history_gen.FLAVOURS):
        raise ExerciseError(f"{spec.id}: unknown flavours {sorted(set(flavours) - set(history_gen.FLAVOURS))}")
    if not (set(models) <= set(MODELS) and len(set(models)) == len(models) >= 2):
        raise ExerciseError(f"{spec.id}: models must be two or more distinct names of {MODELS}")
    if not (isinstance(max_ops, int) and 8 <= max_ops <= history_gen.MAX_OPS):
        raise ExerciseError(f"{spec.id}: max_ops must be an integer in [8, {history_gen.MAX_OPS}]")
    # ask the models in map order (strongest first), whatever order the YAML lists them in
    return flavours, tuple(m for m in MODELS if m in models), max_ops


def verdicts(notation: str, models: tuple[str, ...] = MODELS) -> dict[str, Verdict]:
    """Every asked model's verdict on the history, each checker with a fresh step budget."""
    return check_all(parse_notation(notation), _budget, models)


def _decisive(found: Mapping[str, Verdict]) -> bool:
    return all(v.applicable and v.result in ("ok", "illegal") for v in found.values())


def make(spec: ExerciseSpec, seed: int) -> Question:
    flavours, models, max_ops = _params(spec)
    for attempt in range(ATTEMPTS):
        rng = random.Random(_attempt_seed(seed, attempt))
        generated = history_gen.generate(rng.choice(flavours), rng, max_ops)
        if _decisive(verdicts(generated.notation)):  # every model, not only the asked ones
            return _question(spec, seed, generated, models)
    raise ExerciseError(f"{spec.id}: no decisive history in {ATTEMPTS} attempts for seed {seed}")


def _question(spec: ExerciseSpec, seed: int, generated: history_gen.Generated, models: tuple[str, ...]) -> Question:
    prompt: list[Text] = []
    story = spec.params.get("story")
    if isinstance(story, Mapping):
        prompt.append({lang: str(story.get(lang, "")) for lang in ("en", "zh")})
    prompt += [Message("ex_classify.prompt.task", {}), Message("ex_classify.prompt.notation", {})]
    if "?" in generated.notation or "!" in generated.notation:
        prompt.append(Message("ex_classify.prompt.marks", {}))
    hints: list[Text] = [{"en": en, "zh": zh} for en, zh in zip(spec.hints.get("en", ()), spec.hints.get("zh", ()))]
    hints.append(Message(f"ex_classify.hint.gen.{generated.hint}", dict(generated.hint_args)))
    return Question(exercise_id=spec.id, kind="classify", form="models", seed=seed, prompt=tuple(prompt),
                    data={"notation": generated.notation, "models": list(models)}, hints=tuple(hints))


def _shown(item: Any) -> str:
    """A rejected answer item, short enough to put in a message."""
    text = repr(item)
    return text if len(text) <= 40 else text[:37] + "…"


def parse_answer(question: Question, raw: Any) -> tuple[str, ...]:
    """The models ticked, in map order; ``AnswerError`` unless a list of distinct asked names."""
    models = list(question.data["models"])
    if not isinstance(raw, list | tuple):
        raise AnswerError("ex_classify.err.not_list", "the answer must be a list of model names")
    if len(raw) > len(models):  # checked before looking at the items: a huge list costs nothing
        raise AnswerError("ex_classify.err.too_many", f"at most {len(models)} models", limit=len(models))
    ticked: list[str] = []
    for item in raw:
        if not isinstance(item, str) or item not in models:
            raise AnswerError("ex_classify.err.unknown_model", f"{_shown(item)} is not one of the models asked",
                              model=_shown(item))
        if item in ticked:
            raise AnswerError("ex_classify.err.duplicate", f"{item} is ticked twice", model=item)
        ticked.append(item)
    return tuple(m for m in models if m in ticked)


def _why(model: str, said_holds: bool, verdict: Verdict) -> list[Text]:
    """Our line about what the learner said, then the checker's own explanation of its verdict."""
    said = "holds" if said_holds else "fails"
    return [Message(f"ex_classify.said.{said}.{model}", {}), *verdict.explanation]


def _hierarchy_notes(ticked: set[str], models: tuple[str, ...]) -> list[Text]:
    """One line per *nearest* broken implication: a ticked model that implies a left-out one.

    Nearest: no other asked model lies between the two. Ticking linearizable and sequential but
    not causal blames sequential → causal only; ticking linearizable alone blames
    linearizable → sequential only (not eight lines, one per model below): the learner fixes
    that, and the next grading names the next link of the chain if it is still broken.
    """
    notes: list[Text] = []
    for strong in (m for m in models if m in ticked):
        for weaker in (m for m in models if m not in ticked and m != strong and implies(strong, m)):
            between = [c for c in models if c not in (strong, weaker) and implies(strong, c) and implies(c, weaker)]
            if not between:
                notes.append(Message(f"ex_classify.implies.{strong}.{weaker}", {}))
    return notes


def grade(question: Question, answer: tuple[str, ...]) -> Feedback:
    models = tuple(question.data["models"])
    found = verdicts(question.data["notation"], models)
    holds = {m for m, v in found.items() if v.result == "ok"}
    undecided = [m for m, v in found.items() if v.result == "unknown"]  # only for a question not made here
    ticked = set(answer)
    wrong = [m for m in models if m not in undecided and (m in ticked) != (m in holds)]
    lines: list[Text] = [line for m in undecided for line in found[m].explanation]
    if not wrong:
        lines.insert(0, Message("ex_classify.correct", {"n": len(holds), "total": len(models)}))
        return Feedback(correct=True, explanation=tuple(lines))
    for m in wrong:
        lines += _why(m, m in ticked, found[m])
    lines += _hierarchy_notes(ticked, models)
    witness = {m: found[m].to_json()["witness"] for m in wrong}
    return Feedback(correct=False, explanation=tuple(lines), witness=witness)


def answer_key(question: Question) -> list[str]:
    """The models whose checker says ``ok``, in the order asked."""
    found = verdicts(question.data["notation"], tuple(question.data["models"]))
    return [m for m, v in found.items() if v.result == "ok"]
