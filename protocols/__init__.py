"""Sans-I/O reference implementations, one module per protocol; ``REGISTRY`` finds them.

Each module exports ``SPEC`` (a ``sim.protocol.ProtocolSpec``). Adding a protocol means
adding a module and one line to ``_MODULES``; the CLI, the app and the tests pick it up.
"""

from __future__ import annotations

import importlib

from sim.protocol import ProtocolSpec

_MODULES = ("ping", "two_phase_commit", "logical_clocks", "paxos", "raft", "multi_paxos",
            "primary_backup", "chain_replication", "abd", "quorum_store", "causal_store", "eventual_store",
            "reliable_broadcast", "fifo_broadcast", "causal_broadcast", "total_order_broadcast",
            "g_counter", "pn_counter", "lww_register", "mv_register", "or_set", "gossip", "merkle_anti_entropy")


def _load() -> dict[str, ProtocolSpec]:
    registry: dict[str, ProtocolSpec] = {}
    for name in _MODULES:
        spec = importlib.import_module(f"protocols.{name}").SPEC
        assert spec.id not in registry, f"duplicate protocol id {spec.id}"
        registry[spec.id] = spec
    return registry


REGISTRY: dict[str, ProtocolSpec] = _load()
