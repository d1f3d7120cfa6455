"""CRDT replicas (protocols/crdt_replica.py and the five modules built on it).

Transcripts check the replica's rules (apply at once, gossip whole states, merge on receipt); seeded
sweeps run ≥ 2,000 random schedules per module — loss, duplication, reordering, partitions, crashes
and clock skew — with zero violations, and seeded searches show each bug variant breaking every
invariant its ``breaks`` lists (first seeds pinned). Presets are checked for the story they tell, and
the convergence series (``values_over_time`` / ``convergence_step``) against the convergence view.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from lessons.presets import load_preset
from protocols import REGISTRY
from protocols.crdt_replica import Gossip, Replica, seen_updates, values_over_time
from protocols.crdt_types import G_COUNTER, OR_SET, TYPES
from sim.engine import Simulation, run
from sim.scenario import parse_scenario
from sim.types import ClientRequest, Deliver, Note, Reply, Send, SetTimer, Start, Timer
from viz.convergence import convergence_step as view_step

CRDTS = ("g-counter", "pn-counter", "lww-register", "mv-register", "or-set")
IDS = ("r1", "r2", "r3")


def replica(crdt=G_COUNTER, name="r1", bug=None, **over) -> Replica:
    params = REGISTRY[crdt.id].resolve_params(over)
    return Replica(crdt, name, IDS, params, bug, random.Random(0))


# ------------------------------------------------------------------ transcripts
def test_an_update_is_applied_at_once_and_answered():
    """Reference: Shapiro et al. 2011 §2 — an update executes entirely at its source replica."""
    r = replica()
    effects = r.step(ClientRequest(client="c1", op={"f": "inc", "by": 2}), 7)
    assert effects == [Note(key="crdt.update", args={"node": "r1", "client": "c1", "op": "inc 2", "ts": 7,
                                                     "value": "2"}),
                       Reply(client="c1", result={"ok": True})]
    assert r.state == {"r1": 2} and r.value == 2 and r.seen == {"r1": 1}
    assert r.mine == [{"origin": "r1", "seq": 1, "op": {"f": "inc", "by": 2}, "ctx": {}, "ts": 7}]
    assert r.step(ClientRequest(client="c1", op={"f": "read"}), 8)[-1] == Reply(client="c1",
                                                                                result={"ok": True, "value": 2})
    assert r.step(ClientRequest(client="c1", op={"f": "dec"}), 9) == [
        Reply(client="c1", result={"ok": False, "error": "bad_op"})]


def test_anti_entropy_sends_the_whole_state_to_a_random_peer_until_the_horizon():
    """Reference: Shapiro et al. 2011 §2 — replicas periodically send their state to another replica."""
    r = replica(gossip_interval=20, horizon_ticks=50)
    assert r.step(Start(), 0) == [SetTimer(name="gossip", after=20)]
    r.step(ClientRequest(client="c1", op={"f": "inc"}), 1)
    effects = r.step(Timer(name="gossip"), 20)
    assert effects[0] == Send(dst=effects[0].dst, msg=Gossip(state={"r1": 1}, seen={"r1": 1}))
    assert effects[0].dst in ("r2", "r3") and effects[1:] == [SetTimer(name="gossip", after=20)]
    assert r.step(Timer(name="gossip"), 60)[1:] == []  # past the horizon: the last round, no re-arm


def test_a_received_state_is_merged_and_a_redelivered_one_changes_nothing():
    """Reference: Shapiro et al. 2011 §2 — merge is the least upper bound, hence idempotent."""
    r = replica()
    r.step(ClientRequest(client="c1", op={"f": "inc"}), 1)
    msg = Gossip(state={"r2": 3}, seen={"r2": 3})
    assert r.step(Deliver(src="r2", msg=msg), 2) == [
        Note(key="crdt.merge", args={"node": "r1", "peer": "r2", "before": "1", "value": "4"})]
    assert r.step(Deliver(src="r2", msg=msg), 3) == []
    assert r.state == {"r1": 1, "r2": 3} and r.seen == {"r1": 1, "r2": 3}


def test_the_sum_merge_bug_counts_a_redelivered_state_twice():
    r = replica(bug="sum-merge")
    msg = Gossip(state={"r2": 3}, seen={"r2": 3})
    r.step(Deliver(src="r2", msg=msg), 2)
    r.step(Deliver(src="r2", msg=msg), 3)
    assert r.value == 6
    states = {"r1": r.snapshot(), "r2": replica(name="r2").snapshot()}
    states["r2"].update(state={"r2": 3}, value=3, seen={"r2": 3},
                        mine=[{"origin": "r2", "seq": k, "op": {"f": "inc", "by": 1}, "ctx": {"r2": k - 1}, "ts": 0}
                              for k in (1, 2, 3)])
    broken = {i.name for i in REGISTRY["g-counter"].invariants if i.check(states)}
    assert broken == {"Strong convergence", "Matches specification", "Own entry is the largest"}
    assert [u["seq"] for u in seen_updates(states, "r1")] == [1, 2, 3]


def test_the_naive_set_remove_breaks_inflation():
    r = replica(OR_SET, bug="naive-set")
    r.step(ClientRequest(client="c1", op={"f": "add", "elem": "milk"}), 1)
    r.step(ClientRequest(client="c1", op={"f": "remove", "elem": "milk"}), 2)
    assert r.value == [] and r.prev_state["adds"] == {"milk": ["r1:1"]}
    broken = {i.name for i in REGISTRY["or-set"].invariants if i.check({"r1": r.snapshot()})}
    assert broken == {"Inflation"}


def test_lww_timestamps_come_from_the_skewed_clock():
    """A skew fault shifts the clock a replica sees; the LWW timestamp is taken from it."""
    t = run(parse_scenario({"protocol": "lww-register", "params": {"replicas": 2, "horizon_ticks": 0},
                            "faults": [{"type": "skew", "node": "r2", "by": -40, "at": 0}],
                            "workload": [{"at": 50, "node": "r2", "client": "c1",
                                          "op": {"f": "set", "value": 1}}]}))
    assert t.states_at(t.n_steps - 1)["r2"]["state"]["ts"] == 10


# ------------------------------------------------------------------ seeded sweeps
OPS = {"g-counter": ("inc",), "pn-counter": ("inc", "dec"), "lww-register": ("set",), "mv-register": ("set",),
       "or-set": ("add", "remove")}


def _faulty(protocol, seed, bug=None):
    """2–4 replicas, 2–7 random updates, crashes, partitions, clock skew, loss, duplication, reordering."""
    r = random.Random(f"crdt:{seed}")
    reps = [f"r{i + 1}" for i in range(r.choice((2, 3, 3, 4)))]
    workload = []
    for k in range(r.randint(2, 7)):
        f = r.choice(OPS[protocol])
        op = {"f": f}
        if f == "dec" or (f == "inc" and r.random() < 0.3):
            op["by"] = r.randint(1, 3)
        if f == "set":
            op["value"] = r.choice("abc")
        if f in ("add", "remove"):
            op["elem"] = r.choice(("milk", "eggs"))
        workload.append({"at": r.randint(0, 100), "node": r.choice(reps), "client": f"c{k + 1}", "op": op})
    workload.sort(key=lambda w: w["at"])
    faults = []
    for _ in range(r.randint(0, 3)):
        at, node, kind = r.randint(0, 120), r.choice(reps), r.random()
        if kind < 0.25:
            faults += [{"type": "crash", "node": node, "at": at},
                       {"type": "restart", "node": node, "at": at + r.randint(5, 60)}]
        elif kind < 0.75:
            faults += [{"type": "partition", "groups": [[node]], "at": at},
                       {"type": "heal", "at": at + r.randint(10, 100)}]
        else:
            faults.append({"type": "skew", "node": node, "by": r.randint(-40, 40), "at": at})
    return {"protocol": protocol, "seed": seed, "bug": bug, "faults": faults, "workload": workload,
            "params": {"replicas": len(reps), "gossip_interval": r.choice((20, 30, 50)), "horizon_ticks": 160},
            "network": {"latency": {"kind": "uniform", "low": r.choice((0, 1, 5)), "high": r.choice((5, 10, 30))},
                        "loss": r.choice((0.0, 0.1, 0.3)), "duplicate": r.choice((0.0, 0.1, 0.3)),
                        "reorder": r.choice((0.0, 0.3))}}


@pytest.mark.parametrize("protocol", CRDTS)
def test_2000_seeded_fault_schedules_show_no_violation(protocol):
    """Reference: Shapiro et al. 2011 §2 — a monotonic semilattice object is SEC under any delivery."""
    for seed in range(2000):
        t = Simulation(parse_scenario(_faulty(protocol, seed)), verify_logs=seed < 20).run()  # LOGS/COW contracts
        assert t.ever_violated() == set() and t.end["reason"] == "quiescent", (protocol, seed, t.invariant_changes)


def _search(protocol, bug, seeds) -> dict[str, int]:
    """The first seed at which each invariant broke (same seeds, same answer)."""
    found: dict[str, int] = {}
    for seed in seeds:
        for name in run(parse_scenario(_faulty(protocol, seed, bug))).ever_violated():
            found.setdefault(name, seed)
        if set(REGISTRY[protocol].bug(bug).breaks) <= set(found):
            break
    return found


FOUND = {("g-counter", "sum-merge"): {"Strong convergence": 0, "Matches specification": 0,
                                      "Own entry is the largest": 0},
         ("g-counter", "max-total"): {"Inflation": 1, "Matches specification": 1, "Own entry is the largest": 26},
         ("pn-counter", "sum-merge"): {"Strong convergence": 0, "Matches specification": 0,
                                       "Own entry is the largest": 0},
         ("lww-register", "no-tiebreak"): {"Matches specification": 63, "Strong convergence": 229},
         ("mv-register", "pick-one"): {"Inflation": 0, "Matches specification": 0, "Strong convergence": 1},
         ("or-set", "naive-set"): {"Inflation": 1, "Matches specification": 1, "Strong convergence": 35}}


@pytest.mark.parametrize("protocol,bug", sorted(FOUND), ids=[f"{p}:{b}" for p, b in sorted(FOUND)])
def test_each_bug_variant_is_caught_by_a_seeded_search(protocol, bug):
    found = _search(protocol, bug, range(2000))
    assert set(REGISTRY[protocol].bug(bug).breaks) <= set(found)
    assert found == FOUND[(protocol, bug)]


@pytest.mark.parametrize("protocol", CRDTS)
def test_replicas_converge_to_the_specification_of_all_updates(protocol):
    """Reference: Shapiro et al. 2011 §2 — eventual delivery + strong convergence: all replicas agree."""
    for seed in range(40):
        d = _faulty(protocol, seed)
        d.update(faults=[], params={**d["params"], "horizon_ticks": 600},
                 network={**d["network"], "loss": 0.0})
        t = run(parse_scenario(d))
        final = t.states_at(t.n_steps - 1)
        every = [u for n in sorted(final) for u in final[n]["mine"]]
        assert convergence_step(t) is not None, (protocol, seed)
        assert {json.dumps(s["value"]) for s in final.values()} == {json.dumps(TYPES[protocol].spec(every))}


def test_same_scenario_same_trace():
    for protocol in CRDTS:
        sc = parse_scenario(_faulty(protocol, 3))
        assert run(sc).to_json() == run(sc).to_json()


# ------------------------------------------------------------------ convergence series
def convergence_step(trace):
    """The step from which all replicas agree to the end (the convergence view's definition)."""
    return view_step(values_over_time(trace), trace.n_steps - 1)


def test_values_over_time_and_convergence_step_on_the_partition_preset():
    t = run(load_preset("g-counter-partition-heal"))
    series = values_over_time(t)
    assert sorted(series) == ["r1", "r2", "r3"]
    assert all(points[0] == (0, 0) and points[-1][1] == 4 for points in series.values())
    at = convergence_step(t)
    assert at == max(points[-1][0] for points in series.values())
    for step in range(at, t.n_steps):
        assert {s["value"] for s in t.states_at(step).values()} == {4}
    assert len({s["value"] for s in t.states_at(at - 1).values()}) > 1


def test_convergence_step_is_none_when_replicas_end_apart():
    sc = load_preset("lww-register-clock-skew")
    t = run(sc.replace(faults=sc.faults[:2]))  # the partition never heals
    assert convergence_step(t) is None and t.end["reason"] == "quiescent"
    assert values_over_time(t)["r2"][-1][1] == "10:30"


def test_convergence_step_restarts_after_a_later_divergence():
    """MV preset: agreement on the siblings, then a new write at r1, then agreement again."""
    t = run(load_preset("mv-register-concurrent-writes"))
    series = values_over_time(t)
    both = [s for s, v in series["r1"] if v == ["10:30", "9:00"]]
    assert both and both[0] < convergence_step(t) and series["r1"][-1][1] == ["11:00"]


# ------------------------------------------------------------------ presets tell their story
def _reads(t):
    return [e.detail["result"].get("value") for e in t.events if e.kind == "return" and "value" in e.detail["result"]]


def test_sum_merge_preset_double_counts_and_the_fix_does_not():
    bad = run(load_preset("g-counter-bug-sum-merge"))
    good = run(load_preset("g-counter-redelivery"))
    assert _reads(bad) == [16, 16] and _reads(good) == [3, 3]
    assert any(e.kind == "duplicate" for e in good.events) and good.ever_violated() == set()
    assert load_preset("g-counter-redelivery").faults == load_preset("g-counter-bug-sum-merge").faults


def test_lww_preset_loses_the_later_write_and_mv_keeps_both():
    lww = run(load_preset("lww-register-clock-skew"))
    assert _reads(lww) == ["10:30", "9:00", "9:00"] and lww.ever_violated() == set()
    mv = run(load_preset("mv-register-concurrent-writes"))
    assert _reads(mv) == [["10:30"], ["10:30", "9:00"], ["11:00"]]


def test_or_set_keeps_the_removed_item_removed_and_the_naive_set_brings_it_back():
    good = run(load_preset("or-set-shopping-cart"))
    bad = run(load_preset("or-set-bug-naive-set"))
    assert _reads(good) == [["eggs", "milk"], ["eggs"], ["eggs"]]
    assert _reads(bad) == [["eggs", "milk"], ["eggs", "milk"], ["eggs", "milk"]]
    assert bad.ever_violated() == {"Inflation", "Matches specification"}


def test_pn_counter_preset_goes_negative_and_converges():
    t = run(load_preset("pn-counter-partition-heal"))
    assert _reads(t) == [-3, 1, 1] and convergence_step(t) is not None


# ------------------------------------------------------------------ CLI
def test_sim_list_shows_every_crdt_with_its_invariants_and_bugs():
    out = subprocess.run([sys.executable, "-m", "sim", "list", "--json"], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1]).stdout
    listed = {p["id"]: p for p in json.loads(out)}
    for protocol in CRDTS:
        names = [i["name"] for i in listed[protocol]["invariants"]]
        assert names[:3] == ["Strong convergence", "Inflation", "Matches specification"]
        assert [b["id"] for b in listed[protocol]["bugs"]] == [b.id for b in REGISTRY[protocol].bugs]
    assert "Own entry is the largest" in [i["name"] for i in listed["g-counter"]["invariants"]]


