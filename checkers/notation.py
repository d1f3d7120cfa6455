"""The compact textbook notation, one line per process: ``P1: W(x)1 R(x)2`` (Tanenbaum &
van Steen, *Distributed Systems* §7), with an optional ``init x=0`` line, ``?``/``!`` marks
for indeterminate / failed ops, ``@call-return`` times and ``#`` comments. ``NIL`` and ``⊥``
are the never-written initial value.
"""

from __future__ import annotations

import re
from typing import Any

from checkers.format_rules import check_register_op, check_status, decode, err, finish, require_register
from checkers.history import MAX_OPS, History, HistoryError, Op

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
    text = decode(text)
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
            raise err("err.history.notation_line", "expected 'P1: W(x)1 R(x)2', 'init x=0' or a # comment",
                       f"line {n}, column 1")
        process = m.group(1)
        if process in seen_processes:
            raise err("err.history.duplicate_process", f"process {process} has two lines",
                       f"line {n}, column {m.start(1) + 1}", process=process)
        seen_processes.add(process)
        for tm in re.finditer(r"\S+", m.group(2)):
            token, column = tm.group(), m.start(2) + tm.start() + 1
            om = _OP_TOKEN.fullmatch(token)
            if not om:
                raise err("err.history.notation_token", f"cannot read '{token}' (expected e.g. W(x)1 or R(x)2)",
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
    return finish(ops, "register", initial, timed, wheres, "f")


def _parse_init(line: str, n: int, initial: dict[str | None, Any]) -> None:
    body_start = line.index("init") + len("init")
    for tm in re.finditer(r"\S+", line[body_start:]):
        token, column = tm.group(), body_start + tm.start() + 1
        im = _INIT_TOKEN.fullmatch(token)
        where = f"line {n}, column {column}"
        if not im:
            raise err("err.history.notation_token", f"cannot read '{token}' (expected e.g. x=0)", where,
                       token=token)
        if im.group("key") in initial:
            raise err("err.history.duplicate_initial", "this key is given twice", where,
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
        raise err("err.history.mixed_timing", "give @call-return times on every operation or on none", where,
                   token=token)
    f = "write" if om.group("f") in "Ww" else "read"
    status = _MARKS[om.group("mark")]
    raw = om.group("value")
    # a write always names its value; a read names it exactly when it returned (status ok)
    if (raw is None) != (f == "read" and status != "ok"):
        raise err("err.history.notation_value", f"'{token}': a write needs a value; a read needs one unless "
                   "marked ? or !", where, token=token)
    value = None if raw is None else _notation_value(raw)
    call = int(om.group("call")) if timed else None
    ret = int(om.group("ret")) if om.group("ret") is not None else None
    if timed:
        check_status(status, call, ret, None, where, (None, None, None))
    return Op(id=i, process=process, f=f, key=om.group("key"), input=value if f == "write" else None,
              output=value if f == "read" else None, call=call, ret=ret, status=status)


def to_notation(history: History) -> str:
    """Format (e): ``init`` line if any initial value, then one line per process in program order.

    Ops are read back numbered line by line, so the round trip is exact for histories whose ids
    are 0, 1, 2, … in that order (what ``parse_notation`` produces).
    """
    require_register(history)
    lines = []
    if history.initial:
        parts = []
        for key, value in history.initial.items():
            _check_notation_key(key, "field 'initial'")
            parts.append(f"{key}={_notation_show(value, 'field initial')}")
        lines.append("init " + " ".join(parts))
    for process, ops in history.by_process().items():
        if not re.fullmatch(r"[\w\-.]+", process):
            raise err("err.history.not_representable", "this process name cannot be written in this format",
                       f"process {process}")
        lines.append(f"{process}: " + " ".join(_notation_token(o, history.timed) for o in ops))
    return "\n".join(lines) + ("\n" if lines else "")


def _notation_token(o: Op, timed: bool) -> str:
    where = f"op {o.id}"
    check_register_op(o, timed)
    _check_notation_key(o.key, where)
    mark = {"ok": "", "info": "?", "fail": "!"}[o.status]
    if o.f == "write":
        body = f"W({o.key}){_notation_show(o.input, where)}{mark}"
    else:
        body = f"R({o.key}){_notation_show(o.output, where) if o.status == 'ok' else ''}{mark}"
    if timed:
        body += f"@{o.call}" + ("" if o.ret is None else f"-{o.ret}")
        if o.call is None or o.call < 0 or (o.ret is not None and o.ret < 0):
            raise err("err.history.not_representable", "this operation cannot be written in this format", where)
    return body


def _check_notation_key(key: Any, where: str) -> None:
    if not (isinstance(key, str) and re.fullmatch(r"\w+", key)):
        raise err("err.history.not_representable", "this key cannot be written in this format", where)


def _notation_show(value: Any, where: str) -> str:
    if value is None:
        return "⊥"
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and re.fullmatch(_NAME, value) and value not in _NONE_WORDS:
        return value
    raise err("err.history.not_representable", "this value cannot be written in this format", where)
