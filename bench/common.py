"""Shared helpers for the benchmarks: put the repo on ``sys.path``, time things, summarise.

Server start/stop lives in ``tests/support/server.py`` and chromium's launch flags and
``wait_idle`` in ``tests/support/browser.py`` (one implementation for tests and benchmarks);
this module re-exports them so a benchmark only imports ``common``.
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.support.browser import CHROMIUM_ARGS, launch_chromium, wait_idle  # noqa: E402
from tests.support.server import ROOT as _ROOT, free_port, rss_kb, running, start_server, stop_server  # noqa: E402

assert _ROOT == ROOT

__all__ = ["ROOT", "CHROMIUM_ARGS", "free_port", "rss_kb", "running", "start_server", "stop_server",
           "percentile", "summary", "launch_chromium", "wait_idle", "timed_run",
           "runs_against_the_floor", "timed"]


def percentile(xs: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) — no interpolation, so p95 of 20 samples is a real sample."""
    if not xs:
        return float("nan")
    s = sorted(xs)
    k = max(0, min(len(s) - 1, int(round(p / 100 * len(s) + 0.5)) - 1))
    return s[k]


def summary(xs: list[float]) -> dict[str, float]:
    return {"n": len(xs), "p50": percentile(xs, 50), "p95": percentile(xs, 95),
            "mean": statistics.fmean(xs) if xs else float("nan"), "max": max(xs) if xs else float("nan")}


def timed(f, *args):
    """``(f(*args), seconds)``."""
    import time

    t0 = time.perf_counter()
    out = f(*args)
    return out, time.perf_counter() - t0


def timed_run(scenario, spec=None):
    """``(trace, seconds)`` of one simulator run, after a garbage collection (less noise)."""
    import gc
    import time

    from sim.engine import Simulation

    gc.collect()
    t0 = time.perf_counter()
    trace = Simulation(scenario, spec).run()
    return trace, time.perf_counter() - t0


def runs_against_the_floor(scenario, spec, reps: int, label: str = ""):
    """Run ``scenario`` ``reps`` times with the protocol's invariants and without, each time next
    to the bare ``heapq`` loop doing the same number of events; print one line per rep.

    Returns ``(last trace, best events/s per kind)`` with kinds ``sim`` (invariants checked after
    every step, as the lab runs), ``noinv`` and ``bare``."""
    import dataclasses
    import gc
    import time

    from sim_throughput import bare_loop

    no_invariants = dataclasses.replace(spec, invariants=())
    best = {"sim": 0.0, "noinv": 0.0, "bare": 0.0}
    trace = None
    for rep in range(reps):
        trace, wall = timed_run(scenario, spec)
        _, wall_noinv = timed_run(scenario, no_invariants)
        n = len(trace.events)
        gc.collect()
        t1 = time.perf_counter()
        bare_loop(n)
        bare = time.perf_counter() - t1
        for k, w in (("sim", wall), ("noinv", wall_noinv), ("bare", bare)):
            best[k] = max(best[k], n / w)
        print(f"{label}rep {rep + 1}: {n:,} events, {len(trace.steps):,} steps; with invariants {wall:.2f} s = "
              f"{n / wall:,.0f} ev/s; without {wall_noinv:.2f} s = {n / wall_noinv:,.0f} ev/s; "
              f"bare loop {n / bare:,.0f} ev/s; end: {trace.end.get('reason')}")
    return trace, best
