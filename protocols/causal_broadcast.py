"""Causal broadcast: vector clocks and a hold-back queue, over eager reliable broadcast.

Theory of operation
-------------------
Birman, Schiper & Stephenson 1991 (the CBCAST delivery rule); Kleppmann's Cambridge notes
§4.3 ("causal broadcast algorithm"):

1. **Broadcast.** Process ``i`` increments its own entry of its vector clock ``vc`` and
   stamps the message with the result ``V_m``: ``V_m[i]`` numbers i's messages, and
   ``V_m[k]`` for ``k ≠ i`` counts the messages of ``k`` that ``i`` had delivered — the
   message's causal past. It delivers its own message at once and sends it over eager
   reliable broadcast (relays, retransmission: ``reliable_broadcast``, ``broadcast_common``).
2. **Hold back.** A receiver ``i`` puts the message into its ``holdback`` queue (shown in the
   state table) and delivers a message from ``j`` when

       V_m[j] = V_i[j] + 1   (it is the next message from j)   and
       V_m[k] ≤ V_i[k] for every k ≠ j   (everything j had delivered, i has delivered),

   then sets ``V_i[j] = V_m[j]``. One delivery may release further held-back messages.

Properties (checked at every step): **Integrity**, **Agreement**, **FIFO order** and
**Causal order** — if broadcast(m1) → broadcast(m2), no process delivers m2 before m1. In
the preset ``causal-broadcast-question-before-reply`` p3 receives p2's reply (stamped
``[p1:1, p2:1]``) before p1's question and holds it back until the question is delivered.
Concurrent messages may still be delivered in different orders (no total order).

Bug variant ``sender-entry-only``: the receiver checks only ``V_m[j] = V_i[j] + 1`` and not the
other entries — that is FIFO broadcast, and the reply can again overtake the question.

Deviations from the sources
---------------------------
- CBCAST runs inside ISIS process groups with view changes and flushes; here the group is
  fixed and links are made reliable by retransmission until ``horizon_ticks``.
- Crash-recovery with durable state (vector clock and hold-back queue included) instead of
  the papers' fail-stop model (see ``broadcast_common``).
"""

from __future__ import annotations

from protocols.broadcast_common import (BroadcastProcess, Bcast, as_msg, common_params, default_workload,
                                        invariants, process_ids)
from sim.protocol import Bug, ProtocolSpec


class CausalProcess(BroadcastProcess):
    DURABLE = BroadcastProcess.COMMON[:3] + ("vc", "holdback") + BroadcastProcess.COMMON[3:]
    COPY_ON_WRITE = ("unacked", "vc")

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.vc: dict[str, int] = {p: 0 for p in self.peers}
        self.holdback: list[dict] = []

    def stamp(self, mid: str) -> dict:
        self.vc = {**self.vc, self.node_id: self.vc[self.node_id] + 1}
        return {"vc": dict(self.vc)}

    def on_broadcast(self, msg: Bcast) -> list:
        self.received.append(msg.mid)
        return self.deliver(msg) + self.send_all(msg)

    def on_receive(self, msg: Bcast, src: str) -> list:
        self.holdback = self.holdback + [{"mid": msg.mid, "origin": msg.origin, "seq": msg.seq, "value": msg.value,
                                          "stamp": msg.stamp}]
        return self.send_all(msg) + self.drain(self._deliverable, self._deliver_held)

    def _deliverable(self, h: dict) -> bool:
        j, v_m = h["origin"], h["stamp"]["vc"]
        if v_m[j] != self.vc[j] + 1:
            return False
        if self.bug == "sender-entry-only":  # BUG: the other entries (the causal past) are not checked
            return True
        return all(v_m[k] <= self.vc[k] for k in self.vc if k != j)

    def _deliver_held(self, h: dict) -> list:
        j = h["origin"]
        self.vc = {**self.vc, j: h["stamp"]["vc"][j]}
        return self.deliver(as_msg(h))


SPEC = ProtocolSpec(
    id="causal-broadcast",
    title_key="proto.causal-broadcast.title",
    summary_key="proto.causal-broadcast.summary",
    source="K. Birman, A. Schiper & P. Stephenson, Lightweight Causal and Atomic Group Multicast, ACM TOCS 9(3), "
           "1991; M. Kleppmann, Distributed Systems (Cambridge lecture notes) §4.3",
    params=common_params("cb"),
    bugs=(Bug(id="sender-entry-only", description_key="cb.bug.sender_entry_only", breaks=("Causal order",)),),
    invariants=invariants(("integrity", "agreement", "fifo", "causal"), ("holdback",)),
    node_ids=process_ids,
    make_node=lambda node_id, ids, params, bug, rng: CausalProcess(node_id, ids, params, bug, rng),
    default_workload=default_workload,
)
