"""The comparison page: one workload and fault schedule, two configurations or two stores.

Theory of operation
-------------------
Side A is a store's preset (or its default run). Side B is either **A with other settings**
(same store: other parameters or a bug variant) or **A on another store**; both are made by
``sim.transplant`` from A, so the seed, the network, the client workload and the timed faults
are the same and only the store differs. Each side is run (cached, ``ui.runner``), shown in its
own trace player (one above the other: side by side their state tables would not fit), and its client history checked against every model (``ui.check_runner``:
bounded, cached per history); what it claims sits above its verdict map. Below, the numbers of
``viz.compare`` side by side, and one figure holding both histories and the table, exported
(``ui.export``) as PNG, SVG or a self-contained HTML file.

Widget state lives under ``compare.*`` in the session. The page's URL always carries the pair
shown (``?a=<run A>&b=<run B>``, each packed by ``ui.share.encode``), so copying it shares the
comparison. A link this session did not write itself opens the two linked runs as they are
(the selectors are replaced by a note and a button back to them): a linked run need not be
one the selectors can produce. A bad or half link gets a translated message and the selectors.
"""

from __future__ import annotations

import hashlib
from typing import Any

import streamlit as st

from checkers.formats import to_json
from checkers.from_trace import history_from_trace
from checkers.hierarchy import node_status
from checkers.history import HistoryError
from lessons.presets import load_preset
from protocols import REGISTRY
from sim.scenario import Scenario, ScenarioError, parse_scenario
from sim.trace import Trace
from sim.transplant import transplant
from ui import share
from ui.check_runner import run_checks
from ui.explorer_results import badge_markdown
from ui.explorer_witness import model_name_key
from ui.export import export_buttons
from ui.lab_verdicts import LAB_CHECK_SECONDS, focus_model
from ui.lang import bound_t, current_lang, error_text
from ui.preset_box import preset_box
from ui.runner import run_json
from ui.trace_player import trace_player
from viz.compare import comparison_figure, comparison_table, run_numbers
from viz.hierarchy_map import hierarchy_figure

K = "compare."
K_SEEN = K + "link.seen"  # the (a, b) URL values last opened or written by this session
K_LINKED = K + "link.runs"  # (A, B) opened from a link, or None
K_LINK_ERROR = K + "link.error"  # the message for a bad link, shown while the URL holds it


def stores() -> list[str]:
    """Protocols that claim a consistency model (without a bug): the ones worth comparing."""
    return [pid for pid, spec in REGISTRY.items() if spec.teaching and spec.claims(spec.resolve_params({}), None)]


def _side_a(t) -> Scenario:
    ids = stores()
    pid = st.selectbox(t("compare.store"), ids, key=K + "a.protocol", format_func=lambda p: t(REGISTRY[p].title_key))
    pick = preset_box(pid, t("compare.preset"), t("compare.preset_none"), key=K + "a.preset")
    return load_preset(pick.id).replace(meta={}) if pick else parse_scenario({"protocol": pid})


def _params(spec, base: dict[str, Any], prefix: str, t) -> dict[str, Any]:
    out = {}
    for p in spec.params:
        label = t(p.help_key) if p.help_key else p.name
        key = f"{prefix}{spec.id}.{p.name}"
        if isinstance(p.default, bool):
            out[p.name] = st.checkbox(label, value=bool(base.get(p.name, p.default)), key=key)
        else:
            num = int if isinstance(p.default, int) else float
            out[p.name] = st.number_input(label, value=num(base.get(p.name, p.default)), key=key,
                                          min_value=num(p.minimum) if p.minimum is not None else None,
                                          max_value=num(p.maximum) if p.maximum is not None else None)
    return out


def _side_b(a: Scenario, t) -> tuple[Scenario, int]:
    mode = st.radio(t("compare.mode_label"), ("config", "store"), key=K + "b.mode", horizontal=True,
                    format_func=lambda m: t(f"compare.mode.{m}"))
    if mode == "store":
        pid = st.selectbox(t("compare.store"), stores(), key=K + "b.protocol",
                           format_func=lambda p: t(REGISTRY[p].title_key))
    else:
        pid = a.protocol
    spec = REGISTRY[pid]
    same = pid == a.protocol
    # B's widgets are keyed by A: another A starts B again from A's own settings
    prefix = f"{K}b.{hashlib.sha256(a.to_json().encode()).hexdigest()[:10]}."
    with st.expander(t("compare.settings"), expanded=mode == "config"):
        params = _params(spec, dict(a.params) if same else {}, prefix + "p.", t)
        bugs = ["", *(b.id for b in spec.bugs)]
        bug = st.selectbox(t("compare.bug"), bugs, key=f"{prefix}bug.{pid}",
                           index=bugs.index(a.bug) if same and a.bug in bugs else 0,
                           format_func=lambda b: t(spec.bug(b).description_key) if b else t("compare.no_bug"))
    moved = transplant(a, pid, params, bug or None)
    return moved.scenario, moved.dropped


