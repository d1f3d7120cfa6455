"""Eager reliable broadcast: processes ``p1`` .. ``pN``, every message relayed by everyone.

Theory of operation
-------------------
Kleppmann's Cambridge notes §4.3, "eager reliable broadcast" (after Hadzilacos & Toueg 1994):

1. **Broadcast.** The origin delivers its own message at once and sends it to every other
   process over reliable links (``protocols/broadcast_common.py``: retransmitted every
   ``retransmit_ticks`` until acknowledged).
2. **First receipt.** The first time a process receives a message, it *relays* it to every
   other process and then delivers it. Later copies (the other relays, retransmissions,
   network duplicates) are acknowledged and dropped — the ``received`` set.

Relaying is what makes the broadcast *reliable* rather than best-effort: if the origin's
copy to some process is lost, or the origin crashes halfway through sending, another
process's relay still gets the message there. The price is O(n²) messages per broadcast.

Properties (checked at every step): **Integrity** (no duplication, no creation) and
**Agreement** (once nothing is unacknowledged, all processes delivered the same messages).
No order is promised: two processes may deliver two messages in different orders, and a
reply may be delivered before its question (see ``fifo-broadcast`` and
``causal-broadcast``).

Bug variant ``volatile-received``: the set of received message ids is not written to disk.
After a crash and restart the process has forgotten which messages it already delivered,
and the next copy of one (a relay or a retransmission whose acknowledgement was lost)
is delivered again — Integrity (no duplication) breaks.

Deviations from the sources
---------------------------
- The notes assume reliable links underneath; here they are built in (acknowledgement and
  retransmission until ``horizon_ticks``), see ``broadcast_common``.
- Crash-recovery with durable state instead of crash-stop (see ``broadcast_common``).
- A process relays to every other process, including the origin and the process it got the
  message from, exactly as the notes state it (the copies are dropped as duplicates).
"""

from __future__ import annotations

from protocols.broadcast_common import (BroadcastProcess, Bcast, common_params, default_workload, invariants,
                                        process_ids)
from sim.protocol import Bug, ProtocolSpec


class ReliableProcess(BroadcastProcess):
    DURABLE = BroadcastProcess.COMMON

    def durable_fields(self):
        if self.bug == "volatile-received":  # BUG: forgets which messages it has seen when it crashes
            return tuple(f for f in self.DURABLE if f != "received")
        return self.DURABLE

    def on_broadcast(self, msg: Bcast) -> list:
        self.received.append(msg.mid)
        return self.deliver(msg) + self.send_all(msg)

    def on_receive(self, msg: Bcast, src: str) -> list:
        return self.send_all(msg) + self.deliver(msg)  # relay first, then deliver (eager RB)


SPEC = ProtocolSpec(
    id="reliable-broadcast",
    title_key="proto.reliable-broadcast.title",
    summary_key="proto.reliable-broadcast.summary",
    source="M. Kleppmann, Distributed Systems (Cambridge lecture notes) §4.3; V. Hadzilacos & S. Toueg, "
           "A Modular Approach to Fault-Tolerant Broadcasts and Related Problems, TR 94-1425, 1994",
    params=common_params("rb"),
    bugs=(Bug(id="volatile-received", description_key="rb.bug.volatile_received", breaks=("Integrity",)),),
    invariants=invariants(("integrity", "agreement"), ()),
    node_ids=process_ids,
    make_node=lambda node_id, ids, params, bug, rng: ReliableProcess(node_id, ids, params, bug, rng),
    default_workload=default_workload,
)
