"""Trace → compact payload for the client-side stepper (``ui/components/trace_player``).

Theory of operation
-------------------
The browser component receives a run **once** and then steps through it with no server
round trip, so everything it may show at any cursor must be in one payload, and that
payload must be byte-identical across reruns for the same ``(trace, lang)`` (Streamlit
re-initialises a components-v2 component whenever its ``data`` changes; the cursor is
therefore *not* part of this payload).

Large, per-row data travels as pandas DataFrames at the first level of the dict, which
Streamlit ships as Arrow (about 2.5× smaller than JSON lists, and typed arrays in JS):

``ev``    one row per event: step, kind code, lane, peer lane, message number,
          message-type code, Lamport clock, payload (JSON string, dictionary-encoded),
          short translated detail. An event's time is its step's time (``st.time``).
          Vector clocks are *not* shipped (they were half the bytes): the player rebuilds
          them at load with the simulator's rule (``replay_vector_clocks`` is the reference):
          each clocked event ticks its own entry, a delivery first merges the clock
          carried by the message (``msg.clk``: the send event whose clock a copy carries).
          So the player's "Vector clocks" toggle (a checkbox in its toolbar that labels every
          visible event with its clock, and the step's event list with L and V) costs no
          payload bytes at all, on or off: it is browser-only state, like the cursor.
``msg``   one row per message copy (a send or a network/fault duplicate): its start and
          end event, lanes, start/end step, how it ended (in flight / delivered / dropped),
          the drop reason, a duplicate flag and ``clk`` (see above). Rows are ordered by start event, so the
          player finds the messages of a step window by binary search.
``st``    one row per step: time, cause code, index of its first event, manual-choice flag.
``diff``  one row per changed state field per step (value as canonical JSON). Replaying
          the rows of steps ``0..s`` gives ``trace.states_at(s)``; the player keeps its own
          snapshots every ``SNAPSHOT_EVERY`` steps, so showing any step costs O(K) rows.
          A log field the trace records as a splice (``sim.trace``) travels as its full value
          (``Trace.iter_changes``), so the player needs no splice logic of its own.

Everything small is plain JSON under ``meta``: lanes, code tables, invariant changes (with
translated explanations), partition bands, down intervals, the pending list at the last
real step (what manual mode may choose from), colours and every label the player shows,
already translated with ``t`` — the JavaScript holds no prose. Two more pieces serve teaching:

``roles``     the state panel's grouping: one entry per role (in lane order of its first node)
              ``[role, label, [lanes], [field codes], [lost field codes]]``. Fields are in the
              protocol's declared order (the key order of the node's state), with the
              simulator's pseudo-field ``armed_timers`` last; "lost" fields are the ones a
              crash wipes (not in the node's ``durable_fields()``), shown as lost while down.
``captions``  ``[[step, text], ...]`` of the scenario's ``meta.captions`` in the payload's
              language (English when a caption lacks it), sorted by step, clamped to the run.
``tour``      one entry per caption (same order): what the diagram highlights while the cursor
              is *on* that captioned step, ``[[lanes], [message numbers], [steps], since]``
              (``caption_highlight``). By default the step's own events: their nodes' lanes,
              the arrow of every message sent, delivered or dropped there, and for a fault the
              lanes it hits (a partition's or heal's cut). A caption may name its focus instead,
              ``highlight: {nodes: [...], steps: [...]}``: the named nodes' lanes plus the events
              of the named steps, the lane segments then starting at the earliest named step
              (at step 0 when only nodes are named). Exact, from the trace; computed here so
              the player draws halos without knowing any protocol.
``live``      consensus protocols only (``ProtocolSpec.replica_view``), else ``None``: each lane's
              *live* role and epoch (Raft's term, a Paxos ballot) as change points, so the lane
              headers can say "s2 · leader · Term 3" at any cursor. ``{"epoch": translated epoch
              name, "roles": [[role, label, colour], ...], "lanes": [[step, role code, epoch, ...]
              per lane]}``: a lane's flat list holds one ``(step, role code, epoch)`` triple per
              change, the first at step 0; the value holds from that step on (after the step ran).
              Only steps where a node's diff changes more than its armed timers re-read its view
              (see ``_live_roles``); the size is one triple per change.
``violations`` violation episodes (``viz.violations.episodes``): ``[[invariant, label, start,
              end | -1, explanation, [lanes], message number | -1], ...]`` — the translated
              short label and explanation, the involved nodes' lanes and the message whose
              delivery broke it; the player highlights them while the cursor is inside.

Pure: no Streamlit, no clock. ``payload_json`` gives the canonical JSON form (tests, size
reports); ``replay_states`` is the reference for the player's state replay.
"""

