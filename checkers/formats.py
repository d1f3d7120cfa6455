"""Reading and writing histories: five formats in, four out (documented in ``docs/histories.md``).

Theory of operation
-------------------
``read_history(data)`` bounds the input (``MAX_BYTES`` before anything is parsed, ``MAX_OPS``
before ops are built), recognises the format from its first bytes, hands it to one small
reader per format and finishes every history the same way (``_finish``): each op's ``f``
must belong to the datatype, cas/txn/append arguments must have the shape the sequential
specification (``checkers.datatypes``) unpacks, and ``checkers.history.check_well_formed``
must pass. Its errors name an op id; ``_finish`` moves them back onto the line, entry or
token the op came from, so every ``HistoryError`` says *where* (``line 12, field 'call'``).

Formats read:

* ``jsonl``    — one op per line, the format of ``../shared/histories/README.md``;
* ``json``     — our own document, ``{"format": "consistency-lab/history", "version": 1, ...}``;
* ``textbook`` — ``{"initial": {...}, "processes": [[{"type": "write", ...}, ...], ...]}``;
* ``edn``      — Jepsen/Knossos histories: invocations and completions, paired per process
  the way ``knossos.history/complete`` does it;
* ``notation`` — ``P1: W(x)1 R(x)2`` one line per process, as in Tanenbaum & van Steen,
  *Distributed Systems* §7 (``parse_notation``).

Writers: ``to_json`` (canonical; ``read_history(to_json(h)) == h`` for every history the
readers accept), ``to_textbook`` (register histories; exact when the ops are in id order, as
every reader leaves them), ``to_notation`` (register histories with word keys and number or
word values; exact when ids run 0, 1, 2, … line by line, as ``parse_notation`` numbers
them), ``to_porcupine`` (Porcupine's ``Operation`` records as JSON lines, for running
Porcupine on our histories).

Nothing is evaluated or unpickled: JSON through ``json`` (NaN/Infinity refused), EDN
through ``edn_format`` with no tag handlers of ours (``#inst``/``#uuid`` become values we
then refuse, any other tag is an error), the notation through regular expressions.
Values are made hashable with ``checkers.history.freeze``.

Deviations from the sources: Jepsen completions are paired with invocations by process
only (a completion's ``:f`` is not compared with its invocation's); the notation also reads
Tanenbaum's ``NIL`` as the initial value ⊥ and adds ``?``/``!`` marks and ``@call-return``
times, which the textbooks draw instead of writing.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Callable, Iterable, Mapping

from checkers.datatypes import DATATYPES
from checkers.history import (MAX_BYTES, MAX_OPS, STATUSES, History, HistoryError, Op, check_well_formed,
                              freeze, thaw)

FORMAT = "consistency-lab/history"
VERSION = 1
MAX_DEPTH = 16  # nesting of one value (txn micro-ops need 3); deeper is an attack, not a history
MAX_EDN_EVENTS = 3 * MAX_OPS  # two events per op plus room for nemesis events
REGISTER_OPS = ("read", "write")

# ============================================================================ the door in


def read_history(data: bytes | str, *, name: str = "", datatype: str | None = None) -> History:
    """Any supported history file as a ``History``; raises ``HistoryError`` naming line and field.

    ``name`` (a file name) only breaks ties: ``.edn`` is read as EDN and ``.jsonl``/``.ndjson``
    as JSON Lines; everything else is recognised by content. ``datatype`` applies to the
    formats that do not state one (JSON Lines, EDN); the others fix their own.
    """
    text = _decode(data)
    if datatype is not None and datatype not in DATATYPES:
        raise HistoryError("err.history.unknown_datatype", f"unknown datatype {datatype!r}",
                           datatype=str(datatype))
    fmt = detect_format(text, name)
    if fmt == "empty":
        return History(ops=(), datatype=datatype or "register", initial={}, timed=False)
    if fmt == "jsonl":
        return _read_jsonl(text, datatype)
    if fmt == "edn":
        return _read_edn(text, datatype)
    if fmt == "notation":
        return parse_notation(text)
    doc = _json_document(text)
    if isinstance(doc, dict) and "format" in doc:
        return _read_lab_json(doc)
    if isinstance(doc, dict) and "processes" in doc:
        return _read_textbook(doc)
    raise HistoryError("err.history.unknown_format", "not a history format this app reads")


def detect_format(text: str, name: str = "") -> str:
    """``empty``, ``jsonl``, ``json`` (a document: ours or textbook), ``edn`` or ``notation``."""
    s = text.lstrip()
    if not s:
        return "empty"
    lower = name.lower()
    if lower.endswith(".edn"):
        return "edn"
    if lower.endswith((".jsonl", ".ndjson")):
        return "jsonl"
    if s[0] in "[;":  # an EDN vector or comment: no JSON format of ours is a top-level array
        return "edn"
    if s[0] != "{":
        return "notation"
    if s[1:].lstrip().startswith(":"):  # {:type :invoke ...}: an EDN map, one per line
        return "edn"
    first = s.split("\n", 1)[0].strip()
    try:
        head = json.loads(first)
    except (ValueError, RecursionError):
        return "json"  # a pretty-printed document starts with a lone "{"
    if isinstance(head, dict) and ("format" in head or "processes" in head):
        return "json"
    return "jsonl"


def _decode(data: bytes | str) -> str:
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


def _err(msg_key: str, english: str, where: str, /, **args: Any) -> HistoryError:
    return HistoryError(msg_key, english, where=where, **args)


def _at(where: str, field: str | None) -> str:
    return where if field is None else f"{where}, field '{field}'"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 parses to inf: as unusable as NaN
        raise ValueError("number out of range")
    return value


def _json(text: str, where_line: Callable[[int, int], str]) -> Any:
    try:
        return json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except json.JSONDecodeError as e:
        raise _err("err.history.json_syntax", f"not valid JSON ({e.msg})", where_line(e.lineno, e.colno)) from None
    except (ValueError, RecursionError):  # NaN, huge ints (int_max_str_digits), deep nesting
        raise _err("err.history.json_syntax", "not valid JSON", where_line(1, 1)) from None


def _json_document(text: str) -> Any:
    return _json(text, lambda line, col: f"line {line}, column {col}")


def _require(obj: Mapping[str, Any], field: str, where: str) -> Any:
    if field not in obj:
        raise _err("err.history.missing_field", f"field '{field}' is missing", where, field=field)
    return obj[field]


def _int(value: Any, where: str, *, null: bool = False) -> int | None:
    if value is None and null:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        key = "err.history.want_int_or_null" if null else "err.history.want_int"
        raise _err(key, "must be a whole number" + (" or null" if null else ""), where)
    return value


def _str(value: Any, where: str, *, null: bool = False, empty: bool = False) -> str | None:
    if value is None and null:
        return None
    if not isinstance(value, str) or not (value or empty):
        key = "err.history.want_string_or_null" if null else "err.history.want_string"
        raise _err(key, "must be a text" + (" or null" if null else " (not empty)"), where)
    return value


def _value(value: Any, where: str) -> Any:
    """A JSON value made hashable (``freeze``), after bounding its nesting."""
    _check_depth(value, where, 0)
    return freeze(value)


def _check_depth(value: Any, where: str, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise _err("err.history.too_deep", "a value is nested too deeply", where, limit=MAX_DEPTH)
    if isinstance(value, list | tuple):
        for v in value:
            _check_depth(v, where, depth + 1)
    elif isinstance(value, dict):
        for v in value.values():
            _check_depth(v, where, depth + 1)


def _check_status(status: Any, call: int | None, ret: int | None, output: Any, where: str,
                  fields: tuple[str | None, ...] = ("status", "return", "output"), timed: bool = True) -> str:
    """The README's status semantics, checked where the fields are (not later, by op id)."""
    f_status, f_return, f_output = fields
    if status not in STATUSES:
        raise _err("err.history.bad_status", "status must be ok, fail or info", _at(where, f_status))
    if status != "ok" and output is not None:
        raise _err("err.history.output_not_ok", "only an ok operation has an output", _at(where, f_output))
    if not timed:
        return status
    if status == "info" and ret is not None:
        raise _err("err.history.info_with_return", "an info operation never returned: its return must be null",
                   _at(where, f_return))
    if status == "ok" and ret is None:
        raise _err("err.history.ok_without_return", "an ok operation needs a return time", _at(where, f_return))
    if ret is not None and call is not None and ret < call:
        raise _err("err.history.return_before_call", "returns before it is called", _at(where, f_return))
    return status


