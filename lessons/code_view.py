"""Show the code: which method of a protocol module handled the event of one step of a run.

Theory of operation
-------------------
A node has one door in, ``step(inp, now)`` (``sim.types``). Behind it every protocol
*dispatches* by hand: a chain of ``if isinstance(inp, Deliver)`` / ``if isinstance(msg,
RequestVote)`` / ``if inp.name == "election"`` tests, each ending in ``return self.<handler>(...)``
(Raft's ``_on_request_vote``, 2PC's ``_tm_rcv_prepared``, Multi-Paxos's ``_on_message`` which
dispatches again on the message type). There is no dispatch table to read, and the names
follow no single convention, so this module does not guess from names and keeps no map per
protocol: it **watches the dispatch happen**.

The simulator is deterministic, so the run is replayed (``sim.engine.Simulation``) up to
the step asked for, and that one call of the node is executed under ``sys.settrace``,
recording for every method of the node's class which lines ran, what it called and what it
returned. The handler is then found by the rule the protocols are written in:

    a call is a **dispatch** when the caller returns exactly the callee's result (a tail
    call, ``return self.h(...)``) and, before it, the caller only *tested* — in ``step`` any
    ``if``; below ``step`` only type tests ``isinstance(m, T)`` — or handed the callee the
    input itself (the message, the client request or its op).

Following dispatches from ``step`` gives the chain (Raft's ``Server.step`` →
``Server._on_request_vote``); its last method is the handler. When ``step`` (or a
dispatcher) does the work itself — Raft's heartbeat timer, a broadcast delivery — the
handler is that method, and the lines that ran say which branch. A crash runs no handler:
the simulator keeps the fields ``durable_fields()`` names, so that method is shown. Steps in
which no node code runs (partitions, heals, skew, dropped messages, a request to a crashed
node, the end) give a ``NoHandler`` whose ``reason`` is a translation key suffix.

Nothing here imports Streamlit. The replay costs one run up to the step; callers cache it.
"""

from __future__ import annotations

import ast
import inspect
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from sim.engine import Simulation
from sim.trace import Trace
from sim.types import ClientRequest, Deliver, Restart, Start, Timer

ROOT = Path(__file__).resolve().parents[1]
REASONS = ("fault", "dropped", "node_down", "noop", "end", "bad_step", "stopped", "mismatch")
FAULT_KINDS = ("partition", "heal", "skew", "drop", "duplicate", "delay")


@dataclass(frozen=True)
class HandlerView:
    """The method that handled one step's event at one node (see the module doc)."""

    protocol: str
    step: int
    node: str
    event: dict[str, Any]  # {"kind": "deliver", "type": "RequestVote", "src": "n1"} / timer name / client op ...
    module: str  # "protocols.raft"
    path: str  # "protocols/raft.py" (relative to the repository)
    qualname: str  # "RaftNode._on_request_vote"
    source: str  # the method's source, dedented
    first_line: int  # line of the ``def`` in ``path``
    ran_lines: tuple[int, ...]  # lines (of ``path``) that ran in the handler's own frame, in order, once each
    via: tuple[str, ...]  # the dispatch chain from ``step`` to the handler, both included
    calls: tuple[str, ...] = field(default=())  # methods of the node the handler called directly
    # the ``if`` tests that held on the way (``isinstance(msg, RequestVote)``): every one in the
    # dispatchers, and the handler's own type tests (a dispatcher that handles a type inline)
    tests: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class NoHandler:
    """No node code handled this step: ``reason`` is one of ``REASONS``, ``args`` its details."""

    step: int
    reason: str
    args: dict[str, Any] = field(default_factory=dict)


