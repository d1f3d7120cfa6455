"""Eventual store with Bayou session guarantees (protocols/eventual_store.py).

Transcripts feed one input to one node and compare the exact effects, citing the rule they
check. A property test runs 500 seeded random fault schedules over random roaming workloads
and every random combination of the four session guarantees, and checks every model the
store claims for that configuration on the client history (``checkers.check``). Seeded
searches over small anomaly templates show each guarantee's violation with it off — and
none with it on — and catch the bug variant.
"""

from __future__ import annotations

import random

from checkers import check
from checkers.convergence import check_convergence
from checkers.from_trace import history_from_trace
from lessons.presets import load_preset
from protocols import REGISTRY
from protocols.eventual_store import AntiEntropy, Push, Replica, Request, Response, SessionClient
from sim.engine import Simulation, run
from sim.scenario import parse_scenario
from tests.strategies import random_crashes_and_partitions, random_lossy_network
from sim.types import ClientRequest, Deliver, Note, Reply, Send, SetTimer, Start

SPEC = REGISTRY["eventual-store"]
IDS = ("r1", "r2", "r3", "c1", "c2")
ALL_ON = {"ryw": True, "mr": True, "mw": True, "wfr": True}


def replica(name="r1", bug=None, **over) -> Replica:
    return Replica(name, IDS, SPEC.resolve_params(over), bug, random.Random(0))


def request(f="put", key="x", value=1, req=1, client="c1", read_vec=None, write_vec=None) -> Request:
    return Request(req=req, client=client, f=f, key=key, value=value, read_vec=read_vec or {},
                   write_vec=write_vec or {})


# ------------------------------------------------------------------ transcripts
def test_a_write_is_stamped_with_the_lamport_clock_and_its_write_id():
    """Reference: Lamport 1978 IR1 (tick before an event); Terry et al. 1994 (write ids, version vectors)."""
    r = replica(push=True)
    effects = r.step(Deliver(src="c1", msg=request(value=7)), 3)
    write = {"key": "x", "value": 7, "ts": 1, "origin": "r1", "seq": 1, "deps": {}}
    fields = {"req": 1, "client": "c1", "result": {"ok": True}, "vv": {"r1": 1}, "wid": ("r1", 1)}
    assert effects == [Note(key="es.write", args={"node": "r1", "client": "c1", "target": "x", "value": 7, "ts": 1,
                                                  "seq": 1}),
                       Send(dst="r2", msg=Push(write=write)), Send(dst="r3", msg=Push(write=write)),
                       Send(dst="c1", msg=Response(**fields))]
    assert (r.store, r.vv, r.lamport) == ({"x": {"value": 7, "ts": 1, "origin": "r1", "seq": 1}}, {"r1": 1}, 1)
    # a duplicated request is answered again and not applied twice
    assert r.step(Deliver(src="c1", msg=request(value=7)), 4) == [Send(dst="c1", msg=Response(**fields))]
    assert r.vv == {"r1": 1}


def test_anti_entropy_is_push_pull_with_last_writer_wins():
    """Reference: Petersen et al. 1997 (anti-entropy); Johnson & Thomas RFC 677 (last writer wins on (ts, id))."""
    r = replica("r2")
    r.store, r.vv, r.lamport = {"x": {"value": 5, "ts": 3, "origin": "r2", "seq": 1}}, {"r2": 1}, 3
    theirs = {"x": {"value": 9, "ts": 3, "origin": "r3", "seq": 2},
              "y": {"value": 1, "ts": 1, "origin": "r3", "seq": 1}}
    effects = r.step(Deliver(src="r3", msg=AntiEntropy(store=theirs, vv={"r3": 2}, reply=False)), 10)
    assert r.store == theirs and r.vv == {"r2": 1, "r3": 2} and r.lamport == 3  # (3, r3) > (3, r2)
    assert effects == [Note(key="es.merge", args={"node": "r2", "peer": "r3", "keys": "x, y"}),
                       Send(dst="r3", msg=AntiEntropy(store=theirs, vv={"r2": 1, "r3": 2}, reply=True))]
    assert r.step(Deliver(src="r3", msg=AntiEntropy(store=theirs, vv={"r3": 2}, reply=True)), 11) == []


