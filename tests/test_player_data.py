"""The player payload (viz/player_data.py): deterministic, complete, and faithful to the trace."""

from __future__ import annotations

import json

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.engine import run
from sim.scenario import parse_scenario
from sim.trace import EVENT_KINDS
from ui.i18n import catalog, translator
from viz.player_data import (END_DELIVER, END_DROP, END_OPEN, REASONS, payload_json, player_payload,
                             replay_states, replay_vector_clocks)


def _trace(**extra):
    sc = {"protocol": "ping", "seed": 3, "limits": {"max_steps": 120}, **extra}
    return run(parse_scenario(sc))


FAULTY = dict(network={"duplicate": 0.2, "loss": 0.05},
              faults=[{"type": "crash", "node": "n2", "at": 40}, {"type": "restart", "node": "n2", "at": 90},
                      {"type": "partition", "groups": [["n1"], ["n3", "n4"]], "at": 60},
                      {"type": "heal", "at": 150}])


def test_same_input_gives_byte_identical_json_and_arrow():
    a, b = player_payload(_trace(**FAULTY), translator("en")), player_payload(_trace(**FAULTY), translator("en"))
    assert payload_json(a) == payload_json(b)
    for k in ("ev", "msg", "st", "diff"):
        assert pa.ipc.serialize_pandas(a[k]).to_pybytes() == pa.ipc.serialize_pandas(b[k]).to_pybytes()
    assert a["meta"]["fp"] == b["meta"]["fp"]
    assert payload_json(player_payload(_trace(**FAULTY), translator("zh"))) != payload_json(a)


def test_every_event_is_in_the_payload_in_order():
    tr = _trace(**FAULTY)
    p = player_payload(tr, translator("en"))
    ev = p["ev"]
    assert len(ev) == len(tr.events)
    assert ev["step"].tolist() == [e.step for e in tr.events]
    assert [p["meta"]["kinds"][k] for k in ev["kind"].tolist()] == [e.kind for e in tr.events]
    assert ev["lamport"].tolist() == [-1 if e.lamport is None else e.lamport for e in tr.events]
    names = p["meta"]["lanes"]
    assert [names[x][0] if x >= 0 else None for x in ev["lane"].tolist()] == [e.node for e in tr.events]
    assert replay_vector_clocks(p) == [e.vc for e in tr.events]
    assert p["st"]["time"].tolist() == [s.time for s in tr.steps]
    assert all(tr.steps[e.step].time == e.time for e in tr.events)  # why ev has no time column


def test_arrows_pair_sends_with_deliveries_and_drops():
    tr = _trace(**FAULTY)
    p = player_payload(tr, translator("en"))
    msg = p["msg"].to_dict("records")
    starts = {e.msg_id for e in tr.events if e.kind in ("send", "duplicate")}
    assert {f"m{r['mid']}" for r in msg} == starts and len(msg) == len(starts)
    seen_drop = seen_dup = False
    for r in msg:
        s = tr.events[r["s"]]
        assert s.msg_id == f"m{r['mid']}" and s.kind in ("send", "duplicate")
        assert bool(r["dup"]) == (s.kind == "duplicate")
        seen_dup |= bool(r["dup"])
        if r["end"] == END_OPEN:
            assert r["e"] == -1
            assert not any(e.msg_id == s.msg_id and e.kind in ("deliver", "drop") for e in tr.events)
            continue
        e = tr.events[r["e"]]
        assert e.msg_id == s.msg_id and r["e"] > r["s"] and r["es"] == e.step
        assert e.kind == ("deliver" if r["end"] == END_DELIVER else "drop")
        if r["end"] == END_DROP:
            seen_drop = True
            assert REASONS[r["reason"]] == e.detail["reason"]
    assert seen_drop and seen_dup  # the faulty scenario exercises both


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_state_replay_equals_trace_states(lang):
    tr = _trace(**FAULTY)
    p = player_payload(tr, translator(lang))
    for step in range(tr.n_steps):
        assert replay_states(p, step) == tr.states_at(step), step


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10_000), dup=st.sampled_from([0.0, 0.3]), crash_at=st.integers(1, 80))
def test_replay_matches_trace_for_random_runs(seed, dup, crash_at):
    tr = run(parse_scenario({"protocol": "ping", "seed": seed, "network": {"duplicate": dup},
                             "faults": [{"type": "crash", "node": "n1", "at": crash_at}],
                             "limits": {"max_steps": 60}}))
    p = player_payload(tr, translator("en"))
    assert replay_vector_clocks(p) == [e.vc for e in tr.events]
    step = tr.n_steps // 2
    assert replay_states(p, step) == tr.states_at(step)


def test_meta_is_json_and_labels_are_translated_from_the_catalog():
    p = player_payload(_trace(), translator("zh"))
    json.dumps(p["meta"])
    labels = p["meta"]["labels"]
    flat = [v for v in labels.values() if isinstance(v, str)] + labels["kind"] + labels["cause_names"]
    assert not [v for v in flat if v.startswith("[player.")]  # no missing key
    assert labels["forward"] == catalog("zh")["player.forward"]
    assert len(labels["kind"]) == len(EVENT_KINDS)


def test_catalogs_have_the_same_player_keys():
    en = {k for k in catalog("en") if k.startswith("player.")}
    zh = {k for k in catalog("zh") if k.startswith("player.")}
    assert en == zh and len(en) > 50


def test_manual_pending_list_is_the_trace_pending_at_the_last_real_step():
    tr = run(parse_scenario({"protocol": "ping", "seed": 1, "params": {"nodes": 3},
                             "delivery": {"mode": "manual", "choices": []}}))
    p = player_payload(tr, translator("en"))
    assert [x[0] for x in p["meta"]["pending"]] == [x["id"] for x in tr.pending_at(tr.n_steps - 2)]
    assert p["meta"]["pending"], "a fresh manual ping run has messages to choose from"
