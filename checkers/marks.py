"""Witness marks: what of a verdict's witness to draw on a history, as plain data.

Theory of operation
-------------------
Checking, explaining and drawing are three separate steps (Porcupine's split, ARCHITECTURE.md
§4). This module is the pure step between the second and the third: ``marks(history, verdict)``
turns the witness vocabulary of ``checkers/__init__.py`` into a flat list of ``Mark`` records
that any view can draw — the history timeline (``viz/history_timeline.py``) directly, the
message-sequence diagram by mapping op ids to its invoke/return events.

=========  ================  ==============================================================
kind       from witness      meaning
=========  ================  ==============================================================
point      ``points``        one per op, in linearization order; ``time`` = the point,
                             ``label`` = its 1-based position
order      ``order``         one per op when there are no points (e.g. sequential order,
                             which need not respect real time); ``label`` = position
culprit    ``culprit``       the op that could not be placed next; ``label`` = ``op.label()``
core       ``core``          one mark holding every op of the minimal illegal subset
cycle      ``cycle``         one mark, op ids in cycle order
edge       ``edges``         one per ``[a, b, kind]``; ``edge_kind`` is ``rt``/``po``/``rf``;
                             with ``illegal`` the relation that cannot be ordered, with ``ok``
                             the reads-from that justifies it (causal, eventual)
=========  ================  ==============================================================

Labels are language-neutral (positions and textbook op labels); views translate everything
else. ``views``, ``longest`` and ``process`` are not marked: they are lists the explanation
text already names. An op id the history does not contain is a caller bug (the verdict is
not about this history) and raises ``ValueError`` rather than drawing the wrong ops.

``linearization_points(history, order)`` places a point in every op's interval ``[call, ret]``
(``[call, ∞)`` for ``info`` ops), non-decreasing along a given linearization order. Let
``M_i = max(call_j, j ≤ i)`` (the latest call so far) and ``k_i`` the number of ops since ``M``
last grew; ``U_i = min(ret_j, j ≥ i)`` (the earliest return still to come). Then::

    p_i = min(M_i + k_i·ε, U_i),   ε = 1 / (n + 1)

which is the rule ``p_i = max(call_i, p_{i-1} + ε)`` capped so that no later op is pushed past
its return. Why it works (times are integers): the order respects real time iff
``M_i ≤ ret_i`` for every ``i``, hence ``M_i ≤ U_i``; ``M_i + k_i·ε`` strictly increases
and stays below ``M_i + 1``, and ``U_i`` never decreases, so their minimum is non-decreasing,
``≥ call_i`` and ``≤ ret_i``. Two consecutive points coincide only when some op ``m`` at or
before them was called at the very tick ``u`` at which some op at or after them returned — then
no strictly increasing choice exists at all (closed intervals, Herlihy & Wing 1990 §2), so the
points are strictly increasing whenever any strictly increasing choice is possible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from checkers.history import History, Op
from checkers.verdict import Verdict

MARK_KINDS = ("point", "culprit", "core", "cycle", "edge", "order")
EDGE_KINDS = ("rt", "po", "rf")


@dataclass(frozen=True, slots=True, kw_only=True)
class Mark:
    kind: str
    op_ids: tuple[int, ...]
    label: str = ""
    time: float | None = None
    edge_kind: str | None = None


def marks(history: History, verdict: Verdict | None) -> list[Mark]:
    """The drawable parts of ``verdict``'s witness on ``history`` (``[]`` for unknown / no verdict)."""
    if verdict is None or verdict.result == "unknown":
        return []
    ops = {o.id: o for o in history.ops}
    w = verdict.witness
    main = _ok_marks(ops, w) if verdict.result == "ok" else _illegal_marks(ops, w)
    # edges come with either result: the relation that is cyclic, or the reads-from that justifies an ok
    return main + _edge_marks(ops, w)