from __future__ import annotations

import hashlib
import json
import random
from typing import Any, Callable, Iterable, Mapping, NamedTuple, Sequence

import pandas as pd

from sim.trace import EVENT_KINDS, TIMERS_FIELD, Trace
from viz.msc import DROP_REASONS as REASONS
from viz.msc import _cj, _tr
from viz.style import OI_PURPLE, palette, role_colour
from viz.tables import event_detail, invariant_labels
from viz.violations import episodes

CAUSES = ("start", "deliver", "timer", "client", "fault", "end")
END_OPEN, END_DELIVER, END_DROP = 0, 1, 2
SNAPSHOT_EVERY = 32  # the player's own snapshot interval (shipped in meta), not sim.trace's

# The palette entries the player reads (viz/style.py decides their colours).
PLAYER_COLOURS = ("lane", "lane_down", "send", "deliver", "drop", "duplicate", "inflight", "timer", "crash", "restart",
                  "invoke", "return", "note", "violation", "partition", "cursor", "current", "ok", "bad", "highlight")

Translate = Callable[..., str]


# A consistency anomaly's client operations (ui.trace_player ``marks``): Okabe–Ito reddish purple, apart
# from the vermillion of invariant violations so both can show at once (with a dashed outline as well).
ANOMALY_COLOUR = OI_PURPLE


def _palette() -> dict[str, str]:
    got = palette()
    return {**{k: got[k] for k in PLAYER_COLOURS}, "anomaly": got.get("anomaly", ANOMALY_COLOUR)}


def _num(mid: str | None) -> int:
    return int(mid[1:]) if mid and mid[1:].isdigit() else -1


def _events_frame(trace: Trace, t: Translate, lanes: Mapping[str, int], types: dict[str, int]) -> pd.DataFrame:
    kind_code = {k: i for i, k in enumerate(EVENT_KINDS)}
    cols: dict[str, list] = {c: [] for c in ("step", "kind", "lane", "peer", "mid", "mtype", "lamport", "pl", "dt")}
    for e in trace.events:
        payload = dict(e.payload or {})
        mtype = payload.pop("type", None)
        cols["step"].append(e.step)
        cols["kind"].append(kind_code[e.kind])
        cols["lane"].append(lanes.get(e.node, -1) if e.node else -1)
        cols["peer"].append(lanes.get(e.peer, -1) if e.peer else -1)
        cols["mid"].append(_num(e.msg_id))
        cols["mtype"].append(types.setdefault(mtype, len(types)) if mtype is not None else -1)
        cols["lamport"].append(-1 if e.lamport is None else e.lamport)
        cols["pl"].append(_cj(payload) if e.payload is not None else "")
        cols["dt"].append(event_detail(e, t))
    return pd.DataFrame({
        "step": pd.array(cols["step"], dtype="int32"),
        "kind": pd.array(cols["kind"], dtype="int8"), "lane": pd.array(cols["lane"], dtype="int8"),
        "peer": pd.array(cols["peer"], dtype="int8"), "mid": pd.array(cols["mid"], dtype="int32"),
        "mtype": pd.array(cols["mtype"], dtype="int16"), "lamport": pd.array(cols["lamport"], dtype="int32"),
        # Categorical → Arrow dictionary: a delivery repeats its send's payload, most details are empty.
        "pl": pd.Categorical(cols["pl"]), "dt": pd.Categorical(cols["dt"]),
    })


