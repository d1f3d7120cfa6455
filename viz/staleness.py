"""How stale is a partial-quorum read? A Monte-Carlo simulation of PBS's WARS model.

Theory of operation
-------------------
Bailis, Venkataraman, Franklin, Hellerstein & Stoica, "Probabilistically Bounded Staleness
for Practical Partial Quorums" (PVLDB 5(8), 2012) ask how often a Dynamo-style store with N
replicas, read quorum R and write quorum W returns the latest committed value, as a function
of the time t since the write committed (*t-visibility*). Their **WARS** model gives every
replica i four independent one-way latencies:

    W_i  write request, coordinator -> replica i      A_i  its ack, replica i -> coordinator
    R_i  read request, coordinator -> replica i       S_i  its response, replica i -> coordinator

The write is sent to all N replicas at time 0 and **commits** when the W-th ack arrives,
``commit = W-th smallest of (W_i + A_i)``. A read starts at ``commit + t``, is sent to all N
replicas, and returns once the first R responses (smallest ``R_i + S_i``) are in. Replica i
answers with the new value iff the write reached it before the read request did:
``W_i <= commit + t + R_i``. The read is **stale** iff none of its R responders is fresh.

Vectorised: which R replicas respond first does not depend on t, so per trial
``m = min over the R responders of (W_i - commit) - R_i`` and the read is fresh iff
``m <= t``. P(fresh at t) is the empirical CDF of m: one sort and one ``searchsorted`` for
all t at once — exactly non-decreasing in t and exactly 1 beyond the largest sample.

If R + W > N the R responders include a replica that acked the write, so
``W_i <= W_i + A_i <= commit`` and the read is fresh for every t >= 0 — with probability
exactly 1, also in floating point (each step is a monotone rounding of a non-negative sum
or difference). The figure draws those configurations at 1 for every t.

Latency models (``Latency``), each fixed by its **mean** (same units as t, say ms):

* ``exponential``: ``Exp`` with that mean (PBS's synthetic model).
* ``pareto``: the classical (type I) Pareto with shape ``alpha`` (default 2: finite mean,
  infinite variance — a long tail) and scale ``x_m = mean * (alpha - 1) / alpha``, so that its
  mean ``alpha * x_m / (alpha - 1)`` is the given one; every sample is at least ``x_m``. Drawn
  as ``x_m * (1 + rng.pareto(alpha))`` (numpy's ``pareto`` is the Lomax, i.e. Pareto II).

The write legs (W, A) and the read legs (R, S) each have their own model.

``k_staleness`` is PBS's closed form for *k-staleness* under its simplifying assumption that
each quorum is a uniformly random R- (or W-) subset chosen independently of the others:
a read misses one write's quorum with probability ``p_s = C(N-W, R) / C(N, R)`` and misses the
last k writes' quorums with probability ``p_s ** k``. ``expected_versions_behind`` follows:
``sum_k p_s ** k = p_s / (1 - p_s)``.

The functions are pure: randomness only from the ``numpy.random.Generator`` passed in (the
same seed gives the same numbers); sizes are bounded so a page always answers quickly.

Deviations from the paper
-------------------------
PBS fits latencies measured at LinkedIn and Yammer (mixtures of Pareto and exponential
distributions) and also models read repair and sloppy membership; here there is no read
repair, membership is fixed, and each leg is one exponential or one Pareto distribution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import plotly.graph_objects as go

from viz.style import palette

N_MAX = 9
TRIALS_MAX = 20_000
T_POINTS_MAX = 1_000
MEAN_MAX = 10_000.0
KINDS = ("exponential", "pareto")
PARETO_ALPHA_DEFAULT = 2.0

_COLOURS = ("#D55E00", "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#B59B00", "#000000")


@dataclass(frozen=True)
class Latency:
    """One leg's latency distribution: ``kind`` in ``KINDS``, its ``mean`` (> 0), and for
    ``pareto`` the shape ``alpha`` (> 1, so the mean exists)."""

    kind: str = "exponential"
    mean: float = 1.0
    alpha: float = PARETO_ALPHA_DEFAULT

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"latency kind must be one of {KINDS}, not {self.kind!r}")
        if not _real(self.mean) or not 0 < self.mean <= MEAN_MAX:
            raise ValueError(f"latency mean must be in (0, {MEAN_MAX}], not {self.mean!r}")
        if not _real(self.alpha) or not 1 < self.alpha <= 100:
            raise ValueError(f"Pareto shape alpha must be in (1, 100], not {self.alpha!r}")

    def sample(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        if self.kind == "exponential":
            return rng.exponential(self.mean, size=shape)
        x_m = self.mean * (self.alpha - 1) / self.alpha
        return x_m * (1.0 + rng.pareto(self.alpha, size=shape))


def _real(x: object) -> bool:
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool) and math.isfinite(x)


def _int(x: object) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


def check_config(n: int, r: int, w: int) -> None:
    """``ValueError`` unless 1 <= N <= N_MAX and 1 <= R, W <= N (all integers)."""
    if not _int(n) or not 1 <= n <= N_MAX:
        raise ValueError(f"N must be an integer in 1..{N_MAX}, not {n!r}")
    for name, q in (("R", r), ("W", w)):
        if not _int(q) or not 1 <= q <= n:
            raise ValueError(f"{name} must be an integer in 1..N={n}, not {q!r}")


def strict(n: int, r: int, w: int) -> bool:
    """R + W > N: every read quorum meets every write quorum."""
    return r + w > n


def _t_array(t_values: Iterable[float]) -> np.ndarray:
    try:
        t = np.asarray(list(t_values), dtype=float)
    except (TypeError, ValueError) as e:
        raise ValueError(f"t values must be numbers: {e}") from None
    if t.ndim != 1 or not 1 <= t.size <= T_POINTS_MAX:
        raise ValueError(f"need 1..{T_POINTS_MAX} t values, got {t.size}")
    if not np.all(np.isfinite(t)) or np.any(t < 0):
        raise ValueError("t values must be finite and >= 0 (time after the write commits)")
    return t


def freshness_margins(n: int, r: int, w: int, write: Latency, read: Latency, trials: int,
                      rng: np.random.Generator) -> np.ndarray:
    """Per trial, the smallest t at which the read would be fresh (``m`` in the module doc), sorted."""
    check_config(n, r, w)
    if not isinstance(write, Latency) or not isinstance(read, Latency):
        raise ValueError("write and read latencies must be Latency values")
    if not _int(trials) or not 1 <= trials <= TRIALS_MAX:
        raise ValueError(f"trials must be an integer in 1..{TRIALS_MAX}, not {trials!r}")
    if not isinstance(rng, np.random.Generator):
        raise ValueError("rng must be a numpy.random.Generator (seeded by the caller)")
    shape = (trials, n)
    w_lat, a_lat = write.sample(rng, shape), write.sample(rng, shape)
    r_lat, s_lat = read.sample(rng, shape), read.sample(rng, shape)
    commit = np.partition(w_lat + a_lat, w - 1, axis=1)[:, w - 1:w]           # (trials, 1)
    responders = np.argpartition(r_lat + s_lat, r - 1, axis=1)[:, :r] if r < n else np.arange(n)[None, :]
    responders = np.broadcast_to(responders, (trials, r))
    margin = (np.take_along_axis(w_lat, responders, 1) - commit) - np.take_along_axis(r_lat, responders, 1)
    return np.sort(margin.min(axis=1))


def p_consistent(n: int, r: int, w: int, t_values: Iterable[float], write: Latency, read: Latency,
                 trials: int, rng: np.random.Generator) -> np.ndarray:
    """P(a read started t after the write committed returns it), one value per t (WARS, Monte Carlo)."""
    t = _t_array(t_values)
    return fresh_fraction(freshness_margins(n, r, w, write, read, trials, rng), t)


def fresh_fraction(margins: np.ndarray, t: np.ndarray) -> np.ndarray:
    """From sorted margins: the fraction of reads fresh at each t (the empirical CDF)."""
    return np.searchsorted(margins, t, side="right") / margins.size


def t_at(margins: np.ndarray, p_target: float) -> float:
    """From sorted margins: the smallest t >= 0 at which a fraction >= ``p_target`` of reads is fresh."""
    if not _real(p_target) or not 0 < p_target <= 1:
        raise ValueError(f"target probability must be in (0, 1], not {p_target!r}")
    k = math.ceil(p_target * margins.size) - 1
    return max(0.0, float(margins[k]))


def t_for(p_target: float, n: int, r: int, w: int, write: Latency, read: Latency, trials: int,
          rng: np.random.Generator) -> float:
    """The smallest t >= 0 at which P(fresh) >= ``p_target`` (0 < p_target <= 1), from the samples."""
    if not _real(p_target) or not 0 < p_target <= 1:
        raise ValueError(f"target probability must be in (0, 1], not {p_target!r}")
    return t_at(freshness_margins(n, r, w, write, read, trials, rng), p_target)


def k_staleness(n: int, r: int, w: int, k: int = 1) -> float:
    """PBS's closed form: P(a read returns one of the last k committed versions), quorums
    chosen uniformly and independently (``1 - (C(N-W, R) / C(N, R)) ** k``)."""
    check_config(n, r, w)
    if not _int(k) or not 1 <= k <= 1_000:
        raise ValueError(f"k must be an integer in 1..1000, not {k!r}")
    p_miss = math.comb(n - w, r) / math.comb(n, r)
    return 1.0 - p_miss ** k


def expected_versions_behind(n: int, r: int, w: int) -> float:
    """Expected number of newer committed versions a read misses, under the same assumption
    (``p_s / (1 - p_s)``, the mean of a geometric distribution; 0 when R + W > N)."""
    check_config(n, r, w)
    p_miss = math.comb(n - w, r) / math.comb(n, r)
    return p_miss / (1.0 - p_miss)


def staleness_figure(n: int, t_values: Sequence[float], curves: Sequence[tuple[int, int, Sequence[float]]], *,
                     title: str, x_label: str, y_label: str, height: int = 380) -> go.Figure:
    """P(read is fresh) against t, one line per ``(r, w, probabilities)``. Labels come in translated.
    Configurations with R + W > N are drawn at 1 for every t (dashed): their quorums intersect."""
    t = _t_array(t_values)
    fig = go.Figure()
    for k, (r, w, probs) in enumerate(curves):
        check_config(n, r, w)
        y = np.ones_like(t) if strict(n, r, w) else np.asarray(probs, dtype=float)
        if y.shape != t.shape:
            raise ValueError("each curve needs one probability per t value")
        name = f"R={r}, W={w}" + ("  (R+W>N)" if strict(n, r, w) else "")
        fig.add_trace(go.Scatter(x=t, y=y, mode="lines", name=name,
                                 line={"color": _COLOURS[k % len(_COLOURS)], "width": 2.5,
                                       "dash": "dash" if strict(n, r, w) else "solid", "shape": "hv"},
                                 hovertemplate=f"{name}<br>t=%{{x:.3g}}<br>P=%{{y:.4f}}<extra></extra>"))
    fig.update_layout(title=title, height=height, margin={"l": 60, "r": 20, "t": 60, "b": 50},
                      xaxis_title=x_label, yaxis_title=y_label, legend={"orientation": "h", "y": -0.25},
                      plot_bgcolor="white", font={"color": palette()["text"]})
    fig.update_yaxes(range=[-0.02, 1.04], gridcolor=palette()["grid"], tickformat=".0%")
    fig.update_xaxes(gridcolor=palette()["grid"], rangemode="tozero")
    return fig
