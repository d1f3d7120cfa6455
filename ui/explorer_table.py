"""The Model Explorer's table editor, as pure functions: a history becomes a table of its
operations, and an edited table becomes a history again (or a translated ``HistoryError``).

Theory of operation
-------------------
``history_frame(history)`` gives one row per operation (the row index is the op id) with the
columns of ARCHITECTURE.md §3: process, f, key, input, output, call, return, status. Values
are shown as text: a bare word or number as itself (``1``, ``a``), anything else as JSON
(``[1, 2]`` for a CAS input, ``"1"`` for the *string* one), an absent value as an empty cell.

``history_from_frame(frame, base)`` reads the table back. Every cell is untrusted — the
learner may type anything, and ``st.data_editor`` hands back NaN for empty numbers, floats,
numpy integers or strings — so each cell is normalised and bounded, and anything that cannot
be read raises ``HistoryError`` naming the row and column (keys ``explorer.err.*``, shown
translated). Times are all-or-none (no times at all gives an untimed history, whose program
order is the row order); the datatype and the initial values come from ``base`` (the table
does not edit them). The result goes through ``checkers.history.check_well_formed``, so
"returns before it is called" or two overlapping ops of one process are reported in the
same words as for an uploaded file.

Round trip: ``history_from_frame(history_frame(h), h) == h`` for every well-formed ``h``
whose values survive the text form (tests check it with Hypothesis).
"""

from __future__ import annotations

import json
import math
import numbers
import re
from typing import Any

import pandas as pd

from checkers.datatypes import DATATYPES
from checkers.history import MAX_OPS, STATUSES, History, HistoryError, Op, check_well_formed, freeze, thaw

COLUMNS = ("process", "f", "key", "input", "output", "call", "return", "status")
MAX_CELL_CHARS = 200  # a value, a key or a process name typed into one cell
MAX_NAME_CHARS = 40  # process names and keys
MAX_TIME = 10**15  # call/return positions; beyond this a number is surely a typo
MAX_INT_VALUE = 10**18  # integer values written or read
_READS = ("read", "get")  # ops whose input is always empty (every reader of checkers.formats agrees)
_INT = re.compile(r"[+-]?\d+")
_BARE = re.compile(r"[^\s\"'\[\]{},:]+")

# Every error key this module raises (a test checks both catalogs define them).
ERROR_KEYS = ("explorer.err.too_many_rows", "explorer.err.cell_too_long", "explorer.err.bad_number",
              "explorer.err.number_too_big", "explorer.err.missing_process", "explorer.err.bad_f",
              "explorer.err.bad_status", "explorer.err.times_all_or_none", "explorer.err.info_has_return",
              "explorer.err.bad_value", "explorer.err.missing_column", "explorer.err.read_input")


# ---- values <-> cell text -----------------------------------------------------------------

def show_cell(value: Any) -> str:
    """A value as the text of one cell; ``parse_cell(show_cell(v)) == v`` for JSON-like values."""
    if value is None:
        return ""
    if isinstance(value, str) and value != "⊥" and _BARE.fullmatch(value) and _parse_json(value) is _NOT_JSON:
        return value  # a bare word such as ``a`` reads back as the same string
    return json.dumps(thaw(value), ensure_ascii=False)


_NOT_JSON = object()


def _no_constants(name: str) -> Any:
    raise ValueError(name)  # NaN / Infinity are not values a register can compare


def _parse_json(text: str) -> Any:
    try:
        return json.loads(text, parse_constant=_no_constants)
    except (ValueError, RecursionError):
        return _NOT_JSON


def parse_cell(text: Any, where: str) -> Any:
    """The value typed into a cell: JSON if it parses (``1``, ``[1, 2]``, ``"1"``), else the bare
    word; empty or ``⊥`` is ``None``. Raises ``HistoryError`` for overlong text or huge numbers."""
    if _missing(text):
        return None
    if isinstance(text, bool) or not isinstance(text, str):
        return freeze(_check_number_value(text, where))
    s = text.strip()
    if s in ("", "⊥"):
        return None
    if len(s) > MAX_CELL_CHARS:
        raise HistoryError("explorer.err.cell_too_long", f"more than {MAX_CELL_CHARS} characters",
                           where=where, limit=MAX_CELL_CHARS)
    value = _parse_json(s)
    if value is _NOT_JSON:
        return s
    _check_numbers_inside(value, where)
    return freeze(value)


