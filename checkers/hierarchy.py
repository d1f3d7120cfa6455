"""The consistency-model hierarchy: which model implies which, and what a set of verdicts means on it.

Theory of operation
-------------------
The graph is the Jepsen consistency map (https://jepsen.io/consistency, "adapted from Bailis,
Davidson, Fekete et al and Viotti & Vukolic"), exactly as recorded in
``../shared/reference/curriculum.md`` §1.1: 16 models and 17 *implies* edges, where ``x → y``
means every history that satisfies ``x`` also satisfies ``y``. Each node carries its family
(``transactional`` / ``single-object`` / ``session``), its availability on an asynchronous
network (``totally`` / ``sticky`` / ``unavailable``, per the map's availability rule) and a
citation; each edge carries its citation.

One node and one edge are ours, not Jepsen's: ``eventual`` with ``causal → eventual``.
Eventual consistency is not a node of the Jepsen map (curriculum §1.1 notes). Our checker reads
it, on a finite history, as "every read returns a written (or the initial) value and program
order ∪ reads-from is acyclic" (``checkers/__init__.py``). The edge is **derived [D]**: causal
memory (Ahamad et al. 1995) requires, for every process, a view that respects the causality
order (program order ∪ writes-into)+, and that order is acyclic with every read returning a
written value — so a causal history passes the eventual check. PRAM does **not** imply it: the
"thin-air" history ``P1: R(x)1 W(y)1`` / ``P2: R(y)1 W(x)1`` is PRAM (each process's view may
put the other's write first, since PRAM orders only each writer's own writes) but program order
∪ reads-from is the cycle R(x)1 → W(y)1 → R(y)1 → W(x)1 → R(x)1, so it is not eventual. Hence
no ``pram → eventual`` edge.

``node_status(verdicts)`` overlays checker verdicts on the graph. Precedence, per model:

1. its own definite verdict wins: ``ok`` → ``holds``, ``illegal`` → ``violated``;
1b. a model with no verdict of its own that implies a violated model is ``implied-violated``
   whatever its family — pure logic: strict serializability implies linearizability, so a
   non-linearizable history is not strictly serializable even before any transactional
   checker exists (the Jepsen map: strict serializability "unifies serializability and
   linearizability");
2. a verdict that is not ``applicable`` (the model is undefined for this datatype), or no
   verdict for a transactional model (no transactional checker yet) → ``not-applicable``;
3. otherwise (no verdict, or ``unknown`` within budget): ``implied-holds`` if some stronger
   model holds, ``implied-violated`` if some weaker model is violated, ``unknown`` if neither —
   or if both, which means the verdicts contradict each other; ``contradictions`` reports
   such pairs (a stronger model that holds while a weaker one is violated) so a test or the
   page can flag a checker bug instead of the map silently picking a side.

The graph is built once and frozen (``networkx.freeze``): callers share it and cannot mutate it.
"""

from __future__ import annotations

import functools
from typing import Mapping

import networkx as nx

from checkers.verdict import MODELS, Verdict

FAMILIES = ("transactional", "single-object", "session")
AVAILABILITIES = ("totally", "sticky", "unavailable")
STATUSES = ("holds", "violated", "unknown", "not-applicable", "implied-holds", "implied-violated")

_JEPSEN = "Jepsen consistency map, jepsen.io/consistency (after Bailis et al. 2014; Viotti & Vukolić 2016)"
_HAT = "Bailis et al., 'Highly Available Transactions: Virtues and Limitations', VLDB 2014"
_ADYA = "Adya, 'Weak Consistency', PhD thesis, MIT 1999"
_TERRY = "Terry et al., 'Session Guarantees for Weakly Consistent Replicated Data', PDIS 1994"

# id -> (family, availability, citation of the definition). Order: strongest first, the
# transactional branch, then the single-object and session models (the map's reading order).
_NODES: dict[str, tuple[str, str, str]] = {
    "strict-serializable": ("transactional", "unavailable",
                            "Papadimitriou 1979; Herlihy & Wing 1990 — " + _JEPSEN),
    "serializable": ("transactional", "unavailable",
                     "Papadimitriou, 'The Serializability of Concurrent Database Updates', JACM 1979"),
    "repeatable-read": ("transactional", "unavailable", _ADYA + " (PL-2.99)"),
    "snapshot-isolation": ("transactional", "unavailable",
                           "Berenson et al., 'A Critique of ANSI SQL Isolation Levels', SIGMOD 1995"),
    "cursor-stability": ("transactional", "unavailable", _ADYA + " (PL-CS)"),
    "monotonic-atomic-view": ("transactional", "totally", _HAT),
    "read-committed": ("transactional", "totally", _ADYA + " (PL-2)"),
    "read-uncommitted": ("transactional", "totally", _ADYA + " (PL-1)"),
    "linearizable": ("single-object", "unavailable",
                     "Herlihy & Wing, 'Linearizability', TOPLAS 12(3), 1990"),
    "sequential": ("single-object", "unavailable",
                   "Lamport, 'How to Make a Multiprocessor Computer…', IEEE TC 1979"),
    "causal": ("single-object", "sticky", "Ahamad et al., 'Causal Memory', Distributed Computing 1995"),
    "pram": ("single-object", "sticky", "Lipton & Sandberg, 'PRAM: A Scalable Shared Memory', 1988"),
    "writes-follow-reads": ("session", "totally", _TERRY),
    "monotonic-reads": ("session", "totally", _TERRY),
    "monotonic-writes": ("session", "totally", _TERRY),
    "read-your-writes": ("session", "sticky", _TERRY),
    "eventual": ("single-object", "totally",
                 "Terry et al. 1994 (Bayou); Vogels, 'Eventually Consistent', CACM 2009 — "
                 "finite-history reading of checkers/__init__.py"),
}
JEPSEN_MODELS: tuple[str, ...] = tuple(m for m in _NODES if m != "eventual")
MAP_MODELS: tuple[str, ...] = tuple(_NODES)

