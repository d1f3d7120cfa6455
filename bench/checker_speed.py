"""Linearizability checker speed on the shared histories, against Porcupine's figures.

    .venv/bin/python bench/checker_speed.py [--reps 3] [--baseline]

For each set of ``../shared/histories`` (102 jepsen-etcd, 6 kv, 122 knossos) it reports the
total in-process time of ``check_linearizable`` with parsing excluded — the verdict alone
(what Porcupine's figures measure) and the verdict with our explanation (the minimal core
the page shows) — the slowest history, and the ratio to Porcupine's published totals on a
2-vCPU machine like CI's (``../shared/histories/README.md``: etcd 545 ms, kv 413 ms,
knossos 56 ms). Go is not installed here, so Porcupine cannot run beside us; to keep a
side-by-side ratio that machine noise cancels, ``--baseline`` also times, in the same run and
interleaved per history, a textbook Wing & Gong search in Python (memoised on
(linearized set, state), as Porcupine does, without our pruning), capped at 2 s per history.

Targets (issue 3): ≤ 1.0× Porcupine on etcd and kv, ≤ 2× on knossos, no history over 1 s.

``--teaching N`` also times every model on N seeded random register histories of teaching
size (2–6 processes, up to 40 operations, values 0–3 so reads are ambiguous, with and
without real time) and prints p50 / p95 / max per model; target: every one under 200 ms.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

from common import ROOT

from checkers import check, linearizable
from checkers.datatypes import ILLEGAL, datatype_of
from checkers.formats import read_history
from checkers.history import History, Op
from checkers.verdict import MODELS, Budget

SHARED = ROOT.parent / "shared" / "histories"
PORCUPINE_MS = {"jepsen-etcd": 545.0, "kv": 413.0, "knossos": 56.0}
TARGET = {"jepsen-etcd": 1.0, "kv": 1.0, "knossos": 2.0}


def datatype_for(folder: str, name: str) -> str:
    if folder == "jepsen-etcd":
        return "etcd-register"
    if folder == "kv":
        return "kv-string"
    return ("knossos-multi-register" if name.startswith("multi-register")
            else "knossos-mutex" if name.startswith("mutex") else "knossos-cas-register")


def load_sets() -> dict[str, list]:
    sets = {}
    for folder in PORCUPINE_MS:
        expected = json.loads((SHARED / folder / "expected.json").read_text())
        sets[folder] = [(name, read_history((SHARED / folder / name).read_bytes(), name=name,
                                            datatype=datatype_for(folder, name)), verdict)
                        for name, verdict in sorted(expected.items())]
    return sets


def textbook_wgl(history, deadline: float) -> bool | None:
    """Wing & Gong with Lowe's memo, per key, no pruning: the baseline (None = over 2 s)."""
    dt = datatype_of(history)
    for key, ops in linearizable._prepared(history).items():
        init = dt.initial_state(history, key)
        n = len(ops)
        rets = [o.ret if o.status == "ok" else float("inf") for o in ops]
        need = sum(1 << i for i, o in enumerate(ops) if o.status == "ok")
        seen = set()
        stack = [(0, init)]
        found = False
        steps = 0
        while stack:
            done, state = stack.pop()
            if done & need == need:
                found = True
                break
            if (done, state) in seen:
                continue
            seen.add((done, state))
            steps += 1
            if steps % 2048 == 0 and time.perf_counter() > deadline:
                return None
            first_return = min(rets[i] for i in range(n) if not done >> i & 1)
            for i in range(n):
                if done >> i & 1 or ops[i].call > first_return:
                    continue
                new = dt.step(state, ops[i])
                if new is not ILLEGAL:
                    stack.append((done | 1 << i, new))
        if not found:
            return False
    return True


