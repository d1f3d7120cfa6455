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

from typing import Callable, Sequence

import numpy as np

from sim.trace import Event, Trace

PAST, CONCURRENT, FUTURE, SELF, NO_CLOCK = -1, 0, 1, 2, 3


def _vc(e: Event) -> tuple[int, ...]:
    if e.vc is None:
        raise ValueError(f"event e{e.i} ({e.kind}) has no vector clock")
    return e.vc


def vc_relation(va: Sequence[int], vb: Sequence[int]) -> str:
    """``"before"`` (va < vb), ``"after"``, ``"concurrent"`` (incomparable) or ``"same"`` (equal vectors).

    The one vector-clock comparison of the app: ``relation`` below (the simulator's clocks) and
    ``viz.clock_events`` (the processes' own clocks) both use it."""
    if tuple(va) == tuple(vb):
        return "same"
    if all(x <= y for x, y in zip(va, vb)):
        return "before"
    if all(x >= y for x, y in zip(va, vb)):
        return "after"
    return "concurrent"


def cones(V: np.ndarray, v: np.ndarray) -> np.ndarray:
    """For every row of ``V`` (one vector clock per event): PAST if it is ≤ ``v`` in every entry,
    FUTURE if ≥, SELF if equal, CONCURRENT otherwise (int8)."""
    le = (V <= v).all(axis=1)
    ge = (V >= v).all(axis=1)
    out = np.full(len(V), CONCURRENT, dtype=np.int8)
    out[le] = PAST
    out[ge] = FUTURE
    out[le & ge] = SELF
    return out


def relation(a: Event, b: Event) -> str:
    """``"before"`` (a → b), ``"after"`` (b → a), ``"concurrent"`` or ``"same"``, by vector clocks."""
    va, vb = _vc(a), _vc(b)
    if len(va) != len(vb):
        raise ValueError("vector clocks of different lengths")
    return "same" if a.i == b.i else vc_relation(va, vb)


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
    out = cones(V, v)  # equal vectors: only event i itself (every event ticks its node's entry)
    out[~has] = NO_CLOCK
    return out


def fmt_vc(v: Sequence[int]) -> str:
    """``[1,0,2]``: how every view writes a vector clock."""
    return "[" + ",".join(str(int(x)) for x in v) + "]"


def explain(a: Event, b: Event, t: Callable[..., str]) -> str:
    """One sentence, from the clocks, saying how ``a`` and ``b`` are related (``t`` translates)."""
    rel = relation(a, b)
    args = {"a": f"e{a.i}", "b": f"e{b.i}", "va": fmt_vc(a.vc), "vb": fmt_vc(b.vc)}
    return t(f"causality.{rel}", **args)


def lamport_total_order(trace: Trace) -> list[int]:
    """Indices of the events that have clocks, sorted by (Lamport clock, node lane)."""
    lane = {n: k for k, n in enumerate(trace.nodes)}
    clocked = [e for e in trace.events if e.lamport is not None]
    return [e.i for e in sorted(clocked, key=lambda e: (e.lamport, lane.get(e.node, len(lane)), e.i))]
