"""Causal store by causal broadcast (protocols/causal_store.py).

Transcripts check the delivery rule and the client context; a property test runs 500 seeded
random fault schedules with roaming clients and checks every claimed model (causal and all
it implies) on the client history; seeded searches show the store is not sequential and that
the bug variant breaks causality.
"""

from __future__ import annotations

import random

from checkers import check
from checkers.convergence import check_convergence
from checkers.from_trace import history_from_trace
from lessons.presets import load_preset
from protocols import REGISTRY
from protocols.causal_store import CausalReplica, Replicate, Sync, SyncReply
from protocols.eventual_store import Request, Response
from sim.engine import Simulation, run
from sim.scenario import parse_scenario
from tests.strategies import random_crashes_and_partitions, random_lossy_network
from sim.types import Deliver, Note, Send, SetTimer, Start

SPEC = REGISTRY["causal-store"]
IDS = ("r1", "r2", "r3", "c1", "c2")


def replica(name="r1", bug=None, **over) -> CausalReplica:
    return CausalReplica(name, IDS, SPEC.resolve_params(over), bug, random.Random(0))


def w(origin, seq, deps=None, key="x", value=1, ts=1):
    return {"key": key, "value": value, "ts": ts, "origin": origin, "seq": seq, "deps": deps or {}}


# ------------------------------------------------------------------ transcripts
def test_a_local_write_carries_the_vector_clock_as_its_dependencies():
    """Reference: Lloyd et al. 2011 (COPS) §3 — a put carries its dependencies; Birman et al. 1991 — vector
    timestamps."""
    r = replica()
    r.vc, r.lamport = {"r2": 2}, 5
    effects = r.step(Deliver(src="c1", msg=Request(req=1, client="c1", f="put", key="x", value=7, read_vec={},
                                                   write_vec={})), 1)
    sent = w("r1", 1, {"r2": 2}, value=7, ts=6)
    assert effects == [Note(key="cs.write", args={"node": "r1", "client": "c1", "target": "x", "value": 7,
                                                  "vc": "[r1:1, r2:2]"}),
                       Send(dst="r2", msg=Replicate(write=sent)), Send(dst="r3", msg=Replicate(write=sent)),
                       Send(dst="c1", msg=Response(req=1, client="c1", result={"ok": True},
                                                   vv={"r2": 2, "r1": 1}, wid=("r1", 1)))]
    assert r.log == [sent] and r.store["x"]["value"] == 7


def test_a_remote_write_is_held_back_until_its_dependencies_are_applied():
    """Reference: Birman, Schiper & Stephenson 1991 — deliver m from j when VT(m)[j] = VT(i)[j]+1 and
    VT(m)[k] ≤ VT(i)[k] for every other k."""
    r = replica("r3")
    effect = w("r2", 1, {"r1": 1}, key="y", value=2, ts=2)
    assert r.step(Deliver(src="r2", msg=Replicate(write=effect)), 5) == [
        Note(key="cs.hold", args={"node": "r3", "count": 1})]
    assert r.holdback == [effect] and r.store == {} and r.vc == {}
    cause = w("r1", 1)
    assert r.step(Deliver(src="r1", msg=Replicate(write=cause)), 6) == [
        Note(key="cs.deliver", args={"node": "r3", "origin": "r1", "seq": 1, "target": "x", "value": 1}),
        Note(key="cs.deliver", args={"node": "r3", "origin": "r2", "seq": 1, "target": "y", "value": 2})]
    assert r.log == [cause, effect] and r.holdback == [] and r.vc == {"r1": 1, "r2": 1} and r.lamport == 2
    assert r.step(Deliver(src="r1", msg=Replicate(write=cause)), 7) == []  # a duplicate is ignored


def test_the_bug_applies_on_arrival():
    """Bug apply-without-deps: no hold-back queue, so the effect is applied before its cause."""
    r = replica("r3", bug="apply-without-deps")
    r.step(Deliver(src="r2", msg=Replicate(write=w("r2", 1, {"r1": 1}, key="y", value=2))), 5)
    assert r.store["y"]["value"] == 2 and r.holdback == []
    states = {"r3": r.snapshot()}
    assert {i.name for i in SPEC.invariants if i.check(states)} == {"Causal delivery"}


def test_concurrent_writes_converge_by_last_writer_wins():
    """Reference: Lloyd et al. 2011 §3 (causal+): conflicting writes are resolved the same way everywhere."""
    a, b = w("r1", 1, value=1, ts=3), w("r2", 1, value=2, ts=3)
    for order in ((a, b), (b, a)):
        r = replica("r3")
        for x in order:
            r.step(Deliver(src=x["origin"], msg=Replicate(write=x)), 1)
        assert r.store["x"]["value"] == 2  # (3, r2) > (3, r1)


