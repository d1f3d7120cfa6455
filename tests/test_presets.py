"""Every preset under lessons/scenarios/ runs and ends for the reason its lesson claims.

Assertions find the interesting steps by searching the trace (first crash, restart, ...),
never by hard-coded step numbers, so re-tuning a preset does not silently break a lesson.
"""

from __future__ import annotations

import pytest

from lessons.presets import caption_at, list_presets, load_preset
from protocols import REGISTRY
from sim.engine import run

PRESETS = list_presets()
IDS = [p.id for p in PRESETS]
RMS = lambda states: {n: s for n, s in states.items() if n != "tm"}  # noqa: E731


def trace_of(preset_id):
    return run(load_preset(preset_id))


def test_the_issue_presets_exist():
    for pid in ("two-phase-commit-happy-path", "two-phase-commit-rm-votes-no", "two-phase-commit-coordinator-crash",
                "two-phase-commit-message-loss", "two-phase-commit-bug-commit-on-majority",
                "logical-clocks-basic", "logical-clocks-four-processes"):
        assert pid in IDS
    assert load_preset("logical-clocks-four-processes").params["processes"] == 4
    with pytest.raises(KeyError):
        load_preset("../../etc/passwd")


@pytest.mark.parametrize("preset", PRESETS, ids=IDS)
def test_preset_is_well_formed_and_runs(preset):
    assert preset.id.startswith(preset.protocol + "-") and preset.protocol in REGISTRY
    meta = preset.meta
    for field in ("title", "description"):
        assert meta[field]["en"].strip() and meta[field]["zh"].strip()
    t = trace_of(preset.id)
    assert t.end["reason"] == "quiescent"
    assert meta["captions"], "every preset captions its key steps"
    for c in meta["captions"]:
        assert 0 <= c["step"] < t.n_steps - 1 and c["en"].strip() and c["zh"].strip()
    first = meta["captions"][0]
    assert caption_at(meta, first["step"], "zh") == first["zh"]
    if load_preset(preset.id).bug is None:
        assert t.first_violation_step() is None
    else:  # a bug preset exists to show its bug
        assert t.first_violation_step() is not None


def test_happy_path_commits_everywhere_and_releases_locks():
    t = trace_of("two-phase-commit-happy-path")
    final = t.states_at(t.n_steps - 1)
    assert final["tm"]["tm_state"] == "committed"
    assert all(s["rm_state"] == "committed" and not s["locks_held"] for s in RMS(final).values())
    replies = [e.detail["result"] for e in t.events if e.kind == "return"]
    assert replies == [{"outcome": "committed"}]


def test_rm_votes_no_aborts_everywhere():
    t = trace_of("two-phase-commit-rm-votes-no")
    final = t.states_at(t.n_steps - 1)
    assert final["tm"]["tm_state"] == "aborted"
    assert all(s["rm_state"] == "aborted" and not s["locks_held"] for s in RMS(final).values())
    assert final["rm2"]["history"] == ["rm_choose_to_abort"]
    assert [e.detail["result"] for e in t.events if e.kind == "return"] == [{"outcome": "aborted"}]


def test_coordinator_crash_blocks_participants_in_doubt_until_the_tm_recovers():
    t = trace_of("two-phase-commit-coordinator-crash")
    crash = next(e.step for e in t.events if e.kind == "crash" and e.node == "tm")
    restart = next(e.step for e in t.events if e.kind == "restart" and e.node == "tm")
    decided = next(e.step for e in t.events if e.kind == "note" and e.detail["key"] == "tpc.tm_commit")
    assert decided < crash < restart
    assert t.states_at(crash)["tm"]["tm_state"] == "committed"  # durably decided before the crash
    # while the TM is down: some RM already committed, the others are in doubt, holding their locks
    blocked = RMS(t.states_at(restart - 1))
    in_doubt = sorted(n for n, s in blocked.items() if s["rm_state"] == "prepared")
    assert in_doubt and all(blocked[n]["locks_held"] for n in in_doubt)
    assert all(s["rm_state"] in ("prepared", "committed") for s in blocked.values())
    assert not t.up_at(restart - 1)["tm"]
    # their questions were dropped because the TM was down, and none of them decided alone
    window = t.events[t.step_first_event[crash]:t.step_first_event[restart]]
    asked = {e.node for e in window if e.kind == "send" and e.payload["type"] == "DecisionRequest"}
    assert asked == set(in_doubt)
    assert any(e.kind == "drop" and e.detail["reason"] == "crashed" for e in window)
    for s in range(crash, restart):
        for n in in_doubt:
            assert t.states_at(s)[n]["rm_state"] == "prepared"
    # after the restart everyone ends committed, locks released
    final = RMS(t.states_at(t.n_steps - 1))
    assert all(s["rm_state"] == "committed" and not s["locks_held"] for s in final.values())