def teaching_history(rng: random.Random) -> History:
    """2–6 processes, up to 40 register ops in all, short overlapping intervals."""
    procs = rng.randint(2, 6)
    per = rng.randint(2, 40 // procs)
    timed = rng.random() < 0.7
    ops, n = [], 0
    for p in range(procs):
        t = rng.randint(0, 4)
        for _ in range(per):
            call, ret = t, t + rng.randint(1, 6)
            t = ret + rng.randint(1, 4)
            key = rng.choice("xy")
            if rng.random() < 0.5:
                ops.append(Op(id=n, process=f"P{p + 1}", f="write", key=key, input=rng.randint(0, 3),
                              call=call if timed else None, ret=ret if timed else None))
            else:
                ops.append(Op(id=n, process=f"P{p + 1}", f="read", key=key, output=rng.randint(0, 3),
                              call=call if timed else None, ret=ret if timed else None))
            n += 1
    return History(tuple(ops), "register", {"x": 0, "y": 0}, timed=timed)


def teaching(count: int) -> bool:
    """Per model: p50/p95/max with the explanation, and the max of the verdict alone."""
    from checkers import views

    rng = random.Random("teaching-sizes")
    histories = [teaching_history(rng) for _ in range(count)]
    ok = True
    print(f"\nteaching sizes: {count} random register histories, 2–6 processes, ≤ 40 ops")
    print(f"{'model':22} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'verdict-only max':>17}  verdicts")
    cores = (views._core, linearizable._core)
    for model in MODELS:
        times, bare, results = [], [], {}
        for h in histories:
            t0 = time.perf_counter()
            v = check(h, model, Budget())
            t1 = time.perf_counter()
            views._core = linearizable._core = lambda *a, **k: None
            check(h, model, Budget())
            views._core, linearizable._core = cores
            bare.append((time.perf_counter() - t1) * 1000)
            times.append((t1 - t0) * 1000)
            outcome = v.result if v.applicable else "n/a"
            results[outcome] = results.get(outcome, 0) + 1
        times.sort()
        p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
        ok &= times[-1] <= 200
        print(f"{model:22} {times[len(times) // 2]:>8.1f} {p95:>8.1f} {times[-1]:>8.1f} {max(bare):>17.1f}  "
              + " ".join(f"{k}={v}" for k, v in sorted(results.items()))
              + ("" if times[-1] <= 200 else "   <- over 200 ms"))
    return ok


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--baseline", action="store_true")
    parser.add_argument("--teaching", type=int, default=0, metavar="N")
    args = parser.parse_args()
    if not SHARED.is_dir():
        sys.exit(f"{SHARED} not found: the shared histories sit beside the repository")
    sets = load_sets()
    explain_core = linearizable._core
    print(f"{'set':12} {'n':>4} {'verdict ms':>11} {'ratio':>6} {'target':>7} {'+explain ms':>12} "
          f"{'slowest (verdict+explain)':>34}" + ("  baseline ms  ours/baseline" if args.baseline else ""))
    all_ok = True
    for folder, items in sets.items():
        best_verdict = best_full = None
        slowest = (0.0, "")
        base_total, base_unfinished = 0.0, 0
        for rep in range(args.reps):
            verdict_ms = full_ms = 0.0
            for name, history, expected in items:
                linearizable._core = lambda *a: None
                t0 = time.perf_counter()
                v = linearizable.check_linearizable(history, Budget())
                t1 = time.perf_counter()
                linearizable._core = explain_core
                linearizable.check_linearizable(history, Budget())
                t2 = time.perf_counter()
                assert (v.result == "ok") == expected, f"{folder}/{name}: {v.result}, expected {expected}"
                verdict_ms += (t1 - t0) * 1000
                full_ms += (t2 - t1) * 1000
                if rep == 0:
                    slowest = max(slowest, ((t2 - t1) * 1000, name))
                    if args.baseline:
                        t3 = time.perf_counter()
                        verdict = textbook_wgl(history, t3 + 2.0)
                        base_total += (time.perf_counter() - t3) * 1000
                        base_unfinished += verdict is None
            best_verdict = verdict_ms if best_verdict is None else min(best_verdict, verdict_ms)
            best_full = full_ms if best_full is None else min(best_full, full_ms)
        ratio = best_verdict / PORCUPINE_MS[folder]
        ok = ratio <= TARGET[folder] and slowest[0] <= 1000
        all_ok &= ok
        line = (f"{folder:12} {len(items):>4} {best_verdict:>11.0f} {ratio:>5.2f}x {TARGET[folder]:>6.1f}x "
                f"{best_full:>12.0f} {slowest[1][-26:]:>26} {slowest[0]:>6.0f} ms")
        if args.baseline:
            first_rep_note = f" ({base_unfinished} over 2 s)" if base_unfinished else ""
            line += f"  {base_total:>10.0f}{first_rep_note}  {best_verdict / base_total:.3f}x"
        print(line + ("" if ok else "   <- misses target"))
    if args.teaching:
        all_ok &= teaching(args.teaching)
    print("all targets met" if all_ok else "some targets missed")


if __name__ == "__main__":
    main()
