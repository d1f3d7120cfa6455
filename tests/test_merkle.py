"""Merkle trees (protocols/merkle.py) and anti-entropy repair with them (protocols/merkle_anti_entropy.py).

The tree: deterministic SHA-256 hashes, and a Hypothesis property that the top-down descent finds
exactly the leaf ranges that differ (sound and complete). The protocol: transcripts of one session,
2,000 seeded random fault schedules with zero violations (and many clean repairs really checked),
each bug variant caught by a seeded search, the presets' story and the cost against full-state
exchange, and the tree figure.
"""

from __future__ import annotations

import dataclasses
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lessons.presets import load_preset
from protocols import REGISTRY, merkle
from protocols.merkle_anti_entropy import (Entries, EntriesBack, HashRequest, Hashes, MerkleReplica, repair_cost)
from sim.engine import Simulation, run
from sim.scenario import parse_scenario
from sim.types import ClientRequest, Deliver, Note, Reply, Send, SetTimer, Start, Timer
from ui.i18n import translator

SPEC = REGISTRY["merkle-anti-entropy"]
P = {"keys": 16, "fanout": 2, "depth": 2}  # 4 leaves of 4 keys


def store(**changes):
    s = {k: {"value": 0, "ts": 0, "origin": ""} for k in merkle.key_names(16)}
    for k, (value, ts, origin) in changes.items():
        s[k] = {"value": value, "ts": ts, "origin": origin}
    return s


# ------------------------------------------------------------------ the tree
def test_tree_shape_ranges_and_deterministic_hashes():
    """Reference: Merkle 1987 — inner hashes over children; SHA-256, so the same in every process."""
    tree = merkle.build_tree(store(), **P)
    assert [len(level) for level in tree] == [1, 2, 4]
    assert tree == merkle.build_tree(store(), **P)
    assert tree[0][0] == merkle._digest([h.encode() for h in tree[1]])
    assert merkle.leaf_range(2, 16, 2, 2) == (8, 12) and merkle.node_range(1, 1, 16, 2, 2) == (8, 16)
    assert merkle.key_names(16)[8:12] == ("k08", "k09", "k10", "k11")
    assert merkle.children(1, 1, 2) == [(2, 2), (2, 3)]


def test_one_changed_key_changes_exactly_its_path():
    a, b = merkle.build_tree(store(), **P), merkle.build_tree(store(k09=(5, 1, "r1")), **P)
    assert merkle.differing_nodes(a, b) == {(0, 0), (1, 1), (2, 2)}
    assert merkle.descent(a, b, 2) == [(0, 0), (1, 0), (1, 1), (2, 2), (2, 3)]


def test_a_keys_only_hash_misses_a_changed_value():
    a = merkle.build_tree(store(), **P, keys_only=True)
    assert merkle.differing_nodes(a, merkle.build_tree(store(k09=(5, 1, "r1")), **P, keys_only=True)) == set()


changes = st.dictionaries(st.sampled_from(merkle.key_names(16)),
                          st.tuples(st.integers(0, 3), st.integers(1, 3), st.sampled_from(["r1", "r2"])), max_size=5)


@settings(max_examples=150, deadline=None)
@given(changes, changes, st.sampled_from([(2, 1), (2, 2), (4, 1), (2, 3), (4, 2)]))
def test_descent_finds_exactly_the_differing_leaf_ranges(ca, cb, shape):
    """Reference: Merkle 1987; Dynamo §4.7 — equal hashes prove equal ranges, so descending only into
    differing nodes reaches every differing leaf and no equal one (SHA-256 collisions aside)."""
    fanout, depth = shape
    sa, sb = store(**ca), store(**cb)
    ta, tb = merkle.build_tree(sa, 16, fanout, depth), merkle.build_tree(sb, 16, fanout, depth)
    names = merkle.key_names(16)
    truly = {i for i in range(fanout ** depth)
             if any(sa[k] != sb[k] for k in names[slice(*merkle.leaf_range(i, 16, fanout, depth))])}
    found = {i for (lvl, i) in merkle.descent(ta, tb, fanout) if lvl == depth and ta[lvl][i] != tb[lvl][i]}
    assert found == truly
    assert (ta[0][0] == tb[0][0]) == (sa == sb)


# ------------------------------------------------------------------ transcripts of one session
def replica(name="r1", bug=None, **over):
    return MerkleReplica(name, ("r1", "r2"), SPEC.resolve_params({**P, **over}), bug, random.Random(0))