def test_message_loss_still_commits_everywhere():
    t = trace_of("two-phase-commit-message-loss")
    assert sum(e.kind == "drop" and e.detail["reason"] == "loss" for e in t.events) >= 3
    resent = [e for e in t.events if e.kind == "timer" and e.detail["name"] == "tm_retry"]
    assert resent, "the TM re-sent Prepare"
    final = t.states_at(t.n_steps - 1)
    assert all(s["rm_state"] == "committed" and not s["locks_held"] for s in RMS(final).values())


def test_bug_preset_violates_tc_consistent():
    t = trace_of("two-phase-commit-bug-commit-on-majority")
    violated = t.ever_violated()
    assert {"TCConsistent", "TM commits only if all prepared"} <= violated
    final = RMS(t.states_at(t.n_steps - 1))
    assert {s["rm_state"] for s in final.values()} == {"committed", "aborted"}


@pytest.mark.parametrize("pid", ["logical-clocks-basic", "logical-clocks-four-processes"])
def test_logical_clock_presets_hold_the_clock_condition(pid):
    t = trace_of(pid)
    sc = load_preset(pid)
    n, k = sc.params["processes"], sc.params["events_per_process"]
    final = t.states_at(t.n_steps - 1)
    assert len(final) == n and all(s["actions_left"] == 0 for s in final.values())
    receives = sum(e.kind == "note" and e.detail["key"] == "lc.receive" for e in t.events)
    assert receives >= 2 and sum(s["events"] for s in final.values()) == n * k + receives
    assert t.invariant_changes == ()


# ------------------------------------------------------------------ catalog coverage
MINE = ("two-phase-commit", "logical-clocks", "ping")


def _spec_keys():
    for pid in MINE:
        spec = REGISTRY[pid]
        yield from (spec.title_key, spec.summary_key)
        yield from (p.help_key for p in spec.params)
        yield from (b.description_key for b in spec.bugs)
        yield from (i.description_key for i in spec.invariants)
    yield from (f"causality.{r}" for r in ("same", "before", "after", "concurrent"))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_key_the_protocols_use_is_translated(lang):
    from ui.i18n import has, translate

    missing = [k for k in _spec_keys() if not has(lang, k)]
    assert missing == []
    # every note and violation the presets produce renders fully (known key, all placeholders filled)
    for preset in PRESETS:
        t = trace_of(preset.id)
        for e in t.events:
            if e.kind in ("note", "violation") and e.node != "__engine__":
                key, args = e.detail["key"], e.detail["args"]
                if key.startswith(("tpc.", "lc.")):
                    text = translate(lang, key, **args)
                    assert has(lang, key) and "{" not in text, (key, text)


def test_both_languages_have_the_same_protocol_keys():
    import yaml
    from pathlib import Path

    def flat(node, prefix=""):
        if isinstance(node, dict):
            out = {}
            for k, v in node.items():
                out.update(flat(v, f"{prefix}.{k}" if prefix else str(k)))
            return out
        return {prefix: node}

    root = Path(__file__).resolve().parents[1] / "ui" / "i18n"
    en = flat(yaml.safe_load((root / "en" / "protocols.yaml").read_text(encoding="utf-8")))
    zh = flat(yaml.safe_load((root / "zh" / "protocols.yaml").read_text(encoding="utf-8")))
    assert set(en) == set(zh)
    assert all(isinstance(v, str) and v.strip() for v in [*en.values(), *zh.values()])


@pytest.mark.parametrize("module", ["two_phase_commit", "logical_clocks"])
def test_every_key_literal_in_the_protocol_source_is_translated(module):
    import re
    from pathlib import Path

    from ui.i18n import has

    src = (Path(__file__).resolve().parents[1] / "protocols" / f"{module}.py").read_text(encoding="utf-8")
    keys = set(re.findall(r'key="([a-z_.-]+)"', src)) | set(re.findall(r'"((?:tpc|lc)\.[a-z_]+)"', src))
    assert len(keys) > 10
    for lang in ("en", "zh"):
        assert [k for k in sorted(keys) if not has(lang, k)] == []