def _initial(raw: Any, where: str) -> dict[str | None, Any]:
    """``{"x": 0}``, or ``[[key, value], ...]`` when a key is null (JSON objects cannot say so)."""
    if isinstance(raw, dict):
        return {k: _value(v, f"{where}.{k}") for k, v in raw.items()}
    if isinstance(raw, list):
        out: dict[str | None, Any] = {}
        for i, pair in enumerate(raw):
            w = f"{where}[{i}]"
            if not (isinstance(pair, list) and len(pair) == 2):
                raise _err("err.history.want_pair", "must be a pair [key, value]", w)
            key = _str(pair[0], w, null=True, empty=True)
            if key in out:
                raise _err("err.history.duplicate_initial", "this key is given twice", w, name=str(key))
            out[key] = _value(pair[1], w)
        return out
    raise _err("err.history.want_object", "must be a JSON object", where)


def _initial_to_json(initial: Mapping[str | None, Any]) -> Any:
    if all(isinstance(k, str) for k in initial):
        return {k: thaw(v) for k, v in initial.items()}
    pairs = sorted(initial.items(), key=lambda kv: (kv[0] is not None, kv[0] or ""))
    return [[k, thaw(v)] for k, v in pairs]


def _finish(ops: list[Op], datatype: str, initial: Mapping[str | None, Any], timed: bool,
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
            raise _err("err.history.duplicate_id", "duplicate operation id", where)
        where_of[op.id] = where
        if op.f not in spec.ops:
            raise _err("err.history.bad_op", f"'{op.f}' is not an operation of datatype {datatype}",
                       _at(where, f_field), op=op.f, datatype=datatype)
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
        raise _err("err.history.bad_cas", "a cas input must be a pair [from, to]", _at(where, "input"))
    if op.f == "append" and not isinstance(op.input, str):
        raise _err("err.history.bad_append", "an append input must be a text", _at(where, "input"))
    if op.f == "txn":
        for field, micro in (("input", op.input), ("output", op.output)):
            if field == "output" and (op.status != "ok" or micro is None):
                continue  # only an ok txn's output is read (the step falls back to the input)
            if not isinstance(micro, tuple) or not all(_is_micro_op(m) for m in micro):
                raise _err("err.history.bad_txn", "a txn is a list of [read|write, key, value] micro-ops",
                           _at(where, field))


def _is_micro_op(m: Any) -> bool:
    return isinstance(m, tuple) and len(m) == 3 and m[0] in ("read", "write") and isinstance(m[1], str)


# ========================================================================== (a) JSON Lines

_JSONL_FIELDS = ("id", "client", "call", "status", "op")  # required; return/key/input/output default null


def _read_jsonl(text: str, datatype: str | None) -> History:
    lines = text.split("\n")
    if sum(1 for line in lines if line.strip()) > MAX_OPS:  # before building anything
        raise HistoryError("err.history.too_many_ops", f"more than {MAX_OPS} operations", limit=MAX_OPS)
    rows: list[tuple[int, dict]] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        obj = _json(line, lambda _l, col, n=n: f"line {n}, column {col}")
        if not isinstance(obj, dict):
            raise _err("err.history.want_object", "each line must be a JSON object", f"line {n}")
        rows.append((n, obj))
    ops, wheres = [], []
    for n, obj in rows:
        where = f"line {n}"
        for field in _JSONL_FIELDS:
            _require(obj, field, where)
        client = obj["client"]
        if isinstance(client, bool) or not isinstance(client, int | str) or client == "":
            raise _err("err.history.want_int", "must be a whole number", _at(where, "client"))
        call = _int(obj["call"], _at(where, "call"))
        ret = _int(obj.get("return"), _at(where, "return"), null=True)
        output = _value(obj.get("output"), _at(where, "output"))
        status = _check_status(obj["status"], call, ret, output, where, ("status", "return", "output"))
        key = _str(obj.get("key"), _at(where, "key"), null=True, empty=True)
        ops.append(Op(id=_int(obj["id"], _at(where, "id")), process=str(client),
                      f=_str(obj["op"], _at(where, "op")), key=key,
                      input=_value(obj.get("input"), _at(where, "input")), output=output, call=call, ret=ret,
                      status=status))
        wheres.append(where)
    dt = datatype or infer_jsonl_datatype(ops, [obj.get("jepsen_type", "") for _n, obj in rows])
    return _finish(ops, dt, {}, True, wheres, "op")


def infer_jsonl_datatype(ops: Iterable[Op], jepsen_types: Iterable[Any] = ()) -> str:
    """The datatype of a JSON Lines history, which the file does not state. First match wins:

    1. any ``txn`` → ``knossos-multi-register``; 2. any ``acquire``/``release`` →
    ``knossos-mutex``; 3. any ``get``/``put``/``append`` → ``kv-string``; 4. a non-null key
    → ``cas-register`` if there is a ``cas``, else ``register``; 5. otherwise (read/write/cas
    on one register): ``knossos-cas-register`` if the file carries a Knossos signature — a
    ``write`` or ``cas`` with status ``fail`` (Knossos drops failed cas; the etcd logs record
    them as ok/false) or a ``jepsen_type`` of null (an invoke without completion) — else
    ``etcd-register``.
    """
    ops = list(ops)
    fs = {o.f for o in ops}
    if "txn" in fs:
        return "knossos-multi-register"
    if fs & {"acquire", "release"}:
        return "knossos-mutex"
    if fs & {"get", "put", "append"}:
        return "kv-string"
    if any(o.key is not None for o in ops):
        return "cas-register" if "cas" in fs else "register"
    knossos = any(o.f in ("write", "cas") and o.status == "fail" for o in ops) or \
        any(t is None for t in jepsen_types)
    return "knossos-cas-register" if knossos else "etcd-register"


# ===================================================================== (b) our JSON document

_LAB_OP_FIELDS = {"id", "process", "f", "key", "input", "output", "call", "return", "status"}


def _read_lab_json(doc: dict) -> History:
    if doc.get("format") != FORMAT:
        raise HistoryError("err.history.unknown_format", "not a history format this app reads (field 'format')")
    if doc.get("version") != VERSION:
        raise _err("err.history.bad_version", f"unsupported version (this app reads version {VERSION})",
                   "field 'version'", version=VERSION)
    unknown = sorted(set(doc) - {"format", "version", "datatype", "initial", "timed", "ops"})
    if unknown:
        raise _err("err.history.unknown_field", "unknown field", f"field '{unknown[0]}'", field=unknown[0])
    datatype = _str(_require(doc, "datatype", "document"), "field 'datatype'")
    if datatype not in DATATYPES:
        raise HistoryError("err.history.unknown_datatype", f"unknown datatype {datatype!r}", datatype=datatype)
    timed = doc.get("timed", True)
    if not isinstance(timed, bool):
        raise _err("err.history.want_bool", "must be true or false", "field 'timed'")
    initial = _initial(doc.get("initial", {}), "field 'initial'")
    raw_ops = _require(doc, "ops", "document")
    if not isinstance(raw_ops, list):
        raise _err("err.history.want_list", "must be a list", "field 'ops'")
    if len(raw_ops) > MAX_OPS:
        raise HistoryError("err.history.too_many_ops", f"more than {MAX_OPS} operations", limit=MAX_OPS)
    ops, wheres = [], []
    for i, raw in enumerate(raw_ops):
        where = f"ops[{i}]"
        if not isinstance(raw, dict):
            raise _err("err.history.want_object", "must be a JSON object", where)
        extra = sorted(set(raw) - _LAB_OP_FIELDS)
        if extra:
            raise _err("err.history.unknown_field", "unknown field", _at(where, extra[0]), field=extra[0])
        for field in ("id", "process", "f", "status"):
            _require(raw, field, where)
        call = _int(raw.get("call"), _at(where, "call"), null=True)
        ret = _int(raw.get("return"), _at(where, "return"), null=True)
        output = _value(raw.get("output"), _at(where, "output"))
        status = _check_status(raw["status"], call, ret, output, where, timed=timed)
        key = _str(raw.get("key"), _at(where, "key"), null=True, empty=True)
        ops.append(Op(id=_int(raw["id"], _at(where, "id")), process=_str(raw["process"], _at(where, "process")),
                      f=_str(raw["f"], _at(where, "f")), key=key,
                      input=_value(raw.get("input"), _at(where, "input")), output=output, call=call, ret=ret,
                      status=status))
        wheres.append(where)
    return _finish(ops, datatype, initial, timed, wheres, "f")


def to_json(history: History) -> str:
    """Format (b), canonical: sorted keys, no spaces, one newline at the end."""
    doc = {"format": FORMAT, "version": VERSION, "datatype": history.datatype,
           "initial": _initial_to_json(history.initial), "timed": history.timed,
           "ops": [{"id": o.id, "process": o.process, "f": o.f, "key": o.key, "input": thaw(o.input),
                    "output": thaw(o.output), "call": o.call, "return": o.ret, "status": o.status}
                   for o in history.ops]}
    return _dumps(doc, separators=(",", ":")) + "\n"


# ========================================================================== (c) textbook JSON

_TEXTBOOK_OP_FIELDS = {"type", "key", "value", "call", "return", "status", "id"}


def _read_textbook(doc: dict) -> History:
    unknown = sorted(set(doc) - {"initial", "processes", "process_names"})
    if unknown:
        raise _err("err.history.unknown_field", "unknown field", f"field '{unknown[0]}'", field=unknown[0])
    initial = _initial(doc.get("initial", {}), "field 'initial'")
    procs = doc["processes"]
    if not isinstance(procs, list) or not all(isinstance(p, list) for p in procs):
        raise _err("err.history.want_list", "must be a list of lists (one per process)", "field 'processes'")
    if sum(len(p) for p in procs) > MAX_OPS:
        raise HistoryError("err.history.too_many_ops", f"more than {MAX_OPS} operations", limit=MAX_OPS)
    names = _process_names(doc.get("process_names"), len(procs))
    raw_ops = [(f"processes[{p}][{j}]", names[p], raw) for p, proc in enumerate(procs) for j, raw in enumerate(proc)]
    for where, _name, raw in raw_ops:
        if not isinstance(raw, dict):
            raise _err("err.history.want_object", "must be a JSON object", where)
    timed = _all_or_none(raw_ops, "call")
    with_ids = _all_or_none(raw_ops, "id")
    built = []
    for n, (where, name, raw) in enumerate(raw_ops):
        extra = sorted(set(raw) - _TEXTBOOK_OP_FIELDS)
        if extra:
            raise _err("err.history.unknown_field", "unknown field", _at(where, extra[0]), field=extra[0])
        f = _str(_require(raw, "type", where), _at(where, "type"))
        if f not in REGISTER_OPS:
            raise _err("err.history.bad_op", f"'{f}' is not an operation of datatype register", _at(where, "type"),
                       op=f, datatype="register")
        status = raw.get("status", "ok")
        value = _value(raw.get("value"), _at(where, "value"))
        call = ret = None
        if timed:
            call = _int(raw["call"], _at(where, "call"))
            ret = _int(_require(raw, "return", where), _at(where, "return"), null=True)
        elif "return" in raw:  # a return time without a call time: a typo, not an untimed op
            raise _err("err.history.missing_field", "field 'call' is missing", where, field="call")
        output = value if f == "read" else None
        _check_status(status, call, ret, output, where, ("status", "return", "value"), timed=timed)
        op_id = _int(raw["id"], _at(where, "id")) if with_ids else n
        built.append((op_id, where, Op(id=op_id, process=name, f=f,
                                       key=_str(raw.get("key"), _at(where, "key"), null=True, empty=True),
                                       input=value if f == "write" else None, output=output, call=call, ret=ret,
                                       status=status)))
    built.sort(key=lambda t: t[0])  # ids given: the history's order is id order
    return _finish([b[2] for b in built], "register", initial, timed, [b[1] for b in built], "type")


def _process_names(raw: Any, count: int) -> list[str]:
    if raw is None:
        return [f"P{i + 1}" for i in range(count)]
    if not isinstance(raw, list) or len(raw) != count:
        raise _err("err.history.bad_process_names", "must list one name per process", "field 'process_names'")
    names = [_str(n, f"field 'process_names'[{i}]") for i, n in enumerate(raw)]
    if len(set(names)) != len(names):
        raise _err("err.history.bad_process_names", "must list one name per process", "field 'process_names'")
    return names


def _all_or_none(raw_ops: list[tuple[str, str, dict]], field: str) -> bool:
    """True if every op has ``field``, False if none has; an error at the first op that differs."""
    if not raw_ops:
        return False
    first = field in raw_ops[0][2]
    for where, _name, raw in raw_ops:
        if (field in raw) != first:
            raise _err("err.history.mixed_fields", f"give '{field}' for every operation or for none",
                       _at(where, field), field=field)
    return first


def to_textbook(history: History) -> str:
    """Format (c), one process per line; ``id``/``status``/``process_names`` only where needed."""
    _require_register(history)
    by_proc = history.by_process()
    names = list(by_proc)
    default_ids = [o.id for ops in by_proc.values() for o in ops] == list(range(len(history.ops)))
    lines = []
    for ops in by_proc.values():
        entries = []
        for o in ops:
            entry: dict[str, Any] = {"type": o.f, "key": o.key}
            _check_register_op(o, history.timed)
            value = o.input if o.f == "write" else o.output
            if o.f == "write" or o.status == "ok":
                entry["value"] = thaw(value)
            if o.status != "ok":
                entry["status"] = o.status
            if history.timed:
                entry["call"], entry["return"] = o.call, o.ret
            if not default_ids:
                entry["id"] = o.id
            entries.append(_compact(entry))
        lines.append("  [" + ",\n   ".join(entries) + "]")
    head = f'{{"initial": {_compact(_initial_to_json(history.initial))},\n'
    if names != [f"P{i + 1}" for i in range(len(names))]:
        head += f' "process_names": {_compact(names)},\n'
    return head + ' "processes": [\n' + ",\n".join(lines) + "\n ]}\n"


def _compact(value: Any) -> str:
    return _dumps(value, separators=(", ", ": "))


def _dumps(value: Any, separators: tuple[str, str]) -> str:
    """Canonical JSON; NaN and infinities are refused (our readers would refuse them too)."""
    try:
        return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=separators, allow_nan=False)
    except (ValueError, TypeError):
        raise HistoryError("err.history.not_json", "a value cannot be written as JSON") from None


