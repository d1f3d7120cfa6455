"""Gossip: push, pull and push-pull anti-entropy (protocols/gossip.py) and its figure (viz/gossip.py).

Transcripts feed one input to one node and compare the exact effects, citing the rule they check.
Hypothesis checks the merge is a join (commutative, associative, idempotent). 2,000 seeded random
fault schedules (crashes, restarts, partitions, loss, duplication, reordering) show zero violations
and that every run ends with every node quiet; seeded searches catch both bug variants. The presets
show push-pull < push < pull on the same nodes, and the measured rounds follow Demers's recurrence.
"""

from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lessons.presets import load_preset
from protocols import REGISTRY
from protocols.gossip import (Answer, GossipNode, PullRequest, Push, PushPull, digest, merge_entry, rounds_to_full,
                              version)
from sim.engine import Simulation, run
from sim.scenario import parse_scenario
from sim.types import ClientRequest, Deliver, Note, Reply, Send, SetTimer, Start, Timer
from ui.i18n import translator

SPEC = REGISTRY["gossip"]
IDS = ("n1", "n2", "n3", "n4")
X1 = {"value": 1, "ts": 1, "origin": "n1"}
X2 = {"value": 2, "ts": 2, "origin": "n3"}


def node(name="n1", bug=None, **over) -> GossipNode:
    return GossipNode(name, IDS, SPEC.resolve_params(over), bug, random.Random(0))


# ------------------------------------------------------------------ transcripts
def test_an_update_is_stamped_and_recorded_in_the_history_variables():
    """Reference: Demers et al. 1987 §1.1 (timestamped updates); Lamport 1978 IR1."""
    n = node()
    out = n.step(ClientRequest(client="c1", op={"f": "put", "key": "x", "value": 1}), 99)
    assert out == [Note(key="gossip.note.inject", args={"node": "n1", "target": "x", "value": 1, "update": "n1:1"}),
                   Reply(client="c1", result={"ok": True})]
    assert n.store == {"x": X1} and n.injected == [("n1:1", "x", 1, 1)] and n.learned == [("n1:1", "x", 1, "n1", 99)]


def test_a_push_round_contacts_fanout_random_peers():
    """Reference: Demers §1.3 — each round a site picks partners at random and pushes its database."""
    n = node(fanout=2)
    assert n.step(Start(), 0)[0].name == "round"
    n.store = {"x": X1}
    out = n.step(Timer(name="round"), 100)
    sends = [e for e in out if isinstance(e, Send)]
    assert len(sends) == 2 and len({s.dst for s in sends}) == 2 and "n1" not in {s.dst for s in sends}
    assert all(s.msg == Push(entries={"x": X1}) for s in sends) and out[-1] == SetTimer(name="round", after=100)
    assert n.round == 1


def test_push_keeps_the_newer_version_and_answers_with_its_versions():
    """Reference: Demers §1.1 — the copy with the larger timestamp wins; the answer is our addition."""
    n = node("n2")
    n.store = {"x": X2}
    out = n.step(Deliver(src="n1", msg=Push(entries={"x": X1, "y": X1})), 5)
    assert n.store == {"x": X2, "y": X1}  # the older x is ignored, y is new
    assert out == [Note(key="gossip.note.learn", args={"node": "n2", "peer": "n1", "keys": "y"}),
                   Send(dst="n1", msg=Answer(entries={}, have=digest(n.store), news=True))]


def test_pull_answers_with_only_the_newer_entries():
    """Reference: Demers §1.3 (pull) — the partner sends what it has newer than the requester."""
    n = node("n2")
    n.store = {"x": X2, "y": X1}
    out = n.step(Deliver(src="n1", msg=PullRequest(have={"x": (2, "n3")})), 5)
    assert out == [Send(dst="n1", msg=Answer(entries={"y": X1}, have=digest(n.store), news=False))]
    out = n.step(Deliver(src="n3", msg=PushPull(entries={"x": X1})), 6)
    assert out[-1].msg.entries == {"x": X2, "y": X1}  # push-pull: both of x's newer copy and y go back


def test_a_node_goes_quiet_when_every_peer_holds_what_it_holds_and_wakes_on_news():
    """Our addition (module doc, Deviations): retire once every peer is known equal; wake on news."""
    n = node()
    n.store = {"x": X1}
    for p in ("n2", "n3", "n4"):
        n.step(Deliver(src=p, msg=Answer(entries={}, have={"x": (1, "n1")}, news=False)), 10)
    assert n.step(Timer(name="round"), 100) == [Note(key="gossip.note.retire", args={"node": "n1"})]
    assert n.gossiping is False
    out = n.step(Deliver(src="n3", msg=Push(entries={"x": X2})), 120)
    assert n.gossiping is True and out == [
        Note(key="gossip.note.learn", args={"node": "n1", "peer": "n3", "keys": "x"}),
        Send(dst="n3", msg=Answer(entries={}, have={"x": (2, "n3")}, news=True)),
        Note(key="gossip.note.wake", args={"node": "n1"}), SetTimer(name="round", after=100)]


