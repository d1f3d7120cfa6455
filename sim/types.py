"""Inputs a node receives, effects it returns, and the base class of every sans-I/O node.

Theory of operation
-------------------
A node is a state machine with one door in: ``step(inp, now) -> list[Effect]``. It never
touches the network, a clock or a global RNG; the simulator (``sim.engine``) feeds it
inputs (``Start``, ``Deliver``, ``Timer``, ``ClientRequest``, ``Restart``) and carries out
the effects it returns (``Send``, ``SetTimer``, ``CancelTimer``, ``Reply``, ``Note``).

State is plain data held in attributes. A node class names which attributes are
*durable* (written through to stable storage at the end of every step, so they survive a
crash) and which are *volatile* (lost on a crash and re-initialised by ``__init__``).
``snapshot()`` returns both as JSON-compatible values for the trace and the state table.

Inputs and effects are immutable named tuples (built with keywords); messages are frozen,
slotted, keyword-only dataclasses defined by each protocol; the trace records a message
as ``{"type": ClassName, **fields}``.
"""

from __future__ import annotations

import dataclasses
import random
from types import MappingProxyType
from typing import Any, ClassVar, Mapping, NamedTuple


def _typed_eq(self, other):  # a Send never equals a Deliver that happens to hold equal fields
    return type(self) is type(other) and tuple.__eq__(self, other)


def _typed_ne(self, other):
    return not _typed_eq(self, other)


def _typed_hash(self):
    return hash((type(self).__name__, tuple(self)))


def _record(cls):
    """Inputs and effects are immutable named tuples with type-aware equality.

    They are created several times per simulated step, and a frozen dataclass costs about
    four times as much to build as a tuple (measured: 1.3 µs vs 0.3 µs), which showed up
    as the largest single cost in ``bench/sim_throughput.py``. Construct them with keywords.
    """
    cls.__eq__, cls.__ne__, cls.__hash__ = _typed_eq, _typed_ne, _typed_hash
    return cls


# ----------------------------------------------------------------------------- inputs
@_record
class Start(NamedTuple):
    """The node boots for the first time (step 0 of every run)."""


@_record
class Restart(NamedTuple):
    """The node comes back after a crash: durable fields restored, volatile ones fresh."""


@_record
class Deliver(NamedTuple):
    src: str
    msg: Any
    msg_id: str = ""


@_record
class Timer(NamedTuple):
    name: str


@_record
class ClientRequest(NamedTuple):
    client: str
    op: Mapping[str, Any]


Input = Start | Restart | Deliver | Timer | ClientRequest


# ---------------------------------------------------------------------------- effects
@_record
class Send(NamedTuple):
    dst: str
    msg: Any


@_record
class SetTimer(NamedTuple):
    """Arm (or re-arm: an armed timer of the same name is replaced) a timer."""

    name: str
    after: int


@_record
class CancelTimer(NamedTuple):
    name: str


@_record
class Reply(NamedTuple):
    client: str
    result: Mapping[str, Any]


@_record
class Note(NamedTuple):
    """A human-readable remark for the event log; ``key`` is a translation key, ``args`` its values."""

    key: str
    args: Mapping[str, Any] = MappingProxyType({})


Effect = Send | SetTimer | CancelTimer | Reply | Note


_SCALARS = frozenset({type(None), bool, int, float, str})
_FIELD_NAMES: dict[type, tuple[str, ...]] = {}  # per message class; a pure cache of class metadata


def message_to_json(msg: Any) -> dict[str, Any]:
    """A protocol message as ``{"type": ClassName, **fields}`` (JSON-compatible)."""
    cls = type(msg)
    names = _FIELD_NAMES.get(cls)
    if names is None and dataclasses.is_dataclass(msg):
        names = _FIELD_NAMES[cls] = tuple(f.name for f in dataclasses.fields(msg))
    if names is not None:
        out = {"type": cls.__name__}
        for name in names:
            v = getattr(msg, name)
            out[name] = v if type(v) in _SCALARS else to_json_value(v)
        return out
    if isinstance(msg, Mapping):
        return {str(k): to_json_value(v) for k, v in msg.items()}
    return {"type": str(msg)}


