"""The CRDT page: replicas of one CRDT type stepping through a run, converging, and the merge
laws checked on the states they actually reached.

Theory of operation
-------------------
Strong eventual consistency (Shapiro, Preguiça, Baquero & Zawirski, SSS 2011): replicas that
have delivered the same updates have equivalent state, with no coordination — because the
states form a join-semilattice and merge is its least upper bound. The page makes each half
visible on a real run of one of the CRDT protocols (``protocols.g_counter`` … ``or_set``):

1. the run in the trace player (a preset, optionally with a bug variant);
2. the **convergence view** (``viz.convergence``) over each replica's value, with the step from
   which they agree, and which invariants the run broke (strong convergence, inflation, …);
3. the **merge laws** — commutative, associative, idempotent, and merge an inflation — checked
   live (``merge_laws``) on the replicas' states at a step the learner picks, with the type's
   merge or the bug variant's. A bug such as ``sum-merge`` visibly fails idempotence there.

Widget state lives under ``crdt.*``; pure helpers (``merge_laws``, ``states_at``) take plain data.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping

import pandas as pd
import streamlit as st

from lessons.presets import load_preset
from protocols import REGISTRY
from protocols.crdt_replica import values_over_time
from protocols.crdt_types import TYPES, CrdtType
from sim.scenario import Scenario, parse_scenario
from sim.trace import Trace
from ui.export import export_buttons
from ui.lang import bound_t, current_lang
from ui.preset_box import preset_box
from ui.runner import run_json
from ui.trace_player import trace_player
from viz.convergence import convergence_figure, convergence_step, value_text

K = "crdt."
LAWS = ("commutative", "associative", "idempotent", "inflation")


def crdt_protocols() -> list[str]:
    """The registered protocols that replicate a CRDT type, in the catalogue's order."""
    return [pid for pid in REGISTRY if pid in TYPES]


def merge_laws(crdt: CrdtType, bug: str | None, a: Any, b: Any, c: Any) -> dict[str, bool]:
    """The semilattice laws of the (possibly buggy) merge on three states (Shapiro et al. 2011, §2.2):
    a ⊔ b = b ⊔ a; (a ⊔ b) ⊔ c = a ⊔ (b ⊔ c); a ⊔ a = a; and a ≤ a ⊔ b (merge only inflates)."""
    merge, leq = crdt.merge_for(bug), crdt.leq

    def same(x: Any, y: Any) -> bool:  # equal as states: both below each other in the lattice order
        return leq(x, y) and leq(y, x)

    return {"commutative": same(merge(a, b), merge(b, a)),
            "associative": same(merge(merge(a, b), c), merge(a, merge(b, c))),
            "idempotent": same(merge(a, a), a),
            "inflation": leq(a, merge(a, b)) and leq(b, merge(a, b))}


def replica_states(trace: Trace, step: int) -> dict[str, Any]:
    """Each replica's CRDT state after ``step`` (the recorded JSON, as the type's functions read it)."""
    return {n: s.get("state") for n, s in trace.states_at(step).items() if "state" in s}


def laws_table(crdt: CrdtType, bug: str | None, states: Mapping[str, Any], t: Callable[..., str]) -> pd.DataFrame:
    names = sorted(states)
    a, b, c = (states[names[i % len(names)]] for i in range(3))
    held = merge_laws(crdt, bug, a, b, c)
    return pd.DataFrame({t("crdt_page.col.law"): [t(f"crdt_page.law.{law}") for law in LAWS],
                         t("crdt_page.col.holds"): ["✓" if held[law] else "✗ " + t("crdt_page.broken") for law in LAWS]})


def _choose(t) -> Scenario:
    ids = crdt_protocols()
    pid = st.selectbox(t("crdt_page.type"), ids, key=K + "type", format_func=lambda p: t(REGISTRY[p].title_key))
    preset = preset_box(pid, t("crdt_page.preset"), t("crdt_page.preset_default"), key=f"{K}preset.{pid}")
    pick = preset.id if preset else ""
    scenario = load_preset(pick) if pick else parse_scenario({"protocol": pid})
    spec = REGISTRY[pid]
    bugs = ["", *(b.id for b in spec.bugs)]
    bug = st.selectbox(t("crdt_page.bug"), bugs, key=f"{K}bug.{pid}.{pick}",
                       index=bugs.index(scenario.bug) if scenario.bug in bugs else 0,
                       format_func=lambda b: t(spec.bug(b).description_key) if b else t("crdt_page.no_bug"))
    return scenario.replace(bug=bug or None)


def crdt_page() -> None:
    t = bound_t()
    st.title(t("crdt_page.title"))
    st.markdown(t("crdt_page.intro"))
    scenario = _choose(t)
    trace = run_json(scenario.to_json())
    crdt = TYPES[scenario.protocol]
    st.subheader(t("crdt_page.run"))
    trace_player(trace, lang=current_lang(), cursor=None, manual=False, key=K + "player")

    st.subheader(t("crdt_page.convergence"))
    last = trace.n_steps - 1
    series = values_over_time(trace)
    fig = convergence_figure(series, last, t)
    st.plotly_chart(fig, key=K + "figure", config={"displayModeBar": False})
    export_buttons(fig, f"{scenario.protocol}-convergence", K + "export")
    at = convergence_step(series, last)
    finals = sorted({value_text(points[-1][1]) for points in series.values() if points})
    if at is not None:
        st.success(t("crdt_page.converged", step=at, value=finals[0] if finals else "⊥"))
    else:
        st.warning(t("crdt_page.diverged", values=" · ".join(finals)))
    broken = sorted(trace.ever_violated())
    if broken:
        st.error(t("crdt_page.invariants_broken", names=", ".join(broken)))
    else:
        st.info(t("crdt_page.invariants_hold", n=len(REGISTRY[scenario.protocol].invariants)))

    st.subheader(t("crdt_page.laws"))
    st.markdown(t("crdt_page.laws_intro"))
    step = st.slider(t("crdt_page.laws_step"), 0, last, last, key=f"{K}laws_step.{scenario.protocol}")
    states = replica_states(trace, step)
    if len(states) < 2:
        st.info(t("crdt_page.laws_none"))
        return
    st.dataframe(laws_table(crdt, scenario.bug, states, t), hide_index=True, width="stretch")
    st.caption(t("crdt_page.laws_help", replicas=", ".join(sorted(states)[:3])))
