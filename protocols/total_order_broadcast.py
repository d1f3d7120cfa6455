"""Total order (atomic) broadcast: a fixed sequencer, or Lamport timestamps with acknowledgements.

Theory of operation
-------------------
Défago, Schiper & Urbán 2004 (the "fixed sequencer" and "communication history" classes);
Kleppmann's Cambridge notes §4.3; Lamport 1978 §3 (the same queue-and-acknowledge scheme
as his mutual-exclusion algorithm). Parameter ``lamport`` picks the algorithm.

**Fixed sequencer** (``lamport: false``). ``p1`` is the sequencer.

1. To broadcast, a process sends its message to the sequencer (a sequencer's own message
   goes straight to step 2).
2. The sequencer takes each sender's messages in their ``seq`` order (its ``queue`` holds
   the early ones), gives each the next global sequence number ``gseq`` and sends it,
   stamped ``{gseq}``, to every process — itself included.
3. A process delivers the stamped messages in ``gseq`` order (``holdback`` keeps the ones
   that arrived early; ``next_gseq`` is the next to deliver).

**Lamport timestamps** (``lamport: true``).

1. To broadcast, a process increments its Lamport ``clock`` (IR1), stamps the message with
   ``ts = clock``, puts it in its own ``queue`` and sends it to every other process.
2. Every process takes each sender's messages in that sender's ``seq`` order (``holdback``:
   Lamport's algorithm needs FIFO links), sets ``clock = max(clock, ts) + 1`` (IR2) and
   records ``latest[j] = ts``. A data message goes into ``queue``, and the receiver
   broadcasts an acknowledgement with a fresh timestamp (a control message, not delivered).
3. A process delivers the head of its ``queue`` — the smallest ``(ts, origin)`` — once every
   other process has sent it something with a larger timestamp (``latest[k] > ts``, the
   origin excepted): by FIFO, nothing smaller can still arrive from anyone.

Properties (checked at every step): **Integrity**, **Agreement**, **FIFO order**, **Causal
order** and **Total order**: two processes deliver the messages they both delivered in the
same order. Both algorithms also give causal order (a message sent after delivering m1 gets
a larger ``gseq``/``ts``).

Liveness is where they differ from consensus: total order broadcast is equivalent to
consensus (Chandra & Toueg 1996), so neither survives every crash. The sequencer is a single
point of failure (while ``p1`` is down nothing is delivered; fail-over needs consensus), and
the Lamport variant blocks while *any* process is silent — every delivery waits for everyone's
acknowledgement.

Bug variants:

- ``deliver-on-arrival`` (sequencer): a process delivers the sequencer's messages as they
  arrive, ignoring ``gseq``. When the network reorders two of them, two processes deliver
  them in different orders: Total order breaks.
- ``majority-acks`` (Lamport): a process delivers the head of its queue once a majority of
  processes (not all) have sent a larger timestamp. A concurrent message with a smaller
  timestamp from the remaining process may still be on its way: Total order breaks.
  Each bug does nothing in the other algorithm.

Deviations from the sources
---------------------------
- No sequencer fail-over and no membership changes; crash-recovery with durable state
  (see ``broadcast_common``) stands in for fail-over.
- Messages and acknowledgements go over links that retransmit until ``horizon_ticks``, not
  over reliable broadcast (no relays): with durable state nothing is lost anyway.
- Ties between equal timestamps are broken by the origin's id, as Lamport 1978 suggests.
"""

from __future__ import annotations

from protocols.broadcast_common import (BroadcastProcess, Bcast, as_msg, common_params, default_workload,
                                        invariants, process_ids)
from sim.protocol import Bug, Param, ProtocolSpec
from sim.types import Note

SEQUENCER = "p1"


def _held(msg: Bcast) -> dict:
    return {"mid": msg.mid, "origin": msg.origin, "seq": msg.seq, "value": msg.value, "stamp": msg.stamp}


