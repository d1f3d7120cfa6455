"""Preset captions describe specific steps, so they must notice when a run changes.

Each caption is written for the step it names. If the simulator or a protocol changes how
a preset unfolds (another RNG draw, another message order), the caption would silently
describe the wrong step. ``tests/golden/preset-steps.json`` pins, per preset, what happens
at each captioned step (the step's cause and the kinds/nodes/message types of its events)
and a digest of the whole run. Rewrite it only with ``UPDATE_GOLDEN=1`` after re-reading
the captions against the new run.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from lessons.presets import list_presets, load_preset
from sim.engine import run

GOLDEN = Path(__file__).parent / "golden" / "preset-steps.json"


def _describe_step(trace, step: int) -> list[str]:
    info = trace.steps[step]
    out = [f"cause={info.cause}"]
    for e in trace.events_of_step(step):
        kind = (e.payload or {}).get("type") or (e.detail or {}).get("name") or (e.detail or {}).get("key") or ""
        out.append(f"{e.kind}:{e.node}->{e.peer}:{kind}")
    return out


def _fingerprint(preset_id: str) -> dict:
    scenario = load_preset(preset_id)
    trace = run(scenario)
    captions = scenario.meta.get("captions") or []
    return {
        # what the run does (events and verdicts), not how a trace file spells it
        "run_sha256": hashlib.sha256(json.dumps([[e.to_dict() for e in trace.events],
                                                 [list(c) for c in trace.invariant_changes]],
                                                sort_keys=True).encode()).hexdigest(),
        "captioned_steps": {str(c["step"]): _describe_step(trace, c["step"]) for c in captions},
    }


def test_golden_file_covers_every_preset():
    if os.environ.get("UPDATE_GOLDEN") == "1":
        GOLDEN.write_text(json.dumps({p.id: _fingerprint(p.id) for p in list_presets()}, indent=1,
                                     ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert set(golden) == {p.id for p in list_presets()}


@pytest.mark.parametrize("preset_id", [p.id for p in list_presets()])
def test_captioned_steps_still_show_what_the_caption_describes(preset_id):
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))[preset_id]
    now = _fingerprint(preset_id)
    assert now["captioned_steps"] == golden["captioned_steps"], (
        "the run changed at a captioned step: re-read this preset's captions, then UPDATE_GOLDEN=1")
    assert now["run_sha256"] == golden["run_sha256"], "the preset's run changed: check its captions"
