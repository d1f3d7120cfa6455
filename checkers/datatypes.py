"""Sequential specifications: what each datatype's operations do to its state.

Theory of operation
-------------------
Linearizability and sequential consistency are defined relative to a *sequential
specification* of the object (Herlihy & Wing 1990 §2: "the set of legal sequential
histories"). A ``Datatype`` gives it as a pure step function::

    step(state, op) -> new state, or ILLEGAL

For an ``ok`` op the step uses the observed ``output`` (a read is legal iff it returned the
state). For an ``info`` op the output is unknown, so the step uses only the input and returns
ILLEGAL when the input cannot apply — for an indeterminate op "not applied" is then the
only reading, which a search expresses by never linearizing it (README of
``../shared/histories``: "the step is applied if it is legal for the input, and otherwise it
is a no-op").

``keyed`` datatypes are P-compositional (Herlihy & Wing's locality theorem): a history is
linearizable iff each per-key sub-history is, so checkers split them by key. ``rw`` says how
an op reads or writes *memory* for the models defined on read/write memory only (causal
memory, PRAM, the session guarantees): ``"r"``, ``"w"`` or ``None`` (the op is neither, and
those models do not apply to the history).

The datatypes of ``../shared/histories/README.md`` keep their names and exact rules there
(``etcd-register``, ``kv-string``, ``knossos-cas-register``, ``knossos-multi-register``,
``knossos-mutex``); ours (``register``, ``cas-register``, ``kv``, ``multi-register``,
``mutex``) take initial values from the history.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from checkers.history import History, Op

ILLEGAL = object()  # a step that the sequential specification does not allow


def _register_step(state: Any, op: Op, *, nil_read_ok: bool = False) -> Any:
    f = op.f
    if f in ("read", "get"):
        if op.status != "ok":
            return state
        if op.output == state or (nil_read_ok and op.output is None):
            return state
        return ILLEGAL
    if f in ("write", "put"):
        return op.input
    if f == "cas":
        expected, new = op.input
        if op.status != "ok":
            return new if state == expected else ILLEGAL
        if op.output is False:
            return state if state != expected else ILLEGAL
        return new if state == expected else ILLEGAL
    return ILLEGAL


def _knossos_register_step(state: Any, op: Op) -> Any:
    """Knossos's cas-register: as ``_register_step``, but a nil read is always legal.

    Written out rather than delegating: it is the hot path of 122 Knossos histories."""
    f = op.f
    if f == "read":
        if op.status != "ok" or op.output is None or op.output == state:
            return state
        return ILLEGAL
    if f == "write":
        return op.input
    return _register_step(state, op)


def _kv_step(state: Any, op: Op) -> Any:
    if op.f == "append":
        return (state or "") + op.input
    return _register_step(state, op)


def _txn_step(state: Any, op: Op) -> Any:
    """Knossos multi-register: apply the micro-ops in order; a nil read is always legal."""
    micro = op.output if op.status == "ok" and op.output is not None else op.input
    current = dict(state)
    for f, k, v in micro:
        if f == "read":
            if v is not None and current.get(k) != v:
                return ILLEGAL
        elif f == "write":
            current[k] = v
        else:
            return ILLEGAL
    return tuple(sorted(current.items()))


def _mutex_step(state: Any, op: Op) -> Any:
    if op.f == "acquire":
        return True if state is False else ILLEGAL
    if op.f == "release":
        return False if state is True else ILLEGAL
    return ILLEGAL


def _rw_register(op: Op) -> str | None:
    return {"read": "r", "get": "r", "write": "w", "put": "w"}.get(op.f)


def _rw_none(op: Op) -> str | None:
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Datatype:
    name: str
    ops: frozenset[str]
    keyed: bool
    default_initial: Any
    step: Callable[[Any, Op], Any]
    rw: Callable[[Op], str | None]
    source: str
    uses_history_initial: bool = True

    def initial_state(self, history: History, key: str | None) -> Any:
        if self.name == "knossos-multi-register" or self.name == "multi-register":
            start = dict(self.default_initial)
            if self.uses_history_initial:
                start.update({k: v for k, v in history.initial.items() if k is not None})
            return tuple(sorted(start.items()))
        if self.uses_history_initial and key in history.initial:
            return history.initial[key]
        return self.default_initial


_REG_OPS = frozenset({"read", "write"})
_CAS_OPS = frozenset({"read", "write", "cas"})
_KV_OPS = frozenset({"get", "put", "append", "read", "write"})

DATATYPES: Mapping[str, Datatype] = {d.name: d for d in (
    Datatype(name="register", ops=_REG_OPS, keyed=True, default_initial=None, step=_register_step,
             rw=_rw_register, source="read/write register (Lamport 1986, 'On interprocess communication')"),
    Datatype(name="cas-register", ops=_CAS_OPS, keyed=True, default_initial=None, step=_register_step,
             rw=_rw_register, source="compare-and-set register (Herlihy 1991)"),
    Datatype(name="kv", ops=_KV_OPS, keyed=True, default_initial="", step=_kv_step, rw=_rw_register,
             source="key-value map get/put/append (Porcupine's kv model)"),
    Datatype(name="multi-register", ops=frozenset({"txn"}), keyed=False, default_initial={"x": 0, "y": 0},
             step=_txn_step, rw=_rw_none, source="multi-register transactions (Knossos)"),
    Datatype(name="mutex", ops=frozenset({"acquire", "release"}), keyed=False, default_initial=False,
             step=_mutex_step, rw=_rw_none, source="mutual-exclusion lock (Knossos)"),
    Datatype(name="etcd-register", ops=_CAS_OPS, keyed=False, default_initial=None, step=_register_step,
             rw=_rw_register, source="../shared/histories README: etcd-register", uses_history_initial=False),
    Datatype(name="kv-string", ops=_KV_OPS, keyed=True, default_initial="", step=_kv_step, rw=_rw_register,
             source="../shared/histories README: kv-string", uses_history_initial=False),
    Datatype(name="knossos-cas-register", ops=_CAS_OPS, keyed=False, default_initial=0,
             step=_knossos_register_step, rw=_rw_register,
             source="../shared/histories README: knossos-cas-register", uses_history_initial=False),
    Datatype(name="knossos-multi-register", ops=frozenset({"txn"}), keyed=False,
             default_initial={"x": 0, "y": 0}, step=_txn_step, rw=_rw_none,
             source="../shared/histories README: knossos-multi-register", uses_history_initial=False),
    Datatype(name="knossos-mutex", ops=frozenset({"acquire", "release"}), keyed=False, default_initial=False,
             step=_mutex_step, rw=_rw_none, source="../shared/histories README: knossos-mutex",
             uses_history_initial=False),
)}


def datatype_of(history: History) -> Datatype:
    return DATATYPES[history.datatype]


def is_read_write_memory(history: History) -> bool:
    """True when every op is a plain read or write (the memory models' domain)."""
    dt = datatype_of(history)
    return all(dt.rw(o) is not None and o.f != "append" for o in history.ops)


def partitions(history: History) -> dict[str | None, list[Op]]:
    """The per-key sub-histories (one for unkeyed datatypes), ``fail`` ops dropped."""
    dt = datatype_of(history)
    out: dict[str | None, list[Op]] = {}
    for o in history.ops:
        if o.status == "fail":
            continue
        out.setdefault(o.key if dt.keyed else None, []).append(o)
    return out
