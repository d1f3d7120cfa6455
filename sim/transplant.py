"""The same workload and fault schedule on another configuration or another store.

Theory of operation
-------------------
A fair comparison changes one thing. ``transplant(base, protocol, params, bug)`` keeps the
base scenario's seed, network, client workload (the protocol's default workload made
explicit, if the base used it) and timed faults, and swaps the protocol, its parameters and
its bug variant. Node ids are mapped **by position** (the base's first node becomes the new
protocol's first node, …), so "crash the second replica at t=300" means the same in both
runs. What cannot carry over is refused or dropped, never guessed:

- a fault or client op naming a node position the new store does not have → ``ScenarioError``
  (``err.compare.nodes``) naming the node;
- faults on one specific message (``drop``/``duplicate``/``delay`` of ``m7``) and faults
  placed ``after_step`` belong to the base run's own history: they are dropped, and the
  caller is told how many (``dropped``).

The result is validated like any scenario (``parse_scenario``). Pure and deterministic.
"""

from __future__ import annotations

from typing import Any, Mapping, NamedTuple

from sim.scenario import Scenario, ScenarioError, parse_scenario

RUN_SPECIFIC = ("drop", "duplicate", "delay")


class Transplanted(NamedTuple):
    scenario: Scenario
    dropped: int  # faults of the base run that could not carry over


def transplant(base: Scenario, protocol: str, params: Mapping[str, Any], bug: str | None) -> Transplanted:
    from protocols import REGISTRY  # by data, as parse_scenario does

    if protocol not in REGISTRY:
        raise ScenarioError("protocol", "err.unknown_protocol", "unknown protocol", protocol=protocol[:40])
    spec_a, spec_b = REGISTRY[base.protocol], REGISTRY[protocol]
    nodes_a = spec_a.node_ids(base.params)
    try:
        nodes_b = spec_b.node_ids(spec_b.resolve_params(params))
    except (KeyError, ValueError):
        return Transplanted(parse_scenario({"protocol": protocol, "params": dict(params)}), 0)  # raises, named
    rename = dict(zip(nodes_a, nodes_b))

    def node(n: str) -> str:
        if n not in rename:
            raise ScenarioError("nodes", "err.compare.nodes", f"{protocol} has no node in the place of {n}",
                                node=n, protocol=protocol)
        return rename[n]

    d = base.to_dict()
    d.pop("meta", None)
    workload = d.get("workload")
    if workload is None:
        workload = spec_a.default_workload(base.params)
    d["workload"] = [{**w, "node": node(w["node"])} for w in workload]
    faults, dropped = [], 0
    for f in d.get("faults", []):
        if f["type"] in RUN_SPECIFIC or "after_step" in f:
            dropped += 1
            continue
        f = dict(f)
        if "node" in f:
            f["node"] = node(f["node"])
        if "groups" in f:
            f["groups"] = [[node(n) for n in g] for g in f["groups"]]
        if "links" in f:
            f["links"] = [[node(a), node(b)] for a, b in f["links"]]
        faults.append(f)
    d.update(protocol=protocol, params=dict(params), faults=faults, delivery={"mode": "random"})
    d.pop("bug", None)
    if bug:
        d["bug"] = bug
    return Transplanted(parse_scenario(d), dropped)