def to_json_value(value: Any) -> Any:
    """Copy ``value`` into fresh JSON-compatible data (tuples and sets become lists)."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    # exact types first: node state is mostly plain dicts and lists, and an isinstance check
    # against the ``Mapping`` ABC costs ~10x a type lookup on this hot path (every step)
    if kind is dict:
        return {k if type(k) is str else str(k): v if type(v) in _SCALARS else to_json_value(v)
                for k, v in value.items()}
    if kind is list or kind is tuple:
        return [v if type(v) in _SCALARS else to_json_value(v) for v in value]
    if isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Mapping):
        return {str(k): to_json_value(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset)):
        return sorted((to_json_value(v) for v in value), key=repr)
    if isinstance(value, (list, tuple)):
        return [to_json_value(v) for v in value]
    if dataclasses.is_dataclass(value):
        return message_to_json(value)
    raise TypeError(f"not JSON-compatible state: {type(value).__name__}")


# ------------------------------------------------------------------------------- node
class Node:
    """Base class of every sans-I/O node.

    Subclasses set ``DURABLE`` and ``VOLATILE`` (attribute names, in display order),
    initialise them in ``__init__`` and implement ``step``. ``rng`` is a per-node
    ``random.Random`` owned and seeded by the simulator; ``params`` are the protocol
    parameters (already validated), ``bug`` the active bug-variant id or ``None``.
    """

    DURABLE: ClassVar[tuple[str, ...]] = ()
    VOLATILE: ClassVar[tuple[str, ...]] = ()
    ROLE: ClassVar[str] = "node"
    # Fields holding a growing log (Raft's ``log``, history variables). Contract: the list only
    # changes by appending at its end or by rebinding the field to a new list (truncating
    # = rebinding), and an item is never mutated once in it. The simulator then records only
    # the appended tail (a splice) instead of copying the whole log every step, which keeps
    # long runs linear; tests check the contract with ``Simulation(verify_logs=True)``.
    LOGS: ClassVar[tuple[str, ...]] = ()
    # Fields updated copy-on-write: a change rebinds the field to a new object, and an object is
    # never mutated after the end of the step that bound it. The simulator then skips the JSON
    # copy of a field still bound to the object it recorded last (a big dict touched by one
    # step in ten costs nothing the other nine); checked like LOGS, by ``verify_logs``.
    COPY_ON_WRITE: ClassVar[tuple[str, ...]] = ()

    def __init__(self, node_id: str, peers: tuple[str, ...], params: Mapping[str, Any],
                 bug: str | None, rng: random.Random) -> None:
        self.node_id = node_id
        self.peers = peers
        self.params = params
        self.bug = bug
        self.rng = rng

    def durable_fields(self) -> tuple[str, ...]:
        """The fields that survive a crash. A bug variant may leave one out on purpose."""
        return self.DURABLE

    def step(self, inp: Input, now: int) -> list[Effect]:  # pragma: no cover - abstract
        raise NotImplementedError

    def snapshot(self) -> dict[str, Any]:
        """All state fields as fresh JSON-compatible values, in declared order."""
        out = {}
        for name in self.DURABLE + self.VOLATILE:
            v = getattr(self, name)
            out[name] = v if type(v) in _SCALARS else to_json_value(v)
        return out

    def restore_durable(self, saved: Mapping[str, Any]) -> None:
        for name, value in saved.items():
            setattr(self, name, _from_json_like(getattr(self, name), value))


def _from_json_like(template: Any, value: Any) -> Any:
    """Restore a saved JSON value with the container type the fresh node used."""
    if isinstance(template, tuple) and isinstance(value, list):
        return tuple(value)
    if isinstance(template, (set, frozenset)) and isinstance(value, list):
        return type(template)(value)
    if isinstance(template, dict) and isinstance(value, dict):
        return dict(value)
    if isinstance(template, list) and isinstance(value, list):
        return list(value)
    return value
