"""The preset ``raft-log-repair``: a diverged follower's log is repaired after a partition heals.

Reference: Raft §5.3, Figure 7 (Ongaro & Ousterhout 2014). When a leader's AppendEntries fails
the consistency check (the follower has no entry at ``prev_log_index`` with ``prev_log_term``),
the leader decrements ``next_index`` and retries; once the logs agree, the follower deletes its
conflicting entries and appends the leader's, so the logs converge to the leader's.

The steps that matter are found by searching the trace (notes, faults, messages), never by
hard-coded step numbers; ``tests/golden/preset-steps.json`` pins the captioned steps.
"""

from __future__ import annotations

import re

import pytest

from lessons.presets import caption_at, list_presets, load_preset
from protocols import REGISTRY
from sim.engine import run

PRESET = "raft-log-repair"
STALE = "s1"
SPEC = REGISTRY["raft"]


@pytest.fixture(scope="module")
def trace():
    return run(load_preset(PRESET))


def notes(trace, key, node=None):
    return [e for e in trace.events
            if e.kind == "note" and e.detail["key"] == key and (node is None or e.node == node)]


def first_step(trace, kind):
    return next(e.step for e in trace.events if e.kind == kind)


def terms(log):
    return [e["term"] for e in log]


def test_runs_to_quiescence_with_all_five_invariants_holding(trace):
    """Reference: Raft §5.3, Figure 7 — repairing a log never breaks the Figure 3 properties."""
    assert trace.end["reason"] == "quiescent"
    assert len(trace.invariant_names) == 5 and trace.first_violation_step() is None
    assert trace.invariant_changes == ()
    assert all(v is None for v in trace.invariants_at(trace.n_steps - 1).values())
    # and independently of the engine's bookkeeping: every invariant holds after every step
    for step in range(trace.n_steps):
        states = trace.states_at(step)
        live = {n: s for n, s in states.items() if trace.up_at(step)[n]}
        for inv in SPEC.invariants:
            assert inv.check(states) is None, (step, inv.name)
            assert inv.check(live) is None, (step, inv.name)


def test_the_stale_leader_appends_uncommittable_entries_while_cut_off(trace):
    """Reference: Raft §5.3, Figure 7 — a leader cut off from the majority keeps appending, never commits."""
    cut = first_step(trace, "partition")
    heal = first_step(trace, "heal")
    assert trace.cut_at(cut) == {("s1", "s2"), ("s1", "s3"), ("s2", "s1"), ("s3", "s1")}
    stale = [e for e in notes(trace, "raft.append", STALE) if cut < e.step < heal]
    assert len(stale) >= 2 and all(e.detail["args"]["term"] == 1 for e in stale)
    assert not [e for e in notes(trace, "raft.commit", STALE) if cut < e.step < heal]
    # the majority side elects a leader of term 2, which commits its own entries at the same indices
    new = [e for e in notes(trace, "raft.become_leader") if cut < e.step < heal]
    assert [(e.node, e.detail["args"]["term"]) for e in new] == [("s2", 2)]
    stale_indexes = {e.detail["args"]["index"] for e in stale}
    committed = {e.detail["args"]["index"] for e in notes(trace, "raft.commit", "s2")
                 if e.detail["args"]["term"] == 2}
    assert stale_indexes < committed  # the same indices, and beyond
    before_heal = trace.states_at(heal - 1)
    assert before_heal[STALE]["role"] == "leader" and before_heal[STALE]["current_term"] == 1


def test_after_the_heal_the_stale_server_steps_down_and_rejects_at_least_two_consistency_checks(trace):
    """Reference: Raft §5.3, Figure 7 — AppendEntries fails the consistency check; the leader backs off by one."""
    heal = first_step(trace, "heal")
    [down] = [e for e in notes(trace, "raft.become_follower", STALE) if e.step > heal]
    accepted = next(e.step for e in trace.events if e.step > heal and e.kind == "send" and e.node == STALE
                    and e.payload["type"] == "AppendEntriesReply" and e.payload["success"])
    rejects = [e for e in notes(trace, "raft.reject_append", STALE) if heal < e.step < accepted]
    assert len(rejects) >= 2 and down.step < rejects[0].step
    # every rejected probe came from the leader of a higher term, one index lower than the one before
    probes = [e for e in trace.events if heal < e.step <= accepted and e.kind == "deliver" and e.node == STALE
              and e.payload["type"] == "AppendEntries"]
    leader = {e.peer for e in probes}
    assert len(leader) == 1 and leader != {STALE}
    prevs = [e.payload["prev_log_index"] for e in probes]
    assert prevs == list(range(prevs[0], prevs[0] - len(prevs), -1))  # next_index backed off one at a time
    assert [e.detail["args"]["index"] for e in rejects] == prevs[:-1]
    for e in rejects:  # the follower really lacked the leader's (index, term) at that point
        log = trace.states_at(e.step)[STALE]["log"]
        i, t = e.detail["args"]["index"], e.detail["args"]["term"]
        assert i > len(log) or log[i - 1]["term"] != t
    assert any(e.detail["args"]["index"] > len(trace.states_at(e.step)[STALE]["log"]) for e in rejects)