def _check_number_value(value: Any, where: str) -> Any:
    if isinstance(value, numbers.Integral):
        value = int(value)
    elif isinstance(value, numbers.Real):
        f = float(value)
        if not math.isfinite(f):
            raise HistoryError("explorer.err.bad_value", "not a usable value", where=where, value=str(value))
        value = int(f) if f.is_integer() else f
    _check_numbers_inside(value, where)
    return value


def _check_numbers_inside(value: Any, where: str) -> None:
    if isinstance(value, bool):
        return
    if isinstance(value, int) and abs(value) > MAX_INT_VALUE:
        raise HistoryError("explorer.err.number_too_big", "number out of range", where=where,
                           limit=f"{MAX_INT_VALUE:.0e}")
    if isinstance(value, list):
        for v in value:
            _check_numbers_inside(v, where)
    elif isinstance(value, dict):
        for v in value.values():
            _check_numbers_inside(v, where)


def _missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # lists and the like are not "missing"
        return False


# ---- history -> table ---------------------------------------------------------------------

def history_frame(history: History) -> pd.DataFrame:
    """One row per op (index = op id), every value as cell text, times as nullable integers."""
    rows = [{"process": o.process, "f": o.f, "key": "" if o.key is None else o.key,
             "input": show_cell(o.input), "output": show_cell(o.output),
             "call": o.call, "return": o.ret, "status": o.status} for o in history.ops]
    frame = pd.DataFrame(rows, columns=list(COLUMNS), index=pd.Index([o.id for o in history.ops], name="id"))
    for col in ("call", "return"):
        frame[col] = frame[col].astype("Int64")
    for col in ("process", "f", "key", "input", "output", "status"):
        frame[col] = frame[col].astype(object)
    return frame


# ---- table -> history ---------------------------------------------------------------------

def history_from_frame(frame: pd.DataFrame, base: History) -> History:
    """The history the edited table describes (datatype and initial values from ``base``)."""
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise HistoryError("explorer.err.missing_column", "column missing", column=missing[0])
    if len(frame) > MAX_OPS:
        raise HistoryError("explorer.err.too_many_rows", "too many rows", limit=MAX_OPS)
    dt = DATATYPES[base.datatype]
    ids = _row_ids(frame.index)
    rows = []
    for n, (op_id, (_, row)) in enumerate(zip(ids, frame.iterrows(), strict=True)):
        cells = {c: row[c] for c in COLUMNS}
        if all(_missing(v) or (isinstance(v, str) and not v.strip()) for v in cells.values()):
            continue  # a row the learner added but has not filled in yet
        rows.append(_read_row(n + 1, op_id, cells, dt))
    timed = _timed(rows)
    ops = tuple(Op(id=r["id"], process=r["process"], f=r["f"], key=r["key"], input=r["input"],
                   output=r["output"], call=r["call"] if timed else None, ret=r["ret"] if timed else None,
                   status=r["status"]) for r in rows)
    return check_well_formed(History(ops=ops, datatype=base.datatype, initial=base.initial, timed=timed))


def _row_ids(index: pd.Index) -> list[int]:
    """The op ids: the index when it is a set of distinct non-negative integers (the table was
    built from a history and rows were only edited or deleted), else the row positions."""
    ids = []
    for v in index:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral) or int(v) < 0:
            return list(range(len(index)))
        ids.append(int(v))
    return ids if len(set(ids)) == len(ids) else list(range(len(index)))


def _where(row: int, column: str) -> str:
    return f"row {row}, column '{column}'"


