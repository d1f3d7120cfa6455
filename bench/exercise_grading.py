"""Exercises: how long making and grading a question takes, next to the runs it needs.

For every exercise (and a few learner seeds) this times, in one process and side by side:

* ``make``  — ``core.make_question`` (uncached: each (exercise, seed) once);
* ``grade`` — ``core.grade`` of the answer key (what a learner waits for after Submit);
* ``floor`` — for kinds whose question is a run (predict, break), one bare ``sim.engine.run``
  of the question's scenario: what grading cannot go below, since it re-runs the simulator.

It prints per kind p50/p95/max of each and the ratio grade/floor, and the slowest exercises.
Also the progress record's re-grading (``record.regrade``) of one record holding an answer to
every exercise, against the sum of the single grades (the CLI's cost per record).

    .venv/bin/python bench/exercise_grading.py [--seeds 3]
"""

from __future__ import annotations

import argparse
from collections import defaultdict

import common  # noqa: F401  (puts the repo on sys.path)
from common import summary, timed

from lessons.exercises import core
from lessons.exercises import record as rec
from sim.engine import run
from sim.scenario import parse_scenario


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seeds", type=int, default=3)
    args = ap.parse_args()
    times: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    slowest: list[tuple[float, str, int]] = []
    record = rec.new("bench", 1)
    for spec in core.load_exercises().values():
        for learner in range(args.seeds):
            seed = core.question_seed(spec.id, learner)
            question, t_make = timed(core.kind_module(spec.kind).make, spec, seed)
            key = core.answer_key(question)
            feedback, t_grade = timed(core.grade, question, key)
            assert feedback.correct, (spec.id, seed)
            times[spec.kind]["make"].append(t_make)
            times[spec.kind]["grade"].append(t_grade)
            slowest.append((t_grade, spec.id, seed))
            scenario = question.data.get("scenario")
            if scenario is not None:
                _, t_floor = timed(run, parse_scenario(scenario))
                times[spec.kind]["floor"].append(t_floor)
                times[spec.kind]["ratio"].append(t_grade / max(t_floor, 1e-9))
            if learner == 0:
                record = rec.add(record, spec.id, seed, key, True)
    print(f"{len(core.load_exercises())} exercises × {args.seeds} seeds")
    print(f"{'kind':10} {'what':6} {'n':>4} {'p50 ms':>9} {'p95 ms':>9} {'max ms':>9}")
    for kind, by in sorted(times.items()):
        for what in ("make", "grade", "floor"):
            if by[what]:
                s = summary(by[what])
                print(f"{kind:10} {what:6} {s['n']:4d} {s['p50'] * 1e3:9.1f} {s['p95'] * 1e3:9.1f} {s['max'] * 1e3:9.1f}")
        if by["ratio"]:
            s = summary(by["ratio"])
            print(f"{kind:10} grade/floor ratio: p50 {s['p50']:.2f}×, p95 {s['p95']:.2f}×")
    print("slowest grades:", ", ".join(f"{i} (seed {s}) {t * 1e3:.0f} ms" for t, i, s in sorted(slowest)[-5:]))
    singles = sum(t for t, _, _ in slowest[:: args.seeds])
    rows, t_regrade = timed(rec.regrade, record)
    print(f"regrade of one record with {len(rows)} answers: {t_regrade:.2f} s "
          f"(first-seed single grades summed: {singles:.2f} s; ratio {t_regrade / max(singles, 1e-9):.2f}×)")


if __name__ == "__main__":
    main()
