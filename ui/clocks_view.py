"""Pure helpers of the Logical Clocks page: event labels, the relation of two events explained
from their vector clocks (and contrasted with their Lamport clocks), and the table contrasting
Lamport's total order with the vector clocks' partial order.

The page has two sources (``SOURCES``): the textbook run, whose clocks are each process's OWN
clocks as the ``logical-clocks`` protocol computed them (Lamport 1978; Fidge 1988, Mattern 1989),
read by ``viz.clock_events.textbook_events``; and any protocol's preset (or default settings),
whose clocks are the simulator's trace clocks, read by ``viz.causality_view.simulator_events``.
Both give ``ClockEvent`` tuples, so every helper below serves both. ``preset_choices`` and
``scenario_for`` pick the run. No Streamlit: the page renders what these return.
"""

from __future__ import annotations

from typing import Callable, Sequence

import pandas as pd

from lessons.presets import list_presets, load_preset
from protocols import REGISTRY
from sim.edit import default_scenario
from sim.scenario import Scenario
from viz.clock_events import (CONCURRENT, FUTURE, PAST, SELF, ClockEvent, classify, fmt_vc, kind_text,
                              lamport_order, relation)

T = Callable[..., str]

TEXTBOOK = "textbook"  # the source "textbook processes"; every other source is a protocol id
SOURCES = (TEXTBOOK, *REGISTRY)


def preset_choices(protocol: str, lang: str) -> tuple[dict[str, str], str | None]:
    """``({preset id: title in lang}, None)`` for ``protocol``'s presets, or ``({}, error text)`` when
    the preset files cannot be read (a broken file must not take the page down)."""
    try:
        presets = list_presets(protocol)
    except ValueError as err:  # ScenarioError is a ValueError
        return {}, str(err)
    return {p.id: (p.meta.get("title") or {}).get(lang) or (p.meta.get("title") or {}).get("en") or p.id
            for p in presets}, None


def scenario_for(protocol: str, preset: str | None) -> Scenario:
    """The preset's scenario, or the protocol with its default settings when ``preset`` is empty."""
    return load_preset(preset) if preset else default_scenario(protocol)


def event_label(e: ClockEvent, t: T) -> str:
    """``e4 · p2 sends m1 to p3 · L=1 · V=[0,1,0]`` (starts with the event's name ``e<i>``)."""
    return t("clocks.event_label", i=e.i, node=e.node, what=kind_text(e, t), lamport=e.lamport, vc=fmt_vc(e.vc))


def _first_diff(a: ClockEvent, b: ClockEvent, nodes: Sequence[str], bigger: str) -> tuple[str, int, int]:
    """The first entry where ``a``'s vector is strictly bigger (``bigger="a"``) or smaller than ``b``'s."""
    for k, (x, y) in enumerate(zip(a.vc, b.vc)):
        if (x > y) if bigger == "a" else (x < y):
            return nodes[k], x, y
    raise ValueError("no such entry")


def explain(a: ClockEvent, b: ClockEvent, nodes: Sequence[str], t: T) -> tuple[str, str, str]:
    """``(relation, vector-clock sentence, Lamport-clock sentence)`` for events ``a`` and ``b``;
    relation is ``before`` / ``after`` / ``concurrent`` / ``same`` (from the vector clocks)."""
    rel = relation(a.vc, b.vc)
    if rel == "same":
        return rel, t("clocks.explain.same", a=f"e{a.i}"), ""
    if rel == "concurrent":
        na, xa, ya = _first_diff(a, b, nodes, "a")
        nb, xb, yb = _first_diff(a, b, nodes, "b")
        vec = t("clocks.explain.concurrent", a=f"e{a.i}", b=f"e{b.i}", va=fmt_vc(a.vc), vb=fmt_vc(b.vc),
                na=na, xa=xa, ya=ya, nb=nb, xb=xb, yb=yb)
        if a.lamport == b.lamport:
            return rel, vec, t("clocks.lamport.tie", a=f"e{a.i}", b=f"e{b.i}", la=a.lamport)
        lo, hi = (a, b) if a.lamport < b.lamport else (b, a)
        return rel, vec, t("clocks.lamport.misleading", lo=f"e{lo.i}", hi=f"e{hi.i}", llo=lo.lamport,
                           lhi=hi.lamport)
    x, y = (a, b) if rel == "before" else (b, a)  # x → y
    node, vx, vy = _first_diff(x, y, nodes, "b")
    vec = t("clocks.explain.before", a=f"e{x.i}", b=f"e{y.i}", va=fmt_vc(x.vc), vb=fmt_vc(y.vc), node=node,
            x=vx, y=vy)
    key = "clocks.lamport.consistent" if x.lamport < y.lamport else "clocks.lamport.violated"
    return rel, vec, t(key, a=f"e{x.i}", b=f"e{y.i}", la=x.lamport, lb=y.lamport)


def cone_counts(events: Sequence[ClockEvent], selected: int) -> dict[str, int]:
    cls = classify(events, selected)
    return {"past": int((cls == PAST).sum()), "future": int((cls == FUTURE).sum()),
            "concurrent": int((cls == CONCURRENT).sum())}


def order_verdict(prev: ClockEvent, cur: ClockEvent) -> str:
    """Why Lamport's total order puts ``prev`` just before ``cur``: ``forced`` (prev → cur),
    ``arbitrary`` (concurrent) or ``contradicts`` (cur → prev: only with a broken clock)."""
    return {"before": "forced", "concurrent": "arbitrary"}.get(relation(prev.vc, cur.vc), "contradicts")


def order_table(events: Sequence[ClockEvent], t: T, selected: int | None = None) -> pd.DataFrame:
    """One row per event in Lamport's total order (clock, then process id); for each row, whether
    following the previous row is forced by causality or arbitrary; with an event A selected,
    how the vector clocks relate each row to A."""
    rel = dict(zip((e.i for e in events), classify(events, selected))) if selected is not None else None
    names = {PAST: "clocks.short.past", FUTURE: "clocks.short.future", CONCURRENT: "clocks.short.concurrent",
             SELF: "clocks.short.self"}
    rows, prev = [], None
    for pos, e in enumerate(lamport_order(events), start=1):
        row = {t("clocks.col.position"): pos, t("clocks.col.event"): f"e{e.i} · {e.node} {kind_text(e, t)}",
               t("clocks.col.lamport"): e.lamport, t("clocks.col.vc"): fmt_vc(e.vc)}
        if prev is None:
            row[t("clocks.col.vs_prev")] = "—"
        else:
            verdict = order_verdict(prev, e)
            row[t("clocks.col.vs_prev")] = t(f"clocks.verdict.{verdict}", a=f"e{prev.i}", b=f"e{e.i}")
        if rel is not None:
            row[t("clocks.col.relation")] = t(names[int(rel[e.i])])  # short: the table is wide
        rows.append(row)
        prev = e
    return pd.DataFrame(rows)