def test_one_repair_session_descends_only_into_differing_nodes():
    """Reference: Dynamo §4.7 — exchange the root; if it differs, the children; exchange only differing ranges."""
    a, b = replica("r1"), replica("r2")
    a.step(ClientRequest(client="c1", op={"f": "put", "key": "k09", "value": 5}), 1)
    assert a.step(Start(), 0) == [SetTimer(name="repair", after=100 + 24)]  # repair_ticks + seeded jitter
    out = a.step(Timer(name="repair"), 150)
    assert out[1] == Send(dst="r2", msg=HashRequest(session="r1.1", req=1, nodes=((0, 0),)))
    [answer] = b.step(Deliver(src="r1", msg=out[1].msg), 155)
    assert answer.msg == Hashes(session="r1.1", req=1, hashes=((0, 0, b._tree()[0][0]),), changes=0)
    out = a.step(Deliver(src="r2", msg=answer.msg), 160)
    assert out[1].msg == HashRequest(session="r1.1", req=2, nodes=((1, 0), (1, 1)))
    [answer] = b.step(Deliver(src="r1", msg=out[1].msg), 165)
    out = a.step(Deliver(src="r2", msg=answer.msg), 170)
    assert out[0] == Note(key="merkle.note.compare", args={"node": "r1", "peer": "r2", "compared": 2, "differ": 1,
                                                            "nodes": "1.1"})
    [answer] = b.step(Deliver(src="r1", msg=out[1].msg), 175)
    out = a.step(Deliver(src="r2", msg=answer.msg), 180)
    leaves = out[1].msg.leaves
    assert isinstance(out[1].msg, Entries) and list(leaves) == ["2"] and sorted(leaves["2"]) == [
        "k08", "k09", "k10", "k11"]  # one range of 4 keys out of 16
    back = b.step(Deliver(src="r1", msg=out[1].msg), 185)
    assert b.store["k09"]["value"] == 5 and back[-1].msg.applied == 1 and isinstance(back[-1].msg, EntriesBack)
    done = a.step(Deliver(src="r2", msg=back[-1].msg), 190)
    assert done[-1] == Note(key="merkle.note.done", args={"node": "r1", "peer": "r2", "keys": 1})
    assert a.session is None and a.repairs == [("r1.1", "r2", True, 1, 1, 190)] and a.store == b.store
    assert a.step(Deliver(src="r2", msg=back[-1].msg), 191) == []  # a duplicate answer is ignored


def test_reads_and_bad_requests():
    a = replica()
    assert a.step(ClientRequest(client="c1", op={"f": "get", "key": "k03"}), 1) == [
        Reply(client="c1", result={"ok": True, "value": 0})]
    assert a.step(ClientRequest(client="c1", op={"f": "put", "key": "nope", "value": 1}), 1)[0].result["ok"] is False


# ------------------------------------------------------------------ runs
def merkle_scenario(seed, bug=None):
    """2–4 replicas, 8–32 keys, random tree shape, 1–6 writes, 0–3 crashes or partitions, lossy network."""
    r = random.Random(f"merkle-sweep:{seed}")
    n = r.randint(2, 4)
    reps = [f"r{i + 1}" for i in range(n)]
    keys = r.choice((8, 16, 32))
    params = {"replicas": n, "keys": keys, "fanout": r.choice((2, 4)), "depth": r.randint(1, 3),
              "repair_ticks": 60, "horizon_ticks": 560}
    workload = [{"at": r.randint(0, 300), "node": r.choice(reps), "client": f"c{i}",
                 "op": {"f": "put", "key": f"k{r.randrange(keys):02d}", "value": i + 1}}
                for i in range(r.randint(1, 6))]
    faults = []
    for _ in range(r.randint(0, 3)):
        at, who = r.randint(0, 300), r.choice(reps)
        if r.random() < 0.4:
            faults += [{"type": "crash", "node": who, "at": at},
                       {"type": "restart", "node": who, "at": at + r.randint(5, 150)}]
        else:
            faults += [{"type": "partition", "groups": [[who]], "at": at},
                       {"type": "heal", "at": at + r.randint(10, 200)}]
    return {"protocol": "merkle-anti-entropy", "seed": seed, "bug": bug, "params": params, "workload": workload,
            "faults": faults, "limits": {"max_steps": 20000},
            "network": {"latency": {"kind": "uniform", "low": 1, "high": r.choice((5, 15))},
                        "loss": r.choice((0.0, 0.05, 0.2)), "duplicate": r.choice((0.0, 0.1)),
                        "reorder": r.choice((0.0, 0.2)), "reorder_delay": 30}}