def test_anti_entropy_peer_comes_from_the_seeded_rng_and_stops_at_the_horizon():
    """Reference: Demers et al. 1987 (anti-entropy with a random peer); runs end at horizon_ticks."""
    r = replica(horizon_ticks=100)
    assert r.step(Start(), 0) == [SetTimer(name="anti_entropy", after=50)]
    from sim.types import Timer
    [send, arm] = r.step(Timer(name="anti_entropy"), 50)
    assert send.dst in ("r2", "r3") and arm == SetTimer(name="anti_entropy", after=50)
    assert r.step(Timer(name="anti_entropy"), 100)[1:] == []


def test_a_pushed_write_waits_for_its_dependencies():
    """Reference: Petersen et al. 1997 — the prefix property: a replica holding a write holds what it depends on."""
    r = replica("r3")
    late = {"key": "y", "value": 2, "ts": 4, "origin": "r2", "seq": 1, "deps": {"r1": 1}}
    assert r.step(Deliver(src="r2", msg=Push(write=late)), 5) == [
        Note(key="es.push_deferred", args={"node": "r3", "origin": "r2", "seq": 1})]
    assert r.store == {} and r.vv == {}
    first = {"key": "x", "value": 1, "ts": 1, "origin": "r1", "seq": 1, "deps": {}}
    r.step(Deliver(src="r1", msg=Push(write=first)), 6)
    r.step(Deliver(src="r2", msg=Push(write=late)), 7)
    assert r.vv == {"r1": 1, "r2": 1} and r.lamport == 4 and r.store["y"]["value"] == 2


def test_each_session_guarantee_checks_its_vector_as_in_table_1():
    """Reference: Terry et al. 1994 (providing the guarantees) — RYW and MR check reads, WFR and MW check
    writes, each against the server's version vector."""
    behind = {"r2": 1}
    cases = [("ryw", "get", "write_vec"), ("mr", "get", "read_vec"), ("wfr", "put", "read_vec"),
             ("mw", "put", "write_vec")]
    for flag, f, vec in cases:
        r = replica(**{flag: True})
        effects = r.step(Deliver(src="c1", msg=request(f=f, **{vec: behind})), 1)
        assert effects[0] == Note(key="es.refuse", args={"node": "r1", "client": "c1", "guarantee": flag}), flag
        assert effects[-1].msg.result == {"ok": False, "error": "session"} and r.store == {}
        other = "write_vec" if vec == "read_vec" else "read_vec"  # the other vector is not this guarantee's
        assert replica(**{flag: True}).step(Deliver(src="c1", msg=request(f=f, **{other: behind})), 1)[-1] \
            .msg.result["ok"], flag
    assert replica().step(Deliver(src="c1", msg=request(f="get", write_vec=behind)), 1)[-1].msg.result == {
        "ok": True, "value": None}  # all off: a stale read is served


