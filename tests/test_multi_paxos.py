"""Multi-Paxos (protocols/multi_paxos.py): transcripts citing the paper, invariants, runs, random faults, the bug.

Transcript tests feed one input to one server and compare the exact effects (h11 style); each
cites the section of van Renesse & Altinbuken, *Paxos Made Moderately Complex* (2015) it
checks. Property tests throw more than 2,000 seeded random fault schedules (crashes, restarts,
partitions, loss, duplication, reordering, retried client requests) at the correct protocol —
every invariant must hold at every step — and a seeded search over the same schedules must
catch the ``no-reproposal`` bug breaking Per-slot agreement.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lessons.presets import load_preset
from protocols import REGISTRY
from protocols.multi_paxos import (NOOP, P1a, P1b, P2a, P2b, CatchUp, Decision, Heartbeat, Request, Server,
                                   replica_view)
from sim.engine import Simulation, run
from sim.scenario import parse_scenario
from sim.types import CancelTimer, ClientRequest, Deliver, Note, Reply, Restart, Send, SetTimer, Start, Timer
from tests.strategies import fault_schedules

SPEC = REGISTRY["multi-paxos"]
IDS = ("s1", "s2", "s3")


def server(name="s1", bug=None, **over) -> Server:
    return Server(name, IDS, SPEC.resolve_params(over), bug, random.Random(0))


def put(client="c1", seq=1, key="x", value=1):
    return (client, seq, "put", key, value)


def leader_of(round_=1, pvalues=(), bug=None, **over) -> Server:
    """s1 as the active leader of ballot (round_, s1), adopted by s2 whose P1b reports ``pvalues``."""
    s = server(bug=bug, **over)
    s.ballot_num = (round_ - 1, "s9")
    s.step(Timer(name="election"), 0)
    s.step(Deliver(src="s2", msg=P1b(ballot=(round_, "s1"), accepted=tuple(pvalues))), 1)
    assert s.role == "leader" and s.ballot == (round_, "s1")
    return s


def client(s, op, name="c1", now=10):
    return s.step(ClientRequest(client=name, op=op), now)


# ------------------------------------------------------------------ transcripts: scout and acceptor
def test_election_timeout_starts_a_scout_with_a_fresh_ballot():
    """Reference: van Renesse & Altinbuken 2015, §2.4 — a scout sends P1a for a ballot (round, leader);
    §2.2 — ballots are lexicographically ordered pairs, so each leader owns its own."""
    s = server()
    [arm] = s.step(Start(), 0)
    assert arm.name == "election" and 150 <= arm.after <= 300  # drawn from the injected RNG
    effects = s.step(Timer(name="election"), arm.after)
    assert effects[0] == Note(key="mp.scout", args={"node": "s1", "ballot": "(1, s1)"})
    assert effects[1].name == "election"  # no majority in time: another, higher ballot
    assert effects[2:] == [Send(dst="s2", msg=P1a(ballot=(1, "s1"))), Send(dst="s3", msg=P1a(ballot=(1, "s1")))]
    assert (s.role, s.ballot, s.ballot_num, s.p1b_from) == ("scout", (1, "s1"), (1, "s1"), ["s1"])
    assert s.votes == [("promise", 1, "s1")]  # our own acceptor promised at once


def test_election_timeouts_come_from_the_seeded_rng_only():
    """Reference: van Renesse & Altinbuken 2015, §3 (liveness needs leaders that do not always compete):
    randomised timeouts, drawn from the node's own seeded generator."""
    draw = lambda k: Server("s1", IDS, SPEC.resolve_params({}), None, random.Random(k)).step(Start(), 0)[0].after
    assert draw(7) == draw(7) and len({draw(k) for k in range(20)}) > 5


