"""Pure scenario edits: faults and choices keep the past and change only the future."""

import pytest

from sim.edit import (action_cursor, apply_controls, branch_choices, compare_events, controls_of,
                      default_scenario, step_after_choices, switch_to_manual, with_choice, with_fault)
from sim.engine import run
from sim.scenario import ScenarioError


def _same_past(a, b, step):
    return a.events_until(step) == b.events_until(step)


@pytest.mark.parametrize("cursor", [0, 3, 8])
def test_crash_fault_keeps_the_past_and_lands_next_step(cursor):
    sc = default_scenario("two-phase-commit")
    trace = run(sc)
    new = with_fault(sc, None, {"type": "crash", "node": "tm"}, cursor)
    tr2 = run(new)
    assert _same_past(trace, tr2, cursor)
    assert tr2.steps[cursor + 1].cause == "fault"
    assert [e.kind for e in tr2.events_of_step(cursor + 1)] == ["crash"]


def test_new_fault_replaces_the_old_future():
    sc = default_scenario("two-phase-commit")
    a = with_fault(sc, None, {"type": "crash", "node": "tm"}, 6)
    b = with_fault(a, None, {"type": "crash", "node": "rm1"}, 4)  # stepped back, new branch
    assert [(f.node, f.after_step) for f in b.faults] == [("rm1", 4)]


def test_unknown_node_in_fault_is_refused():
    with pytest.raises(ScenarioError) as exc:
        with_fault(default_scenario("two-phase-commit"), None, {"type": "crash", "node": "zz"}, 1)
    assert exc.value.key == "err.unknown_node"


def test_manual_choice_replays_past_then_delivers_choice():
    sc = switch_to_manual(default_scenario("two-phase-commit"), [], 0)
    trace = run(sc)
    assert trace.end["reason"] == "awaiting_choice"
    at = action_cursor(trace, trace.n_steps - 1)
    pending = [p["id"] for p in trace.pending_at(at)]
    choice = pending[-1]
    new = with_choice(sc, branch_choices(trace, at), choice, at)
    tr2 = run(new)
    step = step_after_choices(tr2, len(new.choices), at + 1)
    assert tr2.steps[step].ref == choice and tr2.steps[step].chosen
    assert _same_past(trace, tr2, at)


def test_switch_to_manual_keeps_the_past():
    sc = default_scenario("two-phase-commit")
    trace = run(sc)
    manual = switch_to_manual(sc, branch_choices(trace, 6), 6)
    tr2 = run(manual)
    assert [e.to_dict() for e in tr2.events_until(6)] == [e.to_dict() for e in trace.events_until(6)]


def test_apply_controls_round_trip_and_drops_branch():
    sc = with_fault(default_scenario("two-phase-commit"), None, {"type": "crash", "node": "tm"}, 2)
    c = controls_of(sc)
    c["seed"] = 9
    new = apply_controls(sc, c)
    assert new.seed == 9 and new.faults == ()
    assert controls_of(new)["seed"] == 9


def test_apply_controls_rejects_out_of_bounds():
    sc = default_scenario("two-phase-commit")
    with pytest.raises(ScenarioError) as exc:
        apply_controls(sc, {"loss": 7})
    assert exc.value.key == "err.probability"


def test_fewer_nodes_drops_timed_faults_on_missing_nodes():
    sc = default_scenario("two-phase-commit").to_dict()
    from sim.scenario import parse_scenario
    sc["params"]["participants"] = 4
    sc["faults"] = [{"type": "crash", "node": "rm4", "at": 5}, {"type": "crash", "node": "tm", "at": 9}]
    new = apply_controls(parse_scenario(sc), {"params": {"participants": 2}})
    assert [f.node for f in new.faults] == ["tm"]


def test_compare_events():
    trace = run(default_scenario("logical-clocks"))
    events = [e.to_dict() for e in trace.events]
    import json
    events = json.loads(json.dumps(events))
    assert compare_events(trace, events) is None
    events[5]["time"] += 1
    assert compare_events(trace, events) == 5
    assert compare_events(trace, events[:3]) == 3
