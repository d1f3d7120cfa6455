"""Reliable, FIFO, causal and total-order broadcast (protocols/*_broadcast.py, protocols/broadcast_common.py).

Transcripts feed one input to one process and compare the exact effects, citing the rule they
check. The invariants are tested on hand-made histories (each can fail). Seeded sweeps run
2,000 random fault schedules per module (loss, duplication, reordering, partitions, crashes and
restarts) with zero violations and, at the end of each run, every broadcast delivered
everywhere; seeded searches over the same generator catch every bug variant. The presets are
checked for the story they tell.
"""

from __future__ import annotations

import dataclasses
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lessons.presets import load_preset
from protocols import REGISTRY
from protocols.broadcast_common import (Ack, Bcast, agreement_check, causal_order, fifo_order, integrity,
                                        total_order)
from protocols.causal_broadcast import CausalProcess
from protocols.fifo_broadcast import FifoProcess
from protocols.reliable_broadcast import ReliableProcess
from protocols.total_order_broadcast import TotalOrderProcess
from sim.engine import Simulation, run
from sim.scenario import parse_scenario
from sim.types import ClientRequest, Deliver, Note, Reply, Restart, Send, SetTimer, Timer
from tests.strategies import fault_schedules

IDS = ("p1", "p2", "p3")
MODULES = ("reliable-broadcast", "fifo-broadcast", "causal-broadcast", "total-order-broadcast")


def proc(cls, name="p1", bug=None, protocol="reliable-broadcast", **over):
    params = REGISTRY[protocol].resolve_params(over)
    return cls(name, IDS, params, bug, random.Random(0))


def bcast(mid, value="v", **stamp):
    origin, seq = mid.split(":")
    return Bcast(mid=mid, origin=origin, seq=int(seq), value=value, stamp=stamp)


def notes(effects, key):
    return [e.args for e in effects if isinstance(e, Note) and e.key == key]


def sends(effects):
    return [(e.dst, e.msg) for e in effects if isinstance(e, Send)]


# ------------------------------------------------------------------ transcripts: links and workload
def test_broadcast_delivers_to_self_and_sends_to_everyone_else():
    """Reference: Kleppmann's notes §4.3 (eager reliable broadcast): the origin delivers its own message."""
    p = proc(ReliableProcess)
    effects = p.step(ClientRequest(client="p1", op={"f": "broadcast", "value": "hi"}), 0)
    m = bcast("p1:1", "hi")
    assert effects == [Note(key="bc.broadcast", args={"node": "p1", "mid": "p1:1", "value": "hi"}),
                       Note(key="bc.deliver", args={"node": "p1", "mid": "p1:1", "value": "hi"}),
                       Send(dst="p2", msg=m), Send(dst="p3", msg=m),
                       Reply(client="p1", result={"ok": True, "value": "p1:1"}),
                       SetTimer(name="retransmit", after=40)]
    assert p.delivered == ["p1:1"] and p.inbox == ["hi"] and p.unacked["p1:1"]["to"] == ["p2", "p3"]
    assert p.broadcasts == [{"mid": "p1:1", "value": "hi", "seen": 0}]


def test_first_receipt_relays_then_delivers_and_copies_are_only_acknowledged():
    """Reference: Kleppmann's notes §4.3 — "the first time a node receives a particular message, it
    re-broadcasts to each other node"; later copies are dropped (no duplication)."""
    p = proc(ReliableProcess, "p2")
    m = bcast("p1:1")
    first = p.step(Deliver(src="p1", msg=m), 5)
    assert first[0] == Send(dst="p1", msg=Ack(mid="p1:1"))
    assert sends(first)[1:] == [("p1", m), ("p3", m)]  # relay to everyone else, before delivering
    assert notes(first, "bc.deliver") == [{"node": "p2", "mid": "p1:1", "value": "v"}]
    assert p.step(Deliver(src="p3", msg=m), 6) == [Send(dst="p3", msg=Ack(mid="p1:1"))]
    assert p.delivered == ["p1:1"]


