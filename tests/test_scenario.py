"""Scenario files: validation names the bad field; scenarios and traces round-trip (Hypothesis)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.engine import run
from tests.strategies import FAULT_KINDS, fault_schedules
from sim.files import load_file
from sim.scenario import (MAX_FILE_BYTES, ScenarioError, load_scenario_text, parse_scenario)


@pytest.mark.parametrize("doc, path, key", [
    ({"protocol": "nope"}, "protocol", "err.unknown_protocol"),
    ({"protocol": "ping", "params": {"nodes": 1_000_000}}, "params.nodes", "err.param"),
    ({"protocol": "ping", "params": {"nodes": "five"}}, "params.nodes", "err.param"),
    ({"protocol": "ping", "params": {"colour": 1}}, "params.colour", "err.unknown_field"),
    ({"protocol": "ping", "bug": "nonexistent"}, "bug", "err.unknown_bug"),
    ({"protocol": "ping", "seed": -1}, "seed", "err.out_of_range"),
    ({"protocol": "ping", "network": {"latency": {"low": -5}}}, "network.latency.low", "err.out_of_range"),
    ({"protocol": "ping", "network": {"latency": {"low": 9, "high": 3}}}, "network.latency.high",
     "err.high_below_low"),
    ({"protocol": "ping", "network": {"loss": 7}}, "network.loss", "err.probability"),
    ({"protocol": "ping", "limits": {"max_steps": 1_000_000_000}}, "limits.max_steps", "err.out_of_range"),
    ({"protocol": "ping", "faults": [{"type": "crash", "node": "zz", "at": 1}]}, "faults[0].node",
     "err.unknown_node"),
    ({"protocol": "ping", "faults": [{"type": "meteor", "at": 1}]}, "faults[0].type", "err.choice"),
    ({"protocol": "ping", "faults": [{"type": "crash", "node": "n1"}]}, "faults[0].at", "err.at_or_step"),
    ({"protocol": "ping", "faults": [{"type": "drop", "msg": "x", "at": 1}]}, "faults[0].msg", "err.msg_id"),
    ({"protocol": "ping", "faults": "all of them"}, "faults", "err.not_list"),
    ({"protocol": "ping", "delivery": {"mode": "telepathy"}}, "delivery.mode", "err.choice"),
    ({"protocol": "ping", "format": "something-else"}, "format", "err.format"),
    ({"protocol": "ping", "version": 99}, "version", "err.version"),
    ({"protocol": "ping", "extra": 1}, "extra", "err.unknown_field"),
    ([1, 2, 3], "", "err.not_mapping"),
])
def test_bad_field_is_named(doc, path, key):
    with pytest.raises(ScenarioError) as err:
        parse_scenario(doc)
    assert (err.value.path, err.value.key) == (path, key)
    assert str(err.value).startswith(path) if path else True


@pytest.mark.parametrize("text, key", [
    ("!!python/object/apply:os.system ['echo pwned']", "err.syntax"),
    ("a: &x [1, 2]\nb: *x\n", "err.syntax"),  # aliases refused: no expansion bombs
    ("{{{{", "err.syntax"),
    ("[" * 5000 + "]" * 5000, "err.syntax"),
])
def test_hostile_yaml_is_refused_without_executing(text, key):
    with pytest.raises(ScenarioError) as err:
        load_scenario_text(text)
    assert err.value.key == key


def test_oversized_and_binary_files_are_refused():
    with pytest.raises(ScenarioError) as err:
        load_scenario_text(b"x" * (MAX_FILE_BYTES + 1))
    assert err.value.key == "err.too_large"
    with pytest.raises(ScenarioError) as err:
        load_scenario_text(b"\xff\xfe\x00garbage")
    assert err.value.key == "err.not_utf8"


latency = st.one_of(
    st.builds(lambda lo, span: {"kind": "fixed", "low": lo, "high": lo}, st.integers(0, 50), st.just(0)),
    st.builds(lambda lo, span: {"kind": "uniform", "low": lo, "high": lo + span}, st.integers(0, 50),
              st.integers(0, 50)),
    st.builds(lambda lo, span, a: {"kind": "long_tail", "low": lo, "high": lo + span, "alpha": a},
              st.integers(1, 20), st.integers(0, 200), st.sampled_from([0.8, 1.5, 3.0])))
faults = fault_schedules(["n1", "n2", "n3"], kinds=FAULT_KINDS + ("skew",), one_way=True, max_faults=6,
                         max_time=300, max_step=100, max_msg=60)
scenario_docs = st.builds(
    lambda seed, lat, loss, dup, reorder, faults, manual: {
        "protocol": "ping", "params": {"nodes": 3}, "seed": seed,
        "network": {"latency": lat, "loss": loss, "duplicate": dup, "reorder": reorder},
        "faults": faults, "limits": {"max_steps": 120},
        "delivery": {"mode": "manual", "choices": manual} if manual is not None else {"mode": "random"}},
    st.integers(0, 2**63 - 1), latency, st.sampled_from([0.0, 0.1, 0.5]), st.sampled_from([0.0, 0.2]),
    st.sampled_from([0.0, 0.3]), faults,
    st.one_of(st.none(), st.lists(st.builds(lambda i: f"m{i}", st.integers(1, 12)), max_size=5)))


@settings(max_examples=60, deadline=None)
@given(scenario_docs)
def test_scenario_and_trace_round_trip(doc):
    scenario = parse_scenario(doc)
    again = parse_scenario(json.loads(scenario.to_json()))
    assert again == scenario and again.to_json() == scenario.to_json()
    yaml_text = __import__("yaml").safe_dump(json.loads(scenario.to_json()))
    assert load_scenario_text(yaml_text) == scenario
    trace = run(scenario)
    assert trace.end["reason"] in {"max_steps", "quiescent", "awaiting_choice", "bad_choice", "max_time"}
    loaded = load_file(trace.to_json().encode())
    assert loaded.kind == "trace" and loaded.scenario == scenario and loaded.reproduced is True
    assert run(loaded.scenario).to_json() == trace.to_json()


def test_an_edited_trace_is_detected_and_not_believed():
    trace = run(parse_scenario({"protocol": "ping", "limits": {"max_steps": 20}}))
    doc = json.loads(trace.to_json())
    doc["events"][3]["node"] = "n4"
    loaded = load_file(json.dumps(doc).encode())
    assert loaded.reproduced is False and loaded.scenario == trace.scenario