def test_rumor_monger_loses_interest_on_negative_feedback():
    """Reference: Demers §1.4 — feedback and coin, k = 1: told a site that already knew, lose interest."""
    n = node(bug="rumor-mongering")
    assert n.step(Start(), 0) == [] and n.gossiping is False  # susceptible: nothing hot to say
    n.step(ClientRequest(client="c1", op={"f": "put", "key": "x", "value": 1}), 1)
    assert n.gossiping is True
    out = n.step(Deliver(src="n2", msg=Answer(entries={}, have={"x": (1, "n1")}, news=False)), 50)
    assert n.gossiping is False and out == [Note(key="gossip.note.lose_interest", args={"node": "n1", "peer": "n2"})]


def test_the_non_monotone_merge_takes_an_older_version():
    n = node(bug="non-monotone-merge")
    n.store = {"x": X2}
    n.step(Deliver(src="n2", msg=Push(entries={"x": X1})), 5)
    assert n.store == {"x": X1}  # went back from (2, n3) to (1, n1)


# a version names one update, so equal versions carry equal values (as in the protocol)
entries = st.one_of(st.none(), st.builds(lambda ts, o: {"value": f"{o}:{ts}", "ts": ts, "origin": o},
                                         st.integers(0, 4), st.sampled_from(["n1", "n2", "n3"])))


@given(entries, entries, entries)
def test_merge_is_a_join(a, b, c):
    """Reference: curriculum §4.14 — merges must be commutative, associative and idempotent."""
    assert merge_entry(a, b) == merge_entry(b, a)
    assert merge_entry(merge_entry(a, b), c) == merge_entry(a, merge_entry(b, c))
    assert merge_entry(a, a) == a
    assert version(merge_entry(a, b)) == max(version(a), version(b))  # inflationary: never older than either


# ------------------------------------------------------------------ runs
def gossip_scenario(seed, bug=None):
    """2–6 nodes, random push/pull/fan-out, 1–3 updates (some to one key from two nodes), 0–3 faults."""
    r = random.Random(f"gossip-sweep:{seed}")
    n = r.randint(2, 6)
    nodes = [f"n{i + 1}" for i in range(n)]
    push = r.random() < 0.6
    params = {"nodes": n, "push": push, "pull": (not push) or r.random() < 0.5, "fanout": r.randint(1, 2),
              "round_ticks": 40, "horizon_rounds": 150}
    workload = [{"at": r.randint(0, 200), "node": r.choice(nodes), "client": f"c{i}",
                 "op": {"f": "put", "key": r.choice("xy"), "value": i + 1}} for i in range(r.randint(1, 3))]
    faults = []
    for _ in range(r.randint(0, 3)):
        at, who = r.randint(0, 300), r.choice(nodes)
        if r.random() < 0.4:
            faults += [{"type": "crash", "node": who, "at": at},
                       {"type": "restart", "node": who, "at": at + r.randint(5, 150)}]
        else:
            faults += [{"type": "partition", "groups": [r.sample(nodes, r.randint(1, max(1, n - 1)))], "at": at},
                       {"type": "heal", "at": at + r.randint(10, 300)}]
    return {"protocol": "gossip", "seed": seed, "bug": bug, "params": params, "workload": workload, "faults": faults,
            "limits": {"max_steps": 20000},
            "network": {"latency": {"kind": "uniform", "low": 1, "high": r.choice((5, 15))},
                        "loss": r.choice((0.0, 0.05, 0.2)), "duplicate": r.choice((0.0, 0.1)),
                        "reorder": r.choice((0.0, 0.2)), "reorder_delay": 30}}


def test_same_scenario_same_trace():
    sc = parse_scenario(gossip_scenario(3))
    assert run(sc).to_json() == run(sc).to_json()


@pytest.mark.parametrize("chunk", range(4))
def test_2000_seeded_fault_schedules_violate_nothing_and_end_quiet(chunk):
    """Reference: Demers §1.3 — anti-entropy eventually infects every site; here every run must also end
    with every node quiet by knowledge (not by the horizon), so Eventual dissemination was really judged."""
    for seed in range(chunk * 500, chunk * 500 + 500):
        t = Simulation(parse_scenario(gossip_scenario(seed)), verify_logs=seed % 100 == 0).run()
        assert t.ever_violated() == set() and t.end["reason"] == "quiescent", (seed, t.invariant_changes)
        final = t.states_at(t.n_steps - 1)
        assert all(s["gossiping"] is False and not s["horizon_hit"] for s in final.values()), seed
        versions = {json_key(s["store"]) for s in final.values()}
        assert len(versions) == 1, seed  # converged


def json_key(store):
    return tuple(sorted((k, v["ts"], v["origin"], v["value"]) for k, v in store.items()))