def test_the_client_library_keeps_the_session_vectors():
    """Reference: Terry et al. 1994 (implementation) — the session manager adds write ids to the write set
    and the serving replicas' vectors to the read set."""
    c = SessionClient("c1", IDS, SPEC.resolve_params({}), None, random.Random(0))
    [send] = c.step(ClientRequest(client="c1", op={"f": "put", "key": "x", "value": 1, "replica": "r2"}), 0)
    assert send == Send(dst="r2", msg=request(value=1))
    out = c.step(Deliver(src="r2", msg=Response(req=1, client="c1", result={"ok": True}, vv={"r2": 1},
                                                wid=("r2", 1))), 5)
    assert out == [Reply(client="c1", result={"ok": True})]
    [send] = c.step(ClientRequest(client="c1", op={"f": "get", "key": "x"}), 6)  # home replica r1
    assert send == Send(dst="r1", msg=request(f="get", value=None, req=2, write_vec={"r2": 1}))
    c.step(Deliver(src="r1", msg=Response(req=2, client="c1", result={"ok": True, "value": None},
                                          vv={"r1": 3}, wid=())), 9)
    assert c.sessions == {"c1": {"read_vec": {"r1": 3}, "write_vec": {"r2": 1}}}
    assert c.step(Deliver(src="r1", msg=Response(req=2, client="c1", result={}, vv={}, wid=())), 10) == []
    assert c.step(ClientRequest(client="c2", op={"f": "get", "key": "x", "replica": "r9"}), 11) == [
        Reply(client="c2", result={"ok": False, "error": "bad_replica"})]
    assert c.step(ClientRequest(client="c2", op={"f": "get", "key": "x"}), 12) == [
        Reply(client="c2", result={"ok": False, "error": "wrong_client_node"})]  # c2's session is at node c2


def test_claims_per_configuration():
    """Reference: Brzeziński et al. 2004 — RYW+MR+MW give PRAM; all four give causal consistency."""
    claims = lambda **p: SPEC.claims(SPEC.resolve_params(p), None)  # noqa: E731
    assert claims() == ("eventual",)
    assert claims(ryw=True) == ("read-your-writes", "eventual")
    assert claims(ryw=True, mr=True, mw=True) == ("pram", "monotonic-reads", "monotonic-writes",
                                                  "read-your-writes", "eventual")
    assert claims(**ALL_ON)[:2] == ("causal", "pram") and len(claims(**ALL_ON)) == 7
    assert SPEC.claims(SPEC.resolve_params(ALL_ON), "no-clock-advance") == ()


# ------------------------------------------------------------------ runs
def _roaming(seed, flags=None, bug=None):
    """2–3 replicas, 2–3 roaming clients with 2–4 ops each; crashes, partitions, loss, duplication, reordering."""
    r = random.Random(seed)
    n, k = r.choice((2, 3)), r.choice((2, 3))
    reps = [f"r{i + 1}" for i in range(n)]
    params = {"replicas": n, "clients": k, "gossip_interval": r.choice((15, 30, 60)), "horizon_ticks": 400,
              "push": r.random() < 0.5}
    params.update(flags if flags is not None else {g: r.random() < 0.5 for g in ("ryw", "mr", "mw", "wfr")})
    workload, v = [], 0
    for c in range(1, k + 1):
        at = r.randint(0, 20)
        for _ in range(r.randint(2, 4)):
            op = {"f": "get", "key": r.choice("xy"), "replica": r.choice(reps)}
            if r.random() < 0.5:
                v += 1
                op = {"f": "put", "key": r.choice("xy"), "value": v, "replica": r.choice(reps)}
            workload.append({"at": at, "node": f"c{c}", "client": f"c{c}", "op": op})
            at += r.randint(25, 70)
    faults = random_crashes_and_partitions(r, reps)
    return {"protocol": "eventual-store", "seed": seed, "bug": bug, "params": params, "faults": faults,
            "workload": workload, "limits": {"max_steps": 5000},
            "network": random_lossy_network(r)}


def _violated(t) -> set[str]:
    return t.ever_violated()


def test_same_scenario_same_trace():
    for seed in (1, 2):
        sc = parse_scenario(_roaming(seed))
        assert run(sc).to_json() == run(sc).to_json()


def test_500_seeded_fault_schedules_satisfy_every_claimed_model():
    """Reference: Terry et al. 1994 — every guarantee switched on holds for every session, whatever the faults."""
    checked = {}
    for seed in range(500):
        sc = parse_scenario(_roaming(seed))
        t = Simulation(sc, verify_logs=seed < 20).run()
        assert _violated(t) == set() and t.end["reason"] == "quiescent", (seed, t.invariant_changes)
        history, _ = history_from_trace(t)
        for model in SPEC.claims(sc.params, None):
            verdict = check(history, model)
            assert verdict.result == "ok", (seed, model, verdict.explanation)
            checked[model] = checked.get(model, 0) + 1
    assert set(checked) == {"causal", "pram", "read-your-writes", "monotonic-reads", "monotonic-writes",
                            "writes-follow-reads", "eventual"} and checked["causal"] > 20, checked


