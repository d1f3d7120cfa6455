"""The ``break`` exercise kind: write a fault schedule that makes a bug variant break an invariant.

Theory of operation
-------------------
An exercise starts from a scenario — a preset (``params.preset``, its faults and captions
dropped) or an inline ``params.scenario`` — run with a **bug variant** (``params.bug``
overrides the preset's). The learner gets the scenario *without faults*, the node ids, the
fault types allowed, a time limit ``t_max`` and a budget ``max_faults``, and must schedule
faults (in the scenario file's own format, ``docs/formats.md``) under which the named
invariant (``params.invariant``, a name the protocol exports) is violated.

The question's seed becomes the scenario seed, so two learners face different network
randomness (latency draws, the nodes' timeouts). The exercise keeps a known-good schedule in
its YAML (``params.key``); the tests replay it for many seeds, and ``params.correct_keeps``
says whether the protocol *without* the bug keeps the invariant under it (the tests check
that too).

Parsing never trusts the answer: the list is bounded, each fault's type must be allowed, and
each fault goes through ``sim.scenario.parse_fault`` — the parser every scenario file goes
through — so a bad node, field or message id is an ``AnswerError`` naming the fault, never a
traceback. Grading replays the bug variant with the faults (``lessons.exercises.runs``), reads
the invariant's first violation off the trace (its step, and the protocol's own explanation of
it), and runs the correct protocol under the same schedule to say, honestly, whether the bug
or the faults broke it.

Deviations: the seed varies only the scenario seed, never which node plays which part, so the
key schedule needs no adapting; the tests prove it works for every seed they try.
"""

from __future__ import annotations

import copy
from typing import Any, Mapping

from checkers.verdict import Message
from lessons.exercises import core
from lessons.exercises.runs import run_dict
from lessons.presets import load_preset
from protocols import REGISTRY
from sim.scenario import FAULT_TYPES, ScenarioError, parse_fault, parse_scenario

MAX_FAULTS = 12  # an exercise may not allow more: the form and the replay stay small
MAX_STEPS = 20_000  # each replay is bounded (two replays per grade)


# ------------------------------------------------------------------------------------ make
def make(spec: core.ExerciseSpec, seed: int) -> core.Question:
    base = base_scenario(spec)
    base["seed"] = seed  # the network's randomness is the learner's own
    proto = REGISTRY[base["protocol"]]
    invariant = _invariant(spec, proto)
    types, t_max, max_faults = _limits(spec)
    nodes = list(proto.node_ids(proto.resolve_params(base.get("params") or {})))
    data = {"scenario": base, "nodes": nodes, "fault_types": types, "t_max": t_max, "max_faults": max_faults,
            "invariant": invariant.name}
    bug = next(b for b in proto.bugs if b.id == base["bug"])
    prompt = (Message("ex_break.prompt.task", {"invariant": invariant.name, "protocol": Message(proto.title_key, {}),
                                                "max_faults": max_faults, "t_max": t_max,
                                                "types": ", ".join(types)}),
              Message(bug.description_key, {}),
              Message("ex_break.prompt.invariant", {"text": Message(invariant.description_key, {})}),
              Message("ex_break.prompt.format", {"nodes": ", ".join(nodes)}))
    hints = tuple({"en": en, "zh": zh} for en, zh in zip(spec.hints.get("en", ()), spec.hints.get("zh", ())))
    return core.Question(exercise_id=spec.id, kind=spec.kind, form="schedule", seed=seed, prompt=prompt,
                         data=data, hints=hints)


def base_scenario(spec: core.ExerciseSpec) -> dict[str, Any]:
    """The exercise's scenario dict, with its bug, without faults or captions, normalised by the parser."""
    p = spec.params
    try:
        if "preset" in p:
            raw = load_preset(str(p["preset"])).to_dict()
        else:
            raw = dict(p.get("scenario") or {})
        raw = {**raw, "faults": [], "meta": {}}
        for name in ("bug", "params", "network", "workload", "limits"):
            if name in p:
                raw[name] = p[name]
        scenario = parse_scenario(raw)
    except (ScenarioError, FileNotFoundError, KeyError) as e:
        raise core.ExerciseError(f"{spec.id}: bad scenario ({e})") from None
    if scenario.bug is None:
        raise core.ExerciseError(f"{spec.id}: a break exercise needs a bug variant")
    out = scenario.to_dict()
    out.pop("meta", None)
    out["limits"]["max_steps"] = min(out["limits"]["max_steps"], MAX_STEPS)
    return out


def _invariant(spec: core.ExerciseSpec, proto):
    name = spec.params.get("invariant")
    inv = next((i for i in proto.invariants if i.name == name), None)
    if inv is None:
        raise core.ExerciseError(f"{spec.id}: {proto.id} has no invariant {name!r}")
    return inv


