"""Running scenarios for the graders: one door (``run_dict``) and small readers of a trace.

Theory of operation
-------------------
A grader never believes an answer: it builds a scenario *dict* (the scenario file's format),
validates it with ``sim.scenario.parse_scenario`` like any untrusted file, runs it, and reads
the client history and the invariant changes off the trace. The dict is what ends up in a
``Feedback.witness`` (``{"scenario": ..., "step": ...}``), so the UI can replay exactly the run
the evidence came from. Runs are memoised on the canonical JSON of the dict (a bounded LRU, no
state shared beyond identical pure results), because a grader and its tests often ask for the
same run twice.
"""

from __future__ import annotations

import functools
import json
from typing import Any, Callable, Mapping

from sim.engine import run
from sim.scenario import parse_scenario
from sim.trace import Event, Trace


def run_dict(scenario: Mapping[str, Any]) -> Trace:
    """Validate and run a scenario dict (``ScenarioError`` if it is bad). ``meta`` (titles,
    captions) does not change a run, so it is left out of the run and its cache key: a question's
    copy of a preset (captions trimmed) reuses the preset's run."""
    return _run_json(json.dumps({k: v for k, v in scenario.items() if k != "meta"}, sort_keys=True,
                                separators=(",", ":")))


@functools.lru_cache(maxsize=64)
def _run_json(text: str) -> Trace:
    return run(parse_scenario(json.loads(text)))


def first_event(trace: Trace, pred: Callable[[Event], bool]) -> Event | None:
    return next((e for e in trace.events if pred(e)), None)


def returns_of(trace: Trace) -> list[tuple[Event, Event | None]]:
    """Each client invocation with its reply (the first ``return`` to the same client at the same
    node after it), in invocation order. Our probe workloads give every op its own client, so the
    pairing is exact."""
    out: list[tuple[Event, Event | None]] = []
    for inv in (e for e in trace.events if e.kind == "invoke"):
        client = inv.detail.get("client")
        ret = first_event(trace, lambda e, i=inv: e.kind == "return" and e.i > i.i and e.node == i.node
                          and e.detail.get("client") == client)
        out.append((inv, ret))
    return out


def notes_of(trace: Trace, key: str) -> list[Event]:
    return [e for e in trace.events if e.kind == "note" and (e.detail or {}).get("key") == key]
