"""Consistency models: histories, one bounded checker per model, the model hierarchy and
explanations of each verdict. Pure Python, no Streamlit, no clock (ARCHITECTURE.md §2).

Theory of operation
-------------------
``check(history, model, budget) -> Verdict`` dispatches to one function per model:

=====================  ==========================  ============================================
model                  module                      definition implemented (see the module)
=====================  ==========================  ============================================
linearizable           ``checkers.linearizable``   Herlihy & Wing 1990; WGL search (Wing & Gong
                                                   1993, Lowe 2017) with P-compositionality
sequential             ``checkers.views``          Lamport 1979: one legal total order
                                                   respecting every program order
causal                 ``checkers.views``          Ahamad et al. 1995 causal memory: per-process
                                                   views respecting (program order ∪ writes-into)+
pram                   ``checkers.views``          Lipton & Sandberg 1988: per-process views
                                                   respecting every program order
read-your-writes,      ``checkers.views``          Terry et al. 1994 session guarantees, each as
monotonic-reads,                                   per-process views with only its own ordering
monotonic-writes,                                  constraint (the reading is stated per checker)
writes-follow-reads
eventual               ``checkers.views``          finite-history reading: every read returns a
                                                   written or initial value and program order ∪
                                                   reads-from is acyclic
(eventual, replicated  ``checkers.convergence``    replicas agree on every key once the run is
runs)                                              quiescent (Vogels 2009; Shapiro et al. 2011)
=====================  ==========================  ============================================

Witness vocabulary (all op references are ``Op.id`` of the checked history):

* ``order``   — list of op ids: the linearization / the sequential order (``ok``);
* ``points``  — {op id: time}: linearization points inside each op's interval (``ok``);
* ``views``   — {process: [op ids]}: each process's view (per-process models, ``ok``);
* ``core``    — op ids of a minimal subset that already cannot be ordered (``illegal``);
* ``culprit`` — the op that could not be placed next (``illegal``);
* ``longest`` — the longest partial order found before getting stuck (``illegal``);
* ``cycle``   — op ids forming a cycle in the relation that must be acyclic (``illegal``);
* ``edges``   — [[a, b, kind]] relation edges worth drawing, kind ``rt`` (real time),
  ``po`` (program order), ``rf`` (reads-from / writes-into);
* ``process`` — the process whose view cannot be built (per-process models, ``illegal``).
"""

from __future__ import annotations

import importlib
from typing import Callable

from checkers.history import History
from checkers.verdict import MODELS, Budget, Verdict

# model name -> "module:function"; modules are imported on first use.
_CHECKERS = {
    "linearizable": "checkers.linearizable:check_linearizable",
    "sequential": "checkers.views:check_sequential",
    "causal": "checkers.views:check_causal",
    "pram": "checkers.views:check_pram",
    "read-your-writes": "checkers.views:check_read_your_writes",
    "monotonic-reads": "checkers.views:check_monotonic_reads",
    "monotonic-writes": "checkers.views:check_monotonic_writes",
    "writes-follow-reads": "checkers.views:check_writes_follow_reads",
    "eventual": "checkers.views:check_eventual",
}
assert tuple(_CHECKERS) == MODELS


def checker(model: str) -> Callable[[History, Budget], Verdict]:
    module, func = _CHECKERS[model].split(":")
    return getattr(importlib.import_module(module), func)


def check(history: History, model: str, budget: Budget | None = None) -> Verdict:
    """The verdict of one model on ``history`` (``unknown`` if ``budget`` runs out)."""
    if model not in _CHECKERS:
        raise KeyError(f"unknown model {model!r}; known: {', '.join(MODELS)}")
    return checker(model)(history, budget if budget is not None else Budget())


def check_all(history: History, budget_factory: Callable[[], Budget] = Budget,
              models: tuple[str, ...] = MODELS) -> dict[str, Verdict]:
    """Every model's verdict, each with a fresh budget from ``budget_factory``."""
    return {m: check(history, m, budget_factory()) for m in models}
