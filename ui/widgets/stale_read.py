"""Lesson widget ``stale_read``: how often a partial-quorum read is stale, t after the write commits.

Sliders for N, R, W, the latency distribution and the mean latency of the write and read legs;
one pure, cached call (``viz.staleness``: PBS's WARS model by Monte Carlo, a fixed seed) per
configuration; a figure of P(fresh) against t; and a sentence that reads the result: R + W > N
is always fresh (the quorums intersect), otherwise freshness rises with t — eventual
consistency's "eventually", quantified. Drawn in an ``st.fragment`` so moving a slider re-runs
only this widget, not the lesson around it. Widget state lives under ``key_prefix``.

Timing (20,000 trials, N = 9, three configurations, 201 t points): 0.10 s (exponential) to 0.15 s
(Pareto) uncached, measured; cached re-draws are instant.
"""

from __future__ import annotations

import numpy as np
import streamlit as st

from ui.lang import bound_t
from viz.staleness import (KINDS, N_MAX, TRIALS_MAX, Latency, expected_versions_behind, fresh_fraction,
                           freshness_margins, k_staleness, staleness_figure, strict, t_at)

SEED = 2012
T_POINTS = 201
TRIAL_CHOICES = (1_000, 2_000, 5_000, 10_000, TRIALS_MAX)


@st.cache_data(max_entries=64, show_spinner=False)
def _curve(n: int, r: int, w: int, kind: str, write_mean: float, read_mean: float, t_max: float,
           trials: int) -> tuple[tuple[float, ...], float]:
    """P(fresh) at ``T_POINTS`` t values in [0, t_max], and the t at which 99.9% of reads are fresh."""
    margins = freshness_margins(n, r, w, Latency(kind, write_mean), Latency(kind, read_mean), trials,
                                np.random.default_rng(SEED))
    t = np.linspace(0.0, t_max, T_POINTS)
    return tuple(float(p) for p in fresh_fraction(margins, t)), t_at(margins, 0.999)


DEFAULTS = {"n": 3, "r": 1, "w": 1, "model": KINDS[0], "write_mean": 5.0, "read_mean": 5.0, "t_max": 50,
            "trials": 5_000}


def _init_state(k: str) -> None:
    """Defaults go into session state (never as widget arguments, which would clash with the clamp)."""
    for name, value in DEFAULTS.items():
        st.session_state.setdefault(k + name, value)


def _clamp(key: str, high: int) -> None:
    """A remembered R or W larger than a newly chosen N would be out of range: lower it first."""
    if st.session_state.get(key, 1) > high:
        st.session_state[key] = high


def _pct(p: float) -> str:
    return f"{100 * p:.2f}%"


def render(key_prefix: str) -> None:
    st.fragment(_body)(key_prefix)


def _body(k: str) -> None:
    t = bound_t()
    with st.container(border=True):
        st.markdown(t("staleness.intro"))
        c1, c2, c3 = st.columns(3)
        _init_state(k)
        n = c1.slider(t("staleness.n"), 1, N_MAX, key=k + "n")
        _clamp(k + "r", n)
        _clamp(k + "w", n)
        r = c2.slider(t("staleness.r"), 1, n, key=k + "r") if n > 1 else 1
        w = c3.slider(t("staleness.w"), 1, n, key=k + "w") if n > 1 else 1
        c4, c5, c6 = st.columns(3)
        kind = c4.selectbox(t("staleness.model"), KINDS, key=k + "model", help=t("staleness.model_help"),
                            format_func=lambda m: t(f"staleness.model_{m}"))
        write_mean = c5.slider(t("staleness.write_mean"), 0.5, 50.0, step=0.5, key=k + "write_mean")
        read_mean = c6.slider(t("staleness.read_mean"), 0.5, 50.0, step=0.5, key=k + "read_mean")
        c7, c8 = st.columns(2)
        t_max = c7.slider(t("staleness.t_max"), 1, 500, key=k + "t_max")
        trials = c8.select_slider(t("staleness.trials"), TRIAL_CHOICES, key=k + "trials")

        q = n // 2 + 1
        configs = list(dict.fromkeys([(r, w), (1, 1), (q, q)]))
        curves = {(cr, cw): _curve(n, cr, cw, kind, write_mean, read_mean, float(t_max), trials)
                  for cr, cw in configs}
        t_values = np.linspace(0.0, float(t_max), T_POINTS)
        fig = staleness_figure(n, t_values, [(cr, cw, curves[cr, cw][0]) for cr, cw in configs],
                               title=t("staleness.title", n=n), x_label=t("staleness.x_label"),
                               y_label=t("staleness.y_label"))
        st.plotly_chart(fig, width="stretch", key=k + "chart")
        st.caption(t("staleness.compare", seed=SEED))

        if strict(n, r, w):
            st.success(t("staleness.always_fresh", sum=r + w, n=n))
        else:
            probs, t999 = curves[r, w]
            st.info(t("staleness.eventually", sum=r + w, n=n, p0=_pct(probs[0]), p_end=_pct(probs[-1]),
                      t_max=t_max, t999=f"{t999:.1f}"))
            st.caption(t("staleness.k_stale", k1=_pct(k_staleness(n, r, w, 1)), k2=_pct(k_staleness(n, r, w, 2)),
                         k3=_pct(k_staleness(n, r, w, 3)), behind=f"{expected_versions_behind(n, r, w):.2f}"))
        if 2 * w <= n:
            st.caption(t("staleness.weak_writes", w=w))
