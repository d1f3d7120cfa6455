"""Seeded workloads (``workload: {generate: ...}``): reproducible, bounded, shaped as asked, and bad
specs refused with a translated key naming the field."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.engine import run
from sim.scenario import ScenarioError, parse_scenario
from sim.workload import WorkloadSpec, generate

NODES = ("n1", "n2", "n3")


def _scenario(gen: dict, seed: int = 1):
    return parse_scenario({"protocol": "raft", "seed": seed, "workload": {"generate": gen}})


specs = st.builds(WorkloadSpec, clients=st.integers(1, 6), ops_per_client=st.integers(1, 6),
                  keys=st.lists(st.sampled_from("xyz"), min_size=1, max_size=3, unique=True).map(tuple),
                  read_ratio=st.floats(0, 1), cas_ratio=st.floats(0, 1), think_min=st.integers(0, 30),
                  think_max=st.integers(30, 60), start=st.integers(0, 50),
                  sessions=st.sampled_from(("sticky", "roaming")))


@settings(max_examples=150, deadline=None)
@given(specs, st.integers(0, 2**32))
def test_generated_workloads_are_reproducible_and_shaped_as_asked(spec, seed):
    wl = generate(spec, seed, NODES)
    assert wl == generate(spec, seed, NODES)
    assert len(wl) == spec.clients * spec.ops_per_client
    assert [w["at"] for w in wl] == sorted(w["at"] for w in wl)
    written = [w["op"]["value"] for w in wl if w["op"]["f"] == "put"] + [w["op"]["to"] for w in wl
                                                                         if w["op"]["f"] == "cas"]
    assert len(written) == len(set(written))  # every write writes a value no other op writes
    for k in range(spec.clients):
        mine = [w for w in wl if w["client"] == f"c{k + 1}"]
        assert len(mine) == spec.ops_per_client
        assert all(w["op"]["key"] in spec.keys for w in mine)
        gaps = [b["at"] - a["at"] for a, b in zip(mine, mine[1:])]
        assert all(spec.think_min <= g <= spec.think_max for g in gaps)
        nodes = [w["node"] for w in mine]
        if spec.sessions == "sticky":
            assert set(nodes) == {NODES[k % len(NODES)]}
        else:
            assert all(a != b for a, b in zip(nodes, nodes[1:]))  # a roaming client moves every op
    if spec.read_ratio == 1:
        assert all(w["op"]["f"] == "get" for w in wl)


def test_a_scenario_expands_its_workload_and_runs():
    sc = _scenario({"clients": 2, "ops_per_client": 3, "keys": ["x"], "sessions": "roaming", "start": 400})
    assert len(sc.workload) == 6 and {w.client for w in sc.workload} == {"c1", "c2"}
    assert sc.to_dict()["workload"][0]["op"]["f"] in ("get", "put")  # exported as the list
    assert parse_scenario(sc.to_dict()) == sc
    assert _scenario({"clients": 2}, seed=1).workload != _scenario({"clients": 2}, seed=2).workload
    trace = run(sc)
    assert sum(e.kind == "invoke" for e in trace.events) == 6


@pytest.mark.parametrize("gen, field, key", [
    ({"clients": 0}, "workload.generate.clients", "err.out_of_range"),
    ({"clients": 64, "ops_per_client": 2000}, "workload.generate.ops_per_client", "err.too_many"),
    ({"read_ratio": 2}, "workload.generate.read_ratio", "err.probability"),
    ({"sessions": "wander"}, "workload.generate.sessions", "err.choice"),
    ({"keys": []}, "workload.generate.keys", "err.names"),
    ({"keys": "x"}, "workload.generate.keys", "err.names"),
    ({"nodes": ["s9"]}, "workload.generate.nodes", "err.unknown_node"),
    ({"think_min": 90, "think_max": 10}, "workload.generate.think_min", "err.out_of_range"),
    ({"color": "red"}, "workload.generate.color", "err.unknown_field"),
    ({"clients": True}, "workload.generate.clients", "err.out_of_range"),
])
def test_bad_generate_specs_name_the_field(gen, field, key):
    with pytest.raises(ScenarioError) as exc:
        _scenario(gen)
    assert exc.value.key == key and exc.value.path == field, exc.value