def _messages_frame(trace: Trace, lanes: Mapping[str, int]) -> pd.DataFrame:
    rows: list[list[int]] = []
    open_row: dict[str, int] = {}
    clock_of: dict[str, int] = {}  # message id -> the send event whose clocks the copy carries
    for e in trace.events:
        if e.kind == "send":
            open_row[e.msg_id] = len(rows)
            clock_of[e.msg_id] = e.i
            rows.append([e.i, -1, lanes[e.node], lanes[e.peer], e.step, -1, END_OPEN, 0, 0, _num(e.msg_id), e.i])
        elif e.kind == "duplicate":  # recorded at the destination; the copy travels src → dst
            open_row[e.msg_id] = len(rows)
            clock_of[e.msg_id] = clock_of.get((e.detail or {}).get("of"), -1)
            rows.append([e.i, -1, lanes[e.peer], lanes[e.node], e.step, -1, END_OPEN, 0, 1, _num(e.msg_id),
                         clock_of[e.msg_id]])
        elif e.kind in ("deliver", "drop") and e.msg_id in open_row:
            r = rows[open_row.pop(e.msg_id)]
            r[1], r[5] = e.i, e.step
            r[6] = END_DELIVER if e.kind == "deliver" else END_DROP
            if e.kind == "drop":
                r[7] = REASONS.index((e.detail or {}).get("reason", "fault"))
    names = ("s", "e", "sl", "dl", "ss", "es", "end", "reason", "dup", "mid", "clk")
    dtypes = ("int32", "int32", "int8", "int8", "int32", "int32", "int8", "int8", "int8", "int32", "int32")
    return pd.DataFrame({n: pd.array([r[j] for r in rows], dtype=d) for j, (n, d) in enumerate(zip(names, dtypes))})


def _steps_frame(trace: Trace) -> pd.DataFrame:
    return pd.DataFrame({
        "time": pd.array([s.time for s in trace.steps], dtype="int32"),
        "cause": pd.array([CAUSES.index(s.cause) for s in trace.steps], dtype="int8"),
        "first": pd.array(list(trace.step_first_event[:-1]), dtype="int32"),
        "chosen": pd.array([int(s.chosen) for s in trace.steps], dtype="int8"),
    })


def _changes(trace: Trace) -> Iterable[tuple[int, Mapping[str, Mapping[str, Any]]]]:
    """``(step, {node: {field: new full value}})`` per step (log splices expanded by the trace)."""
    return trace.iter_changes()


Changes = Sequence[tuple[int, Mapping[str, Mapping[str, Any]]]]


def _diff_frame(changes: Changes, lanes: Mapping[str, int], fields: dict[str, int]) -> pd.DataFrame:
    step, lane, field, val = [], [], [], []
    for s, diff in changes:
        for node in sorted(diff, key=lanes.__getitem__):
            for name in sorted(diff[node]):
                step.append(s)
                lane.append(lanes[node])
                field.append(fields.setdefault(name, len(fields)))
                val.append(_cj(diff[node][name]))
    return pd.DataFrame({"step": pd.array(step, dtype="int32"), "lane": pd.array(lane, dtype="int8"),
                         "field": pd.array(field, dtype="int16"), "val": pd.Series(val, dtype=object)})


def _bands(trace: Trace) -> tuple[list[list[Any]], list[list[int]]]:
    """Partition bands ``[from step, to step | -1, cut text]`` and down intervals ``[lane, from, to | -1]``."""
    lanes = {n: i for i, n in enumerate(trace.nodes)}
    bands = [[iv.start, -1 if iv.end is None else iv.end, ", ".join(f"{a}↛{b}" for a, b in iv.what)]
             for iv in trace.partition_intervals()]
    down = [[lanes[iv.what], iv.start, -1 if iv.end is None else iv.end] for iv in trace.down_intervals()]
    return bands, down


