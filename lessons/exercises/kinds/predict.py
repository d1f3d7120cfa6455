"""The ``predict`` exercise kind: "the run stops here — what does the next delivery cause?"

Theory of operation
-------------------
A question shows a preset's run (``lessons/scenarios``) stopped after step ``k`` and says what
step ``k + 1`` is: *message m from a to b is delivered*. Which pending message comes next is
scheduling luck, so it is never asked; what a node does with a message it receives is the
protocol's rule, so that is what the learner predicts — one of two things (``params.ask``):

``effects``  which messages ``b`` sends in that step (type, the payload fields that matter,
             destinations) and what it replies to clients;
``state``    the value of one of ``b``'s state fields right after the step
             (``params.field``: a name, or ``{role: name}`` when roles name it differently).

The truth is read from the simulator's trace, never written down: ``make`` runs the preset,
collects the *eligible* steps (deliveries, filtered by ``messages``, ``roles`` and ``only``),
and lets ``random.Random(<exercise id>:<seed>)`` pick one and shuffle the choices, so one
(exercise, seed) always gives the same question and different seeds give different ones.
``grade`` re-runs the scenario stored in the question and compares again.

Distractors must be *certainly wrong in that run*. The run is deterministic, so any outcome
different from the truth is wrong; the craft is making them plausible, in this order:
the field's value before the step ("nothing changes"), the textbook mistakes of a rule
(``params.mistakes``: e.g. a vector-clock merge without the increment), a flipped boolean of
the reply (``vote_granted``), the other reply a protocol allows (``params.alternatives``:
``Accepted`` ↔ ``Nack``), doing nothing, and outcomes seen elsewhere in the same run.
A step with fewer than ``MIN_DISTRACTORS`` is not eligible.

Choice values are canonical JSON (language-free, stable); labels are ``Message`` objects
from the ``ex_predict`` catalog whose arguments carry the code-like parts (message types and
field names are the papers' names and are shown as in the code, like the state table does).

Params (YAML): ``preset`` (required), ``ask``, ``field``, ``messages`` (message types),
``roles`` (receiver roles), ``only`` (``all`` | ``active``: the receiver's state changes |
``changed``: the asked field changes), ``fields`` ({type: [payload fields]} shown in effects;
default: the scalar ones), ``alternatives`` ({type: other type}), ``mistakes`` (a key of
``MISTAKES``), ``extra_values`` (more plausible values of the field: a list, or ``{role: list}``),
``rule`` (a key under ``ex_predict.rule``: the paper's rule, cited in the feedback).

Deviations: only deliveries are asked about (timers are deterministic too, but their firing
order is the same scheduling luck this kind avoids).
"""

from __future__ import annotations

import json
import random
from typing import Any, Callable, Mapping, NamedTuple

from checkers.verdict import Message
from lessons.exercises.core import AnswerError, Choice, ExerciseError, ExerciseSpec, Feedback, Question, Text
from lessons.exercises.runs import run_dict
from lessons.presets import load_preset
from sim.scenario import ScenarioError, scenario_to_dict
from sim.trace import TIMERS_FIELD, Trace

ASKS = ("effects", "state")
ONLY = ("all", "active", "changed")
PARAMS = {"preset", "ask", "field", "messages", "roles", "only", "fields", "alternatives", "mistakes",
          "extra_values", "rule"}
MAX_DISTRACTORS = 3
MIN_DISTRACTORS = 2
PAYLOAD_TEXT_MAX = 200  # characters of a message's payload shown in the prompt
NOTHING = {"send": [], "reply": []}


class Delivery(NamedTuple):
    """Step ``step`` delivers ``msg_id`` (``payload``) from ``src`` to ``node``."""

    step: int
    node: str
    src: str
    msg_id: str
    payload: Mapping[str, Any]

    @property
    def type(self) -> str:
        return str(self.payload.get("type", "?"))


