"""Side-by-side numbers for two runs of stores: what a comparison of configurations reports.

Theory of operation
-------------------
Two runs — the same workload and fault schedule against two configurations or two stores —
are compared by what their clients saw (``checkers.from_trace.history_from_trace``):

- **operations**: how many were invoked, and how many completed ``ok``, ``fail`` (refused: no
  effect) or stayed ``info`` (no answer by the end: may or may not have taken effect);
- **latency** of the ``ok`` operations in simulated ticks, from the invoke event to the reply
  event (mean, median and 95th percentile, numpy's linear interpolation);
- **availability under partition**: of the operations invoked while some link was cut
  (``Trace.cut_at``), the share that completed ``ok`` — what CAP's "A" is about;
- **anomalies**: the models each history violates, given verdicts computed by the caller
  (checking is bounded in time, so the UI runs it; this module only reads verdicts).

Pure: a function of the traces and verdicts, so the page, the exported figure and the tests
agree.
"""

from __future__ import annotations

from typing import Mapping, NamedTuple

import numpy as np

from checkers.from_trace import history_from_trace
from checkers.verdict import MODELS, Verdict
from sim.trace import Trace


class RunNumbers(NamedTuple):
    ops: int
    ok: int
    fail: int
    info: int
    latency_mean: float | None  # ticks, ok operations only; None without any
    latency_p50: float | None
    latency_p95: float | None
    partition_ops: int  # operations invoked while some link was cut
    partition_ok: int  # ... of which completed ok
    violated: tuple[str, ...]  # models violated, strongest first


def run_numbers(trace: Trace, verdicts: Mapping[str, Verdict]) -> RunNumbers:
    """The numbers of one run (see the module doc)."""
    history, events = history_from_trace(trace)
    by_id = {o.id: o for o in history.ops}
    latencies, part_ops, part_ok = [], 0, 0
    for op_id, (inv_i, ret_i) in events.items():
        inv = trace.events[inv_i]
        ok = by_id[op_id].status == "ok"
        if ok and ret_i is not None:
            latencies.append(trace.events[ret_i].time - inv.time)
        if trace.cut_at(inv.step):
            part_ops += 1
            part_ok += ok
    lat = np.asarray(latencies, dtype=float)
    stat = (lambda f: float(f(lat))) if lat.size else (lambda f: None)
    counts = {s: sum(o.status == s for o in history.ops) for s in ("ok", "fail", "info")}
    violated = tuple(m for m in MODELS if m in verdicts and verdicts[m].applicable
                     and verdicts[m].result == "illegal")
    return RunNumbers(ops=len(history.ops), ok=counts["ok"], fail=counts["fail"], info=counts["info"],
                      latency_mean=stat(np.mean), latency_p50=stat(np.median),
                      latency_p95=stat(lambda a: np.percentile(a, 95)),
                      partition_ops=part_ops, partition_ok=part_ok, violated=violated)


def availability(n: RunNumbers) -> float | None:
    """Share of the operations invoked under a partition that completed ok (None: there were none)."""
    return n.partition_ok / n.partition_ops if n.partition_ops else None
