"""Pure edits of a scenario: what the lab's widgets, fault palette and manual mode do to it.

Theory of operation
-------------------
The lab never mutates a run; it makes a *new scenario* and runs it again (the simulator is
deterministic, so the past replays exactly). Three edits cover every button:

- ``apply_controls(scenario, controls)``: the sidebar (parameters, bug, seed, network,
  delivery mode) changed. The learner's branch (faults injected ``after_step`` and manual
  choices) refers to message ids and steps of the old run, so it is dropped; faults
  scheduled at a sim *time* (a preset's story) and the workload are kept when their nodes
  still exist.
- ``with_fault(scenario, branch_choices, fault, cursor)``: "do this now". The fault gets
  ``after_step: cursor`` (the engine applies it as step ``cursor + 1``). Every earlier
  branch edit that would act after ``cursor`` is dropped, so the new scenario has the same
  past as the run on screen and exactly one new future.
- ``with_choice(scenario, branch_choices, choice)``: manual mode, "deliver this next".

``branch_choices(trace, cursor)`` lists the deliveries and timer firings of steps
``0..cursor``; replaying them in manual mode reproduces that past, which is also how a
random-mode run becomes a manual one at the cursor.

Every result goes through ``sim.scenario.parse_scenario`` again, so an edit can never
produce a scenario a file could not (an unknown node raises ``ScenarioError``).
Nothing here imports Streamlit, reads a clock or draws randomness.
"""

from __future__ import annotations

from typing import Any, Mapping

from sim.scenario import Scenario, ScenarioError, parse_scenario
from sim.trace import Trace


def default_scenario(protocol: str) -> Scenario:
    """The protocol with its default parameters and a default network."""
    return parse_scenario({"protocol": protocol})


def controls_of(scenario: Scenario) -> dict[str, Any]:
    """The widget values that show ``scenario`` (inverse of ``apply_controls``)."""
    lat = scenario.network.latency
    return {
        "protocol": scenario.protocol,
        "params": dict(scenario.params),
        "bug": scenario.bug,
        "seed": scenario.seed,
        "latency_kind": lat.kind,
        "latency_low": lat.low,
        "latency_high": lat.high,
        "loss": scenario.network.loss,
        "duplicate": scenario.network.duplicate,
        "reorder": scenario.network.reorder,
        "mode": scenario.mode,
    }


def apply_controls(scenario: Scenario, controls: Mapping[str, Any]) -> Scenario:
    """``scenario`` with the sidebar's values; drops the learner's branch (see module doc).

    A different protocol starts from that protocol's defaults. Raises ``ScenarioError``
    for an out-of-bounds value (the widgets' limits should make that impossible)."""
    protocol = controls.get("protocol", scenario.protocol)
    base = scenario if protocol == scenario.protocol else default_scenario(protocol)
    d = base.to_dict()
    if "params" in controls:
        d["params"] = {**d["params"], **dict(controls["params"])}
    if "bug" in controls:
        d["bug"] = controls["bug"] or None
    if "seed" in controls:
        d["seed"] = controls["seed"]
    lat = d["network"]["latency"]
    for ctl, name in (("latency_kind", "kind"), ("latency_low", "low"), ("latency_high", "high")):
        if ctl in controls:
            lat[name] = controls[ctl]
    if lat["kind"] == "fixed":
        lat["high"] = max(lat["high"], lat["low"])
    for name in ("loss", "duplicate", "reorder"):
        if name in controls:
            d["network"][name] = controls[name]
    mode = controls.get("mode", d["delivery"]["mode"])
    d["delivery"] = {"mode": mode, "choices": []} if mode == "manual" else {"mode": "random"}
    d["faults"] = [f for f in d["faults"] if "after_step" not in f]
    if protocol != scenario.protocol:
        d.pop("meta", None)
    return _reparse_dropping_stale(d)


def _reparse_dropping_stale(d: dict[str, Any]) -> Scenario:
    """Parse ``d``; timed faults / workload naming nodes that no longer exist are dropped."""
    for _ in range(len(d.get("faults", [])) + len(d.get("workload") or []) + 1):
        try:
            return parse_scenario(d)
        except ScenarioError as e:
            if e.key != "err.unknown_node":
                raise
            head = e.path.split(".")[0]  # e.g. "faults[2]"
            for name in ("faults", "workload"):
                if head.startswith(name + "["):
                    del d[name][int(head[len(name) + 1:-1])]
                    break
            else:
                raise
    return parse_scenario(d)