def test_acceptor_promises_higher_ballots_and_reports_its_pvalues():
    """Reference: van Renesse & Altinbuken 2015, §2.2 — on P1a(b) with b > ballot_num the acceptor adopts b;
    it always answers P1b(ballot_num, accepted)."""
    a = server("s2")
    a.ballot_num, a.accepted = (1, "s1"), [((1, "s1"), 1, put())]
    effects = a.step(Deliver(src="s3", msg=P1a(ballot=(2, "s3"))), 5)
    assert effects[-2:] == [Note(key="mp.promise", args={"node": "s2", "ballot": "(2, s3)", "accepted": 1}),
                            Send(dst="s3", msg=P1b(ballot=(2, "s3"), accepted=(((1, "s1"), 1, put()),)))]
    # a lower ballot is not promised: the answer carries the higher one, which preempts that scout
    assert a.step(Deliver(src="s1", msg=P1a(ballot=(1, "s1"))), 6) == [
        Send(dst="s1", msg=P1b(ballot=(2, "s3"), accepted=(((1, "s1"), 1, put()),)))]
    assert a.votes == [("promise", 2, "s3")]


def test_acceptor_never_accepts_below_its_promise():
    """Reference: van Renesse & Altinbuken 2015, §2.2, invariant A2 — a pvalue is accepted only in a ballot
    not below ballot_num (here ``>=``, see the module's deviations)."""
    a = server("s2")
    a.ballot_num = (2, "s3")
    assert a.step(Deliver(src="s1", msg=P2a(ballot=(1, "s1"), slot=1, command=put())), 5) == [
        Note(key="mp.reject_p2a", args={"node": "s2", "ballot": "(1, s1)", "slot": 1, "promised": "(2, s3)"}),
        Send(dst="s1", msg=P2b(ballot=(2, "s3"), slot=1))]
    assert a.accepted == []
    effects = a.step(Deliver(src="s3", msg=P2a(ballot=(2, "s3"), slot=1, command=put())), 6)
    assert effects[0] == Note(key="mp.accept", args={"node": "s2", "ballot": "(2, s3)", "slot": 1,
                                                     "command": "c1#1 put x=1"})
    assert effects[-1] == Send(dst="s3", msg=P2b(ballot=(2, "s3"), slot=1))
    assert a.accepted == [((2, "s3"), 1, put())] and a.votes == [("accept", 2, "s3", 1)]


# ------------------------------------------------------------------ transcripts: leader
def test_adopted_leader_reproposes_the_highest_ballot_pvalue_and_fills_holes_with_noops():
    """Reference: van Renesse & Altinbuken 2015, §2.5 — on adoption, proposals := proposals ◁ pmax(pvals);
    §3 — holes below the highest known slot are filled with no-ops."""
    s = server()
    mine, theirs = put("c1", 1, value=1), put("c2", 1, value=2)
    s.ballot_num, s.accepted = (2, "s3"), [((1, "s2"), 3, mine)]  # our own acceptor voted in ballot (1, s2)
    s.step(Timer(name="election"), 0)
    effects = s.step(Deliver(src="s2", msg=P1b(ballot=(3, "s1"), accepted=(((2, "s3"), 3, theirs),))), 1)
    assert effects[:5] == [
        Note(key="mp.adopted", args={"node": "s1", "ballot": "(3, s1)", "acceptors": "s1, s2"}),
        CancelTimer(name="election"),
        Note(key="mp.repropose", args={"node": "s1", "slot": 3, "command": "c2#1 put x=2", "from": "(2, s3)"}),
        Note(key="mp.noop", args={"node": "s1", "slots": "1, 2"}),
        Send(dst="s2", msg=P2a(ballot=(3, "s1"), slot=1, command=NOOP))]
    assert s.proposals == {1: NOOP, 2: NOOP, 3: theirs} and s.slot_in == 4  # pmax: (2, s3) beats (1, s2)
    assert Send(dst="s3", msg=P2a(ballot=(3, "s1"), slot=3, command=theirs)) in effects
    assert effects[-3:] == [Send(dst="s2", msg=Heartbeat(ballot=(3, "s1"), slot_out=1)),
                            Send(dst="s3", msg=Heartbeat(ballot=(3, "s1"), slot_out=1)),
                            SetTimer(name="heartbeat", after=50)]


def test_no_reproposal_bug_overwrites_open_slots():
    """Reference: van Renesse & Altinbuken 2015, §2.5 — without pmax a new leader may propose another
    command for a slot in which a command was already chosen."""
    s = server(bug="no-reproposal")
    s.requests = [put("c9", 1, value=9)]
    s.step(Timer(name="election"), 0)
    effects = s.step(Deliver(src="s2", msg=P1b(ballot=(1, "s1"), accepted=(((0, "s3"), 2, put()),))), 1)
    assert Note(key="mp.ignore_pvalues", args={"node": "s1", "count": 1}) in effects
    assert s.proposals == {1: put("c9", 1, value=9), 2: NOOP}  # slot 2's accepted c1#1 is gone


