"""Exercise registry, seeds and the grading door (see the package docstring)."""

from __future__ import annotations

import functools
import hashlib
import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from checkers.verdict import Message

CONTENT_DIR = Path(__file__).parent / "content"
KINDS = ("predict", "classify", "quorum", "break")
FORMS = {"predict": "choice", "classify": "models", "quorum": "quorum", "break": "schedule"}
TOPICS = ("background", "concepts", "principles", "practice", "applications", "tools", "trends", "faq")
LANGS = ("en", "zh")
SEED_MAX = 2**31 - 1

# A visible line: a catalog key with arguments (``Message``), or bilingual text from a YAML file.
Text = Message | Mapping[str, str]


class ExerciseError(ValueError):
    """A broken exercise file or an unknown exercise id: a bug of ours, caught by the tests."""


class AnswerError(ValueError):
    """A malformed answer (from a form, or an imported record). ``key``/``args`` translate it."""

    def __init__(self, key: str, english: str, **args: Any):
        super().__init__(english)
        self.key = key
        self.args_ = args


@dataclass(frozen=True, slots=True)
class ExerciseSpec:
    id: str
    kind: str
    topic: str
    title: Mapping[str, str]
    params: Mapping[str, Any] = field(default_factory=dict)
    hints: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # lang -> hints, same count per lang
    order: int = 1000


@dataclass(frozen=True, slots=True)
class Choice:
    value: str  # what the answer carries (stable, language-free)
    label: Text


@dataclass(frozen=True, slots=True)
class Question:
    """One concrete exercise. ``data`` per form (all JSON-able):

    * ``choice``   — ``scenario`` (scenario dict, optional) and ``cursor`` (step to show the run
      at), ``show`` ("diagram" | "state" | "none"); answer: one ``Choice.value``.
    * ``models``   — ``notation`` (the history in ``checkers.notation`` text), ``models`` (the
      models to tick from); answer: a list of model names (those the learner says hold).
    * ``quorum``   — ``n_range`` [lo, hi], ``allow_sync`` (bool), ``requirements`` (list of
      requirement ids, each with a catalog text); answer: {"n", "r", "w"[, "sync"]}.
    * ``schedule`` — ``scenario`` (the bug variant's scenario dict, without faults), ``nodes``,
      ``fault_types`` (allowed fault types), ``t_max``, ``max_faults``, ``invariant`` (name to
      break); answer: a list of fault dicts in the scenario file's format.
    """

    exercise_id: str
    kind: str
    form: str
    seed: int
    prompt: tuple[Text, ...]
    choices: tuple[Choice, ...] = ()
    data: Mapping[str, Any] = field(default_factory=dict)
    hints: tuple[Text, ...] = ()


@dataclass(frozen=True, slots=True)
class Feedback:
    correct: bool
    explanation: tuple[Text, ...] = ()
    witness: Mapping[str, Any] = field(default_factory=dict)  # e.g. a checker's witness, a violating step


def _bilingual(value: Any, where: str) -> Mapping[str, str]:
    if not (isinstance(value, Mapping) and all(isinstance(value.get(lang), str) and value[lang].strip()
                                                for lang in LANGS)):
        raise ExerciseError(f"{where}: needs non-empty 'en' and 'zh' text")
    return {lang: value[lang] for lang in LANGS}


def _hints(value: Any, where: str) -> Mapping[str, tuple[str, ...]]:
    if value is None:
        return {lang: () for lang in LANGS}
    if not isinstance(value, Mapping) or not all(isinstance(value.get(lang), list) for lang in LANGS):
        raise ExerciseError(f"{where}: hints need an 'en' and a 'zh' list")
    out = {lang: tuple(str(h) for h in value[lang]) for lang in LANGS}
    if len(out["en"]) != len(out["zh"]):
        raise ExerciseError(f"{where}: as many hints in 'zh' as in 'en'")
    return out


