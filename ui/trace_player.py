"""``trace_player``: the client-side stepper (a ``streamlit.components.v2`` component).

Theory of operation
-------------------
The run travels to the browser once (``viz.player_data.player_payload``, cached per
``(scenario JSON, lang)``); the learner then steps, plays and scrubs it in the browser
with no server round trip. Streamlit re-invokes the component's JS whenever ``data``
changes, so ``data`` holds the payload plus two small keys that change only on purpose:

``seek``    ``{"to": step, "gen": n}`` — a cursor the *server* wants shown (share link,
            a fault injected "now", a new branch). ``gen`` grows only when the server asks
            for a step different from both the last seek and the cursor the browser last
            reported, so echoing the browser's own cursor back never re-seeks it.
``manual``  manual delivery mode: pending arrows/items become clickable at the last step.
``marks``   the client operations of a consistency anomaly to mark on the diagram, or None
            (see ``normalize_marks``). Like ``seek``, never part of the cached payload.

Teaching aids ride in the same payload and work without the server: the preset's step
captions in the page language (shown under the diagram, with previous/next-caption
buttons and a Tour button that advances by itself), a legend, and the state panel as one table
per role. While the cursor is on a captioned step the diagram highlights what the caption is
about (``meta.tour``: by default the step's own messages and nodes, or the caption's
``highlight: {nodes, steps}``; computed from the trace by ``viz.player_data.caption_highlight``)
with a halo under the arrows and a band on the lanes, and dims the rest slightly. For consensus protocols
(``ProtocolSpec.replica_view``) each lane header shows the node's *live* role and epoch at
the cursor ("★ s2 / leader · Term 3"), and a lane is tinted while its node leads or stands
for election. While the cursor is inside an invariant violation episode
(``viz.violations``) the involved lanes are outlined red, the delivery that broke it is drawn
red and thick, and the badge says where and why it broke; clicking the badge (or a
violation mark on the diagram) jumps to that step.

A "Vector clocks" checkbox in the player's toolbar labels every visible event with the vector
clock the simulator gave it (``sim.causality``'s rule, rebuilt in the browser from the payload:
``viz.player_data.replay_vector_clocks`` is the reference) and adds L and V to the step's event
list. It is browser-only state, like the cursor: it adds no payload bytes and no rerun.

The browser talks back only on deliberate acts, each causing one rerun: state
``cursor`` (debounced ~600 ms after stepping stops, at once on pause), trigger
``choose`` (a pending id ``m<n>``/``t<n>``) and trigger ``select`` (an event index).

HTML/CSS/JS are read from ``ui/components/trace_player/`` with ``read_text`` (files can
only be passed by path for an installed package). ``isolate_styles=False`` with CSS scoped
to ``.tp-root``, so document-level probes (bench/player_probe.py) see the DOM.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, NamedTuple

import streamlit as st

from sim.trace import Trace
from ui.i18n import translator
from viz.player_data import player_payload

_DIR = Path(__file__).parent / "components" / "trace_player"

_component = st.components.v2.component(
    "consistency_lab.trace_player",
    html=(_DIR / "player.html").read_text(encoding="utf-8"),
    css=(_DIR / "player.css").read_text(encoding="utf-8"),
    js=(_DIR / "player.js").read_text(encoding="utf-8"),
    isolate_styles=False,
)


class PlayerResult(NamedTuple):
    cursor: int | None  # the step the learner is at (as last reported or sought); None before either
    choose: str | None  # manual mode: pending id picked in this run ("m3" / "t2"), else None
    select: int | None  # event index of a message clicked in this run, else None


@st.cache_data(max_entries=16, show_spinner=False)
def cached_payload(scenario_json: str, lang: str, _trace: Trace) -> dict[str, Any]:
    """The player payload, cached by the scenario (which determines the trace) and language."""
    return player_payload(_trace, translator(lang), lang=lang)


MARK_ROLES = ("core", "culprit")


def _index(x: Any) -> int | None:
    """A non-negative event index (plain ``int``: numpy ints are not JSON), else None."""
    if isinstance(x, bool):
        return None
    try:
        i = int(x)
    except (TypeError, ValueError):
        return None
    return i if i >= 0 and i == x else None


def normalize_marks(marks: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """``marks`` as the browser reads it, or None when there is nothing to mark.

    In: ``{"ops": [[invoke_event_index, return_event_index | None, "core" | "culprit"], ...],
    "text": "short translated explanation"}``. Out: the same shape with plain ints, ops without
    a valid invoke index dropped, an unknown role read as ``"core"``, a return index that does
    not come after its invoke read as None (an open op), and ``text`` a string. None when no
    op survives (nothing would be drawn)."""
    if not marks:
        return None
    ops: list[list[Any]] = []
    for op in marks.get("ops") or ():
        if not isinstance(op, (list, tuple)) or not op:
            continue
        inv = _index(op[0])
        if inv is None:
            continue
        ret = _index(op[1]) if len(op) > 1 and op[1] is not None else None
        if ret is not None and ret <= inv:
            ret = None
        role = op[2] if len(op) > 2 and op[2] in MARK_ROLES else "core"
        ops.append([inv, ret, role])
    if not ops:
        return None
    text = marks.get("text")
    return {"ops": ops, "text": "" if text is None else str(text)}


def _noop() -> None:
    """Registering a callback per state/trigger name is what makes the name valid."""


def trace_player(trace: Trace, *, lang: str, cursor: int | None, manual: bool, key: str,
                 payload: dict[str, Any] | None = None,
                 marks: Mapping[str, Any] | None = None) -> PlayerResult:
    """Mount the player for ``trace``; ``cursor`` is the step the page wants shown.

    Pass ``payload`` if you already hold one (from ``cached_payload``); otherwise it is
    built and cached here. ``marks`` (see ``normalize_marks``) highlights the client
    operations of a consistency anomaly: each op as a span on its node's lane from its
    invoke glyph to its return glyph (or to the right edge while it is open), ``text`` as
    the spans' tooltip and once under the diagram; None removes them. Marks travel beside
    the payload, which stays byte-identical. Returns what the browser reported in this rerun.
    """
    if payload is None:
        payload = cached_payload(trace.scenario.to_json(), lang, trace)
    last = trace.n_steps - 1
    mem_key = f"_tp_mem.{key}"
    mem = st.session_state.get(mem_key) or {"seek": None, "gen": 0, "fp": None, "known": None, "reported": None}
    state = st.session_state.get(key)
    reported = state.get("cursor") if hasattr(state, "get") else None
    if reported is not None and reported != mem["reported"]:
        mem["reported"] = reported
        mem["known"] = reported
    fp = payload["meta"]["fp"]
    target = None if cursor is None else max(0, min(last, int(cursor)))
    if fp != mem["fp"]:  # a new run: always show the page's cursor (or the start)
        mem.update(fp=fp, seek=0 if target is None else target, gen=mem["gen"] + 1, reported=reported)
        mem["known"] = mem["seek"]
    elif target is not None and target != mem["seek"] and target != mem["known"]:
        mem.update(seek=target, gen=mem["gen"] + 1, known=target)
    st.session_state[mem_key] = mem
    data = {**payload, "seek": {"to": mem["seek"], "gen": mem["gen"]}, "manual": bool(manual),
            "marks": normalize_marks(marks)}
    result = _component(key=key, data=data, on_cursor_change=_noop, on_choose_change=_noop,
                        on_select_change=_noop)
    choose = result.get("choose") if hasattr(result, "get") else getattr(result, "choose", None)
    select = result.get("select") if hasattr(result, "get") else getattr(result, "select", None)
    return PlayerResult(cursor=mem["known"], choose=choose if isinstance(choose, str) else None,
                        select=select if isinstance(select, int) else None)