def test_stable_leader_skips_phase_1_and_decides_on_a_majority_of_p2b():
    """Reference: van Renesse & Altinbuken 2015, §2.3 (commander: P2a, then a majority of P2b decides the slot)
    and §2.5 (an active leader spawns a commander at once: no new scout for later slots)."""
    s = leader_of()
    effects = client(s, {"f": "put", "key": "x", "value": 7, "seq": 1})
    c = put(value=7)
    assert effects == [Note(key="mp.propose", args={"node": "s1", "slot": 1, "command": "c1#1 put x=7",
                                                    "ballot": "(1, s1)"}),
                       Send(dst="s2", msg=P2a(ballot=(1, "s1"), slot=1, command=c)),
                       Send(dst="s3", msg=P2a(ballot=(1, "s1"), slot=1, command=c))]
    assert not any(isinstance(e, Send) and isinstance(e.msg, P1a) for e in effects)
    effects = s.step(Deliver(src="s3", msg=P2b(ballot=(1, "s1"), slot=1)), 20)
    assert effects == [Note(key="mp.chosen", args={"node": "s1", "slot": 1, "command": "c1#1 put x=7",
                                                   "ballot": "(1, s1)"}),
                       Send(dst="s2", msg=Decision(slot=1, command=c)), Send(dst="s3", msg=Decision(slot=1, command=c)),
                       Reply(client="c1", result={"ok": True})]
    assert (s.slot_out, s.kv, s.decided, s.applied) == (2, {"x": 7}, {"1": "c1#1 put x=7"}, [1])
    client(s, {"f": "get", "key": "x", "seq": 2}, now=30)
    assert s.step(Deliver(src="s2", msg=P2b(ballot=(1, "s1"), slot=2)), 40)[-1] == Reply(
        client="c1", result={"ok": True, "value": 7})


def test_a_higher_ballot_preempts_the_leader():
    """Reference: van Renesse & Altinbuken 2015, §2.5 — on Preempted(b') with b' > ballot_num the leader
    becomes passive."""
    s = leader_of()
    effects = s.step(Deliver(src="s2", msg=P2b(ballot=(3, "s2"), slot=1)), 9)
    assert effects[:2] == [Note(key="mp.preempted", args={"node": "s1", "ballot": "(1, s1)", "by": "(3, s2)"}),
                           CancelTimer(name="heartbeat")]
    assert effects[2].name == "election"
    assert (s.role, s.ballot_num, s.proposals) == ("follower", (3, "s2"), {})


def test_heartbeat_resends_p2a_to_acceptors_that_did_not_answer():
    """Reference: van Renesse & Altinbuken 2015, §2.3 — a commander waits for a majority; over lossy links we
    retransmit P2a on the leader's heartbeat, once the slot has been open for a whole heartbeat interval."""
    s = leader_of()
    client(s, {"f": "put", "key": "x", "value": 1, "seq": 1})
    beat = [Send(dst="s2", msg=Heartbeat(ballot=(1, "s1"), slot_out=1)),
            Send(dst="s3", msg=Heartbeat(ballot=(1, "s1"), slot_out=1))]
    assert s.step(Timer(name="heartbeat"), 60) == beat + [SetTimer(name="heartbeat", after=50)]  # maybe in flight
    assert s.step(Timer(name="heartbeat"), 110) == beat + [
        Send(dst="s2", msg=P2a(ballot=(1, "s1"), slot=1, command=put())),
        Send(dst="s3", msg=P2a(ballot=(1, "s1"), slot=1, command=put())), SetTimer(name="heartbeat", after=50)]


