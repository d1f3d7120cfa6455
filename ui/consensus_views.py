"""The Protocol Lab's consensus views and invariant panel (Streamlit side of ``viz/consensus.py``).

Theory of operation
-------------------
``protocol_views(trace, cursor)`` is the one call the Lab page makes. It draws

* for a protocol whose spec gives ``replica_view`` (Raft, Paxos, Multi-Paxos …): the log
  matrix and the term/ballot timeline at the cursor, with a caption saying what colours,
  ✓, outlines and ✕ mean. The one pass over the run they share (``replica_history``) is
  cached per scenario JSON, like the trace itself; nothing per-user is kept;
* for every protocol with invariants: the invariant panel, one entry per violation episode
  (``viz.violations.episodes``): the translated label, the step it broke (and held again),
  the explanation, the nodes and the message involved, and a button that moves the Lab's
  cursor there. The button's callback writes ``lab.cursor`` before the rerun, so the player,
  every view and the share link (``?p=…``, published at the bottom of the page) follow it.
"""

from __future__ import annotations

import streamlit as st

from protocols import REGISTRY
from sim.trace import Trace
from ui import lab_state as lab
from ui.lang import bound_t, md_escape
from viz.consensus import ReplicaHistory, epoch_timeline_figure, has_views, log_matrix_figure, replica_history
from viz.tables import invariant_labels
from viz.violations import Episode, episodes

MAX_EPISODES = 20  # shown in the panel; a flapping invariant can have many


@st.cache_data(max_entries=16, show_spinner=False)
def cached_history(scenario_json: str, _trace: Trace) -> ReplicaHistory:
    """``replica_history`` of the run, cached by the scenario (which determines the trace)."""
    return replica_history(_trace, REGISTRY.get(_trace.scenario.protocol))


def _go_to(step: int) -> None:
    st.session_state[lab.K_CURSOR] = int(step)


def protocol_views(trace: Trace, cursor: int) -> None:
    spec = REGISTRY.get(trace.scenario.protocol)
    if has_views(spec):
        consensus_views(trace, cursor, spec)
    if spec is not None and spec.invariants:
        invariant_panel(trace, cursor)


def consensus_views(trace: Trace, cursor: int, spec) -> None:
    t = bound_t()
    epoch = t(spec.epoch_key) if spec.epoch_key else t("consensus.epoch")
    history = cached_history(trace.scenario.to_json(), trace)
    st.subheader(t("consensus.title", epoch=epoch))
    st.caption(t("consensus.log_caption", epoch=epoch))
    st.plotly_chart(log_matrix_figure(trace, cursor, spec, t, history=history), key="lab.consensus.log")
    st.caption(t("consensus.timeline_caption", epoch=epoch))
    st.plotly_chart(epoch_timeline_figure(trace, cursor, spec, t, history=history), key="lab.consensus.timeline")


def _message_text(trace: Trace, ep: Episode, t) -> str:
    for e in trace.events_of_step(ep.start):
        if e.kind == "deliver" and e.msg_id == ep.msg_id:
            kind = (e.payload or {}).get("type", "?")
            return t("consensus.inv.message", id=md_escape(ep.msg_id), type=md_escape(kind, 40),
                     src=md_escape(e.peer or "?"), dst=md_escape(e.node or "?"))
    return t("consensus.inv.message_id", id=md_escape(ep.msg_id))


def invariant_panel(trace: Trace, cursor: int) -> None:
    t = bound_t()
    labels = invariant_labels(trace, t)
    eps = episodes(trace)
    n = len(trace.invariant_names)
    st.subheader(t("consensus.inv.title"))
    past = [e for e in eps if e.start <= cursor]
    if not eps:
        st.success(t("consensus.inv.all_hold_run", n=n, steps=trace.n_steps))
    elif not past:
        st.success(t("consensus.inv.all_hold_so_far", n=n, step=cursor))
    for k, ep in enumerate(eps[:MAX_EPISODES]):
        label = md_escape(labels.get(ep.invariant, {}).get("label", ep.invariant), 80)
        ahead = ep.start > cursor
        with st.container(border=True):
            when = t("consensus.inv.broke_at", step=ep.start)
            if ep.end is not None:
                when += " · " + t("consensus.inv.held_again", step=ep.end)
            head = f"**{label}** — {when}"
            (st.info if ahead else st.error)(t("consensus.inv.ahead", text=head) if ahead else head)
            args = {a: md_escape(v, 80) for a, v in ep.args.items()}
            st.markdown(t(ep.key, **args))  # our catalog's text; the run's values are escaped
            parts = [t("consensus.inv.nodes", nodes=", ".join(md_escape(x) for x in ep.nodes) or "—")]
            if ep.msg_id:
                parts.append(_message_text(trace, ep, t))
            st.caption(" · ".join(parts))
            st.button(t("consensus.inv.go", step=ep.start), key=f"lab.inv.go.{k}", on_click=_go_to,
                      args=(ep.start,), disabled=ep.start == cursor)
    if len(eps) > MAX_EPISODES:
        st.caption(t("consensus.inv.more", n=len(eps) - MAX_EPISODES))