def test_retransmission_until_acknowledged_and_not_after_the_horizon():
    """Reference: Kleppmann's notes §2.3 — reliable links from fair-loss links by retransmission."""
    p = proc(ReliableProcess, horizon_ticks=100)
    p.step(ClientRequest(client="p1", op={"f": "broadcast", "value": "hi"}), 0)
    p.step(Deliver(src="p2", msg=Ack(mid="p1:1")), 10)
    effects = p.step(Timer(name="retransmit"), 40)
    assert effects == [Send(dst="p3", msg=bcast("p1:1", "hi")), SetTimer(name="retransmit", after=40)]
    assert p.step(Timer(name="retransmit"), 120) == [Send(dst="p3", msg=bcast("p1:1", "hi"))]  # past the horizon
    p.step(Deliver(src="p3", msg=Ack(mid="p1:1")), 130)
    assert p.unacked == {} and p.step(Restart(), 140) == []


def test_a_reply_waits_until_the_question_is_delivered():
    """The workload's ``after``: p2 broadcasts its reply only once it has delivered the question."""
    p = proc(CausalProcess, "p2", protocol="causal-broadcast")
    wait = p.step(ClientRequest(client="c", op={"f": "broadcast", "value": "reply", "after": "question"}), 0)
    assert notes(wait, "bc.wait") == [{"node": "p2", "value": "reply", "after": "question"}]
    assert p.broadcasts == [] and p.waiting == [["c", "reply", "question"]]
    effects = p.step(Deliver(src="p1", msg=bcast("p1:1", "question", vc={"p1": 1, "p2": 0, "p3": 0})), 10)
    assert p.inbox == ["question", "reply"] and p.waiting == []
    assert Reply(client="c", result={"ok": True, "value": "p2:1"}) in effects
    assert p.broadcasts == [{"mid": "p2:1", "value": "reply", "seen": 1}]
    assert ("p3", bcast("p2:1", "reply", vc={"p1": 1, "p2": 1, "p3": 0})) in sends(effects)


# ------------------------------------------------------------------ transcripts: delivery rules
def test_fifo_holds_back_a_message_until_the_senders_earlier_ones():
    """Reference: Kleppmann's notes §4.3 (FIFO broadcast algorithm): deliver m from j when seq = next[j]."""
    p = proc(FifoProcess, "p3", protocol="fifo-broadcast")
    held = p.step(Deliver(src="p2", msg=bcast("p1:2", "b")), 1)
    assert notes(held, "bc.hold")[0]["mids"] == "p1:2" and p.delivered == []
    p.step(Deliver(src="p1", msg=bcast("p1:1", "a")), 2)
    assert p.delivered == ["p1:1", "p1:2"] and p.holdback == [] and p.next_seq["p1"] == 3


def test_fifo_bug_delivers_on_arrival():
    p = proc(FifoProcess, "p3", bug="no-holdback", protocol="fifo-broadcast")
    p.step(Deliver(src="p2", msg=bcast("p1:2", "b")), 1)
    assert p.delivered == ["p1:2"]


def test_causal_rule_holds_the_reply_until_the_question():
    """Reference: Birman, Schiper & Stephenson 1991 — deliver m from j when V_m[j] = V_i[j] + 1 and
    V_m[k] ≤ V_i[k] for every k ≠ j."""
    p = proc(CausalProcess, "p3", protocol="causal-broadcast")
    reply = bcast("p2:1", "reply", vc={"p1": 1, "p2": 1, "p3": 0})
    p.step(Deliver(src="p2", msg=reply), 1)
    assert p.delivered == [] and [h["mid"] for h in p.holdback] == ["p2:1"]
    p.step(Deliver(src="p1", msg=bcast("p1:1", "question", vc={"p1": 1, "p2": 0, "p3": 0})), 2)
    assert p.inbox == ["question", "reply"] and p.vc == {"p1": 1, "p2": 1, "p3": 0} and p.holdback == []