def test_the_stale_server_truncates_its_uncommitted_term_1_entries(trace):
    """Reference: Raft §5.3, Figure 7 — the follower deletes the conflicting entry and all that follow it."""
    heal = first_step(trace, "heal")
    [cut] = notes(trace, "raft.truncate", STALE)
    assert cut.step > max(e.step for e in notes(trace, "raft.reject_append", STALE)) > heal
    index, count = cut.detail["args"]["index"], cut.detail["args"]["count"]
    before = trace.states_at(cut.step - 1)
    dropped = before[STALE]["log"][index - 1:index - 1 + count]
    assert count >= 2 and terms(dropped) == [1] * count and index + count - 1 == len(before[STALE]["log"])
    # none of them was ever committed, by anyone
    committed = {tuple(c[:2]) for s in trace.states_at(trace.n_steps - 1).values() for c in s["commits"]}
    assert all((i, 1) not in committed for i in range(index, index + count))
    assert all(before[STALE]["commit_index"] < i for i in range(index, index + count))
    after = trace.states_at(cut.step)[STALE]["log"]
    assert terms(after[index - 1:]) == [2] * (len(after) - index + 1)


def test_final_logs_are_identical_and_every_committed_term_2_entry_survives(trace):
    """Reference: Raft §5.3, Figure 7 — the leader forces the followers' logs to duplicate its own."""
    final = trace.states_at(trace.n_steps - 1)
    logs = {n: s["log"] for n, s in final.items()}
    assert len({repr(log) for log in logs.values()}) == 1
    assert len({s["commit_index"] for s in final.values()}) == 1
    [log] = {repr(v): v for v in logs.values()}.values()
    assert final["s1"]["commit_index"] == len(log)
    assert all(s["last_applied"] == len(log) for s in final.values())
    assert len({tuple(sorted(s["kv"].items())) for s in final.values()}) == 1
    term2 = {(c[0], c[1]) for s in final.values() for c in s["commits"] if c[1] == 2}
    assert len(term2) >= 3
    for index, term in term2:
        assert log[index - 1]["term"] == term == 2
    # what c2 was told succeeded is what every state machine holds; c1's stale writes are gone
    acked = [e for e in trace.events if e.kind == "return" and e.peer == "c2"]
    assert acked and all(e.detail["result"] == {"ok": True} for e in acked)
    assert all(e["by"] != STALE or e["term"] == 1 for e in log)
    assert [e["value"] for e in log if e["term"] == 1] == [1, 1]
    assert not any(e.kind == "return" and e.peer == "c1" and e.step > first_step(trace, "partition")
                   for e in trace.events)


def test_the_preset_loads_in_both_languages_with_captions_at_the_same_steps(trace):
    preset = next(p for p in list_presets("raft") if p.id == PRESET)
    meta = preset.meta
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for field in ("title", "description"):
        assert meta[field]["en"].strip() and cjk.search(meta[field]["zh"])
    captions = meta["captions"]
    steps = [c["step"] for c in captions]
    assert steps == sorted(set(steps)) and steps[-1] < trace.n_steps - 1
    for c in captions:
        assert set(c) == {"step", "en", "zh"} and c["en"].strip() and cjk.search(c["zh"])
        assert not cjk.search(c["en"])
        assert caption_at(meta, c["step"], "en") == c["en"]
        assert caption_at(meta, c["step"], "zh") == c["zh"]
    zh = "".join(c["zh"] for c in captions)
    for term in ("领导者", "跟随者", "候选人", "任期", "日志", "提交", "一致性检查", "网络分区"):
        assert term in zh, term
    # every key step is captioned: partition, stale appends, election, commits, heal, step-down,
    # each rejected consistency check, the truncation
    heal = first_step(trace, "heal")
    key_steps = {first_step(trace, "partition"), heal,
                 *(e.step for e in notes(trace, "raft.append", STALE) if e.step > first_step(trace, "partition")),
                 *(e.step for e in notes(trace, "raft.become_leader")),
                 *(e.step for e in notes(trace, "raft.become_follower", STALE)),
                 *(e.step for e in notes(trace, "raft.reject_append", STALE)),
                 *(e.step for e in notes(trace, "raft.truncate", STALE))}
    assert key_steps <= set(steps), sorted(key_steps - set(steps))
