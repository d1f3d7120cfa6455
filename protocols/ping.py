"""Ping: every node forwards a token to a random peer, for ever (benchmark and smoke test).

Theory of operation
-------------------
On start, each node sends ``Ping(hops=0)`` to a peer chosen with its injected RNG; on
every delivery it counts the ping and forwards it with ``hops + 1``. The run only ends at
a limit. It has no invariants worth teaching; ``bench/`` uses it to measure raw simulator
throughput on an all-to-all workload.

Deviations from the paper: there is no paper.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.protocol import Param, ProtocolSpec
from sim.types import Deliver, Node, Send, Start


@dataclass(frozen=True, slots=True, kw_only=True)
class Ping:
    hops: int


class PingNode(Node):
    VOLATILE = ("received",)
    ROLE = "peer"

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.received = 0
        self.others = tuple(p for p in self.peers if p != self.node_id)

    def step(self, inp, now):
        if isinstance(inp, Start):
            return [Send(dst=self.rng.choice(self.others), msg=Ping(hops=0))]
        if isinstance(inp, Deliver):
            self.received += 1
            return [Send(dst=self.rng.choice(self.others), msg=Ping(hops=inp.msg.hops + 1))]
        return []


SPEC = ProtocolSpec(
    id="ping",
    title_key="proto.ping.title",
    summary_key="proto.ping.summary",
    source="—",
    params=(Param(name="nodes", default=5, minimum=2, maximum=16, help_key="param.nodes"),),
    bugs=(),
    invariants=(),
    node_ids=lambda params: tuple(f"n{i + 1}" for i in range(params["nodes"])),
    make_node=lambda node_id, ids, params, bug, rng: PingNode(node_id, ids, params, bug, rng),
    teaching=False,
)