def _require_register(history: History) -> None:
    if history.datatype != "register":
        raise HistoryError("err.history.not_register", "only read/write register histories can be written "
                           "in this format", datatype=history.datatype)


def _check_register_op(o: Op, timed: bool) -> None:
    """What the textbook and notation forms cannot say (they would read back differently)."""
    where = f"op {o.id}"
    if o.f not in REGISTER_OPS:
        raise _err("err.history.bad_op", f"'{o.f}' is not an operation of datatype register", where,
                   op=o.f, datatype="register")
    if (o.f == "write" and o.output is not None) or (o.f == "read" and o.input is not None) or \
            (not timed and (o.call is not None or o.ret is not None)):
        raise _err("err.history.not_representable", "this operation cannot be written in this format", where)


# ================================================================================ (d) EDN

_EDN_TYPES = ("invoke", "ok", "fail", "info")


def _read_edn(text: str, datatype: str | None) -> History:
    if text.count(":invoke") > MAX_OPS:  # cheap upper bound on the ops, before the (slow) parser
        raise HistoryError("err.history.too_many_ops", f"more than {MAX_OPS} operations", limit=MAX_OPS)
    events = _edn_events(_edn_parse(text))
    outstanding: dict[str, tuple[int, dict]] = {}
    pairs: list[tuple[int, dict, int | None, dict | None]] = []
    for i, ev in enumerate(events):
        where = f"event {i}"
        kind = ev.get("type")
        if kind not in _EDN_TYPES:
            raise _err("err.history.edn_type", "':type' must be :invoke, :ok, :fail or :info", _at(where, ":type"))
        process = _edn_process(ev.get("process"), where, required=kind != "info")
        if kind == "invoke":
            if process in outstanding:
                raise _err("err.history.overlap_in_process",
                           f"process {process} starts an operation before its previous one returned",
                           where, process=process)
            outstanding[process] = (i, ev)
        elif process in outstanding:
            start, inv = outstanding.pop(process)
            pairs.append((start, inv, i, ev))
        elif kind != "info":  # an :info with no invocation is a nemesis event: not a client op
            raise _err("err.history.edn_no_invoke", "a completion without an invocation", where)
    pairs.extend((start, inv, None, None) for start, inv in outstanding.values())
    pairs.sort(key=lambda p: p[0])  # ids in call order, as in the converted JSON Lines files
    fs = {inv.get("f") for _s, inv, _e, _c in pairs}
    dt = datatype or ("knossos-multi-register" if "txn" in fs else
                      "knossos-mutex" if fs & {"acquire", "release"} else "knossos-cas-register")
    ops = [_edn_op(n, start, inv, end, comp, dt) for n, (start, inv, end, comp) in enumerate(pairs)]
    return _finish(ops, dt, {}, True, [f"event {p[0]}" for p in pairs], ":f")