# ------------------------------------------------------------------------- what the trace says
def step_event(trace: Trace, step: int, node: str | None = None) -> dict[str, Any] | NoHandler:
    """The event a node handled at ``step`` (read from the trace alone), or why none did."""
    if not 0 <= step < trace.n_steps:
        return NoHandler(step, "bad_step", {"step": step})
    cause = trace.steps[step].cause
    events = trace.events_of_step(step)
    kinds = {e.kind: e for e in reversed(events)}  # the first event of each kind
    if cause == "end":
        return NoHandler(step, "end", {"why": str(trace.end.get("reason", ""))})
    if cause == "start":
        starts = [e.node for e in events if e.kind == "start"]
        who = node if node in starts else starts[0]
        return {"kind": "start", "node": who}
    if "deliver" in kinds:
        e = kinds["deliver"]
        return {"kind": "deliver", "node": e.node, "src": e.peer, "msg_id": e.msg_id,
                "type": str((e.payload or {}).get("type", "?"))}
    if cause == "deliver" and "drop" in kinds:
        e = kinds["drop"]
        return NoHandler(step, "dropped", {"node": e.node, "type": str((e.payload or {}).get("type", "?")),
                                           "why": str((e.detail or {}).get("reason", "?"))})
    if "timer" in kinds:
        e = kinds["timer"]
        return {"kind": "timer", "node": e.node, "name": str((e.detail or {}).get("name", "?"))}
    if "invoke" in kinds:
        e = kinds["invoke"]
        return {"kind": "client", "node": e.node, "client": e.peer, "op": dict((e.detail or {}).get("op", {}))}
    if cause == "client":
        return NoHandler(step, "node_down", {"node": next((e.node for e in events if e.node), "?")})
    for kind in ("crash", "restart"):
        if kind in kinds:
            return {"kind": kind, "node": kinds[kind].node}
    for kind in FAULT_KINDS:
        if kind in kinds:
            return NoHandler(step, "fault", {"kind": kind})
    return NoHandler(step, "noop", {"node": next((e.node for e in events if e.node), "-")})


# ---------------------------------------------------------------------------------- the replay
class _Reached(Exception):
    """The probe ran the call it was waiting for."""


class _Missed(Exception):
    """The replay went past the step without the node being called: the trace and the replay disagree."""


@dataclass
class _Frame:
    code: Any
    args: tuple[Any, ...]
    lines: list[int] = field(default_factory=list)
    returned: bool = False
    ret: Any = None
    children: list["_Frame"] = field(default_factory=list)


def _method_codes(cls: type) -> dict[Any, Callable]:
    """Every method defined on ``cls`` or a base class, by code object (the first in the MRO wins)."""
    out: dict[Any, Callable] = {}
    for klass in cls.__mro__:
        if klass is object:
            continue
        for obj in vars(klass).values():
            fn = getattr(obj, "__func__", obj)
            code = getattr(fn, "__code__", None)
            if code is not None and code not in out:
                out[code] = fn
    return out


def _traced(node: Any, fn: Callable, *args: Any) -> list[_Frame]:
    """Call ``fn(*args)`` recording every frame of a method of ``node``'s class (see the module doc)."""
    codes = _method_codes(type(node))
    frames: list[_Frame] = []
    live: dict[Any, _Frame] = {}

    def local(frame, event, arg):
        rec = live.get(frame)
        if rec is not None:
            if event == "line":
                rec.lines.append(frame.f_lineno)
            elif event == "return":
                rec.returned, rec.ret = True, arg
        return local

    def on_call(frame, event, arg):
        if event != "call" or frame.f_code not in codes:
            return None
        info = inspect.getargvalues(frame)
        rec = _Frame(frame.f_code, tuple(info.locals[a] for a in info.args[1:]))
        parent = live.get(frame.f_back)
        if parent is not None:
            parent.children.append(rec)
        frames.append(rec)
        live[frame] = rec
        return local

    previous = sys.gettrace()
    sys.settrace(on_call)
    try:
        fn(*args)
    finally:
        sys.settrace(previous)
        live.clear()  # frame objects: do not keep them (and their locals) alive
    return frames


class _Probe(Simulation):
    """A replay that records the calls of chosen nodes in chosen steps, and stops after the last one."""

    def __init__(self, scenario, targets: Mapping[int, str]) -> None:
        super().__init__(scenario)
        self.targets, self.last = dict(targets), max(targets)
        self.caught: dict[int, tuple[Any, Any, list[_Frame]]] = {}  # step -> (node object, input or None, frames)

    def _begin_step(self, cause, ref=None, chosen=False) -> None:
        super()._begin_step(cause, ref, chosen)
        if self.step_no > self.last:
            raise _Missed

    def _run_node(self, node, inp) -> None:
        if self.targets.get(self.step_no) != node:
            return super()._run_node(node, inp)
        obj = self.nodes[node]
        self.caught[self.step_no] = (obj, inp, _traced(obj, super()._run_node, node, inp))
        if self.step_no == self.last:
            raise _Reached

    def _fault(self, fi):
        f = self.sc.faults[fi]
        if f.type != "crash" or self.targets.get(self.step_no) != f.node or not self.up[f.node]:
            return super()._fault(fi)
        obj = self.nodes[f.node]
        self.caught[self.step_no] = (obj, None, _traced(obj, super()._fault, fi))
        if self.step_no == self.last:
            raise _Reached


