"""Any protocol's run as process events with the simulator's clocks, and a bounded window of them.

Theory of operation
-------------------
The Logical Clocks page shows two sources. The textbook run (``viz.clock_events``) reads the
clocks the ``logical-clocks`` protocol keeps itself. Every other protocol keeps no clocks of its
own, but the simulator stamps each event that happens *at a node* with a Lamport clock and a
vector clock (``sim.engine``, rules in ``sim.causality``). ``simulator_events`` turns those
events into the same ``ClockEvent`` tuples, so the page's diagram, pickers, explanations and
order table (``viz.clock_events.clock_figure``, ``ui.clocks_view``) work unchanged.

Which events count — exactly the ones ``sim.causality`` gives a clock:

- ``send``: a ``send`` event (even one the network then loses: it still happened at the sender);
- ``receive``: a ``deliver`` event (IR2: the clock merges the one the message carried); a
  duplicate copy's delivery joins the *original* send's arrow (``msg_id`` is the original's);
- ``local``: every other clocked event at a node — ``start`` (boot), ``timer``, ``invoke``
  (a client request arrives), ``return`` (the reply), ``note``, ``crash``, ``restart``.
  ``sub`` keeps the trace kind, ``info`` a short translated detail (timer name, note text...).

Network events (``drop``, ``duplicate``, ``delay``, ``partition``, ``heal``, ``skew``) and the
run's ``end``/``violation`` markers have no clock: they are not events of any process
(Lamport 1978) and are not drawn. Since every counted event ticks its own node's entry, the
k-th event of process p_i has V[i] = k — what the diagram lets a learner check.

Long runs stay usable: ``clock_window`` keeps at most ``MAX_EVENTS`` events from a first step
on, cut at a step boundary when it can (the page says which steps and how many events it shows).
The happens-before relation of two shown events does not depend on the window: it is read
from their full vector clocks.

Deviations from the sources: the textbook (Lamport 1978, Fidge 1988, Mattern 1989) counts
only local events, sends and receives; here boots, timer firings, client requests and replies
and notes are the "local events", so a process's first event (its boot) has L=1 but a
protocol's first message is rarely sent at L=1.

Pure: no Streamlit, no clock, no randomness.
"""

from __future__ import annotations

from typing import Callable, NamedTuple, Sequence

from sim.trace import Trace
from viz.clock_events import ClockEvent
from viz.tables import event_detail

MAX_EVENTS = 30  # events drawn at once: each gets its own column, so its clock labels stay readable
LOCAL_KINDS = ("start", "timer", "invoke", "return", "note", "crash", "restart")


def simulator_events(trace: Trace, t: Callable[..., str] | None = None) -> tuple[ClockEvent, ...]:
    """Every clocked event at a node, in execution order, with the simulator's clocks (see module doc).

    ``t`` translates the local events' detail (``info``); without it ``info`` is empty."""
    lane = {n: k for k, n in enumerate(trace.nodes)}
    count = dict.fromkeys(trace.nodes, 0)
    alias: dict[str, str] = {}  # duplicate copy id -> original message id
    sent_at: dict[str, int] = {}  # message id -> the send's Lamport clock (the message's timestamp)
    out: list[ClockEvent] = []
    for e in trace.events:
        if e.kind == "duplicate" and e.msg_id and (e.detail or {}).get("of"):
            alias[e.msg_id] = alias.get(e.detail["of"], e.detail["of"])
        if e.vc is None or e.lamport is None or e.node not in lane:
            continue
        count[e.node] += 1
        mtype = str((e.payload or {}).get("type", "")) if e.payload else ""
        ts = None
        if e.kind == "send":
            kind, peer, mid, sub, info = "send", e.peer, e.msg_id, None, mtype
            sent_at[e.msg_id] = e.lamport
        elif e.kind == "deliver":
            mid = alias.get(e.msg_id, e.msg_id)
            kind, peer, sub, info, ts = "receive", e.peer, None, mtype, sent_at.get(mid)
        else:
            kind, peer, mid, sub = "local", None, None, e.kind
            if e.kind == "timer":  # "timer fires: election" (event_detail would repeat "timer")
                info = str((e.detail or {}).get("name", ""))
            else:
                info = event_detail(e, t) if t is not None else ""
        out.append(ClockEvent(i=e.i, node=e.node, lane=lane[e.node], k=count[e.node], kind=kind, peer=peer,
                              msg_id=mid, lamport=int(e.lamport), vc=tuple(int(x) for x in e.vc), ts=ts,
                              step=e.step, time=e.time, sub=sub, info=info))
    return tuple(out)


class ClockWindow(NamedTuple):
    events: tuple[ClockEvent, ...]  # the events shown
    total: int  # events of the whole run
    first_step: int  # step of the first event shown (-1 if none)
    last_step: int  # step of the last event shown (-1 if none)
    before: int  # events of the run before the window
    after: int  # events of the run after it

    @property
    def clipped(self) -> bool:
        return bool(self.before or self.after)


def clock_window(events: Sequence[ClockEvent], first_step: int = 0, max_events: int = MAX_EVENTS) -> ClockWindow:
    """At most ``max_events`` events, from the first one at or after ``first_step``; a step cut in
    the middle is left out whole unless it is the only one (so no step shows half its events)."""
    if max_events < 1:
        raise ValueError("max_events must be at least 1")
    start = next((k for k, e in enumerate(events) if e.step >= first_step), len(events))
    end = min(len(events), start + max_events)
    if end < len(events) and end > start and events[end].step == events[end - 1].step:
        cut = end
        while cut > start and events[cut - 1].step == events[end].step:
            cut -= 1
        end = cut if cut > start else end  # one huge step: show its first max_events events
    shown = tuple(events[start:end])
    return ClockWindow(events=shown, total=len(events), first_step=shown[0].step if shown else -1,
                       last_step=shown[-1].step if shown else -1, before=start, after=len(events) - end)


def window_starts(events: Sequence[ClockEvent]) -> list[int]:
    """The distinct steps that have events: the useful first steps of a window (for the slider)."""
    return sorted({e.step for e in events})
