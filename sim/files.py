"""Reading untrusted scenario and trace files (uploads, CLI, share links).

Theory of operation
-------------------
A file is either a scenario (YAML or JSON, ``format: consistency-lab-scenario``) or a
trace (JSON, ``format: consistency-lab-trace``). A trace is never trusted as a record of
what happened: we take the scenario embedded in it, validate that, run it again, and
report whether the re-run reproduces the file's events byte for byte. So everything the
app shows is still a pure function of a validated scenario, and an edited or foreign
trace cannot make the app display impossible states. Sizes are checked before parsing;
JSON/YAML is parsed into plain data only (no tags, no aliases, nothing executed).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sim import trace as trace_mod
from sim.scenario import FORMAT as SCENARIO_FORMAT
from sim.scenario import ScenarioError, load_scenario_text, parse_scenario, Scenario

MAX_TRACE_BYTES = 20 * 1024 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class Loaded:
    scenario: Scenario
    kind: str  # "scenario" | "trace"
    reproduced: bool | None = None  # for traces: does a re-run give the file's events exactly?


def load_file(data: bytes) -> Loaded:
    """Parse an uploaded scenario or trace; raises ``ScenarioError`` naming what is wrong."""
    if len(data) > MAX_TRACE_BYTES:
        raise ScenarioError("", "err.too_large", f"file is larger than {MAX_TRACE_BYTES // (1024 * 1024)} MiB",
                            kib=MAX_TRACE_BYTES // 1024)
    head = data[:4096].lstrip()
    if head.startswith(b"{") and b'"' + trace_mod.FORMAT.encode() + b'"' in data[:1_000_000]:
        return _load_trace(data)
    return Loaded(scenario=load_scenario_text(data), kind="scenario")


def _load_trace(data: bytes) -> Loaded:
    from sim.engine import run

    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as e:
        line = getattr(e, "lineno", 0)
        raise ScenarioError("", "err.syntax", f"not valid JSON (line {line})", line=line) from None
    if not isinstance(doc, dict):
        raise ScenarioError("", "err.not_mapping", "must be a mapping of fields")
    if doc.get("format") != trace_mod.FORMAT:
        raise ScenarioError("format", "err.format", f"must be '{trace_mod.FORMAT}'", expected=trace_mod.FORMAT)
    if doc.get("version") not in trace_mod.READABLE_VERSIONS:  # only the scenario and events are read
        raise ScenarioError("version", "err.version", f"unsupported version (this app reads version "
                            f"{trace_mod.VERSION})", v=trace_mod.VERSION)
    raw = doc.get("scenario")
    if not isinstance(raw, dict):
        raise ScenarioError("scenario", "err.not_mapping", "must be a mapping of fields")
    raw.setdefault("format", SCENARIO_FORMAT)
    try:
        scenario = parse_scenario(raw)
    except ScenarioError as e:
        raise ScenarioError(f"scenario.{e.path}" if e.path else "scenario", e.key, e.english, **e.args_) from None
    rerun = run(scenario)
    events = doc.get("events")
    reproduced = isinstance(events, list) and [e.to_dict() for e in rerun.events] == events
    return Loaded(scenario=scenario, kind="trace", reproduced=reproduced)
