"""Stale reads under partial quorums (viz/staleness.py: PBS's WARS model, Bailis et al., PVLDB 5(8)
2012) and the lesson widget that draws them (ui/widgets/stale_read.py).

Facts checked: R + W > N is fresh with probability exactly 1 for every t (PBS §3: the quorums
intersect); otherwise P(fresh) is non-decreasing in t and tends to 1 (t-visibility); a fixed
seed reproduces the numbers; the vectorised code agrees with a plain per-trial loop of the WARS
rules; the closed-form k-staleness (PBS §3.2) matches C(N-W, R)/C(N, R); bad input raises."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.apptest import open_page
from ui.i18n import translate
from viz.staleness import (N_MAX, TRIALS_MAX, Latency, expected_versions_behind, freshness_margins, k_staleness,
                           p_consistent, staleness_figure, t_for)

EXP = Latency("exponential", 5.0)
PARETO = Latency("pareto", 5.0)
T = np.linspace(0.0, 100.0, 101)


def _p(n, r, w, *, seed=7, trials=5_000, write=EXP, read=EXP, t=T):
    return p_consistent(n, r, w, t, write, read, trials, np.random.default_rng(seed))


@pytest.mark.parametrize("n, r, w", [(3, 2, 2), (3, 1, 3), (3, 3, 1), (5, 3, 3), (5, 1, 5), (9, 5, 5), (9, 2, 8),
                                     (1, 1, 1), (2, 1, 2)])
@pytest.mark.parametrize("model", [EXP, PARETO, Latency("pareto", 0.5, alpha=1.1)])
def test_intersecting_quorums_are_fresh_with_probability_exactly_one(n, r, w, model):
    probs = _p(n, r, w, write=model, read=Latency(model.kind, 40.0))
    assert probs.shape == T.shape
    assert np.all(probs == 1.0)
    assert np.all(freshness_margins(n, r, w, model, model, 2_000, np.random.default_rng(3)) <= 0.0)


def test_w_equal_n_and_r_equal_n_are_always_fresh_even_with_a_quorum_of_one():
    """W = N: the write commits only once every replica has it. R = N: the read asks them all."""
    for n in range(1, N_MAX + 1):
        assert np.all(_p(n, 1, n, trials=1_000) == 1.0), n
        assert np.all(_p(n, n, 1, trials=1_000) == 1.0), n


@pytest.mark.parametrize("model", [EXP, PARETO])
@pytest.mark.parametrize("n, r, w", [(3, 1, 1), (5, 2, 2), (9, 1, 3), (9, 2, 3)])
def test_partial_quorums_are_sometimes_stale_and_freshen_monotonically_towards_one(n, r, w, model):
    probs = _p(n, r, w, write=model, read=model, t=np.linspace(0.0, 2_000.0, 401))
    assert probs[0] < 1.0, "right after the commit some reads are stale"
    assert np.all(np.diff(probs) >= 0.0), "non-decreasing in t (same samples for every t)"
    assert probs[-1] >= 0.999, "and tends to 1"
    assert np.all((0.0 <= probs) & (probs <= 1.0))


def test_monotone_in_t_also_across_independent_samples_within_monte_carlo_tolerance():
    """Each t with its own seed: P(t) may wiggle by sampling noise only (4 standard errors)."""
    trials = 20_000
    ts = [0.0, 1.0, 2.0, 5.0, 10.0, 20.0, 40.0]
    ps = [float(p_consistent(3, 1, 1, [t], EXP, EXP, trials, np.random.default_rng(100 + k))[0])
          for k, t in enumerate(ts)]
    for a, b in zip(ps, ps[1:]):
        se = math.sqrt(max(a * (1 - a), b * (1 - b), 1e-4) / trials)
        assert b >= a - 4 * se, (ps, a, b)
    assert ps[-1] > ps[0] + 0.15


def test_a_fixed_seed_gives_identical_results_and_another_seed_does_not():
    a = _p(3, 1, 1, seed=42, write=PARETO, read=EXP)
    b = _p(3, 1, 1, seed=42, write=PARETO, read=EXP)
    c = _p(3, 1, 1, seed=43, write=PARETO, read=EXP)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def _reference_margins(n, r, w, write, read, trials, rng):
    """The WARS rules trial by trial in plain Python, on the same draws as the vectorised code."""
    shape = (trials, n)
    wl, al = write.sample(rng, shape), write.sample(rng, shape)
    rl, sl = read.sample(rng, shape), read.sample(rng, shape)
    out = []
    for i in range(trials):
        commit = sorted(wl[i][j] + al[i][j] for j in range(n))[w - 1]
        first = sorted(range(n), key=lambda j: rl[i][j] + sl[i][j])[:r]
        # fresh at t iff some responder j had the write when the read request reached it:
        # wl <= commit + t + rl, i.e. t >= wl - commit - rl
        out.append(min((wl[i][j] - commit) - rl[i][j] for j in first))
    return np.sort(np.array(out))


@pytest.mark.parametrize("n, r, w", [(3, 1, 1), (5, 2, 1), (9, 3, 4), (4, 2, 3)])
def test_vectorised_simulation_agrees_with_a_per_trial_loop(n, r, w):
    got = freshness_margins(n, r, w, PARETO, EXP, 300, np.random.default_rng(11))
    want = _reference_margins(n, r, w, PARETO, EXP, 300, np.random.default_rng(11))
    assert np.allclose(got, want, rtol=0, atol=1e-12)
    t = np.linspace(0, 30, 31)
    assert np.array_equal(p_consistent(n, r, w, t, PARETO, EXP, 300, np.random.default_rng(11)),
                          np.array([np.mean(want <= x) for x in t]))


def test_at_commit_a_read_is_fresh_at_least_as_often_as_its_quorum_meets_the_write_quorum():
    """Responders are a uniformly random R-set independent of the acked W-set, and an acked replica
    is fresh, so P(fresh at t=0) >= 1 - C(N-W, R)/C(N, R) (the closed form), up to sampling noise."""
    for n, r, w in [(3, 1, 1), (5, 2, 2), (9, 1, 4)]:
        p0 = float(_p(n, r, w, trials=20_000, t=[0.0])[0])
        assert p0 >= k_staleness(n, r, w) - 4 * math.sqrt(0.25 / 20_000), (n, r, w, p0)


def test_k_staleness_closed_form():
    assert k_staleness(3, 1, 1) == pytest.approx(1 - 2 / 3)
    assert k_staleness(3, 1, 1, 2) == pytest.approx(1 - (2 / 3) ** 2)
    assert k_staleness(5, 2, 2) == pytest.approx(1 - math.comb(3, 2) / math.comb(5, 2))
    assert k_staleness(3, 2, 2) == 1.0 and expected_versions_behind(3, 2, 2) == 0.0
    assert expected_versions_behind(3, 1, 1) == pytest.approx(2.0)
    assert k_staleness(9, 1, 1, 1) < k_staleness(9, 1, 1, 3) < 1.0


def test_t_for_a_target_probability():
    rng = lambda: np.random.default_rng(5)  # noqa: E731
    t999 = t_for(0.999, 3, 1, 1, EXP, EXP, 10_000, rng())
    assert t999 > 0
    p = p_consistent(3, 1, 1, [t999, max(0.0, t999 - 1.0)], EXP, EXP, 10_000, rng())
    assert p[0] >= 0.999 > p[1]
    assert t_for(0.999, 3, 2, 2, EXP, EXP, 1_000, rng()) == 0.0


def test_latency_models_have_the_documented_means():
    rng = np.random.default_rng(0)
    assert Latency("exponential", 4.0).sample(rng, (200_000,)).mean() == pytest.approx(4.0, rel=0.02)
    heavy = Latency("pareto", 4.0, alpha=3.0).sample(rng, (400_000,))
    assert heavy.mean() == pytest.approx(4.0, rel=0.03)
    assert heavy.min() >= 4.0 * 2 / 3  # x_m = mean * (alpha - 1) / alpha
    assert Latency("pareto", 4.0).sample(rng, (1_000,)).min() >= 2.0


@pytest.mark.parametrize("call", [
    lambda: _p(N_MAX + 1, 1, 1),
    lambda: _p(0, 1, 1),
    lambda: _p(3, 0, 1),
    lambda: _p(3, 1, 4),
    lambda: _p(3, 1.5, 1),
    lambda: _p(True, 1, 1),
    lambda: _p(3, 1, 1, trials=0),
    lambda: _p(3, 1, 1, trials=TRIALS_MAX + 1),
    lambda: _p(3, 1, 1, t=[-1.0]),
    lambda: _p(3, 1, 1, t=[float("nan")]),
    lambda: _p(3, 1, 1, t=[]),
    lambda: _p(3, 1, 1, t=np.zeros(1_001)),
    lambda: _p(3, 1, 1, t=["soon"]),
    lambda: Latency("gaussian", 1.0),
    lambda: Latency("exponential", 0.0),
    lambda: Latency("exponential", float("inf")),
    lambda: Latency("pareto", 1.0, alpha=1.0),
    lambda: p_consistent(3, 1, 1, [0.0], EXP, EXP, 10, random.Random(0)),
    lambda: p_consistent(3, 1, 1, [0.0], EXP, 5.0, 10, np.random.default_rng(0)),
    lambda: k_staleness(3, 1, 1, 0),
    lambda: t_for(1.5, 3, 1, 1, EXP, EXP, 10, np.random.default_rng(0)),
])
def test_bad_input_raises_value_error(call):
    with pytest.raises(ValueError):
        call()


def test_the_largest_inputs_are_accepted():
    probs = _p(N_MAX, 1, 1, trials=TRIALS_MAX, t=np.linspace(0, 50, 1_000))
    assert probs.shape == (1_000,) and 0.0 < probs[0] < 1.0


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, N_MAX), data=st.data(), seed=st.integers(0, 2**32 - 1),
       kind=st.sampled_from(["exponential", "pareto"]), wmean=st.floats(0.01, 1_000), rmean=st.floats(0.01, 1_000),
       t=st.lists(st.floats(0, 1e4), min_size=1, max_size=20))
def test_property_intersecting_quorums_are_always_fresh(n, data, seed, kind, wmean, rmean, t):
    r = data.draw(st.integers(1, n), label="r")
    w = data.draw(st.integers(n - r + 1, n), label="w")  # R + W > N
    probs = p_consistent(n, r, w, t, Latency(kind, wmean), Latency(kind, rmean), 200, np.random.default_rng(seed))
    assert probs.tolist() == [1.0] * len(t)


def test_figure_draws_intersecting_configurations_at_one_and_uses_the_given_labels():
    t = np.linspace(0, 10, 11)
    stale = _p(3, 1, 1, t=t)
    fig = staleness_figure(3, t, [(1, 1, stale), (2, 2, np.zeros(11))], title="T", x_label="X", y_label="Y")
    assert len(fig.data) == 2
    assert list(fig.data[0].y) == list(stale) and fig.data[0].y[0] < 1.0
    assert list(fig.data[1].y) == [1.0] * 11, "R + W > N is drawn at 1 whatever was passed"
    assert "R=2, W=2" in fig.data[1].name and fig.data[1].line.dash == "dash"
    assert fig.layout.title.text == "T" and fig.layout.xaxis.title.text == "X" and fig.layout.yaxis.title.text == "Y"
    with pytest.raises(ValueError):
        staleness_figure(3, t, [(1, 1, stale[:5])], title="T", x_label="X", y_label="Y")


def test_the_widget_draws_exactly_the_pure_simulation_with_its_fixed_seed_and_bounded_trials():
    from ui.widgets import stale_read

    assert max(stale_read.TRIAL_CHOICES) <= TRIALS_MAX
    probs, t999 = stale_read._curve(3, 1, 1, "pareto", 5.0, 2.5, 40.0, 1_000)
    grid = np.linspace(0.0, 40.0, stale_read.T_POINTS)
    want = p_consistent(3, 1, 1, grid, Latency("pareto", 5.0), Latency("pareto", 2.5), 1_000,
                        np.random.default_rng(stale_read.SEED))
    assert list(probs) == want.tolist() and probs[0] < 1.0
    assert t999 == t_for(0.999, 3, 1, 1, Latency("pareto", 5.0), Latency("pareto", 2.5), 1_000,
                         np.random.default_rng(stale_read.SEED))


K = "lesson.principles.stale_read."


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_principles_lesson_draws_the_widget_and_r_plus_w_over_n_reads_always_fresh(lang):
    at = open_page("pages/lessons.py", lang, lesson="principles")
    assert at.slider(key=K + "n").value == 3 and at.slider(key=K + "r").value == 1
    assert len(at.get("plotly_chart")) == 1
    eventually = translate(lang, "staleness.eventually").split("{p0}")[0].format(sum=2, n=3)
    assert "R + W = 2 ≤ N = 3" in eventually
    assert any(i.value.startswith(eventually) for i in at.info), [i.value for i in at.info]
    assert not any("R + W = 4" in s.value for s in at.success)

    at.slider(key=K + "r").set_value(3).run()
    assert not at.exception, [e.value for e in at.exception]
    always = translate(lang, "staleness.always_fresh", sum=4, n=3)
    assert any(s.value == always for s in at.success), [s.value for s in at.success]

    at.slider(key=K + "n").set_value(2).run()  # R = 3 no longer fits: clamped to N, no error
    assert not at.exception, [e.value for e in at.exception]
    assert at.slider(key=K + "r").value == 2
