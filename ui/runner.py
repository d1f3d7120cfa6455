"""The cached run: canonical scenario JSON in, ``Trace`` out, under a wall-time budget.

Theory of operation
-------------------
Pages keep only the canonical scenario JSON (``Scenario.to_json()``) in session state and
ask ``run_json`` for the trace on every rerun. ``st.cache_data`` keys on that string, so
stepping, reruns and many learners on one preset share one simulation; ``max_entries``
bounds the memory. The simulator never reads a clock: the wall-time budget lives here, as
the ``keep_going`` callback ``sim.engine.run`` polls (a run that hits it ends with an
``end`` event whose reason is ``stopped``; the page says so).
"""

from __future__ import annotations

import json
import time

import streamlit as st

from sim.engine import run
from sim.scenario import parse_scenario
from sim.trace import Trace

WALL_BUDGET_S = 5.0


def _deadline(budget_s: float):
    stop_at = time.monotonic() + budget_s

    def keep_going() -> bool:
        return time.monotonic() < stop_at

    return keep_going


@st.cache_data(max_entries=24, show_spinner=False)
def run_json(scenario_json: str) -> Trace:
    """Run the scenario given as canonical JSON (validated again: session state is not trusted)."""
    scenario = parse_scenario(json.loads(scenario_json))
    return run(scenario, keep_going=_deadline(WALL_BUDGET_S))