# ------------------------------------------------------------------ transcripts: replica
def test_follower_forwards_requests_to_the_leader_it_knows():
    """Reference: van Renesse & Altinbuken 2015, §2.1 — a replica turns a client request into a proposal for
    the leaders; here it forwards it to the owner of the highest ballot it has seen."""
    f = server("s2")
    assert client(f, {"f": "put", "key": "x", "value": 1, "seq": 1}) == [
        Note(key="mp.no_leader", args={"node": "s2", "count": 1})]
    f.step(Deliver(src="s1", msg=Heartbeat(ballot=(1, "s1"), slot_out=1)), 11)
    assert client(f, {"f": "get", "key": "x", "seq": 2}, now=12) == [
        Note(key="mp.forward", args={"node": "s2", "leader": "s1", "commands": "c1#2 get x"}),
        Send(dst="s1", msg=Request(command=("c1", 2, "get", "x", None)))]
    assert client(f, {"f": "cas", "key": "x"}) == [Reply(client="c1", result={"error": "bad_op"})]


def test_replica_applies_decisions_in_slot_order_without_gaps():
    """Reference: van Renesse & Altinbuken 2015, §2.1 — a replica performs decisions in slot order from
    slot_out (invariants R2, R3); a later slot waits for the gap below it."""
    r = server("s2")
    client(r, {"f": "put", "key": "x", "value": 2, "seq": 1}, name="c2")
    assert r.step(Deliver(src="s1", msg=Decision(slot=2, command=put("c2", 1, value=2))), 5) == []
    assert (r.slot_out, r.kv, r.applied) == (1, {}, [])
    assert r.step(Deliver(src="s1", msg=Decision(slot=1, command=put("c1", 1, value=1))), 6) == [
        Reply(client="c2", result={"ok": True})]
    assert (r.slot_out, r.kv, r.applied) == (3, {"x": 2}, [1, 2])


def test_a_command_decided_twice_is_applied_once_and_a_retry_is_answered_again():
    """Reference: van Renesse & Altinbuken 2015, §2.1 (perform: a command already decided in a lower slot is
    skipped) — exactly-once by client id and sequence number."""
    r = server("s2")
    c = put("c1", 5, value=1)
    client(r, {"f": "put", "key": "x", "value": 1, "seq": 5})
    assert r.step(Deliver(src="s1", msg=Decision(slot=1, command=c)), 5) == [Reply(client="c1",
                                                                                   result={"ok": True})]
    r.step(Deliver(src="s1", msg=Decision(slot=2, command=put("c2", 1, value=2))), 6)
    assert r.step(Deliver(src="s1", msg=Decision(slot=3, command=c)), 7) == [
        Note(key="mp.skip_duplicate", args={"node": "s2", "slot": 3, "command": "c1#5 put x=1"})]
    assert r.kv == {"x": 2}  # not x=1 again
    assert client(r, {"f": "put", "key": "x", "value": 1, "seq": 5}, now=8) == [
        Note(key="mp.duplicate_reply", args={"node": "s2", "command": "c1#5 put x=1"}),
        Reply(client="c1", result={"ok": True})]


def test_leader_does_not_propose_a_command_twice_and_catches_replicas_up():
    """Reference: van Renesse & Altinbuken 2015, §2.5 (a proposal for a command already in a slot is
    ignored) and §2.1 (replicas learn every decision)."""
    s = leader_of()
    client(s, {"f": "put", "key": "x", "value": 1, "seq": 1})
    assert s.step(Deliver(src="s2", msg=Request(command=put())), 11) == []
    s.step(Deliver(src="s2", msg=P2b(ballot=(1, "s1"), slot=1)), 12)
    assert s.step(Deliver(src="s3", msg=CatchUp(slot_out=1)), 13) == [Send(dst="s3",
                                                                           msg=Decision(slot=1, command=put()))]
    f = server("s3")
    effects = f.step(Deliver(src="s1", msg=Heartbeat(ballot=(1, "s1"), slot_out=2)), 14)
    assert effects[-1] == Send(dst="s1", msg=CatchUp(slot_out=1))


def test_restart_keeps_the_acceptor_state_and_the_histories():
    """Reference: van Renesse & Altinbuken 2015, §3 — acceptors keep ballot_num and accepted on disk;
    replica and leader state is rebuilt."""
    assert server().durable_fields() == ("ballot_num", "accepted", "decided", "applied", "votes")
    s = server("s2")
    s.restore_durable({"ballot_num": [2, "s1"], "accepted": [[[2, "s1"], 1, ["c1", 1, "put", "x", 1]]],
                       "decided": {"1": "c1#1 put x=1"}, "applied": [1], "votes": []})
    assert s.ballot_num == (2, "s1") and s.accepted == [((2, "s1"), 1, put())]  # JSON lists back to tuples
    effects = s.step(Restart(), 100)
    assert effects[0] == Note(key="mp.restart", args={"node": "s2", "ballot": "(2, s1)", "accepted": 1})
    assert effects[1].name == "election" and (s.role, s.slot_out, s.kv) == ("follower", 1, {})
    assert s.step(Timer(name="election"), 200)[0].args["ballot"] == "(3, s2)"  # never reuses a ballot