# ------------------------------------------------------------------------------ the dispatch rule
def _statements(fn: Callable) -> tuple[list[ast.stmt], int]:
    lines, first = inspect.getsourcelines(fn)
    tree = ast.parse(textwrap.dedent("".join(lines)))
    return [n for n in ast.walk(tree) if isinstance(n, ast.stmt)], first


def _innermost(stmts: list[ast.stmt], rel_line: int) -> ast.stmt | None:
    best = None
    for s in stmts:
        if s.lineno <= rel_line <= (s.end_lineno or s.lineno):
            if best is None or (s.end_lineno or s.lineno) - s.lineno <= (best.end_lineno or best.lineno) - best.lineno:
                best = s
    return best


def _is_type_test(test: ast.expr) -> bool:
    """``isinstance(x, T)``, or ``and``/``or``/``not`` of such tests."""
    if isinstance(test, ast.BoolOp):
        return all(_is_type_test(v) for v in test.values)
    if isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _is_type_test(test.operand)
    return isinstance(test, ast.Call) and isinstance(test.func, ast.Name) and test.func.id == "isinstance"


def _only_tested(rec: _Frame, fn: Callable, in_step: bool) -> bool:
    """Did the frame only test and alias before returning (``step``: any ``if``; below: type tests, one at least)?"""
    stmts, first = _statements(fn)
    type_tests = 0
    for line in set(rec.lines):
        s = _innermost(stmts, line - first + 1)
        if isinstance(s, ast.Return) and isinstance(s.value, ast.IfExp) and not in_step:
            if not _is_type_test(s.value.test):
                return False  # ``return self.h() if self.role == LEADER else []``: a decision, not a dispatch
            type_tests += 1
            continue
        if s is None or isinstance(s, (ast.Return, ast.Pass, ast.FunctionDef)):
            continue
        if isinstance(s, ast.If) and (in_step or _is_type_test(s.test)):
            type_tests += _is_type_test(s.test)
            continue
        if (isinstance(s, ast.Assign) and all(isinstance(t, ast.Name) for t in s.targets)
                and not any(isinstance(n, ast.Call) for n in ast.walk(s.value))):
            continue  # ``msg = inp.msg``
        return False
    return in_step or type_tests > 0  # below ``step`` a dispatcher is a method that branched on a type


def _tests_that_held(rec: _Frame, fn: Callable, type_only: bool) -> list[str]:
    """The ``if`` tests of ``rec`` whose body then ran, as source text, in the order they ran."""
    stmts, first = _statements(fn)
    ran = [line - first + 1 for line in dict.fromkeys(rec.lines)]
    out: list[str] = []
    for line in ran:
        s = _innermost(stmts, line)
        if not isinstance(s, ast.If) or (type_only and not _is_type_test(s.test)):
            continue
        lo, hi = s.body[0].lineno, s.body[-1].end_lineno or s.body[-1].lineno
        if any(lo <= r <= hi for r in ran) and ast.unparse(s.test) not in out:
            out.append(ast.unparse(s.test))
    return out


def _payload(inp: Any) -> list[Any]:
    if isinstance(inp, Deliver):
        return [inp, inp.msg]
    if isinstance(inp, ClientRequest):
        return [inp, inp.op]
    return [inp] if inp is not None else []