def _labels(t: Translate) -> dict[str, Any]:
    keys = ("first", "back", "forward", "last", "play", "pause", "play_text", "pause_text", "speed", "slider", "step_label", "step_label_time",
            "time", "step", "node", "role", "field", "value", "in_flight", "dropped", "duplicate", "delivered",
            "pending", "pending_hint", "no_pending", "choose_hint", "invariants", "no_invariants", "holds",
            "violated", "events", "state", "no_events", "overview", "lamport", "vc", "clocks", "clocks_hint",
            "payload", "type", "from", "to", "msg", "keyboard_help", "region", "down", "partition", "changed", "cause_label", "select_hint",
            "axis", "lost", "lost_hint", "none", "timers_hint", "caption_of", "caption_none", "caption_before",
            "prev_caption", "next_caption", "prev_caption_text", "next_caption_text", "captions",
            "tour", "tour_text", "tour_stop_text",
            "legend", "lg_delivered", "lg_inflight", "lg_dropped", "lg_dropped_hint", "lg_duplicate", "lg_crash",
            "lg_restart", "lg_timer", "lg_request", "lg_reply", "lg_violation", "lg_down", "drop_reason",
            "live_role", "live_role_epoch", "violation_at", "violation_jump", "violation_msg", "violation_lane",
            "lg_leader", "lg_involved", "lg_anomaly", "anomaly_core", "anomaly_culprit", "anomaly_open",
            "anomaly_heading")
    out: dict[str, Any] = {k: t(f"player.{k}") for k in keys}
    out["tour_focus"], out["tour_focus_hint"] = t("tour.focus"), t("tour.focus_hint")  # the tour's halo (legend)
    out["kind"] = [t(f"player.kind.{k}") for k in EVENT_KINDS]
    out["cause_names"] = [t(f"player.cause.{c}") for c in CAUSES]
    out["reason"] = [""] + [t(f"player.reason.{r}") for r in REASONS[1:]]
    out["speeds"] = [[1, t("player.speed_slow")], [4, t("player.speed_normal")], [12, t("player.speed_fast")],
                     [40, t("player.speed_fastest")]]
    return out


def _role_label(t: Translate, role: str) -> str:
    """A role's translated name (the ``viz`` area's ``viz.role.*`` keys), else the raw id."""
    return _tr(t, f"viz.role.{role}", role) if role else ""


def _lost_fields(trace: Trace) -> dict[str, frozenset[str]]:
    """Per node, the state fields a crash wipes: declared fields not in ``durable_fields()``.

    Asked of fresh nodes built the simulator's way (a bug variant may drop a durable field);
    the throwaway ``random.Random`` is never drawn from for anything shown. Empty sets when
    the protocol cannot be built here (an unknown id in a hand-made trace)."""
    try:
        from protocols import REGISTRY

        spec = REGISTRY[trace.scenario.protocol]
        params = spec.resolve_params(trace.scenario.params)
        ids = tuple(trace.nodes)
        out = {}
        for n in ids:
            node = spec.make_node(n, ids, params, trace.scenario.bug, random.Random(0))
            out[n] = frozenset(node.DURABLE + node.VOLATILE) - frozenset(node.durable_fields())
        return out
    except (KeyError, ValueError, TypeError, ImportError):
        return {n: frozenset() for n in trace.nodes}


def _roles(trace: Trace, changes: Changes, t: Translate, fields: dict[str, int]) -> list[list[Any]]:
    """``[role, label, [lanes], [field codes], [lost codes]]`` per role (see module doc)."""
    lanes = {n: i for i, n in enumerate(trace.nodes)}
    first = trace.states_at(0) if trace.n_steps else {}
    order: dict[str, list[str]] = {}  # role -> field names in declared (first seen) order
    members: dict[str, list[int]] = {}
    for n in trace.nodes:
        role = str(trace.roles.get(n, ""))
        members.setdefault(role, []).append(lanes[n])
        names = order.setdefault(role, [])
        for name in first.get(n, {}):
            if name not in names:
                names.append(name)
    for _, diff in changes:  # a field first set later (not in the boot snapshot) still gets a column
        for n, changed in diff.items():
            names = order[str(trace.roles.get(n, ""))]
            for name in changed:
                if name not in names:
                    names.append(name)
    lost = _lost_fields(trace)
    out = []
    for role, names in order.items():
        names = [x for x in names if x != TIMERS_FIELD] + ([TIMERS_FIELD] if TIMERS_FIELD in names else [])
        gone = set().union(*(lost.get(trace.nodes[l], frozenset()) for l in members[role]))
        codes = [fields.setdefault(x, len(fields)) for x in names]
        out.append([role, _role_label(t, role), members[role], codes,
                    [fields[x] for x in names if x in gone]])
    return out


