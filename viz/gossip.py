"""Figures for gossip and Merkle anti-entropy: rounds to full dissemination against log N, and
two replicas' Merkle trees with the differing nodes highlighted.

Theory of operation
-------------------
``rounds_sweep`` runs ``protocols.gossip`` (one update injected at ``n1`` just before the first
round, latency 1–9 ticks against 100-tick rounds) for every N and seed and reads each run's
``rounds_to_full``; it is pure and bounded (``MAX_RUNS`` runs, N ≤ ``MAX_NODES``, each run stops
after ``horizon_rounds(N)`` rounds), so a page can call it under ``st.cache_data``.
``rounds_figure`` draws the mean and the 10th–90th percentile band against N on a log axis,
next to three theory curves:

* **Demers §1.3 mean-field recurrence** for the mode and fan-out ``f``: ``p`` (the susceptible
  fraction) starts at ``1 - 1/N`` and each round becomes ``p · (1 - 1/(N-1))^(f·N·(1-p))``
  with push (no informed node picks it), ``p · p^f`` with pull (it picks only susceptible
  nodes) and the product with push-pull; the curve is the first round where ``N·p < 1/2``
  (fewer than half a node expected to be left). For push and ``f = 1`` this is Demers's
  ``p_{i+1} = p_i (1 - 1/n)^{n(1-p_i)}``, for pull ``p_{i+1} = p_i²``.
* **Pittel 1987**: ``log₂ N + ln N`` (push, fan-out 1, the asymptotic number of rounds).
* **Karp et al. 2000**: ``log₃ N`` (push-pull, the leading term of ``log₃ N + O(log log N)``).

``merkle_tree_figure`` builds both replicas' trees (``protocols/merkle.py``) and draws one:
nodes whose hashes differ in vermillion diamonds, nodes the top-down comparison visits but finds
equal in green, nodes never looked at in grey. ``repair_cost_figure`` puts the messages and
bytes of ``protocols.merkle_anti_entropy.repair_cost`` next to full-state exchange.

Everything is built from a few vectorised traces; no Streamlit, no clock, no global RNG.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from protocols import REGISTRY, merkle
from protocols.gossip import rounds_to_full
from sim.engine import Simulation
from sim.scenario import parse_scenario
from viz import style

Translate = Callable[..., str]
MODES = {"push": (True, False), "pull": (False, True), "push_pull": (True, True)}
MAX_RUNS = 600
MAX_NODES = 128
ROUND_TICKS = 100


def horizon_rounds(n: int) -> int:
    """Rounds a sweep run may last: far more than any mode needs (3 log2 N + 12), far fewer than
    it takes every node to hear from every peer and go quiet."""
    return 3 * math.ceil(math.log2(max(n, 2))) + 12


def sweep_scenario(n: int, seed: int, mode: str, fanout: int):
    push, pull = MODES[mode]
    h = horizon_rounds(n)
    return parse_scenario({
        "protocol": "gossip", "seed": seed,
        "params": {"nodes": n, "push": push, "pull": pull, "fanout": fanout, "round_ticks": ROUND_TICKS,
                   "horizon_rounds": h},
        "workload": [{"at": ROUND_TICKS - 1, "node": "n1", "client": "c1", "op": {"f": "put", "key": "x", "value": 1}}],
        "network": {"latency": {"kind": "uniform", "low": 1, "high": 9}},
        "limits": {"max_steps": 250_000, "max_time": (h + 3) * ROUND_TICKS}})


def rounds_sweep(ns: Sequence[int], seeds: int, mode: str = "push", fanout: int = 1) -> dict[str, Any]:
    """Rounds to full dissemination for every N in ``ns`` and seeds ``0 .. seeds-1``.

    Returns ``{"ns", "rounds" (len(ns) × seeds, NaN where a run did not finish), "mode", "fanout"}``.
    Raises ``ValueError`` beyond the bounds."""
    ns = sorted({int(n) for n in ns})
    if mode not in MODES or not ns or ns[0] < 2 or ns[-1] > MAX_NODES or seeds < 1 or len(ns) * seeds > MAX_RUNS:
        raise ValueError(f"sweep out of bounds: N in 2..{MAX_NODES}, at most {MAX_RUNS} runs, mode in {list(MODES)}")
    rounds = np.full((len(ns), seeds), np.nan)
    measure_only = dataclasses.replace(REGISTRY["gossip"], invariants=())  # tests check them; here they only cost
    for i, n in enumerate(ns):
        for s in range(seeds):
            r = rounds_to_full(Simulation(sweep_scenario(n, s, mode, fanout), measure_only).run())
            if r is not None:
                rounds[i, s] = r
    return {"ns": np.array(ns), "rounds": rounds, "mode": mode, "fanout": fanout}


def meanfield_rounds(ns: Sequence[int], mode: str, fanout: int = 1, max_rounds: int = 500) -> np.ndarray:
    """Demers §1.3's recurrence for the susceptible fraction, iterated until ``N·p < 1/2`` (see module doc)."""
    n = np.asarray(ns, dtype=float)
    push, pull = MODES[mode]
    p = 1.0 - 1.0 / n
    out = np.full(n.shape, np.nan)
    for i in range(1, max_rounds + 1):
        nxt = p.copy()
        if push:
            nxt = nxt * (1.0 - 1.0 / (n - 1.0)) ** (fanout * n * (1.0 - p))
        if pull:
            nxt = nxt * p ** fanout
        p = nxt
        done = np.isnan(out) & (n * p < 0.5)
        out[done] = i
        if not np.isnan(out).any():
            break
    return out


