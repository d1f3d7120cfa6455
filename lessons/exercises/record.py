"""Progress records and assignments: what a learner answered, re-graded by the project itself.

Theory of operation
-------------------
A **progress record** is the JSON file a learner downloads and hands in::

    {"format": "consistency-lab-progress", "version": 1,
     "learner": "Ada", "learner_seed": 12345, "assignment": "week1-models" | null,
     "answers": [{"exercise": "predict-2pc", "seed": 77, "answer": <raw answer>, "correct": true}]}

One answer per ``(exercise, seed)``: a later answer replaces the earlier one (``add``). The
``correct`` flag is only what the app *claimed* when the learner submitted; nothing trusts it.
``regrade`` rebuilds each question from ``(exercise, seed)`` and grades the raw answer again
with ``core.grade`` (the simulator and checkers), so an edited record cannot raise its own
score: an unknown exercise, a malformed answer or a grading failure simply counts as wrong.

``parse`` treats its input as hostile: at most ``MAX_RECORD_BYTES`` of UTF-8 JSON (never
pickle, never YAML), at most ``MAX_ANSWERS`` answers, every field type- and range-checked,
each raw answer at most ``MAX_ANSWER_BYTES`` of JSON. Failures are ``RecordError`` with a
catalog key (``exercises.err.*``) and an English text (the CLI prints that).

An **assignment** is a list of ``(exercise, seed)`` items, from ``lessons/assignments/<id>.yaml``
(``{id, title: {en, zh}, exercises: [{id, seed}], per_learner: bool}``) or from an instructor's
ad-hoc link (``encode_assignment``/``decode_assignment``: ``sim.packed``, the same bounded
packing as share links). With ``per_learner`` each learner gets their own copy of
each item: ``core.question_seed(f"{exercise}:{seed}", learner_seed)``; otherwise everybody answers
the same question. ``score`` counts, for an assignment, only the answers to its questions (extra
answers cannot pad the score); without one, every answer.

Pure: no Streamlit, no clock, no global RNG.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from checkers.verdict import Message
from lessons.exercises import core
from sim.packed import PackError, pack, unpack

FORMAT = "consistency-lab-progress"
VERSION = 1
MAX_RECORD_BYTES = 1024 * 1024
MAX_ANSWERS = 1000
MAX_ANSWER_BYTES = 16 * 1024
MAX_LEARNER_CHARS = 120
MAX_ASSIGNMENT_ITEMS = 60
MAX_TITLE_CHARS = 200
MAX_LINK_CHARS = 4096
MAX_LINK_DECODED = 32 * 1024
ASSIGNMENT_DIR = Path(__file__).resolve().parents[1] / "assignments"
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_RECORD_KEYS = {"format", "version", "learner", "learner_seed", "assignment", "answers"}
_ANSWER_KEYS = {"exercise", "seed", "answer", "correct"}


class RecordError(ValueError):
    """A bad record, assignment file or link. ``key``/``args_`` translate it (``exercises.err.*``);
    ``str()`` is the English text."""

    def __init__(self, key: str, english: str, **args: Any):
        super().__init__(english)
        self.key = key
        self.english = english
        self.args_ = args


def _err(key: str, english: str, **args: Any) -> RecordError:
    return RecordError(f"exercises.err.{key}", english, **args)


# ------------------------------------------------------------------------------------ record
@dataclass(frozen=True, slots=True)
class Answer:
    exercise: str
    seed: int
    answer: Any  # the raw answer, JSON-able, as the form gave it
    correct: bool  # as claimed when it was submitted: never trusted


@dataclass(frozen=True, slots=True)
class Record:
    learner: str
    learner_seed: int
    assignment: str | None = None
    answers: tuple[Answer, ...] = ()


def new(learner: str, learner_seed: int, assignment: str | None = None) -> Record:
    return Record(learner=_learner(learner), learner_seed=_seed(learner_seed, "learner_seed"),
                  assignment=_assignment_id(assignment))


def add(record: Record, exercise: str, seed: int, answer: Any, correct: bool) -> Record:
    """``record`` with this answer last; an earlier answer to the same (exercise, seed) is replaced.
    The oldest answers are dropped if the record would no longer be importable (count or size)."""
    out = _add(record, _answer(exercise, seed, answer, correct))
    if len(out.answers) > 1 and len(to_json(out).encode("utf-8")) > MAX_RECORD_BYTES:
        answers = list(out.answers)
        while len(answers) > 1 and len(to_json(Record(out.learner, out.learner_seed, out.assignment,
                                                      tuple(answers))).encode("utf-8")) > MAX_RECORD_BYTES:
            del answers[:max(1, len(answers) // 10)]
        out = Record(out.learner, out.learner_seed, out.assignment, tuple(answers))
    return out


def _answer(exercise: Any, seed: Any, answer: Any, correct: Any) -> Answer:
    return Answer(exercise=_exercise_id(exercise), seed=_seed(seed, "seed"), answer=_raw_answer(answer),
                  correct=bool(correct))


def _add(record: Record, item: Answer) -> Record:
    rest = tuple(a for a in record.answers if (a.exercise, a.seed) != (item.exercise, item.seed))
    if len(rest) >= MAX_ANSWERS:
        rest = rest[len(rest) - MAX_ANSWERS + 1:]  # the oldest answers go first
    return Record(record.learner, record.learner_seed, record.assignment, rest + (item,))


def with_identity(record: Record, learner: str, learner_seed: int, assignment: str | None = None) -> Record:
    return Record(_learner(learner), _seed(learner_seed, "learner_seed"), _assignment_id(assignment), record.answers)


def to_dict(record: Record) -> dict[str, Any]:
    return {"format": FORMAT, "version": VERSION, "learner": record.learner, "learner_seed": record.learner_seed,
            "assignment": record.assignment,
            "answers": [{"exercise": a.exercise, "seed": a.seed, "answer": a.answer, "correct": a.correct}
                        for a in record.answers]}


def to_json(record: Record) -> str:
    return json.dumps(to_dict(record), ensure_ascii=False, indent=1, sort_keys=False)


def parse(data: str | bytes) -> Record:
    """A record from untrusted text or bytes; ``RecordError`` on anything wrong."""
    if isinstance(data, (bytes, bytearray)):
        if len(data) > MAX_RECORD_BYTES:
            raise _err("too_big", f"the file is larger than {MAX_RECORD_BYTES // 1024} KiB",
                       kib=MAX_RECORD_BYTES // 1024)
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            raise _err("not_json", "the file is not a JSON progress record") from None
    if not isinstance(data, str):
        raise _err("not_json", "the file is not a JSON progress record")
    if len(data.encode("utf-8")) > MAX_RECORD_BYTES:
        raise _err("too_big", f"the file is larger than {MAX_RECORD_BYTES // 1024} KiB", kib=MAX_RECORD_BYTES // 1024)
    try:
        doc = json.loads(data)
    except RecursionError:
        raise _err("nested", "nested too deeply") from None
    except ValueError:
        raise _err("not_json", "the file is not a JSON progress record") from None
    return from_dict(doc)


def from_dict(doc: Any) -> Record:
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise _err("format", f"not a progress record (format must be '{FORMAT}')", expected=FORMAT)
    if doc.get("version") != VERSION or isinstance(doc.get("version"), bool):
        raise _err("version", f"unsupported version (this app reads version {VERSION})", v=VERSION)
    unknown = set(doc) - _RECORD_KEYS
    if unknown:
        raise _err("field", f"unexpected field '{sorted(unknown)[0]}'", field=str(sorted(unknown)[0])[:40])
    answers = doc.get("answers")
    if not isinstance(answers, list):
        raise _err("answers", "'answers' must be a list")
    if len(answers) > MAX_ANSWERS:
        raise _err("too_many", f"more than {MAX_ANSWERS} answers", n=MAX_ANSWERS)
    record = Record(learner=_learner(doc.get("learner")), learner_seed=_seed(doc.get("learner_seed"), "learner_seed"),
                    assignment=_assignment_id(doc.get("assignment")))
    latest: dict[tuple[str, int], Answer] = {}
    for i, raw in enumerate(answers):
        if not isinstance(raw, dict) or set(raw) != _ANSWER_KEYS:
            raise _err("answer", f"answers[{i}] needs exactly exercise, seed, answer and correct", i=i)
        if not isinstance(raw["correct"], bool):
            raise _err("answer", f"answers[{i}].correct must be true or false", i=i)
        try:
            item = _answer(raw["exercise"], raw["seed"], raw["answer"], raw["correct"])
        except RecordError as e:
            raise _err("answer_field", f"answers[{i}]: {e.english}", i=i, reason=Message(e.key, dict(e.args_))) from None
        latest.pop((item.exercise, item.seed), None)  # the last answer wins, in its place at the end
        latest[(item.exercise, item.seed)] = item
    return Record(record.learner, record.learner_seed, record.assignment, tuple(latest.values()))


def _learner(value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_LEARNER_CHARS or not all(c.isprintable() for c in value):
        raise _err("learner", f"'learner' must be printable text of at most {MAX_LEARNER_CHARS} characters",
                   n=MAX_LEARNER_CHARS)
    return value


def _seed(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= core.SEED_MAX:
        raise _err("seed", f"'{name}' must be an integer between 0 and {core.SEED_MAX}", name=name, hi=core.SEED_MAX)
    return value


def _exercise_id(value: Any) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise _err("exercise_id", "'exercise' must be an exercise id (letters, digits, '-')")
    return value


def _assignment_id(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise _err("assignment_id", "'assignment' must be an id (letters, digits, '-', '_') or null")
    return value


def _raw_answer(value: Any) -> Any:
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        raise _err("answer_json", "an answer must be plain JSON data") from None
    if len(text.encode("utf-8")) > MAX_ANSWER_BYTES:
        raise _err("answer_big", f"an answer is larger than {MAX_ANSWER_BYTES // 1024} KiB",
                   kib=MAX_ANSWER_BYTES // 1024)
    return json.loads(text)  # a private copy: plain dicts/lists only


# ----------------------------------------------------------------------------------- regrade
@dataclass(frozen=True, slots=True)
class Graded:
    """One answer re-graded: ``feedback`` from ``core.grade``, or ``None`` with ``error`` (why it
    could not be graded: unknown exercise, malformed answer, ...), which counts as wrong."""

    answer: Answer
    feedback: core.Feedback | None
    error: Any = None  # an AnswerError / ExerciseError / RecordError (key, args_), or None

    @property
    def correct(self) -> bool:
        return self.feedback is not None and bool(self.feedback.correct)


def regrade_one(answer: Answer) -> Graded:
    try:
        question = core.make_question(answer.exercise, answer.seed)
        return Graded(answer, core.grade(question, answer.answer))
    except (core.ExerciseError, core.AnswerError) as e:
        if isinstance(e, core.ExerciseError):
            e = _err("unknown_exercise", f"unknown exercise '{answer.exercise}'", exercise=answer.exercise)
        return Graded(answer, None, e)
    except Exception as e:  # noqa: BLE001 - a kind's bug on a hostile answer must not stop the grading
        return Graded(answer, None, _err("grading_failed", f"could not be graded ({type(e).__name__})",
                                         reason=type(e).__name__))


def regrade(record: Record) -> list[Graded]:
    """Every answer of ``record`` graded again; the claimed ``correct`` flags are ignored."""
    return [regrade_one(a) for a in record.answers]


# ------------------------------------------------------------------------------- assignments
@dataclass(frozen=True, slots=True)
class Assignment:
    id: str
    title: Mapping[str, str]
    items: tuple[tuple[str, int], ...]  # (exercise id, seed)
    per_learner: bool = False
    extra: Mapping[str, Any] = field(default_factory=dict)


def questions_for(assignment: Assignment, learner_seed: int) -> list[tuple[str, int]]:
    """The ``(exercise, seed)`` questions this learner answers for ``assignment``."""
    if not assignment.per_learner:
        return list(assignment.items)
    return [(ex, core.question_seed(f"{ex}:{seed}", learner_seed)) for ex, seed in assignment.items]


def assignment_from_dict(raw: Any, where: str = "assignment", *, check_exercises: bool = True) -> Assignment:
    if not isinstance(raw, Mapping):
        raise _err("assignment", f"{where}: an assignment is a mapping", where=where)
    unknown = set(raw) - {"id", "title", "exercises", "per_learner"}
    if unknown:
        raise _err("assignment", f"{where}: unexpected field '{sorted(map(str, unknown))[0]}'", where=where)
    a_id = _assignment_id(raw.get("id"))
    if a_id is None:
        raise _err("assignment", f"{where}: missing id", where=where)
    title = raw.get("title")
    if not (isinstance(title, Mapping) and all(isinstance(title.get(lang), str) and 0 < len(title[lang].strip())
                                                <= MAX_TITLE_CHARS for lang in core.LANGS)):
        raise _err("assignment", f"{where}: title needs 'en' and 'zh' text", where=where)
    items_raw = raw.get("exercises")
    if not isinstance(items_raw, list) or not 0 < len(items_raw) <= MAX_ASSIGNMENT_ITEMS:
        raise _err("assignment", f"{where}: 'exercises' must list 1 to {MAX_ASSIGNMENT_ITEMS} items", where=where)
    items: list[tuple[str, int]] = []
    for i, item in enumerate(items_raw):
        if not isinstance(item, Mapping) or set(item) != {"id", "seed"}:
            raise _err("assignment", f"{where}: exercises[{i}] needs exactly id and seed", where=where)
        ex, seed = _exercise_id(item["id"]), _seed(item["seed"], "seed")
        if check_exercises and ex not in core.load_exercises():
            raise _err("unknown_exercise", f"unknown exercise '{ex}'", exercise=ex)
        if (ex, seed) in items:
            raise _err("assignment", f"{where}: exercises[{i}] repeats an item", where=where)
        items.append((ex, seed))
    per_learner = raw.get("per_learner", False)
    if not isinstance(per_learner, bool):
        raise _err("assignment", f"{where}: per_learner must be true or false", where=where)
    return Assignment(id=a_id, title={lang: title[lang] for lang in core.LANGS}, items=tuple(items),
                      per_learner=per_learner)


def assignment_to_dict(assignment: Assignment) -> dict[str, Any]:
    return {"id": assignment.id, "title": dict(assignment.title),
            "exercises": [{"id": ex, "seed": seed} for ex, seed in assignment.items],
            "per_learner": assignment.per_learner}


def assignment_yaml(assignment: Assignment) -> str:
    return yaml.safe_dump(assignment_to_dict(assignment), allow_unicode=True, sort_keys=False)


@functools.cache
def load_assignments() -> Mapping[str, Assignment]:
    """Every ``lessons/assignments/*.yaml``, by id (the file stem must be the id)."""
    out: dict[str, Assignment] = {}
    for path in sorted(ASSIGNMENT_DIR.glob("*.yaml")):
        if path.stat().st_size > 64 * 1024:
            raise _err("assignment", f"{path.name}: larger than 64 KiB", where=path.name)
        a = assignment_from_dict(yaml.safe_load(path.read_text(encoding="utf-8")), path.name)
        if a.id != path.stem:
            raise _err("assignment", f"{path.name}: id must be the file name ('{path.stem}')", where=path.name)
        out[a.id] = a
    return out


def get_assignment(assignment_id: Any) -> Assignment:
    if not isinstance(assignment_id, str) or not _ID.fullmatch(assignment_id):
        raise _err("unknown_assignment", "there is no such assignment", assignment=str(assignment_id)[:40])
    found = load_assignments().get(assignment_id)
    if found is None:
        raise _err("unknown_assignment", f"there is no assignment '{assignment_id}'", assignment=assignment_id)
    return found


def encode_assignment(assignment: Assignment) -> str:
    text = pack(assignment_to_dict(assignment))
    if len(text) > MAX_LINK_CHARS:
        raise _err("link_too_long", f"the assignment link would be longer than {MAX_LINK_CHARS} characters",
                   n=MAX_LINK_CHARS)
    return text


def decode_assignment(text: Any) -> Assignment:
    """An ad-hoc assignment from an ``?assign=`` link; ``RecordError`` on anything wrong."""
    try:
        doc = unpack(text, max_encoded=MAX_LINK_CHARS, max_decoded=MAX_LINK_DECODED)
    except PackError as e:
        if e.reason == "too_long":
            raise _err("link_too_long", f"the assignment link is longer than {MAX_LINK_CHARS} characters",
                       n=MAX_LINK_CHARS) from None
        if e.reason == "nested":
            raise _err("nested", "nested too deeply") from None
        raise _err("link_garbled", "the assignment link is empty or garbled") from None
    return assignment_from_dict(doc, "link")


def find_assignment(assignment_id: str | None, adhoc: Assignment | None = None) -> Assignment | None:
    """The record's assignment: the ad-hoc one if its id matches, else a repository one, else None."""
    if assignment_id is None:
        return None
    if adhoc is not None and adhoc.id == assignment_id:
        return adhoc
    return load_assignments().get(assignment_id)


# ------------------------------------------------------------------------------------- score
@dataclass(frozen=True, slots=True)
class Score:
    answered: int
    correct: int  # re-graded
    total: int  # the assignment's size, else ``answered``
    claimed_correct: int  # what the record says (tampering shows as claimed > correct)

    @property
    def percent(self) -> float:
        return round(100.0 * self.correct / self.total, 1) if self.total else 0.0


def counted(record: Record, graded: list[Graded], assignment: Assignment | None) -> list[Graded]:
    """The graded answers that count: all, or for an assignment only those to its questions."""
    if assignment is None:
        return list(graded)
    wanted = set(questions_for(assignment, record.learner_seed))
    return [g for g in graded if (g.answer.exercise, g.answer.seed) in wanted]


def score(record: Record, assignment: Assignment | None = None, graded: list[Graded] | None = None) -> Score:
    graded = regrade(record) if graded is None else graded
    mine = counted(record, graded, assignment)
    total = len(assignment.items) if assignment is not None else len(mine)
    return Score(answered=len(mine), correct=sum(g.correct for g in mine), total=total,
                 claimed_correct=sum(g.answer.correct for g in mine))


def for_assignment(record: Record, assignment: Assignment) -> Record:
    """The completion record: ``record`` limited to the answers of ``assignment``, naming it."""
    wanted = set(questions_for(assignment, record.learner_seed))
    return Record(record.learner, record.learner_seed, assignment.id,
                  tuple(a for a in record.answers if (a.exercise, a.seed) in wanted))
