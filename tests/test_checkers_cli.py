"""``python -m checkers check``: one JSON line per file, the documented exit statuses, bad
input named on stderr while the other files are still checked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from checkers.__main__ import main
from checkers.verdict import MODELS

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "histories"

STALE = {"initial": {"x": 0}, "processes": [
    [{"type": "write", "key": "x", "value": 1, "call": 0, "return": 1}],
    [{"type": "read", "key": "x", "value": 0, "call": 2, "return": 3}]]}
FINE = {"initial": {"x": 0}, "processes": [
    [{"type": "write", "key": "x", "value": 1, "call": 0, "return": 1}],
    [{"type": "read", "key": "x", "value": 1, "call": 2, "return": 3}]]}


@pytest.fixture
def files(tmp_path):
    out = {}
    for name, doc in {"stale.json": STALE, "fine.json": FINE}.items():
        (tmp_path / name).write_text(json.dumps(doc))
        out[name] = str(tmp_path / name)
    (tmp_path / "broken.jsonl").write_text('{"id": 0, "client": 1, "call": 0}\n{not json\n')
    out["broken.jsonl"] = str(tmp_path / "broken.jsonl")
    return out


def _lines(capsys):
    return [json.loads(line) for line in capsys.readouterr().out.splitlines()]


def test_one_model_per_line_and_exit_status(files, capsys):
    assert main(["check", files["fine.json"]]) == 0
    assert main(["check", files["fine.json"], files["stale.json"]]) == 1
    lines = _lines(capsys)
    assert [line["result"] for line in lines] == ["ok", "ok", "illegal"]
    stale = lines[2]
    assert stale["file"] == files["stale.json"] and stale["model"] == "linearizable"
    assert stale["witness"]["culprit"] == 1 and stale["witness"]["core"] == [0, 1]
    assert any("Stale read" in text for text in stale["explanation"])


def test_a_weaker_model_on_the_same_history(files, capsys):
    assert main(["check", "--model", "sequential", files["stale.json"]]) == 0
    assert _lines(capsys)[0]["result"] == "ok"


def test_all_models_exit_zero_even_when_illegal(files, capsys):
    assert main(["check", "--all", files["stale.json"]]) == 0
    line = _lines(capsys)[0]
    assert set(line["verdicts"]) == set(MODELS)
    assert line["verdicts"]["linearizable"]["result"] == "illegal"
    assert line["verdicts"]["sequential"]["result"] == "ok"


def test_bad_input_is_named_and_the_rest_still_checked(files, capsys):
    assert main(["check", files["broken.jsonl"], files["fine.json"]]) == 2
    captured = capsys.readouterr()
    assert files["broken.jsonl"] in captured.err and "line" in captured.err
    assert [json.loads(x)["result"] for x in captured.out.splitlines()] == ["ok"]
    assert main(["check", str(Path(files["fine.json"]).with_name("missing.json"))]) == 2
    assert "no such file" in capsys.readouterr().err


def test_unknown_status_when_the_budget_runs_out(tmp_path, capsys):
    # 20 overlapping writes, then reads of 3, 5, 3 one after the other: refuting it means
    # trying every order of the writes (2^20 configurations), far more than 50 ms of search
    writers = [[{"type": "write", "key": "x", "value": i, "call": i, "return": 100 + i}] for i in range(20)]
    reader = [{"type": "read", "key": "x", "value": v, "call": 200 + 2 * n, "return": 201 + 2 * n}
              for n, v in enumerate((3, 5, 3))]
    hard = tmp_path / "hard.json"
    hard.write_text(json.dumps({"initial": {"x": 0}, "processes": writers + [reader]}))
    assert main(["check", "--timeout", "0.05", str(hard)]) == 3
    assert _lines(capsys)[0]["result"] == "unknown"


def test_chinese_explanations(files, capsys):
    main(["check", "--lang", "zh", files["stale.json"]])
    assert any("陈旧读" in text for text in _lines(capsys)[0]["explanation"])


def test_runs_as_a_module():
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "checkers", "check", "--model", "nonsense", "x"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "invalid choice" in done.stderr
