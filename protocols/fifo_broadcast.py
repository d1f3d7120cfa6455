"""FIFO broadcast: per-sender sequence numbers and a hold-back queue, over eager reliable broadcast.

Theory of operation
-------------------
Kleppmann's Cambridge notes §4.3 ("FIFO broadcast algorithm"):

1. **Broadcast.** The origin numbers its messages 1, 2, 3, … (``seq``), delivers its own
   message at once and sends it over eager reliable broadcast (every process relays it on
   first receipt; links retransmit until acknowledged — see ``reliable_broadcast`` and
   ``broadcast_common``).
2. **Hold back.** A process puts every message it receives into its ``holdback`` queue (shown
   in the state table) and delivers a message from origin ``j`` only when its ``seq`` is
   ``next_seq[j]``, the next one it expects from ``j``; it then increments ``next_seq[j]``.
   One delivery may release further held-back messages of the same origin.

Properties (checked at every step): **Integrity**, **Agreement** and **FIFO order** (each
origin's messages are delivered in the order it broadcast them). FIFO broadcast says nothing
about messages of *different* origins: if p1 asks a question and p2 replies after
delivering it, p3 may deliver the reply before the question (preset
``fifo-broadcast-reply-before-question``; ``causal-broadcast`` fixes it).

Bug variant ``no-holdback``: a process delivers every message as soon as it arrives,
ignoring sequence numbers; when a relay or retransmission overtakes an earlier message of
the same origin, FIFO order breaks.

Deviations from the sources
---------------------------
- Crash-recovery with durable state (the hold-back queue included) instead of crash-stop;
  links retransmit until ``horizon_ticks`` (see ``broadcast_common``).
"""

from __future__ import annotations

from protocols.broadcast_common import (BroadcastProcess, Bcast, as_msg, common_params, default_workload,
                                        invariants, process_ids)
from sim.protocol import Bug, ProtocolSpec


class FifoProcess(BroadcastProcess):
    DURABLE = BroadcastProcess.COMMON[:3] + ("next_seq", "holdback") + BroadcastProcess.COMMON[3:]
    COPY_ON_WRITE = ("unacked", "next_seq")

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.next_seq: dict[str, int] = {p: 1 for p in self.peers}  # the next seq expected from each origin
        self.holdback: list[dict] = []  # received, not yet deliverable

    def on_broadcast(self, msg: Bcast) -> list:
        self.received.append(msg.mid)
        self.next_seq = {**self.next_seq, self.node_id: msg.seq + 1}
        return self.deliver(msg) + self.send_all(msg)

    def on_receive(self, msg: Bcast, src: str) -> list:
        self.holdback = self.holdback + [{"mid": msg.mid, "origin": msg.origin, "seq": msg.seq, "value": msg.value,
                                          "stamp": msg.stamp}]
        return self.send_all(msg) + self.drain(self._deliverable, self._deliver_held)

    def _deliverable(self, h: dict) -> bool:
        if self.bug == "no-holdback":  # BUG: deliver on arrival
            return True
        return h["seq"] == self.next_seq[h["origin"]]

    def _deliver_held(self, h: dict) -> list:
        self.next_seq = {**self.next_seq, h["origin"]: max(self.next_seq[h["origin"]], h["seq"] + 1)}
        return self.deliver(as_msg(h))


SPEC = ProtocolSpec(
    id="fifo-broadcast",
    title_key="proto.fifo-broadcast.title",
    summary_key="proto.fifo-broadcast.summary",
    source="M. Kleppmann, Distributed Systems (Cambridge lecture notes) §4.3; V. Hadzilacos & S. Toueg 1994",
    params=common_params("fb"),
    bugs=(Bug(id="no-holdback", description_key="fb.bug.no_holdback", breaks=("FIFO order",)),),
    invariants=invariants(("integrity", "agreement", "fifo"), ("holdback",)),
    node_ids=process_ids,
    make_node=lambda node_id, ids, params, bug, rng: FifoProcess(node_id, ids, params, bug, rng),
    default_workload=default_workload,
)
