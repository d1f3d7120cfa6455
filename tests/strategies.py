"""Hypothesis strategies shared by the property tests: random fault schedules.

One generator of fault schedules serves every protocol's properties and the scenario
round-trip test, so that "random faults" means the same thing everywhere: crashes,
restarts, partitions (symmetric and one-way), heals, drops, duplicates and delays of
specific messages, and clock skew, each at a random time or after a random step.

Seeded (non-Hypothesis) sweeps draw their faults and network from one ``random.Random``
with ``random_crashes_and_partitions`` and ``random_lossy_network``; the seeds the bug
searches pin depend on the exact order of those draws, so change them with care.
"""

from __future__ import annotations

from hypothesis import strategies as st

FAULT_KINDS = ("crash", "restart", "partition", "heal", "drop", "duplicate", "delay")


@st.composite
def fault_schedules(draw, nodes, *, max_faults=8, max_time=400, max_step=40, max_msg=25, max_delay=100,
                    kinds=FAULT_KINDS, after_step=True, one_way=False):
    """A list of fault dicts (scenario format) over ``nodes``."""
    nodes = list(nodes)
    faults = []
    for _ in range(draw(st.integers(0, max_faults))):
        kind = draw(st.sampled_from(kinds))
        when = ({"after_step": draw(st.integers(0, max_step))} if after_step and draw(st.booleans())
                else {"at": draw(st.integers(0, max_time))})
        f = {"type": kind, **when}
        if kind in ("crash", "restart", "skew"):
            f["node"] = draw(st.sampled_from(nodes))
            if kind == "skew":
                f["by"] = draw(st.integers(-50, 50))
        elif kind == "partition":
            if one_way and draw(st.booleans()):
                f["links"] = [[draw(st.sampled_from(nodes)), draw(st.sampled_from(nodes))]]
            else:
                f["groups"] = [draw(st.lists(st.sampled_from(nodes), min_size=1, max_size=3, unique=True))]
        elif kind in ("drop", "duplicate", "delay"):
            f["msg"] = f"m{draw(st.integers(1, max_msg))}"
            if kind == "delay":
                f["by"] = draw(st.integers(1, max_delay))
        faults.append(f)
    return faults


def random_crashes_and_partitions(r, nodes, *, most: int = 3, horizon: int = 250) -> list[dict]:
    """Up to ``most`` faults drawn from ``r`` (a seeded ``random.Random``): a crash with its restart
    5–80 ticks later (a third of them), else one node cut off and healed 10–120 ticks later."""
    faults: list[dict] = []
    for _ in range(r.randint(0, most)):
        at, node = r.randint(0, horizon), r.choice(nodes)
        if r.random() < 0.33:
            faults += [{"type": "crash", "node": node, "at": at},
                       {"type": "restart", "node": node, "at": at + r.randint(5, 80)}]
        else:
            faults += [{"type": "partition", "groups": [[node]], "at": at},
                       {"type": "heal", "at": at + r.randint(10, 120)}]
    return faults


def random_lossy_network(r) -> dict:
    """Uniform 1–10 or 1–30 tick latency, maybe loss, duplication and reordering, drawn from ``r``."""
    return {"latency": {"kind": "uniform", "low": 1, "high": r.choice((10, 30))},
            "loss": r.choice((0.0, 0.05, 0.15)), "duplicate": r.choice((0.0, 0.1)), "reorder": r.choice((0.0, 0.2))}