def _first(bug, invariant, seeds):
    return next((s for s in seeds if invariant in run(parse_scenario(gossip_scenario(s, bug))).ever_violated()), None)


def test_rumor_mongering_leaves_a_residue():
    """Reference: Demers §1.4 — rumor mongering without anti-entropy may never reach some sites."""
    assert _first("rumor-mongering", "Eventual dissemination", range(2000)) == 1


def test_non_monotone_merge_is_caught():
    """Reference: Demers §1.1 — keep the larger timestamp; taking the last received lets versions go back."""
    assert _first("non-monotone-merge", "Versions only grow", range(2000)) == 6


def test_bug_variants_break_only_what_they_declare():
    for bug in SPEC.bugs:
        found = set()
        for seed in range(60):
            found |= run(parse_scenario(gossip_scenario(seed, bug.id))).ever_violated()
        assert set(bug.breaks) <= found, bug.id


def test_invariants_skipped_by_reads_give_the_same_verdicts():
    """``Invariant.reads`` lists every field each check reads: skipping unchanged steps changes no verdict."""
    every_step = dataclasses.replace(SPEC, invariants=tuple(dataclasses.replace(i, reads=()) for i in SPEC.invariants))
    broken: set[str] = set()
    for seed, bug in ((1, "rumor-mongering"), (6, "non-monotone-merge"), (3, None)):
        sc = parse_scenario(gossip_scenario(seed, bug))
        changes = Simulation(sc).run().invariant_changes
        assert changes == Simulation(sc, every_step).run().invariant_changes
        broken |= {name for _s, name, v in changes if v is not None}
    assert broken == {"Eventual dissemination", "Versions only grow"}


# ------------------------------------------------------------------ presets and the measurement
def test_presets_compare_push_pull_and_push_pull_on_the_same_nodes():
    """Reference: Demers §1.3; Karp et al. 2000 — push-pull is fastest; pull starts slowly."""
    scs = {m: load_preset(f"gossip-{m}") for m in ("push", "pull", "push-pull")}
    assert len({(sc.seed, sc.params["nodes"], sc.params["fanout"]) for sc in scs.values()}) == 1
    rounds = {m: rounds_to_full(run(sc)) for m, sc in scs.items()}
    assert rounds == {"push": 5, "pull": 9, "push-pull": 3}


def test_rumor_mongering_preset_shows_the_residue():
    t = run(load_preset("gossip-bug-rumor-mongering"))
    final = t.states_at(t.n_steps - 1)
    missing = sorted(n for n, s in final.items() if "x" not in s["store"])
    assert missing == ["n2"] and rounds_to_full(t) is None
    assert t.ever_violated() == {"Eventual dissemination"}


def test_rounds_follow_demers_recurrence_and_grow_with_log_n():
    from viz.gossip import karp_rounds, meanfield_rounds, pittel_rounds, rounds_figure, rounds_sweep

    sweeps = [rounds_sweep([4, 16], 4, mode) for mode in ("push", "pull", "push_pull")]
    means = {sw["mode"]: np.nanmean(sw["rounds"], axis=1) for sw in sweeps}
    for sw in sweeps:
        assert not np.isnan(sw["rounds"]).any()
        assert means[sw["mode"]][1] > means[sw["mode"]][0]  # more nodes, more rounds
        theory = meanfield_rounds(sw["ns"], sw["mode"])
        assert np.all(np.abs(means[sw["mode"]] - theory) <= 2.5), (sw["mode"], means[sw["mode"]], theory)
    assert means["push_pull"][1] < means["push"][1]
    # Demers's push recurrence agrees with Pittel's log2 N + ln N; pull's squaring finishes in
    # log2 N + O(log log N); push-pull's leading term is Karp's log3 N
    big = [1024, 2**20]
    assert np.all(np.abs(meanfield_rounds(big, "push") - pittel_rounds(big)) <= 2)
    assert np.all(meanfield_rounds(big, "pull") - np.log2(big) <= 2 + np.log2(np.log(big)))
    assert np.all(meanfield_rounds(big, "push_pull") < meanfield_rounds(big, "push"))
    assert np.all(meanfield_rounds(big, "push_pull") >= karp_rounds(big))
    for lang in ("en", "zh"):
        fig = rounds_figure(sweeps, translator(lang)).to_dict()
        names = [tr["name"] for tr in fig["data"]]
        assert len(fig["data"]) == 3 * 3 + 2 and all("[" not in n for n in names)
    with pytest.raises(ValueError):
        rounds_sweep([4, 500], 2)


def test_rounds_to_full_counts_rounds_from_the_injection():
    t = run(load_preset("gossip-push"))
    final = t.states_at(t.n_steps - 1)
    times = sorted(min(e[4] for e in s["learned"]) for s in final.values())
    assert rounds_to_full(t) == -(-(times[-1] - times[0]) // 100) == 5
    assert rounds_to_full(t, update="n9:9") is None