def test_causal_bug_checks_only_the_senders_entry():
    p = proc(CausalProcess, "p3", bug="sender-entry-only", protocol="causal-broadcast")
    p.step(Deliver(src="p2", msg=bcast("p2:1", "reply", vc={"p1": 1, "p2": 1, "p3": 0})), 1)
    assert p.inbox == ["reply"]


def test_sequencer_numbers_messages_and_receivers_deliver_in_that_order():
    """Reference: Défago, Schiper & Urbán 2004 §4.1 (fixed sequencer)."""
    seq = proc(TotalOrderProcess, "p1", protocol="total-order-broadcast")
    effects = seq.step(Deliver(src="p2", msg=bcast("p2:1", "x")), 1)
    assert notes(effects, "tob.sequence") == [{"node": "p1", "mid": "p2:1", "gseq": 1}]
    assert sends(effects)[1:] == [("p2", bcast("p2:1", "x", gseq=1)), ("p3", bcast("p2:1", "x", gseq=1))]
    assert seq.delivered == ["p2:1"]
    seq.step(Deliver(src="p3", msg=bcast("p3:2", "early")), 2)  # p3's second message waits for its first
    assert seq.delivered == ["p2:1"] and seq.next_gseq == 2
    r = proc(TotalOrderProcess, "p3", protocol="total-order-broadcast")
    r.step(Deliver(src="p1", msg=bcast("p2:2", "b", gseq=2)), 1)
    assert r.delivered == []
    r.step(Deliver(src="p1", msg=bcast("p2:1", "a", gseq=1)), 2)
    assert r.delivered == ["p2:1", "p2:2"]
    bug = proc(TotalOrderProcess, "p3", bug="deliver-on-arrival", protocol="total-order-broadcast")
    bug.step(Deliver(src="p1", msg=bcast("p2:2", "b", gseq=2)), 1)
    assert bug.delivered == ["p2:2"]


def test_lamport_delivery_waits_for_a_larger_timestamp_from_everyone():
    """Reference: Lamport 1978 §3 / Défago et al. 2004 (communication history): deliver the smallest
    (ts, origin) once every other process has sent a larger timestamp; IR2 on receipt."""
    p = proc(TotalOrderProcess, "p3", protocol="total-order-broadcast", processes=3, lamport=True)
    effects = p.step(Deliver(src="p1", msg=bcast("p1:1", "x", ts=1)), 1)
    assert p.clock == 3 and p.queue[0]["mid"] == "p1:1" and p.delivered == []
    ack = bcast("p3:1", None, ts=3, ack="p1:1")
    assert sends(effects)[1:] == [("p1", ack), ("p2", ack)]
    p.step(Deliver(src="p2", msg=bcast("p2:1", None, ts=2, ack="p1:1")), 2)
    assert p.delivered == ["p1:1"]
    hasty = proc(TotalOrderProcess, "p3", bug="majority-acks", protocol="total-order-broadcast", lamport=True)
    hasty.step(Deliver(src="p1", msg=bcast("p1:1", "x", ts=1)), 1)
    assert hasty.delivered == ["p1:1"]  # p3 and p1 are a majority of three: it did not wait for p2


# ------------------------------------------------------------------ invariants on hand-made histories
def hist(delivered, broadcasts=None, **extra):
    return {"delivered": delivered, "broadcasts": broadcasts or [], **extra}