def _edn_parse(text: str) -> list:
    import edn_format  # imported here: only EDN uploads pay for the parser (ply) being loaded

    try:
        # write_ply_tables=False: never write parser tables into site-packages from a request
        return edn_format.loads_all(text, write_ply_tables=False)
    except NotImplementedError as e:  # edn_format's way of saying "unknown #tag"
        m = re.search(r"tag ImmutableDict\((.*)\)", str(e))
        tag = m.group(1) if m else "?"
        raise HistoryError("err.history.edn_tag", f"unknown EDN tag #{tag}", tag=tag) from None
    except Exception as e:  # noqa: BLE001 — a third-party parser on untrusted text: any failure is bad input
        raise HistoryError("err.history.edn_syntax", f"not valid EDN ({type(e).__name__})") from None


def _edn_events(parsed: list) -> list[dict]:
    """Events as dicts, keywords (keys and top-level values) as their names; a vector of maps or
    maps one after another."""
    from edn_format import ImmutableDict, ImmutableList, Keyword

    def name(v: Any) -> Any:
        return v.name if isinstance(v, Keyword) else v

    if len(parsed) == 1 and isinstance(parsed[0], ImmutableList | list | tuple):
        items = list(parsed[0])
    else:
        items = parsed
    if len(items) > MAX_EDN_EVENTS:
        raise HistoryError("err.history.too_many_ops", f"more than {MAX_OPS} operations", limit=MAX_OPS)
    out = []
    for i, item in enumerate(items):
        if not isinstance(item, ImmutableDict | dict):
            raise _err("err.history.edn_not_map", "each event must be a map {:type ... :f ...}", f"event {i}")
        out.append({name(k): name(v) for k, v in item.items()})
    return out


