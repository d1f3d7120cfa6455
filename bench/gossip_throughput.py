"""Gossip with 100 nodes: simulated messages per second against the bare-loop floor.

Workload: ``protocols/gossip.py`` with 100 nodes, push-pull, fan-out 1, 100-tick rounds; 20 updates
injected at random nodes over the first 20 rounds (some to the same key); uniform 5–25 tick latency,
1% loss, 1% duplication, 5% reordering; a seeded partition cutting 20 nodes off for 10 rounds and a
crash/restart of one node. The run ends by itself once every node knows that every peer holds what
it holds (``horizon_rounds`` 0: no cap). Reported, as in ``bench/raft_throughput.py``: wall time and
events/s with the three invariants checked after every step (as the lab runs) and without, each next
to the bare ``heapq`` loop of ``bench/sim_throughput.py`` doing the same number of events in the same
process; and the messages sent per second (sends are about a third of all events).

Run: ``.venv/bin/python bench/gossip_throughput.py [--reps 3] [--nodes 100]``.
"""

from __future__ import annotations

import argparse
import random

from common import runs_against_the_floor  # (also puts the repo on sys.path)

from protocols import REGISTRY
from protocols.gossip import rounds_to_full
from sim.scenario import parse_scenario


def scenario(nodes: int, seed: int = 7):
    rng = random.Random(f"gossip-bench:{seed}")
    ids = [f"n{i + 1}" for i in range(nodes)]
    workload = [{"at": rng.randint(0, 2000), "node": rng.choice(ids), "client": f"c{i}",
                 "op": {"f": "put", "key": f"k{rng.randrange(8)}", "value": i}} for i in range(20)]
    cut = rng.sample(ids, nodes // 5)
    victim = rng.choice(ids)
    faults = [{"type": "partition", "groups": [cut], "at": 500}, {"type": "heal", "at": 1500},
              {"type": "crash", "node": victim, "at": 800}, {"type": "restart", "node": victim, "at": 1300}]
    return parse_scenario({
        "protocol": "gossip", "seed": seed,
        "params": {"nodes": nodes, "push": True, "pull": True, "fanout": 1, "round_ticks": 100, "horizon_rounds": 0},
        "network": {"latency": {"kind": "uniform", "low": 5, "high": 25}, "loss": 0.01, "duplicate": 0.01,
                    "reorder": 0.05},
        "workload": workload, "faults": faults,
        "limits": {"max_steps": 250_000, "max_time": 1_000_000, "max_pending": 20_000}})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--nodes", type=int, default=100)
    args = ap.parse_args()
    spec = REGISTRY["gossip"]
    sc = scenario(args.nodes)
    trace, best = runs_against_the_floor(sc, spec, args.reps, label=f"{args.nodes} nodes, ")
    sends = sum(e.kind == "send" for e in trace.events)
    share = sends / len(trace.events)
    print(f"  {sends:,} messages sent ({share:.0%} of events); violated: {sorted(trace.ever_violated()) or 'nothing'}; "
          f"first update everywhere after {rounds_to_full(trace)} rounds")
    print(f"  best of {args.reps}: messages/s with invariants {best['sim'] * share:,.0f}, without "
          f"{best['noinv'] * share:,.0f}; bare loop floor {best['bare']:,.0f} events/s")
    print(f"  with invariants / bare = {best['sim'] / best['bare']:.4f}x; without invariants / bare = "
          f"{best['noinv'] / best['bare']:.4f}x; invariant checks cost {best['noinv'] / best['sim']:.1f}x the rest")


if __name__ == "__main__":
    main()
