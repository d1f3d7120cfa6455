"""Invariant violations of a run, each with what it involves: the data behind the invariant panel.

Theory of operation
-------------------
The simulator records when each named invariant starts or stops being violated
(``Trace.invariant_changes``). A violation *episode* runs from the step where an invariant
breaks to the step where it holds again (or the end of the run). For each episode we name
what the learner should look at:

- the **nodes** the explanation names: every argument of the violation whose value is a node
  id of the run (Raft's "s1 and s3 both lead term 2" names s1 and s3);
- the **step** that broke it and the **message** whose delivery was that step's cause, if it
  was a delivery (an invariant is a predicate over node states, so the step that first makes
  it false is exactly the handler run that produced the bad state);
- when no argument names a node, the node that stepped.

Pure: a function of the trace only, so the panel, the diagram highlight and the tests agree.
"""

from __future__ import annotations

from typing import Any, Mapping, NamedTuple

from sim.trace import Trace


class Episode(NamedTuple):
    invariant: str  # the invariant's canonical name
    start: int  # step at which it broke
    end: int | None  # step at which it held again, or None if it was still violated at the end
    key: str  # translation key of the explanation
    args: Mapping[str, Any]  # its arguments
    nodes: tuple[str, ...]  # nodes involved, in lane order
    msg_id: str | None  # the message whose delivery broke it, if the breaking step was a delivery


def _involved_nodes(trace: Trace, step: int, args: Mapping[str, Any]) -> tuple[str, ...]:
    named = {v for v in args.values() if isinstance(v, str) and v in trace.nodes}
    if not named:
        named = {e.node for e in trace.events_of_step(step) if e.node is not None and e.kind != "violation"}
    return tuple(n for n in trace.nodes if n in named)


def episodes(trace: Trace) -> list[Episode]:
    """Every violation episode of the run, in the order they started."""
    open_: dict[str, int] = {}
    out: list[Episode] = []
    for step, name, violation in trace.invariant_changes:
        if name in open_:  # the explanation changed or it holds again: close the running episode
            k = open_.pop(name)
            out[k] = out[k]._replace(end=step)
        if violation is None:
            continue
        args = dict(violation.get("args") or {})
        info = trace.steps[step]
        msg_id = info.ref if info.cause == "deliver" else None
        open_[name] = len(out)
        out.append(Episode(invariant=name, start=step, end=None, key=str(violation.get("key", "")), args=args,
                           nodes=_involved_nodes(trace, step, args), msg_id=msg_id))
    return out


def active_at(eps: list[Episode], step: int) -> list[Episode]:
    """The episodes under way after ``step``."""
    return [e for e in eps if e.start <= step and (e.end is None or step < e.end)]
