"""Reading and writing histories: five formats in, four out (documented in ``docs/histories.md``).

Theory of operation
-------------------
``read_history(data)`` bounds the input (``MAX_BYTES`` before anything is parsed, ``MAX_OPS``
before ops are built), recognises the format from its first bytes, hands it to one small
reader per format and finishes every history the same way (``format_rules.finish``): each op's ``f``
must belong to the datatype, cas/txn/append arguments must have the shape the sequential
specification (``checkers.datatypes``) unpacks, and ``checkers.history.check_well_formed``
must pass. Its errors name an op id; ``finish`` moves them back onto the line, entry or
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
import re
from typing import Any, Iterable

from checkers.datatypes import DATATYPES
from checkers.edn import read_edn
from checkers.format_rules import (REGISTER_OPS, at, check_register_op, check_status, compact, decode, dumps, err, finish, initial_to_json, initial_values, int_field, parse_json, parse_json_document, require, require_register, str_field, value_field)
from checkers.history import MAX_BYTES, MAX_OPS, History, HistoryError, Op, freeze, thaw
from checkers.notation import parse_notation, to_notation

__all__ = ["read_history", "detect_format", "infer_jsonl_datatype", "parse_notation", "to_json", "to_textbook",
           "to_notation", "to_porcupine"]

FORMAT = "consistency-lab/history"
VERSION = 1

# ============================================================================ the door in


def read_history(data: bytes | str, *, name: str = "", datatype: str | None = None) -> History:
    """Any supported history file as a ``History``; raises ``HistoryError`` naming line and field.

    ``name`` (a file name) only breaks ties: ``.edn`` is read as EDN and ``.jsonl``/``.ndjson``
    as JSON Lines; everything else is recognised by content. ``datatype`` applies to the
    formats that do not state one (JSON Lines, EDN); the others fix their own.
    """
    text = decode(data)
    if datatype is not None and datatype not in DATATYPES:
        raise HistoryError("err.history.unknown_datatype", f"unknown datatype {datatype!r}",
                           datatype=str(datatype))
    fmt = detect_format(text, name)
    if fmt == "empty":
        return History(ops=(), datatype=datatype or "register", initial={}, timed=False)
    if fmt == "jsonl":
        return _read_jsonl(text, datatype)
    if fmt == "edn":
        return read_edn(text, datatype)
    if fmt == "notation":
        return parse_notation(text)
    doc = parse_json_document(text)
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


_JSONL_FIELDS = ("id", "client", "call", "status", "op")  # required; return/key/input/output default null


def _read_jsonl(text: str, datatype: str | None) -> History:
    lines = text.split("\n")
    if sum(1 for line in lines if line.strip()) > MAX_OPS:  # before building anything
        raise HistoryError("err.history.too_many_ops", f"more than {MAX_OPS} operations", limit=MAX_OPS)
    rows: list[tuple[int, dict]] = []
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        obj = parse_json(line, lambda _l, col, n=n: f"line {n}, column {col}")
        if not isinstance(obj, dict):
            raise err("err.history.want_object", "each line must be a JSON object", f"line {n}")
        rows.append((n, obj))
    ops, wheres = [], []
    for n, obj in rows:
        where = f"line {n}"
        for field in _JSONL_FIELDS:
            require(obj, field, where)
        client = obj["client"]
        if isinstance(client, bool) or not isinstance(client, int | str) or client == "":
            raise err("err.history.want_int", "must be a whole number", at(where, "client"))
        call = int_field(obj["call"], at(where, "call"))
        ret = int_field(obj.get("return"), at(where, "return"), null=True)
        output = value_field(obj.get("output"), at(where, "output"))
        status = check_status(obj["status"], call, ret, output, where, ("status", "return", "output"))
        key = str_field(obj.get("key"), at(where, "key"), null=True, empty=True)
        ops.append(Op(id=int_field(obj["id"], at(where, "id")), process=str(client),
                      f=str_field(obj["op"], at(where, "op")), key=key,
                      input=value_field(obj.get("input"), at(where, "input")), output=output, call=call, ret=ret,
                      status=status))
        wheres.append(where)
    dt = datatype or infer_jsonl_datatype(ops, [obj.get("jepsen_type", "") for _n, obj in rows])
    return finish(ops, dt, {}, True, wheres, "op")


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
        raise err("err.history.bad_version", f"unsupported version (this app reads version {VERSION})",
                   "field 'version'", version=VERSION)
    unknown = sorted(set(doc) - {"format", "version", "datatype", "initial", "timed", "ops"})
    if unknown:
        raise err("err.history.unknown_field", "unknown field", f"field '{unknown[0]}'", field=unknown[0])
    datatype = str_field(require(doc, "datatype", "document"), "field 'datatype'")
    if datatype not in DATATYPES:
        raise HistoryError("err.history.unknown_datatype", f"unknown datatype {datatype!r}", datatype=datatype)
    timed = doc.get("timed", True)
    if not isinstance(timed, bool):
        raise err("err.history.want_bool", "must be true or false", "field 'timed'")
    initial = initial_values(doc.get("initial", {}), "field 'initial'")
    raw_ops = require(doc, "ops", "document")
    if not isinstance(raw_ops, list):
        raise err("err.history.want_list", "must be a list", "field 'ops'")
    if len(raw_ops) > MAX_OPS:
        raise HistoryError("err.history.too_many_ops", f"more than {MAX_OPS} operations", limit=MAX_OPS)
    ops, wheres = [], []
    for i, raw in enumerate(raw_ops):
        where = f"ops[{i}]"
        if not isinstance(raw, dict):
            raise err("err.history.want_object", "must be a JSON object", where)
        extra = sorted(set(raw) - _LAB_OP_FIELDS)
        if extra:
            raise err("err.history.unknown_field", "unknown field", at(where, extra[0]), field=extra[0])
        for field in ("id", "process", "f", "status"):
            require(raw, field, where)
        call = int_field(raw.get("call"), at(where, "call"), null=True)
        ret = int_field(raw.get("return"), at(where, "return"), null=True)
        output = value_field(raw.get("output"), at(where, "output"))
        status = check_status(raw["status"], call, ret, output, where, timed=timed)
        key = str_field(raw.get("key"), at(where, "key"), null=True, empty=True)
        ops.append(Op(id=int_field(raw["id"], at(where, "id")), process=str_field(raw["process"], at(where, "process")),
                      f=str_field(raw["f"], at(where, "f")), key=key,
                      input=value_field(raw.get("input"), at(where, "input")), output=output, call=call, ret=ret,
                      status=status))
        wheres.append(where)
    return finish(ops, datatype, initial, timed, wheres, "f")


def to_json(history: History) -> str:
    """Format (b), canonical: sorted keys, no spaces, one newline at the end."""
    doc = {"format": FORMAT, "version": VERSION, "datatype": history.datatype,
           "initial": initial_to_json(history.initial), "timed": history.timed,
           "ops": [{"id": o.id, "process": o.process, "f": o.f, "key": o.key, "input": thaw(o.input),
                    "output": thaw(o.output), "call": o.call, "return": o.ret, "status": o.status}
                   for o in history.ops]}
    return dumps(doc, separators=(",", ":")) + "\n"


# ========================================================================== (c) textbook JSON

_TEXTBOOK_OP_FIELDS = {"type", "key", "value", "call", "return", "status", "id"}


def _read_textbook(doc: dict) -> History:
    unknown = sorted(set(doc) - {"initial", "processes", "process_names"})
    if unknown:
        raise err("err.history.unknown_field", "unknown field", f"field '{unknown[0]}'", field=unknown[0])
    initial = initial_values(doc.get("initial", {}), "field 'initial'")
    procs = doc["processes"]
    if not isinstance(procs, list) or not all(isinstance(p, list) for p in procs):
        raise err("err.history.want_list", "must be a list of lists (one per process)", "field 'processes'")
    if sum(len(p) for p in procs) > MAX_OPS:
        raise HistoryError("err.history.too_many_ops", f"more than {MAX_OPS} operations", limit=MAX_OPS)
    names = _process_names(doc.get("process_names"), len(procs))
    raw_ops = [(f"processes[{p}][{j}]", names[p], raw) for p, proc in enumerate(procs) for j, raw in enumerate(proc)]
    for where, _name, raw in raw_ops:
        if not isinstance(raw, dict):
            raise err("err.history.want_object", "must be a JSON object", where)
    timed = _all_or_none(raw_ops, "call")
    with_ids = _all_or_none(raw_ops, "id")
    built = []
    for n, (where, name, raw) in enumerate(raw_ops):
        extra = sorted(set(raw) - _TEXTBOOK_OP_FIELDS)
        if extra:
            raise err("err.history.unknown_field", "unknown field", at(where, extra[0]), field=extra[0])
        f = str_field(require(raw, "type", where), at(where, "type"))
        if f not in REGISTER_OPS:
            raise err("err.history.bad_op", f"'{f}' is not an operation of datatype register", at(where, "type"),
                       op=f, datatype="register")
        status = raw.get("status", "ok")
        value = value_field(raw.get("value"), at(where, "value"))
        call = ret = None
        if timed:
            call = int_field(raw["call"], at(where, "call"))
            ret = int_field(require(raw, "return", where), at(where, "return"), null=True)
        elif "return" in raw:  # a return time without a call time: a typo, not an untimed op
            raise err("err.history.missing_field", "field 'call' is missing", where, field="call")
        output = value if f == "read" else None
        check_status(status, call, ret, output, where, ("status", "return", "value"), timed=timed)
        op_id = int_field(raw["id"], at(where, "id")) if with_ids else n
        built.append((op_id, where, Op(id=op_id, process=name, f=f,
                                       key=str_field(raw.get("key"), at(where, "key"), null=True, empty=True),
                                       input=value if f == "write" else None, output=output, call=call, ret=ret,
                                       status=status)))
    built.sort(key=lambda t: t[0])  # ids given: the history's order is id order
    return finish([b[2] for b in built], "register", initial, timed, [b[1] for b in built], "type")


def _process_names(raw: Any, count: int) -> list[str]:
    if raw is None:
        return [f"P{i + 1}" for i in range(count)]
    if not isinstance(raw, list) or len(raw) != count:
        raise err("err.history.bad_process_names", "must list one name per process", "field 'process_names'")
    names = [str_field(n, f"field 'process_names'[{i}]") for i, n in enumerate(raw)]
    if len(set(names)) != len(names):
        raise err("err.history.bad_process_names", "must list one name per process", "field 'process_names'")
    return names


def _all_or_none(raw_ops: list[tuple[str, str, dict]], field: str) -> bool:
    """True if every op has ``field``, False if none has; an error at the first op that differs."""
    if not raw_ops:
        return False
    first = field in raw_ops[0][2]
    for where, _name, raw in raw_ops:
        if (field in raw) != first:
            raise err("err.history.mixed_fields", f"give '{field}' for every operation or for none",
                       at(where, field), field=field)
    return first


def to_textbook(history: History) -> str:
    """Format (c), one process per line; ``id``/``status``/``process_names`` only where needed."""
    require_register(history)
    by_proc = history.by_process()
    names = list(by_proc)
    default_ids = [o.id for ops in by_proc.values() for o in ops] == list(range(len(history.ops)))
    lines = []
    for ops in by_proc.values():
        entries = []
        for o in ops:
            entry: dict[str, Any] = {"type": o.f, "key": o.key}
            check_register_op(o, history.timed)
            value = o.input if o.f == "write" else o.output
            if o.f == "write" or o.status == "ok":
                entry["value"] = thaw(value)
            if o.status != "ok":
                entry["status"] = o.status
            if history.timed:
                entry["call"], entry["return"] = o.call, o.ret
            if not default_ids:
                entry["id"] = o.id
            entries.append(compact(entry))
        lines.append("  [" + ",\n   ".join(entries) + "]")
    head = f'{{"initial": {compact(initial_to_json(history.initial))},\n'
    if names != [f"P{i + 1}" for i in range(len(names))]:
        head += f' "process_names": {compact(names)},\n'
    return head + ' "processes": [\n' + ",\n".join(lines) + "\n ]}\n"


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
        lines.append(dumps(record, separators=(",", ":")))
    return "".join(line + "\n" for line in lines)