def pittel_rounds(ns: Sequence[int]) -> np.ndarray:
    n = np.asarray(ns, dtype=float)
    return np.log2(n) + np.log(n)


def karp_rounds(ns: Sequence[int]) -> np.ndarray:
    return np.log(np.asarray(ns, dtype=float)) / np.log(3.0)


def rounds_figure(sweeps: Sequence[Mapping[str, Any]], tr: Translate, *, height: int = 440) -> go.Figure:
    """Measured mean and 10–90% band per sweep, with the theory curves (module doc) beside them."""
    colours = {"push": style.OI_BLUE, "pull": style.OI_ORANGE, "push_pull": style.OI_GREEN}
    fig = go.Figure()
    runs = unfinished = 0
    all_ns: set[int] = set()
    for sw in sweeps:
        ns, rounds, mode = sw["ns"], sw["rounds"], sw["mode"]
        all_ns |= {int(n) for n in ns}
        runs += rounds.size
        unfinished += int(np.isnan(rounds).sum())
        label = tr(f"gossip.viz.mode.{mode}")
        c = colours[mode]
        ok = ~np.all(np.isnan(rounds), axis=1)
        lo = np.nanpercentile(rounds[ok], 10, axis=1) if ok.any() else np.array([])
        hi = np.nanpercentile(rounds[ok], 90, axis=1) if ok.any() else np.array([])
        mean = np.nanmean(rounds[ok], axis=1) if ok.any() else np.array([])
        x = ns[ok].astype(float)
        fig.add_trace(go.Scatter(x=np.concatenate([x, x[::-1]]), y=np.concatenate([hi, lo[::-1]]), fill="toself",
                                 fillcolor=_rgba(c, 0.15), line={"width": 0}, hoverinfo="skip",
                                 name=tr("gossip.viz.band", mode=label)))
        fig.add_trace(go.Scatter(x=x, y=mean, mode="lines+markers", line={"color": c, "width": 2},
                                 marker={"size": 7}, name=tr("gossip.viz.measured", mode=label)))
        fig.add_trace(go.Scatter(x=ns.astype(float), y=meanfield_rounds(ns, mode, sw.get("fanout", 1)), mode="lines",
                                 line={"color": c, "dash": "dash"}, name=tr("gossip.viz.meanfield", mode=label)))
    grid = np.geomspace(max(2, min(all_ns or {2})), max(all_ns or {4}), 40)
    modes = {sw["mode"] for sw in sweeps}
    if "push" in modes:
        fig.add_trace(go.Scatter(x=grid, y=pittel_rounds(grid), mode="lines", line={"color": style.GREY, "dash": "dot"},
                                 name=tr("gossip.viz.pittel")))
    if "push_pull" in modes:
        fig.add_trace(go.Scatter(x=grid, y=karp_rounds(grid), mode="lines",
                                 line={"color": style.GREY, "dash": "dashdot"}, name=tr("gossip.viz.karp")))
    title = tr("gossip.viz.rounds_title", runs=runs)
    if unfinished:
        title += "<br><sup>" + tr("gossip.viz.unfinished", count=unfinished) + "</sup>"
    fig.update_layout(title=title, height=height, margin={"l": 60, "r": 20, "t": 70, "b": 50},
                      xaxis={"type": "log", "title": tr("gossip.viz.x_axis"),
                             "tickvals": sorted(all_ns), "ticktext": [str(n) for n in sorted(all_ns)]},
                      yaxis={"title": tr("gossip.viz.y_axis"), "rangemode": "tozero"},
                      legend={"orientation": "h", "y": -0.25})
    return fig


def _rgba(hex_colour: str, alpha: float) -> str:
    h = hex_colour.lstrip("#")
    return f"rgba({int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{alpha})"


