"""The consistency map (checkers/hierarchy.py): the Jepsen graph exactly, implication, statuses on it,
the availability rule, and the map figure (viz/hierarchy_map.py) in both languages."""

from __future__ import annotations

import math
import re
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checkers import hierarchy as h
from checkers.history import History, Op
from checkers.verdict import MODELS, Verdict
from ui.i18n import catalog, translator
from viz import hierarchy_map as hm

CURRICULUM = Path(__file__).resolve().parents[2] / "shared" / "reference" / "curriculum.md"
EXPECTED_EDGES = {
    ("strict-serializable", "serializable"), ("strict-serializable", "linearizable"),
    ("serializable", "repeatable-read"), ("serializable", "snapshot-isolation"),
    ("snapshot-isolation", "monotonic-atomic-view"), ("repeatable-read", "monotonic-atomic-view"),
    ("repeatable-read", "cursor-stability"), ("cursor-stability", "read-committed"),
    ("monotonic-atomic-view", "read-committed"), ("read-committed", "read-uncommitted"),
    ("linearizable", "sequential"), ("sequential", "causal"), ("causal", "writes-follow-reads"),
    ("causal", "pram"), ("pram", "monotonic-reads"), ("pram", "monotonic-writes"), ("pram", "read-your-writes"),
}


def _id(name: str) -> str:
    return name.strip().lower().replace(" ", "-")


def _curriculum() -> str:
    if not CURRICULUM.exists():
        pytest.skip(f"{CURRICULUM} not found: the shared reference directory sits beside the repo")
    return CURRICULUM.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------- the graph
def test_sixteen_jepsen_models_plus_eventual_and_seventeen_plus_one_edges():
    g = h.hierarchy_graph()
    assert g.number_of_nodes() == 17 and len(h.JEPSEN_MODELS) == 16
    assert g.number_of_edges() == 18
    assert set(h.JEPSEN_EDGES) == EXPECTED_EDGES and len(h.JEPSEN_EDGES) == 17
    assert set(g.edges) == EXPECTED_EDGES | {("causal", "eventual")}
    assert nx.is_directed_acyclic_graph(g)
    assert ("pram", "eventual") not in g.edges and not h.implies("pram", "eventual")


def test_edges_and_availability_are_exactly_the_curriculum_map():
    text = _curriculum()
    block = text.split("**Implies edges (17)**", 1)[1].split("```", 2)[1]
    edges = {tuple(_id(p) for p in re.split(r"\s*->\s*", line.split("(")[0].strip()))
             for line in block.splitlines() if "->" in line}
    assert edges == set(h.JEPSEN_EDGES)
    rows = re.findall(r"^\| (\d+) \| ([^|]+) \| ([^|]+) \| [^|]+ \| ([^|]+) \|", text, flags=re.M)
    assert len(rows) == 16
    for _n, name, family, availability in rows:
        model = _id(name)
        assert model in h.JEPSEN_MODELS
        expected = ("unavailable" if availability.strip().startswith("unavailable")
                    else availability.strip().split()[0])
        assert h.availability(model) == expected, model
        assert ("txn" in family) == (h.family(model) == "transactional"), model


def test_graph_is_frozen_and_cached():
    g = h.hierarchy_graph()
    assert h.hierarchy_graph() is g
    with pytest.raises(nx.NetworkXError):
        g.add_edge("eventual", "linearizable")


def test_node_and_edge_attributes():
    g = h.hierarchy_graph()
    assert set(MODELS) <= set(g.nodes)
    for m, attrs in g.nodes(data=True):
        assert attrs["family"] in h.FAMILIES and attrs["availability"] in h.AVAILABILITIES
        assert attrs["source"].strip()
        assert attrs["checkable"] is (m in MODELS)
    assert sum(attrs["checkable"] for _m, attrs in g.nodes(data=True)) == 9
    for a, b, attrs in g.edges(data=True):
        assert attrs["source"].strip()
        assert attrs["source"].startswith("[D]") == ((a, b) == ("causal", "eventual"))


def test_docstring_states_the_thin_air_counterexample():
    assert "P1: R(x)1 W(y)1" in h.__doc__ and "P2: R(y)1 W(x)1" in h.__doc__
    assert "no ``pram → eventual`` edge" in h.__doc__