def test_anti_entropy_sends_what_the_peer_lacks_in_log_order():
    """Reference: Petersen et al. 1997 — anti-entropy: the receiver's vector tells which writes it lacks."""
    r = replica("r2", horizon_ticks=100)
    assert r.step(Start(), 0) == [SetTimer(name="anti_entropy", after=50)]
    r.step(Deliver(src="r1", msg=Replicate(write=w("r1", 1))), 1)
    r.step(Deliver(src="r1", msg=Replicate(write=w("r1", 2, {"r1": 1}, value=5, ts=2))), 2)
    assert r.step(Deliver(src="r3", msg=Sync(vc={"r1": 1})), 3) == [
        Send(dst="r3", msg=SyncReply(writes=(w("r1", 2, {"r1": 1}, value=5, ts=2),)))]
    assert r.step(Deliver(src="r3", msg=Sync(vc={"r1": 2})), 4) == []


def test_a_replica_refuses_a_client_whose_context_it_lacks():
    """Reference: Lloyd et al. 2011 — the client library's context; Terry et al. 1994 — all four session checks."""
    r = replica("r2")
    effects = r.step(Deliver(src="c1", msg=Request(req=1, client="c1", f="get", key="x", value=None,
                                                   read_vec={"r1": 1}, write_vec={})), 1)
    assert effects[0] == Note(key="cs.refuse", args={"node": "r2", "client": "c1"})
    assert effects[-1].msg.result == {"ok": False, "error": "session"}


def test_claims_causal_and_everything_it_implies():
    """checkers/hierarchy.py: causal → pram, writes-follow-reads, eventual; pram → the other three."""
    import networkx as nx

    from checkers.hierarchy import hierarchy_graph
    implied = nx.descendants(hierarchy_graph(), "causal") | {"causal"}
    assert set(SPEC.claims(SPEC.resolve_params({}), None)) == implied
    assert "sequential" not in SPEC.claims(SPEC.resolve_params({}), None)
    assert SPEC.claims(SPEC.resolve_params({}), "apply-without-deps") == ()


# ------------------------------------------------------------------ runs
def _roaming(seed, bug=None):
    """2–3 replicas, 2–3 roaming clients with 2–4 ops each, crashes, partitions, loss, duplication, reordering."""
    r = random.Random(seed)
    n, k = r.choice((2, 3)), r.choice((2, 3))
    reps = [f"r{i + 1}" for i in range(n)]
    workload, v = [], 0
    for c in range(1, k + 1):
        at = r.randint(0, 20)
        sticky = r.random() < 0.3
        home = r.choice(reps)
        for _ in range(r.randint(2, 4)):
            op = {"f": "get", "key": r.choice("xy"), "replica": home if sticky else r.choice(reps)}
            if r.random() < 0.5:
                v += 1
                op.update(f="put", value=v)
            workload.append({"at": at, "node": f"c{c}", "client": f"c{c}", "op": op})
            at += r.randint(25, 70)
    faults = random_crashes_and_partitions(r, reps)
    return {"protocol": "causal-store", "seed": seed, "bug": bug, "faults": faults, "workload": workload,
            "params": {"replicas": n, "clients": k, "gossip_interval": r.choice((15, 30, 60)), "horizon_ticks": 400},
            "limits": {"max_steps": 5000},
            "network": random_lossy_network(r)}


def _violated(t) -> set[str]:
    return t.ever_violated()


def test_same_scenario_same_trace():
    for seed in (1, 2):
        sc = parse_scenario(_roaming(seed))
        assert run(sc).to_json() == run(sc).to_json()


def test_500_seeded_fault_schedules_satisfy_every_claimed_model():
    """Reference: Ahamad et al. 1995 — every client history is causal (and so PRAM, session-guaranteed, eventual)."""
    claims = SPEC.claims(SPEC.resolve_params({}), None)
    for seed in range(500):
        t = Simulation(parse_scenario(_roaming(seed)), verify_logs=seed < 50).run()  # also the Node.LOGS contract
        assert _violated(t) == set() and t.end["reason"] == "quiescent", (seed, t.invariant_changes)
        history, _ = history_from_trace(t)
        for model in claims:
            verdict = check(history, model)
            assert verdict.result == "ok", (seed, model, verdict.explanation)


def test_replicas_converge_once_writes_stop():
    """Reference: Lloyd et al. 2011 §3 — causal+: replicas that applied the same writes agree."""
    for seed in range(30):
        d = _roaming(seed)
        d.update(faults=[], network={"latency": {"kind": "uniform", "low": 1, "high": 20}})
        t = run(parse_scenario(d))
        final = t.states_at(t.n_steps - 1)
        stores = {n: {k: v["value"] for k, v in s["store"].items()} for n, s in final.items() if n.startswith("r")}
        assert check_convergence(stores, t.end["reason"] == "quiescent").result == "ok", seed