def _live_roles(trace: Trace, changes: Changes, t: Translate) -> dict[str, Any] | None:
    """Each lane's live role and epoch as change points (see module doc); ``None`` without a view.

    Walks the run's changes (``trace.diffs``, splices expanded) once, keeping every node's state
    up to date, and re-reads a node's ``replica_view`` only at the steps where its diff is
    non-empty (the view is a pure function of the snapshot, so it cannot change at other steps)
    and changes more than ``armed_timers`` (the simulator's timer bookkeeping, which no view
    reads; most steps of a long run only re-arm a timer). A view costs O(log length), so this
    is what keeps long runs cheap."""
    try:
        from protocols import REGISTRY

        spec = REGISTRY[trace.scenario.protocol]
    except (KeyError, ImportError):
        return None
    view = spec.replica_view
    if view is None or not trace.n_steps:
        return None
    lanes = {n: i for i, n in enumerate(trace.nodes)}
    codes: dict[str, int] = {}
    points: list[list[int]] = [[] for _ in trace.nodes]
    last: list[tuple[int, int] | None] = [None] * len(trace.nodes)
    states: dict[str, dict[str, Any]] = {n: {} for n in trace.nodes}
    for s, diff in changes:
        for node, fields in diff.items():
            if not fields or node not in lanes:
                continue
            states[node].update(fields)
            if len(fields) == 1 and TIMERS_FIELD in fields:
                continue  # a timer re-armed: the simulator's bookkeeping, not the replica's state
            v = view(states[node])
            if v is None:
                continue
            now = (codes.setdefault(str(v.role), len(codes)), int(v.epoch))
            lane = lanes[node]
            if now != last[lane]:
                last[lane] = now
                points[lane].extend((s, *now))
    if not codes:
        return None
    roles = sorted(codes, key=codes.__getitem__)
    return {"epoch": _tr(t, spec.epoch_key, "") if spec.epoch_key else "",
            "roles": [[r, _role_label(t, r), role_colour(r)] for r in roles],
            "lanes": points}


def live_role_at(payload: Mapping[str, Any], lane: int, step: int) -> tuple[str, int] | None:
    """The live ``(role, epoch)`` the player shows for ``lane`` after ``step`` (mirrors player.js)."""
    live = payload["meta"].get("live")
    if not live:
        return None
    flat, got = live["lanes"][lane], None
    for i in range(0, len(flat), 3):
        if flat[i] > step:
            break
        got = (live["roles"][flat[i + 1]][0], flat[i + 2])
    return got


def _violations(trace: Trace, t: Translate) -> list[list[Any]]:
    """Violation episodes with translated label and explanation (see module doc)."""
    lanes = {n: i for i, n in enumerate(trace.nodes)}
    labels = invariant_labels(trace, t)
    out = []
    for e in episodes(trace):
        label = labels.get(e.invariant, {}).get("label") or e.invariant
        out.append([e.invariant, label, e.start, -1 if e.end is None else e.end,
                    _tr(t, e.key, e.key, **dict(e.args)), [lanes[n] for n in e.nodes if n in lanes], _num(e.msg_id)])
    return out


def _caption_entries(meta: Mapping[str, Any], lang: str, n_steps: int) -> dict[int, tuple[str, Mapping[str, Any]]]:
    """``{shown step: (text in lang, the caption)}``: English fallback, clamped, one per step."""
    by_step: dict[int, tuple[str, Mapping[str, Any]]] = {}
    for c in meta.get("captions", ()) or ():
        if not isinstance(c, Mapping) or not isinstance(c.get("step"), int) or isinstance(c.get("step"), bool):
            continue
        text = c.get(lang) or c.get("en")
        if isinstance(text, str) and text.strip():
            step = max(0, min(n_steps - 1, c["step"]))
            by_step[step] = (text.strip(), c)  # a later entry for the same step wins, as in caption_at
    return by_step


def _captions(meta: Mapping[str, Any], lang: str, n_steps: int) -> list[list[Any]]:
    """``[[step, text], ...]`` in ``lang`` (English fallback), sorted by step, one per step."""
    by_step = _caption_entries(meta, lang, n_steps)
    return [[k, by_step[k][0]] for k in sorted(by_step)]


