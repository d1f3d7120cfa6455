"""The comparison page (pages/compare.py) in both languages, and sim/transplant.py: the same workload
and faults on another configuration or store."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from lessons.presets import load_preset
from sim.engine import run
from sim.scenario import ScenarioError, parse_scenario
from sim.transplant import transplant
from tests.support.apptest import open_page
from ui.i18n import translate

def _page(lang: str) -> AppTest:
    return open_page("pages/compare.py", lang)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_compares_two_runs_in_both_languages(lang):
    at = _page(lang)
    assert translate(lang, "compare.title") in [x.value for x in at.title]
    at.selectbox(key="compare.a.protocol").set_value("raft").run()
    at.selectbox(key="compare.a.preset").set_value("raft-leader-crash").run()
    assert not at.exception, [e.value for e in at.exception]
    table = at.dataframe[0].value
    assert list(table.columns)[1:] == ["A", "B"] and len(table) == 5
    assert table.iloc[0, 1] == table.iloc[0, 2]  # B = A with the same settings: the same ops
    assert len(at.get("plotly_chart")) == 2  # two verdict maps
    text = " ".join(m.value for m in at.markdown)
    assert translate(lang, "lab.verdicts.claims") in text


def test_side_b_with_a_bug_variant_shows_its_anomalies():
    at = _page("en")
    at.selectbox(key="compare.a.protocol").set_value("multi-paxos").run()
    at.selectbox(key="compare.a.preset").set_value("multi-paxos-bug-no-reproposal").run()
    bug_box = next(b for b in at.selectbox if b.key.endswith("bug.multi-paxos"))
    assert bug_box.value == "no-reproposal"  # B starts as A
    bug_box.set_value("").run()
    assert not at.exception, [e.value for e in at.exception]
    row = at.dataframe[0].value.iloc[4]  # models violated
    assert "linearizable" in row["A"].lower() and row["B"] == translate("en", "compare.no_anomaly")


def test_transplant_keeps_workload_and_faults_and_maps_nodes_by_position():
    base = load_preset("raft-leader-crash")
    moved = transplant(base, "multi-paxos", {"nodes": 3}, None)
    assert moved.dropped == 0 and moved.scenario.protocol == "multi-paxos"
    assert [(w.at, w.node, w.op) for w in moved.scenario.workload] == [
        (w["at"], w["node"], w["op"]) for w in [{"at": w.at, "node": w.node, "op": w.op} for w in base.workload]]
    assert [(f.type, f.at, f.node) for f in moved.scenario.faults] == [(f.type, f.at, f.node) for f in base.faults]
    assert moved.scenario.seed == base.seed and moved.scenario.network == base.network
    assert run(moved.scenario).end["reason"] == "quiescent"


def test_transplant_refuses_a_store_with_too_few_nodes_and_drops_run_specific_faults():
    five = parse_scenario({"protocol": "raft", "params": {"nodes": 5}, "seed": 2,
                           "workload": [{"at": 400, "node": "s5", "client": "c1", "op": {"f": "get", "key": "x"}}],
                           "faults": [{"type": "crash", "node": "s2", "at": 300},
                                      {"type": "drop", "msg": "m3", "after_step": 4}]})
    with pytest.raises(ScenarioError) as exc:
        transplant(five, "multi-paxos", {"nodes": 3}, None)  # nobody in s5's place
    assert exc.value.key == "err.compare.nodes" and exc.value.args_["node"] == "s5"
    moved = transplant(five, "multi-paxos", {"nodes": 5}, None)
    assert moved.dropped == 1 and [f.type for f in moved.scenario.faults] == ["crash"]  # m3 was A's message


def test_the_url_carries_the_pair_and_a_link_reopens_it_in_both_languages():
    """The page writes ``?a=…&b=…``; a fresh session opened with those parameters shows the same
    two runs (same table), with a button back to the selectors."""
    from ui import share

    at = _page("en")
    at.selectbox(key="compare.a.protocol").set_value("quorum-store").run()
    at.selectbox(key="compare.a.preset").set_value("quorum-store-stale-read").run()
    next(n for n in at.number_input if n.key.endswith("quorum-store.R")).set_value(2).run()
    assert not at.exception, [e.value for e in at.exception]
    a, b = at.query_params["a"], at.query_params["b"]
    a, b = (a[0] if isinstance(a, list) else a), (b[0] if isinstance(b, list) else b)
    sa, sb = share.decode(a)[0], share.decode(b)[0]
    assert sa.params.get("R") == 1 and sb.params["R"] == 2 and sa.workload == sb.workload
    table = at.dataframe[0].value
    assert any(f"&a={a}&b={b}" in c.value for c in at.code)
    for lang in ("en", "zh"):
        other = open_page("pages/compare.py", lang, a=a, b=b)
        store = translate(lang, "proto.quorum_store.title")
        assert translate(lang, "compare.share.opened", a=store, b=store) in [i.value for i in other.info]
        assert not [s for s in other.selectbox if s.key == "compare.a.protocol"]  # the selectors are replaced
        shown = other.dataframe[0].value
        assert shown.equals(table) if lang == "en" else list(shown.iloc[0, 1:]) == list(table.iloc[0, 1:])
        other.button(key="compare.link.leave").click().run()
        assert not other.exception, [e.value for e in other.exception]
        assert [s for s in other.selectbox if s.key == "compare.a.protocol"]  # back to choosing,
        assert other.query_params["a"] not in (a, [a])  # and the URL follows the selectors again


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("params", [{"a": "!!!"}, {"a": "eJyrVkrOzy1ILEpVslIqS8wpTdVRKi1OLYrPTFGyUjI0MjFQqgUAqfEJWQ"},
                                    {"a": "A" * 20000, "b": "x"}])
def test_a_bad_link_gets_a_translated_message_and_the_selectors(lang, params):
    at = open_page("pages/compare.py", lang, **params)
    assert len(at.error) == 1 and "Traceback" not in at.error[0].value
    assert [s for s in at.selectbox if s.key == "compare.a.protocol"]
    assert len(at.dataframe) == 1  # the page still compares the selected runs