def test_invariants_detect_each_violation():
    """Each invariant fails on the history it forbids and passes on its fix."""
    b1 = [{"mid": "p1:1", "value": "q", "seen": 0}, {"mid": "p1:2", "value": "q2", "seen": 1}]
    b2 = [{"mid": "p2:1", "value": "r", "seen": 1}]
    assert integrity({"p1": hist(["p1:1", "p1:1"], b1)}).key == "bc.violation.duplicate"
    assert integrity({"p1": hist(["p9:1"], b1)}).key == "bc.violation.created"
    assert integrity({"p1": hist(["p1:1"], b1)}) is None
    assert fifo_order({"p1": hist(["p1:1", "p1:2"], b1), "p2": hist(["p1:2"], [])}).args["expected"] == "p1:1"
    assert fifo_order({"p1": hist(["p1:1", "p1:2"], b1), "p2": hist(["p1:1"], [])}) is None
    # p2 delivered p1:1 and then broadcast p2:1: the reply causally follows the question
    states = {"p1": hist(["p1:1"], b1[:1]), "p2": hist(["p1:1", "p2:1"], b2), "p3": hist(["p2:1"])}
    v = causal_order(states)
    assert (v.key, v.args) == ("bc.violation.causal", {"node": "p3", "mid": "p2:1", "cause": "p1:1"})
    assert causal_order({**states, "p3": hist(["p1:1", "p2:1"])}) is None
    assert total_order({"p1": hist(["a:1", "b:1"]), "p2": hist(["b:1", "a:1"])}).key == "bc.violation.total"
    assert total_order({"p1": hist(["a:1", "b:1"]), "p2": hist(["b:1"])}) is None
    agreement = agreement_check(("holdback",))
    quiet = {"p1": hist(["p1:1"], b1[:1], unacked={}, holdback=[]), "p2": hist([], [], unacked={}, holdback=[])}
    assert agreement(quiet).args == {"node": "p2", "other": "p1", "mid": "p1:1"}
    assert agreement({**quiet, "p1": {**quiet["p1"], "unacked": {"p1:1": {}}}}) is None  # still in flight


# ------------------------------------------------------------------ seeded sweeps
def sweep_scenario(protocol: str, seed: int, bug: str | None = None, lamport: bool = False) -> dict:
    """2–4 processes, 1–3 broadcasts (some waiting for another's delivery), crashes with restarts,
    one-node partitions that heal, loss, duplication and reordering; all faults end by t=320."""
    r = random.Random(f"{protocol}:{seed}")
    n = r.choice((2, 3, 3, 3, 4))
    procs = [f"p{i + 1}" for i in range(n)]
    workload, values = [], []
    for k in range(r.randint(1, 3)):
        node = r.choice(procs)
        op = {"f": "broadcast", "value": f"m{k}"}
        if values and r.random() < 0.4:
            op["after"] = r.choice(values)
        values.append(op["value"])
        workload.append({"at": r.randint(0, 120), "node": node, "client": node, "op": op})
    faults = []
    for _ in range(r.randint(0, 3)):
        at, node = r.randint(0, 200), r.choice(procs)
        if r.random() < 0.35:
            faults += [{"type": "crash", "node": node, "at": at},
                       {"type": "restart", "node": node, "at": at + r.randint(5, 80)}]
        else:
            faults += [{"type": "partition", "groups": [[node]], "at": at},
                       {"type": "heal", "at": at + r.randint(10, 120)}]
    params = {"processes": n, "retransmit_ticks": r.choice((25, 50)), "horizon_ticks": 900}
    if protocol == "total-order-broadcast":
        params["lamport"] = lamport
    return {"protocol": protocol, "seed": seed, "bug": bug, "faults": faults, "workload": workload,
            "params": params, "limits": {"max_steps": 20000},
            "network": {"latency": {"kind": "uniform", "low": 1, "high": r.choice((10, 40))},
                        "loss": r.choice((0.0, 0.1, 0.2)), "duplicate": r.choice((0.0, 0.1)),
                        "reorder": r.choice((0.0, 0.3)), "reorder_delay": 60}}


SWEEP = [(m, lam, chunk) for m in MODULES for lam in ((False, True) if m == "total-order-broadcast" else (False,))
         for chunk in range(4 if m != "total-order-broadcast" else 2)]


