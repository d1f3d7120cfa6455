"""The Model Explorer's results: bounded checking, the timeline, the model map, one entry per
model, and the export buttons.

Theory of operation
-------------------
``show_verdicts(history, history_json, t)`` asks ``ui.check_runner.run_checks`` for every
model's verdict under the per-model time limit chosen in the "Checking time" expander (cached
per history and limit, so reruns are instant), then draws three views of the same verdicts:

* the timeline (``viz.history_timeline.timeline_figure``) with the witness of ONE model — the
  one chosen in "Show on the timeline" or clicked on the map — and its failing ops lit up;
* the hierarchy map (``viz.hierarchy_map.hierarchy_figure``) coloured by
  ``checkers.hierarchy.node_status``: what the nine checkers found, plus what the implications
  say about the models they do not check;
* one expander per model: a badge (holds / violated / unknown / not applicable — symbol and
  text, not colour alone), the checker's explanation lines (``Message`` keys translated with
  ``t``) and its witness in readable form (``ui.explorer_witness``).

``unknown`` verdicts are explained as "ran out of time", with a button that retries with four
times the limit (at most ``ui.deadline.MAX_SECONDS``).
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import streamlit as st

from checkers.formats import to_json, to_notation, to_porcupine, to_textbook
from checkers.hierarchy import contradictions, node_status
from checkers.history import History, HistoryError
from checkers.verdict import MODELS, Verdict
from ui.check_runner import clear_cancel, run_checks
from ui.deadline import DEFAULT_SECONDS, MAX_SECONDS, MIN_SECONDS, clamp_seconds
from ui.explorer_witness import BADGE_STYLE, badge, highlight_ids, model_name_key, witness_lines
from ui.export import export_buttons
from ui.lang import error_text, md_escape
from viz.hierarchy_map import hierarchy_figure
from viz.history_timeline import timeline_figure

K_BUDGET = "explorer.budget_s"
K_MODEL = "explorer.model"
K_MAP = "explorer.map"
K_MAP_LAST = "explorer.map_last"
K_CONTEXT = "explorer.model_context"  # the base history the model choice was made for
RETRY_FACTOR = 4
ss = st.session_state


def _budget_seconds(t: Callable[..., str]) -> float:
    if not isinstance(ss.get(K_BUDGET), (int, float)) or isinstance(ss.get(K_BUDGET), bool):
        ss[K_BUDGET] = DEFAULT_SECONDS
    ss[K_BUDGET] = clamp_seconds(ss[K_BUDGET])
    with st.expander(t("explorer.check.budget")):
        st.slider(t("explorer.check.seconds"), MIN_SECONDS, MAX_SECONDS, step=0.5, key=K_BUDGET,
                  help=t("explorer.check.seconds_help"))
    return clamp_seconds(ss[K_BUDGET])


def _retry(seconds: float) -> None:
    ss[K_BUDGET] = clamp_seconds(seconds)


def _escaped(args: Mapping[str, Any]) -> dict[str, Any]:
    """Message args made inert for Markdown: they carry op labels and user-chosen names."""
    return {k: md_escape(v, 4000) if isinstance(v, str) else v for k, v in args.items()}


def show_verdicts(history: History, history_json: str, t: Callable[..., str], context: str = "") -> None:
    """Verdicts of every model on ``history``; ``context`` names where it came from (a new
    context — another example, another file — starts again from the default model)."""
    st.subheader(t("explorer.check.title"))
    seconds = _budget_seconds(t)
    verdicts = run_checks(history, history_json, seconds, t)
    if verdicts is None:
        st.info(t("explorer.check.cancelled"))
        st.button(t("explorer.check.again"), key="explorer.check.again", on_click=clear_cancel)
        return
    if not history.ops:
        st.info(t("explorer.check.empty"))
    _out_of_time(verdicts, seconds, t)
    for strong, weak in contradictions(verdicts):
        st.error(t("explorer.check.contradiction", strong=t(model_name_key(strong)), weak=t(model_name_key(weak))))
    if ss.get(K_CONTEXT) != context:
        ss[K_CONTEXT] = context
        ss[K_MODEL] = default_model(verdicts)
    model = _chosen_model(verdicts, t)
    st.markdown(f"**{t('explorer.results.timeline')}**")
    verdict = verdicts.get(model)
    timeline = timeline_figure(history, verdict, t, highlight=highlight_ids(verdict))
    st.plotly_chart(timeline, key="explorer.timeline", config={"displayModeBar": False})
    export_buttons(timeline, f"history-{model}", "explorer.export")
    left, right = st.columns([2, 1])
    with left:
        st.markdown(f"**{t('explorer.results.map')}**")
        st.plotly_chart(hierarchy_figure(node_status(verdicts), t, selected=model), key=K_MAP, on_select="rerun",
                        selection_mode="points", config={"displayModeBar": False})
    with right:
        st.markdown(f"**{t('explorer.results.list')}**")
        for m in MODELS:
            _model_entry(history, m, verdicts.get(m), m == model, t)


def _out_of_time(verdicts: Mapping[str, Verdict], seconds: float, t: Callable[..., str]) -> None:
    ran_out = [m for m, v in verdicts.items() if v.applicable and v.result == "unknown"]
    if not ran_out:
        return
    st.warning(t("explorer.check.out_of_time", n=len(ran_out), seconds=f"{seconds:g}"))
    more = clamp_seconds(seconds * RETRY_FACTOR)
    if more > seconds:
        st.button(t("explorer.check.retry", seconds=f"{more:g}"), key="explorer.check.retry", on_click=_retry,
                  args=(more,))
    else:
        st.caption(t("explorer.check.at_max"))


def badge_markdown(verdict: Verdict | None, t: Callable[..., str]) -> str:
    """``:green-badge[✓ holds]`` and friends: the symbol and the word carry the verdict, colour helps."""
    b = badge(verdict)
    colour, symbol = BADGE_STYLE[b]
    return f":{colour}-badge[{symbol} {t(f'explorer.badge.{b}')}]"


def _picked_on_map() -> str | None:
    """A model clicked on the map (its node's ``customdata``), once per click."""
    selection = ss.get(K_MAP)
    try:
        points = selection["selection"]["points"]
    except (KeyError, TypeError, AttributeError):
        return None
    for p in points or []:
        cd = p.get("customdata") if hasattr(p, "get") else None
        cd = cd[0] if isinstance(cd, (list, tuple)) and cd else cd
        if isinstance(cd, str) and cd in MODELS and cd != ss.get(K_MAP_LAST):
            ss[K_MAP_LAST] = cd
            return cd
    return None


def default_model(verdicts: Mapping[str, Verdict]) -> str:
    """What to show first: the weakest violated model (its counterexample is the smallest
    lesson), else the strongest model that holds (its order explains the history best)."""
    violated = [m for m in MODELS if badge(verdicts.get(m)) == "violated"]
    if violated:
        return violated[-1]
    holds = [m for m in MODELS if badge(verdicts.get(m)) == "holds"]
    return holds[0] if holds else MODELS[0]


def _chosen_model(verdicts: Mapping[str, Verdict], t: Callable[..., str]) -> str:
    picked = _picked_on_map()
    if picked:
        ss[K_MODEL] = picked
    if ss.get(K_MODEL) not in MODELS:
        ss[K_MODEL] = default_model(verdicts)
    symbols = {m: BADGE_STYLE[badge(verdicts.get(m))][1] for m in MODELS}
    return st.selectbox(t("explorer.results.pick"), MODELS, key=K_MODEL, help=t("explorer.results.map_help"),
                        format_func=lambda m: f"{symbols[m]} {t(model_name_key(m))}")


def _model_entry(history: History, model: str, verdict: Verdict | None, selected: bool,
                 t: Callable[..., str]) -> None:
    label = f"{t(model_name_key(model))} {badge_markdown(verdict, t)}"
    with st.expander(label, expanded=selected):
        for m in (verdict.explanation if verdict else ()):
            st.markdown(t(m.key, **_escaped(m.args)))
        for key, args in witness_lines(history, verdict):
            st.caption(t(key, **_escaped(args)))


# ---- export -------------------------------------------------------------------------------------

EXPORTS = (("json", to_json, ".history.json", "application/json"),
           ("textbook", to_textbook, ".textbook.json", "application/json"),
           ("porcupine", to_porcupine, ".porcupine.jsonl", "application/x-ndjson"),
           ("notation", to_notation, ".txt", "text/plain"))


def exports(history: History, stem: str, t: Callable[..., str]) -> None:
    st.subheader(t("explorer.export.title"))
    for col, (fmt, write, ext, mime) in zip(st.columns(len(EXPORTS)), EXPORTS):
        label = t(f"explorer.export.{fmt}")
        try:
            data = write(history)
        except HistoryError as e:  # e.g. the notation and textbook formats hold register histories only
            col.button(label, key=f"explorer.dl.{fmt}", disabled=True,
                       help=t("explorer.export.unavailable", reason=error_text(e)))
            continue
        col.download_button(label, data, file_name=f"{stem}{ext}", mime=mime, key=f"explorer.dl.{fmt}",
                            on_click="ignore", icon=":material/download:")
