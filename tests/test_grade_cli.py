"""``python -m lessons grade``: re-grades records by re-running their answers and prints CSV; claimed
flags are ignored (tampering shows as claimed_correct > correct); a bad file → stderr + status 2."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from lessons.exercises import core
from lessons.exercises import record as rec
from tests.test_exercise_record import wrong_answer

ROOT = Path(__file__).resolve().parents[1]


def _grade(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lessons", "grade", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600)


def _rows(out: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(out)))


def _right_and_wrong(learner_seed: int, n_right: int = 2):
    """(exercise, seed, answer, really correct) items: n_right right ones and one wrong one."""
    items, wrong_done = [], False
    for ex in core.load_exercises():
        seed = core.question_seed(ex, learner_seed)
        q = core.make_question(ex, seed)
        if len([i for i in items if i[3]]) < n_right:
            items.append((ex, seed, core.answer_key(q), True))
        elif not wrong_done and (bad := wrong_answer(q)) is not None:
            items.append((ex, seed, bad, False))
            wrong_done = True
        if wrong_done and len(items) == n_right + 1:
            break
    assert wrong_done and len(items) == n_right + 1, "need 3 exercises, one with a wrong answer"
    return items


def test_honest_tampered_assignment_and_broken_records(tmp_path):
    seed = core.learner_seed_of("Ada")
    r = rec.new("Ada", seed)
    for ex, s, answer, ok in _right_and_wrong(seed):
        r = rec.add(r, ex, s, answer, ok)
    honest = tmp_path / "honest.json"
    honest.write_text(rec.to_json(r), encoding="utf-8")
    doc = json.loads(rec.to_json(r))
    for a in doc["answers"]:
        a["correct"] = True  # the learner edits the file
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(doc), encoding="utf-8")
    week1 = rec.get_assignment("week1-models")
    a = rec.new("Bob", core.learner_seed_of("Bob"), "week1-models")
    mine = rec.questions_for(week1, a.learner_seed)
    for ex, s in mine[:-1]:  # all but the last answered, all right
        a = rec.add(a, ex, s, core.answer_key(core.make_question(ex, s)), True)
    assigned = tmp_path / "assigned.json"
    assigned.write_text(rec.to_json(a), encoding="utf-8")
    broken = tmp_path / "broken.json"
    broken.write_text('{"format": "consistency-lab-progress", "version": 1, "answers": "nope"}', encoding="utf-8")

    proc = _grade(str(honest), str(broken), str(tampered), str(tmp_path / "missing.json"), str(assigned))
    assert proc.returncode == 2
    rows = _rows(proc.stdout)
    assert list(rows[0]) == ["file", "learner", "assignment", "answered", "correct", "total", "score_percent",
                             "claimed_correct"]
    by_file = {Path(row["file"]).name: row for row in rows}
    assert set(by_file) == {"honest.json", "tampered.json", "assigned.json"}  # the others still graded
    h, t, s = by_file["honest.json"], by_file["tampered.json"], by_file["assigned.json"]
    assert (h["learner"], h["assignment"], h["answered"], h["correct"], h["total"], h["score_percent"],
            h["claimed_correct"]) == ("Ada", "", "3", "2", "3", "66.7", "2")
    assert (t["correct"], t["score_percent"], t["claimed_correct"]) == ("2", "66.7", "3")  # tampering shows
    n = len(week1.items)
    assert (s["assignment"], s["answered"], s["correct"], s["total"]) == ("week1-models", str(n - 1), str(n - 1),
                                                                           str(n))
    assert s["score_percent"] == f"{100 * (n - 1) / n:.1f}"
    err = proc.stderr.splitlines()
    assert any(line.startswith(str(broken)) and "answers" in line for line in err)
    assert any(line.startswith(str(tmp_path / "missing.json")) for line in err)
    assert "Traceback" not in proc.stderr
    assert not any("note:" in line for line in err)  # honest records: no note


def test_an_edited_learner_seed_is_noted(tmp_path):
    r = rec.new("Ada", core.learner_seed_of("Bob"))  # Ada borrowing Bob's per-learner questions
    path = tmp_path / "borrowed.json"
    path.write_text(rec.to_json(r), encoding="utf-8")
    proc = _grade(str(path))
    assert proc.returncode == 0 and len(_rows(proc.stdout)) == 1
    assert f"{path}: note: learner_seed" in proc.stderr


def test_adhoc_assignment_size_comes_from_its_link(tmp_path):
    ids = list(core.load_exercises())[:3]
    adhoc = rec.assignment_from_dict({"id": "quiz-7", "title": {"en": "Quiz", "zh": "测验"},
                                      "exercises": [{"id": ex, "seed": 11} for ex in ids]})
    r = rec.new("", 5, "quiz-7")
    r = rec.add(r, ids[0], 11, core.answer_key(core.make_question(ids[0], 11)), True)
    path = tmp_path / "quiz.json"
    path.write_text(rec.to_json(r), encoding="utf-8")
    without = _rows(_grade(str(path)).stdout)[0]
    assert (without["answered"], without["total"]) == ("1", "1")  # unknown assignment: total = answered
    proc = _grade(str(path), "--assign", rec.encode_assignment(adhoc))
    assert proc.returncode == 0, proc.stderr
    row = _rows(proc.stdout)[0]
    assert (row["answered"], row["correct"], row["total"], row["score_percent"]) == ("1", "1", "3", "33.3")
    bad = _grade(str(path), "--assign", "garbage!")
    assert bad.returncode == 2 and "--assign" in bad.stderr
