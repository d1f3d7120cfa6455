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


# ------------------------------------------------------------------ teaching aids: captions, roles
PRESET = "two-phase-commit-coordinator-crash"


def _preset_trace(**params):
    from lessons.presets import load_preset

    sc = load_preset(PRESET)
    return run(sc.replace(params={**sc.params, **params}) if params else sc)


def _caption_shown(captions, step):
    """What the player shows at ``step``: the caption of the latest captioned step ≤ step (mirrors player.js)."""
    best = None
    for k, text in captions:
        if k <= step:
            best = text
    return best


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_captions_travel_in_the_payload_language(lang):
    from lessons.presets import caption_at

    tr = _preset_trace()
    caps = player_payload(tr, translator(lang))["meta"]["captions"]
    declared = tr.scenario.meta["captions"]
    assert [k for k, _ in caps] == sorted(c["step"] for c in declared)
    assert [text for _, text in caps] == [c[lang] for c in sorted(declared, key=lambda c: c["step"])]
    for step in range(tr.n_steps):  # the client-side rule agrees with lessons.presets.caption_at
        assert _caption_shown(caps, step) == caption_at(tr.scenario.meta, step, lang), step
    # explicit lang wins over the translator's; English fills a missing language
    assert player_payload(tr, translator("en"), lang="zh")["meta"]["captions"] == \
        player_payload(tr, translator("zh"))["meta"]["captions"]


def test_captions_are_clamped_sorted_and_fall_back_to_english():
    tr = _trace()
    meta = {"captions": [{"step": 10_000, "en": "late"}, {"step": 2, "en": "two", "zh": "二"},
                         {"step": 1, "zh": ""}, {"step": "x", "en": "bad"}, {"step": 0, "en": "zero"}]}
    tr2 = run(tr.scenario.replace(meta=meta))
    caps = player_payload(tr2, translator("zh"))["meta"]["captions"]
    assert caps == [[0, "zero"], [2, "二"], [tr2.n_steps - 1, "late"]]
    assert player_payload(tr, translator("en"))["meta"]["captions"] == []  # no meta: no captions


def test_tour_focus_is_aligned_with_the_captions_even_when_clamped_or_dropped():
    """``meta.tour`` has one entry per shown caption, for the step it is shown at (tests/test_tour_highlight.py
    checks what each entry holds); the halo's colour and legend label travel with it."""
    tr = _trace()
    meta = {"captions": [{"step": 10_000, "en": "late"}, {"step": 2, "en": "two"}, {"step": 1, "zh": ""},
                         {"step": 0, "en": "zero", "highlight": {"nodes": ["n2"]}}]}
    tr2 = run(tr.scenario.replace(meta=meta))
    p = player_payload(tr2, translator("en"))["meta"]
    assert [k for k, _ in p["captions"]] == [0, 2, tr2.n_steps - 1]
    assert len(p["tour"]) == 3
    assert p["tour"][0] == [[tr2.nodes.index("n2")], [], [], 0]  # nodes only: the whole lane, no arrow
    last = tr2.n_steps - 1
    assert p["tour"][2][2] == [last] and p["tour"][2][3] == last
    step2 = {int(e.msg_id[1:]) for e in tr2.events_of_step(2) if e.kind in ("send", "deliver", "drop", "duplicate")}
    assert set(p["tour"][1][1]) == step2 and step2
    assert p["colors"]["highlight"] and p["labels"]["tour_focus"] == catalog("en")["tour.focus"]


def test_roles_group_nodes_with_declared_field_order_and_timers_last():
    tr = _preset_trace(participants=8)
    p = player_payload(tr, translator("zh"))
    meta = p["meta"]
    fields = meta["fields"]
    roles = {r[0]: r for r in meta["roles"]}
    assert list(roles) == ["coordinator", "participant"]
    assert roles["coordinator"][1] == catalog("zh")["viz.role.coordinator"]
    assert [meta["lanes"][x][0] for x in roles["participant"][2]] == [f"rm{i}" for i in range(1, 9)]
    boot = tr.states_at(0)
    for role, node in (("coordinator", "tm"), ("participant", "rm1")):
        names = [fields[k] for k in roles[role][3]]
        declared = [k for k in boot[node] if k != "armed_timers"]
        assert names == declared + ["armed_timers"], role  # protocol order, the pseudo-field last
    assert {fields[k] for k in roles["coordinator"][4]} == {"collecting", "client", "to_notify"}  # VOLATILE
    assert roles["participant"][4] == []  # a resource manager keeps everything on disk
    # every diff row's field belongs to its lane's role, so no cell is left out of the tables
    role_of = {lane: r for r in meta["roles"] for lane in r[2]}
    for lane, f in zip(p["diff"]["lane"].tolist(), p["diff"]["field"].tolist()):
        assert f in role_of[lane][3]


