"""Command line: ``python -m sim list [--json]`` and ``python -m sim run SCENARIO [--seed N] [--out TRACE.json]
[--history HISTORY.json]``.

``list`` prints every protocol with its parameters (default and bounds), bug variants and
named invariants. ``run`` runs a scenario file (YAML or JSON) and prints a one-line
summary; ``--out`` writes the trace as canonical JSON and ``--history`` the run's client
history in the checkers' JSON format (``python -m checkers check`` reads it). A bad scenario file exits with
status 2 and a one-line message naming the bad field.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sim.scenario import MAX_FILE_BYTES, MAX_SEED, ScenarioError, load_scenario_text
from ui.i18n import translate


def _describe_protocols(lang: str) -> list[dict]:
    from protocols import REGISTRY

    out = []
    for spec in REGISTRY.values():
        out.append({
            "id": spec.id,
            "title": translate(lang, spec.title_key),
            "source": spec.source,
            "params": [{"name": p.name, "default": p.default, "min": p.minimum, "max": p.maximum}
                       for p in spec.params],
            "bugs": [{"id": b.id, "breaks": list(b.breaks), "description": translate(lang, b.description_key)}
                     for b in spec.bugs],
            "invariants": [{"name": i.name, "source": i.source} for i in spec.invariants],
            "claims": list(spec.claims(spec.resolve_params({}), None)),
        })
    return out


def _cmd_list(args: argparse.Namespace) -> int:
    protocols = _describe_protocols(args.lang)
    if args.json:
        print(json.dumps(protocols, indent=2, ensure_ascii=False))
        return 0
    for p in protocols:
        print(f"{p['id']} — {p['title']}  [{p['source']}]")
        for q in p["params"]:
            bounds = f" ({q['min']}..{q['max']})" if q["min"] is not None or q["max"] is not None else ""
            print(f"    param {q['name']} = {q['default']}{bounds}")
        for b in p["bugs"]:
            print(f"    bug   {b['id']}: {b['description']} (breaks: {', '.join(b['breaks'])})")
        for i in p["invariants"]:
            print(f"    invariant {i['name']}  [{i['source']}]")
        if p["claims"]:
            print(f"    claims (default parameters): {', '.join(p['claims'])}")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from sim.engine import run

    path = Path(args.scenario)
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ScenarioError("", "err.too_large", f"file is larger than {MAX_FILE_BYTES // 1024} KiB")
        scenario = load_scenario_text(path.read_bytes())
        if args.seed is not None:
            if not 0 <= args.seed <= MAX_SEED:
                raise ScenarioError("seed", "err.out_of_range", f"must be between 0 and {MAX_SEED}")
            scenario = scenario.replace(seed=args.seed)
    except OSError as e:
        print(f"error: cannot read {path}: {e.strerror}", file=sys.stderr)
        return 2
    except ScenarioError as e:
        print(f"error: {path}: {e}", file=sys.stderr)
        return 2
    trace = run(scenario)
    if args.out:
        Path(args.out).write_text(trace.to_json(), encoding="utf-8")
    if args.history:
        from checkers.formats import to_json as history_json
        from checkers.from_trace import history_from_trace
        from checkers.history import HistoryError

        try:
            history, _ = history_from_trace(trace)
        except HistoryError as e:  # e.g. more operations than a history may hold
            print(f"error: the run's client history: {e}", file=sys.stderr)
            return 2
        Path(args.history).write_text(history_json(history), encoding="utf-8")
    bad = [name for name, v in trace.invariants_at(trace.n_steps - 1).items() if v is not None]
    ever = sorted(trace.ever_violated())
    print(f"{scenario.protocol} seed={scenario.seed}: {trace.n_steps} steps, {len(trace.events)} events, "
          f"end={trace.end['reason']}, violated at end: {', '.join(bad) or 'none'}, "
          f"ever violated: {', '.join(ever) or 'none'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sim", description="Consistency Lab simulator")
    parser.add_argument("--lang", choices=("en", "zh"), default="en", help="language of titles and descriptions")
    sub = parser.add_subparsers(dest="cmd", required=True)
    p_list = sub.add_parser("list", help="protocols with their parameters, bug variants and invariants")
    p_list.add_argument("--json", action="store_true", help="machine-readable output")
    p_run = sub.add_parser("run", help="run a scenario file (YAML or JSON)")
    p_run.add_argument("scenario")
    p_run.add_argument("--seed", type=int, default=None, help="override the scenario's seed")
    p_run.add_argument("--out", default=None, help="write the trace (JSON) here")
    p_run.add_argument("--history", default=None,
                       help="write the run's client history here (the checkers' JSON: python -m checkers check FILE)")
    args = parser.parse_args(argv)
    return _cmd_list(args) if args.cmd == "list" else _cmd_run(args)


if __name__ == "__main__":
    sys.exit(main())
