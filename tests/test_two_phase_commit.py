"""Two-phase commit (protocols/two_phase_commit.py): transcripts, golden traces, properties, bug variants.

Transcript tests feed one input to one node and compare the exact effects (h11 style).
Golden traces pin two scripted runs byte for byte; rewrite them only with
``UPDATE_GOLDEN=1`` and review the diff. Property tests throw random fault schedules at
the correct protocol (Gray & Lamport 2006: TCConsistent and friends must hold at every
step) and prove each bug variant breaks what its ``breaks=`` says.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest
from tests.strategies import fault_schedules
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocols import REGISTRY
from protocols.two_phase_commit import (Abort, Commit, DecisionRequest, Prepare, Prepared, ResourceManager,
                                        TransactionManager, VoteNo)
from sim.engine import run
from sim.scenario import parse_scenario
from sim.types import CancelTimer, ClientRequest, Deliver, Note, Reply, Restart, Send, SetTimer, Start, Timer

SPEC = REGISTRY["two-phase-commit"]
GOLDEN = Path(__file__).parent / "golden"
IDS = ("tm", "rm1", "rm2", "rm3")


def params(**over):
    return SPEC.resolve_params(over)


def tm(bug=None, **over) -> TransactionManager:
    return TransactionManager("tm", IDS, params(**over), bug, random.Random(0))


def rm(name="rm1", bug=None, **over) -> ResourceManager:
    return ResourceManager(name, IDS, params(**over), bug, random.Random(0))


# ------------------------------------------------------------------ transcripts: TM
def test_client_commit_request_sends_prepare_to_every_rm():
    node = tm()
    effects = node.step(ClientRequest(client="c1", op={"type": "commit"}), 0)
    assert effects == [
        Note(key="tpc.tm_begin", args={"client": "c1", "rms": "rm1, rm2, rm3"}),
        Send(dst="rm1", msg=Prepare()), Send(dst="rm2", msg=Prepare()), Send(dst="rm3", msg=Prepare()),
        SetTimer(name="tm_vote_timeout", after=200), SetTimer(name="tm_retry", after=40),
    ]
    assert node.tm_state == "init" and node.collecting


def test_tm_receiving_the_last_prepared_commits_replies_and_starts_phase_two():
    node = tm()
    node.step(ClientRequest(client="c1", op={"type": "commit"}), 0)
    assert node.step(Deliver(src="rm1", msg=Prepared(rm="rm1")), 5) == [
        Note(key="tpc.tm_rcv_prepared", args={"rm": "rm1", "count": 1, "total": 3})]
    node.step(Deliver(src="rm3", msg=Prepared(rm="rm3")), 6)
    effects = node.step(Deliver(src="rm2", msg=Prepared(rm="rm2")), 7)
    assert effects == [
        Note(key="tpc.tm_rcv_prepared", args={"rm": "rm2", "count": 3, "total": 3}),
        Note(key="tpc.tm_commit", args={"prepared": "rm1, rm2, rm3"}),
        CancelTimer(name="tm_vote_timeout"), CancelTimer(name="tm_retry"),
        Reply(client="c1", result={"outcome": "committed"}),
        Send(dst="rm1", msg=Commit()),
        SetTimer(name="tm_send_decision", after=3),
    ]
    assert node.tm_state == "committed" and node.tm_prepared == ["rm1", "rm2", "rm3"]
    # phase two goes out one RM per step (a documented deviation, so a crash can fall in between)
    assert node.step(Timer(name="tm_send_decision"), 10) == [Send(dst="rm2", msg=Commit()),
                                                             SetTimer(name="tm_send_decision", after=3)]
    assert node.step(Timer(name="tm_send_decision"), 13) == [Send(dst="rm3", msg=Commit())]


def test_one_no_vote_aborts():
    node = tm()
    node.step(ClientRequest(client="c1", op={"type": "commit"}), 0)
    effects = node.step(Deliver(src="rm2", msg=VoteNo(rm="rm2")), 5)
    assert effects[:2] == [Note(key="tpc.tm_rcv_no", args={"rm": "rm2"}), Note(key="tpc.tm_abort", args={})]
    assert Reply(client="c1", result={"outcome": "aborted"}) in effects
    assert Send(dst="rm1", msg=Abort()) in effects
    assert node.tm_state == "aborted"


def test_vote_timeout_aborts_and_names_the_missing_votes():
    node = tm()
    node.step(ClientRequest(client="c1", op={"type": "commit"}), 0)
    node.step(Deliver(src="rm1", msg=Prepared(rm="rm1")), 5)
    effects = node.step(Timer(name="tm_vote_timeout"), 200)
    assert effects[0] == Note(key="tpc.tm_vote_timeout", args={"missing": "rm2, rm3"})
    assert node.tm_state == "aborted"


def test_retry_resends_prepare_only_to_missing_votes():
    node = tm()
    node.step(ClientRequest(client="c1", op={"type": "commit"}), 0)
    node.step(Deliver(src="rm2", msg=Prepared(rm="rm2")), 5)
    assert node.step(Timer(name="tm_retry"), 40) == [Send(dst="rm1", msg=Prepare()), Send(dst="rm3", msg=Prepare()),
                                                     SetTimer(name="tm_retry", after=40)]


def test_undecided_tm_cannot_answer_a_decision_request():
    node = tm()
    node.step(ClientRequest(client="c1", op={"type": "commit"}), 0)
    assert node.step(Deliver(src="rm1", msg=DecisionRequest(rm="rm1")), 9) == [
        Note(key="tpc.tm_undecided", args={"rm": "rm1"})]


def test_restarted_tm_resends_its_durable_decision():
    node = tm()
    node.tm_state, node.tm_prepared = "committed", ["rm1", "rm2", "rm3"]  # as restored from disk
    effects = node.step(Restart(), 100)
    assert effects == [Note(key="tpc.tm_recover", args={"decision": "committed"}),
                       CancelTimer(name="tm_vote_timeout"), CancelTimer(name="tm_retry"),
                       Send(dst="rm1", msg=Commit()), SetTimer(name="tm_send_decision", after=3)]


def test_restarted_tm_without_a_decision_presumes_abort():
    node = tm()
    node.tm_prepared = ["rm1", "rm2"]
    effects = node.step(Restart(), 100)
    assert effects[:2] == [Note(key="tpc.tm_presumed_abort", args={}), Note(key="tpc.tm_abort", args={})]
    assert node.tm_state == "aborted" and Send(dst="rm1", msg=Abort()) in effects


def test_commit_on_majority_bug_commits_with_two_of_three():
    node = tm(bug="commit-on-majority")
    node.step(ClientRequest(client="c1", op={"type": "commit"}), 0)
    node.step(Deliver(src="rm1", msg=Prepared(rm="rm1")), 5)
    effects = node.step(Deliver(src="rm2", msg=Prepared(rm="rm2")), 6)
    assert Note(key="tpc.tm_commit", args={"prepared": "rm1, rm2"}) in effects
    assert tm().durable_fields() == ("tm_state", "tm_prepared")


# ------------------------------------------------------------------ transcripts: RM
def test_rm_prepare_votes_yes_and_keeps_its_locks():
    node = rm()
    assert node.step(Start(), 0) == [SetTimer(name="rm_work_timeout", after=400)]
    assert node.step(Deliver(src="tm", msg=Prepare()), 5) == [
        Note(key="tpc.rm_prepare", args={"rm": "rm1"}), CancelTimer(name="rm_work_timeout"),
        Send(dst="tm", msg=Prepared(rm="rm1")), SetTimer(name="rm_decision_timeout", after=60)]
    assert (node.rm_state, node.locks_held, node.history) == ("prepared", True, ["rm_prepare"])


def test_rm_chosen_by_vote_no_aborts_and_says_no():
    node = rm("rm2", vote_no=2)
    assert node.step(Deliver(src="tm", msg=Prepare()), 5) == [
        Note(key="tpc.rm_votes_no", args={"rm": "rm2"}), Note(key="tpc.rm_choose_to_abort", args={"rm": "rm2"}),
        CancelTimer(name="rm_work_timeout"), Send(dst="tm", msg=VoteNo(rm="rm2"))]
    assert (node.rm_state, node.locks_held) == ("aborted", False)


def test_in_doubt_rm_only_asks_again_and_never_decides_alone():
    node = rm()
    node.step(Deliver(src="tm", msg=Prepare()), 5)
    for now in (65, 125, 185):
        assert node.step(Timer(name="rm_decision_timeout"), now) == [
            Note(key="tpc.rm_in_doubt", args={"rm": "rm1"}), Send(dst="tm", msg=DecisionRequest(rm="rm1")),
            SetTimer(name="rm_decision_timeout", after=60)]
        # the work timeout (for RMs that have not voted) is no way out either
        assert node.step(Timer(name="rm_work_timeout"), now) == []
        assert (node.rm_state, node.locks_held) == ("prepared", True)


def test_unvoted_rm_may_abort_on_its_own():
    node = rm()
    effects = node.step(Timer(name="rm_work_timeout"), 400)
    assert effects[:2] == [Note(key="tpc.rm_timeout_abort", args={"rm": "rm1"}),
                           Note(key="tpc.rm_choose_to_abort", args={"rm": "rm1"})]
    assert node.rm_state == "aborted" and node.history == ["rm_choose_to_abort"]


def test_rm_commit_and_abort_messages():
    a = rm()
    a.step(Deliver(src="tm", msg=Prepare()), 5)
    assert a.step(Deliver(src="tm", msg=Commit()), 9) == [
        Note(key="tpc.rm_rcv_commit_msg", args={"rm": "rm1"}), CancelTimer(name="rm_decision_timeout"),
        CancelTimer(name="rm_work_timeout")]
    assert (a.rm_state, a.locks_held) == ("committed", False)
    assert a.step(Deliver(src="tm", msg=Commit()), 10) == []  # a duplicate changes nothing
    b = rm()
    b.step(Deliver(src="tm", msg=Prepare()), 5)
    b.step(Deliver(src="tm", msg=Abort()), 9)
    assert (b.rm_state, b.history) == ("aborted", ["rm_prepare", "rm_rcv_abort_msg"])


def test_rm_restart_prepared_stays_in_doubt_and_working_aborts():
    a = rm()
    a.rm_state, a.history = "prepared", ["rm_prepare"]  # restored from disk
    effects = a.step(Restart(), 50)
    assert effects[0] == Note(key="tpc.rm_recover_in_doubt", args={"rm": "rm1"})
    assert Send(dst="tm", msg=DecisionRequest(rm="rm1")) in effects and a.rm_state == "prepared"
    b = rm()
    assert b.step(Restart(), 50)[0] == Note(key="tpc.rm_lost_work", args={"rm": "rm1"})
    assert b.rm_state == "aborted"


def test_rm_forgets_prepared_bug_leaves_rm_state_off_the_disk():
    assert rm().durable_fields() == ("rm_state", "locks_held", "history")
    assert rm(bug="rm-forgets-prepared").durable_fields() == ("history",)


# ---------------------------------------------------------------------- invariants
def _states(tm_state="init", prepared=(), **rms):
    out = {"tm": {"tm_state": tm_state, "tm_prepared": list(prepared)}}
    for name, (state, hist) in rms.items():
        out[name] = {"rm_state": state, "history": hist}
    return out


def _inv(name):
    return next(i for i in SPEC.invariants if i.name == name)


def test_invariants_on_hand_made_states():
    ok = _states("committed", ["rm1", "rm2"], rm1=("committed", ["rm_prepare", "rm_rcv_commit_msg"]),
                 rm2=("prepared", ["rm_prepare"]))
    assert all(inv.check(ok) is None for inv in SPEC.invariants)
    split = _states("committed", ["rm1"], rm1=("committed", ["rm_prepare", "rm_rcv_commit_msg"]),
                    rm2=("aborted", ["rm_choose_to_abort"]))
    v = _inv("TCConsistent").check(split)
    assert v.key == "tpc.violation.tc_consistent" and v.args == {"committed": "rm1", "aborted": "rm2"}
    assert _inv("TM commits only if all prepared").check(split).args["missing"] == "rm2"
    twice = _states(rm1=("committed", ["rm_prepare", "rm_rcv_abort_msg", "rm_rcv_commit_msg"]))
    assert _inv("AC4: decide at most once").check(twice).args == {
        "rm": "rm1", "first": "rm_rcv_abort_msg", "second": "rm_rcv_commit_msg"}
    alone = _states(rm1=("aborted", ["rm_prepare", "rm_choose_to_abort"]))
    assert _inv("Prepared RM never aborts alone").check(alone).args == {"rm": "rm1"}
    assert _inv("Prepared RM never aborts alone").check(_states(rm1=("aborted", ["rm_choose_to_abort"]))) is None


# ---------------------------------------------------------------------- golden traces
GOLDEN_SCENARIOS = {
    "two-phase-commit-happy": {
        "protocol": "two-phase-commit", "seed": 11, "params": {"participants": 3},
        "network": {"latency": {"kind": "uniform", "low": 5, "high": 15}},
    },
    "two-phase-commit-crash-manual": {
        # manual delivery: the learner delivers the Prepares and the votes; the TM crashes right after deciding,
        # with only rm1's Commit sent; rm2 and rm3 ask in vain while it is down; it restarts at t=120 and the
        # learner delivers rm3's question, the answers and the re-sent decisions until everyone committed.
        "protocol": "two-phase-commit", "seed": 3, "params": {"participants": 3, "rm_decision_timeout": 30},
        "network": {"latency": {"kind": "fixed", "low": 10}},
        "faults": [{"type": "crash", "node": "tm", "after_step": 7}, {"type": "restart", "node": "tm", "at": 120}],
        "delivery": {"mode": "manual", "choices": [
            "m3", "m2", "m1", "m6", "m4", "m5", "m7", "t6", "t7", "m8", "m9", "t10", "t11", "m10", "m11",
            "t12", "t13", "m12", "m13", "t14", "m15", "m16", "t16", "m17", "m14", "t18", "m18"]},
        "limits": {"max_steps": 200},
    },
}


@pytest.mark.parametrize("name", sorted(GOLDEN_SCENARIOS))
def test_golden_trace(name):
    got = run(parse_scenario(GOLDEN_SCENARIOS[name])).to_json()
    path = GOLDEN / f"{name}.json"
    if os.environ.get("UPDATE_GOLDEN") == "1":
        path.parent.mkdir(exist_ok=True)
        path.write_text(got + "\n", encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with UPDATE_GOLDEN=1 and review it"
    assert got + "\n" == path.read_text(encoding="utf-8"), f"{name} changed; review, then UPDATE_GOLDEN=1"


def test_golden_manual_crash_run_tells_the_blocking_story():
    t = run(parse_scenario(GOLDEN_SCENARIOS["two-phase-commit-crash-manual"]))
    crash = next(e.step for e in t.events if e.kind == "crash")
    restart = next(e.step for e in t.events if e.kind == "restart")
    s = t.states_at(crash)
    assert s["tm"]["tm_state"] == "committed"  # durable before the crash
    blocked = t.states_at(restart - 1)
    assert [blocked[r]["rm_state"] for r in ("rm1", "rm2", "rm3")] == ["committed", "prepared", "prepared"]
    assert blocked["rm2"]["locks_held"] and blocked["rm3"]["locks_held"]
    dropped = [e for e in t.events[:t.step_first_event[restart]] if e.kind == "drop"]
    assert dropped and all(e.payload["type"] == "DecisionRequest" and e.detail["reason"] == "crashed"
                           for e in dropped)
    final = t.states_at(t.n_steps - 1)
    assert all(final[r]["rm_state"] == "committed" and not final[r]["locks_held"] for r in ("rm1", "rm2", "rm3"))
    assert t.end["reason"] == "quiescent"


# -------------------------------------------------------------------- properties
NODES = ("tm", "rm1", "rm2", "rm3")




def scenario_strategy(bug=None):
    return st.builds(
        lambda seed, faults, loss, dup, vote_no: parse_scenario({
            "protocol": "two-phase-commit", "bug": bug, "seed": seed, "faults": faults,
            "params": {"participants": 3, "vote_no": vote_no},
            "network": {"loss": loss, "duplicate": dup, "latency": {"kind": "uniform", "low": 1, "high": 30}},
            "limits": {"max_steps": 600, "max_time": 2_000}}),
        st.integers(0, 10**6), fault_schedules(NODES, one_way=True), st.sampled_from((0.0, 0.1, 0.3)), st.sampled_from((0.0, 0.2)),
        st.sampled_from((0, 0, 0, 2)))


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenario_strategy())
def test_correct_protocol_keeps_every_invariant_under_random_faults(sc):
    t = run(sc)
    violations = [(s, name, v) for s, name, v in t.invariant_changes if v is not None]
    assert violations == [], violations
    # and the decision, once made, is the only one anyone reaches
    final = t.states_at(t.n_steps - 1)
    decided = {s["rm_state"] for n, s in final.items() if n != "tm"} - {"working", "prepared"}
    assert len(decided) <= 1


def _violated(t) -> set[str]:
    return t.ever_violated()


def test_commit_on_majority_is_caught_by_a_seed_sweep():
    found: set[str] = set()
    for seed in range(1, 30):
        t = run(parse_scenario({"protocol": "two-phase-commit", "bug": "commit-on-majority", "seed": seed,
                                "params": {"vote_no": 3}}))
        found |= _violated(t)
    assert set(SPEC.bug("commit-on-majority").breaks) <= found


def _forget_schedule(bug, seed, crash_at):
    return parse_scenario({
        "protocol": "two-phase-commit", "bug": bug, "seed": seed,
        "faults": [{"type": "crash", "node": "rm1", "at": crash_at},
                   {"type": "restart", "node": "rm1", "at": crash_at + 20}]})


def test_rm_forgets_prepared_is_caught_by_a_crash_time_sweep_and_the_correct_rm_is_not():
    found: set[str] = set()
    for seed in (1, 2, 3):
        for crash_at in range(5, 60, 5):
            found |= _violated(run(_forget_schedule("rm-forgets-prepared", seed, crash_at)))
            assert _violated(run(_forget_schedule(None, seed, crash_at))) == set()
    assert set(SPEC.bug("rm-forgets-prepared").breaks) <= found