def test_preset_payload_is_byte_identical_across_builds():
    a = player_payload(_preset_trace(), translator("zh"))
    b = player_payload(_preset_trace(), translator("zh"))
    assert payload_json(a) == payload_json(b) and a["meta"]["fp"] == b["meta"]["fp"]
    assert a["meta"]["captions"] != player_payload(_preset_trace(), translator("en"))["meta"]["captions"]


@settings(max_examples=30, deadline=None)
@given(steps=st.lists(st.integers(-3, 40), max_size=6), probe=st.integers(0, 40))
def test_caption_shown_matches_caption_at_for_any_caption_set(steps, probe):
    from lessons.presets import caption_at

    tr = _trace()
    meta = {"captions": [{"step": k, "en": f"c{i}", "zh": f"z{i}"} for i, k in enumerate(steps)]}
    caps = player_payload(run(tr.scenario.replace(meta=meta)), translator("en"))["meta"]["captions"]
    assert [k for k, _ in caps] == sorted({max(0, k) for k in steps})
    if all(k >= 0 for k in steps):  # negative steps are clamped to 0 here; caption_at would skip none
        assert _caption_shown(caps, probe) == caption_at(meta, probe, "en")


@pytest.mark.parametrize("lang, label", [("en", "AC4: decide at most once"), ("zh", "AC4：至多决定一次")])
def test_invariant_badges_carry_translated_labels_and_the_canonical_name(lang, label):
    from lessons.presets import load_preset

    tr = run(load_preset("two-phase-commit-happy-path"))
    labels = player_payload(tr, translator(lang), lang)["meta"]["invariant_labels"]
    assert set(labels) == set(tr.invariant_names)
    shown, about = labels["AC4: decide at most once"]
    assert shown == label and about.startswith("AC4: decide at most once — ")


# ------------------------------------------------------------ live roles and violation episodes
def _preset(preset_id):
    from lessons.presets import load_preset

    return run(load_preset(preset_id))