class TotalOrderProcess(BroadcastProcess):
    DURABLE = BroadcastProcess.COMMON[:3] + ("clock", "latest", "next_seq", "next_gseq", "queue", "holdback") + \
        BroadcastProcess.COMMON[3:]
    COPY_ON_WRITE = ("unacked", "latest", "next_seq")

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.lamport = bool(self.params["lamport"])
        self.clock = 0  # Lamport clock (Lamport mode)
        self.latest: dict[str, int] = {p: 0 for p in self.others}  # largest ts seen from each (Lamport mode)
        self.next_seq: dict[str, int] = {p: 1 for p in self.peers}  # per-sender FIFO (sequencer or Lamport)
        self.next_gseq = 1  # sequencer: the next number to give; others: the next to deliver
        self.queue: list[dict] = []  # Lamport: undelivered messages; sequencer: requests held for FIFO
        self.holdback: list[dict] = []  # messages received ahead of their turn

    # ------------------------------------------------------------------ broadcast
    def stamp(self, mid: str) -> dict:
        if not self.lamport:
            return {}
        self.clock += 1  # IR1
        return {"ts": self.clock}

    def on_broadcast(self, msg: Bcast) -> list:
        if self.lamport:
            self.queue = self.queue + [_held(msg)]
            return self.send_all(msg) + self._deliver_queue()
        if self.node_id == SEQUENCER:
            self.next_seq = {**self.next_seq, msg.origin: msg.seq + 1}
            return self._sequence(msg)
        return self.send_all(msg, to=(SEQUENCER,))

    def on_receive(self, msg: Bcast, src: str) -> list:
        if not self.lamport and "gseq" in msg.stamp:
            return self._on_ordered(msg)
        # the sequencer's requests, or any Lamport message: one sender's messages in its seq order (FIFO)
        self.holdback = self.holdback + [_held(msg)]
        return self.drain(lambda h: "gseq" not in h["stamp"] and h["seq"] == self.next_seq[h["origin"]],
                          self._in_fifo_order)

    def _in_fifo_order(self, h: dict) -> list:
        self.next_seq = {**self.next_seq, h["origin"]: h["seq"] + 1}
        msg = as_msg(h)
        if not self.lamport:
            return self._sequence(msg)
        self.clock = max(self.clock, msg.stamp["ts"]) + 1  # IR2
        self.latest = {**self.latest, msg.origin: msg.stamp["ts"]}
        out: list = []
        if msg.value is not None:  # a data message: queue it and acknowledge it to everyone
            self.queue = self.queue + [h]
            out.append(Note(key="tob.queue", args={"node": self.node_id, "mid": msg.mid, "ts": msg.stamp["ts"]}))
            mid, seq = self.next_mid()
            self.clock += 1  # IR1: the acknowledgement is a send event
            out += self.send_all(Bcast(mid=mid, origin=self.node_id, seq=seq, value=None,
                                       stamp={"ts": self.clock, "ack": msg.mid}))
        return out + self._deliver_queue()

    # ------------------------------------------------------------------ sequencer
    def _sequence(self, msg: Bcast) -> list:
        g = self.next_gseq
        self.next_gseq += 1
        ordered = Bcast(mid=msg.mid, origin=msg.origin, seq=msg.seq, value=msg.value, stamp={"gseq": g})
        out = [Note(key="tob.sequence", args={"node": self.node_id, "mid": msg.mid, "gseq": g})]
        return out + self.send_all(ordered) + self._deliver_ordered(_held(ordered))

    def _on_ordered(self, msg: Bcast) -> list:
        return self._deliver_ordered(_held(msg))

    def _deliver_ordered(self, h: dict) -> list:
        if self.bug == "deliver-on-arrival":  # BUG: gseq ignored
            return self.deliver(as_msg(h))
        if self.node_id == SEQUENCER:  # the sequencer delivers in the order it assigns
            return self.deliver(as_msg(h))
        self.holdback = self.holdback + [h]
        return self.drain(lambda x: x["stamp"].get("gseq") == self.next_gseq, self._deliver_next)

    def _deliver_next(self, h: dict) -> list:
        self.next_gseq += 1
        return self.deliver(as_msg(h))

    # ------------------------------------------------------------------ Lamport
    def _stable(self, head: dict) -> bool:
        ts = head["stamp"]["ts"]
        waiting_for = [k for k in self.others if k != head["origin"]]
        passed = [k for k in waiting_for if self.latest[k] > ts]
        if self.bug == "majority-acks":  # BUG: a majority of all processes (self and origin count) suffices
            return len(passed) + len(self.peers) - len(waiting_for) > len(self.peers) // 2
        return len(passed) == len(waiting_for)

    def _deliver_queue(self) -> list:
        out: list = []
        while self.queue:
            head = min(self.queue, key=lambda h: (h["stamp"]["ts"], len(h["origin"]), h["origin"]))
            if not self._stable(head):
                break
            self.queue = [h for h in self.queue if h is not head]
            out += self.deliver(as_msg(head))
        return out


SPEC = ProtocolSpec(
    id="total-order-broadcast",
    title_key="proto.total-order-broadcast.title",
    summary_key="proto.total-order-broadcast.summary",
    source="X. Défago, A. Schiper & P. Urbán, Total Order Broadcast and Multicast Algorithms: Taxonomy and Survey, "
           "ACM CSUR 36(4), 2004; L. Lamport, Time, Clocks, and the Ordering of Events, CACM 21(7), 1978; "
           "M. Kleppmann, Distributed Systems (Cambridge lecture notes) §4.3",
    params=common_params("tob") + (Param(name="lamport", default=False, help_key="tob.param.lamport"),),
    bugs=(Bug(id="deliver-on-arrival", description_key="tob.bug.deliver_on_arrival", breaks=("Total order",)),
          Bug(id="majority-acks", description_key="tob.bug.majority_acks", breaks=("Total order",))),
    invariants=invariants(("integrity", "agreement", "fifo", "causal", "total"), ("holdback", "queue")),
    node_ids=process_ids,
    make_node=lambda node_id, ids, params, bug, rng: TotalOrderProcess(node_id, ids, params, bug, rng),
    default_workload=default_workload,
)
