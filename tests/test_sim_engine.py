"""The simulator's contract: determinism, network and fault semantics, clocks, bounds.

Uses the ``ping`` protocol (protocols/ping.py) so these tests do not depend on any
teaching protocol; protocol-specific behaviour is tested next to each protocol.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from sim.engine import run
from sim.scenario import Scenario, parse_scenario
from sim.trace import TIMERS_FIELD

ROOT = Path(__file__).resolve().parents[1]


def ping(**extra):
    base = {"protocol": "ping", "seed": 7, "limits": {"max_steps": 200}}
    base.update(extra)
    return parse_scenario(base)


def test_same_scenario_same_bytes_in_this_process():
    assert run(ping()).to_json() == run(ping()).to_json()


def test_same_scenario_same_bytes_in_another_process():
    """Determinism across processes (different PYTHONHASHSEED): no hidden global state."""
    scenario = ping(network={"loss": 0.1, "duplicate": 0.1, "reorder": 0.2,
                             "latency": {"kind": "long_tail", "low": 3, "high": 80}},
                    faults=[{"type": "crash", "node": "n2", "at": 20}, {"type": "restart", "node": "n2", "at": 60}])
    here = run(scenario).to_json()
    code = ("import sys; sys.path.insert(0, %r); from sim.scenario import parse_scenario; "
            "from sim.engine import run; import json; "
            "print(run(parse_scenario(json.loads(sys.stdin.read()))).to_json(), end='')") % str(ROOT)
    for hashseed in ("1", "12345"):
        out = subprocess.run([sys.executable, "-c", code], input=scenario.to_json(), capture_output=True,
                             text=True, check=True, env={"PYTHONHASHSEED": hashseed, "PATH": "/usr/bin:/bin"})
        assert out.stdout == here


def test_different_seed_different_run():
    assert run(ping(seed=1)).to_json() != run(ping(seed=2)).to_json()


def test_every_node_event_has_clocks_and_network_events_do_not():
    tr = run(ping(network={"loss": 0.2, "duplicate": 0.2},
                  faults=[{"type": "partition", "groups": [["n1", "n2"]], "at": 10}, {"type": "heal", "at": 40}]))
    kinds = {e.kind for e in tr.events}
    assert {"send", "deliver", "drop", "duplicate", "partition", "heal"} <= kinds
    for e in tr.events:
        if e.kind in ("start", "send", "deliver", "timer", "crash", "restart", "invoke", "return"):
            assert e.lamport is not None and e.vc is not None and len(e.vc) == len(tr.nodes)
        if e.kind in ("partition", "heal", "drop", "duplicate", "end", "violation"):
            assert e.lamport is None and e.vc is None


def test_clock_condition_holds_for_every_delivered_message():
    """Lamport 1978 IR2 and Fidge/Mattern: receive is after send in both clocks."""
    tr = run(ping(network={"duplicate": 0.2, "reorder": 0.3}))
    sends = {e.msg_id: e for e in tr.events if e.kind == "send"}
    for e in tr.events:
        if e.kind == "duplicate":
            sends[e.msg_id] = sends[e.detail["of"]]
    checked = 0
    for e in tr.events:
        if e.kind == "deliver":
            s = sends[e.msg_id]
            assert e.lamport > s.lamport
            assert all(a >= b for a, b in zip(e.vc, s.vc)) and e.vc != s.vc
            checked += 1
    assert checked > 50
    # per node, Lamport clocks strictly increase (IR1)
    last = {}
    for e in tr.events:
        if e.lamport is not None:
            assert e.lamport > last.get(e.node, 0)
            last[e.node] = e.lamport


def test_loss_drops_at_send_time_and_the_message_never_arrives():
    tr = run(ping(network={"loss": 0.3}))
    lost = [e for e in tr.events if e.kind == "send" and e.detail.get("lost")]
    assert lost
    for s in lost:
        nxt = tr.events[s.i + 1]
        assert (nxt.kind, nxt.msg_id, nxt.detail["reason"]) == ("drop", s.msg_id, "loss")
        assert not any(e.kind == "deliver" and e.msg_id == s.msg_id for e in tr.events)


def test_partition_drops_messages_across_the_cut_only_until_heal():
    tr = run(ping(faults=[{"type": "partition", "groups": [["n1"]], "at": 30}, {"type": "heal", "at": 90}],
                  limits={"max_steps": 400}))
    for e in tr.events:
        if e.kind == "deliver" and 30 <= e.time < 90:
            assert (e.node == "n1") == (e.peer == "n1"), "a message crossed the partition"
        if e.kind == "drop" and e.detail["reason"] == "partition":
            assert 30 <= e.time < 90 and (e.node == "n1") != (e.peer == "n1")
    assert any(e.kind == "drop" and e.detail["reason"] == "partition" for e in tr.events)


def test_one_way_partition_cuts_one_direction():
    tr = run(ping(faults=[{"type": "partition", "links": [["n1", "n2"]], "at": 0}], limits={"max_steps": 600}))
    assert not any(e.kind == "deliver" and e.peer == "n1" and e.node == "n2" for e in tr.events)
    assert any(e.kind == "deliver" and e.peer == "n2" and e.node == "n1" for e in tr.events)


def test_crash_drops_deliveries_and_restart_keeps_durable_loses_volatile():
    tr = run(ping(faults=[{"type": "crash", "node": "n3", "at": 25}, {"type": "restart", "node": "n3", "at": 70}],
                  limits={"max_steps": 300}))
    crash = next(e for e in tr.events if e.kind == "crash")
    restart = next(e for e in tr.events if e.kind == "restart")
    assert not any(e.kind == "deliver" and e.node == "n3" and crash.i < e.i < restart.i for e in tr.events)
    assert any(e.kind == "drop" and e.detail["reason"] == "crashed" for e in tr.events)
    before = tr.states_at(crash.step - 1)["n3"]["received"]
    assert before > 0
    assert tr.states_at(crash.step)["n3"]["received"] is None  # volatile: gone while down
    assert tr.states_at(restart.step)["n3"]["received"] == 0  # fresh after restart (ping keeps nothing durable)
    assert tr.up_at(crash.step)["n3"] is False and tr.up_at(restart.step)["n3"] is True


def test_after_step_fault_keeps_the_past_byte_identical():
    base = run(ping())
    k = 40
    branched = run(ping(faults=[{"type": "crash", "node": "n1", "after_step": k}]))
    assert base.events_until(k) == branched.events_until(k)
    assert branched.steps[k + 1].cause == "fault"
    assert [e.kind for e in branched.events_of_step(k + 1)] == ["crash"]


def test_drop_duplicate_delay_one_pending_message():
    base = run(ping(limits={"max_steps": 30}))
    pending = base.pending_at(10)
    target = pending[0]["id"]
    dropped = run(ping(faults=[{"type": "drop", "msg": target, "after_step": 10}]))
    ev = dropped.events_of_step(11)
    assert [(e.kind, e.msg_id, e.detail["reason"]) for e in ev] == [("drop", target, "fault")]
    assert not any(e.kind == "deliver" and e.msg_id == target for e in dropped.events)
    dup = run(ping(faults=[{"type": "duplicate", "msg": target, "after_step": 10}]))
    copy = next(e for e in dup.events_of_step(11))
    assert copy.kind == "duplicate" and copy.detail["of"] == target
    assert sum(e.kind == "deliver" and e.msg_id in (target, copy.msg_id) for e in dup.events) == 2
    late = run(ping(faults=[{"type": "delay", "msg": target, "after_step": 10, "by": 60}]))
    deliver = next(e for e in late.events if e.kind == "deliver" and e.msg_id == target)
    assert deliver.time == pending[0]["due"] + 60
    # what manual mode and the fault palette list after the delay: the new due time, not the send's
    assert {p["id"]: p["due"] for p in late.pending_at(11)}[target] == deliver.time
    missing = run(ping(faults=[{"type": "drop", "msg": "m9999", "after_step": 3}]))
    assert missing.events_of_step(4)[0].detail["key"] == "note.not_pending"


def test_manual_mode_replays_choices_exactly_and_waits_for_more():
    first = run(ping(delivery={"mode": "manual", "choices": []}))
    assert first.end["reason"] == "awaiting_choice"
    pending = first.pending_at(first.n_steps - 2)
    chosen = pending[-1]["id"]  # deliberately not the earliest: manual mode may reorder
    second = run(ping(delivery={"mode": "manual", "choices": [chosen]}))
    step = second.steps[1]
    assert (step.cause, step.ref, step.chosen) == ("deliver", chosen, True)
    assert second.choices_before(second.n_steps - 1) == [chosen]
    assert run(ping(delivery={"mode": "manual", "choices": [chosen]})).to_json() == second.to_json()
    bad = run(ping(delivery={"mode": "manual", "choices": ["m999"]}))
    assert bad.end == {"reason": "bad_choice", "choice": "m999"}


def test_limits_end_the_run_with_a_clear_reason():
    assert run(ping(limits={"max_steps": 10})).end["reason"] == "max_steps"
    assert run(ping(limits={"max_steps": 10})).n_steps == 11  # 10 steps incl. boot, plus the end step
    assert run(ping(limits={"max_time": 50, "max_steps": 10_000})).end["reason"] == "max_time"
    assert run(ping(network={"duplicate": 1.0}, limits={"max_pending": 50, "max_steps": 10_000})).end["reason"] \
        == "max_pending"
    calls = []

    def budget():
        calls.append(1)
        return len(calls) < 3

    tr = run(ping(limits={"max_steps": 100_000}), keep_going=budget)
    assert tr.end["reason"] == "stopped" and tr.n_steps < 1000


def test_states_at_matches_replaying_every_diff():
    tr = run(ping(limits={"max_steps": 150}))
    states = {n: {} for n in tr.nodes}
    for s in range(tr.n_steps):
        for node, fields in tr.diffs[s].items():
            states[node].update(fields)
        assert tr.states_at(s) == states
    assert all(TIMERS_FIELD in v for v in states.values())


def _raft_with_faults(seed: int) -> Scenario:
    from lessons.presets import load_preset

    sc = load_preset("raft-stale-leader")
    return dataclasses.replace(sc, seed=seed)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_log_splices_replay_to_the_nodes_full_state(seed):
    """Node.LOGS fields are recorded as splices; replaying them must give each node's full state
    (``verify_logs`` also checks every step against a full copy of the live node objects)."""
    from sim.engine import Simulation
    from sim.trace import SPLICE_FIELD

    sc = _raft_with_faults(seed)
    tr = Simulation(sc, verify_logs=True).run()
    assert tr.to_json() == run(sc).to_json()  # verification changes nothing
    assert any(SPLICE_FIELD in fields for diff in tr.diffs for fields in diff.values())
    full = {n: {} for n in tr.nodes}
    for step, changes in tr.iter_changes():
        assert all(SPLICE_FIELD not in fields for fields in changes.values())
        assert changes == tr.changed_at(step)
        for node, fields in changes.items():
            full[node].update(fields)
        if step % 17 == 0 or step == tr.n_steps - 1:
            assert tr.states_at(step) == full
    restored = json.loads(tr.to_json())["diffs"]  # the JSON form round-trips the splices
    assert restored == json.loads(json.dumps(list(tr.diffs)))


def test_recorded_states_are_never_changed_by_later_steps():
    """Each step's state, as the finished trace replays it, is what the live nodes held then
    (the engine extends its own copy of a log in place; a diff or snapshot must never see that)."""
    from sim.engine import Simulation

    sc = dataclasses.replace(_raft_with_faults(6), faults=(*_raft_with_faults(6).faults,
                                                           *parse_scenario({"protocol": "raft", "faults": [
                                                               {"type": "crash", "node": "s2", "at": 200},
                                                               {"type": "restart", "node": "s2", "at": 260}]}).faults))
    sim = Simulation(sc)
    seen: list[dict] = []
    end_step = sim._end_step

    def spy():
        end_step()
        seen.append({n: node.snapshot() for n, node in sim.nodes.items() if sim.up[n]})

    sim._end_step = spy
    tr = sim.run()
    assert any(e.kind == "restart" for e in tr.events)
    assert len(seen) == tr.n_steps - 1  # every step but the final "end" one
    for step in range(len(seen)):
        states = tr.states_at(step)
        for node, snap in seen[step].items():
            assert {k: states[node].get(k) for k in snap} == snap, (step, node)


def test_invariants_skipped_by_reads_give_the_same_verdicts():
    """``Invariant.reads`` only skips checks whose inputs did not change: verdicts are identical."""
    from protocols import REGISTRY
    from sim.engine import Simulation

    spec = REGISTRY["raft"]
    every_step = dataclasses.replace(spec, invariants=tuple(dataclasses.replace(i, reads=()) for i in spec.invariants))
    for sc in (_raft_with_faults(4), dataclasses.replace(_raft_with_faults(5), bug="commit-old-term-by-count")):
        assert Simulation(sc).run().invariant_changes == Simulation(sc, every_step).run().invariant_changes


def test_skew_changes_the_local_clock_a_node_reads():
    from protocols import REGISTRY
    from sim.engine import Simulation

    sim = Simulation(ping(faults=[{"type": "skew", "node": "n2", "by": -40, "at": 5}]))
    seen = []
    node_step = sim.nodes["n2"].step
    sim.nodes["n2"].step = lambda inp, now: (seen.append((sim.now, now)), node_step(inp, now))[1]
    trace = sim.run()
    assert any(e.kind == "skew" for e in trace.events)
    assert any(local == true - 40 for true, local in seen if true >= 5)
    assert REGISTRY["ping"]  # the registry is importable next to the engine


def test_trace_json_is_canonical_and_versioned():
    tr = run(ping(limits={"max_steps": 20}))
    doc = json.loads(tr.to_json())
    assert doc["format"] == "consistency-lab-trace" and doc["version"] == 2
    assert json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False) == tr.to_json()
    assert parse_scenario(doc["scenario"]) == tr.scenario


@pytest.mark.parametrize("seed", [0, 3, 2**63 - 1])
def test_extreme_but_valid_seeds_run(seed):
    assert run(ping(seed=seed, limits={"max_steps": 20})).end["reason"] == "max_steps"


def test_several_faults_after_the_same_step_all_apply_in_order():
    tr = run(ping(faults=[{"type": "crash", "node": "n1", "after_step": 5},
                          {"type": "crash", "node": "n2", "after_step": 5},
                          {"type": "partition", "groups": [["n3"]], "after_step": 5}]))
    assert [tr.events_of_step(s)[0].kind for s in (6, 7, 8)] == ["crash", "crash", "partition"]
    assert [tr.events_of_step(s)[0].node for s in (6, 7)] == ["n1", "n2"]


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from tests.strategies import fault_schedules  # noqa: E402


@settings(max_examples=40, deadline=None)
@given(fault_schedules(["n1", "n2", "n3"], kinds=("crash", "restart", "partition", "heal"), one_way=True,
                       max_time=150, max_step=60), st.integers(0, 1000))
def test_down_and_cut_intervals_agree_with_replaying_the_events(faults, seed):
    tr = run(parse_scenario({"protocol": "ping", "params": {"nodes": 3}, "seed": seed, "faults": faults,
                             "limits": {"max_steps": 120}}))
    up, cut = {n: True for n in tr.nodes}, frozenset()
    for step in range(tr.n_steps):
        for e in tr.events_of_step(step):
            if e.kind in ("crash", "restart"):
                up[e.node] = e.kind == "restart"
            elif e.kind == "partition":
                cut = frozenset(tuple(link) for link in e.detail["cut"])
            elif e.kind == "heal":
                cut = frozenset()
        assert tr.up_at(step) == up and tr.cut_at(step) == cut, step


def _quorum_spec_with(node_class):
    from protocols import REGISTRY

    return dataclasses.replace(REGISTRY["quorum-store"], make_node=lambda i, ids, p, b, r: node_class(i, ids, p, b, r))


def _quorum_with_crashes() -> Scenario:
    return parse_scenario({
        "protocol": "quorum-store", "seed": 3, "params": {"nodes": 4, "N": 3, "R": 2, "W": 2, "sloppy": True},
        "network": {"loss": 0.1, "duplicate": 0.1, "latency": {"kind": "uniform", "low": 1, "high": 20}},
        "workload": {"generate": {"clients": 4, "ops_per_client": 8, "keys": ["x", "y"], "think_min": 30,
                                  "think_max": 60, "sessions": "roaming"}},
        "faults": [{"type": "crash", "node": "n2", "at": 60}, {"type": "restart", "node": "n2", "at": 140},
                   {"type": "partition", "groups": [["n1"], ["n2", "n3", "n4"]], "at": 200},
                   {"type": "heal", "at": 260}]})


def test_copy_on_write_fields_are_recorded_only_when_rebound_and_change_nothing():
    """Skipping the JSON copy of a COPY_ON_WRITE field still bound to its recorded object gives the
    very trace that copying every field every step gives (crash and restart included)."""
    from protocols.quorum_store import QuorumNode
    from sim.engine import Simulation

    class CopiedEveryStep(QuorumNode):
        COPY_ON_WRITE = ()

    sc = _quorum_with_crashes()
    fast = Simulation(sc, verify_logs=True).run()
    assert QuorumNode.COPY_ON_WRITE and any(e.kind == "restart" for e in fast.events)
    assert fast.to_json() == Simulation(sc, _quorum_spec_with(CopiedEveryStep)).run().to_json()


def test_verify_logs_catches_a_copy_on_write_field_mutated_in_place():
    from protocols.quorum_store import QuorumNode, merge
    from sim.engine import Simulation

    class MutatesInPlace(QuorumNode):
        def _apply(self, key, incoming):
            new = merge(self.store.get(key, []), incoming, self.vv)
            if new == self.store.get(key, []):
                return False
            self.store[key] = new  # breaks the contract: the recorded dict object changes under the engine
            return True

    sc = _quorum_with_crashes()
    Simulation(sc, _quorum_spec_with(MutatesInPlace)).run()  # unchecked, the breach goes unnoticed
    with pytest.raises(AssertionError, match="COPY_ON_WRITE"):
        Simulation(sc, _quorum_spec_with(MutatesInPlace), verify_logs=True).run()