def _edn_process(value: Any, where: str, *, required: bool) -> str | None:
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
        raise _err("err.history.want_int", "must be a whole number", _at(where, ":process"))
    return str(value)


def _edn_value(value: Any, where: str, depth: int = 0) -> Any:
    """EDN → hashable Python: keywords become strings, vectors/lists tuples, maps sorted pairs."""
    from edn_format import ImmutableDict, ImmutableList, Keyword

    if depth > MAX_DEPTH:
        raise _err("err.history.too_deep", "a value is nested too deeply", where, limit=MAX_DEPTH)
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return value
    if isinstance(value, Keyword):
        return value.name
    if isinstance(value, ImmutableList | tuple):  # EDN vectors and lists
        return tuple(_edn_value(v, where, depth + 1) for v in value)
    if isinstance(value, ImmutableDict | dict):
        return freeze({str(_edn_value(k, where, depth + 1)): _edn_value(v, where, depth + 1)
                       for k, v in value.items()})
    # #inst, #uuid, ratios, decimals, chars, symbols, sets: not values of any datatype here
    raise _err("err.history.bad_value", "unsupported value", where)


def _edn_op(n: int, start: int, inv: dict, end: int | None, comp: dict | None, datatype: str) -> Op:
    """One invocation and its completion as an Op (``knossos.history/complete``)."""
    where = f"event {start}"
    f = inv.get("f")
    if not isinstance(f, str) or not f:
        raise _err("err.history.want_string", "must be a non-empty text", _at(where, ":f"))
    value_in = _edn_value(inv.get("value"), _at(where, ":value"))
    kind = comp.get("type") if comp else "info"
    status = {"ok": "ok", "fail": "fail", "info": "info"}[kind]
    output = None
    if status == "ok":
        value_out = _edn_value(comp.get("value"), _at(f"event {end}", ":value"))
        output = True if f == "cas" else None if f in ("write", "acquire", "release") else value_out
    elif status == "fail" and f == "cas" and datatype == "etcd-register":
        status, output = "ok", False  # Porcupine's reading: the cas returned "compare failed"
    return Op(id=n, process=_edn_process(inv.get("process"), where, required=True), f=f, key=None,
              input=None if f == "read" else value_in, output=output, call=start,
              ret=None if status == "info" else end, status=status)