def _op(ops: Mapping[int, Op], op_id: Any) -> Op:
    try:
        return ops[int(op_id)]
    except (KeyError, TypeError, ValueError):
        raise ValueError(f"witness names op {op_id!r}, which is not in this history") from None


def _ok_marks(ops: Mapping[int, Op], w: Mapping[str, Any]) -> list[Mark]:
    points = {int(k): float(v) for k, v in (w.get("points") or {}).items()}  # JSON keys are strings
    if points:
        # ties between equal points (see the module doc) follow the witness order
        position = {int(i): n for n, i in enumerate(w.get("order") or ())}
        order = sorted(points, key=lambda i: (points[i], position.get(i, len(position)), i))
        return [Mark(kind="point", op_ids=(_op(ops, i).id,), label=str(n), time=points[i])
                for n, i in enumerate(order, 1)]
    return [Mark(kind="order", op_ids=(_op(ops, i).id,), label=str(n))
            for n, i in enumerate(w.get("order") or (), 1)]


def _illegal_marks(ops: Mapping[int, Op], w: Mapping[str, Any]) -> list[Mark]:
    out: list[Mark] = []
    if w.get("culprit") is not None:
        o = _op(ops, w["culprit"])
        out.append(Mark(kind="culprit", op_ids=(o.id,), label=o.label()))
    for kind, sep in (("core", ", "), ("cycle", " → ")):
        if w.get(kind):
            group = [_op(ops, i) for i in w[kind]]
            out.append(Mark(kind=kind, op_ids=tuple(o.id for o in group), label=sep.join(o.label() for o in group)))
    return out


def _edge_marks(ops: Mapping[int, Op], w: Mapping[str, Any]) -> list[Mark]:
    out: list[Mark] = []
    for a, b, kind in w.get("edges") or ():
        if kind not in EDGE_KINDS:
            raise ValueError(f"edge kind {kind!r} is not one of {EDGE_KINDS}")
        oa, ob = _op(ops, a), _op(ops, b)
        out.append(Mark(kind="edge", op_ids=(oa.id, ob.id), label=f"{oa.label()} → {ob.label()}", edge_kind=kind))
    return out


def linearization_points(history: History, order: Sequence[int] | Iterable[int]) -> dict[int, float]:
    """A point in each op's interval, non-decreasing along ``order`` (construction in the module doc).

    Raises ``ValueError`` if the history has no real time, an id is unknown, repeated or a
    ``fail`` op, or the order puts an op after one that was called only after it returned.
    """
    if not history.timed:
        raise ValueError("an untimed history has no real time to place points in")
    ops = {o.id: o for o in history.ops}
    seq = [_op(ops, i) for i in order]
    if len({o.id for o in seq}) != len(seq):
        raise ValueError("an op appears twice in the order")
    if any(o.status == "fail" for o in seq):
        raise ValueError("a fail op had no effect and has no linearization point")
    ideal = _rising_calls(seq)
    caps = _earliest_returns_ahead(seq)
    return {o.id: min(p, cap) for o, p, cap in zip(seq, ideal, caps)}


def _rising_calls(seq: list[Op]) -> list[float]:
    """``M_i + k_i·ε``; checks real time on the way (``M_i ≤ ret_i``)."""
    eps = 1.0 / (len(seq) + 1)
    out: list[float] = []
    latest, k = float("-inf"), 0
    for o in seq:
        if o.call > latest:
            latest, k = float(o.call), 0
        else:
            k += 1
        if o.ret is not None and o.ret < latest:
            raise ValueError(f"op {o.id} returned before an op ordered ahead of it was called "
                             f"(the order does not respect real time)")
        out.append(latest + k * eps)
    return out


def _earliest_returns_ahead(seq: list[Op]) -> list[float]:
    """``U_i``: the earliest return among this op and every op after it (∞ for info ops)."""
    out: list[float] = []
    cap = float("inf")
    for o in reversed(seq):
        if o.ret is not None:
            cap = min(cap, float(o.ret))
        out.append(cap)
    return out[::-1]