@pytest.mark.parametrize("protocol,lamport,chunk", SWEEP)
def test_2000_seeded_fault_schedules_per_module_have_no_violation(protocol, lamport, chunk):
    """Zero violations at every step, and at the end (all faults healed) every broadcast message is
    delivered by every process: validity and agreement (Hadzilacos & Toueg 1994). Four chunks of 500
    seeds per module (total order: 1,000 with the sequencer and 1,000 with Lamport timestamps)."""
    for seed in range(chunk * 500, chunk * 500 + 500):
        t = Simulation(parse_scenario(sweep_scenario(protocol, seed, lamport=lamport)),
                       verify_logs=seed % 100 == 0).run()  # also the Node.LOGS / COPY_ON_WRITE contracts
        assert t.ever_violated() == set() and t.end["reason"] == "quiescent", (seed, t.invariant_changes)
        final = t.states_at(t.n_steps - 1)
        sent = {b["mid"] for s in final.values() for b in s["broadcasts"]}
        assert all(set(s["delivered"]) == sent for s in final.values()), (seed, final)


def _first_catch(protocol, bug, lamport=False, seeds=range(300)):
    wanted = set(REGISTRY[protocol].bug(bug).breaks)
    return next((s for s in seeds
                 if wanted <= run(parse_scenario(sweep_scenario(protocol, s, bug, lamport))).ever_violated()), None)


@pytest.mark.parametrize("protocol,bug,lamport", [
    ("reliable-broadcast", "volatile-received", False),
    ("fifo-broadcast", "no-holdback", False),
    ("causal-broadcast", "sender-entry-only", False),
    ("total-order-broadcast", "deliver-on-arrival", False),
    ("total-order-broadcast", "majority-acks", True),
])
def test_every_bug_variant_is_caught_by_the_seeded_search(protocol, bug, lamport):
    """The same generator as the sweeps finds a run breaking every invariant the bug's ``breaks`` lists,
    and that run is clean without the bug."""
    seed = _first_catch(protocol, bug, lamport)
    assert seed == FOUND[bug]
    assert run(parse_scenario(sweep_scenario(protocol, seed, None, lamport))).ever_violated() == set()


FOUND = {"volatile-received": 0, "no-holdback": 3, "sender-entry-only": 16, "deliver-on-arrival": 0,
         "majority-acks": 4}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(protocol=st.sampled_from(MODULES), lamport=st.booleans(), seed=st.integers(0, 10_000),
       faults=fault_schedules(IDS, max_faults=6, max_time=300,
                              kinds=("crash", "restart", "partition", "heal", "drop", "duplicate", "delay")))
def test_safety_holds_under_arbitrary_fault_schedules(protocol, lamport, seed, faults):
    """Hypothesis: any schedule (crashes without restart, partitions that never heal, drops of chosen
    messages): the safety invariants — and Agreement's safety shadow — hold at every step."""
    d = sweep_scenario(protocol, seed, lamport=lamport)
    d["params"]["processes"] = 3
    d["workload"] = [w for w in d["workload"] if w["node"] in IDS]
    d["faults"] = faults
    t = run(parse_scenario(d))
    assert t.ever_violated() == set(), t.invariant_changes


# ------------------------------------------------------------------ properties of the runs
def test_same_scenario_same_trace():
    for protocol in MODULES:
        sc = parse_scenario(sweep_scenario(protocol, 7, lamport=True if protocol.startswith("total") else False))
        assert run(sc).to_json() == run(sc).to_json()