def _read_row(row: int, op_id: int, cells: dict[str, Any], dt) -> dict[str, Any]:
    process = _name(cells["process"], _where(row, "process"))
    if process is None:
        raise HistoryError("explorer.err.missing_process", "process missing", where=_where(row, "process"))
    f = _name(cells["f"], _where(row, "f"))
    if f not in dt.ops:
        raise HistoryError("explorer.err.bad_f", "operation not in this datatype", where=_where(row, "f"),
                           f=f or "", allowed=", ".join(sorted(dt.ops)))
    status = _name(cells["status"], _where(row, "status")) or "ok"
    if status not in STATUSES:
        raise HistoryError("explorer.err.bad_status", "status must be ok, fail or info",
                           where=_where(row, "status"), status=status)
    key = _name(cells["key"], _where(row, "key")) if dt.keyed else None
    call = _time(cells["call"], _where(row, "call"))
    ret = _time(cells["return"], _where(row, "return"))
    output = parse_cell(cells["output"], _where(row, "output"))
    if status == "info" and (ret is not None or output is not None):
        raise HistoryError("explorer.err.info_has_return", "an info op has no return and no output",
                           where=_where(row, "status"))
    value = parse_cell(cells["input"], _where(row, "input"))
    if f in _READS and value is not None:  # a value typed into the wrong column would silently count for nothing
        raise HistoryError("explorer.err.read_input", "a read's value goes in the output column",
                           where=_where(row, "input"))
    return {"id": op_id, "process": process, "f": f, "key": key, "call": call, "ret": ret, "status": status,
            "input": value, "output": output}


def _name(value: Any, where: str) -> str | None:
    if _missing(value):
        return None
    s = str(value).strip()
    if not s:
        return None
    if len(s) > MAX_NAME_CHARS:
        raise HistoryError("explorer.err.cell_too_long", f"more than {MAX_NAME_CHARS} characters",
                           where=where, limit=MAX_NAME_CHARS)
    return s


def _time(value: Any, where: str) -> int | None:
    """A call/return position: a whole number in range, or nothing."""
    if _missing(value):
        return None
    if isinstance(value, bool):
        raise HistoryError("explorer.err.bad_number", "not a whole number", where=where, value=str(value))
    if isinstance(value, str):
        s = value.strip()
        if not s:
            return None
        if not _INT.fullmatch(s):
            raise HistoryError("explorer.err.bad_number", "not a whole number", where=where, value=s[:20])
        if len(s.lstrip("+-")) > 18:  # int() of a 100-digit string is fine, but no position is that big
            raise HistoryError("explorer.err.number_too_big", "number out of range", where=where,
                               limit=f"{MAX_TIME:.0e}")
        value = int(s)
    elif isinstance(value, numbers.Integral):
        value = int(value)
    elif isinstance(value, numbers.Real):
        f = float(value)
        if not math.isfinite(f) or not f.is_integer():
            raise HistoryError("explorer.err.bad_number", "not a whole number", where=where, value=str(value)[:20])
        if abs(f) > MAX_TIME:
            raise HistoryError("explorer.err.number_too_big", "number out of range", where=where,
                               limit=f"{MAX_TIME:.0e}")
        value = int(f)
    else:
        raise HistoryError("explorer.err.bad_number", "not a whole number", where=where, value=str(value)[:20])
    if abs(value) > MAX_TIME:
        raise HistoryError("explorer.err.number_too_big", "number out of range", where=where,
                           limit=f"{MAX_TIME:.0e}")
    return value


def _timed(rows: list[dict[str, Any]]) -> bool:
    """All-or-none: every row has a call time (a timed history) or no row has any time."""
    with_call = [r for r in rows if r["call"] is not None]
    with_any = [r for r in rows if r["call"] is not None or r["ret"] is not None]
    if not with_any:
        return False
    if len(with_call) != len(rows):
        bad = next(n for n, r in enumerate(rows) if r["call"] is None)
        raise HistoryError("explorer.err.times_all_or_none", "give call times for every row or for none",
                           where=f"op {rows[bad]['id']}")
    return True