# ---------------------------------------------------------------------------- implication
@pytest.mark.parametrize("a, b", [
    ("linearizable", "read-your-writes"), ("linearizable", "eventual"), ("strict-serializable", "read-uncommitted"),
    ("strict-serializable", "monotonic-writes"), ("serializable", "read-committed"), ("sequential", "pram"),
    ("causal", "eventual"), ("pram", "pram"),
])
def test_implies_examples(a, b):
    assert h.implies(a, b)


@pytest.mark.parametrize("a, b", [
    ("read-your-writes", "linearizable"), ("serializable", "linearizable"), ("linearizable", "serializable"),
    ("snapshot-isolation", "repeatable-read"), ("pram", "eventual"), ("writes-follow-reads", "pram"),
    ("monotonic-reads", "monotonic-writes"), ("eventual", "causal"),
])
def test_does_not_imply(a, b):
    assert not h.implies(a, b)


def test_implies_is_a_partial_order_and_matches_stronger_weaker():
    ms = h.MAP_MODELS
    for a in ms:
        for b in ms:
            assert (b in h.weaker(a)) == (a in h.stronger(b)) == (h.implies(a, b) and a != b)
            if a != b:
                assert not (h.implies(a, b) and h.implies(b, a))  # antisymmetric
            for c in ms:
                if h.implies(a, b) and h.implies(b, c):
                    assert h.implies(a, c)


def test_unknown_model_raises():
    with pytest.raises(KeyError):
        h.implies("linearizable", "quiescent")
    with pytest.raises(KeyError):
        h.weaker("quiescent")


def test_availability_rule_of_the_map_prose():
    """'At or stronger than cursor stability, snapshot isolation and sequential' cannot be totally or sticky
    available; 'at or stronger than read your writes' at most sticky; weaker models totally available."""
    for m in h.MAP_MODELS:
        if any(h.implies(m, x) for x in ("sequential", "cursor-stability", "snapshot-isolation")):
            expected = "unavailable"
        elif h.implies(m, "read-your-writes"):
            expected = "sticky"
        else:
            expected = "totally"
        assert h.availability(m) == expected, m
    assert h.availability("linearizable") == "unavailable" and h.availability("causal") == "sticky"


# ---------------------------------------------------------------------------- statuses
def _v(model: str, result: str, applicable: bool = True) -> Verdict:
    return Verdict(model, result, applicable=applicable)


def test_a_holding_model_lifts_every_weaker_one():
    status = h.node_status({"linearizable": _v("linearizable", "ok")})
    assert status["linearizable"] == "holds"
    for m in ("sequential", "causal", "pram", "read-your-writes", "monotonic-reads", "eventual"):
        assert status[m] == "implied-holds", m
    assert status["strict-serializable"] == "not-applicable"  # no transactional checker yet
    assert {status[m] for m in h.MAP_MODELS if h.family(m) == "transactional"} == {"not-applicable"}


def test_a_violated_model_sinks_every_stronger_one_and_unknown_gives_way():
    status = h.node_status({"pram": _v("pram", "illegal"), "sequential": _v("sequential", "unknown")})
    assert status["pram"] == "violated"
    assert status["causal"] == status["sequential"] == status["linearizable"] == "implied-violated"
    # pure logic reaches the transactional branch too: strict serializable ⇒ linearizable ⇒ … ⇒ PRAM
    assert status["strict-serializable"] == "implied-violated"
    assert status["serializable"] == status["read-committed"] == "not-applicable"
    assert status["read-your-writes"] == status["eventual"] == status["writes-follow-reads"] == "unknown"


def test_own_definite_verdict_and_not_applicable_win():
    verdicts = {"linearizable": _v("linearizable", "ok"), "causal": _v("causal", "unknown", applicable=False),
                "monotonic-reads": _v("monotonic-reads", "ok"), "eventual": _v("eventual", "unknown")}
    status = h.node_status(verdicts)
    assert status["causal"] == "not-applicable"
    assert status["monotonic-reads"] == "holds"
    assert status["eventual"] == "implied-holds"  # unknown within budget, but linearizable holds


def test_every_status_occurs_and_is_known():
    seen = set()
    for verdicts in ({"linearizable": _v("linearizable", "ok")}, {"pram": _v("pram", "illegal")},
                     {"causal": _v("causal", "unknown", applicable=False)}):
        seen |= set(h.node_status(verdicts).values())
    assert seen == set(h.STATUSES)


