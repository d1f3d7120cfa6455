"""Happens-before from the trace's vector clocks: relations, causal cones, explanations.

Theory of operation
-------------------
The simulator stamps every event that happens at a node with a vector clock V (Fidge
1988, Mattern 1989): the node's own entry grows by one at each of its events, and a
delivery first takes the pointwise maximum with the vector the message carried. For such
clocks, a → b (a happens before b, Lamport 1978) exactly when V(a) ≤ V(b) in every entry
and V(a) ≠ V(b); events whose vectors are incomparable are concurrent (a ‖ b).

Network events (drop, partition, heal, ...) are not events of any process and have no
clock: ``relation`` refuses them and ``classify`` marks them ``NO_CLOCK``.

``lamport_total_order`` sorts events by (Lamport clock, node lane): a total order that
extends happens-before, but one that also orders concurrent events arbitrarily — the
contrast the Logical Clocks page draws. Ties are broken by the node's position in
``trace.nodes`` (p1 < p2 < ...), Lamport's "arbitrary total ordering of the processes".

Pure functions only: no Streamlit, no clock, no randomness.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from sim.trace import Event, Trace

PAST, CONCURRENT, FUTURE, SELF, NO_CLOCK = -1, 0, 1, 2, 3


def _vc(e: Event) -> tuple[int, ...]:
    if e.vc is None:
        raise ValueError(f"event e{e.i} ({e.kind}) has no vector clock")
    return e.vc


def relation(a: Event, b: Event) -> str:
    """``"before"`` (a → b), ``"after"`` (b → a), ``"concurrent"`` or ``"same"``, by vector clocks."""
    va, vb = _vc(a), _vc(b)
    if len(va) != len(vb):
        raise ValueError("vector clocks of different lengths")
    if a.i == b.i or va == vb:
        return "same"
    le = all(x <= y for x, y in zip(va, vb))
    ge = all(x >= y for x, y in zip(va, vb))
    if le:
        return "before"
    if ge:
        return "after"
    return "concurrent"


def clock_matrix(trace: Trace) -> tuple[np.ndarray, np.ndarray]:
    """``(V, has)``: V[k] is event k's vector clock (zeros if none), has[k] whether it has one."""
    n_nodes = len(trace.nodes)
    vcs = [e.vc if e.vc is not None else (0,) * n_nodes for e in trace.events]
    V = np.array(vcs, dtype=np.int64).reshape(len(trace.events), n_nodes)
    has = np.fromiter((e.vc is not None for e in trace.events), dtype=bool, count=len(trace.events))
    return V, has


def classify(trace: Trace, i: int) -> np.ndarray:
    """For every event: -1 causal past of event ``i``, 1 causal future, 0 concurrent, 2 event ``i``
    itself, 3 no clock (network events). Raises ``ValueError`` if event ``i`` has no clock."""
    v = np.array(_vc(trace.events[i]), dtype=np.int64)
    V, has = clock_matrix(trace)
    le = (V <= v).all(axis=1)
    ge = (V >= v).all(axis=1)
    out = np.zeros(len(trace.events), dtype=np.int8)
    out[le] = PAST
    out[ge] = FUTURE
    out[le & ge] = SELF  # equal vectors: only event i itself
    out[~has] = NO_CLOCK
    return out


def _fmt(v: tuple[int, ...]) -> str:
    return "[" + ",".join(str(x) for x in v) + "]"


def explain(a: Event, b: Event, t: Callable[..., str]) -> str:
    """One sentence, from the clocks, saying how ``a`` and ``b`` are related (``t`` translates)."""
    rel = relation(a, b)
    args = {"a": f"e{a.i}", "b": f"e{b.i}", "va": _fmt(a.vc), "vb": _fmt(b.vc)}
    return t(f"causality.{rel}", **args)


def lamport_total_order(trace: Trace) -> list[int]:
    """Indices of the events that have clocks, sorted by (Lamport clock, node lane)."""
    lane = {n: k for k, n in enumerate(trace.nodes)}
    clocked = [e for e in trace.events if e.lamport is not None]
    return [e.i for e in sorted(clocked, key=lambda e: (e.lamport, lane.get(e.node, len(lane)), e.i))]
