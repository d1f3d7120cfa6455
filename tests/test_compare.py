"""viz/compare.py: the numbers a comparison of two store runs reports, checked against the trace."""

from __future__ import annotations

import dataclasses

from checkers import check_all
from checkers.from_trace import history_from_trace
from lessons.presets import load_preset
from sim.engine import run
from viz.compare import availability, run_numbers


def _numbers(trace):
    history, _ = history_from_trace(trace)
    return run_numbers(trace, check_all(history))


def test_counts_and_latency_come_from_invoke_and_reply_events():
    trace = run(load_preset("raft-leader-crash"))
    n = _numbers(trace)
    invokes = [e for e in trace.events if e.kind == "invoke"]
    assert n.ops == len(invokes) and n.ok + n.fail + n.info == n.ops
    assert n.ok >= 1 and n.latency_mean is not None and 0 < n.latency_p50 <= n.latency_p95
    assert n.violated == ()  # a correct Raft run: every model holds


def test_availability_counts_only_operations_invoked_under_a_partition():
    stale = run(load_preset("raft-stale-leader"))  # c1 writes at the cut-off leader: never answered
    n = _numbers(stale)
    assert n.partition_ops >= 1 and n.partition_ok < n.partition_ops
    assert availability(n) == n.partition_ok / n.partition_ops
    calm = run(dataclasses.replace(load_preset("raft-stale-leader"), faults=()))
    assert _numbers(calm).partition_ops == 0 and availability(_numbers(calm)) is None


def test_a_bug_run_lists_the_models_it_violates_strongest_first():
    n = _numbers(run(load_preset("multi-paxos-bug-no-reproposal")))
    assert n.violated and n.violated[0] == "linearizable"