def test_horizon_stops_timers_so_runs_end():
    assert server(horizon_ticks=100).step(Start(), 100) == [CancelTimer(name="election")]


# ---------------------------------------------------------------------- invariants
def _inv(name):
    return next(i for i in SPEC.invariants if i.name == name)


def test_invariants_on_hand_made_states():
    ok = {"s1": {"decided": {"1": "a", "2": "b"}, "applied": [1, 2], "votes": [["promise", 1, "s1"],
                                                                               ["accept", 1, "s1", 1]]},
          "s2": {"decided": {"1": "a"}, "applied": [1], "votes": []}}
    assert all(inv.check(ok) is None for inv in SPEC.invariants)
    split = {"s1": {"decided": {"2": "b"}}, "s2": {"decided": {"2": "no-op"}}}
    assert _inv("Per-slot agreement").check(split).args == {"slot": 2, "a": "s1", "first": "b", "b": "s2",
                                                            "second": "no-op"}
    gap = {"s1": {"applied": [1, 3]}}
    assert _inv("In-order application").check(gap).args == {"node": "s1", "slot": 3, "expected": 2}
    below = {"s1": {"votes": [["promise", 2, "s3"], ["accept", 1, "s9", 4]]}}
    assert _inv("Promise respected").check(below).args == {"node": "s1", "ballot": "(1, s9)",
                                                           "promised": "(2, s3)"}
    crashed = {"s1": {"ballot_num": None, "decided": None, "applied": None, "votes": None}}
    assert all(inv.check(crashed) is None for inv in SPEC.invariants)


def test_replica_view_reads_decisions_accepted_pvalues_and_a_crashed_server():
    s = leader_of(2)
    s.accepted = [((1, "s3"), 1, NOOP), ((2, "s1"), 1, put()), ((1, "s3"), 2, NOOP)]
    s.decisions = {1: put()}
    view = replica_view(s.snapshot())
    assert (view.role, view.epoch, view.up) == ("leader", 2, True)
    assert [(e.index, e.epoch, e.label, e.committed) for e in view.entries] == [(1, 2, "c1#1 put x=1", True),
                                                                               (2, 1, "no-op", False)]
    down = {"ballot_num": [2, "s1"], "accepted": [], "decided": {"1": "c1#1 put x=1"}, "applied": [1], "votes": [],
            "role": None}
    view = replica_view(down)
    assert not view.up and [(e.index, e.label, e.committed) for e in view.entries] == [(1, "c1#1 put x=1", True)]


# ---------------------------------------------------------------------- runs
def _violated(t) -> set[str]:
    return t.ever_violated()


def test_default_run_elects_one_leader_that_runs_phase_1_once():
    """Reference: van Renesse & Altinbuken 2015, §2.5 — once adopted, a stable leader decides every later slot
    with phase 2 only; every replica applies the same commands."""
    for seed in range(1, 6):
        t = run(parse_scenario({"protocol": "multi-paxos", "seed": seed}))
        assert t.end["reason"] == "quiescent" and _violated(t) == set()
        adopted = max(e.step for e in t.events if e.kind == "note" and e.detail["key"] == "mp.adopted")
        assert adopted < 20  # the first election settles early (two scouts may duel once)...
        assert all(e.step < adopted for e in t.events if e.kind == "note" and e.detail["key"] == "mp.scout")
        final = t.states_at(t.n_steps - 1)
        assert [s["role"] for s in final.values()].count("leader") == 1
        assert len({json.dumps(s["decided"], sort_keys=True) for s in final.values()}) == 1
        assert len({json.dumps(s["kv"], sort_keys=True) for s in final.values()}) == 1
        assert sum(e.kind == "return" for e in t.events) == 6


def test_same_scenario_same_trace_bytes():
    sc = parse_scenario(_rounds(3))
    assert run(sc).to_json() == run(sc).to_json()


