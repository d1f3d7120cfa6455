"""Logical clocks (protocols/logical_clocks.py): Lamport 1978 IR1/IR2, Fidge/Mattern vector clocks.

The processes keep their own clocks; the simulator stamps every trace event with its own.
The two count different events (the simulator also ticks on boot, timer firings and
notes), so the values differ, but the happens-before relation between the protocol's
events must be the same: that is what ``test_protocol_clocks_agree_with_the_trace`` checks.
"""

from __future__ import annotations

import itertools
import random

from tests.strategies import fault_schedules
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocols import REGISTRY
from protocols.logical_clocks import Message, Process
from sim.causality import relation
from sim.engine import run
from sim.scenario import parse_scenario
from sim.trace import Event
from sim.types import Deliver, Note, Send, SetTimer, Start, Timer

SPEC = REGISTRY["logical-clocks"]
IDS = ("p1", "p2", "p3")


def proc(name="p2", bug=None, **over) -> Process:
    return Process(name, IDS, SPEC.resolve_params(over), bug, random.Random(0))


# ------------------------------------------------------------------ transcripts
def test_ir2_receive_takes_the_max_then_adds_one():
    p = proc()
    p.clock, p.vc, p.events = 2, [0, 2, 0], 2
    effects = p.step(Deliver(src="p1", msg=Message(ts=7, vc=(5, 0, 1))), 30)
    assert effects == [Note(key="lc.receive", args={"src": "p1", "ts": 7, "lamport": 8, "vc": [5, 3, 1]})]
    assert (p.clock, p.vc, p.events, p.last_receive) == (8, [5, 3, 1], 3, [7, 8])


def test_receive_of_an_older_timestamp_still_ticks():
    p = proc()
    p.clock, p.vc, p.events = 9, [0, 9, 0], 9
    p.step(Deliver(src="p3", msg=Message(ts=3, vc=(0, 0, 3))), 30)
    assert (p.clock, p.vc) == (10, [0, 10, 3])


def test_bug_no_max_on_receive_ignores_the_timestamp():
    p = proc(bug="no-max-on-receive")
    p.step(Deliver(src="p1", msg=Message(ts=7, vc=(7, 0, 0))), 30)
    assert p.clock == 1 and p.last_receive == [7, 1]
    assert SPEC.invariants[0].check({"p2": p.snapshot()}).key == "lc.violation.clock_condition"


def test_ir1_every_action_ticks_once_and_sends_carry_the_clock():
    p = proc(send_percent=100, events_per_process=2)
    (arm,) = p.step(Start(), 0)
    assert isinstance(arm, SetTimer) and arm.name == "act" and 1 <= arm.after <= 20
    effects = p.step(Timer(name="act"), 5)
    sends = [e for e in effects if isinstance(e, Send)]
    assert len(sends) == 1 and sends[0].msg == Message(ts=1, vc=(0, 1, 0)) and sends[0].dst in ("p1", "p3")
    assert any(isinstance(e, SetTimer) for e in effects)  # one action left
    effects = p.step(Timer(name="act"), 9)
    assert [e.msg.ts for e in effects if isinstance(e, Send)] == [2]
    assert not any(isinstance(e, SetTimer) for e in effects)  # bounded: no more actions
    assert p.step(Timer(name="act"), 12) == [] and p.events == 2


def test_local_event_note_carries_both_clocks():
    p = proc(send_percent=0)
    assert p.step(Timer(name="act"), 5)[0] == Note(key="lc.local_event", args={"lamport": 1, "vc": [0, 1, 0]})


# ------------------------------------------------------------------ runs
def lc(seed=1, bug=None, faults=(), **params):
    return parse_scenario({"protocol": "logical-clocks", "seed": seed, "bug": bug, "params": params,
                           "faults": list(faults), "limits": {"max_steps": 2_000}})


def protocol_events(t):
    """(trace event to compare with, protocol's lamport, protocol's vc) for every protocol-level event."""
    out = []
    for s in range(t.n_steps):
        evs = t.events_of_step(s)
        deliver = next((e for e in evs if e.kind == "deliver"), None)
        for e in evs:
            if e.kind == "send":
                out.append((e, e.payload["ts"], tuple(e.payload["vc"])))
            elif e.kind == "note" and e.detail["key"] == "lc.local_event":
                out.append((e, e.detail["args"]["lamport"], tuple(e.detail["args"]["vc"])))
            elif e.kind == "note" and e.detail["key"] == "lc.receive":
                out.append((deliver, e.detail["args"]["lamport"], tuple(e.detail["args"]["vc"])))
    return out


def _as_event(e: Event, vc) -> Event:
    return e._replace(vc=vc)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6), st.integers(2, 5), st.integers(1, 8))
def test_protocol_clocks_agree_with_the_trace(seed, n, k):
    t = run(lc(seed, processes=n, events_per_process=k))
    pe = protocol_events(t)
    assert len(pe) >= n * k  # every action, plus the receipts
    for (a, la, va), (b, lb, vb) in itertools.combinations(pe, 2):
        ours = relation(_as_event(a, va), _as_event(b, vb))
        assert ours == relation(a, b), (a, b, va, vb)
        if ours == "before":  # Clock Condition: a → b ⇒ C(a) < C(b), for both clocks
            assert la < lb and a.lamport < b.lamport
        elif ours == "after":
            assert la > lb and a.lamport > b.lamport


@st.composite
def faulty_runs(draw, bug=None):
    nodes = [f"p{i + 1}" for i in range(draw(st.integers(2, 6)))]
    faults = draw(fault_schedules(nodes, max_faults=6, max_time=200, max_msg=20, max_delay=60, after_step=False))
    return parse_scenario({
        "protocol": "logical-clocks", "bug": bug, "seed": draw(st.integers(0, 10**6)),
        "params": {"processes": len(nodes), "events_per_process": draw(st.integers(1, 10))},
        "network": {"duplicate": draw(st.sampled_from((0.0, 0.2))), "reorder": 0.3},
        "faults": faults, "limits": {"max_steps": 2_000}})


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(faulty_runs())
def test_correct_clocks_keep_their_invariants_under_faults(sc):
    t = run(sc)
    assert [c for c in t.invariant_changes if c[2] is not None] == []
    # the trace's own clocks obey the Clock Condition on every delivered message, too
    sent = {e.msg_id: e for e in t.events if e.kind == "send"}
    of = {e.msg_id: e.detail["of"] for e in t.events if e.kind == "duplicate"}
    for e in t.events:
        if e.kind == "deliver":
            mid = e.msg_id
            while mid in of:  # a duplicate fault may copy a copy: follow the chain back to the send
                mid = of[mid]
            s = sent[mid]
            assert s.lamport < e.lamport and relation(s, e) == "before"


def test_no_max_on_receive_is_caught_by_a_seed_sweep():
    found = set()
    for seed in range(1, 20):
        t = run(lc(seed, bug="no-max-on-receive", processes=3, events_per_process=8))
        found |= t.ever_violated()
    assert set(SPEC.bug("no-max-on-receive").breaks) <= found
    # the vector clocks were not touched by the bug, so their invariant still holds
    assert "Vector clock dominance" not in found


def test_the_correct_protocol_is_clean_on_the_same_sweep():
    for seed in range(1, 20):
        t = run(lc(seed, processes=3, events_per_process=8))
        assert t.invariant_changes == ()
        assert t.end["reason"] == "quiescent"  # bounded actions: every run ends by itself
