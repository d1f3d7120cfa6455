"""``python -m sim run``: the summary line, ``--out`` (the trace) and ``--history`` (the run's client
history in the checkers' JSON, which ``python -m checkers check`` reads back), and bad files."""

from __future__ import annotations

import json

from checkers import check
from checkers.formats import read_history
from checkers.from_trace import history_from_trace
from lessons.presets import SCENARIO_DIR, load_preset
from sim.__main__ import main
from sim.engine import run


def test_run_writes_the_trace_and_the_client_history(tmp_path, capsys):
    src = SCENARIO_DIR / "raft-leader-crash.yaml"
    trace_file, history_file = tmp_path / "t.json", tmp_path / "h.json"
    assert main(["run", str(src), "--out", str(trace_file), "--history", str(history_file)]) == 0
    assert capsys.readouterr().out.startswith("raft seed=")
    trace = run(load_preset("raft-leader-crash").replace(meta={}))
    assert json.loads(trace_file.read_text())["events"] == [e.to_dict() for e in trace.events]
    history = read_history(history_file.read_text(), name="h.json")
    expected, _ = history_from_trace(trace)
    assert history.ops == expected.ops and history.datatype == expected.datatype
    assert len(history.ops) >= 2 and check(history, "linearizable").result == "ok"


def test_run_refuses_a_bad_scenario_file_with_status_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("protocol: nope\n")
    assert main(["run", str(bad), "--history", str(tmp_path / "h.json")]) == 2
    assert "protocol" in capsys.readouterr().err
    assert not (tmp_path / "h.json").exists()
