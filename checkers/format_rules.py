"""The rules every history reader and writer shares: decoding, bounded JSON, field checks
that name *where* a value is wrong, and ``finish`` — the one way every reader builds its
``History`` (datatype membership, argument shapes, ``check_well_formed``, errors moved back
onto the line or token an op came from).

Split out of ``checkers.formats`` so the per-format modules (``checkers.edn``,
``checkers.notation``) and the dispatcher share one implementation without importing each
other.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Callable, Mapping

from checkers.datatypes import DATATYPES
from checkers.history import (MAX_BYTES, MAX_OPS, STATUSES, History, HistoryError, Op, check_well_formed,
                              freeze, thaw)

MAX_DEPTH = 16  # nesting of one value (txn micro-ops need 3); deeper is an attack, not a history
REGISTER_OPS = ("read", "write")


def decode(data: bytes | str) -> str:
    """Text within ``MAX_BYTES`` (checked before any parsing), without a BOM."""
    limit_mib = MAX_BYTES // (1024 * 1024)
    if isinstance(data, str):
        # len(str) <= bytes of its UTF-8; encode only when the cheap test cannot decide
        if len(data) > MAX_BYTES or (len(data) * 4 > MAX_BYTES and len(data.encode("utf-8")) > MAX_BYTES):
            raise HistoryError("err.history.too_large", "the input is too large", limit=limit_mib)
        text = data
    elif isinstance(data, bytes | bytearray | memoryview):
        if len(data) > MAX_BYTES:
            raise HistoryError("err.history.too_large", "the input is too large", limit=limit_mib)
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as e:
            raise HistoryError("err.history.not_text", f"the input is not UTF-8 text (byte {e.start})",
                               byte=e.start) from None
    else:
        raise HistoryError("err.history.not_text", "the input is not text")
    return text[1:] if text.startswith("\ufeff") else text


# ====================================================================== shared building blocks


def err(msg_key: str, english: str, where: str, /, **args: Any) -> HistoryError:
    return HistoryError(msg_key, english, where=where, **args)


def at(where: str, field: str | None) -> str:
    return where if field is None else f"{where}, field '{field}'"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 parses to inf: as unusable as NaN
        raise ValueError("number out of range")
    return value


def parse_json(text: str, where_line: Callable[[int, int], str]) -> Any:
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as e:
        raise err("err.history.json_syntax", f"not valid JSON ({e.msg})", where_line(e.lineno, e.colno)) from None
    except (ValueError, RecursionError):  # NaN, huge ints (int_max_str_digits), deep nesting
        raise err("err.history.json_syntax", "not valid JSON", where_line(1, 1)) from None


def parse_json_document(text: str) -> Any:
    return parse_json(text, lambda line, col: f"line {line}, column {col}")


def require(obj: Mapping[str, Any], field: str, where: str) -> Any:
    if field not in obj:
        raise err("err.history.missing_field", f"field '{field}' is missing", where, field=field)
    return obj[field]


def int_field(value: Any, where: str, *, null: bool = False) -> int | None:
    if value is None and null:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        key = "err.history.want_int_or_null" if null else "err.history.want_int"
        raise err(key, "must be a whole number" + (" or null" if null else ""), where)
    return value


def str_field(value: Any, where: str, *, null: bool = False, empty: bool = False) -> str | None:
    if value is None and null:
        return None
    if not isinstance(value, str) or not (value or empty):
        key = "err.history.want_string_or_null" if null else "err.history.want_string"
        raise err(key, "must be a text" + (" or null" if null else " (not empty)"), where)
    return value


def value_field(value: Any, where: str) -> Any:
    """A JSON value made hashable (``freeze``), after bounding its nesting."""
    _check_depth(value, where, 0)
    return freeze(value)


def _check_depth(value: Any, where: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise err("err.history.too_deep", "a value is nested too deeply", where, limit=MAX_DEPTH)
    if isinstance(value, list | tuple):
        for v in value:
            _check_depth(v, where, depth + 1)
    elif isinstance(value, dict):
        for v in value.values():
            _check_depth(v, where, depth + 1)


def check_status(status: Any, call: int | None, ret: int | None, output: Any, where: str,
                  fields: tuple[str | None, ...] = ("status", "return", "output"), timed: bool = True) -> str:
    """The README's status semantics, checked where the fields are (not later, by op id)."""
    f_status, f_return, f_output = fields
    if status not in STATUSES:
        raise err("err.history.bad_status", "status must be ok, fail or info", at(where, f_status))
    if status != "ok" and output is not None:
        raise err("err.history.output_not_ok", "only an ok operation has an output", at(where, f_output))
    if not timed:
        return status
    if status == "info" and ret is not None:
        raise err("err.history.info_with_return", "an info operation never returned: its return must be null",
                   at(where, f_return))
    if status == "ok" and ret is None:
        raise err("err.history.ok_without_return", "an ok operation needs a return time", at(where, f_return))
    if ret is not None and call is not None and ret < call:
        raise err("err.history.return_before_call", "returns before it is called", at(where, f_return))
    return status