def test_replicas_converge_once_writes_stop():
    """Reference: Vogels 2009 — eventual consistency: with no new updates all replicas return the last value."""
    for seed in range(40):
        d = _roaming(seed)
        d.update(faults=[], network={"latency": {"kind": "uniform", "low": 1, "high": 20}})
        d["params"]["horizon_ticks"] = 1500
        t = run(parse_scenario(d))
        final = t.states_at(t.n_steps - 1)
        stores = {n: {k: v["value"] for k, v in s["store"].items()} for n, s in final.items() if n.startswith("r")}
        assert check_convergence(stores, t.end["reason"] == "quiescent").result == "ok", seed


# ------------------------------------------------------------------ each guarantee, off and on
# Anomaly templates: (client, op, key, replica slot); slots become distinct random replicas.
TEMPLATES = {
    "ryw": [(1, "put", "x", 0), (1, "get", "x", 1)],
    "mr": [(1, "put", "x", 0), (2, "get", "x", 0), (2, "get", "x", 1)],
    "mw": [(1, "put", "x", 0), (1, "put", "y", 1), (2, "get", "y", 1), (2, "get", "x", 1)],
    "wfr": [(1, "put", "x", 0), (2, "get", "x", 0), (2, "put", "y", 1), (3, "get", "y", 1), (3, "get", "x", 1)],
}
# the model that sees the guarantee's violation: its own checker for RYW and MR; for MW and WFR
# the checkers' per-guarantee readings cannot (checkers/views.py), so PRAM resp. causal, with
# the other guarantees on (Brzeziński et al.: RYW+MR+MW = PRAM, all four = causal)
WITNESS = {"ryw": "read-your-writes", "mr": "monotonic-reads", "mw": "pram", "wfr": "causal"}


def _template(seed, steps, flags, bug=None, protocol="eventual-store"):
    r = random.Random(seed)
    slots = r.sample(["r1", "r2", "r3"], 3)
    workload, at, v = [], r.randint(0, 10), 0
    for c, f, key, slot in steps:
        op = {"f": f, "key": key, "replica": slots[slot]}
        if f == "put":
            v += 1
            op["value"] = v
        workload.append({"at": at, "node": f"c{c}", "client": f"c{c}", "op": op})
        at += r.randint(45, 90)  # longer than a round trip: one op at a time per client
    params = {"replicas": 3, "clients": 3, "gossip_interval": r.choice((60, 150, 300)), "horizon_ticks": 600}
    if protocol == "eventual-store":
        params.update(push=False, **flags)
    return {"protocol": protocol, "seed": seed, "bug": bug, "params": params, "workload": workload,
            "network": {"latency": {"kind": "uniform", "low": 1, "high": 20}, "reorder": r.choice((0.0, 0.3))}}


def _first_illegal(model, make, seeds):
    for seed in seeds:
        history, _ = history_from_trace(run(parse_scenario(make(seed))))
        if check(history, model).result == "illegal":
            return seed
    return None


def test_each_session_guarantee_is_violated_with_it_off_and_never_with_it_on():
    """Reference: Terry et al. 1994 (the four guarantees' definitions) — the four anomalies of a roaming
    client, each prevented by its guarantee."""
    found = {}
    for g, steps in TEMPLATES.items():
        off = dict(ALL_ON, **{g: False})
        found[g] = _first_illegal(WITNESS[g], lambda s: _template(s, steps, off), range(200))  # noqa: B023
        assert found[g] is not None, g
        assert _first_illegal(WITNESS[g], lambda s: _template(s, steps, ALL_ON), range(found[g] + 30)) is None, g
    assert found == {"ryw": 0, "mr": 1, "mw": 2, "wfr": 7}, found  # seeded: same seeds, same answer


