"""Single-decree Paxos (protocols/paxos.py): transcripts, invariants, runs, properties, bug variants.

Transcript tests feed one input to one node and compare the exact effects (h11 style), each
citing the rule of *Paxos Made Simple* (Lamport 2001) it checks. Property tests throw random
fault schedules (crash/restart/partition/drop/duplicate/delay plus loss, duplication and
reordering in the network) at the correct protocol — every invariant must hold at every
step — and a seeded search over the same schedules must catch each bug variant.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from protocols import REGISTRY
from protocols.paxos import (Accept, Accepted, Acceptor, Chosen, Forward, Learner, Nack, Prepare, Promise, Proposer,
                             chosen_proposals)
from sim.engine import run
from sim.scenario import parse_scenario
from sim.types import CancelTimer, ClientRequest, Deliver, Note, Reply, Restart, Send, SetTimer, Timer
from tests.strategies import fault_schedules

SPEC = REGISTRY["paxos"]
IDS = ("p1", "p2", "a1", "a2", "a3", "l1")
ACCEPTORS = ("a1", "a2", "a3")


def params(**over):
    return SPEC.resolve_params(over)


def proposer(node_id="p1", bug=None, **over) -> Proposer:
    return Proposer(node_id, IDS, params(retry_jitter_ticks=0, **over), bug, random.Random(0))


def acceptor(node_id="a1", bug=None) -> Acceptor:
    return Acceptor(node_id, IDS, params(), bug, random.Random(0))


def propose(node, value="A", client="c1", now=0):
    return node.step(ClientRequest(client=client, op={"type": "propose", "value": value}), now)


def promise(node, src, n, accepted_n=0, accepted_v=None, now=5):
    return node.step(Deliver(src=src, msg=Promise(n=n, accepted_n=accepted_n, accepted_v=accepted_v)), now)


# ------------------------------------------------------------------ transcripts: proposer
def test_client_request_starts_phase_1_with_a_ballot_unique_to_the_proposer():
    """Reference: Paxos Made Simple §2.2 (phase 1a) and §2.3 (disjoint sets of proposal numbers)."""
    assert propose(proposer("p1")) == [
        Note(key="paxos.send_prepare", args={"proposer": "p1", "n": 3}),
        *[Send(dst=a, msg=Prepare(n=3)) for a in ACCEPTORS], SetTimer(name="proposer_retry", after=60)]
    p2 = proposer("p2")
    propose(p2, "B")
    assert p2.ballot == 4 and p2.round == 1 and p2.requested == ["B"]


def test_phase_2a_waits_for_a_majority_and_proposes_its_own_value_when_none_was_accepted():
    """Reference: Paxos Made Simple §2.2 P2c (no acceptor in the majority has accepted: any value)."""
    p = proposer()
    propose(p)
    assert promise(p, "a1", 3) == []
    assert promise(p, "a1", 3) == []  # a duplicate promise counts once
    assert promise(p, "a2", 3) == [
        Note(key="paxos.own_value", args={"proposer": "p1", "n": 3, "value": "A"}),
        *[Send(dst=a, msg=Accept(n=3, v="A")) for a in ACCEPTORS], SetTimer(name="proposer_retry", after=60)]


def test_phase_2a_adopts_the_value_of_the_highest_numbered_reported_proposal():
    """Reference: Paxos Made Simple §2.2 P2c (v is the value of the highest-numbered proposal among them)."""
    p = proposer()
    propose(p, "A")
    promise(p, "a1", 3, accepted_n=1, accepted_v="X")
    effects = promise(p, "a3", 3, accepted_n=2, accepted_v="Y")
    assert effects[0] == Note(key="paxos.adopt_value", args={"proposer": "p1", "n": 3, "value": "Y", "from_n": 2})
    assert Send(dst="a2", msg=Accept(n=3, v="Y")) in effects


def test_ignore_promised_value_bug_proposes_its_own_value_anyway():
    p = proposer(bug="ignore-promised-value")
    propose(p, "A")
    promise(p, "a1", 3, accepted_n=2, accepted_v="Y")
    effects = promise(p, "a2", 3)
    assert effects[0] == Note(key="paxos.ignore_value", args={"proposer": "p1", "n": 3, "value": "A"})
    assert Send(dst="a1", msg=Accept(n=3, v="A")) in effects


def test_promises_for_an_old_ballot_are_ignored_and_a_timeout_retries_higher():
    """Reference: Paxos Made Simple §2.2 (a proposer can abandon a proposal and start a higher-numbered one)."""
    p = proposer()
    propose(p)
    assert p.step(Timer(name="proposer_retry"), 60)[:2] == [
        Note(key="paxos.proposer_timeout", args={"proposer": "p1", "n": 3}),
        Note(key="paxos.send_prepare", args={"proposer": "p1", "n": 5})]
    assert promise(p, "a1", 3) == [] and promise(p, "a2", 3) == []
    assert p.phase == "1" and p.promises == {}


def test_nack_schedules_a_quick_retry_with_a_ballot_above_the_promise():
    """Reference: Paxos Made Simple §2.2 (the acceptor informs the proposer, who abandons its proposal)
    and §2.4 (two proposers can keep pre-empting each other)."""
    p = proposer()
    propose(p)
    nack = Deliver(src="a2", msg=Nack(n=3, promised_n=8))
    assert p.step(nack, 9) == [
        Note(key="paxos.nacked", args={"proposer": "p1", "n": 3, "acceptor": "a2", "promised": 8}),
        SetTimer(name="proposer_retry", after=1)]
    assert p.step(nack, 9) == []  # one retry per ballot
    p.step(Timer(name="proposer_retry"), 10)
    assert p.ballot == 11 and p.ballot > 8


def test_majority_of_accepted_answers_the_client_with_the_chosen_value():
    """Reference: Paxos Made Simple §2.3 (a value is chosen when a majority of acceptors accepted it)."""
    p = proposer()
    propose(p)
    promise(p, "a1", 3, accepted_n=1, accepted_v="Z")
    promise(p, "a2", 3)
    assert p.step(Deliver(src="a1", msg=Accepted(n=3, v="Z")), 9) == []
    assert p.step(Deliver(src="a3", msg=Accepted(n=3, v="Z")), 10) == [
        Note(key="paxos.proposer_chosen", args={"proposer": "p1", "n": 3, "value": "Z", "acceptors": "a1, a3"}),
        CancelTimer(name="proposer_retry"), Reply(client="c1", result={"value": "Z"})]
    assert p.phase == "done" and p.chosen_v == "Z"
    assert propose(p, "Q", client="c9") == [Reply(client="c9", result={"value": "Z"})]


def test_random_backoff_comes_from_the_injected_rng():
    a = Proposer("p1", IDS, params(retry_jitter_ticks=40), None, random.Random(7))
    b = Proposer("p1", IDS, params(retry_jitter_ticks=40), None, random.Random(7))
    ta, tb = propose(a)[-1], propose(b)[-1]
    assert ta == tb and ta.name == "proposer_retry" and 60 <= ta.after <= 100
    draws = {Proposer("p1", IDS, params(retry_jitter_ticks=40), None, random.Random(s)).step(
        ClientRequest(client="c1", op={"type": "propose", "value": "A"}), 0)[-1].after for s in range(20)}
    assert len(draws) > 1  # the backoff really is random


def test_distinguished_proposer_forwards_and_waits_for_chosen():
    """Reference: Paxos Made Simple §2.4 (a distinguished proposer is the only one to issue proposals)."""
    p2 = proposer("p2", distinguished_proposer=True)
    assert propose(p2, "B", client="c2") == [
        Note(key="paxos.forward", args={"proposer": "p2", "value": "B"}), Send(dst="p1", msg=Forward(v="B")),
        SetTimer(name="proposer_retry", after=60)]
    assert p2.step(Timer(name="proposer_retry"), 60) == [Send(dst="p1", msg=Forward(v="B")),
                                                          SetTimer(name="proposer_retry", after=60)]
    assert p2.round == 0  # it never runs a ballot
    assert p2.step(Deliver(src="p1", msg=Chosen(v="A")), 70) == [
        Note(key="paxos.proposer_learn", args={"proposer": "p2", "value": "A"}),
        CancelTimer(name="proposer_retry"), Reply(client="c2", result={"value": "A"})]
    p1 = proposer("p1", distinguished_proposer=True)
    effects = p1.step(Deliver(src="p2", msg=Forward(v="B")), 3)
    assert Send(dst="a1", msg=Prepare(n=3)) in effects and p1.forwarders == ["p2"] and p1.requested == ["B"]


def test_restarted_proposer_never_reuses_a_ballot():
    """Reference: Paxos Made Simple §2.3 (a proposer remembers the highest-numbered proposal it tried)."""
    assert SPEC.make_node("p1", IDS, params(), None, random.Random(0)).durable_fields() == ("round", "requested")
    p = proposer()
    p.round = 4  # as restored from disk
    assert p.step(Restart(), 100) == [Note(key="paxos.proposer_recover", args={"proposer": "p1", "round": 4})]
    propose(p)
    assert p.ballot == 5 * 2 + 1


# ------------------------------------------------------------------ transcripts: acceptor
def test_acceptor_promises_higher_ballots_and_reports_its_last_vote():
    """Reference: Paxos Made Simple §2.2 (phase 1b: promise, with the highest-numbered proposal accepted)."""
    a = acceptor()
    a.accepted_n, a.accepted_v, a.promised_n = 2, "X", 2
    assert a.step(Deliver(src="p1", msg=Prepare(n=3)), 5) == [
        Note(key="paxos.promise", args={"acceptor": "a1", "n": 3, "accepted_n": 2, "accepted_v": "X"}),
        Send(dst="p1", msg=Promise(n=3, accepted_n=2, accepted_v="X"))]
    assert a.promised_n == 3 and a.history == [["promise", 3]]
    # a duplicate Prepare is answered again, but it is not a new promise
    assert a.step(Deliver(src="p1", msg=Prepare(n=3)), 6) == [
        Send(dst="p1", msg=Promise(n=3, accepted_n=2, accepted_v="X"))]


def test_acceptor_ignores_prepare_and_accept_below_its_promise():
    """Reference: Paxos Made Simple §2.2 P1a (accept n iff no Prepare numbered greater than n was answered)."""
    a = acceptor()
    a.step(Deliver(src="p2", msg=Prepare(n=4)), 5)
    assert a.step(Deliver(src="p1", msg=Prepare(n=3)), 6) == [
        Note(key="paxos.ignore_prepare", args={"acceptor": "a1", "n": 3, "promised": 4}),
        Send(dst="p1", msg=Nack(n=3, promised_n=4))]
    assert a.step(Deliver(src="p1", msg=Accept(n=3, v="A")), 7) == [
        Note(key="paxos.ignore_accept", args={"acceptor": "a1", "n": 3, "promised": 4}),
        Send(dst="p1", msg=Nack(n=3, promised_n=4))]
    assert (a.accepted_n, a.accepted_v) == (0, None)


def test_acceptor_accepts_and_tells_the_proposer_and_the_learners():
    """Reference: Paxos Made Simple §2.2 (phase 2b) and §2.3 (acceptors respond to learners)."""
    a = acceptor()
    a.step(Deliver(src="p2", msg=Prepare(n=4)), 5)
    assert a.step(Deliver(src="p2", msg=Accept(n=4, v="B")), 9) == [
        Note(key="paxos.accept", args={"acceptor": "a1", "n": 4, "value": "B"}),
        Send(dst="p2", msg=Accepted(n=4, v="B")), Send(dst="l1", msg=Accepted(n=4, v="B"))]
    assert (a.promised_n, a.accepted_n, a.accepted_v) == (4, 4, "B")
    assert a.history == [["promise", 4], ["accept", 4, "B"]]


def test_forget_promise_on_restart_bug_keeps_only_the_history_on_disk():
    assert acceptor().durable_fields() == ("promised_n", "accepted_n", "accepted_v", "history")
    assert acceptor(bug="forget-promise-on-restart").durable_fields() == ("history",)


# ------------------------------------------------------------------ transcripts: learner
def test_learner_learns_on_a_majority_for_one_ballot_counting_duplicates_once():
    """Reference: Paxos Made Simple §2.3 (learn when a majority of acceptors accepted the proposal)."""
    ln = Learner("l1", IDS, params(), None, random.Random(0))
    assert ln.step(Deliver(src="a1", msg=Accepted(n=3, v="A")), 1) == []
    assert ln.step(Deliver(src="a1", msg=Accepted(n=3, v="A")), 2) == []
    assert ln.step(Deliver(src="a2", msg=Accepted(n=4, v="A")), 3) == []  # another ballot: no majority
    assert ln.step(Deliver(src="a3", msg=Accepted(n=3, v="A")), 4) == [
        Note(key="paxos.learn", args={"learner": "l1", "value": "A", "n": 3, "acceptors": "a1, a3"})]
    assert ln.learned == "A"


# ---------------------------------------------------------------------- invariants
def _states(histories, requested=("A", "B"), learned=None):
    out = {"p1": {"requested": list(requested), "chosen_v": None}, "l1": {"learned": learned}}
    for a, h in zip(ACCEPTORS, histories):
        out[a] = {"history": h}
    return out


def _inv(name):
    return next(i for i in SPEC.invariants if i.name == name)


def test_invariants_on_hand_made_states():
    ok = _states([[["promise", 1], ["accept", 1, "A"], ["accept", 4, "A"]], [["accept", 1, "A"]],
                  [["accept", 4, "A"]]], learned="A")
    assert chosen_proposals(ok) == [(1, "A"), (4, "A")]
    assert all(inv.check(ok) is None for inv in SPEC.invariants)
    two = _states([[["accept", 1, "A"], ["accept", 4, "B"]], [["accept", 1, "A"]], [["accept", 4, "B"]]])
    assert _inv("Agreement").check(two).args == {"n1": 1, "v1": "A", "n2": 4, "v2": "B"}
    assert _inv("Nontriviality").check(_states([[["accept", 1, "Z"]]] * 2 + [[]])).args == {"value": "Z", "n": 1}
    broken = _states([[["promise", 5], ["accept", 3, "A"]], [], []])
    assert _inv("Promise respected").check(broken).args == {"acceptor": "a1", "n": 3, "promised": 5}
    wrong = _states([[["accept", 1, "A"]], [], []], learned="A")
    assert _inv("Learner correctness").check(wrong).args == {"node": "l1", "value": "A"}


# ---------------------------------------------------------------------- runs
def _scenario(bug=None, seed=1, faults=(), loss=0.0, dup=0.0, reorder=0.0, **over):
    return parse_scenario({
        "protocol": "paxos", "bug": bug, "seed": seed, "faults": list(faults),
        "params": {"retry_ticks": 40, "retry_jitter_ticks": 30, **over},
        "network": {"loss": loss, "duplicate": dup, "reorder": reorder,
                    "latency": {"kind": "uniform", "low": 1, "high": 20}},
        "limits": {"max_steps": 160, "max_time": 900}})


def _violated(t) -> set[str]:
    return t.ever_violated()


def test_happy_path_one_proposer_chooses_its_value_everywhere():
    sc = parse_scenario({"protocol": "paxos", "seed": 1, "params": {"proposers": 1},
                         "network": {"latency": {"kind": "uniform", "low": 5, "high": 15}}})
    t = run(sc)
    assert t.end["reason"] == "quiescent" and _violated(t) == set()
    final = t.states_at(t.n_steps - 1)
    assert final["l1"]["learned"] == "A" and all(final[a]["accepted_v"] == "A" for a in ACCEPTORS)
    assert [e.detail["result"] for e in t.events if e.kind == "return"] == [{"value": "A"}]


def test_two_proposers_agree_and_both_clients_hear_the_same_value():
    for seed in range(1, 6):
        t = run(_scenario(seed=seed, **{"retry_ticks": 60}))
        assert t.end["reason"] == "quiescent" and _violated(t) == set()
        results = {e.detail["result"]["value"] for e in t.events if e.kind == "return"}
        assert len(results) == 1


# ---------------------------------------------------------------------- presets
def _preset(name):
    from lessons.presets import load_preset

    return run(load_preset(name))


def _notes(t, key):
    return [e for e in t.events if e.kind == "note" and e.detail["key"] == key]


def _results(t):
    return [e.detail["result"]["value"] for e in t.events if e.kind == "return"]


def test_dueling_preset_preempts_both_ways_and_still_agrees_while_the_distinguished_one_does_not_duel():
    duel = _preset("paxos-dueling-proposers")
    assert {e.node for e in _notes(duel, "paxos.nacked")} == {"p1", "p2"}
    assert len(_notes(duel, "paxos.send_prepare")) >= 4 and _violated(duel) == set()
    assert len(set(_results(duel))) == 1 and len(_results(duel)) == 2
    calm = _preset("paxos-distinguished-proposer")
    assert _notes(calm, "paxos.nacked") == [] and len(_notes(calm, "paxos.send_prepare")) == 1
    assert _results(calm) == ["A", "A"] and calm.n_steps < duel.n_steps


def test_why_phase_1_exists_preset_chooses_two_values():
    t = _preset("paxos-bug-ignore-promised-value")
    assert "Agreement" in _violated(t) and sorted(_results(t)) == ["A", "B"]
    assert _notes(t, "paxos.ignore_value") and _notes(t, "paxos.learn_conflict")


# -------------------------------------------------------------------- properties
STRATEGY_ARGS = (st.integers(0, 10**6), fault_schedules(IDS, one_way=True, max_time=300),
                 st.sampled_from((0.0, 0.1, 0.3)), st.sampled_from((0.0, 0.2)), st.sampled_from((0.0, 0.3)),
                 st.booleans())


def scenario_strategy(bug=None):
    return st.builds(lambda seed, faults, loss, dup, reorder, dist: _scenario(
        bug, seed, faults, loss, dup, reorder, distinguished_proposer=dist), *STRATEGY_ARGS)


@settings(max_examples=2000, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(scenario_strategy())
def test_correct_protocol_keeps_every_invariant_under_2000_random_fault_schedules(sc):
    t = run(sc)
    violations = [(s, name, v) for s, name, v in t.invariant_changes if v is not None]
    assert violations == [], violations
    values = {e.detail["result"]["value"] for e in t.events if e.kind == "return"}
    assert len(values) <= 1  # every client hears the same value


SEARCH = settings(max_examples=600, deadline=None, database=None, derandomize=True, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))


def test_ignore_promised_value_is_caught_by_a_seeded_search():
    found = find(scenario_strategy("ignore-promised-value"), lambda sc: "Agreement" in _violated(run(sc)),
                 settings=SEARCH)
    assert "Agreement" in _violated(run(found))
    assert set(SPEC.bug("ignore-promised-value").breaks) <= _violated(run(found))


def crash_schedules(bug):
    """Random crash/restart schedules of the acceptors (with loss, duplication and reordering), 3 proposers:
    the faults that matter for a bug in what an acceptor keeps on disk."""
    return st.builds(lambda seed, faults, loss, dup, reorder: _scenario(bug, seed, faults, loss, dup, reorder,
                                                                        proposers=3),
                     st.integers(0, 10**6), fault_schedules(ACCEPTORS, max_time=100, kinds=("crash", "restart")),
                     st.sampled_from((0.0, 0.1)), st.sampled_from((0.0, 0.2)), st.sampled_from((0.0, 0.3)))


def test_forget_promise_on_restart_is_caught_by_a_seeded_search():
    for invariant in SPEC.bug("forget-promise-on-restart").breaks:
        found = find(crash_schedules("forget-promise-on-restart"), lambda sc: invariant in _violated(run(sc)),
                     settings=SEARCH)
        assert any(f.type == "crash" for f in found.faults) and invariant in _violated(run(found))
        assert _violated(run(found.replace(bug=None))) == set()  # the same schedule is safe without the bug


@settings(max_examples=150, deadline=None, database=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
@given(crash_schedules(None))
def test_correct_acceptors_survive_the_crash_schedules_that_break_the_bug(sc):
    assert _violated(run(sc)) == set()
