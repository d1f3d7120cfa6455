"""Command line: ``python -m checkers check FILE... [--model NAME | --all] [--datatype NAME] [--timeout S]``.

Prints one JSON object per file, one per line. For one model::

    {"file": ..., "model": ..., "result": "ok|illegal|unknown", "explanation": [...], "witness": {...}}

and for ``--all``::

    {"file": ..., "verdicts": {model: {"result", "explanation", "witness"}}}

Explanations are rendered in English (``--lang zh`` for 简体中文). Exit status: 0 all ok,
1 some illegal, 3 some unknown and none illegal, 2 bad input (a message on stderr naming
the file; the other files are still checked). With ``--all`` the status is 0 unless an
input is bad. ``--timeout`` bounds each model's search in wall-clock seconds (the clock
lives in ``ui.deadline``; the checkers themselves never read it).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from checkers import check
from checkers.datatypes import DATATYPES
from checkers.formats import read_history
from checkers.history import MAX_BYTES, HistoryError
from checkers.verdict import MODELS, Budget, Verdict
from ui.deadline import deadline
from ui.i18n import LANGS, translate

EXIT_OK, EXIT_ILLEGAL, EXIT_BAD_INPUT, EXIT_UNKNOWN = 0, 1, 2, 3


def _verdict_json(verdict: Verdict, lang: str) -> dict:
    return verdict.to_json(lambda m: translate(lang, m.key, **m.args))


def _budget(timeout: float | None) -> Budget:
    return Budget(keep_going=deadline(timeout) if timeout else None)


def _read(path: str, datatype: str | None):
    p = Path(path)
    if not p.is_file():
        raise HistoryError("chk.cli.no_such_file", "no such file")
    if p.stat().st_size > MAX_BYTES:
        raise HistoryError("chk.cli.too_big", f"larger than {MAX_BYTES} bytes", limit=MAX_BYTES)
    return read_history(p.read_bytes(), name=p.name, datatype=datatype)


def _cmd_check(args: argparse.Namespace) -> int:
    illegal = unknown = bad = False
    models = MODELS if args.all else (args.model,)
    for path in args.files:
        try:
            history = _read(path, args.datatype)
        except HistoryError as err:
            print(f"{path}: {err.english}", file=sys.stderr)
            bad = True
            continue
        verdicts = {m: check(history, m, _budget(args.timeout)) for m in models}
        if args.all:
            line = {"file": path, "verdicts": {m: _strip(_verdict_json(v, args.lang)) for m, v in verdicts.items()}}
        else:
            v = verdicts[args.model]
            line = {"file": path, **_verdict_json(v, args.lang)}
        print(json.dumps(line, ensure_ascii=False, sort_keys=False))
        results = {v.result for v in verdicts.values()}
        illegal |= "illegal" in results
        unknown |= "unknown" in results
    if bad:
        return EXIT_BAD_INPUT
    if args.all:
        return EXIT_OK
    return EXIT_ILLEGAL if illegal else EXIT_UNKNOWN if unknown else EXIT_OK


def _strip(verdict: dict) -> dict:
    return {k: verdict[k] for k in ("result", "applicable", "explanation", "witness")}


def _positive(text: str) -> float:
    value = float(text)
    if not 0 < value <= 86_400:
        raise argparse.ArgumentTypeError("must be a number of seconds in (0, 86400]")
    return value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m checkers", description="Check histories against consistency models.")
    sub = parser.add_subparsers(dest="command", required=True)
    c = sub.add_parser("check", help="check history files; one JSON line per file")
    c.add_argument("files", nargs="+", metavar="FILE")
    group = c.add_mutually_exclusive_group()
    group.add_argument("--model", choices=MODELS, default="linearizable")
    group.add_argument("--all", action="store_true", help="every model")
    c.add_argument("--datatype", choices=sorted(DATATYPES), default=None,
                   help="the datatype of JSON Lines / EDN histories (inferred when omitted)")
    c.add_argument("--timeout", type=_positive, default=None, help="seconds per model (default: no limit)")
    c.add_argument("--lang", choices=LANGS, default="en")
    args = parser.parse_args(argv)
    return _cmd_check(args)


if __name__ == "__main__":
    sys.exit(main())