def test_invariants_skipped_by_reads_give_the_same_verdicts():
    """``Invariant.reads`` lists every field each check reads: skipping unchanged steps changes no verdict."""
    import dataclasses

    for protocol in CRDTS:
        spec = REGISTRY[protocol]
        every_step = dataclasses.replace(spec, invariants=tuple(dataclasses.replace(i, reads=())
                                                                for i in spec.invariants))
        for bug in (None, *(b.id for b in spec.bugs)):
            for seed in (1, 2):
                sc = parse_scenario(_faulty(protocol, seed, bug))
                assert Simulation(sc).run().invariant_changes == Simulation(sc, every_step).run().invariant_changes


def test_no_tiebreak_preset_never_converges_and_the_fix_does():
    sc = load_preset("lww-register-bug-no-tiebreak")
    bad, good = run(sc), run(sc.replace(bug=None))
    assert _reads(bad) == ["blue", "green"] and convergence_step(bad) is None
    assert _reads(good) == ["green", "green"] and good.ever_violated() == set()


def test_pick_one_preset_drops_a_sibling_that_the_correct_register_keeps():
    bad = run(load_preset("mv-register-bug-pick-one"))
    good = run(load_preset("mv-register-concurrent-writes"))
    assert _reads(bad) == [["10:30"], ["9:00"], ["11:00"]] and _reads(good)[1] == ["10:30", "9:00"]
    assert bad.ever_violated() == {"Inflation", "Matches specification"}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_note_and_violation_of_the_crdt_presets_renders_fully(lang):
    import string

    from lessons.presets import list_presets
    from ui.i18n import catalog, has

    presets = [p.id for p in list_presets() if p.protocol in CRDTS]
    assert len(presets) >= 9
    for pid in presets:
        for e in run(load_preset(pid)).events:
            if e.kind in ("note", "violation") and e.detail["key"].startswith("crdt."):
                key = e.detail["key"]
                wanted = {name for _, name, _, _ in string.Formatter().parse(catalog(lang)[key]) if name}
                assert has(lang, key) and wanted <= set(e.detail["args"]), (key, e.detail["args"])


@pytest.mark.parametrize("protocol", CRDTS)
def test_the_default_workload_converges_without_violations(protocol):
    t = run(parse_scenario({"protocol": protocol}))
    assert t.end["reason"] == "quiescent" and t.ever_violated() == set() and convergence_step(t) is not None
    for bug in REGISTRY[protocol].bugs:
        assert run(parse_scenario({"protocol": protocol, "bug": bug.id})).ever_violated(), bug.id