def _ops_round(r, ids, k, at):
    """Every server gets a put from its own client (seq k); sometimes a client retries at another server."""
    ops = [{"at": at, "node": s, "client": f"c{j}", "op": {"f": "put", "key": "x", "value": k, "seq": k}}
           for j, s in enumerate(ids)]
    if r.random() < 0.3:
        j = r.randrange(len(ids))
        ops.append({"at": at + r.randint(20, 60), "node": r.choice(ids), "client": f"c{j}",
                    "op": {"f": "put", "key": "x", "value": k, "seq": k}})
    return ops


def _rounds(seed, bug=None, n=None):
    """Every 30–50 ticks: maybe crash, restart, partition or heal, and maybe one client op at every server."""
    r = random.Random(seed)
    n = n or r.choice((3, 5))
    ids = [f"s{i + 1}" for i in range(n)]
    horizon, faults, workload, down = 400, [], [], set()
    for k, at in enumerate(range(r.randint(0, 40), horizon - 60, r.choice((30, 50)))):
        act = r.random()
        if act < 0.3 and len(down) < n // 2 + 1:
            v = r.choice([x for x in ids if x not in down])
            down.add(v)
            faults.append({"type": "crash", "node": v, "at": at + r.randint(0, 10)})
        elif act < 0.6 and down:
            v = r.choice(sorted(down))
            down.discard(v)
            faults.append({"type": "restart", "node": v, "at": at + r.randint(0, 10)})
        elif act < 0.7:
            faults.append({"type": "partition", "groups": [r.sample(ids, r.randint(1, n // 2))], "at": at})
        elif act < 0.8:
            faults.append({"type": "heal", "at": at})
        if r.random() < 0.5:
            workload += _ops_round(r, ids, k, at)
    lo = r.choice((20, 40))
    return {"protocol": "multi-paxos", "bug": bug, "seed": seed,
            "params": {"nodes": n, "horizon_ticks": horizon, "election_timeout_min": lo,
                       "election_timeout_max": lo + r.choice((5, 40)), "heartbeat_interval": 20},
            "network": {"loss": r.choice((0.0, 0.1)), "duplicate": r.choice((0.0, 0.1)),
                        "reorder": r.choice((0.0, 0.2)),
                        "latency": {"kind": "uniform", "low": 1, "high": r.choice((5, 20))}},
            "faults": faults, "workload": workload, "limits": {"max_steps": 5000}}


def _quick_restarts(seed, bug=None, n=3):
    """Contested first elections (narrow timeouts, slow links), crashes that last a few ticks, a few ops."""
    r = random.Random(seed)
    ids = [f"s{i + 1}" for i in range(n)]
    faults = []
    for _ in range(r.randint(1, 6)):
        v, at = r.choice(ids), r.randint(40, 140)
        faults += [{"type": "crash", "node": v, "at": at}, {"type": "restart", "node": v, "at": at + r.randint(1, 20)}]
    workload = [{"at": r.randint(30, 150), "node": r.choice(ids), "client": f"c{k}",
                 "op": {"f": "put", "key": "x", "value": k, "seq": 1}} for k in range(r.randint(1, 4))]
    return {"protocol": "multi-paxos", "bug": bug, "seed": seed,
            "params": {"nodes": n, "horizon_ticks": 250, "election_timeout_min": 50, "election_timeout_max": 60,
                       "heartbeat_interval": 20},
            "network": {"latency": {"kind": "uniform", "low": 1, "high": 40}, "duplicate": r.choice((0.0, 0.1))},
            "faults": faults, "workload": workload, "limits": {"max_steps": 3000}}


def _isolations(seed, bug=None, n=3):
    """Every 150–300 ticks the partition moves (one random server cut off); then every server gets an op."""
    r = random.Random(seed)
    ids = [f"s{i + 1}" for i in range(n)]
    horizon, faults, workload = 1000, [], []
    at = r.randint(150, 300)
    while at < horizon - 200:
        faults.append({"type": "heal", "at": at})
        if r.random() < 0.8:
            faults.append({"type": "partition", "groups": [[r.choice(ids)]], "at": at})
        workload += _ops_round(r, ids, len(workload), at + r.randint(1, 60))
        at += r.randint(150, 300)
    faults.append({"type": "heal", "at": at})
    return {"protocol": "multi-paxos", "bug": bug, "seed": seed,
            "params": {"nodes": n, "horizon_ticks": horizon, "election_timeout_min": 100,
                       "election_timeout_max": 200, "heartbeat_interval": 40},
            "network": {"latency": {"kind": "uniform", "low": 5, "high": 15}, "loss": r.choice((0.0, 0.05))},
            "faults": faults, "workload": workload, "limits": {"max_steps": 5000}}


# 2,000 seeded random fault schedules for the correct protocol, in chunks so pytest-xdist can share them out
SWEEPS = [(make, range(k, k + size)) for make, total, size in ((_rounds, 400, 200), (_quick_restarts, 1200, 600),
                                                                (_isolations, 400, 200))
          for k in range(0, total, size)]


@pytest.mark.parametrize("make, seeds", SWEEPS, ids=[f"{m.__name__}-{s.start}" for m, s in SWEEPS])
def test_correct_protocol_keeps_every_invariant_under_random_fault_schedules(make, seeds):
    """Reference: van Renesse & Altinbuken 2015, §2 (R1–R3, A2) — the invariants hold at every step,
    whatever the crashes, restarts, partitions, loss, duplication and reordering."""
    for seed in seeds:
        t = run(parse_scenario(make(seed)))
        assert _violated(t) == set(), (make.__name__, seed, t.invariant_changes)
        assert t.end["reason"] == "quiescent", (make.__name__, seed)


def test_the_sweeps_cover_at_least_2000_schedules():
    assert sum(len(seeds) for _make, seeds in SWEEPS) >= 2_000


@settings(max_examples=40, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
@given(st.integers(0, 10**6), fault_schedules(IDS, one_way=True, max_time=300),
       st.sampled_from((0.0, 0.1, 0.3)), st.sampled_from((0.0, 0.2)), st.sampled_from((0.0, 0.3)))
def test_correct_protocol_under_the_shared_fault_schedules(seed, faults, loss, dup, reorder):
    """Reference: van Renesse & Altinbuken 2015, §2 — also under the faults every protocol's properties use
    (one-way cuts, dropped/duplicated/delayed messages, clock skew)."""
    t = Simulation(parse_scenario({
        "protocol": "multi-paxos", "seed": seed, "faults": faults,
        "params": {"horizon_ticks": 400, "election_timeout_min": 30, "election_timeout_max": 60,
                   "heartbeat_interval": 20},
        "workload": [{"at": at, "node": s, "client": f"c{i}", "op": {"f": "put", "key": "x", "value": i, "seq": 1}}
                     for i, (at, s) in enumerate((a, s) for a in (100, 200, 300) for s in IDS)],
        "network": {"loss": loss, "duplicate": dup, "reorder": reorder,
                    "latency": {"kind": "uniform", "low": 1, "high": 20}},
        "limits": {"max_steps": 5000}}), verify_logs=True).run()  # also checks the Node.LOGS contract
    assert _violated(t) == set(), t.invariant_changes


def test_no_reproposal_is_caught_breaking_per_slot_agreement():
    """Reference: van Renesse & Altinbuken 2015, §2.5 — a new leader that does not re-propose pmax(pvals)
    overwrites commands already chosen in open slots. The first seed of the correct protocol's own
    ``_rounds`` sweep that breaks it; the same schedule is safe without the bug."""
    found = next(seed for seed in range(200) if "Per-slot agreement" in _violated(
        run(parse_scenario(_rounds(seed, "no-reproposal")))))
    assert set(SPEC.bug("no-reproposal").breaks) <= _violated(run(parse_scenario(_rounds(found, "no-reproposal"))))
    assert _violated(run(parse_scenario(_rounds(found)))) == set()


def test_cli_lists_multi_paxos_with_its_invariants_and_bug():
    out = subprocess.run([sys.executable, "-m", "sim", "list", "--json"], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1]).stdout
    mp = next(p for p in json.loads(out) if p["id"] == "multi-paxos")
    assert [i["name"] for i in mp["invariants"]] == ["Per-slot agreement", "In-order application",
                                                     "Promise respected"]
    assert [b["id"] for b in mp["bugs"]] == ["no-reproposal"]


# ---------------------------------------------------------------------- client histories
def test_multi_paxos_kv_client_histories_are_linearizable():
    """The replicated key-value store is linearizable (curriculum §4.6): what clients saw, checked by
    ``checkers`` on histories taken from traces — with loss, a leader crash and restarts."""
    from checkers import check
    from checkers.from_trace import history_from_trace

    ops = [{"at": 300 + 37 * i, "node": f"s{1 + i % 3}", "client": f"c{i % 4}",
            "op": ({"f": "get", "key": "y", "seq": i} if i % 3 == 0
                   else {"f": "put", "key": "xy"[i % 2], "value": i, "seq": i})}
           for i in range(24)]
    checked = 0
    for seed in range(6):
        faults = [{"type": "crash", "node": f"s{1 + seed % 3}", "at": 500},
                  {"type": "restart", "node": f"s{1 + seed % 3}", "at": 800}] if seed % 2 else []
        scenario = parse_scenario({"protocol": "multi-paxos", "seed": seed,
                                   "params": {"nodes": 3, "horizon_ticks": 1500},
                                   "network": {"loss": 0.05, "latency": {"kind": "uniform", "low": 5, "high": 25}},
                                   "faults": faults, "workload": ops})
        history, _ = history_from_trace(run(scenario))
        assert history.datatype == "kv" and history.ops
        verdict = check(history, "linearizable")
        assert verdict.result == "ok", (seed, verdict.explanation)
        checked += sum(o.status == "ok" for o in history.ops)
    assert checked > 60


# ---------------------------------------------------------------------- presets tell their story
def _preset(preset_id, **over):
    sc = load_preset(preset_id)
    return run(sc.replace(**over) if over else sc)


def _notes(t, key):
    return [e for e in t.events if e.kind == "note" and e.detail["key"] == key]


def test_leader_change_preset_reproposes_the_open_slot_and_fills_a_hole():
    """Reference: van Renesse & Altinbuken 2015, §2.5 — the new leader learns the minority-accepted value in
    phase 1, re-proposes it in its slot and fills the hole below with a no-op."""
    t = _preset("multi-paxos-leader-change")
    assert _violated(t) == set() and t.end["reason"] == "quiescent"
    [first, second] = _notes(t, "mp.adopted")
    crash = next(e for e in t.events if e.kind == "crash")
    assert first.node == crash.node != second.node and first.step < crash.step < second.step
    [again] = _notes(t, "mp.repropose")
    [hole] = _notes(t, "mp.noop")
    assert again.node == hole.node == second.node
    assert int(hole.detail["args"]["slots"]) < again.detail["args"]["slot"]
    final = t.states_at(t.n_steps - 1)
    slot = str(again.detail["args"]["slot"])
    assert {s["decided"][slot] for s in final.values() if s["decided"]} == {again.detail["args"]["command"]}
    # with the bug, the same schedule loses that value: the new leader proposes a no-op in its slot instead
    buggy = _preset("multi-paxos-leader-change", bug="no-reproposal")
    assert not _notes(buggy, "mp.repropose")
    assert {s["decided"][slot] for s in buggy.states_at(buggy.n_steps - 1).values() if s["decided"]} == {"no-op"}


def test_happy_path_preset_runs_phase_1_once():
    t = _preset("multi-paxos-happy-path")
    assert len(_notes(t, "mp.scout")) == 1 and len(_notes(t, "mp.adopted")) == 1
    assert len(_notes(t, "mp.chosen")) >= 3 and _violated(t) == set()


def test_bug_preset_loses_an_acknowledged_write_only_with_the_bug():
    """Reference: van Renesse & Altinbuken 2015, §2.5 — pmax(pvals) is what keeps a chosen command chosen."""
    buggy = _preset("multi-paxos-bug-no-reproposal")
    assert "Per-slot agreement" in _violated(buggy)
    reads = [e.detail["result"] for e in buggy.events if e.kind == "return" and e.detail["client"] == "c3"]
    assert reads == [{"ok": True, "value": 1}]  # c2's acknowledged x=2 is gone
    fixed = _preset("multi-paxos-bug-no-reproposal", bug=None)
    assert _violated(fixed) == set() and len(_notes(fixed, "mp.repropose")) == 1
    assert [e.detail["result"] for e in fixed.events if e.kind == "return" and e.detail["client"] == "c3"] == [
        {"ok": True, "value": 2}]