# =========================================================================== (e) notation

_NAME = r"[^\W\d]\w*"  # a letter or _ first: digits-only words are numbers
_PROCESS_LINE = re.compile(r"\s*([\w\-.]+)\s*:(.*)")
_INIT_LINE = re.compile(r"\s*init(\s.*)?")
_OP_TOKEN = re.compile(
    r"(?P<f>[RrWw])\((?P<key>\w+)\)"
    rf"(?P<value>-?[0-9]+|{_NAME}|⊥)?"
    r"(?P<mark>[?!])?"
    r"(?:@(?P<call>[0-9]+)(?:-(?P<ret>[0-9]+))?)?")
_INIT_TOKEN = re.compile(rf"(?P<key>\w+)=(?P<value>-?[0-9]+|{_NAME}|⊥)")
_NONE_WORDS = ("⊥", "NIL")  # Tanenbaum & van Steen write NIL for "never written"
_MARKS = {"?": "info", "!": "fail", None: "ok"}


def parse_notation(text: str) -> History:
    """``P1: W(x)1 R(x)2`` lines (plus ``init x=0``, ``# comments``) as a register ``History``.

    Op tokens: ``W(key)value`` / ``R(key)value`` with values ints, bare words or ``⊥``/``NIL``
    (never written); a trailing ``?`` marks an indeterminate op (``info``: ``R(x)?``,
    ``W(x)1?``) and ``!`` a failed one; ``@call-return`` (``@call`` alone for an op that never
    returned) gives times, on every op or on none. Ids follow the text: line by line, left
    to right. Errors name the line and column of the token.
    """
    text = _decode(text)
    initial: dict[str | None, Any] = {}
    seen_processes: set[str] = set()
    tokens: list[tuple[str, int, int, str, re.Match]] = []  # (process, line, column, token, match)
    for n, raw_line in enumerate(text.split("\n"), 1):
        line = raw_line.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        if _INIT_LINE.fullmatch(line) and not _PROCESS_LINE.fullmatch(line):
            _parse_init(line, n, initial)
            continue
        m = _PROCESS_LINE.fullmatch(line)
        if not m:
            raise _err("err.history.notation_line", "expected 'P1: W(x)1 R(x)2', 'init x=0' or a # comment",
                       f"line {n}, column 1")
        process = m.group(1)
        if process in seen_processes:
            raise _err("err.history.duplicate_process", f"process {process} has two lines",
                       f"line {n}, column {m.start(1) + 1}", process=process)
        seen_processes.add(process)
        for tm in re.finditer(r"\S+", m.group(2)):
            token, column = tm.group(), m.start(2) + tm.start() + 1
            om = _OP_TOKEN.fullmatch(token)
            if not om:
                raise _err("err.history.notation_token", f"cannot read '{token}' (expected e.g. W(x)1 or R(x)2)",
                           f"line {n}, column {column}", token=token)
            tokens.append((process, n, column, token, om))
            if len(tokens) > MAX_OPS:
                raise HistoryError("err.history.too_many_ops", f"more than {MAX_OPS} operations", limit=MAX_OPS)
    timed = bool(tokens) and tokens[0][4].group("call") is not None
    ops, wheres = [], []
    for i, (process, n, column, token, om) in enumerate(tokens):
        where = f"line {n}, column {column}"
        ops.append(_notation_op(i, process, token, om, timed, where))
        wheres.append(where)
    return _finish(ops, "register", initial, timed, wheres, "f")


