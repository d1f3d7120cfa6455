"""A history: the client operations of one run, as a checker reads them.

Theory of operation
-------------------
An ``Op`` is one invocation paired with its completion (Herlihy & Wing 1990 §2 call these
a matching invocation/response pair): which process issued it, the operation name ``f``
(``read``/``write``/``cas``/``get``/``put``/``append``/``txn``/``acquire``/``release``),
the key (``None`` for single-object datatypes), its input and output, and its status with
the semantics of ``../shared/histories/README.md``:

* ``ok``   — took effect exactly once at some instant in ``[call, ret]``; ``output`` counts;
* ``fail`` — definitely had no effect; every checker drops it (Knossos ``without-failures``);
* ``info`` — indeterminate: took effect once at some instant after ``call``, or never;
  ``ret`` and ``output`` are ``None``.

``call``/``ret`` are integer positions on one clock; ``A`` *happens before* ``B`` in real
time iff ``A.ret < B.call``. A history whose ops carry no times (the textbook format
without ``call``/``return``) has ``timed == False``: only the models that ignore real time
(sequential and weaker) apply to it.

Values are kept hashable (JSON lists become tuples) so checkers can memoise states. A
``History`` also names its ``datatype`` (a key of ``checkers.datatypes.DATATYPES``) and the
initial value of every key it states (``initial``; keys not listed start at the datatype's
own initial value).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Mapping

STATUSES = ("ok", "fail", "info")
# Hard bounds for anything a user hands us (files, the table editor, the notation box).
MAX_OPS = 50_000
MAX_BYTES = 16 * 1024 * 1024
MAX_PROCESSES = 10_000  # Jepsen retires a process after each indeterminate op, so long runs have many


def freeze(value: Any) -> Any:
    """A JSON value made hashable: lists become tuples, dicts sorted tuples of pairs."""
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), freeze(v)) for k, v in value.items()))
    return value


def thaw(value: Any) -> Any:
    """The inverse of ``freeze`` for lists (tuples become JSON lists)."""
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Op:
    id: int
    process: str
    f: str
    key: str | None = None
    input: Any = None
    output: Any = None
    call: int | None = None
    ret: int | None = None
    status: str = "ok"

    @property
    def pending(self) -> bool:
        return self.status == "info"

    def label(self) -> str:
        """Textbook notation: ``W(x)1``, ``R(x)2``, ``CAS(x)1→2``; ``W 1`` for a single object."""
        key = "" if self.key is None else self.key
        where = f"({key})" if key else " "
        if self.f in ("write", "put"):
            return f"W{where}{show_value(self.input)}"
        if self.f in ("read", "get"):
            value = "?" if self.status != "ok" else show_value(self.output)
            return f"R{where}{value}"
        if self.f == "append":
            return f"A{where}{show_value(self.input)}"
        if self.f == "cas" and isinstance(self.input, tuple) and len(self.input) == 2:
            tail = "" if self.status != "ok" or self.output is None else (" ✓" if self.output else " ✗")
            return f"CAS{where}{show_value(self.input[0])}→{show_value(self.input[1])}{tail}"
        if self.f == "txn":
            micro = self.output if self.status == "ok" and self.output is not None else self.input
            parts = []
            for m in micro or ():
                if isinstance(m, tuple) and len(m) == 3:
                    parts.append(("R" if m[0] == "read" else "W") + f"({m[1]}){show_value(m[2])}")
            return "T[" + " ".join(parts) + "]"
        return self.f


def show_value(value: Any) -> str:
    """A value as the textbook prints it (⊥ for the absent value)."""
    if value is None:
        return "⊥"
    if isinstance(value, str):
        return value if value and " " not in value and len(value) <= 12 else repr(value)
    return str(value)


@dataclass(frozen=True, slots=True)
class History:
    ops: tuple[Op, ...]
    datatype: str = "register"
    initial: Mapping[str | None, Any] = field(default_factory=dict)
    timed: bool = True

    # ---- views -------------------------------------------------------------------------
    def completed(self) -> tuple[Op, ...]:
        """The ops that matter to a checker: ``fail`` dropped (it had no effect)."""
        return tuple(o for o in self.ops if o.status != "fail")

    def processes(self) -> list[str]:
        """Process names in order of first appearance."""
        seen: dict[str, None] = {}
        for o in self.ops:
            seen.setdefault(o.process, None)
        return list(seen)

    def by_process(self) -> dict[str, list[Op]]:
        """Each process's ops in program order (by call time, then file order)."""
        out: dict[str, list[Op]] = {p: [] for p in self.processes()}
        for o in self.ops:
            out[o.process].append(o)
        return out

    def keys(self) -> list[str | None]:
        seen: dict[str | None, None] = {}
        for o in self.ops:
            seen.setdefault(o.key, None)
        return list(seen)

    def op(self, op_id: int) -> Op:
        return self._index()[op_id]

    def _index(self) -> dict[int, Op]:
        return {o.id: o for o in self.ops}

    def with_op(self, new: Op) -> "History":
        """The same history with the op of id ``new.id`` replaced (the explorer's edit)."""
        return replace(self, ops=tuple(new if o.id == new.id else o for o in self.ops))

    def restricted(self, ids: Iterable[int]) -> "History":
        keep = set(ids)
        return replace(self, ops=tuple(o for o in self.ops if o.id in keep))


class HistoryError(ValueError):
    """A history that cannot be read: ``where`` (line/field) plus a translation key and args.

    ``english`` is the message for logs and the CLI; the UI translates ``key`` with ``args``.
    """

    def __init__(self, key: str, english: str, /, *, where: str = "", **args: Any):
        self.key = key
        self.args_ = dict(args, where=where)
        self.where = where
        self.english = f"{where}: {english}" if where else english
        super().__init__(self.english)


def check_well_formed(history: History) -> History:
    """Bounds and sanity every source of histories goes through; raises ``HistoryError``."""
    if len(history.ops) > MAX_OPS:
        raise HistoryError("err.history.too_many_ops", f"more than {MAX_OPS} operations",
                           limit=MAX_OPS)
    if len(history.processes()) > MAX_PROCESSES:
        raise HistoryError("err.history.too_many_processes", f"more than {MAX_PROCESSES} processes",
                           limit=MAX_PROCESSES)
    ids = set()
    for o in history.ops:
        where = f"op {o.id}"
        if o.id in ids:
            raise HistoryError("err.history.duplicate_id", "duplicate operation id", where=where)
        ids.add(o.id)
        if o.status not in STATUSES:
            raise HistoryError("err.history.bad_status", "status must be ok, fail or info", where=where)
        if history.timed:
            if o.call is None:
                raise HistoryError("err.history.missing_call", "call time missing", where=where)
            if o.ret is not None and o.ret < o.call:
                raise HistoryError("err.history.return_before_call", "returns before it is called",
                                   where=where)
            if o.status == "ok" and o.ret is None:
                raise HistoryError("err.history.ok_without_return", "an ok operation needs a return time",
                                   where=where)
    if history.timed:
        _check_one_op_at_a_time(history)
    return history


def _check_one_op_at_a_time(history: History) -> None:
    """A process runs one operation at a time (Herlihy & Wing's well-formed histories)."""
    for proc, ops in history.by_process().items():
        busy_until = None
        for o in sorted(ops, key=lambda o: (o.call, o.id)):
            if busy_until is not None and o.call <= busy_until:
                raise HistoryError("err.history.overlap_in_process",
                                   f"process {proc} starts an operation before its previous one returned",
                                   where=f"op {o.id}", process=proc)
            if o.ret is None:
                busy_until = float("inf")
            else:
                busy_until = o.ret
