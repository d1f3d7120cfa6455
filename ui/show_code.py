"""The "Show the code" panel: the method of the protocol module that handled the event at the cursor.

Streamlit's ``hello`` app shows each demo's source with a tiny ``show_code`` built on
``inspect``; this is the same idea pointed at a run. ``lessons.code_view.handler_at`` replays
the run to the step and watches the node's ``step(input)`` dispatch (pure, no Streamlit);
this module caches that per (scenario, step) and draws it: a caption naming the file, the
method and its first line, the event it handled, the source (``st.code``, line numbers from
1 at the ``def``) and which of those lines ran. It sits behind a toggle (ARCHITECTURE §5.3):
nothing is replayed until the learner asks.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from lessons.code_view import HandlerView, NoHandler, handler_at
from ui.deadline import deadline
from ui.lang import md_escape, t
from ui.runner import run_json

REPLAY_BUDGET_S = 5.0


@st.cache_data(max_entries=64, show_spinner=False)
def code_at(scenario_json: str, step: int, node: str | None = None) -> HandlerView | NoHandler:
    """The handler of ``step`` in the run of ``scenario_json`` (canonical JSON, as ``ui.runner`` takes it)."""
    trace = run_json(scenario_json)
    return handler_at(trace.scenario.protocol, trace, step, node, keep_going=deadline(REPLAY_BUDGET_S))


def line_ranges(lines: Any) -> str:
    """``[1, 2, 3, 7]`` → ``"1–3, 7"``."""
    out: list[str] = []
    for n in sorted(set(lines)):
        if out and out[-1][1] == n - 1:
            out[-1] = (out[-1][0], n)
        else:
            out.append((n, n))
    return ", ".join(f"{a}" if a == b else f"{a}–{b}" for a, b in out)


def _code_span(text: str, limit: int = 100) -> str:
    """Text for inside a Markdown code span (inert there except for backticks), bounded."""
    text = str(text).replace("`", "'")
    return text if len(text) <= limit else text[:limit] + "…"


def event_text(view: HandlerView) -> str:
    e = view.event
    node = md_escape(view.node, 40)
    if e["kind"] == "deliver":
        return t("show_code.event.deliver", step=view.step, type=md_escape(e["type"], 60),
                 src=md_escape(e.get("src") or "?", 40), node=node)
    if e["kind"] == "timer":
        return t("show_code.event.timer", step=view.step, name=md_escape(e["name"], 60), node=node)
    if e["kind"] == "client":
        op = ", ".join(f"{k}={v}" for k, v in sorted(e.get("op", {}).items()))
        return t("show_code.event.client", step=view.step, client=md_escape(e.get("client") or "?", 40),
                 op=md_escape(op, 120), node=node)
    kind = e["kind"] if e["kind"] in ("start", "restart", "crash") else "start"
    return t(f"show_code.event.{kind}", step=view.step, node=node)


def render_view(view: HandlerView | NoHandler) -> None:
    """Draw one result of ``lessons.code_view`` (shared by the lab panel and the lesson widget)."""
    if isinstance(view, NoHandler):
        args = {k: md_escape(v, 60) for k, v in view.args.items()}
        if view.reason == "fault":
            args["kind"] = t(f"show_code.fault.{view.args.get('kind', 'partition')}")
        if view.reason == "dropped":
            args["why"] = t(f"show_code.drop.{view.args.get('why', 'fault')}")
        st.info(t(f"show_code.reason.{view.reason}", **{"step": view.step, **args}))
        return
    st.caption(t("show_code.caption", path=md_escape(view.path, 80), qualname=md_escape(view.qualname, 80),
                 line=view.first_line))
    st.markdown(event_text(view))
    st.code(view.source, language="python", line_numbers=True)
    notes = []
    if view.ran_lines:
        rel = [n - view.first_line + 1 for n in view.ran_lines]
        notes.append(t("show_code.ran", lines=line_ranges(rel)))
    if len(view.via) > 1:
        notes.append(t("show_code.via", chain=" → ".join(md_escape(q, 80) for q in view.via)))
    if view.tests:
        notes.append(t("show_code.tests", tests=" · ".join(f"`if {_code_span(x)}`" for x in view.tests)))
    if view.calls:
        notes.append(t("show_code.calls", calls=", ".join(md_escape(q, 80) for q in view.calls)))
    if view.event["kind"] == "crash":
        notes.append(t("show_code.crash_note"))
    if notes:
        st.caption("  \n".join(notes))


def show_code_panel(trace, cursor: int, key: str = "lab.code") -> None:
    """The Protocol Lab's toggle; when on, the handler of the event at ``cursor``."""
    if not st.toggle(t("show_code.toggle"), key=key, help=t("show_code.help")):
        return
    render_view(code_at(trace.scenario.to_json(), int(cursor)))
