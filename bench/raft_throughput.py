"""Raft under load: a 5-node Raft-KV run with 10,000 client operations under random faults.

Workload: 10,000 puts and gets over 8 keys, one every 5 ticks, each from its own client (so no
reply is ever ambiguous and the history keeps every outcome; Raft here has no client sessions) and sent to
a random server (followers redirect: a definite no-op); uniform 5–25 tick latency, 1% loss,
1% duplication; a seeded schedule of crashes, restarts, partitions and heals (one fault
every ~2,000 ticks). Reported: simulated events per second and wall time of
``sim.engine.run``, against the bare ``heapq`` loop floor of ``bench/sim_throughput.py`` doing
the same number of events in the same process (interleaved), and the time
``checkers.check(history, "linearizable")`` takes on the run's client history (which must
be linearizable: Raft's State Machine Safety, seen from the clients).

Also reported: the same run with the protocol's invariants switched off, which separates the
simulator's cost from the per-step checks of Figure 3's properties (each check reads whole
logs, so their cost grows with the log; the simulator itself records log splices only).

Run: ``.venv/bin/python bench/raft_throughput.py [--reps 3] [--ops 2000 10000]``.
"""

from __future__ import annotations

import argparse
import random
import time

from common import runs_against_the_floor  # (also puts the repo on sys.path)

from checkers import check
from checkers.from_trace import history_from_trace
from protocols import REGISTRY
from sim.scenario import parse_scenario


def scenario(ops: int, seed: int = 7):
    rng = random.Random(f"raft-bench:{seed}")
    workload = []
    for i in range(ops):
        key = f"k{rng.randrange(8)}"
        op = {"f": "get", "key": key} if rng.random() < 0.5 else {"f": "put", "key": key, "value": i}
        workload.append({"at": 400 + 5 * i, "node": f"s{rng.randint(1, 5)}", "client": f"c{i}", "op": op})
    end = 400 + 5 * ops
    faults, t = [], 1500
    while t < end - 500 and len(faults) < 490:
        kind = rng.choice(["crash", "partition"])
        node = f"s{rng.randint(1, 5)}"
        if kind == "crash":
            faults += [{"type": "crash", "node": node, "at": t}, {"type": "restart", "node": node, "at": t + 400}]
        else:
            others = [f"s{i}" for i in range(1, 6) if f"s{i}" != node]
            faults += [{"type": "partition", "groups": [[node], others], "at": t}, {"type": "heal", "at": t + 600}]
        t += rng.randint(1500, 2500)
    return parse_scenario({
        "protocol": "raft", "seed": seed,
        "params": {"nodes": 5, "horizon_ticks": end + 2000},
        "network": {"latency": {"kind": "uniform", "low": 5, "high": 25}, "loss": 0.01, "duplicate": 0.01},
        "workload": workload, "faults": faults,
        "limits": {"max_steps": 250_000, "max_time": end + 10_000, "max_pending": 20_000}})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--ops", type=int, nargs="+", default=[10_000])
    args = ap.parse_args()
    spec = REGISTRY["raft"]
    for ops in args.ops:
        trace, best = runs_against_the_floor(scenario(ops), spec, args.reps, label=f"{ops:,} ops, ")
        history, _ = history_from_trace(trace)
        t2 = time.perf_counter()
        verdict = check(history, "linearizable")
        checked = time.perf_counter() - t2
        counts = {s: sum(o.status == s for o in history.ops) for s in ("ok", "fail", "info")}
        print(f"  client history: {len(history.ops):,} ops ({counts}); linearizable: {verdict.result} "
              f"in {checked:.2f} s")
        print(f"  best of {args.reps}: with invariants / bare = {best['sim'] / best['bare']:.4f}x; "
              f"without invariants / bare = {best['noinv'] / best['bare']:.4f}x; "
              f"invariant checks cost {best['noinv'] / best['sim']:.1f}x the rest of the run")


if __name__ == "__main__":
    main()
