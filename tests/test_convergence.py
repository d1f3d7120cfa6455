"""Convergence of replicated runs (checkers/convergence.py): quiescent replicas agree on every
key, a divergence is named key by key, and a run still in motion is never called illegal."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from checkers.convergence import check_convergence
from ui.i18n import translate


def test_agreeing_replicas_converge():
    v = check_convergence({"r1": {"x": 1, "y": "a"}, "r2": {"x": 1, "y": "a"}, "r3": {"y": "a", "x": 1}}, True)
    assert v.result == "ok" and v.witness["state"] == {"x": 1, "y": "a"}


def test_divergence_is_named_per_key():
    v = check_convergence({"r1": {"x": 1, "y": 2}, "r2": {"x": 1, "y": 3}, "r3": {"x": 1}}, True)
    assert v.result == "illegal"
    assert v.witness["diverged"] == {"y": {"r1": 2, "r2": 3, "r3": None}}
    text = [translate("en", m.key, **m.args) for m in v.explanation]
    assert text[1] == "Key y: r1=2, r2=3, r3=⊥."
    assert "不一致" in translate("zh", v.explanation[0].key, **v.explanation[0].args)


def test_a_run_in_motion_is_unknown_not_illegal():
    v = check_convergence({"r1": {"x": 1}, "r2": {"x": 2}}, False)
    assert v.result == "unknown" and v.applicable


@given(st.dictionaries(st.sampled_from("abc"), st.integers(0, 2)), st.integers(1, 4))
def test_copies_of_one_state_always_converge(state, n):
    assert check_convergence({f"r{i}": dict(state) for i in range(n)}, True).result == "ok"