def _spec(raw: Any, where: str) -> ExerciseSpec:
    if not isinstance(raw, Mapping):
        raise ExerciseError(f"{where}: an exercise is a mapping")
    unknown = set(raw) - {"id", "kind", "topic", "title", "params", "hints", "order"}
    if unknown:
        raise ExerciseError(f"{where}: unknown fields {sorted(unknown)}")
    ex_id, kind, topic = raw.get("id"), raw.get("kind"), raw.get("topic")
    if not (isinstance(ex_id, str) and ex_id and ex_id.replace("-", "").isalnum()):
        raise ExerciseError(f"{where}: id must be letters, digits and '-'")
    if kind not in KINDS:
        raise ExerciseError(f"{where} ({ex_id}): kind must be one of {KINDS}")
    if topic not in TOPICS:
        raise ExerciseError(f"{where} ({ex_id}): topic must be one of {TOPICS}")
    params = raw.get("params") or {}
    if not isinstance(params, Mapping):
        raise ExerciseError(f"{where} ({ex_id}): params must be a mapping")
    order = raw.get("order", 1000)
    return ExerciseSpec(id=ex_id, kind=kind, topic=topic, title=_bilingual(raw.get("title"), f"{where} ({ex_id}) title"),
                        params=dict(params), hints=_hints(raw.get("hints"), f"{where} ({ex_id})"),
                        order=order if isinstance(order, int) else 1000)


@functools.cache
def load_exercises() -> Mapping[str, ExerciseSpec]:
    """Every exercise of every ``content/*.yaml`` file, by id, ordered by topic, ``order``, id."""
    specs: dict[str, ExerciseSpec] = {}
    for path in sorted(CONTENT_DIR.glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
        if not isinstance(data, list):
            raise ExerciseError(f"{path.name}: a list of exercises")
        for i, raw in enumerate(data):
            spec = _spec(raw, f"{path.name}[{i}]")
            if spec.id in specs:
                raise ExerciseError(f"{path.name}: duplicate exercise id {spec.id!r}")
            specs[spec.id] = spec
    ordered = sorted(specs.values(), key=lambda s: (TOPICS.index(s.topic), s.order, s.id))
    return {s.id: s for s in ordered}


def exercises_of(topic: str) -> list[ExerciseSpec]:
    return [s for s in load_exercises().values() if s.topic == topic]


def get_exercise(exercise_id: str) -> ExerciseSpec:
    spec = load_exercises().get(exercise_id)
    if spec is None:
        raise ExerciseError(f"unknown exercise {exercise_id!r}")
    return spec


def kind_module(kind: str):
    if kind not in KINDS:
        raise ExerciseError(f"unknown kind {kind!r}")
    return importlib.import_module(f"lessons.exercises.kinds.{'breakit' if kind == 'break' else kind}")


def question_seed(exercise_id: str, learner_seed: int) -> int:
    """The seed of one learner's copy of one exercise: stable, and different per exercise."""
    digest = hashlib.sha256(f"{exercise_id}:{int(learner_seed)}".encode()).digest()
    return int.from_bytes(digest[:4], "big") % SEED_MAX


def learner_seed_of(name: str) -> int:
    """A learner's seed from a name or student number (case and spaces ignored)."""
    digest = hashlib.sha256(" ".join(name.split()).casefold().encode()).digest()
    return int.from_bytes(digest[:4], "big") % SEED_MAX


@functools.lru_cache(maxsize=256)
def make_question(exercise_id: str, seed: int) -> Question:
    spec = get_exercise(exercise_id)
    if not (isinstance(seed, int) and 0 <= seed <= SEED_MAX):
        raise ExerciseError(f"seed must be an integer in [0, {SEED_MAX}]")
    question = kind_module(spec.kind).make(spec, seed)
    assert question.exercise_id == spec.id and question.seed == seed and question.form == FORMS[spec.kind]
    return question


def grade(question: Question, raw_answer: Any) -> Feedback:
    """Parse ``raw_answer`` (``AnswerError`` if malformed), then grade it by running the project's
    simulator/checkers."""
    module = kind_module(question.kind)
    return module.grade(question, module.parse_answer(question, raw_answer))


def answer_key(question: Question) -> Any:
    """One correct answer (JSON-able, in the raw form ``grade`` accepts)."""
    return kind_module(question.kind).answer_key(question)