def test_invariants_skipped_by_reads_give_the_same_verdicts():
    """``Invariant.reads`` lists every field each check reads: skipping unchanged steps changes no verdict."""
    broken: set[str] = set()
    for protocol, bug, lamport in (("causal-broadcast", "sender-entry-only", False),
                                   ("total-order-broadcast", "majority-acks", True),
                                   ("reliable-broadcast", "volatile-received", False)):
        spec = REGISTRY[protocol]
        every_step = dataclasses.replace(spec, invariants=tuple(dataclasses.replace(i, reads=())
                                                                for i in spec.invariants))
        for seed in range(FOUND[bug], FOUND[bug] + 3):
            sc = parse_scenario(sweep_scenario(protocol, seed, bug, lamport))
            changes = Simulation(sc).run().invariant_changes
            assert changes == Simulation(sc, every_step).run().invariant_changes
            broken |= {name for _s, name, v in changes if v is not None}
    assert {"Causal order", "Total order", "Integrity"} <= broken  # the comparison is not vacuous


def test_lamport_blocks_while_a_process_is_silent_and_the_sequencer_while_p1_is_down():
    """Curriculum §4.17: total order broadcast is as hard as consensus; neither algorithm delivers
    through every crash (Lamport: one silent process blocks all; sequencer: p1 down blocks all)."""
    for lamport, down in ((True, "p3"), (False, "p1")):
        d = {"protocol": "total-order-broadcast", "seed": 1,
             "params": {"processes": 3, "lamport": lamport, "horizon_ticks": 300},
             "faults": [{"type": "crash", "node": down, "at": 0}],
             "workload": [{"at": 5, "node": "p2", "client": "p2", "op": {"f": "broadcast", "value": "x"}}]}
        t = run(parse_scenario(d))
        final = t.states_at(t.n_steps - 1)
        assert all(s["delivered"] == [] for s in final.values()) and t.ever_violated() == set()
        d["faults"].append({"type": "restart", "node": down, "at": 100})
        final = (t := run(parse_scenario(d))).states_at(t.n_steps - 1)
        assert all(s["delivered"] == ["p2:1"] for s in final.values())


# ------------------------------------------------------------------ presets tell their story
def _final(preset_id):
    t = run(load_preset(preset_id))
    return t, t.states_at(t.n_steps - 1)


def _delivered_at(t, node, value):
    return next(e.step for e in t.events if e.kind == "note" and e.detail["key"] == "bc.deliver"
                and e.node == node and e.detail["args"]["value"] == value)


def test_reliable_preset_delivers_the_lost_message_by_relay():
    t, final = _final("reliable-broadcast-lost-message-relay")
    assert any(e.kind == "drop" and e.node == "p3" and e.peer == "p1" for e in t.events)
    step = _delivered_at(t, "p3", "hello")
    assert any(e.kind == "deliver" and e.step == step and e.peer == "p2" for e in t.events)  # p2's relay
    assert all(s["inbox"] == ["hello"] for s in final.values())


def test_fifo_delivers_the_reply_before_the_question_and_causal_does_not():
    t, final = _final("fifo-broadcast-reply-before-question")
    assert final["p3"]["inbox"] == ["reply", "question"] and t.ever_violated() == set()
    assert _delivered_at(t, "p3", "reply") == 9  # the captioned moment
    t, final = _final("causal-broadcast-question-before-reply")
    assert all(s["inbox"] == ["question", "reply"] for s in final.values())
    hold = next(e for e in t.events if e.kind == "note" and e.detail["key"] == "bc.hold")
    assert (hold.node, hold.step) == ("p3", 9) and t.states_at(9)["p3"]["holdback"][0]["mid"] == "p2:1"
    t, final = _final("causal-broadcast-bug-sender-entry-only")
    assert final["p3"]["inbox"] == ["reply", "question"] and t.ever_violated() == {"Causal order"}


def test_total_order_presets_agree_and_the_bug_preset_does_not():
    for pid in ("total-order-broadcast-sequencer", "total-order-broadcast-lamport"):
        t, final = _final(pid)
        assert all(s["inbox"] == ["x=1", "x=2"] for s in final.values()), pid
    t, final = _final("total-order-broadcast-bug-deliver-on-arrival")
    assert final["p3"]["inbox"] == ["x=2", "x=1"] and final["p1"]["inbox"] == ["x=1", "x=2"]
    assert t.ever_violated() == {"Total order"}
