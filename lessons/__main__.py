"""``python -m lessons grade RECORD.json...`` — re-grade progress records, print CSV.

Each record's answers are graded again by re-running them (``lessons.exercises.record.regrade``):
the ``correct`` flags a record claims are ignored, so an edited record cannot raise its own
score; they are printed beside the real count (``claimed_correct``) so tampering shows.

CSV columns (stdout): file, learner, assignment, answered, correct, total, score_percent,
claimed_correct. ``total`` is the assignment's size when the record names a known assignment
(a repository one, or the ad-hoc one given with ``--assign CODE``, the ``?assign=`` value of its
link), else the number of answers. A file that cannot be read gets one line on stderr; the
others are still graded, and the exit status is 2 at the end. A named learner whose
``learner_seed`` is not the one the app derives from the name (an edited record: per-learner
questions are someone else's) gets a note on stderr; the row is still printed.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

from lessons.exercises import core
from lessons.exercises import record as rec

COLUMNS = ("file", "learner", "assignment", "answered", "correct", "total", "score_percent", "claimed_correct")


def _grade_file(path: Path, adhoc: rec.Assignment | None) -> list[object]:
    size = path.stat().st_size
    if size > rec.MAX_RECORD_BYTES:
        raise rec.RecordError("exercises.err.too_big", f"the file is larger than {rec.MAX_RECORD_BYTES // 1024} KiB")
    r = rec.parse(path.read_bytes())
    if r.learner.strip() and r.learner_seed != core.learner_seed_of(r.learner):
        # the app derives a named learner's seed from the name: an edited seed picks someone else's questions
        print(f"{path}: note: learner_seed {r.learner_seed} is not the seed of learner {r.learner!r}", file=sys.stderr)
    assignment = rec.find_assignment(r.assignment, adhoc)
    s = rec.score(r, assignment)
    return [str(path), r.learner, r.assignment or "", s.answered, s.correct, s.total, f"{s.percent:.1f}",
            s.claimed_correct]


def grade(paths: list[str], adhoc_code: str | None = None) -> int:
    adhoc = None
    if adhoc_code:
        try:
            adhoc = rec.decode_assignment(adhoc_code)
        except rec.RecordError as e:
            print(f"--assign: {e.english}", file=sys.stderr)
            return 2
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(COLUMNS)
    status = 0
    for name in paths:
        try:
            row = _grade_file(Path(name), adhoc)
        except rec.RecordError as e:
            print(f"{name}: {e.english}", file=sys.stderr)
            status = 2
            continue
        except OSError as e:
            print(f"{name}: cannot read ({e.strerror or type(e).__name__})", file=sys.stderr)
            status = 2
            continue
        out.writerow(row)
        sys.stdout.flush()
    return status


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lessons", description="Consistency Lab lessons tools")
    sub = parser.add_subparsers(dest="command", required=True)
    g = sub.add_parser("grade", help="re-grade progress records (JSON) and print CSV")
    g.add_argument("records", nargs="+", metavar="RECORD.json")
    g.add_argument("--assign", metavar="CODE", help="an ad-hoc assignment (the ?assign= value of its link)")
    args = parser.parse_args(argv)
    return grade(args.records, args.assign)


if __name__ == "__main__":
    sys.exit(main())
