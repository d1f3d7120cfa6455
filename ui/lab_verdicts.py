"""The Protocol Lab's live verdicts: the run's client history up to the cursor, checked against
every consistency model, with what the store claims.

Theory of operation
-------------------
A replicated store is judged by what its clients see. At every cursor position the page takes
the client operations of the run up to that step (``checkers.from_trace.history_from_trace``:
operations still open are ``info`` — they may or may not have taken effect), checks them
against every model (``ui.check_runner.run_checks``: bounded in wall time, cached per history,
so stepping back and forth re-checks nothing) and shows

- what the protocol **claims** for this configuration (``ProtocolSpec.claims``) with each claimed
  model's verdict: a claimed model that is violated is a bug variant doing its job — or a bug
  of ours, which the page then says plainly;
- the **history timeline** with the witness of the model in focus: the first claimed model that
  is violated, else the strongest violated model, else the strongest that holds;
- the live **hierarchy map** and the explanation of the model in focus.

The verdicts are computed before the trace player is drawn (``store_verdicts``), so the
player can mark the violating operations on the diagram (``anomaly_marks``); the section
itself is drawn further down (``live_verdicts``). Streamlit-only glue; the checking and the
figures are pure (``checkers``, ``viz``).
"""

from __future__ import annotations

from typing import Any, Mapping, NamedTuple

import streamlit as st

from checkers.formats import to_json
from checkers.from_trace import history_from_trace
from checkers.hierarchy import node_status
from checkers.history import History, HistoryError
from checkers.verdict import MODELS, Verdict
from protocols import REGISTRY
from sim.trace import Trace
from ui.check_runner import run_checks
from ui.explorer_results import badge_markdown, default_model
from ui.explorer_witness import highlight_ids, model_name_key
from ui.lang import bound_t, md_escape
from viz.hierarchy_map import hierarchy_figure
from viz.history_timeline import timeline_figure

LAB_CHECK_SECONDS = 2.0  # per model: lab histories are small; a longer check belongs in the Model Explorer


def focus_model(verdicts: Mapping[str, Verdict], claims: tuple[str, ...]) -> str:
    """The model whose witness the page shows (see the module doc)."""
    for m in claims:
        if m in verdicts and verdicts[m].result == "illegal":
            return m
    for m in MODELS:  # strongest first
        v = verdicts.get(m)
        if v is not None and v.applicable and v.result == "illegal":
            return m
    return default_model(verdicts)


class LiveVerdicts(NamedTuple):
    history: History
    events: Mapping[int, tuple[int, int | None]]  # op id -> (invoke event index, return event index or None)
    verdicts: Mapping[str, Verdict]
    claims: tuple[str, ...]
    focus: str
    step: int
    bug: str | None


def store_verdicts(trace: Trace, cursor: int) -> LiveVerdicts | str | None:
    """The verdicts at ``cursor`` for a replicated store (protocols that claim a model in their
    default configuration, whatever this run's parameters or bug: other protocols' client operations — a 2PC ``commit``, a Paxos ``propose`` — are not
    reads and writes, and no consistency model speaks of them), once a client operation has
    begun; ``None`` otherwise, or a translated message when the history cannot be checked."""
    sc = trace.scenario
    spec = REGISTRY[sc.protocol]
    if not spec.claims(spec.resolve_params({}), None):  # a store claims a model in its default configuration
        return None
    if not any(e.kind == "invoke" for e in trace.events_until(cursor)):
        return None
    t = bound_t()
    try:
        history, events = history_from_trace(trace, upto_step=cursor)
    except HistoryError as e:
        return t("lab.verdicts.unreadable", reason=t(e.key, **e.args_))
    verdicts = run_checks(history, to_json(history), LAB_CHECK_SECONDS, t)
    if verdicts is None:  # the learner pressed Cancel on this very check
        return t("explorer.check.cancelled")
    claims = tuple(m for m in REGISTRY[sc.protocol].claims(sc.params, sc.bug) if m in verdicts)
    return LiveVerdicts(history, events, verdicts, claims, focus_model(verdicts, claims), cursor, sc.bug)


def anomaly_marks(lv: LiveVerdicts | str | None) -> dict[str, Any] | None:
    """What the trace player marks on the diagram: the operations of the focus model's violation."""
    if not isinstance(lv, LiveVerdicts):
        return None
    verdict = lv.verdicts.get(lv.focus)
    ids = highlight_ids(verdict)
    if not ids:
        return None
    t = bound_t()
    culprit = (verdict.witness or {}).get("culprit")
    ops = [[lv.events[i][0], lv.events[i][1], "culprit" if i == culprit else "core"] for i in ids if i in lv.events]
    return {"ops": ops, "text": t("lab.verdicts.marked", model=t(model_name_key(lv.focus)), n=len(ops))}


def live_verdicts(lv: LiveVerdicts | str | None) -> None:
    """The section (nothing when ``lv`` is None; the message when it is one)."""
    if lv is None:
        return
    t = bound_t()
    st.subheader(t("lab.verdicts.title"))
    if isinstance(lv, str):
        st.info(lv)
        return
    history, verdicts, claims, model = lv.history, lv.verdicts, lv.claims, lv.focus
    st.caption(t("lab.verdicts.help", n=len(history.ops), step=lv.step))
    if claims:
        st.markdown(t("lab.verdicts.claims") + " " + " · ".join(
            f"{t(model_name_key(m))} {badge_markdown(verdicts[m], t)}" for m in claims))
        broken = [m for m in claims if verdicts[m].result == "illegal"]
        if broken:
            st.error(t("lab.verdicts.claim_broken", model=t(model_name_key(broken[0]))))
    else:
        st.caption(t("lab.verdicts.no_claim_bug" if lv.bug else "lab.verdicts.no_claim"))
    verdict = verdicts.get(model)
    st.markdown(f"**{t(model_name_key(model))}** {badge_markdown(verdict, t)}")
    for m in (verdict.explanation if verdict else ()):
        st.markdown(t(m.key, **{k: md_escape(v, 4000) if isinstance(v, str) else v for k, v in m.args.items()}))
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(timeline_figure(history, verdict, t, highlight=highlight_ids(verdict)),
                        key="lab.verdicts.timeline", config={"displayModeBar": False})
    with right:
        st.plotly_chart(hierarchy_figure(node_status(verdicts), t, selected=model), key="lab.verdicts.map",
                        config={"displayModeBar": False})
