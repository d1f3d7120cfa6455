"""A leaderless quorum store under load: 5 replicas, 10,000 client operations, random faults.

Workload (``sim/workload.py``): 50 roaming clients × 200 ops over 16 keys, half reads, think
times 100–200 ticks (longer than an operation takes, so a client rarely has two
operations open at one replica — such replies could not be paired and the history would say
nothing about them; a put that times out is answered "outcome unknown", but a request that
dies with its crashed coordinator is never answered, and its client's later ops at that node
stay ``info``); uniform 5–25 tick latency, 1% loss, 1% duplication; a seeded schedule of
crashes, restarts, partitions and heals (one fault every ~2,000 ticks). Store: N = 5 replicas
of every key (``nodes`` = 5), R = W = 3 (strict quorums, R + W > N), LWW, read repair on.

Reported, measured side by side in one process: simulated events per second and wall time of
the run (with and without the per-step invariant checks), the bare ``heapq`` loop floor of
``bench/sim_throughput.py`` for the same number of events, and the time
``checkers.check(history, "linearizable")`` takes on the whole client history (bounded by
``--check-seconds``; a quorum store is not linearizable in general, so the verdict may well be
``illegal`` — what is measured is how long the checker needs to say so). If the whole check
runs out of time or steps, each key's sub-history is checked alone with an equal share of the
time, to show whether one hard key or all of them are the problem.

Run: ``.venv/bin/python bench/quorum_throughput.py [--reps 2] [--ops 10000] [--check-seconds 60]``.
"""

from __future__ import annotations

import argparse
import random
import time
from dataclasses import replace

from common import runs_against_the_floor  # (also puts the repo on sys.path)

from checkers import check
from checkers.from_trace import history_from_trace
from checkers.verdict import Budget
from protocols import REGISTRY
from sim.scenario import parse_scenario

NODES = [f"n{i}" for i in range(1, 6)]


def scenario(ops: int, seed: int = 7):
    clients = 50
    per_client = max(1, ops // clients)
    end = 100 + per_client * 200
    rng = random.Random(f"quorum-bench:{seed}")
    faults, t = [], 1500
    while t < end - 500 and len(faults) < 490:
        node = rng.choice(NODES)
        if rng.random() < 0.5:
            faults += [{"type": "crash", "node": node, "at": t}, {"type": "restart", "node": node, "at": t + 400}]
        else:
            faults += [{"type": "partition", "groups": [[node], [n for n in NODES if n != node]], "at": t},
                       {"type": "heal", "at": t + 600}]
        t += rng.randint(1500, 2500)
    return parse_scenario({
        "protocol": "quorum-store", "seed": seed,
        "params": {"nodes": 5, "N": 5, "R": 3, "W": 3, "horizon_ticks": end + 2000},
        "network": {"latency": {"kind": "uniform", "low": 5, "high": 25}, "loss": 0.01, "duplicate": 0.01},
        "workload": {"generate": {"clients": clients, "ops_per_client": per_client, "keys": [f"k{i}" for i in range(16)],
                                  "read_ratio": 0.5, "think_min": 100, "think_max": 200, "start": 100,
                                  "sessions": "roaming"}},
        "faults": faults,
        "limits": {"max_steps": 250_000, "max_time": end + 10_000, "max_pending": 20_000}})


def per_key(history, seconds: float) -> None:
    """Where the whole-history check ran out: each key's sub-history alone (keys are independent
    objects, Herlihy & Wing's locality), with an equal share of the time, hardest first."""
    keys = sorted({o.key for o in history.ops})
    results = []
    for key in keys:
        sub = replace(history, ops=tuple(replace(o, id=i) for i, o in
                                         enumerate(o for o in history.ops if o.key == key)))
        deadline = time.monotonic() + seconds / len(keys)
        t = time.perf_counter()
        v = check(sub, "linearizable", Budget(keep_going=lambda: time.monotonic() < deadline))
        info = sum(o.status == "info" and o.f == "put" for o in sub.ops)
        results.append((time.perf_counter() - t, key, v.result, len(sub.ops), info))
    tally = {r: sum(x[2] == r for x in results) for r in ("ok", "illegal", "unknown")}
    print(f"per key ({seconds / len(keys):.1f} s each): {tally}; slowest:")
    for took, key, result, n, info in sorted(results, reverse=True)[:3]:
        print(f"  {key}: {result} in {took:.2f} s ({n} ops, {info} unanswered puts)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--ops", type=int, default=10_000)
    ap.add_argument("--check-seconds", type=float, default=60.0)
    args = ap.parse_args()
    trace, best = runs_against_the_floor(scenario(args.ops), REGISTRY["quorum-store"], args.reps)
    history, _ = history_from_trace(trace)
    deadline = time.monotonic() + args.check_seconds
    t2 = time.perf_counter()
    verdict = check(history, "linearizable", Budget(keep_going=lambda: time.monotonic() < deadline))
    checked = time.perf_counter() - t2
    counts = {s: sum(o.status == s for o in history.ops) for s in ("ok", "fail", "info")}
    print(f"client history: {len(history.ops):,} ops ({counts}); linearizable: {verdict.result} "
          f"in {checked:.2f} s (limit {args.check_seconds:g} s)")
    if verdict.result == "unknown":
        per_key(history, args.check_seconds)
    print(f"best of {args.reps}: with invariants / bare = {best['sim'] / best['bare']:.4f}x; "
          f"without invariants / bare = {best['noinv'] / best['bare']:.4f}x")


if __name__ == "__main__":
    main()
