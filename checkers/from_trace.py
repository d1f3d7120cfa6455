"""The client history of a simulator run: its ``invoke``/``return`` events as a ``History``.

Theory of operation
-------------------
``sim.engine`` records an ``invoke`` event when it hands a workload request to a node
(``detail = {"client", "op", "op_index"}``) and a ``return`` event for every ``Reply``
effect (``detail = {"client", "result"}``). ``history_from_trace`` pairs them into ops,
like Jepsen pairs invocations with completions:

* **Pairing.** A reply names its client, not its request. It completes the client's one
  outstanding invocation at the replying node, or — if there is none there — the client's
  one outstanding invocation anywhere (a request forwarded to another node). If that is
  ambiguous (two requests of the client outstanding at the node, e.g. a Raft leader that
  appended one request and then, deposed, redirects the next one at once), no pairing can
  be trusted: the client is *tainted*, and from then on all its outstanding and later ops
  are ``info`` (they may or may not have taken effect; their outputs are not claimed).
  That is sound — it never makes a correct run look non-linearizable — and it only costs
  outputs. A return with nothing outstanding (a repeated reply) is ignored.
* **Indeterminate replies.** A result ``{"indeterminate": true, ...}`` (a store's "timed out:
  it may or may not have happened", like Jepsen's ``:info`` completion) pairs like any reply,
  so the client's later replies stay pairable, but the op stays ``info`` and its process
  stays busy: the op may still take effect, so the client's next op runs as a fresh process.
* **Status.** A result ``{"ok": false, ...}`` or with an ``"error"`` field → ``fail`` (it
  had no effect: Knossos's reading, also for a cas whose compare failed); any other
  result → ``ok``; no return by ``upto_step`` → ``info`` (indeterminate, ``ret`` None).
* **Op mapping** (register/kv style, ``{"f"|"type": ..., "key": ..., "value"|"input": ...}``):
  ``f`` is the op's ``f``, else its ``type``; ``key`` its ``key`` (as text) or None;
  ``input`` its ``value``/``input`` — for a ``cas``, ``[from, to]`` from ``value`` or from
  ``from``/``to`` (``expected``/``new``). ``output`` is the result's ``value``/``output``;
  else, for a cas, True; else the single field the result has besides ``ok`` (the
  two-phase-commit reply ``{"outcome": "committed"}`` gives ``"committed"``); else the
  remaining fields frozen, or None.
* **Time.** ``call``/``ret`` are sim times, which several events can share (a node may
  reply in the same step, at the same instant, as the request). Such events are still
  ordered — by event index — so each time becomes ``time·S + r``, where ``r`` is the
  event's rank among the client events of that instant and ``S`` the largest number of
  client events at one instant. With no shared instants ``S = 1`` and the times are the
  sim times themselves; otherwise order and real-time precedence (``A.ret < B.call``) are
  exactly those of the event indices.
* **Processes.** A client is a process, and a process runs one op at a time (Herlihy &
  Wing 1990). A client that invokes while one of its ops is outstanding continues as a
  fresh process ``client#2``, ``client#3`` … (the first free one), as Jepsen moves a client
  to a new process id after an indeterminate op.
* **Datatype.** ``register``, unless an op is ``cas`` (``cas-register``) or
  ``get``/``put``/``append`` (``kv``).

The second value returned maps each op id to (invoke event index, return event index or
None): what the message-sequence diagram needs to draw the op on its node's line.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Mapping

from checkers.history import History, Op, check_well_formed, freeze

if TYPE_CHECKING:  # only ``trace.events`` is read, so tests may pass any object that has it
    from sim.trace import Trace


def history_from_trace(trace: "Trace", upto_step: int | None = None
                       ) -> tuple[History, dict[int, tuple[int, int | None]]]:
    """The history of the client ops invoked up to and including step ``upto_step`` (all: None)."""
    events = [e for e in trace.events if e.kind in ("invoke", "return")
              and (upto_step is None or e.step <= upto_step)]
    clock = _tiebroken_times(events)
    invokes: dict[int, Any] = {}  # op id -> invoke event
    returns: dict[int, Any] = {}  # op id -> return event
    process_of: dict[int, str] = {}
    outstanding: dict[str, list[int]] = {}  # client -> op ids not yet returned, oldest first
    busy: set[str] = set()  # processes with an outstanding op
    tainted: set[str] = set()  # clients whose replies can no longer be paired for sure
    for e in events:
        client = str(e.detail.get("client"))
        if e.kind == "invoke":
            op_id = len(invokes)
            invokes[op_id] = e
            process_of[op_id] = _free_process(client, busy)
            busy.add(process_of[op_id])
            outstanding.setdefault(client, []).append(op_id)
        elif client not in tainted:
            candidates = _reply_candidates(e, outstanding.get(client, []), invokes)
            if len(candidates) > 1:
                tainted.add(client)  # every op of this client still open stays info
                continue
            if not candidates:
                continue  # a repeated reply: its op already completed
            op_id = candidates[0]
            outstanding[client].remove(op_id)
            if is_indeterminate(e.detail.get("result")):
                continue  # info for good, and its process never frees up
            busy.discard(process_of[op_id])
            returns[op_id] = e
    ops = [_op(op_id, process_of[op_id], inv, returns.get(op_id), clock) for op_id, inv in invokes.items()]
    datatype = _datatype(ops)
    # the simulator's stores answer a read of a key nobody wrote with None (absent), not with
    # the "" of Porcupine's kv model, so every key starts absent
    initial = {o.key: None for o in ops} if datatype == "kv" else {}
    history = History(ops=tuple(ops), datatype=datatype, initial=initial, timed=True)
    mapping = {op_id: (inv.i, returns[op_id].i if op_id in returns else None) for op_id, inv in invokes.items()}
    return check_well_formed(history), mapping


def is_indeterminate(result: Any) -> bool:
    """A reply saying the op may or may not have taken effect (see the module doc)."""
    return isinstance(result, Mapping) and result.get("indeterminate") is True


def _tiebroken_times(events: list) -> dict[int, int]:
    """Event index -> ``time·S + rank within its instant`` (see the module doc)."""
    rank: dict[int, int] = {}
    count: dict[int, int] = {}
    for e in events:  # events are in index order, and sim time never goes back
        rank[e.i] = count.get(e.time, 0)
        count[e.time] = rank[e.i] + 1
    scale = max(count.values(), default=1)
    return {e.i: e.time * scale + rank[e.i] for e in events}


def _free_process(client: str, busy: set[str]) -> str:
    if client not in busy:
        return client
    k = 2
    while f"{client}#{k}" in busy:
        k += 1
    return f"{client}#{k}"


def _reply_candidates(ret: Any, outstanding: list[int], invokes: Mapping[int, Any]) -> list[int]:
    """The outstanding ops this reply may complete: those sent to the replying node, else all."""
    at_node = [op_id for op_id in outstanding if invokes[op_id].node == ret.node]
    return at_node or list(outstanding)


def _op(op_id: int, process: str, inv: Any, ret: Any | None, clock: Mapping[int, int]) -> Op:
    request = inv.detail.get("op") or {}
    f, key, arg = op_fields(request)
    status, output = ("info", None) if ret is None else result_fields(f, ret.detail.get("result"))
    return Op(id=op_id, process=process, f=f, key=key, input=arg, output=output, call=clock[inv.i],
              ret=None if ret is None else clock[ret.i], status=status)


def op_fields(request: Mapping[str, Any]) -> tuple[str, str | None, Any]:
    """(f, key, input) of a client request dict (mapping in the module doc)."""
    f = str(request.get("f", request.get("type", "?")))
    key = request.get("key")
    if f == "cas":
        if "from" in request or "to" in request:
            arg = (request.get("from"), request.get("to"))
        elif "expected" in request or "new" in request:
            arg = (request.get("expected"), request.get("new"))
        else:
            arg = request.get("value", request.get("input"))
    else:
        arg = request.get("value", request.get("input"))
    return f, None if key is None else str(key), freeze(arg)


def result_fields(f: str, result: Any) -> tuple[str, Any]:
    """(status, output) of a reply's result (mapping in the module doc)."""
    if not isinstance(result, Mapping):
        return "ok", freeze(result)
    if is_indeterminate(result):
        return "info", None
    if result.get("ok") is False or "error" in result:
        return "fail", None
    for name in ("value", "output"):
        if name in result:
            return "ok", freeze(result[name])
    if f == "cas":
        return "ok", True
    rest = {k: v for k, v in result.items() if k != "ok"}
    if len(rest) == 1:
        return "ok", freeze(next(iter(rest.values())))
    return "ok", freeze(rest) if rest else None


def _datatype(ops: list[Op]) -> str:
    fs = {o.f for o in ops}
    if fs & {"get", "put", "append"}:
        return "kv"
    return "cas-register" if "cas" in fs else "register"