class Highlight(NamedTuple):
    """What the diagram emphasises while the cursor is on a captioned step (module doc, ``tour``)."""

    lanes: tuple[int, ...]  # lane indices (trace.nodes order)
    msgs: tuple[int, ...]  # message numbers: ``m12`` -> 12 (one arrow per message copy)
    steps: tuple[int, ...]  # steps whose event marks are emphasised
    since: int  # lane segments run from this step to the captioned step


def _cut_nodes(trace: Trace, step: int) -> set[str]:
    """The nodes of the links a partition cuts (or a heal restores) at ``step``."""
    out: set[str] = set()
    for iv in trace.partition_intervals():
        if iv.start == step or iv.end == step:
            for link in iv.what:
                out.update(link)
    return out


def step_highlight(trace: Trace, step: int) -> tuple[set[str], set[int]]:
    """``(nodes, message numbers)`` of the events of ``step``: each event's node (a lane mark), the
    message of a send / duplicate / deliver / drop (an arrow), a partition's or heal's cut nodes."""
    nodes: set[str] = set()
    msgs: set[int] = set()
    for e in trace.events_of_step(step):
        if e.node:
            nodes.add(e.node)
        if e.kind in ("send", "duplicate", "deliver", "drop") and _num(e.msg_id) >= 0:
            msgs.add(_num(e.msg_id))
        if e.kind in ("partition", "heal"):
            nodes |= _cut_nodes(trace, step)
    return nodes, msgs


def caption_highlight(trace: Trace, caption: Mapping[str, Any], step: int | None = None) -> Highlight:
    """The highlight of ``caption`` shown at ``step`` (default: its own step, clamped to the run).

    Lenient (a shared or uploaded scenario may carry anything): unknown nodes and steps outside
    ``0..step`` are ignored here; ``lessons.presets.validate_captions`` rejects them in presets."""
    if step is None:
        step = max(0, min(trace.n_steps - 1, int(caption.get("step", 0))))
    lanes = {n: i for i, n in enumerate(trace.nodes)}
    explicit = caption.get("highlight")
    if isinstance(explicit, Mapping):
        named = [n for n in explicit.get("nodes") or () if isinstance(n, str) and n in lanes]
        steps = sorted({s for s in explicit.get("steps") or ()
                        if isinstance(s, int) and not isinstance(s, bool) and 0 <= s <= step})
        since = steps[0] if steps else 0
    else:
        named, steps, since = [], [step], step
    nodes, msgs = set(named), set()
    for s in steps:
        n, m = step_highlight(trace, s)
        nodes |= n
        msgs |= m
    return Highlight(lanes=tuple(sorted(lanes[n] for n in nodes if n in lanes)), msgs=tuple(sorted(msgs)),
                     steps=tuple(steps), since=since)


def _tour(trace: Trace, meta: Mapping[str, Any], lang: str) -> list[list[Any]]:
    """``[[lanes], [msgs], [steps], since]`` per caption, aligned with ``_captions`` (module doc)."""
    by_step = _caption_entries(meta, lang, trace.n_steps)
    out = []
    for k in sorted(by_step):
        h = caption_highlight(trace, by_step[k][1], k)
        out.append([list(h.lanes), list(h.msgs), list(h.steps), h.since])
    return out


def _lang_of(t: Translate) -> str:
    """The language a ``ui.i18n.translator`` is bound to (a ``functools.partial``); else English."""
    args = getattr(t, "args", ())
    return args[0] if args and isinstance(args[0], str) else "en"