def branch_choices(trace: Trace, cursor: int) -> list[str]:
    """Deliveries and timer firings of steps ``0..cursor``: the manual choices that replay that past."""
    cursor = clamp_cursor(cursor, trace.n_steps)
    return [s.ref for s in trace.steps[: cursor + 1] if s.cause in ("deliver", "timer") and s.ref is not None]


def _branch_dict(scenario: Scenario, choices: list[str] | None, cursor: int) -> dict[str, Any]:
    d = scenario.to_dict()
    # Branch edits that would act after the cursor belong to the future being replaced.
    d["faults"] = [f for f in d["faults"] if f.get("after_step") is None or f["after_step"] < cursor]
    if scenario.mode == "manual" and choices is not None:
        d["delivery"] = {"mode": "manual", "choices": list(choices)}
    return d


def with_fault(scenario: Scenario, choices: list[str] | None, fault: Mapping[str, Any], cursor: int) -> Scenario:
    """``fault`` (a dict like ``{"type": "crash", "node": "tm"}``) applied right after step ``cursor``.

    ``choices`` are ``branch_choices(trace, cursor)`` (used in manual mode only)."""
    if cursor < 0:
        raise ScenarioError("after_step", "err.out_of_range", "must be between 0 and the last step", lo=0, hi="∞")
    d = _branch_dict(scenario, choices, cursor)
    f = {k: v for k, v in dict(fault).items() if k not in ("at", "after_step")}
    f["after_step"] = int(cursor)
    d["faults"].append(f)
    return parse_scenario(d)


def with_choice(scenario: Scenario, choices: list[str], choice: str, cursor: int) -> Scenario:
    """Manual mode: replay ``choices`` (the past up to ``cursor``), then deliver/fire ``choice``."""
    d = _branch_dict(scenario.replace(mode="manual"), None, cursor)
    d["delivery"] = {"mode": "manual", "choices": [*choices, str(choice)]}
    return parse_scenario(d)


def switch_to_manual(scenario: Scenario, choices: list[str], cursor: int) -> Scenario:
    """Random → manual at ``cursor``: the deliveries so far become the first manual choices."""
    d = _branch_dict(scenario.replace(mode="manual"), list(choices), cursor)
    return parse_scenario(d)


def step_after_choices(trace: Trace, n_choices: int, fallback: int) -> int:
    """The step that consumed the ``n_choices``-th manual choice (1-based), or ``fallback``."""
    seen = 0
    for k, s in enumerate(trace.steps):
        if s.chosen:
            seen += 1
            if seen == n_choices:
                return k
    return clamp_cursor(fallback, trace.n_steps)


def clamp_cursor(cursor: int, n_steps: int) -> int:
    return max(0, min(int(cursor), max(0, n_steps - 1)))


def action_cursor(trace: Trace, cursor: int) -> int:
    """The step an action at ``cursor`` follows: the final ``end`` step is not a step of the run,
    so acting "after" it means acting after the last real step."""
    return max(0, min(clamp_cursor(cursor, trace.n_steps), trace.n_steps - 2))


def pending_messages(trace: Trace, cursor: int) -> list[dict[str, Any]]:
    """Messages in flight after ``cursor`` (what drop/duplicate/delay may target)."""
    return [p for p in trace.pending_at(clamp_cursor(cursor, trace.n_steps)) if p["kind"] == "message"]


def meta_text(meta: Mapping[str, Any], field: str, lang: str) -> str | None:
    """``meta[field][lang]`` (a preset's title or description), English when missing."""
    value = meta.get(field) if isinstance(meta, Mapping) else None
    if isinstance(value, Mapping):
        text = value.get(lang) or value.get("en")
        return str(text) if text else None
    return str(value) if isinstance(value, str) and value else None


def compare_events(trace: Trace, file_events: Any) -> int | None:
    """Index of the first event where a re-run differs from a file's events; ``None`` if identical."""
    import json

    ours = json.loads(json.dumps([e.to_dict() for e in trace.events]))
    theirs = file_events if isinstance(file_events, list) else []
    for i, (a, b) in enumerate(zip(ours, theirs)):
        if a != b:
            return i
    return None if len(ours) == len(theirs) else min(len(ours), len(theirs))
