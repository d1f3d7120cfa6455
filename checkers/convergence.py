"""Convergence of a replicated run: the state-based half of eventual consistency.

Definition implemented
----------------------
Eventual consistency has two readings. On a finite *history* (``checkers.views.check_eventual``)
it says every read returns some written value and nothing is circular. On a *replicated run*
it says what Vogels ("Eventually consistent", CACM 52(1), 2009) and Terry et al. (Bayou,
SOSP 1995) mean by convergence: once updates stop and the system is quiescent, all replicas
hold the same value for every key. Strong eventual consistency (Shapiro et al., "Conflict-free
replicated data types", SSS 2011) asks the same of any two replicas that have delivered the
same updates; a quiescent run in which every update reached every replica is that case.

``check_convergence(replicas, quiescent)`` takes each replica's key→value map at the end of a
run. A run that did not reach quiescence (messages still in flight, timers still due) cannot
show a violation — the replicas may yet converge — so its verdict is ``unknown``. Otherwise
the verdict is ``ok`` with the common state as witness, or ``illegal`` naming every key on
which replicas differ and which replica holds which value.
"""

from __future__ import annotations

from typing import Any, Mapping

from checkers.history import show_value
from checkers.verdict import Message, Verdict

MODEL = "eventual"
MAX_KEYS_EXPLAINED = 8  # keys spelled out in the explanation; the witness has them all


def check_convergence(replicas: Mapping[str, Mapping[str, Any]], quiescent: bool) -> Verdict:
    """Do all replicas hold the same value for every key at the end of a quiescent run?"""
    names = sorted(replicas)
    if not quiescent:
        return Verdict(MODEL, "unknown", (Message("chk.conv.not_quiescent", {}),), {"replicas": names})
    keys = sorted({k for state in replicas.values() for k in state}, key=str)
    diverged: dict[str, dict[str, Any]] = {}
    for key in keys:
        values = {name: replicas[name].get(key) for name in names}
        if len(set(map(repr, values.values()))) > 1:
            diverged[str(key)] = values
    if not diverged:
        common = {str(k): replicas[names[0]].get(k) for k in keys} if names else {}
        return Verdict(MODEL, "ok", (Message("chk.conv.ok", {"n": len(names), "keys": len(keys)}),),
                       {"state": common, "replicas": names})
    lines = [Message("chk.conv.diverged", {"n": len(diverged)})]
    for key, values in list(diverged.items())[:MAX_KEYS_EXPLAINED]:
        held = ", ".join(f"{name}={show_value(v)}" for name, v in values.items())
        lines.append(Message("chk.conv.key", {"target": key, "values": held}))
    return Verdict(MODEL, "illegal", tuple(lines), {"diverged": diverged, "replicas": names})