def test_all_off_is_only_eventual():
    """With no guarantee the store is eventual only: a roaming client misses its own write and reads go back in time."""
    off = {g: False for g in ALL_ON}
    for g in ("ryw", "mr"):
        make = lambda s, g=g: _template(s, TEMPLATES[g], off)  # noqa: E731
        assert _first_illegal(WITNESS[g], make, range(50)) is not None, g


def test_no_clock_advance_is_caught():
    """Reference: Lamport 1978 IR2 — without it a write can be stamped below a write it follows and lose LWW."""
    found_inv = next(s for s in range(100) if "Clock Condition (IR2)" in _violated(
        run(parse_scenario(_roaming(s, flags=ALL_ON, bug="no-clock-advance")))))
    found_pram = _first_illegal("pram", lambda s: _roaming(s, flags=ALL_ON, bug="no-clock-advance"), range(300))
    assert (found_inv, found_pram) == (FOUND_BUG_INV, FOUND_BUG_PRAM)


FOUND_BUG_INV, FOUND_BUG_PRAM = 0, 73


# ------------------------------------------------------------------ presets tell their story
def _history(t):
    return history_from_trace(t)[0]


def test_stale_then_converge_preset():
    t = run(load_preset("eventual-store-stale-then-converge"))
    h = _history(t)
    reads = [o.output for o in h.ops if o.f == "get"]
    assert reads[0] is None and reads[-1] == 2  # stale first, the last writer's value at the end
    assert check(h, "eventual").result == "ok" and check(h, "read-your-writes").result == "illegal"
    final = t.states_at(t.n_steps - 1)
    stores = {n: {k: v["value"] for k, v in s["store"].items()} for n, s in final.items() if n.startswith("r")}
    assert check_convergence(stores, t.end["reason"] == "quiescent").result == "ok"


def test_read_your_writes_preset_refuses_the_stale_read_and_off_serves_it():
    sc = load_preset("eventual-store-read-your-writes")
    on = _history(run(sc))
    assert [o.status for o in on.ops if o.f == "get"][0] == "fail" and check(on, "read-your-writes").result == "ok"
    off = _history(run(sc.replace(params={**dict(sc.params), "ryw": False})))
    assert [o.output for o in off.ops if o.f == "get"][0] is None
    assert check(off, "read-your-writes").result == "illegal"


def test_monotonic_reads_preset_refuses_the_older_replica_and_off_goes_back_in_time():
    sc = load_preset("eventual-store-monotonic-reads")
    on = _history(run(sc))
    assert [(o.status, o.output) for o in on.ops if o.f == "get"] == [("ok", 1), ("fail", None), ("ok", 1)]
    assert check(on, "monotonic-reads").result == "ok"
    off = _history(run(sc.replace(params={**dict(sc.params), "mr": False})))
    assert [o.output for o in off.ops if o.f == "get"] == [1, None, 1]
    assert check(off, "monotonic-reads").result == "illegal"


def test_invariants_skipped_by_reads_give_the_same_verdicts():
    """``Invariant.reads`` lists every field each check reads: skipping unchanged steps changes no verdict."""
    import dataclasses

    every_step = dataclasses.replace(SPEC, invariants=tuple(dataclasses.replace(i, reads=()) for i in SPEC.invariants))
    broken: set[str] = set()
    for seed in range(5):
        sc = parse_scenario(_roaming(seed, flags=ALL_ON, bug=None if seed % 2 else "no-clock-advance"))
        changes = Simulation(sc).run().invariant_changes
        assert changes == Simulation(sc, every_step).run().invariant_changes
        broken |= {name for _s, name, v in changes if v is not None}
    assert broken  # the bug runs did break something, so the comparison is not vacuous