# The map prose, arrow for arrow (curriculum.md §1.1, [V]).
JEPSEN_EDGES: tuple[tuple[str, str], ...] = (
    ("strict-serializable", "serializable"),
    ("strict-serializable", "linearizable"),
    ("serializable", "repeatable-read"),
    ("serializable", "snapshot-isolation"),
    ("snapshot-isolation", "monotonic-atomic-view"),
    ("repeatable-read", "monotonic-atomic-view"),
    ("repeatable-read", "cursor-stability"),
    ("cursor-stability", "read-committed"),
    ("monotonic-atomic-view", "read-committed"),
    ("read-committed", "read-uncommitted"),
    ("linearizable", "sequential"),
    ("sequential", "causal"),
    ("causal", "writes-follow-reads"),
    ("causal", "pram"),
    ("pram", "monotonic-reads"),
    ("pram", "monotonic-writes"),
    ("pram", "read-your-writes"),
)
DERIVED_EDGES: tuple[tuple[str, str], ...] = (("causal", "eventual"),)
_EDGE_SOURCE = {
    ("serializable", "snapshot-isolation"): _JEPSEN + " — 'assuming a generalized definition' of SI",
}
_DERIVED_SOURCE = ("[D] derived: causal memory's acyclic (po ∪ writes-into)+ order (Ahamad et al. 1995) "
                   "implies 'reads return written values and po ∪ rf acyclic'; PRAM does not (thin-air cycle)")


@functools.cache
def hierarchy_graph() -> nx.DiGraph:
    """The frozen map: node attrs ``family, availability, source, checkable``; edge attr ``source``."""
    g = nx.DiGraph()
    for model, (family, availability, source) in _NODES.items():
        g.add_node(model, family=family, availability=availability, source=source,
                   checkable=model in MODELS)
    for a, b in JEPSEN_EDGES:
        g.add_edge(a, b, source=_EDGE_SOURCE.get((a, b), _JEPSEN), derived=False)
    for a, b in DERIVED_EDGES:
        g.add_edge(a, b, source=_DERIVED_SOURCE, derived=True)
    return nx.freeze(g)


@functools.cache
def _closure() -> dict[str, frozenset[str]]:
    """model -> every model it implies (itself excluded); the map is tiny, so compute it once."""
    g = hierarchy_graph()
    return {m: frozenset(nx.descendants(g, m)) for m in g}


def _known(model: str) -> str:
    if model not in _NODES:
        raise KeyError(f"unknown model {model!r}; known: {', '.join(MAP_MODELS)}")
    return model


def implies(a: str, b: str) -> bool:
    """Every history satisfying ``a`` satisfies ``b`` (reflexive and transitive along the map)."""
    return _known(a) == _known(b) or b in _closure()[a]


def stronger(model: str) -> tuple[str, ...]:
    """The models strictly stronger than ``model`` (those that imply it), in map order."""
    _known(model)
    return tuple(m for m in MAP_MODELS if m != model and model in _closure()[m])


def weaker(model: str) -> tuple[str, ...]:
    """The models strictly weaker than ``model`` (those it implies), in map order."""
    below = _closure()[_known(model)]
    return tuple(m for m in MAP_MODELS if m in below)


def family(model: str) -> str:
    return _NODES[_known(model)][0]


def availability(model: str) -> str:
    return _NODES[_known(model)][1]


def _own_status(model: str, verdict: Verdict | None) -> str | None:
    """Steps 1–2 of the precedence: a definite own verdict, or why the model does not apply."""
    if verdict is None:
        return "not-applicable" if family(model) == "transactional" else None
    if not verdict.applicable:
        return "not-applicable"
    return {"ok": "holds", "illegal": "violated"}.get(verdict.result)


def node_status(verdicts: Mapping[str, Verdict]) -> dict[str, str]:
    """Every map model's status given the verdicts we have (precedence in the module docstring)."""
    own = {m: _own_status(m, verdicts.get(m)) for m in MAP_MODELS}
    holding = [m for m, s in own.items() if s == "holds"]
    violated = [m for m, s in own.items() if s == "violated"]
    out: dict[str, str] = {}
    for m in MAP_MODELS:
        if own[m] == "not-applicable" and verdicts.get(m) is None and any(implies(m, v) for v in violated):
            out[m] = "implied-violated"
            continue
        if own[m] is not None:
            out[m] = own[m]
            continue
        up = any(implies(h, m) for h in holding)
        down = any(implies(m, v) for v in violated)
        # both at once only when the verdicts contradict each other: claim neither
        out[m] = "implied-holds" if up and not down else "implied-violated" if down and not up else "unknown"
    return out


def contradictions(verdicts: Mapping[str, Verdict]) -> list[tuple[str, str]]:
    """Pairs ``(stronger, weaker)`` where the stronger model holds but a model it implies is violated.

    Impossible for correct checkers; the list is empty then. Models outside the map are ignored.
    """
    own = {m: _own_status(m, verdicts.get(m)) for m in MAP_MODELS}
    return [(a, b) for a in MAP_MODELS if own[a] == "holds"
            for b in weaker(a) if own[b] == "violated"]
