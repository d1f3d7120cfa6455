"""Simulator throughput: events/s of ``sim.engine.run`` vs a bare ``heapq`` event loop.

Workload: the ``ping`` protocol on 5 nodes, all to all — every delivery forwards one
message to a random other node, latency uniform 5–15 ticks — for ~200,000 events
(100,001 steps). The baseline is the same workload written as the smallest possible
discrete-event loop (a heap of ``(due, seq, dst)``, one seeded ``random.Random``), run for
exactly the same number of events; a send and a delivery each count as one event, as in
the trace. Both run in this process, interleaved (A B A B A B), so machine noise hits both.

Target: simulator ≥ 0.25× the bare loop. Run: ``.venv/bin/python bench/sim_throughput.py [--reps 3]``.
"""

from __future__ import annotations

import argparse
import gc
import heapq
import random
import statistics
import time

import common  # noqa: F401  (puts the repo on sys.path)

from sim.engine import run
from sim.scenario import parse_scenario

SCENARIO = {"protocol": "ping", "params": {"nodes": 5}, "seed": 1, "limits": {"max_steps": 100001}}


def bare_loop(n_events: int, nodes: int = 5, seed: int = 1) -> int:
    """The same ping workload as a bare heapq loop; returns the number of events done."""
    rng = random.Random(seed)
    heap: list[tuple[int, int, int]] = []
    seq = events = 0
    others = [[j for j in range(nodes) if j != i] for i in range(nodes)]
    for i in range(nodes):  # each node's start sends one ping
        seq += 1
        heapq.heappush(heap, (rng.randint(5, 15), seq, rng.choice(others[i])))
        events += 1
    while events < n_events:
        now, _, dst = heapq.heappop(heap)
        events += 1  # delivery
        if events >= n_events:
            break
        seq += 1
        heapq.heappush(heap, (now + rng.randint(5, 15), seq, rng.choice(others[dst])))
        events += 1  # send
    return events


def time_sim(scenario) -> tuple[float, int]:
    gc.collect()
    t0 = time.perf_counter()
    trace = run(scenario)
    dt = time.perf_counter() - t0
    return dt, len(trace.events)


def time_bare(n: int) -> tuple[float, int]:
    gc.collect()
    t0 = time.perf_counter()
    done = bare_loop(n)
    return time.perf_counter() - t0, done


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    scenario = parse_scenario(SCENARIO)
    sim_rates, bare_rates, n_events = [], [], 0
    for rep in range(args.reps):
        dt, n_events = time_sim(scenario)
        sim_rates.append(n_events / dt)
        bdt, bn = time_bare(n_events)
        assert bn == n_events, (bn, n_events)
        bare_rates.append(bn / bdt)
        print(f"rep {rep + 1}: sim {n_events:,} events in {dt:.3f} s = {sim_rates[-1]:,.0f} ev/s;"
              f"  bare {bn:,} events in {bdt:.3f} s = {bare_rates[-1]:,.0f} ev/s")
    best_sim, best_bare = max(sim_rates), max(bare_rates)
    med_sim, med_bare = statistics.median(sim_rates), statistics.median(bare_rates)
    print(f"events per run: {n_events:,} (5-node all-to-all ping, uniform 5-15 latency)")
    print(f"sim.engine.run : best {best_sim:>12,.0f} ev/s   median {med_sim:>12,.0f} ev/s")
    print(f"bare heapq loop: best {best_bare:>12,.0f} ev/s   median {med_bare:>12,.0f} ev/s")
    ratio = best_sim / best_bare
    print(f"ratio sim/bare : best {ratio:.3f}x   median {med_sim / med_bare:.3f}x   (target >= 0.25x)"
          f"  -> {'PASS' if ratio >= 0.25 else 'BELOW TARGET'}")


if __name__ == "__main__":
    main()