def _side_result(name: str, trace: Trace, t) -> tuple[Any, Any, Any] | None:
    """Claims and verdict map of one side; returns (history, verdicts, focus) or None."""
    try:
        history, _ = history_from_trace(trace)
    except HistoryError as e:
        st.error(t("lab.verdicts.unreadable", reason=t(e.key, **e.args_)))
        return None
    verdicts = run_checks(history, to_json(history), LAB_CHECK_SECONDS, t)
    if verdicts is None:
        st.info(t("explorer.check.cancelled"))
        return None
    sc = trace.scenario
    claims = tuple(m for m in REGISTRY[sc.protocol].claims(sc.params, sc.bug) if m in verdicts)
    if claims:
        st.markdown(t("lab.verdicts.claims") + " " + " · ".join(
            f"{t(model_name_key(m))} {badge_markdown(verdicts[m], t)}" for m in claims))
    else:
        st.caption(t("compare.no_claim"))
    focus = focus_model(verdicts, claims)
    st.plotly_chart(hierarchy_figure(node_status(verdicts), t, selected=focus), key=f"{K}map.{name}",
                    config={"displayModeBar": False})
    return history, verdicts, focus


# ---------------------------------------------------------------------- share link
def _opened_link() -> tuple[Scenario, Scenario] | None:
    """The pair of a link this session has not seen yet (or still shows); a bad link → message, None."""
    a, b = st.query_params.get("a"), st.query_params.get("b")
    ss = st.session_state
    if (a, b) != ss.get(K_SEEN) and (a is not None or b is not None):
        ss[K_SEEN], ss[K_LINKED], ss[K_LINK_ERROR] = (a, b), None, None
        try:
            if not a or not b:
                raise ScenarioError("b" if a else "a", "compare.share.half", "the link names only one run")
            ss[K_LINKED] = (share.decode(a)[0], share.decode(b)[0])
        except ScenarioError as e:
            ss[K_LINK_ERROR] = e
    if ss.get(K_LINK_ERROR) is not None:
        st.error(error_text(ss[K_LINK_ERROR]))
    return ss.get(K_LINKED)


def _leave_link() -> None:
    st.session_state[K_LINKED] = st.session_state[K_SEEN] = None
    for name in ("a", "b"):
        if name in st.query_params:
            del st.query_params[name]


def _publish(a: Scenario, b: Scenario, t) -> None:
    """Keep the pair in the URL and offer the link to copy (if it is not too long to share)."""
    blobs = (share.encode(a, 0), share.encode(b, 0))
    with st.expander(t("compare.share.title")):
        if max(map(len, blobs)) > share.MAX_ENCODED:
            st.caption(t("compare.share.too_big", kib=share.MAX_ENCODED // 1024))
            return
        if (st.query_params.get("a"), st.query_params.get("b")) != blobs:
            st.query_params["a"], st.query_params["b"] = blobs
        st.session_state[K_SEEN] = blobs
        base = (getattr(st.context, "url", None) or "").split("?")[0]
        st.code(f"{base}?lang={current_lang()}&a={blobs[0]}&b={blobs[1]}", language=None, wrap_lines=True)
        st.caption(t("compare.share.help"))


def _choose(t) -> tuple[Scenario, Scenario] | None:
    """Runs A and B from the selectors (None after a message, when B cannot be made from A)."""
    col_a, col_b = st.columns(2)
    with col_a:
        st.subheader(t("compare.side", side="A"))
        a = _side_a(t)
    with col_b:
        st.subheader(t("compare.side", side="B"))
        try:
            b, dropped = _side_b(a, t)
        except ScenarioError as e:
            st.error(error_text(e))
            return None
        if dropped:
            st.caption(t("compare.dropped", n=dropped))
    return a, b


def compare_page() -> None:
    t = bound_t()
    st.title(t("compare.title"))
    st.markdown(t("compare.intro"))
    if not stores():
        st.info(t("compare.no_stores"))
        return
    pair = _opened_link()
    if pair is not None:
        st.info(t("compare.share.opened", a=t(REGISTRY[pair[0].protocol].title_key),
                  b=t(REGISTRY[pair[1].protocol].title_key)))
        st.button(t("compare.share.leave"), key=K + "link.leave", on_click=_leave_link)
    else:
        pair = _choose(t)
        if pair is None:
            return
        _publish(*pair, t)
    a, b = pair
    traces = [run_json(a.to_json()), run_json(b.to_json())]
    # the diagrams one above the other, full width: side by side their state tables are unreadable
    for side, trace in zip("AB", traces):
        st.subheader(t("compare.diagram", side=side, store=t(REGISTRY[trace.scenario.protocol].title_key)))
        trace_player(trace, lang=current_lang(), cursor=None, manual=False, key=f"{K}player.{side.lower()}")
    st.subheader(t("compare.verdicts"))
    results = []
    for name, col, trace in zip(("a", "b"), st.columns(2), traces):
        with col:
            st.markdown(f"**{t('compare.side', side=name.upper())}**")
            results.append(_side_result(name, trace, t))
    if None in results:
        return
    st.subheader(t("compare.table"))
    numbers = [run_numbers(trace, r[1]) for trace, r in zip(traces, results)]
    table = comparison_table(numbers[0], numbers[1], t)
    st.dataframe(table, hide_index=True, width="stretch")
    st.caption(t("compare.table_help"))
    sides = [(t("compare.side_title", side=s, store=t(REGISTRY[tr.scenario.protocol].title_key),
                model=t(model_name_key(r[2]))), r[0], r[1].get(r[2]))
             for s, tr, r in zip("AB", traces, results)]
    export_buttons(comparison_figure(sides, table, t), "comparison", K + "export", html_label=t("compare.export"))
