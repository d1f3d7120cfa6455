"""Pure helpers of the Logical Clocks page: which events a learner picks from, their labels,
and the table that contrasts Lamport's total order with the vector clocks' partial order.

Only the protocol's own events count: sends, deliveries and local events (the timer
firings that schedule them and boot are simulator bookkeeping). Clocks are the ones the
simulator stamps on the trace, so the table agrees with the diagram.
"""

from __future__ import annotations

from typing import Callable

import pandas as pd

from sim.causality import CONCURRENT, FUTURE, PAST, SELF, classify, lamport_total_order
from sim.trace import Event, Trace


def is_process_event(e: Event) -> bool:
    if e.vc is None:
        return False
    if e.kind in ("send", "deliver"):
        return True
    return e.kind == "note" and (e.detail or {}).get("key") == "lc.local_event"


def process_events(trace: Trace) -> list[int]:
    return [e.i for e in trace.events if is_process_event(e)]


def _vc(v) -> str:
    return "[" + ",".join(str(x) for x in v) + "]"


def event_label(e: Event, t: Callable[..., str]) -> str:
    what = {"send": "clocks.kind.send", "deliver": "clocks.kind.deliver"}.get(e.kind, "clocks.kind.local")
    return t("clocks.event_label", i=e.i, node=e.node, what=t(what, peer=e.peer or "", msg=e.msg_id or ""),
             lamport=e.lamport, vc=_vc(e.vc))


def order_table(trace: Trace, selected: int | None, t: Callable[..., str]) -> pd.DataFrame:
    """One row per process event in Lamport total order; when an event is selected, how the
    vector clocks relate each row to it, and whether Lamport's order invents that order."""
    keep = set(process_events(trace))
    order = [i for i in lamport_total_order(trace) if i in keep]
    rel = classify(trace, selected) if selected is not None else None
    names = {PAST: "clocks.rel.past", FUTURE: "clocks.rel.future", CONCURRENT: "clocks.rel.concurrent",
             SELF: "clocks.rel.self"}
    rows = []
    for pos, i in enumerate(order, start=1):
        e = trace.events[i]
        row = {t("clocks.col.position"): pos, t("clocks.col.event"): event_label(e, t),
               t("clocks.col.lamport"): e.lamport, t("clocks.col.vc"): _vc(e.vc)}
        if rel is not None:
            r = int(rel[i])
            row[t("clocks.col.relation")] = t(names.get(r, "clocks.rel.none"))
            arbitrary = r == CONCURRENT
            row[t("clocks.col.lamport_says")] = t(
                "clocks.lamport_arbitrary" if arbitrary else "clocks.lamport_agrees")
        rows.append(row)
    return pd.DataFrame(rows)


def cone_counts(trace: Trace, selected: int) -> dict[str, int]:
    keep = process_events(trace)
    rel = classify(trace, selected)
    return {"past": sum(rel[i] == PAST for i in keep), "future": sum(rel[i] == FUTURE for i in keep),
            "concurrent": sum(rel[i] == CONCURRENT for i in keep)}