def player_payload(trace: Trace, t: Translate, lang: str | None = None) -> dict[str, Any]:
    """The player's data for ``trace`` with labels translated by ``t`` (see module doc).

    ``lang`` picks the captions' language (default: the language ``t`` is bound to).
    Same ``(trace, t's language)`` → equal payload (and equal Arrow/JSON bytes).
    """
    lang = lang or _lang_of(t)
    lanes = {n: i for i, n in enumerate(trace.nodes)}
    types: dict[str, int] = {}
    fields: dict[str, int] = {}
    ev = _events_frame(trace, t, lanes, types)
    changes = list(_changes(trace))
    diff = _diff_frame(changes, lanes, fields)
    roles = _roles(trace, changes, t, fields)
    bands, down = _bands(trace)
    last_real = max(0, trace.n_steps - 2)
    pending = [[p["id"], p["kind"], lanes[p["src"]], lanes[p["dst"]], p["type"], p["due"]]
               for p in trace.pending_at(last_real)]
    invariants = [[s, name, int(v is None),
                   "" if v is None else _tr(t, str(v.get("key", "")), str(v.get("key", "")), **(v.get("args") or {}))]
                  for s, name, v in trace.invariant_changes]
    fp_src = trace.scenario.to_json() + "|" + t("player.step") + "|" + str(len(trace.events))
    meta = {
        "v": 1,
        "fp": hashlib.sha256(fp_src.encode()).hexdigest()[:16],
        "n_steps": trace.n_steps,
        "n_events": len(trace.events),
        "lanes": [[n, _role_label(t, str(trace.roles.get(n, "")))] for n in trace.nodes],
        "types": sorted(types, key=types.__getitem__),
        "fields": sorted(fields, key=fields.__getitem__),
        "kinds": list(EVENT_KINDS),
        "invariant_names": list(trace.invariant_names),
        # {name: [short translated label, "name — description (source)"]} for badges and their tooltips
        "invariant_labels": {name: [info["label"], f"{name} — {info['description']} ({info['source']})"]
                             for name, info in invariant_labels(trace, t).items()},
        "invariants": invariants,
        "bands": bands,
        "down": down,
        "pending": pending,
        "pending_step": last_real,
        "snapshot_every": SNAPSHOT_EVERY,
        "roles": roles,
        "captions": _captions(trace.scenario.meta or {}, lang, trace.n_steps),
        "tour": _tour(trace, trace.scenario.meta or {}, lang),
        "live": _live_roles(trace, changes, t),
        "violations": _violations(trace, t),
        "colors": _palette(),
        "labels": _labels(t),
    }
    return {"ev": ev, "msg": _messages_frame(trace, lanes), "st": _steps_frame(trace), "diff": diff, "meta": meta}


def payload_json(payload: Mapping[str, Any]) -> str:
    """Canonical JSON of a payload (DataFrames as column lists): for tests and size reports."""
    def plain(v: Any) -> Any:
        if isinstance(v, pd.DataFrame):
            return {c: [x.item() if hasattr(x, "item") else x for x in v[c].tolist()] for c in v.columns}
        return v
    return _cj({k: plain(v) for k, v in payload.items()})


def replay_states(payload: Mapping[str, Any], step: int) -> dict[str, dict[str, Any]]:
    """Node states after ``step`` rebuilt from the payload's diff rows (what the player does)."""
    meta = payload["meta"]
    names = [lane[0] for lane in meta["lanes"]]
    states: dict[str, dict[str, Any]] = {n: {} for n in names}
    d = payload["diff"]
    for s, lane, f, val in zip(d["step"].tolist(), d["lane"].tolist(), d["field"].tolist(), d["val"].tolist()):
        if s > step:
            break
        states[names[lane]][meta["fields"][f]] = json.loads(val)
    return states


def replay_vector_clocks(payload: Mapping[str, Any]) -> list[tuple[int, ...] | None]:
    """Every event's vector clock rebuilt from the payload (reference for the player's JS)."""
    ev, msg = payload["ev"], payload["msg"]
    n_lanes = len(payload["meta"]["lanes"])
    deliver = payload["meta"]["kinds"].index("deliver")
    carried = dict(zip(msg["e"].tolist(), msg["clk"].tolist()))  # deliver event -> clock source event
    cur = [[0] * n_lanes for _ in range(n_lanes)]
    out: list[tuple[int, ...] | None] = []
    for i, (kind, lane, lam) in enumerate(zip(ev["kind"].tolist(), ev["lane"].tolist(), ev["lamport"].tolist())):
        if lam < 0:
            out.append(None)
            continue
        vc = cur[lane]
        if kind == deliver and carried.get(i, -1) >= 0:
            vc = [max(a, b) for a, b in zip(vc, out[carried[i]])]
        vc = list(vc)
        vc[lane] += 1
        cur[lane] = vc
        out.append(tuple(vc))
    return out
