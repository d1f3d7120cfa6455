"""Consensus views of the Protocol Lab: log matrix, term/ballot timeline, leader markers, invariant panel.

Checked as data on real preset runs, each against an independent reading of the same run
(``Trace.states_at`` at every step, the raw Raft fields), so the one-pass diff walk of
``viz.consensus.replica_history`` cannot drift from the states it summarises. Then the figures
build and validate for every preset of every protocol with ``replica_view``, a spec without one
shows nothing, and the Lab page shows the section (en and zh), hides it for two-phase commit, and
its "go to step" button moves the cursor and the share link with it.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import plotly.graph_objects as go
import pytest
from streamlit.testing.v1 import AppTest

from lessons.presets import list_presets, load_preset
from protocols import REGISTRY
from sim.engine import run
from sim.protocol import LogEntry, ReplicaView
from ui.i18n import has, translate, translator
from viz.consensus import (DOWN, LOG_WINDOW, epoch_timeline_figure, leaders_at, log_matrix_data,
                           log_matrix_figure, replica_history, role_segments)
from viz.topology import topology_figure
from viz.violations import episodes

APP = str(Path(__file__).resolve().parents[1] / "app.py")
RAFT = REGISTRY["raft"]
CORRECT_RAFT = ("raft-stale-leader", "raft-leader-crash", "raft-first-election", "raft-split-vote")


@pytest.fixture(scope="module")
def runs():
    cache = {}

    def get(preset_id):
        if preset_id not in cache:
            cache[preset_id] = run(load_preset(preset_id))
        return cache[preset_id]

    return get


class Recorder:
    """A translator that remembers every key asked for (to prove the catalogs have them all)."""

    def __init__(self, lang):
        self.lang, self.keys = lang, set()

    def __call__(self, key, **args):
        self.keys.add(key)
        return translate(self.lang, key, **args)


def _cursors(trace):
    return sorted({0, 1, trace.n_steps // 3, trace.n_steps // 2, trace.n_steps - 1})


def _view_at(trace, spec, step, node):
    v = spec.replica_view(trace.states_at(step)[node])
    return v, trace.up_at(step)[node] and v.up


# ------------------------------------------------------------------------------ log matrix
def test_figure_8_flags_the_conflicting_and_overwritten_entries(runs):
    trace = runs("raft-bug-figure-8")
    (sms,) = [e for e in episodes(trace) if e.invariant == "State Machine Safety"]
    a, b, index = sms.args["a"], sms.args["b"], sms.args["index"]
    cells = log_matrix_data(trace, sms.start, RAFT).cells.set_index(["node", "index"])
    # the step that broke State Machine Safety: a and b both hold index as committed, different entries
    assert cells.loc[(a, index), "committed"] and cells.loc[(b, index), "committed"]
    assert cells.loc[(a, index), "label"] != cells.loc[(b, index), "label"]
    assert cells.loc[(a, index), "conflict"] and cells.loc[(b, index), "conflict"]
    # the follower that deleted the committed entry for the new leader's: overwritten, and still conflicting
    assert cells["overwritten"].any()
    # at the end every log agrees again, but a server that applied the old entry had it overwritten
    end = trace.n_steps - 1
    final = log_matrix_data(trace, end, RAFT).cells.set_index(["node", "index"])
    assert not final["conflict"].any()
    states = trace.states_at(end)
    lost = [n for n in trace.nodes if states[n]["applied"][index - 1] != final.loc[(n, index), "label"]]
    assert lost and all(final.loc[(n, index), "overwritten"] for n in lost)


@pytest.mark.parametrize("preset", ["raft-bug-figure-8", "raft-stale-leader", "raft-leader-crash",
                                    "paxos-dueling-proposers"])
def test_conflict_flags_match_an_independent_reading_of_every_step(runs, preset):
    trace = runs(preset)
    spec = REGISTRY[trace.scenario.protocol]
    hist = replica_history(trace, spec)
    for step in range(0, trace.n_steps, 3):
        data = log_matrix_data(trace, step, spec, history=hist)
        labels = {}
        for n in trace.nodes:
            for e in spec.replica_view(trace.states_at(step)[n]).entries:
                labels.setdefault(e.index, set()).add(e.label)
        for c in data.cells.itertuples():
            assert c.conflict == (len(labels[c.index]) > 1), (step, c)


@pytest.mark.parametrize("preset", ["raft-bug-figure-8", *CORRECT_RAFT])
def test_committed_prefix_is_what_the_server_knows_committed(runs, preset):
    trace = runs(preset)
    for step in range(trace.n_steps):
        rows = log_matrix_data(trace, step, RAFT).rows.set_index("node")
        states = trace.states_at(step)
        for n in trace.nodes:
            s = states[n]
            known = max(s["commit_index"] or 0, len(s["applied"] or ()))
            assert rows.loc[n, "committed_prefix"] == min(known, len(s["log"] or ())), (step, n)
            if rows.loc[n, "up"]:
                assert rows.loc[n, "committed_prefix"] >= s["commit_index"], (step, n)
        if preset in CORRECT_RAFT:  # State Machine Safety, read off the matrix: committed cells agree
            cells = log_matrix_data(trace, step, RAFT).cells
            assert (cells[cells.committed].groupby("index")["label"].nunique() <= 1).all(), step


def test_crashed_server_row_is_marked_and_keeps_its_durable_log(runs):
    trace = runs("raft-leader-crash")
    (down,) = trace.down_intervals()
    mid = (down.start + down.end) // 2
    data = log_matrix_data(trace, mid, RAFT)
    row = data.rows.set_index("node").loc[down.what]
    assert not row["up"] and row["length"] == len(trace.states_at(mid)[down.what]["log"]) > 0
    assert not data.cells[data.cells.node == down.what]["up"].any()
    fig = log_matrix_figure(trace, mid, RAFT, translator("en"))
    assert any("✕" in tick for tick in fig.layout.yaxis.ticktext)


def test_long_logs_are_windowed_for_any_spec_with_a_replica_view(runs):
    """A fake protocol (as Multi-Paxos will be: slots, ballots) with 100-entry logs on a real run."""
    trace = runs("raft-leader-crash")

    def view(state):
        term = state.get("current_term") or 0
        return ReplicaView(role="acceptor", epoch=term, up=state.get("role") is not None,
                           entries=tuple(LogEntry(index=i, epoch=i % 4, label=f"v{i}", committed=i <= 90)
                                         for i in range(1, 101)))

    spec = dataclasses.replace(RAFT, id="fake-multi", replica_view=view, epoch_key="paxos.epoch")
    data = log_matrix_data(trace, 10, spec)
    assert (data.first, data.last) == (100 - LOG_WINDOW + 1, 100)
    assert set(data.cells["index"]) == set(range(data.first, 101))
    assert set(data.rows["committed_prefix"]) == {90}
    fig = log_matrix_figure(trace, 10, spec, translator("en"))
    assert translate("en", "consensus.window", first=data.first, last=100) in fig.layout.annotations[0].text
    assert len(fig.data[0].x) == LOG_WINDOW


# ------------------------------------------------------------------------------- timeline
@pytest.mark.parametrize("preset", ["raft-bug-figure-8", "raft-stale-leader", "raft-leader-crash",
                                    "paxos-dueling-proposers"])
def test_timeline_segments_agree_with_states_at_every_step(runs, preset):
    trace = runs(preset)
    spec = REGISTRY[trace.scenario.protocol]
    segs = role_segments(trace, spec)
    for n in trace.nodes:
        lane = segs[segs.node == n].sort_values("start")
        assert lane["start"].iloc[0] == 0 and lane["end"].iloc[-1] == trace.n_steps
        assert (lane["start"].iloc[1:].values == lane["end"].iloc[:-1].values).all()  # no gaps, no overlaps
        for seg in lane.itertuples():
            for step in range(seg.start, seg.end):
                v, up = _view_at(trace, spec, step, n)
                assert (seg.role, seg.epoch) == ((v.role if up else DOWN), v.epoch), (step, n, seg)


def test_timeline_shows_the_stale_leader_and_the_new_one_in_different_terms(runs):
    trace = runs("raft-stale-leader")
    leads = role_segments(trace, RAFT).query("role == 'leader'")
    overlapping = [(a, b) for a in leads.itertuples() for b in leads.itertuples()
                   if a.node < b.node and a.start < b.end and b.start < a.end]
    assert overlapping, "the preset is about two nodes believing they lead at once"
    assert all(a.epoch != b.epoch for a, b in overlapping)


def test_timeline_hatches_the_crashed_stretch_and_is_cut_at_the_cursor(runs):
    trace = runs("raft-leader-crash")
    (down,) = trace.down_intervals()
    segs = role_segments(trace, RAFT)
    crashed = segs[segs.role == DOWN]
    assert [(r.node, r.start, r.end) for r in crashed.itertuples()] == [(down.what, down.start, down.end)]
    cut = role_segments(trace, RAFT, cursor=down.start + 2)
    assert cut["end"].max() == down.start + 3
    fig = epoch_timeline_figure(trace, down.start + 2, RAFT, translator("en"))
    (bar,) = [d for d in fig.data if d.meta == f"role:{DOWN}"]
    assert bar.marker.pattern.shape == "/"
    assert fig.layout.shapes[0].x0 == down.start + 3  # the cursor line ends the drawn stretch


def test_history_reads_a_node_only_when_its_state_changed(runs):
    """Bounded work: one replica_view call per node at step 0 and per (step, node) with a real change."""
    trace = runs("raft-bug-figure-8")
    calls = []

    def counting(state):
        calls.append(1)
        return RAFT.replica_view(state)

    spec = dataclasses.replace(RAFT, replica_view=counting)
    replica_history(trace, spec)
    changed = sum(1 for s in range(1, trace.n_steps) for fields in trace.diffs[s].values()
                  if set(fields) - {"armed_timers"})
    faults = 2 * len(trace.down_intervals())
    assert len(calls) <= len(trace.nodes) + changed + faults < trace.n_steps * len(trace.nodes) / 2


# ------------------------------------------------------------------------------- topology
@pytest.mark.parametrize("preset", ["raft-stale-leader", "raft-leader-crash", "raft-bug-figure-8"])
def test_topology_marks_exactly_the_live_leaders_and_candidates(runs, preset):
    trace = runs(preset)
    seen_two = False
    for step in range(0, trace.n_steps, 2):
        expect = {"leader": set(), "candidate": set()}
        for n in trace.nodes:
            v, up = _view_at(trace, RAFT, step, n)
            if up and v.role in expect:
                expect[v.role].add(n)
        fig = topology_figure(trace, step, translator("en"))
        got = {meta: {n for d in fig.data if d.meta == meta for n in d.customdata}
               for meta in ("leaders", "candidates")}
        assert got == {"leaders": expect["leader"], "candidates": expect["candidate"]}, step
        assert {n for n, (r, _e) in leaders_at(trace, RAFT, step).items() if r == "leader"} == expect["leader"]
        seen_two |= len(expect["leader"]) > 1
    assert seen_two == (preset in ("raft-stale-leader", "raft-bug-figure-8"))


def test_topology_of_other_protocols_is_unchanged():
    trace = run(load_preset("two-phase-commit-happy-path"))
    fig = topology_figure(trace, trace.n_steps - 1, translator("en"))
    assert not [d for d in fig.data if d.meta in ("leaders", "candidates")]
    (nodes,) = [d for d in fig.data if d.meta == "nodes"]
    assert [t.split("<br>")[1] for t in nodes.text] == [translate("en", f"viz.role.{trace.roles[n]}")
                                                        for n in trace.nodes]


# ------------------------------------------------------------------------- invariant panel
def test_invariant_panel_lists_the_figure_8_violations_and_nothing_for_correct_runs(runs):
    eps = episodes(runs("raft-bug-figure-8"))
    assert {"Leader Completeness", "State Machine Safety"} <= {e.invariant for e in eps}
    for e in eps:
        assert e.nodes and has("en", e.key) and has("zh", e.key)
    for preset in CORRECT_RAFT + ("paxos-dueling-proposers", "paxos-happy-path"):
        assert episodes(runs(preset)) == [], preset


# ---------------------------------------------------------------------------- all presets
@pytest.mark.parametrize("preset", [p.id for p in list_presets() if REGISTRY[p.protocol].replica_view])
def test_figures_build_and_validate_for_every_consensus_preset(runs, preset):
    trace = runs(preset)
    spec = REGISTRY[trace.scenario.protocol]
    hist = replica_history(trace, spec)
    for lang in ("en", "zh"):
        tr = Recorder(lang)
        for c in _cursors(trace):
            for fig in (log_matrix_figure(trace, c, spec, tr, history=hist),
                        epoch_timeline_figure(trace, c, spec, tr, history=hist),
                        topology_figure(trace, c, tr)):
                go.Figure(fig.to_dict())  # full plotly validation
                assert len(fig.data) <= 12
        missing = {k for k in tr.keys if not has(lang, k)}
        assert not missing, missing


def test_protocols_without_replica_view_show_nothing():
    trace = run(load_preset("two-phase-commit-happy-path"))
    spec = REGISTRY["two-phase-commit"]
    assert spec.replica_view is None
    assert replica_history(trace, spec).points == {}
    assert role_segments(trace, spec).empty
    assert log_matrix_data(trace, 3, spec).cells.empty
    fig = log_matrix_figure(trace, 3, spec, translator("en"))
    assert not fig.data and fig.layout.annotations[0].text == translate("en", "consensus.none")
    assert not epoch_timeline_figure(trace, 3, spec, translator("zh")).data


# ------------------------------------------------------------------------------- the page
def _lab(lang):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = lang
    at.run()
    at.switch_page("pages/lab.py").run()
    assert not at.exception
    return at


def _raft(at, preset):
    at.selectbox(key="lab.w.protocol").set_value("raft").run()
    at.selectbox(key="lab.w.preset").set_value(preset).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_lab_shows_the_consensus_section_for_raft_only(lang):
    at = _lab(lang)
    title = translate(lang, "consensus.title", epoch=translate(lang, "raft.epoch"))
    inv = translate(lang, "consensus.inv.title")
    heads = [h.value for h in at.subheader]
    assert json.loads(at.session_state["lab.scenario_json"])["protocol"] == "two-phase-commit"
    assert title not in heads and inv in heads  # the invariant panel is for every protocol
    assert not at.get("plotly_chart")
    _raft(at, "raft-leader-crash")
    heads = [h.value for h in at.subheader]
    assert title in heads and inv in heads
    assert len(at.get("plotly_chart")) == 2
    assert translate(lang, "consensus.inv.all_hold_run", n=5, steps=run(load_preset("raft-leader-crash")).n_steps) in [
        s.value for s in at.success]
    text = " ".join(m.value for m in (*at.markdown, *at.caption, *at.subheader))
    assert "[consensus." not in text


def test_go_to_step_button_moves_the_cursor_and_the_share_link():
    from ui import share

    at = _raft(_lab("en"), "raft-bug-figure-8")
    eps = episodes(run(load_preset("raft-bug-figure-8")))
    k = next(i for i, e in enumerate(eps) if e.invariant == "State Machine Safety")
    label = translate("en", "raft.inv_label.state_machine_safety")
    assert any(label in i.value for i in at.info)  # ahead of the cursor (step 0)
    at.button(key=f"lab.inv.go.{k}").click().run()
    assert not at.exception
    assert at.session_state["lab.cursor"] == eps[k].start
    assert any(label in e.value for e in at.error)  # now broken at the cursor
    assert share.decode(at.code[-1].value.split("p=")[1])[1] == eps[k].start
    assert at.button(key=f"lab.inv.go.{k}").disabled
