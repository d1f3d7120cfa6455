"""Jepsen / Knossos EDN histories: invocations and completions paired per process the way
``knossos.history/complete`` does it (an ``:ok`` takes its values from the completion, a
``:fail`` becomes ``fail``, an ``:info`` or a missing completion becomes ``info``, an
``:info`` with no outstanding invocation is a nemesis event and is skipped). Parsed with
``edn_format`` and no tag handlers of ours; positions in the vector are ``call``/``return``.
"""

from __future__ import annotations

import math
import re
from typing import Any

import edn_format

from checkers.format_rules import MAX_DEPTH, at, err, finish
from checkers.history import MAX_OPS, History, HistoryError, Op, freeze

MAX_EDN_EVENTS = 3 * MAX_OPS  # two events per op plus room for nemesis events

_EDN_TYPES = ("invoke", "ok", "fail", "info")


def read_edn(text: str, datatype: str | None) -> History:
    if text.count(":invoke") > MAX_OPS:  # cheap upper bound on the ops, before the (slow) parser
        raise HistoryError("err.history.too_many_ops", f"more than {MAX_OPS} operations", limit=MAX_OPS)
    events = _edn_events(_edn_parse(text))
    outstanding: dict[str, tuple[int, dict]] = {}
    pairs: list[tuple[int, dict, int | None, dict | None]] = []
    for i, ev in enumerate(events):
        where = f"event {i}"
        kind = ev.get("type")
        if kind not in _EDN_TYPES:
            raise err("err.history.edn_type", "':type' must be :invoke, :ok, :fail or :info", at(where, ":type"))
        process = _edn_process(ev.get("process"), where, required=kind != "info")
        if kind == "invoke":
            if process in outstanding:
                raise err("err.history.overlap_in_process",
                           f"process {process} starts an operation before its previous one returned",
                           where, process=process)
            outstanding[process] = (i, ev)
        elif process in outstanding:
            start, inv = outstanding.pop(process)
            pairs.append((start, inv, i, ev))
        elif kind != "info":  # an :info with no invocation is a nemesis event: not a client op
            raise err("err.history.edn_no_invoke", "a completion without an invocation", where)
    pairs.extend((start, inv, None, None) for start, inv in outstanding.values())
    pairs.sort(key=lambda p: p[0])  # ids in call order, as in the converted JSON Lines files
    fs = {inv.get("f") for _s, inv, _e, _c in pairs}
    dt = datatype or ("knossos-multi-register" if "txn" in fs else
                      "knossos-mutex" if fs & {"acquire", "release"} else "knossos-cas-register")
    ops = [_edn_op(n, start, inv, end, comp, dt) for n, (start, inv, end, comp) in enumerate(pairs)]
    return finish(ops, dt, {}, True, [f"event {p[0]}" for p in pairs], ":f")


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
            raise err("err.history.edn_not_map", "each event must be a map {:type ... :f ...}", f"event {i}")
        out.append({name(k): name(v) for k, v in item.items()})
    return out


def _edn_process(value: Any, where: str, *, required: bool) -> str | None:
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
        raise err("err.history.want_int", "must be a whole number", at(where, ":process"))
    return str(value)


def _edn_value(value: Any, where: str, depth: int = 0) -> Any:
    """EDN → hashable Python: keywords become strings, vectors/lists tuples, maps sorted pairs."""
    from edn_format import ImmutableDict, ImmutableList, Keyword

    if depth > MAX_DEPTH:
        raise err("err.history.too_deep", "a value is nested too deeply", where, limit=MAX_DEPTH)
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
    raise err("err.history.bad_value", "unsupported value", where)


def _edn_op(n: int, start: int, inv: dict, end: int | None, comp: dict | None, datatype: str) -> Op:
    """One invocation and its completion as an Op (``knossos.history/complete``)."""
    where = f"event {start}"
    f = inv.get("f")
    if not isinstance(f, str) or not f:
        raise err("err.history.want_string", "must be a non-empty text", at(where, ":f"))
    value_in = _edn_value(inv.get("value"), at(where, ":value"))
    kind = comp.get("type") if comp else "info"
    status = {"ok": "ok", "fail": "fail", "info": "info"}[kind]
    output = None
    if status == "ok":
        value_out = _edn_value(comp.get("value"), at(f"event {end}", ":value"))
        output = True if f == "cas" else None if f in ("write", "acquire", "release") else value_out
    elif status == "fail" and f == "cas" and datatype == "etcd-register":
        status, output = "ok", False  # Porcupine's reading: the cas returned "compare failed"
    return Op(id=n, process=_edn_process(inv.get("process"), where, required=True), f=f, key=None,
              input=None if f == "read" else value_in, output=output, call=start,
              ret=None if status == "info" else end, status=status)