def test_contradictions_are_detected_and_leave_the_middle_unknown():
    verdicts = {"linearizable": _v("linearizable", "ok"), "pram": _v("pram", "illegal")}
    assert h.contradictions(verdicts) == [("linearizable", "pram")]
    status = h.node_status(verdicts)
    assert status["sequential"] == status["causal"] == "unknown"  # both implied: claim neither
    assert status["read-your-writes"] == "implied-holds"
    assert h.contradictions({"linearizable": _v("linearizable", "ok")}) == []
    assert h.contradictions({"pram": _v("pram", "ok"), "linearizable": _v("linearizable", "illegal")}) == []
    assert h.contradictions({"causal": _v("causal", "ok"), "pram": _v("pram", "unknown", applicable=False)}) == []


def test_models_outside_the_map_are_ignored():
    status = h.node_status({"quiescent": _v("quiescent", "ok")})
    assert set(status) == set(h.MAP_MODELS) and "quiescent" not in status


@settings(max_examples=60, deadline=None)
@given(seeds=st.sets(st.sampled_from(h.MAP_MODELS)), checked=st.sets(st.sampled_from(MODELS)),
       undecided=st.sets(st.sampled_from(MODELS)))
def test_consistent_verdicts_give_sound_statuses(seeds, checked, undecided):
    """Truth = a downward-closed set of models. Verdicts drawn from it never contradict, and every
    definite or implied status agrees with the truth."""
    truth = set(seeds) | {w for s in seeds for w in h.weaker(s)}
    verdicts = {m: _v(m, "unknown" if m in undecided else "ok" if m in truth else "illegal") for m in checked}
    assert h.contradictions(verdicts) == []
    for m, s in h.node_status(verdicts).items():
        if s in ("holds", "implied-holds"):
            assert m in truth, (m, s)
        if s in ("violated", "implied-violated"):
            assert m not in truth, (m, s)
        if m in checked and m not in undecided:
            assert s == ("holds" if m in truth else "violated")


def test_thin_air_history_is_pram_but_not_eventual():
    """The docstring's counterexample, on the real checkers (skipped until checkers.views lands)."""
    pytest.importorskip("checkers.views", reason="checkers/views.py (per-process models) not written yet")
    from checkers import check

    ops = (Op(id=0, process="P1", f="read", key="x", output=1), Op(id=1, process="P1", f="write", key="y", input=1),
           Op(id=2, process="P2", f="read", key="y", output=1), Op(id=3, process="P2", f="write", key="x", input=1))
    thin_air = History(ops, initial={"x": 0, "y": 0}, timed=False)
    assert check(thin_air, "pram").result == "ok"
    assert check(thin_air, "eventual").result == "illegal"
    assert check(thin_air, "causal").result == "illegal"


# ---------------------------------------------------------------------------- catalogs
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_computed_model_key_is_translated(lang):
    cat = catalog(lang)
    keys = [f"model.{k}.{m}" for m in h.MAP_MODELS for k in ("name", "def")]
    keys += [f"model.family.{f}" for f in h.FAMILIES] + [f"model.status.{s}" for s in h.STATUSES]
    keys += [f"model.availability.{p}{a}" for a in h.AVAILABILITIES for p in ("", "short.", "badge.")]
    missing = [k for k in keys if k not in cat]
    assert not missing, missing


def test_chinese_names_are_the_standard_terms():
    zh = catalog("zh")
    standard = {"linearizable": "线性一致性", "sequential": "顺序一致性", "causal": "因果一致性",
                "pram": "PRAM 一致性", "read-your-writes": "读己之写", "monotonic-reads": "单调读",
                "monotonic-writes": "单调写", "writes-follow-reads": "写跟随读", "eventual": "最终一致性"}
    assert {m: zh[f"model.name.{m}"] for m in standard} == standard


# ---------------------------------------------------------------------------- the map figure
ALL_STATUSES = {m: h.STATUSES[i % len(h.STATUSES)] for i, m in enumerate(h.MAP_MODELS)}


def _trace(fig, meta):
    found = [t for t in fig.data if t.meta == meta]
    assert len(found) == 1, meta
    return found[0]