def test_same_scenario_same_trace():
    sc = parse_scenario(merkle_scenario(5))
    assert run(sc).to_json() == run(sc).to_json()


@pytest.mark.parametrize("chunk", range(4))
def test_2000_seeded_fault_schedules_violate_nothing(chunk):
    """Reference: Merkle 1987; Dynamo §4.7 — a repair leaves the two replicas equal. Counts the clean
    repairs the invariant really judged, so the sweep cannot pass vacuously."""
    judged = 0
    for seed in range(chunk * 500, chunk * 500 + 500):
        t = Simulation(parse_scenario(merkle_scenario(seed)), verify_logs=seed % 100 == 0).run()
        assert t.ever_violated() == set() and t.end["reason"] == "quiescent", (seed, t.invariant_changes)
        final = t.states_at(t.n_steps - 1)
        for s in final.values():
            if s["repairs"]:
                _sid, peer, clean, mine, theirs, _t = s["repairs"][-1]
                judged += clean and s["changes"] == mine and final[peer]["changes"] == theirs
    assert judged > 500, judged


def _first(bug, seeds):
    violated = lambda s: run(parse_scenario(merkle_scenario(s, bug))).ever_violated()  # noqa: E731
    return next((s for s in seeds if "Repair agreement" in violated(s)), None)


def test_hash_ignoring_values_is_caught():
    assert _first("hash-ignores-values", range(2000)) == 0


def test_first_differing_child_only_is_caught():
    assert _first("first-differing-child-only", range(2000)) == 0


def test_invariants_skipped_by_reads_give_the_same_verdicts():
    every_step = dataclasses.replace(SPEC, invariants=tuple(dataclasses.replace(i, reads=()) for i in SPEC.invariants))
    broken: set[str] = set()
    for seed, bug in ((0, "hash-ignores-values"), (0, "first-differing-child-only"), (2, None)):
        sc = parse_scenario(merkle_scenario(seed, bug))
        changes = Simulation(sc).run().invariant_changes
        assert changes == Simulation(sc, every_step).run().invariant_changes
        broken |= {name for _s, name, v in changes if v is not None}
    assert broken == {"Repair agreement"}


# ------------------------------------------------------------------ presets, cost and figure
def test_repair_after_partition_exchanges_two_ranges_and_saves_bytes():
    t = run(load_preset("merkle-anti-entropy-repair-after-partition"))
    final = t.states_at(t.n_steps - 1)
    assert final["r1"]["store"] == final["r2"]["store"] and final["r1"]["store"]["k42"]["value"] == 9
    first = [e.payload for e in t.events if e.kind == "send" and e.payload.get("session") == "r1.1"]
    assert len(first) == 10  # four levels of hashes and one exchange of ranges, each a round trip
    assert sum(len(p["hashes"]) for p in first if p["type"] == "Hashes") == 11
    assert [sorted(p["leaves"]) for p in first if p["type"] == "Entries"] == [["0", "5"]]
    cost = repair_cost(t)
    assert cost["sessions"] == 3 and cost["merkle_bytes"] * 2 < cost["full_bytes"]


def test_bug_presets_leave_the_replicas_apart():
    for pid in ("merkle-anti-entropy-bug-hash-ignores-values", "merkle-anti-entropy-bug-first-differing-child-only"):
        t = run(load_preset(pid))
        s = t.first_violation_step()
        states = t.states_at(s)
        assert states["r1"]["store"] != states["r2"]["store"] and t.ever_violated() == {"Repair agreement"}, pid


def test_tree_figure_highlights_the_differing_path():
    from viz.gossip import merkle_tree_figure, repair_cost_figure

    t = run(load_preset("merkle-anti-entropy-repair-after-partition"))
    before = t.states_at(5)  # after the writes, before the repair
    for lang in ("en", "zh"):
        fig = merkle_tree_figure(before["r1"]["store"], before["r2"]["store"], t.scenario.params,
                                 translator(lang)).to_dict()
        differ = next(d for d in fig["data"] if d.get("marker", {}).get("symbol") == "diamond")
        assert len(differ["x"]) == 7  # root, both halves, 2.0 and 2.2, leaves 3.0 and 3.5
        assert "[" not in fig["layout"]["title"]["text"] and len(fig["data"]) == 4
        cost = repair_cost_figure(repair_cost(t), translator(lang)).to_dict()
        assert len(cost["data"]) == 2
