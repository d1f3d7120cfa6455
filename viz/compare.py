"""Side-by-side numbers for two runs of stores: what a comparison of configurations reports.

Theory of operation
-------------------
Two runs — the same workload and fault schedule against two configurations or two stores —
are compared by what their clients saw (``checkers.from_trace.history_from_trace``):

- **operations**: how many were invoked, and how many completed ``ok``, ``fail`` (refused: no
  effect) or stayed ``info`` (no answer by the end: may or may not have taken effect);
- **latency** of the ``ok`` operations in simulated ticks, from the invoke event to the reply
  event (mean, median and 95th percentile, numpy's linear interpolation);
- **availability under partition**: of the operations invoked while some link was cut
  (``Trace.cut_at``), the share that completed ``ok`` — what CAP's "A" is about;
- **anomalies**: the models each history violates, given verdicts computed by the caller
  (checking is bounded in time, so the UI runs it; this module only reads verdicts).

Pure: a function of the traces and verdicts, so the page, the exported figure and the tests
agree.
"""

from __future__ import annotations

from typing import Callable, Mapping, NamedTuple

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from checkers.from_trace import history_from_trace
from checkers.history import History
from checkers.verdict import MODELS, Verdict
from sim.trace import Trace
from viz.history_timeline import timeline_figure

Translate = Callable[..., str]


class RunNumbers(NamedTuple):
    ops: int
    ok: int
    fail: int
    info: int
    latency_mean: float | None  # ticks, ok operations only; None without any
    latency_p50: float | None
    latency_p95: float | None
    partition_ops: int  # operations invoked while some link was cut
    partition_ok: int  # ... of which completed ok
    violated: tuple[str, ...]  # models violated, strongest first


def run_numbers(trace: Trace, verdicts: Mapping[str, Verdict]) -> RunNumbers:
    """The numbers of one run (see the module doc)."""
    history, events = history_from_trace(trace)
    by_id = {o.id: o for o in history.ops}
    latencies, part_ops, part_ok = [], 0, 0
    for op_id, (inv_i, ret_i) in events.items():
        inv = trace.events[inv_i]
        ok = by_id[op_id].status == "ok"
        if ok and ret_i is not None:
            latencies.append(trace.events[ret_i].time - inv.time)
        if trace.cut_at(inv.step):
            part_ops += 1
            part_ok += ok
    lat = np.asarray(latencies, dtype=float)
    stat = (lambda f: float(f(lat))) if lat.size else (lambda f: None)
    counts = {s: sum(o.status == s for o in history.ops) for s in ("ok", "fail", "info")}
    violated = tuple(m for m in MODELS if m in verdicts and verdicts[m].applicable
                     and verdicts[m].result == "illegal")
    return RunNumbers(ops=len(history.ops), ok=counts["ok"], fail=counts["fail"], info=counts["info"],
                      latency_mean=stat(np.mean), latency_p50=stat(np.median),
                      latency_p95=stat(lambda a: np.percentile(a, 95)),
                      partition_ops=part_ops, partition_ok=part_ok, violated=violated)


def availability(n: RunNumbers) -> float | None:
    """Share of the operations invoked under a partition that completed ok (None: there were none)."""
    return n.partition_ok / n.partition_ops if n.partition_ops else None


def _ticks(v: float | None) -> str:
    return "—" if v is None else f"{v:,.1f}"


def comparison_table(a: RunNumbers, b: RunNumbers, t: Translate) -> pd.DataFrame:
    """One row per measure, one column per run (text cells, ready to show or export)."""
    def avail(n: RunNumbers) -> str:
        share = availability(n)
        return t("compare.none") if share is None else f"{share:.0%} ({n.partition_ok}/{n.partition_ops})"

    def violated(n: RunNumbers) -> str:
        return ", ".join(t(f"model.name.{m}") for m in n.violated) or t("compare.no_anomaly")

    rows = [("compare.row.ops", lambda n: f"{n.ops}"),
            ("compare.row.outcomes", lambda n: t("compare.outcomes", ok=n.ok, fail=n.fail, info=n.info)),
            ("compare.row.latency", lambda n: t("compare.latency", mean=_ticks(n.latency_mean),
                                                  p50=_ticks(n.latency_p50), p95=_ticks(n.latency_p95))),
            ("compare.row.availability", avail),
            ("compare.row.anomalies", violated)]
    return pd.DataFrame({t("compare.col.measure"): [t(k) for k, _ in rows],
                         "A": [f(a) for _, f in rows], "B": [f(b) for _, f in rows]})


def comparison_figure(sides: list[tuple[str, History, Verdict | None]], table: pd.DataFrame,
                      t: Translate) -> go.Figure:
    """Both runs' history timelines (with the witness of the model in focus) over the table: one
    figure to export. ``sides`` = ``[(title, history, verdict in focus), ...]`` for A and B."""
    fig = make_subplots(rows=2, cols=len(sides), specs=[[{"type": "xy"}] * len(sides),
                                                        [{"type": "table", "colspan": len(sides)}]
                                                        + [None] * (len(sides) - 1)],
                        subplot_titles=[title for title, _h, _v in sides], row_heights=[0.62, 0.38],
                        vertical_spacing=0.1)
    for col, (_title, history, verdict) in enumerate(sides, start=1):
        part = timeline_figure(history, verdict, t)
        for trace in part.data:
            trace.showlegend = col == 1 and trace.showlegend is not False
            fig.add_trace(trace, row=1, col=col)
        for axis, update in (("xaxis", fig.update_xaxes), ("yaxis", fig.update_yaxes)):
            props = part.layout[axis].to_plotly_json()
            props.pop("domain", None)
            props.pop("anchor", None)
            update(props, row=1, col=col)
    fig.add_trace(go.Table(header=dict(values=list(table.columns), font=dict(size=15), align="left"),
                           cells=dict(values=[table[c].tolist() for c in table.columns], font=dict(size=14),
                                      align="left", height=28)), row=2, col=1)
    fig.update_layout(height=900, barmode="overlay", margin=dict(l=10, r=10, t=60, b=10),
                      legend=dict(orientation="h", x=0, y=0.4, yanchor="bottom", font=dict(size=13)),
                      plot_bgcolor="#FFFFFF", paper_bgcolor="#FFFFFF", font=dict(size=14),
                      title=dict(text=t("compare.figure_title"), font=dict(size=18)))
    return fig