def dispatch_chain(frames: list[_Frame], codes: Mapping[Any, Callable], inp: Any) -> list[_Frame]:
    """From the root frame, follow dispatches (the rule in the module doc); the last is the handler."""
    chain = [frames[0]]
    payload = _payload(inp)
    while True:
        rec = chain[-1]
        if not rec.returned or rec.ret is None:
            break
        tail = [k for k in rec.children if k.returned and k.ret is rec.ret]
        if not tail:
            break
        callee = tail[-1]
        in_step = len(chain) == 1
        handed = in_step and any(a is p for a in callee.args for p in payload)
        if not (handed or _only_tested(rec, codes[rec.code], in_step)):
            break
        chain.append(callee)
    return chain


def _matches(event: Mapping[str, Any], inp: Any) -> bool:
    kind = event["kind"]
    if kind == "deliver":
        return isinstance(inp, Deliver) and inp.msg_id == event["msg_id"]
    if kind == "timer":
        return isinstance(inp, Timer) and inp.name == event["name"]
    if kind == "client":
        return isinstance(inp, ClientRequest)
    return {"start": Start, "restart": Restart}.get(kind, type(None)) is type(inp)


def _rel_path(fn: Callable) -> str:
    try:
        return Path(inspect.getsourcefile(fn) or "").resolve().relative_to(ROOT).as_posix()
    except (TypeError, ValueError):
        return fn.__module__.replace(".", "/") + ".py"


def handlers_in_run(protocol_id: str, trace: Trace, steps: Any = None,
                    keep_going: Callable[[], bool] | None = None) -> dict[int, HandlerView | NoHandler]:
    """``handler_at`` for many steps (default: all) with one replay of the run."""
    if protocol_id != trace.scenario.protocol:
        raise ValueError(f"trace is a run of {trace.scenario.protocol}, not {protocol_id}")
    wanted = range(trace.n_steps) if steps is None else steps
    out: dict[int, HandlerView | NoHandler] = {}
    events: dict[int, dict[str, Any]] = {}
    for step, node in (s if isinstance(s, tuple) else (s, None) for s in wanted):
        event = step_event(trace, step, node)
        if isinstance(event, NoHandler):
            out[step] = event
        else:
            events[step] = event
    if not events:
        return out
    probe = _Probe(trace.scenario, {step: e["node"] for step, e in events.items()})
    try:
        probe.run(keep_going)
    except (_Reached, _Missed):
        pass
    for step, event in events.items():
        caught = probe.caught.get(step)
        if caught is None:
            # passed without the node being called: the replay disagrees; not reached: stopped by ``keep_going``
            out[step] = NoHandler(step, "mismatch" if step < probe.step_no else "stopped", {"step": step})
            continue
        obj, inp, frames = caught
        out[step] = (_view(protocol_id, step, event, obj, inp, frames) if frames and _matches(event, inp)
                     else NoHandler(step, "mismatch", {"step": step}))
    return dict(sorted(out.items()))


def handler_at(protocol_id: str, trace: Trace, step: int, node: str | None = None,
               keep_going: Callable[[], bool] | None = None) -> HandlerView | NoHandler:
    """The method that handled ``step``'s event (at ``node`` for the boot step, whose default is the first
    node), or why no node code ran. ``keep_going`` bounds the replay like ``sim.engine.run``'s."""
    return handlers_in_run(protocol_id, trace, [(step, node)], keep_going)[step]


def _view(protocol_id: str, step: int, event: dict[str, Any], obj: Any, inp: Any,
          frames: list[_Frame]) -> HandlerView:
    codes = _method_codes(type(obj))
    chain = dispatch_chain(frames, codes, inp) if inp is not None else frames[:1]
    fns = [codes[rec.code] for rec in chain]
    handler, fn = chain[-1], fns[-1]
    lines, first = inspect.getsourcelines(fn)
    calls = tuple(dict.fromkeys(codes[k.code].__qualname__ for k in handler.children))
    tests = [t for k, (rec, f) in enumerate(zip(chain, fns)) for t in _tests_that_held(rec, f, 0 < k == len(chain) - 1)]
    return HandlerView(protocol=protocol_id, step=step, node=event["node"], event=dict(event),
                       module=fn.__module__, path=_rel_path(fn), qualname=fn.__qualname__,
                       source=textwrap.dedent("".join(lines)), first_line=first,
                       ran_lines=tuple(dict.fromkeys(handler.lines)), via=tuple(f.__qualname__ for f in fns),
                       calls=calls, tests=tuple(tests))
