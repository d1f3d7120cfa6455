"""Seeded client workloads: ``{"generate": {...}}`` in a scenario's ``workload`` instead of a list.

Theory of operation
-------------------
A store is judged by the histories its clients see, so a lesson needs many small, varied,
reproducible workloads. ``generate(spec, seed, nodes)`` makes one: ``clients`` clients, each
issuing ``ops_per_client`` operations on ``keys``; each op is a read with probability
``read_ratio``, else a compare-and-set with probability ``cas_ratio`` (only for stores that
support ``cas``), else a write. Every write writes a value no other op writes (1, 2, 3, …), so
a read names the write it saw — what the checkers need to explain a stale read.

Time: client ``k`` starts at ``start`` plus a seeded offset below ``think_max`` and then waits
a seeded *think time* in ``[think_min, think_max]`` ticks between its ops. The workload is
static (a scenario is data), so a client does not wait for its previous reply: if a store is
slower than the think time, the client has two ops outstanding, and the history gives the
second a fresh process (``c1#2``), as Jepsen does.

Sessions: ``sticky`` clients send every op to one node (client ``k`` to node ``k mod n``);
``roaming`` clients pick a seeded node per op, never the same one twice in a row when there
is a choice — how session-guarantee anomalies (a read at another replica) are provoked.
``nodes`` (optional) limits the nodes clients talk to (e.g. only the primary).

Randomness comes from ``random.Random(f"{seed}:workload")`` only: the same scenario seed
always gives the same workload, independent of the network's draws.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Mapping

SESSIONS = ("sticky", "roaming")
MAX_CLIENTS = 64
MAX_OPS_PER_CLIENT = 2_000
MAX_KEYS = 16


@dataclass(frozen=True, slots=True)
class WorkloadSpec:
    clients: int = 3
    ops_per_client: int = 4
    keys: tuple[str, ...] = ("x",)
    read_ratio: float = 0.5
    cas_ratio: float = 0.0
    think_min: int = 20
    think_max: int = 80
    start: int = 100
    sessions: str = "sticky"
    nodes: tuple[str, ...] = ()  # empty: every node of the run

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"clients": self.clients, "ops_per_client": self.ops_per_client,
                               "keys": list(self.keys), "read_ratio": self.read_ratio, "cas_ratio": self.cas_ratio,
                               "think_min": self.think_min, "think_max": self.think_max, "start": self.start,
                               "sessions": self.sessions}
        if self.nodes:
            out["nodes"] = list(self.nodes)
        return out


DEFAULT = WorkloadSpec()


def generate(spec: WorkloadSpec, seed: int, nodes: tuple[str, ...]) -> list[dict[str, Any]]:
    """The workload entries ``{"at", "node", "client", "op"}``, ordered by time then client."""
    rng = random.Random(f"{seed}:workload")
    targets = spec.nodes or nodes
    value = 0
    out: list[tuple[int, int, dict[str, Any]]] = []
    for k in range(spec.clients):
        client = f"c{k + 1}"
        at = spec.start + rng.randrange(max(1, spec.think_max))
        node = targets[k % len(targets)]
        for _ in range(spec.ops_per_client):
            if spec.sessions == "roaming":
                choices = [n for n in targets if n != node] or list(targets)
                node = choices[rng.randrange(len(choices))]
            key = spec.keys[rng.randrange(len(spec.keys))]
            draw = rng.random()
            if draw < spec.read_ratio:
                op: dict[str, Any] = {"f": "get", "key": key}
            elif draw < spec.read_ratio + (1 - spec.read_ratio) * spec.cas_ratio:
                op = {"f": "cas", "key": key, "from": rng.randint(0, max(1, value)), "to": value + 1}
                value += 1
            else:
                value += 1
                op = {"f": "put", "key": key, "value": value}
            out.append((at, k, {"at": at, "node": node, "client": client, "op": op}))
            at += rng.randint(spec.think_min, spec.think_max)
    out.sort(key=lambda x: (x[0], x[1]))
    return [w for _at, _k, w in out]


def parse_spec(raw: Mapping[str, Any], nodes: tuple[str, ...], fail) -> WorkloadSpec:
    """Validate an untrusted ``generate`` mapping; ``fail(path, key, english, **args)`` builds the error."""
    known = set(WorkloadSpec.__dataclass_fields__)
    for name in raw:
        if name not in known:
            raise fail(f"workload.generate.{name}", "err.unknown_field", "unknown field")

    def whole(name: str, lo: int, hi: int) -> int:
        v = raw.get(name, getattr(DEFAULT, name))
        if isinstance(v, bool) or not isinstance(v, int) or not lo <= v <= hi:
            raise fail(f"workload.generate.{name}", "err.out_of_range", f"must be a whole number from {lo} to {hi}",
                       lo=lo, hi=hi)
        return v

    def ratio(name: str) -> float:
        v = raw.get(name, getattr(DEFAULT, name))
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 <= v <= 1:
            raise fail(f"workload.generate.{name}", "err.probability", "must be a number from 0 to 1")
        return float(v)

    def names(name: str, allowed: tuple[str, ...] | None, default: tuple[str, ...]) -> tuple[str, ...]:
        v = raw.get(name, list(default))
        if not isinstance(v, list) or len(v) > MAX_KEYS or not all(isinstance(x, str) and 0 < len(x) <= 32 for x in v):
            raise fail(f"workload.generate.{name}", "err.names", f"must be a list of 1 to {MAX_KEYS} short names",
                       n=MAX_KEYS)
        for x in v:
            if allowed is not None and x not in allowed:
                raise fail(f"workload.generate.{name}", "err.unknown_node", f"unknown node '{x}'", node=x)
        return tuple(dict.fromkeys(v))

    sessions = raw.get("sessions", "sticky")
    if sessions not in SESSIONS:
        raise fail("workload.generate.sessions", "err.choice", "must be 'sticky' or 'roaming'",
                   choices=", ".join(SESSIONS))
    keys = names("keys", None, DEFAULT.keys)
    if not keys:
        raise fail("workload.generate.keys", "err.names", "must name at least one key", n=MAX_KEYS)
    spec = WorkloadSpec(clients=whole("clients", 1, MAX_CLIENTS), ops_per_client=whole("ops_per_client", 1,
                                                                                         MAX_OPS_PER_CLIENT),
                        keys=keys, read_ratio=ratio("read_ratio"), cas_ratio=ratio("cas_ratio"),
                        think_min=whole("think_min", 0, 100_000), think_max=whole("think_max", 0, 100_000),
                        start=whole("start", 0, 1_000_000), sessions=sessions, nodes=names("nodes", nodes, ()))
    if spec.think_min > spec.think_max:
        raise fail("workload.generate.think_min", "err.out_of_range", "must not exceed think_max",
                   lo=0, hi=spec.think_max)
    return spec