def initial_values(raw: Any, where: str) -> dict[str | None, Any]:
    """``{"x": 0}``, or ``[[key, value], ...]`` when a key is null (JSON objects cannot say so)."""
    if isinstance(raw, dict):
        return {k: value_field(v, f"{where}.{k}") for k, v in raw.items()}
    if isinstance(raw, list):
        out: dict[str | None, Any] = {}
        for i, pair in enumerate(raw):
            w = f"{where}[{i}]"
            if not (isinstance(pair, list) and len(pair) == 2):
                raise err("err.history.want_pair", "must be a pair [key, value]", w)
            key = str_field(pair[0], w, null=True, empty=True)
            if key in out:
                raise err("err.history.duplicate_initial", "this key is given twice", w, name=str(key))
            out[key] = value_field(pair[1], w)
        return out
    raise err("err.history.want_object", "must be a JSON object", where)


def initial_to_json(initial: Mapping[str | None, Any]) -> Any:
    if all(isinstance(k, str) for k in initial):
        return {k: thaw(v) for k, v in initial.items()}
    pairs = sorted(initial.items(), key=lambda kv: (kv[0] is not None, kv[0] or ""))
    return [[k, thaw(v)] for k, v in pairs]


def finish(ops: list[Op], datatype: str, initial: Mapping[str | None, Any], timed: bool,
            wheres: list[str], f_field: str) -> History:
    """Datatype membership, argument shapes, unique ids, then ``check_well_formed``.

    ``wheres[i]`` says where ``ops[i]`` came from; well-formedness errors (which name an op
    id) are moved back there.
    """
    if datatype not in DATATYPES:
        raise HistoryError("err.history.unknown_datatype", f"unknown datatype {datatype!r}", datatype=datatype)
    if len(ops) > MAX_OPS:
        raise HistoryError("err.history.too_many_ops", f"more than {MAX_OPS} operations", limit=MAX_OPS)
    spec = DATATYPES[datatype]
    where_of: dict[int, str] = {}
    for op, where in zip(ops, wheres):
        if op.id in where_of:
            raise err("err.history.duplicate_id", "duplicate operation id", where)
        where_of[op.id] = where
        if op.f not in spec.ops:
            raise err("err.history.bad_op", f"'{op.f}' is not an operation of datatype {datatype}",
                       at(where, f_field), op=op.f, datatype=datatype)
        _check_shape(op, where)
    history = History(ops=tuple(ops), datatype=datatype, initial=dict(initial), timed=timed)
    try:
        return check_well_formed(history)
    except HistoryError as e:
        raise _relocate(e, where_of) from None


def _relocate(e: HistoryError, where_of: Mapping[int, str]) -> HistoryError:
    m = re.fullmatch(r"op (-?\d+)", e.where)
    if not m or int(m.group(1)) not in where_of:
        return e
    english = e.english[len(e.where) + 2:]
    args = {k: v for k, v in e.args_.items() if k != "where"}
    return HistoryError(e.key, english, where=where_of[int(m.group(1))], **args)


def _check_shape(op: Op, where: str) -> None:
    """What the step functions of ``checkers.datatypes`` unpack must be there."""
    if op.f == "cas" and not (isinstance(op.input, tuple) and len(op.input) == 2):
        raise err("err.history.bad_cas", "a cas input must be a pair [from, to]", at(where, "input"))
    if op.f == "append" and not isinstance(op.input, str):
        raise err("err.history.bad_append", "an append input must be a text", at(where, "input"))
    if op.f == "txn":
        for field, micro in (("input", op.input), ("output", op.output)):
            if field == "output" and (op.status != "ok" or micro is None):
                continue  # only an ok txn's output is read (the step falls back to the input)
            if not isinstance(micro, tuple) or not all(_is_micro_op(m) for m in micro):
                raise err("err.history.bad_txn", "a txn is a list of [read|write, key, value] micro-ops",
                           at(where, field))


def _is_micro_op(m: Any) -> bool:
    return isinstance(m, tuple) and len(m) == 3 and m[0] in ("read", "write") and isinstance(m[1], str)


# ========================================================================== (a) JSON Lines


def compact(value: Any) -> str:
    return dumps(value, separators=(", ", ": "))


def dumps(value: Any, separators: tuple[str, str]) -> str:
    """Canonical JSON; NaN and infinities are refused (our readers would refuse them too)."""
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=separators, allow_nan=False)
    except (ValueError, TypeError):
        raise HistoryError("err.history.not_json", "a value cannot be written as JSON") from None


def require_register(history: History) -> None:
    if history.datatype != "register":
        raise HistoryError("err.history.not_register", "only read/write register histories can be written "
                           "in this format", datatype=history.datatype)


def check_register_op(o: Op, timed: bool) -> None:
    """What the textbook and notation forms cannot say (they would read back differently)."""
    where = f"op {o.id}"
    if o.f not in REGISTER_OPS:
        raise err("err.history.bad_op", f"'{o.f}' is not an operation of datatype register", where,
                   op=o.f, datatype="register")
    if (o.f == "write" and o.output is not None) or (o.f == "read" and o.input is not None) or \
            (not timed and (o.call is not None or o.ret is not None)):
        raise err("err.history.not_representable", "this operation cannot be written in this format", where)