def _parse_init(line: str, n: int, initial: dict[str | None, Any]) -> None:
    body_start = line.index("init") + len("init")
    for tm in re.finditer(r"\S+", line[body_start:]):
        token, column = tm.group(), body_start + tm.start() + 1
        im = _INIT_TOKEN.fullmatch(token)
        where = f"line {n}, column {column}"
        if not im:
            raise _err("err.history.notation_token", f"cannot read '{token}' (expected e.g. x=0)", where,
                       token=token)
        if im.group("key") in initial:
            raise _err("err.history.duplicate_initial", "this key is given twice", where,
                       name=im.group("key"))
        initial[im.group("key")] = _notation_value(im.group("value"))


def _notation_value(text: str) -> Any:
    if text in _NONE_WORDS:
        return None
    if text[0] == "-" or text[0].isdigit():
        return int(text)
    return text


def _notation_op(i: int, process: str, token: str, om: re.Match, timed: bool, where: str) -> Op:
    if (om.group("call") is not None) != timed:
        raise _err("err.history.mixed_timing", "give @call-return times on every operation or on none", where,
                   token=token)
    f = "write" if om.group("f") in "Ww" else "read"
    status = _MARKS[om.group("mark")]
    raw = om.group("value")
    # a write always names its value; a read names it exactly when it returned (status ok)
    if (raw is None) != (f == "read" and status != "ok"):
        raise _err("err.history.notation_value", f"'{token}': a write needs a value; a read needs one unless "
                   "marked ? or !", where, token=token)
    value = None if raw is None else _notation_value(raw)
    call = int(om.group("call")) if timed else None
    ret = int(om.group("ret")) if om.group("ret") is not None else None
    if timed:
        _check_status(status, call, ret, None, where, (None, None, None))
    return Op(id=i, process=process, f=f, key=om.group("key"), input=value if f == "write" else None,
              output=value if f == "read" else None, call=call, ret=ret, status=status)