def _dekker(seed, bug=None):
    """Two clients each write their key at their own replica, then read the other's key there."""
    r = random.Random(seed)
    gap = r.randint(25, 60)
    ops = [(1, "put", "x", "r1", 0), (2, "put", "y", "r2", r.randint(0, 10)), (1, "get", "y", "r1", gap),
           (2, "get", "x", "r2", gap + r.randint(0, 10))]
    return {"protocol": "causal-store", "seed": seed, "bug": bug,
            "params": {"replicas": 2, "clients": 2, "gossip_interval": 100, "horizon_ticks": 300},
            "network": {"latency": {"kind": "uniform", "low": 1, "high": 20}},
            "faults": [{"type": "partition", "links": [["r1", "r2"], ["r2", "r1"]], "at": 0},
                       {"type": "heal", "at": r.randint(20, 120)}],
            "workload": [{"at": at, "node": f"c{c}", "client": f"c{c}",
                          "op": {"f": f, "key": k, "replica": rep, **({"value": c} if f == "put" else {})}}
                         for c, f, k, rep, at in ops]}


def _relay(seed, bug=None):
    """x=1 at r1; c2 reads it at r2 and writes y=2; c3 reads y then x at r3 (the causal chain of the bug)."""
    r = random.Random(seed)
    ops = [(1, "put", "x", "r1"), (2, "get", "x", "r2"), (2, "put", "y", "r2"), (3, "get", "y", "r3"),
           (3, "get", "x", "r3")]
    at, workload = 0, []
    for i, (c, f, k, rep) in enumerate(ops):
        workload.append({"at": at, "node": f"c{c}", "client": f"c{c}",
                         "op": {"f": f, "key": k, "replica": rep, **({"value": i} if f == "put" else {})}})
        at += r.randint(25, 50)
    return {"protocol": "causal-store", "seed": seed, "bug": bug, "workload": workload,
            "params": {"replicas": 3, "clients": 3, "gossip_interval": 200, "horizon_ticks": 400},
            "faults": [{"type": "partition", "links": [["r1", "r3"]], "at": 0},
                       {"type": "heal", "at": r.randint(20, 200)}],
            "network": {"latency": {"kind": "uniform", "low": 1, "high": 20}}}


def _first(model, make, seeds, result="illegal"):
    for seed in seeds:
        history, _ = history_from_trace(run(parse_scenario(make(seed))))
        if check(history, model).result == result:
            return seed
    return None


def test_causal_but_not_sequential_is_found():
    """Reference: Ahamad et al. 1995 — concurrent writes may be seen in different orders; causal ⊋ sequential."""
    seed = _first("sequential", _dekker, range(100))
    assert seed == FOUND_NOT_SEQUENTIAL
    history, _ = history_from_trace(run(parse_scenario(_dekker(seed))))
    assert check(history, "causal").result == "ok"


def test_apply_without_deps_is_caught():
    """Reference: Birman et al. 1991 — without the hold-back queue an effect is visible before its cause."""
    inv = next(s for s in range(100) if set(SPEC.bug("apply-without-deps").breaks)
               <= _violated(run(parse_scenario(_roaming(s, "apply-without-deps")))))
    causal = _first("causal", lambda s: _relay(s, "apply-without-deps"), range(100))
    assert (inv, causal) == FOUND_BUG
    assert _first("causal", _relay, range(causal + 20)) is None  # the same schedules are causal without the bug


FOUND_NOT_SEQUENTIAL, FOUND_BUG = 0, (4, 1)


# ------------------------------------------------------------------ presets tell their story
def test_concurrent_writes_preset_is_causal_not_sequential():
    t = run(load_preset("causal-store-concurrent-writes"))
    history, _ = history_from_trace(t)
    assert [o.output for o in history.ops if o.f == "get"] == [None, None, 2, 1]
    assert check(history, "causal").result == "ok" and check(history, "sequential").result == "illegal"


def test_bug_preset_breaks_causality_and_the_fix_holds_back():
    sc = load_preset("causal-store-bug-apply-without-deps")
    t = run(sc)
    history, _ = history_from_trace(t)
    assert [o.output for o in history.ops if o.f == "get"] == [1, 2, None, 1]
    assert check(history, "causal").result == "illegal" and "Causal delivery" in _violated(t)
    fixed = run(sc.replace(bug=None))
    h2, _ = history_from_trace(fixed)
    assert _violated(fixed) == set() and check(h2, "causal").result == "ok"
    assert any(e.kind == "note" and e.detail["key"] == "cs.hold" and e.node == "r3" for e in fixed.events)


def test_invariants_skipped_by_reads_give_the_same_verdicts():
    """``Invariant.reads`` lists every field each check reads: skipping unchanged steps changes no verdict."""
    import dataclasses

    every_step = dataclasses.replace(SPEC, invariants=tuple(dataclasses.replace(i, reads=()) for i in SPEC.invariants))
    broken: set[str] = set()
    for seed in range(6):
        sc = parse_scenario(_roaming(seed, None if seed % 2 else "apply-without-deps"))
        changes = Simulation(sc).run().invariant_changes
        assert changes == Simulation(sc, every_step).run().invariant_changes
        broken |= {name for _s, name, v in changes if v is not None}
    assert broken  # the bug runs did break something, so the comparison is not vacuous