# ---------------------------------------------------------------------------- Merkle trees
def merkle_tree_data(store_a: Mapping[str, Any], store_b: Mapping[str, Any], keys: int, fanout: int, depth: int,
                     keys_only: bool = False) -> dict[str, Any]:
    """Both trees, the differing nodes and the nodes a top-down comparison visits (pure)."""
    ta = merkle.build_tree(store_a, keys, fanout, depth, keys_only)
    tb = merkle.build_tree(store_b, keys, fanout, depth, keys_only)
    return {"a": ta, "b": tb, "differ": merkle.differing_nodes(ta, tb), "visited": set(merkle.descent(ta, tb, fanout))}


def merkle_tree_figure(store_a: Mapping[str, Any], store_b: Mapping[str, Any], params: Mapping[str, Any],
                       tr: Translate, *, names: tuple[str, str] = ("r1", "r2"), keys_only: bool = False,
                       height: int = 380) -> go.Figure:
    keys, fanout, depth = params["keys"], params["fanout"], params["depth"]
    data = merkle_tree_data(store_a, store_b, keys, fanout, depth, keys_only)
    key_names = merkle.key_names(keys)
    xs: dict[tuple[int, int], float] = {}
    for lvl in range(depth + 1):
        span = fanout ** (depth - lvl)
        for i in range(fanout ** lvl):
            xs[(lvl, i)] = i * span + (span - 1) / 2
    ex: list[float | None] = []
    ey: list[float | None] = []
    for (lvl, i), x in xs.items():
        if lvl < depth:
            for c in merkle.children(lvl, i, fanout):
                ex += [x, xs[c], None]
                ey += [-lvl, -c[0], None]
    fig = go.Figure(go.Scatter(x=ex, y=ey, mode="lines", line={"color": style.LIGHT_GREY, "width": 1},
                               hoverinfo="skip", showlegend=False))
    groups = {"differ": ([], style.OI_VERMILLION, "diamond", 13), "visited": ([], style.OI_GREEN, "circle", 10),
              "equal": ([], style.LIGHT_GREY, "circle", 8)}
    for node in xs:
        kind = "differ" if node in data["differ"] else "visited" if node in data["visited"] else "equal"
        groups[kind][0].append(node)
    for kind, (nodes, colour, symbol, size) in groups.items():
        hover = []
        for (lvl, i) in nodes:
            lo, hi = merkle.node_range(lvl, i, keys, fanout, depth)
            hover.append(tr("merkle.viz.node_hover", level=lvl, index=i, lo=key_names[lo] if lo < hi else "-",
                            hi=key_names[hi - 1] if lo < hi else "-", a=names[0], b=names[1],
                            ha=data["a"][lvl][i][:8], hb=data["b"][lvl][i][:8]))
        fig.add_trace(go.Scatter(x=[xs[n] for n in nodes], y=[-n[0] for n in nodes], mode="markers",
                                 marker={"color": colour, "symbol": symbol, "size": size,
                                         "line": {"color": style.OI_BLACK, "width": 1}},
                                 hovertext=hover, hoverinfo="text",
                                 name=tr({"differ": "merkle.viz.differ", "visited": "merkle.viz.visited",
                                          "equal": "merkle.viz.equal"}[kind])))
    fig.update_layout(title=tr("merkle.viz.title", a=names[0], b=names[1], count=len(data["differ"])), height=height,
                      margin={"l": 50, "r": 20, "t": 60, "b": 30}, legend={"orientation": "h", "y": -0.05},
                      xaxis={"visible": False},
                      yaxis={"title": tr("merkle.viz.level"), "tickvals": [-lvl for lvl in range(depth + 1)],
                             "ticktext": [str(lvl) for lvl in range(depth + 1)]})
    return fig


def repair_cost_figure(cost: Mapping[str, int], tr: Translate, *, height: int = 320) -> go.Figure:
    """Messages and bytes of the Merkle repairs next to full-state exchange (``repair_cost``)."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=(tr("merkle.viz.messages"), tr("merkle.viz.bytes")))
    labels = [tr("merkle.viz.merkle"), tr("merkle.viz.full")]
    colours = [style.OI_GREEN, style.GREY]
    for col, field in ((1, "messages"), (2, "bytes")):
        fig.add_trace(go.Bar(x=labels, y=[cost[f"merkle_{field}"], cost[f"full_{field}"]], marker_color=colours,
                             showlegend=False), row=1, col=col)
    fig.update_layout(title=tr("merkle.viz.cost_title"), height=height, margin={"l": 50, "r": 20, "t": 70, "b": 40})
    return fig