def _cj(value: Any) -> str:
    """Canonical JSON: the language-free form of a choice value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


# ---------------------------------------------------------------------------------- runs
def _run(scenario: Mapping[str, Any]) -> Trace:
    """The run of a scenario dict, without its ``meta`` (``runs.run_dict``, cached)."""
    try:
        return run_dict(scenario)
    except ScenarioError as e:
        raise ExerciseError(f"predict: a question's scenario is broken: {e}") from None


def delivery_at(trace: Trace, step: int) -> Delivery | None:
    """The delivery step ``step`` makes, if it makes one (a due message may be dropped instead)."""
    if not (0 < step < trace.n_steps and trace.steps[step].cause == "deliver"):
        return None
    e = next((e for e in trace.events_of_step(step) if e.kind == "deliver"), None)
    return None if e is None else Delivery(step, e.node, e.peer, e.msg_id, dict(e.payload or {}))


def deliveries(trace: Trace) -> list[Delivery]:
    """Every step that delivers a message, in order."""
    return [d for d in (delivery_at(trace, s) for s in range(1, trace.n_steps)) if d is not None]


# -------------------------------------------------------------------------------- truth
def effects(trace: Trace, step: int, node: str, shown: Mapping[str, Any]) -> dict[str, list]:
    """What ``node`` did in ``step``: ``{"send": [[type, {field: value}, [dsts]], ...], "reply":
    [[client, result], ...]}``, sorted. Identical messages to several peers are one entry (a
    broadcast reads as one action); fields are those ``shown`` lists for the type, else scalars."""
    sends: dict[str, list] = {}
    replies = []
    for e in trace.events_of_step(step):
        if e.node != node:
            continue
        if e.kind == "send":
            payload = dict(e.payload or {})
            mtype = str(payload.pop("type", "?"))
            fields = _shown_fields(payload, shown.get(mtype))
            sends.setdefault(_cj([mtype, fields]), [mtype, fields, []])[2].append(e.peer)
        elif e.kind == "return":
            d = e.detail or {}
            replies.append([str(d.get("client", "?")), d.get("result")])
    send = sorted(([t, f, sorted(dsts)] for t, f, dsts in sends.values()), key=_cj)
    return {"send": send, "reply": sorted(replies, key=_cj)}


def _shown_fields(payload: Mapping[str, Any], names: list[str] | None) -> dict[str, Any]:
    """The payload fields an outcome names: the listed ones, else the scalars (logs, stores and
    clocks would make every choice a wall of JSON, and the learner could not compare them)."""
    if names is not None:
        return {k: v for k, v in payload.items() if k in names}
    return {k: v for k, v in payload.items() if v is None or isinstance(v, (bool, int, float, str))}


def field_of(params: Mapping[str, Any], role: str) -> str | None:
    """The state field asked about for a node of ``role`` (``field`` may map roles to names)."""
    field = params.get("field")
    return field.get(role) if isinstance(field, Mapping) else field


def truth(trace: Trace, d: Delivery, ask: Mapping[str, Any]) -> Any:
    """The outcome of delivery ``d`` as plain data (``effects`` dict, or the field's new value)."""
    if ask["mode"] == "effects":
        return effects(trace, d.step, d.node, ask.get("fields") or {})
    return trace.states_at(d.step)[d.node][ask["field"]]


# -------------------------------------------------------------------------------- labels
def _value_text(value: Any) -> str:
    """Strings bare (``prepared``, not ``"prepared"``), anything else as canonical JSON."""
    return value if isinstance(value, str) else _cj(value)


def _send_text(mtype: str, fields: Mapping[str, Any], dsts: list[str]) -> str:
    inner = ", ".join(f"{k}={_value_text(v)}" for k, v in sorted(fields.items()))
    return f"{mtype}({inner}) → {', '.join(dsts)}" if inner else f"{mtype} → {', '.join(dsts)}"


def effects_label(eff: Mapping[str, list]) -> Message:
    """One line per outcome; injective in ``eff`` (every part of the value is printed)."""
    sends = "; ".join(_send_text(*s) for s in eff["send"])
    replies = "; ".join(f"{client}: {_cj(result)}" for client, result in eff["reply"])
    if sends and replies:
        return Message("ex_predict.effects.both", {"sends": sends, "replies": replies})
    if sends:
        return Message("ex_predict.effects.sends", {"sends": sends})
    if replies:
        return Message("ex_predict.effects.replies", {"replies": replies})
    return Message("ex_predict.effects.none")


def state_label(node: str, field: str, value: Any) -> Message:
    return Message("ex_predict.state.value", {"node": node, "field": field, "value": _value_text(value)})


def label_of(ask: Mapping[str, Any], node: str, outcome: Any) -> Message:
    return effects_label(outcome) if ask["mode"] == "effects" else state_label(node, ask["field"], outcome)


def payload_text(payload: Mapping[str, Any]) -> str:
    """``Type {fields}`` as in the diagram's hover, cut at ``PAYLOAD_TEXT_MAX`` characters."""
    rest = {k: v for k, v in payload.items() if k != "type"}
    text = f"{payload.get('type', '?')} {_cj(rest)}" if rest else str(payload.get("type", "?"))
    return text if len(text) <= PAYLOAD_TEXT_MAX else text[:PAYLOAD_TEXT_MAX - 1] + "…"


# --------------------------------------------------------------------------- distractors
def _vc_mistakes(before: Any, payload: Mapping[str, Any], me: int) -> list[Any]:
    """Receive rule IR2 half-applied: max without the tick, tick without the max, the sender's clock."""
    theirs = payload.get("vc")
    if not (isinstance(before, list) and isinstance(theirs, list) and len(before) == len(theirs)):
        return []
    merged = [max(a, b) for a, b in zip(before, theirs)]
    ticked = list(before)
    ticked[me] += 1
    copied_ticked = list(theirs)
    copied_ticked[me] += 1
    return [merged, ticked, list(theirs), copied_ticked]


def _lamport_mistakes(before: Any, payload: Mapping[str, Any], _me: int) -> list[Any]:
    ts = payload.get("ts")
    if not (isinstance(before, int) and isinstance(ts, int)):
        return []
    return [max(before, ts), before + 1, ts, ts + 1]


def _gcounter_mistakes(before: Any, payload: Mapping[str, Any], _me: int) -> list[Any]:
    """Sum instead of max (the ``sum-merge`` bug variant), or taking the incoming state wholesale."""
    theirs = payload.get("state")
    if not (isinstance(before, Mapping) and isinstance(theirs, Mapping)):
        return []
    summed = {r: before.get(r, 0) + theirs.get(r, 0) for r in sorted(set(before) | set(theirs))}
    return [summed, dict(theirs)]


MISTAKES: Mapping[str, Callable[[Any, Mapping[str, Any], int], list[Any]]] = {
    "vector_clock": _vc_mistakes, "lamport_clock": _lamport_mistakes, "g_counter": _gcounter_mistakes}


def _near(value: Any) -> list[Any]:
    """Values next to ``value`` (a term one off, the other boolean): wrong, and not absurd."""
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [v for v in (value + 1, value - 1) if v >= 0]
    return []


def _flips(eff: Mapping[str, list]) -> list[dict]:
    """The truth with one boolean payload field flipped (``vote_granted``, ``success``, ...)."""
    out = []
    for i, (mtype, fields, dsts) in enumerate(eff["send"]):
        for name, v in sorted(fields.items()):
            if isinstance(v, bool):
                send = [list(s) for s in eff["send"]]
                send[i] = [mtype, {**fields, name: not v}, dsts]
                out.append({"send": send, "reply": eff["reply"]})
    return out


def _swaps(eff: Mapping[str, list], alternatives: Mapping[str, str]) -> list[dict]:
    """The truth with a reply replaced by the protocol's other answer (fields dropped: they differ)."""
    out = []
    for i, (mtype, _fields, dsts) in enumerate(eff["send"]):
        if mtype in alternatives:
            send = [list(s) for s in eff["send"]]
            send[i] = [str(alternatives[mtype]), {}, dsts]
            out.append({"send": sorted(send, key=_cj), "reply": eff["reply"]})
    return out


def _shuffled(rng: random.Random, items: list) -> list:
    items = list(items)
    rng.shuffle(items)
    return items


def _effects_pool(trace: Trace, d: Delivery, ask: Mapping[str, Any], eff: Mapping[str, list],
                  all_d: list[Delivery], rng: random.Random) -> list[Any]:
    """Wrong outcomes of delivery ``d``, most instructive first (see the module doc); ``eff`` is the truth."""
    shown = ask.get("fields") or {}
    same_node = [effects(trace, o.step, o.node, shown) for o in all_d if o.node == d.node and o.step != d.step]
    role = trace.roles.get(d.node)
    same_role = [effects(trace, o.step, o.node, shown) for o in all_d
                 if o.node != d.node and trace.roles.get(o.node) == role]
    observed = _shuffled(rng, same_node) + _shuffled(rng, same_role)
    observed.sort(key=lambda o: _receivers(o) != _receivers(eff))  # stable: same receivers first, more plausible
    return _shuffled(rng, _flips(eff) + _swaps(eff, ask.get("alternatives") or {})) + [NOTHING] + observed


def _receivers(eff: Mapping[str, list]) -> list[str]:
    return sorted({dst for _t, _f, dsts in eff["send"] for dst in dsts})


def _field_values(trace: Trace, field_by_node: Mapping[str, str]) -> dict[str, list[Any]]:
    """Per node, the values its asked field takes during the run while the node is up, in order."""
    out: dict[str, list[Any]] = {n: [] for n in field_by_node}
    for step, diff in trace.iter_changes():
        crashed = {e.node for e in trace.events_of_step(step) if e.kind == "crash"}
        for node, fields in diff.items():
            name = field_by_node.get(node)
            if name in fields and node not in crashed:
                out[node].append(fields[name])
    return out


def _state_pool(trace: Trace, d: Delivery, ask: Mapping[str, Any], params: Mapping[str, Any], right: Any,
                rng: random.Random) -> list[Any]:
    """Wrong values of the asked field after ``d``, most instructive first; ``right`` is the truth."""
    field = ask["field"]
    before = trace.states_at(d.step - 1)[d.node].get(field)
    mistake = MISTAKES.get(params.get("mistakes") or "", lambda *_: [])
    wrong = mistake(before, d.payload, trace.nodes.index(d.node))
    role = trace.roles.get(d.node)
    # Only nodes of the receiver's role: a coordinator's state is never a participant's value.
    by_node = _field_values(trace, {n: field for n in trace.nodes if trace.roles.get(n) == role})
    mine = by_node.pop(d.node, [])
    others = [v for vs in by_node.values() for v in vs]
    extra = params.get("extra_values") or []
    if isinstance(extra, Mapping):
        extra = extra.get(role, [])
    return [before] + _shuffled(rng, wrong) + _shuffled(rng, mine) + _shuffled(rng, others) + list(extra) + _near(right)


def distractors(pool: list[Any], right: Any) -> list[Any]:
    """The first ``MAX_DISTRACTORS`` distinct outcomes of ``pool`` that are not ``right``."""
    seen, out = {_cj(right)}, []
    for v in pool:
        if _cj(v) not in seen:
            seen.add(_cj(v))
            out.append(v)
    return out[:MAX_DISTRACTORS]


# ----------------------------------------------------------------------------- make
def _check_params(spec: ExerciseSpec) -> dict[str, Any]:
    p = dict(spec.params)
    where = f"predict exercise {spec.id}"
    if set(p) - PARAMS:
        raise ExerciseError(f"{where}: unknown params {sorted(set(p) - PARAMS)}")
    if not isinstance(p.get("preset"), str):
        raise ExerciseError(f"{where}: params.preset names a preset")
    p.setdefault("ask", "effects")
    p.setdefault("only", "all")
    if p["ask"] not in ASKS or p["only"] not in ONLY:
        raise ExerciseError(f"{where}: ask must be one of {ASKS}, only one of {ONLY}")
    if p["ask"] == "state" and not isinstance(p.get("field"), (str, Mapping)):
        raise ExerciseError(f"{where}: ask: state needs a field (a name or {{role: name}})")
    if p.get("mistakes") is not None and p["mistakes"] not in MISTAKES:
        raise ExerciseError(f"{where}: mistakes must be one of {sorted(MISTAKES)}")
    return p


def _ask_for(params: Mapping[str, Any], role: str) -> dict[str, Any]:
    """What the question asks, as stored in ``Question.data["ask"]`` (all that grading needs)."""
    ask: dict[str, Any] = {"mode": params["ask"], "rule": params.get("rule")}
    if params["ask"] == "effects":
        ask["fields"] = {str(k): list(v) for k, v in (params.get("fields") or {}).items()}
        ask["alternatives"] = dict(params.get("alternatives") or {})
    else:
        ask["field"] = field_of(params, role)
    return ask


def eligible(trace: Trace, params: Mapping[str, Any]) -> list[Delivery]:
    """The deliveries a question may stop before (filters of ``params``; no distractor check yet)."""
    types, roles = params.get("messages"), params.get("roles")
    out = []
    for d in deliveries(trace):
        role = trace.roles.get(d.node, "")
        if (types and d.type not in types) or (roles and role not in roles):
            continue
        changed = {k for k in trace.changed_at(d.step).get(d.node, {}) if k != TIMERS_FIELD}
        field = field_of(params, role)
        if params["ask"] == "state" and field not in trace.states_at(d.step)[d.node]:
            continue
        if (params["only"] == "active" and not changed) or (params["only"] == "changed" and field not in changed):
            continue
        out.append(d)
    return out


def _question_scenario(preset: Mapping[str, Any], cursor: int) -> dict[str, Any]:
    """The preset's scenario dict with captions after the cursor removed: they would tell the answer."""
    meta = dict(preset.get("meta") or {})
    if "captions" in meta:
        meta["captions"] = [c for c in meta["captions"] if isinstance(c, Mapping) and c.get("step", 0) <= cursor]
    return {**preset, "meta": meta}


def _hints(spec: ExerciseSpec, trace: Trace, d: Delivery, all_d: list[Delivery]) -> tuple[Text, ...]:
    """The exercise's bilingual hints, then a pointer to an earlier delivery of the same kind."""
    hints: list[Text] = [{lang: spec.hints[lang][i] for lang in ("en", "zh")} for i in range(len(spec.hints["en"]))]
    role = trace.roles.get(d.node)
    earlier = [o for o in all_d if o.step < d.step and o.type == d.type and trace.roles.get(o.node) == role]
    if earlier:
        o = earlier[-1]
        hints.append(Message("ex_predict.hint.earlier", {"step": o.step, "type": o.type, "node": o.node}))
    return tuple(hints)


def _pick(spec: ExerciseSpec, trace: Trace, params: Mapping[str, Any], all_d: list[Delivery],
          rng: random.Random) -> tuple[Delivery, dict[str, Any], Any, list[Any]]:
    """The seed's step: the first eligible delivery, in the seed's order, with enough distractors."""
    for d in _shuffled(rng, eligible(trace, params)):
        ask = _ask_for(params, trace.roles.get(d.node, ""))
        right = truth(trace, d, ask)
        pool = (_effects_pool(trace, d, ask, right, all_d, rng) if ask["mode"] == "effects"
                else _state_pool(trace, d, ask, params, right, rng))
        wrong = distractors(pool, right)
        if len(wrong) >= MIN_DISTRACTORS:
            return d, ask, right, wrong
    raise ExerciseError(f"predict exercise {spec.id}: no eligible step with {MIN_DISTRACTORS} distractors")


def make(spec: ExerciseSpec, seed: int) -> Question:
    """Run the preset, let the seed pick the step and order the choices; stop the run just before it."""
    params = _check_params(spec)
    try:
        scenario = load_preset(params["preset"])
    except KeyError:
        raise ExerciseError(f"predict exercise {spec.id}: unknown preset {params['preset']!r}") from None
    preset = scenario_to_dict(scenario)
    trace = _run(preset)  # the cached run has no meta: titles and captions come from ``preset``
    rng = random.Random(f"predict:{spec.id}:{seed}")  # string seeds hash the same in every process
    all_d = deliveries(trace)
    d, ask, right, wrong = _pick(spec, trace, params, all_d, rng)
    outcomes = _shuffled(rng, [right] + wrong)
    choices = tuple(Choice(value=_cj(o), label=label_of(ask, d.node, o)) for o in outcomes)
    cursor = d.step - 1
    return Question(exercise_id=spec.id, kind="predict", form="choice", seed=seed,
                    prompt=_prompt(trace, preset, d, ask, cursor), choices=choices,
                    data={"scenario": _question_scenario(preset, cursor), "cursor": cursor, "show": "diagram",
                          "node": d.node, "msg_id": d.msg_id, "ask": ask},
                    hints=_hints(spec, trace, d, all_d))


def _prompt(trace: Trace, preset: Mapping[str, Any], d: Delivery, ask: Mapping[str, Any],
            cursor: int) -> tuple[Text, ...]:
    title = (preset.get("meta") or {}).get("title") or {"en": preset["protocol"], "zh": preset["protocol"]}
    lines: list[Text] = [
        Message("ex_predict.prompt.stopped", {"run": title, "cursor": cursor}),
        Message("ex_predict.prompt.deliver", {"step": d.step, "msg": payload_text(d.payload), "src": d.src,
                                              "dst": d.node}),
    ]
    if ask["mode"] == "effects":
        lines.append(Message("ex_predict.prompt.ask_effects", {"node": d.node}))
    else:
        before = trace.states_at(cursor)[d.node].get(ask["field"])
        lines.append(Message("ex_predict.prompt.ask_state", {"node": d.node, "field": ask["field"],
                                                             "before": _value_text(before)}))
    return tuple(lines)


# ------------------------------------------------------------------------ answer & grade
def parse_answer(question: Question, raw: Any) -> str:
    if not isinstance(raw, str):
        raise AnswerError("ex_predict.err.not_text", "an answer is one choice's value (a string)",
                          got=type(raw).__name__)
    if raw not in {c.value for c in question.choices}:
        raise AnswerError("ex_predict.err.not_a_choice", "that answer is not one of the choices", got=raw[:40])
    return raw


def _replay(question: Question) -> tuple[Trace, Delivery, Any]:
    """Re-run the question's scenario and read the truth again (nothing stored is believed)."""
    data = question.data
    trace = _run(data["scenario"])
    d = delivery_at(trace, int(data["cursor"]) + 1)
    if d is None or d.node != data["node"] or d.msg_id != data["msg_id"]:
        raise ExerciseError(f"predict question {question.exercise_id}: the run no longer matches the question")
    return trace, d, truth(trace, d, data["ask"])


def grade(question: Question, answer: str) -> Feedback:
    trace, d, right = _replay(question)
    ask = question.data["ask"]
    correct = answer == _cj(right)
    labels = {c.value: c.label for c in question.choices}
    lines: list[Text] = [Message("ex_predict.fb.correct") if correct
                         else Message("ex_predict.fb.wrong", {"chosen": labels.get(answer, answer)})]
    lines.append(Message("ex_predict.fb.happened", {"step": d.step, "node": d.node,
                                                    "what": label_of(ask, d.node, right)}))
    if ask["mode"] == "state":
        before = trace.states_at(d.step - 1)[d.node].get(ask["field"])
        key = "ex_predict.fb.unchanged" if _cj(before) == _cj(right) else "ex_predict.fb.changed"
        lines.append(Message(key, {"node": d.node, "field": ask["field"], "before": _value_text(before),
                                   "after": _value_text(right)}))
    # The protocol's own notes for this step say why, in its words (catalog keys under its area).
    lines += [Message(str(e.detail["key"]), dict(e.detail.get("args") or {}))
              for e in trace.events_of_step(d.step) if e.kind == "note" and e.node == d.node and e.detail]
    if ask.get("rule"):
        lines.append(Message(f"ex_predict.rule.{ask['rule']}"))
    return Feedback(correct=correct, explanation=tuple(lines), witness={"step": d.step})


def answer_key(question: Question) -> str:
    _trace, _d, right = _replay(question)
    return _cj(right)