def _limits(spec: core.ExerciseSpec) -> tuple[list[str], int, int]:
    p = spec.params
    types = list(p.get("fault_types") or ())
    t_max, max_faults = p.get("t_max"), p.get("max_faults")
    if not types or any(t not in FAULT_TYPES for t in types):
        raise core.ExerciseError(f"{spec.id}: fault_types must be a non-empty subset of {FAULT_TYPES}")
    if not (isinstance(t_max, int) and t_max > 0 and isinstance(max_faults, int) and 1 <= max_faults <= MAX_FAULTS):
        raise core.ExerciseError(f"{spec.id}: t_max > 0 and max_faults in 1..{MAX_FAULTS} are required")
    return types, t_max, max_faults


# ------------------------------------------------------------------------------ answers
def parse_answer(question: core.Question, raw: Any) -> list[dict[str, Any]]:
    """A list of at most ``max_faults`` fault dicts of allowed types, each valid for
    ``sim.scenario.parse_fault`` and no later than ``t_max``; returned normalised."""
    data = question.data
    if not isinstance(raw, list):
        raise core.AnswerError("ex_break.err.not_list", "the answer must be a list of faults")
    if len(raw) > data["max_faults"]:
        raise core.AnswerError("ex_break.err.too_many", f"at most {data['max_faults']} faults",
                               n=data["max_faults"])
    for i, d in enumerate(raw):
        _check_fault(data, i, d)
    try:  # the whole scenario once more, exactly as the grader will run it
        return parse_scenario({**data["scenario"], "faults": raw}).to_dict()["faults"]
    except ScenarioError as e:  # not expected after the checks above, but never a traceback
        raise _fault_error(e) from None


def _check_fault(data: Mapping[str, Any], i: int, d: Any) -> None:
    ftype = d.get("type") if isinstance(d, Mapping) else None
    if not isinstance(d, Mapping):
        raise core.AnswerError("ex_break.err.not_fault", f"fault {i + 1} must be a mapping", i=i + 1)
    if not isinstance(ftype, str) or ftype not in data["fault_types"]:
        raise core.AnswerError("ex_break.err.type", f"fault {i + 1}: type must be one of "
                               f"{', '.join(data['fault_types'])}", i=i + 1, types=", ".join(data["fault_types"]))
    try:
        fault = parse_fault(d, f"faults[{i}]", tuple(data["nodes"]))
    except ScenarioError as e:
        raise _fault_error(e) from None
    if fault.at is not None and fault.at > data["t_max"]:
        raise core.AnswerError("ex_break.err.too_late", f"fault {i + 1}: 'at' must be at most {data['t_max']}",
                               i=i + 1, t_max=data["t_max"])
    if fault.after_step is not None and fault.after_step > data["scenario"]["limits"]["max_steps"]:
        raise core.AnswerError("ex_break.err.too_late_step", f"fault {i + 1}: 'after_step' is beyond the run",
                               i=i + 1, n=data["scenario"]["limits"]["max_steps"])


def _fault_error(e: ScenarioError) -> core.AnswerError:
    return core.AnswerError("ex_break.err.fault", str(e), path=e.path, reason=Message(e.key, dict(e.args_)))


def answer_key(question: core.Question) -> list[dict[str, Any]]:
    return [dict(f) for f in core.get_exercise(question.exercise_id).params["key"]]


# -------------------------------------------------------------------------------- grade
def grade(question: core.Question, faults: list[dict[str, Any]]) -> core.Feedback:
    data = question.data
    name = data["invariant"]
    scenario = copy.deepcopy({**data["scenario"], "faults": list(faults)})  # the witness: never the question's
    trace = run_dict(scenario)
    broke = first_violation(trace, name)
    correct = run_dict({**scenario, "bug": None})
    kept = first_violation(correct, name) is None
    fair = Message(f"ex_break.correct.{'keeps' if kept else 'breaks'}", {"invariant": name})
    if broke is not None:
        step, violation = broke
        lines = (Message("ex_break.broke", {"invariant": name, "step": step, "time": trace.steps[step].time,
                                            "n": len(faults)}),
                 Message(violation["key"], dict(violation.get("args") or {})), fair)
        return core.Feedback(correct=True, explanation=lines, witness={"scenario": scenario, "step": step})
    proto = REGISTRY[scenario["protocol"]]
    inv = next(i for i in proto.invariants if i.name == name)
    others = sorted(trace.ever_violated() - {name})
    lines = [Message("ex_break.held", {"invariant": name, "steps": trace.n_steps - 1,
                                       "time": trace.steps[-1].time}),
             Message(inv.description_key, {})]
    if others:
        lines.append(Message("ex_break.others", {"names": ", ".join(others)}))
    lines.append(Message("ex_break.hint.generic", {}))
    return core.Feedback(correct=False, explanation=tuple(lines),
                         witness={"scenario": scenario, "step": trace.n_steps - 1})


def first_violation(trace, name: str) -> tuple[int, Mapping[str, Any]] | None:
    """(step, violation) of the first time invariant ``name`` broke in ``trace``, or None."""
    return next(((s, v) for s, n, v in trace.invariant_changes if n == name and v is not None), None)