@pytest.mark.parametrize("preset_id", ["raft-leader-crash", "raft-stale-leader"])
def test_live_roles_match_the_trace_state_at_every_step(preset_id):
    from protocols import REGISTRY
    from viz.player_data import live_role_at

    tr = _preset(preset_id)
    p = player_payload(tr, translator("en"))
    live = p["meta"]["live"]
    assert live["epoch"] == catalog("en")["raft.epoch"]
    assert {r[0] for r in live["roles"]} >= {"follower", "candidate", "leader"}
    assert {r[0]: r[1] for r in live["roles"]}["leader"] == catalog("en")["viz.role.leader"]
    seen = set()
    for step in (0, tr.n_steps // 3, tr.n_steps // 2, tr.n_steps - 1, *range(tr.n_steps)):
        states = tr.states_at(step)
        for lane, node in enumerate(tr.nodes):
            role, epoch = live_role_at(p, lane, step)
            view = REGISTRY["raft"].replica_view(states[node])
            assert (role, epoch) == (view.role, view.epoch), (step, node)
            if states[node].get("role") is not None:  # up: the live role is the node's own role field
                assert role == states[node]["role"] and epoch == states[node]["current_term"], (step, node)
                seen.add(role)
    assert seen >= {"follower", "candidate", "leader"}  # the chosen presets elect a leader


def test_live_roles_are_change_points_only():
    tr = _preset("raft-bug-figure-8")
    live = player_payload(tr, translator("en"))["meta"]["live"]
    assert len(live["lanes"]) == len(tr.nodes)
    for flat in live["lanes"]:
        triples = [tuple(flat[i:i + 3]) for i in range(0, len(flat), 3)]
        assert len(flat) % 3 == 0 and triples[0][0] == 0
        assert [s for s, _, _ in triples] == sorted({s for s, _, _ in triples})  # one per step, in order
        assert all(a[1:] != b[1:] for a, b in zip(triples, triples[1:]))  # each one a change
        assert len(triples) < tr.n_steps // 4  # compact: far fewer than steps


def test_live_roles_for_paxos_and_none_without_a_replica_view():
    p = player_payload(_preset("paxos-dueling-proposers"), translator("zh"))
    live = p["meta"]["live"]
    assert live["epoch"] == catalog("zh")["paxos.epoch"]
    assert [r[0] for r in live["roles"]] == ["proposer", "acceptor", "learner"]
    assert live["roles"][0][1] == catalog("zh")["viz.role.proposer"]
    assert player_payload(_preset("two-phase-commit-happy-path"), translator("en"))["meta"]["live"] is None
    assert player_payload(_trace(), translator("en"))["meta"]["live"] is None


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_violation_episodes_travel_translated_with_lanes_and_breaking_message(lang):
    from viz.tables import invariant_labels
    from viz.violations import episodes

    tr = _preset("raft-bug-figure-8")
    t = translator(lang)
    p = player_payload(tr, t)
    got = p["meta"]["violations"]
    eps = episodes(tr)
    assert eps and len(got) == len(eps)
    labels = invariant_labels(tr, t)
    for row, e in zip(got, eps):
        name, label, start, end, text, lanes, mid = row
        assert (name, start, end) == (e.invariant, e.start, -1 if e.end is None else e.end)
        assert label == labels[e.invariant]["label"]
        assert text == t(e.key, **e.args) and not text.startswith("[")
        assert [p["meta"]["lanes"][x][0] for x in lanes] == list(e.nodes)
        assert mid == int(e.msg_id[1:])
        # the breaking message is a delivered arrow of the payload, delivered at the breaking step
        rows = p["msg"][p["msg"]["mid"] == mid]
        assert len(rows) == 1 and int(rows["end"].iloc[0]) == END_DELIVER and int(rows["es"].iloc[0]) == start
    first = got[0]
    assert first[0] == "Leader Completeness" and first[2] == tr.first_violation_step()
    if lang == "en":
        assert first[4].startswith("s2 leads term 7")
    else:
        assert first[1] == catalog("zh")["raft.inv_label.leader_completeness"]


@pytest.mark.parametrize("preset_id", ["raft-leader-crash", "raft-stale-leader", "raft-first-election",
                                       "paxos-happy-path", "two-phase-commit-happy-path"])
def test_correct_presets_have_no_violation_episodes(preset_id):
    assert player_payload(_preset(preset_id), translator("en"))["meta"]["violations"] == []


def test_live_roles_and_violations_are_deterministic_and_small():
    a = player_payload(_preset("raft-bug-figure-8"), translator("zh"))
    b = player_payload(_preset("raft-bug-figure-8"), translator("zh"))
    assert payload_json(a) == payload_json(b) and a["meta"]["fp"] == b["meta"]["fp"]
    for k in ("ev", "msg", "st", "diff"):
        assert pa.ipc.serialize_pandas(a[k]).to_pybytes() == pa.ipc.serialize_pandas(b[k]).to_pybytes()
    extra = json.dumps([a["meta"]["live"], a["meta"]["violations"]], ensure_ascii=False).encode()
    assert len(extra) < 2_000  # a few hundred bytes for a 300-step run


def test_state_replay_of_a_raft_run_equals_trace_states():
    tr = _preset("raft-bug-figure-8")
    p = player_payload(tr, translator("en"))
    for step in range(0, tr.n_steps, 7):
        assert replay_states(p, step) == tr.states_at(step), step
    assert "~splice" not in p["meta"]["fields"]  # log splices travel as full values


# ------------------------------------------------------------------ anomaly marks (ui.trace_player)
MARKS_PRESET = "multi-paxos-bug-no-reproposal"


def _lab_marks(trace, cursor):
    """The marks at ``cursor`` as the Lab builds them (history_from_trace + check + witness)."""
    import checkers
    from checkers.from_trace import history_from_trace
    from ui.explorer_witness import highlight_ids

    history, events = history_from_trace(trace, upto_step=cursor)
    verdict = checkers.check(history, "linearizable")
    culprit = (verdict.witness or {}).get("culprit")
    return {"ops": [[events[i][0], events[i][1], "culprit" if i == culprit else "core"] for i in highlight_ids(verdict)],
            "text": "marked"}


def _mounted_data(monkeypatch, trace, payload, marks):
    """What ``trace_player`` hands the component (``data``), with the component and session faked."""
    import ui.trace_player as tp

    got = {}
    monkeypatch.setattr(tp.st, "session_state", {}, raising=False)
    monkeypatch.setattr(tp, "_component", lambda **kw: got.update(kw) or {})
    tp.trace_player(trace, lang="en", cursor=trace.n_steps - 1, manual=False, key="k", payload=payload, marks=marks)
    return got["data"]


def test_marks_ride_beside_the_payload_which_stays_byte_identical(monkeypatch):
    from lessons.presets import load_preset

    trace = run(load_preset(MARKS_PRESET))
    payload = player_payload(trace, translator("en"), lang="en")
    before = payload_json(payload)
    marks = _lab_marks(trace, trace.n_steps - 1)
    assert len(marks["ops"]) == 3 and [op[2] for op in marks["ops"]].count("culprit") == 1
    plain = _mounted_data(monkeypatch, trace, payload, None)
    marked = _mounted_data(monkeypatch, trace, payload, marks)
    assert payload_json(payload) == before  # not mutated
    for data in (plain, marked):  # the payload part of data is the payload, byte for byte
        assert payload_json({k: data[k] for k in payload}) == before
        assert set(data) == set(payload) | {"seek", "manual", "marks"}
    assert plain["marks"] is None
    assert marked["marks"] == marks
    json.dumps(marked["marks"])
    # the marked ops are the invoke/return events of the run
    for inv, ret, _role in marked["marks"]["ops"]:
        assert trace.events[inv].kind == "invoke"
        assert ret is None or trace.events[ret].kind == "return"
    # the same scenario and language give the same payload bytes whatever the marks
    assert payload_json(player_payload(trace, translator("en"), lang="en")) == before


def test_normalize_marks_keeps_valid_ops_as_plain_json():
    import numpy as np

    from ui.trace_player import normalize_marks

    assert normalize_marks(None) is None
    assert normalize_marks({"ops": [], "text": "x"}) is None
    assert normalize_marks({"ops": [["a", 1, "core"], [True, None, "core"], [-1, 2, "core"]], "text": "x"}) is None
    got = normalize_marks({"ops": [(np.int64(5), np.int64(9), "culprit"), [7, None, "core"], [8, 3, "odd"], [4]],
                           "text": 12})
    assert got == {"ops": [[5, 9, "culprit"], [7, None, "core"], [8, None, "core"], [4, None, "core"]], "text": "12"}
    assert all(type(x) is int for op in got["ops"] for x in op[:1])
    assert json.loads(json.dumps(got)) == got


def test_anomaly_labels_and_colour_travel_in_the_payload():
    for lang in ("en", "zh"):
        p = player_payload(_trace(), translator(lang), lang=lang)
        labels = p["meta"]["labels"]
        for k in ("lg_anomaly", "anomaly_core", "anomaly_culprit", "anomaly_open", "anomaly_heading"):
            assert labels[k] == catalog(lang)[f"player.{k}"]
        assert p["meta"]["colors"]["anomaly"].startswith("#")
        assert p["meta"]["colors"]["anomaly"] != p["meta"]["colors"]["violation"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_vector_clock_toggle_needs_only_its_labels_in_the_payload(lang):
    """The player's "Vector clocks" toggle is browser-only: the clocks are rebuilt from the payload
    (``replay_vector_clocks``), so the payload carries its two labels and no clock column."""
    tr = _trace(**FAULTY)
    p = player_payload(tr, translator(lang))
    labels = p["meta"]["labels"]
    assert labels["clocks"] == catalog(lang)["player.clocks"] and labels["clocks_hint"]
    assert not any(c in ("vc", "clock", "clocks") for df in ("ev", "msg") for c in p[df].columns)
    assert replay_vector_clocks(p) == [e.vc for e in tr.events]  # what the toggle draws