def test_layout_is_layered_and_branches_left_right():
    assert set(hm.LAYOUT) == set(h.MAP_MODELS)
    for a, b in h.hierarchy_graph().edges:
        assert hm.LAYOUT[a][1] > hm.LAYOUT[b][1], (a, b)  # strongest at the top
    right = min(hm.LAYOUT[m][0] for m in h.MAP_MODELS if h.family(m) != "transactional")
    assert all(hm.LAYOUT[m][0] < right for m in h.MAP_MODELS
               if h.family(m) == "transactional" and m != "strict-serializable")
    # the session guarantees share the bottom row, staggered so their labels never touch
    assert all(hm.LAYOUT[m][1] <= 1 for m in h.MAP_MODELS if h.family(m) == "session")
    assert all(hm.LAYOUT[m][1] > 1 for m in h.MAP_MODELS if h.family(m) == "single-object")


def _dist_to_segment(p, a, b):
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def test_no_arrow_runs_through_another_node():
    for a, b in h.hierarchy_graph().edges:
        for m in h.MAP_MODELS:
            if m not in (a, b):
                assert _dist_to_segment(hm.LAYOUT[m][:2], hm.LAYOUT[a][:2], hm.LAYOUT[b][:2]) > 0.45, (a, b, m)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_map_nodes_arrows_and_hover(lang):
    tr = translator(lang)
    fig = hm.hierarchy_figure(ALL_STATUSES, tr, selected="causal")
    nodes = _trace(fig, "nodes")
    assert list(nodes.customdata) == list(h.MAP_MODELS)
    for i, m in enumerate(h.MAP_MODELS):
        fill, symbol, glyph, _ink = hm.STATUS_STYLE[ALL_STATUSES[m]]
        assert (nodes.marker.color[i], nodes.marker.symbol[i], nodes.text[i]) == (fill, symbol, glyph)
        assert nodes.marker.line.width[i] == hm.RING_WIDTH[h.availability(m)]
        hover = nodes.hovertext[i].replace("<br>", " ")
        for piece in (tr(f"model.name.{m}"), tr(f"model.status.{ALL_STATUSES[m]}")):
            assert piece in hover, (m, piece)
        assert tr(f"model.def.{m}")[:8] in hover
        assert tr(f"model.availability.{h.availability(m)}")[:6] in hover
        assert h.hierarchy_graph().nodes[m]["source"][:20] in hover
    arrows = [a for a in fig.layout.annotations if a.showarrow]
    assert len(arrows) == 18
    assert {a.name for a in arrows} == {f"edge:{a}->{b}" for a, b in h.hierarchy_graph().edges}
    assert [a.text for a in fig.layout.annotations if a.name == "derived:causal->eventual"] == ["[D]"]
    labels = _trace(fig, "labels")
    assert [t.replace("<br>", " ") for t in labels.text] == [tr(f"model.name.{m}") for m in h.MAP_MODELS]
    assert _trace(fig, "selected").customdata == ("causal",)
    legend = {t.name for t in fig.data if t.showlegend is not False and t.name}
    assert {f"{hm.STATUS_STYLE[s][2]} {tr(f'model.status.{s}')}" for s in h.STATUSES} <= legend
    edge_hover = _trace(fig, "edge-hover")
    assert len(edge_hover.x) == 18
    assert any(tr("model.map.hover.derived") in t for t in edge_hover.hovertext)


def test_status_is_not_carried_by_colour_alone():
    assert len({(sym, glyph) for _fill, sym, glyph, _ink in hm.STATUS_STYLE.values()}) == len(h.STATUSES)
    assert set(hm.STATUS_STYLE) == set(h.STATUSES)
    assert len(set(hm.RING_WIDTH.values())) == 3


def test_map_defaults_and_selection():
    tr = translator("en")
    fig = hm.hierarchy_figure({}, tr, selected="no-such-model")
    assert set(_trace(fig, "nodes").text) == {"?"}  # no status → unknown
    assert not [t for t in fig.data if t.meta == "selected"]
    near = [a for a in hm.hierarchy_figure({}, tr, selected="pram").layout.annotations
            if a.showarrow and "pram" in a.name.split(":")[1].split("->")]
    assert len(near) == 4 and all(a.arrowwidth > 2.5 for a in near)


def test_map_is_projector_readable_and_deterministic():
    tr = translator("zh")
    fig = hm.hierarchy_figure(ALL_STATUSES, tr)
    assert fig.layout.font.size >= 14 and fig.layout.legend.font.size >= 14
    for t in fig.data:
        if t.textfont and t.textfont.size is not None:
            assert t.textfont.size >= 14, t.meta
    assert all(a.font.size >= 14 for a in fig.layout.annotations if a.font and a.font.size is not None)
    assert fig.to_json() == hm.hierarchy_figure(ALL_STATUSES, tr).to_json()