def to_notation(history: History) -> str:
    """Format (e): ``init`` line if any initial value, then one line per process in program order.

    Ops are read back numbered line by line, so the round trip is exact for histories whose ids
    are 0, 1, 2, … in that order (what ``parse_notation`` produces).
    """
    _require_register(history)
    lines = []
    if history.initial:
        parts = []
        for key, value in history.initial.items():
            _check_notation_key(key, "field 'initial'")
            parts.append(f"{key}={_notation_show(value, 'field initial')}")
        lines.append("init " + " ".join(parts))
    for process, ops in history.by_process().items():
        if not re.fullmatch(r"[\w\-.]+", process):
            raise _err("err.history.not_representable", "this process name cannot be written in this format",
                       f"process {process}")
        lines.append(f"{process}: " + " ".join(_notation_token(o, history.timed) for o in ops))
    return "\n".join(lines) + ("\n" if lines else "")


def _notation_token(o: Op, timed: bool) -> str:
    where = f"op {o.id}"
    _check_register_op(o, timed)
    _check_notation_key(o.key, where)
    mark = {"ok": "", "info": "?", "fail": "!"}[o.status]
    if o.f == "write":
        body = f"W({o.key}){_notation_show(o.input, where)}{mark}"
    else:
        body = f"R({o.key}){_notation_show(o.output, where) if o.status == 'ok' else ''}{mark}"
    if timed:
        body += f"@{o.call}" + ("" if o.ret is None else f"-{o.ret}")
        if o.call is None or o.call < 0 or (o.ret is not None and o.ret < 0):
            raise _err("err.history.not_representable", "this operation cannot be written in this format", where)
    return body


def _check_notation_key(key: Any, where: str) -> None:
    if not (isinstance(key, str) and re.fullmatch(r"\w+", key)):
        raise _err("err.history.not_representable", "this key cannot be written in this format", where)


def _notation_show(value: Any, where: str) -> str:
    if value is None:
        return "⊥"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and re.fullmatch(_NAME, value) and value not in _NONE_WORDS:
        return value
    raise _err("err.history.not_representable", "this value cannot be written in this format", where)


# ============================================================================== Porcupine


def to_porcupine(history: History) -> str:
    """Porcupine ``Operation`` records, one JSON object per line, in history order.

    ``{"ClientId", "Input", "Call", "Output", "Return"}``. ``ClientId``: the process name if
    every name is a whole number, else the process's index in order of first appearance.
    ``Input`` is ``{"Op": f, "Key": key, "Value": input}``; ``Output`` is ``{"Value":
    output}`` for an ok op and ``{"Unknown": true}`` for an info op, whose ``Return`` is the
    largest time in the history + 1 (Porcupine's etcd test appends such returns after every
    other event). Failed ops had no effect and are left out (README status semantics).
    """
    if not history.timed:
        raise HistoryError("err.history.untimed_export", "Porcupine needs call and return times")
    procs = history.processes()
    numeric = all(re.fullmatch(r"-?[0-9]+", p) and str(int(p)) == p for p in procs)
    client_id = {p: int(p) if numeric else i for i, p in enumerate(procs)}
    times = [t for o in history.ops for t in (o.call, o.ret) if t is not None]
    never = (max(times) + 1) if times else 0
    lines = []
    for o in history.ops:
        if o.status == "fail":
            continue
        record = {"ClientId": client_id[o.process], "Call": o.call,
                  "Input": {"Op": o.f, "Key": o.key, "Value": thaw(o.input)},
                  "Output": {"Value": thaw(o.output)} if o.status == "ok" else {"Unknown": True},
                  "Return": o.ret if o.status == "ok" else never}
        lines.append(_dumps(record, separators=(",", ":")))
    return "".join(line + "\n" for line in lines)
