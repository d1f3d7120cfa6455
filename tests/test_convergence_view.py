"""viz/convergence.py: the convergence step and the figure, on hand-made series."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ui.i18n import translate
from viz.convergence import convergence_figure, convergence_step, value_at, value_text


def tr(key, **kw):
    return translate("en", key, **kw)


def test_convergence_is_the_first_step_from_which_all_agree_to_the_end():
    series = {"r1": [(0, 0), (3, 2), (9, 5)], "r2": [(0, 0), (5, 1), (12, 5)], "r3": [(0, 0), (11, 5)]}
    assert convergence_step(series, 20) == 12
    # they agreed at step 0 too, but not from there to the end
    assert convergence_step({"r1": [(0, 0), (4, 1)], "r2": [(0, 0)]}, 10) is None
    assert convergence_step({"r1": [(0, 0)], "r2": [(0, 0)]}, 10) == 0
    assert convergence_step({}, 5) is None


def test_sets_are_compared_by_content_not_order():
    series = {"r1": [(0, frozenset()), (2, frozenset({"b", "a"}))], "r2": [(0, frozenset()), (6, ["a", "b"])]}
    assert value_text(frozenset({"b", "a"})) == "{a, b}"
    assert convergence_step({"r1": series["r1"], "r2": [(0, frozenset()), (6, frozenset({"a", "b"}))]}, 9) == 6
    assert value_at(series["r2"], 5) == frozenset() and value_at(series["r2"], 6) == ["a", "b"]
    assert value_at(series["r2"], -1) is None


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.dictionaries(st.sampled_from(["r1", "r2", "r3"]),
                       st.lists(st.tuples(st.integers(0, 30), st.integers(0, 3)), min_size=1, max_size=6)
                       .map(lambda pts: sorted(dict(pts).items())), min_size=1))
def test_convergence_step_agrees_with_checking_every_step(series):
    last = 40
    at = convergence_step(series, last)
    agree = [len({value_text(value_at(p, s)) for p in series.values()}) == 1 for s in range(last + 1)]
    expected = next((s for s in range(last + 1) if all(agree[s:])), None)
    assert at == expected


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_figure_marks_the_convergence_step_and_draws_one_line_per_replica(lang):
    series = {"r1": [(0, 0), (3, 2)], "r2": [(0, 0), (7, 2)]}
    fig = convergence_figure(series, 10, lambda k, **kw: translate(lang, k, **kw), cursor=5)
    assert [t.name for t in fig.data] == ["r1", "r2"]
    assert list(fig.data[1].x) == [0, 7, 10] and list(fig.data[1].y) == [0, 2, 2]
    assert fig.layout.title.text == translate(lang, "conv.title_converged", step=7)
    assert [s.x0 for s in fig.layout.shapes] == [7, 5]  # convergence marker, then the cursor
    diverged = convergence_figure({"r1": [(0, "a")], "r2": [(0, "b")]}, 4, tr)
    assert diverged.layout.title.text == tr("conv.title_diverged") and diverged.layout.yaxis.type == "category"
