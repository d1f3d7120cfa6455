"""The guided tour's focus: what the diagram highlights while the cursor is on a captioned step.

``viz.player_data`` computes it from the trace (``meta.tour``, one entry per caption): by default
the captioned step's own events — their nodes' lanes, the arrow of each message sent, delivered
or dropped there, a fault's nodes — or what the caption names (``highlight: {nodes, steps}``),
which ``lessons.presets.validate_captions`` checks when a preset loads. And every protocol family
the course teaches has a preset that can be toured (≥ 4 captions, each with something to show).
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from lessons import presets
from lessons.presets import CaptionError, list_presets, load_preset, scenario_nodes, validate_captions
from sim.engine import run
from ui.i18n import translator
from viz.player_data import caption_highlight, player_payload

MESSAGE_KINDS = ("send", "duplicate", "deliver", "drop")


@functools.cache
def _trace(preset_id: str):
    return run(load_preset(preset_id))


def _tour(preset_id: str, lang: str = "en"):
    meta = player_payload(_trace(preset_id), translator(lang))["meta"]
    return meta["captions"], meta["tour"]


def _mids(tr, step):
    return {int(e.msg_id[1:]) for e in tr.events_of_step(step) if e.kind in MESSAGE_KINDS}


def _nodes(tr, step):
    return {e.node for e in tr.events_of_step(step) if e.node}


CAPTIONED = [p.id for p in list_presets() if p.meta.get("captions")]


# ------------------------------------------------------------------ the default: the step's own events
def test_2pc_phase_one_highlights_the_three_prepares_and_the_coordinator():
    tr = _trace("two-phase-commit-happy-path")
    caps, tour = _tour("two-phase-commit-happy-path")
    lanes = {n: i for i, n in enumerate(tr.nodes)}
    by_step = {step: entry for (step, _), entry in zip(caps, tour)}
    # step 1: tm sends Prepare m1..m3 (one arrow each), only tm's lane acts
    lanes1, msgs1, steps1, since1 = by_step[1]
    assert msgs1 == [1, 2, 3] and lanes1 == [lanes["tm"]] and steps1 == [1] and since1 == 1
    assert {tr.events[i].payload["type"] for i, e in enumerate(tr.events) if e.msg_id in ("m1", "m2", "m3")} \
        == {"Prepare"}
    # step 2: rm1 receives Prepare m1 and sends its vote Prepared m4
    lanes2, msgs2, _, _ = by_step[2]
    assert lanes2 == [lanes["rm1"]] and msgs2 == [1, 4]
    assert [(e.kind, e.msg_id, e.payload["type"]) for e in tr.events_of_step(2) if e.msg_id] == \
        [("deliver", "m1", "Prepare"), ("send", "m4", "Prepared")]


@pytest.mark.parametrize("preset_id", CAPTIONED)
def test_each_default_focus_is_exactly_the_events_of_its_step(preset_id):
    tr = _trace(preset_id)
    caps, tour = _tour(preset_id)
    declared = {c["step"]: c for c in tr.scenario.meta["captions"]}
    assert len(tour) == len(caps) and caps
    lanes = {n: i for i, n in enumerate(tr.nodes)}
    for (step, _), (hl_lanes, msgs, steps, since) in zip(caps, tour):
        if "highlight" in declared[step]:
            continue  # checked below
        assert steps == [step] and since == step
        assert set(msgs) == _mids(tr, step)
        want = _nodes(tr, step)
        for iv in tr.partition_intervals():  # a partition or heal lights up the nodes of the cut
            if step in (iv.start, iv.end):
                want |= {n for link in iv.what for n in link}
        assert set(hl_lanes) == {lanes[n] for n in want}
        for m in msgs:  # every highlighted arrow starts or ends at this very step
            ends = [e.step for e in tr.events if e.msg_id == f"m{m}" and e.kind in MESSAGE_KINDS]
            assert step in ends, (preset_id, step, m)


def test_a_partition_caption_lights_up_both_sides_of_the_cut_and_a_crash_its_node():
    tr = _trace("g-counter-partition-heal")
    caps, tour = _tour("g-counter-partition-heal")
    at = dict(zip([s for s, _ in caps], tour))
    assert [e.kind for e in tr.events_of_step(1)] == ["partition"]
    assert at[1][0] == [0, 1, 2] and at[1][1] == []  # r1 | r2 r3: every lane, no arrow
    tr2 = _trace("two-phase-commit-coordinator-crash")
    crash = next(e for e in tr2.events if e.kind == "crash")
    h = caption_highlight(tr2, {"step": crash.step})
    assert h.lanes == (tr2.nodes.index(crash.node),) and h.steps == (crash.step,)


# ------------------------------------------------------------------ explicit highlights
EXPLICIT = [(p.id, c) for p in list_presets() for c in p.meta.get("captions") or () if "highlight" in c]


def test_presets_name_a_focus_where_the_step_alone_is_not_the_point():
    assert {pid for pid, _ in EXPLICIT} >= {"paxos-dueling-proposers", "raft-split-vote", "two-phase-commit-happy-path",
                                            "mv-register-concurrent-writes", "quorum-store-stale-read"}
    assert len(EXPLICIT) >= 8


@pytest.mark.parametrize("preset_id,caption", EXPLICIT, ids=[f"{p}@{c['step']}" for p, c in EXPLICIT])
def test_an_explicit_focus_is_its_nodes_plus_the_events_of_its_steps(preset_id, caption):
    tr = _trace(preset_id)
    caps, tour = _tour(preset_id)
    lanes, msgs, steps, since = tour[[s for s, _ in caps].index(caption["step"])]
    named = caption["highlight"]
    assert steps == sorted(named.get("steps", []))
    assert since == (min(steps) if steps else 0)
    want_msgs = set().union(*(_mids(tr, s) for s in steps)) if steps else set()
    want_nodes = set(named.get("nodes", [])).union(*(_nodes(tr, s) for s in steps))
    assert set(msgs) == want_msgs
    assert {tr.nodes[l] for l in lanes} == want_nodes
    # it shows more than the caption's own step would have
    default = caption_highlight(tr, {"step": caption["step"]})
    assert (set(msgs), set(lanes)) != (set(default.msgs), set(default.lanes))


def test_two_concurrent_proposers_light_up_both_prepare_fans():
    tr = _trace("paxos-dueling-proposers")
    caps, tour = _tour("paxos-dueling-proposers")
    lanes, msgs, steps, _ = tour[[s for s, _ in caps].index(2)]
    prepares = {int(e.msg_id[1:]): e.node for e in tr.events if e.kind == "send" and e.step in (1, 2)}
    assert set(msgs) == set(prepares) and set(prepares.values()) == {"p1", "p2"}
    assert {tr.nodes[l] for l in lanes} == {"p1", "p2"} and steps == [1, 2]
    assert all(tr.events[i].payload["type"] == "Prepare" for i, e in enumerate(tr.events)
               if e.kind == "send" and e.step in (1, 2))


def test_the_focus_travels_with_the_caption_in_both_languages():
    for lang in ("en", "zh"):
        caps, tour = _tour("raft-split-vote", lang)
        assert len(caps) == len(tour)
    assert _tour("raft-split-vote", "en")[1] == _tour("raft-split-vote", "zh")[1]


def test_the_player_ignores_what_it_cannot_show_in_a_scenario_that_is_not_a_preset():
    tr = _trace("two-phase-commit-happy-path")
    meta = {"captions": [{"step": 5, "en": "x", "highlight": {"nodes": ["nobody", "rm2"], "steps": [2, 99, "x"]}}]}
    tr2 = run(tr.scenario.replace(meta=meta))
    (lanes, msgs, steps, since), = player_payload(tr2, translator("en"))["meta"]["tour"]
    assert steps == [2] and since == 2 and set(msgs) == _mids(tr2, 2)
    assert {tr2.nodes[l] for l in lanes} == {"rm2"} | _nodes(tr2, 2)
    assert player_payload(run(tr.scenario.replace(meta={})), translator("en"))["meta"]["tour"] == []


# ------------------------------------------------------------------ validation (lessons.presets)
NODES = ("tm", "rm1", "rm2", "rm3")


def _caps(**highlight):
    return {"captions": [{"step": 4, "en": "a", "zh": "甲", "highlight": highlight}]}


@pytest.mark.parametrize("highlight,needle", [
    ({"nodes": ["rm9"]}, "unknown node 'rm9'"),
    ({"nodes": ["tm"], "steps": [5]}, "highlight.steps: 5 is not a step in 0..4"),
    ({"steps": [-1]}, "highlight.steps: -1"),
    ({"steps": ["2"]}, "highlight.steps: '2'"),
    ({"steps": [True]}, "highlight.steps: True"),
    ({"node": ["tm"]}, "must be a mapping with 'nodes' and/or 'steps'"),
    ({}, "must be a mapping"),
    ({"nodes": "tm"}, "must be lists"),
    ({"nodes": [], "steps": []}, "not both empty"),
])
def test_a_bad_highlight_is_a_clear_error_naming_the_caption_and_field(highlight, needle):
    with pytest.raises(CaptionError) as err:
        validate_captions(_caps(**highlight), NODES, where="preset x.yaml")
    assert needle in str(err.value) and "preset x.yaml: captions[0].highlight" in str(err.value)


def test_good_highlights_and_plain_captions_pass_and_steps_are_checked_against_the_run():
    validate_captions(_caps(nodes=["rm1", "tm"], steps=[0, 4]), NODES)
    validate_captions(_caps(steps=[4]), NODES, n_steps=5)
    validate_captions({"captions": [{"step": 3, "en": "a"}]}, NODES)
    validate_captions({}, NODES)
    with pytest.raises(CaptionError, match=r"captions\[0\]\.step: step 4 is past the run's last step 3"):
        validate_captions(_caps(steps=[4]), NODES, n_steps=4)
    with pytest.raises(CaptionError, match=r"captions\[0\]\.step: must be a step number"):
        validate_captions({"captions": [{"step": "4", "en": "a"}]}, NODES)


def test_a_preset_file_with_a_bad_highlight_does_not_load(tmp_path: Path):
    good = (presets.SCENARIO_DIR / "two-phase-commit-happy-path.yaml").read_text(encoding="utf-8")
    assert "highlight: {nodes: [rm1, rm2, rm3]" in good
    bad = tmp_path / "two-phase-commit-broken.yaml"
    bad.write_text(good.replace("highlight: {nodes: [rm1, rm2, rm3]", "highlight: {nodes: [rm1, rm7, rm3]"),
                   encoding="utf-8")
    with pytest.raises(CaptionError, match=r"two-phase-commit-broken\.yaml: captions\[4\]\.highlight\.nodes: "
                                           r"unknown node 'rm7' \(this scenario has tm, rm1, rm2, rm3\)"):
        presets._load(bad)
    ok = presets._load(presets.SCENARIO_DIR / "two-phase-commit-happy-path.yaml")
    assert ok.meta["captions"][4]["highlight"] == {"nodes": ["rm1", "rm2", "rm3"], "steps": [10, 11, 12]}


@pytest.mark.parametrize("preset_id", CAPTIONED)
def test_every_preset_caption_validates_against_its_run(preset_id):
    sc = load_preset(preset_id)
    validate_captions(sc.meta, scenario_nodes(sc), n_steps=_trace(preset_id).n_steps, where=preset_id)
    assert scenario_nodes(sc) == _trace(preset_id).nodes


# ------------------------------------------------------------------ coverage: a tour for every family
FAMILIES = {
    "two-phase commit": ("two-phase-commit",),
    "Paxos": ("paxos", "multi-paxos"),
    "Raft": ("raft",),
    "quorum store": ("quorum-store",),
    "CRDT": ("g-counter", "pn-counter", "or-set", "lww-register", "mv-register"),
}


@pytest.mark.parametrize("family", FAMILIES)
def test_every_protocol_family_has_a_tour_with_at_least_four_captions_each_showing_something(family):
    tours = []
    for p in list_presets():
        if p.protocol not in FAMILIES[family] or len(p.meta.get("captions") or ()) < 4:
            continue
        caps, tour = _tour(p.id)
        if len(caps) >= 4 and all(lanes or msgs for lanes, msgs, _, _ in tour):
            tours.append(p.id)
    assert tours, f"no preset of the {family} family can be toured"
    # the first preset a learner meets in the family's list is one of them
    first = [p.id for p in list_presets() if p.protocol == FAMILIES[family][0]][0]
    assert first in tours, (family, first)
