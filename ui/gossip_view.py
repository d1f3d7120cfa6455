"""The gossip page: how fast an update spreads by push, pull and push-pull gossip (measured over
many seeded runs against log N, with the theory beside it), and anti-entropy repair with Merkle
trees (which ranges two replicas exchange, and what that saves).

Theory of operation
-------------------
Two sections over pure code:

1. **Dissemination** — ``viz.gossip.rounds_sweep`` runs ``protocols.gossip`` for each N and
   seed (bounded: ``MAX_RUNS`` runs, N ≤ ``MAX_NODES``) and ``rounds_figure`` draws the
   measured rounds next to Demers et al.'s recurrence, Pittel's and Karp et al.'s curves. The
   sweep is cached per (N list, seeds, mode, fan-out); the learner picks modes and sizes within
   the bounds, so the page never runs away. A preset of one run is shown in the trace player.
2. **Merkle anti-entropy** — a preset of ``protocols.merkle_anti_entropy`` in the player, the
   two first replicas' trees at a step the learner picks (``merkle_tree_figure``: differing
   nodes, nodes the top-down comparison visits, nodes it never needs to look at), and the
   messages and bytes of the repairs against full-state exchange (``repair_cost``).

Widget state lives under ``gossip.*``.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from lessons.presets import load_preset
from protocols import REGISTRY
from protocols.merkle_anti_entropy import repair_cost
from sim.scenario import parse_scenario
from ui.export import export_buttons
from ui.lang import bound_t, current_lang
from ui.preset_box import preset_box
from ui.runner import run_json
from ui.trace_player import trace_player
from viz.gossip import MAX_NODES, MAX_RUNS, MODES, merkle_tree_figure, repair_cost_figure, rounds_figure, rounds_sweep

K = "gossip."
SIZES = (4, 8, 16, 32, 64, 128)


@st.cache_data(max_entries=16, show_spinner=False)
def _sweep(ns: tuple[int, ...], seeds: int, mode: str, fanout: int) -> dict[str, Any]:
    return rounds_sweep(ns, seeds, mode, fanout)


def _preset_run(protocol: str, t, key: str):
    """A select box over the protocol's presets (or its default run) and the trace of the choice."""
    pick = preset_box(protocol, t("gossip_page.preset"), t("gossip_page.preset_default"), key=key,
                      none_first=False)
    scenario = load_preset(pick.id) if pick else parse_scenario({"protocol": protocol})
    description = (pick.meta.get("description") or {}).get(current_lang()) if pick else None
    if description:
        st.caption(description)
    return run_json(scenario.to_json())


def _dissemination(t) -> None:
    st.header(t("gossip_page.dissemination"))
    st.markdown(t("gossip_page.dissemination_intro"))
    c1, c2, c3 = st.columns(3)
    modes = c1.multiselect(t("gossip_page.modes"), list(MODES), default=list(MODES), key=K + "modes",
                           format_func=lambda m: t(f"gossip_page.mode.{m}"))
    sizes = c2.multiselect(t("gossip_page.sizes"), SIZES, default=list(SIZES[:4]), key=K + "sizes")
    fanout = c3.number_input(t("gossip_page.fanout"), 1, 4, 1, key=K + "fanout")
    max_seeds = max(1, MAX_RUNS // max(1, len(sizes)))
    seeds = st.slider(t("gossip_page.seeds"), 1, min(40, max_seeds), min(6, max_seeds), key=K + "seeds")
    if not modes or len(sizes) < 2:
        st.info(t("gossip_page.pick_more"))
    else:
        with st.spinner(t("gossip_page.running", runs=len(modes) * len(sizes) * seeds)):
            sweeps = [_sweep(tuple(sorted(sizes)), seeds, m, int(fanout)) for m in modes]
        fig = rounds_figure(sweeps, t)
        st.plotly_chart(fig, key=K + "rounds", config={"displayModeBar": False})
        export_buttons(fig, "gossip-rounds", K + "export.rounds")
        st.caption(t("gossip_page.rounds_help", max_runs=MAX_RUNS, max_nodes=MAX_NODES))
    st.subheader(t("gossip_page.one_run"))
    trace = _preset_run("gossip", t, K + "preset.gossip")
    trace_player(trace, lang=current_lang(), cursor=None, manual=False, key=K + "player.gossip")


def _merkle(t) -> None:
    st.header(t("gossip_page.merkle"))
    st.markdown(t("gossip_page.merkle_intro"))
    trace = _preset_run("merkle-anti-entropy", t, K + "preset.merkle")
    trace_player(trace, lang=current_lang(), cursor=None, manual=False, key=K + "player.merkle")
    last = trace.n_steps - 1
    step = st.slider(t("gossip_page.tree_step"), 0, last, _first_repair_step(trace), key=K + "tree_step")
    states = trace.states_at(step)
    names = list(trace.nodes[:2])
    params = REGISTRY["merkle-anti-entropy"].resolve_params(dict(trace.scenario.params))
    tree = merkle_tree_figure(states[names[0]].get("store") or {}, states[names[1]].get("store") or {},
                              params, t, names=(names[0], names[1]),
                              keys_only=trace.scenario.bug == "hash-ignores-values")
    st.plotly_chart(tree, key=K + "tree", config={"displayModeBar": False})
    export_buttons(tree, f"merkle-tree-step{step}", K + "export.tree")
    cost = repair_cost(trace)
    if cost["sessions"]:
        st.plotly_chart(repair_cost_figure(cost, t), key=K + "cost", config={"displayModeBar": False})
        st.caption(t("gossip_page.cost_help", sessions=cost["sessions"],
                     saved=max(0, cost["full_bytes"] - cost["merkle_bytes"])))
    else:
        st.info(t("gossip_page.no_repair"))


def _first_repair_step(trace) -> int:
    """The step just before the first repair message: the trees as the first session finds them."""
    first = next((e.step for e in trace.events if e.kind == "send" and e.payload
                  and e.payload.get("type") == "HashRequest"), None)
    return max(0, (first or trace.n_steps) - 1)


def gossip_page() -> None:
    t = bound_t()
    st.title(t("gossip_page.title"))
    st.markdown(t("gossip_page.intro"))
    dissemination, merkle_tab = st.tabs([t("gossip_page.dissemination"), t("gossip_page.merkle")])
    with dissemination:
        _dissemination(t)
    with merkle_tab:
        _merkle(t)
