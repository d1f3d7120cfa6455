"""The CRDT library (protocols/crdt_types.py): lattice laws and specifications, with Hypothesis.

Reference: Shapiro et al., SSS 2011, §2 — a state-based object whose states form a join-semilattice,
whose merge is the least upper bound and whose updates are inflations converges (strong eventual
consistency); INRIA RR-7506 §3 — each type's specification.

States are generated the way replicas reach them: three replicas apply random updates and merge
each other's states in a random order. Alongside, the generator keeps the *updates* each replica
has seen (with their causal context), so that a value can be checked against the type's spec.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from protocols.crdt_types import (G_COUNTER, LWW_REGISTER, MV_REGISTER, OR_SET, PN_COUNTER, TYPES, Stamp,
                                  happened_before)

REPLICAS = ("r1", "r2", "r3")


def _op(f: str, draw) -> dict:
    if f in ("inc", "dec"):
        return {"f": f, "by": draw(st.integers(1, 3))}
    if f == "set":
        return {"f": f, "value": draw(st.sampled_from(("a", "b", "c", 1, 2)))}
    return {"f": f, "elem": draw(st.sampled_from(("milk", "eggs", "tea")))}


@st.composite
def replica_runs(draw, crdt, *, max_actions=10, update=None, merge=None):
    """``[(state, seen updates)]`` of three replicas after random updates and merges."""
    update, merge = update or crdt.update, merge or crdt.merge
    states = {r: crdt.initial() for r in REPLICAS}
    seen: dict[str, dict[tuple, dict]] = {r: {} for r in REPLICAS}
    count = {r: 0 for r in REPLICAS}
    for _ in range(draw(st.integers(0, max_actions))):
        r = draw(st.sampled_from(REPLICAS))
        if draw(st.booleans()):
            op = _op(draw(st.sampled_from(crdt.ops)), draw)
            count[r] += 1
            ctx: dict[str, int] = {}
            for o, s in seen[r]:
                ctx[o] = max(ctx.get(o, 0), s)
            now = draw(st.integers(0, 4))  # small clocks: many LWW timestamp ties
            seen[r][(r, count[r])] = {"origin": r, "seq": count[r], "op": op, "ctx": ctx, "ts": now}
            states[r] = update(states[r], op, Stamp(replica=r, seq=count[r], now=now))
        else:
            src = draw(st.sampled_from(REPLICAS))
            states[r] = merge(states[r], states[src])
            seen[r] = {**seen[r], **seen[src]}
    return [(states[r], seen[r]) for r in REPLICAS]


def _spec_of(crdt, *seens):
    merged: dict = {}
    for s in seens:
        merged.update(s)
    return crdt.spec([merged[k] for k in sorted(merged)])


ALL = sorted(TYPES)


# ------------------------------------------------------------------ lattice laws
@pytest.mark.parametrize("type_id", ALL)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_merge_is_commutative_associative_and_idempotent(type_id, data):
    """Reference: Shapiro et al. 2011 §2 — merge computes the least upper bound of a semilattice."""
    crdt = TYPES[type_id]
    (a, _), (b, _), (c, _) = data.draw(replica_runs(crdt))
    m = crdt.merge
    assert m(a, b) == m(b, a)
    assert m(m(a, b), c) == m(a, m(b, c))
    assert m(a, a) == a and m(m(a, b), b) == m(a, b)


@pytest.mark.parametrize("type_id", ALL)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_merge_is_the_least_upper_bound(type_id, data):
    """Reference: Shapiro et al. 2011 §2 — a ⊔ b is above a and b, and below every common upper bound."""
    crdt = TYPES[type_id]
    (a, _), (b, _), (c, _) = data.draw(replica_runs(crdt))
    ab = crdt.merge(a, b)
    assert crdt.leq(a, ab) and crdt.leq(b, ab)
    upper = crdt.merge(ab, c)
    assert crdt.leq(ab, upper)
    if crdt.leq(a, c) and crdt.leq(b, c):
        assert crdt.leq(ab, c)


@pytest.mark.parametrize("type_id", ALL)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_every_update_is_an_inflation(type_id, data):
    """Reference: Shapiro et al. 2011 §2 — the state is monotonically non-decreasing across updates."""
    crdt = TYPES[type_id]
    (s, seen), _, _ = data.draw(replica_runs(crdt))
    op = _op(data.draw(st.sampled_from(crdt.ops)), data.draw)
    seq = 1 + max([k[1] for k in seen if k[0] == "r1"], default=0)
    after = crdt.update(s, op, Stamp(replica="r1", seq=seq, now=data.draw(st.integers(0, 4))))
    assert crdt.leq(s, after)


@pytest.mark.parametrize("type_id", ALL)
@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_values_match_the_specification_and_merge_unites_the_seen_updates(type_id, data):
    """Reference: RR-7506 §3 — each type's value as a function of the updates seen; the value of a ⊔ b is
    the specification of the updates either side has seen."""
    crdt = TYPES[type_id]
    runs = data.draw(replica_runs(crdt))
    for state, seen in runs:
        assert crdt.value(state) == _spec_of(crdt, seen)
    (a, sa), (b, sb), _ = runs
    assert crdt.value(crdt.merge(a, b)) == _spec_of(crdt, sa, sb)


@pytest.mark.parametrize("type_id", ALL)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_equal_seen_updates_give_equal_states(type_id, data):
    """Reference: Shapiro et al. 2011 §2 — strong convergence: same updates delivered ⇒ equivalent state."""
    crdt = TYPES[type_id]
    (a, sa), (b, sb), _ = data.draw(replica_runs(crdt))
    ab, ba = crdt.merge(a, b), crdt.merge(b, a)
    assert ab == ba and crdt.value(ab) == _spec_of(crdt, sa, sb)


# ------------------------------------------------------------------ the bug variants break a law
def _at(crdt, state, op, replica="r1", seq=1, now=0, update=None):
    return (update or crdt.update)(state, op, Stamp(replica=replica, seq=seq, now=now))


@pytest.mark.parametrize("crdt", [G_COUNTER, PN_COUNTER], ids=["g-counter", "pn-counter"])
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_sum_merge_is_not_idempotent(crdt, data):
    """Curriculum §4.15 — a merge that sums double-counts on redelivery: s ⊔ s ≠ s for any non-bottom s."""
    (s, seen), _, _ = data.draw(replica_runs(crdt))
    bad = crdt.bug_merges["sum-merge"]
    if seen:  # some increment or decrement happened: merging the state with itself changes it
        assert bad(s, s) != s and crdt.merge(s, s) == s


def test_sum_merge_counts_a_redelivered_state_twice():
    a = _at(G_COUNTER, {}, {"f": "inc", "by": 1})
    assert G_COUNTER.value(G_COUNTER.merge(G_COUNTER.merge({}, a), a)) == 1
    bad = G_COUNTER.bug_merges["sum-merge"]
    assert G_COUNTER.value(bad(bad({}, a), a)) == 2


def test_max_total_is_not_an_upper_bound():
    """Curriculum §4.15 — a merge that takes the max of totals loses concurrent increments."""
    a = _at(G_COUNTER, {}, {"f": "inc", "by": 2}, "r1")
    b = _at(G_COUNTER, {}, {"f": "inc", "by": 1}, "r2")
    bad = G_COUNTER.bug_merges["max-total"](a, b)
    assert G_COUNTER.value(G_COUNTER.merge(a, b)) == 3 and G_COUNTER.value(bad) == 2
    assert not G_COUNTER.leq(b, bad)


def test_no_tiebreak_is_not_commutative():
    """RR-7506 §3.2 — LWW needs a total order; comparing timestamps only leaves ties to the merging side."""
    a = _at(LWW_REGISTER, None, {"f": "set", "value": "blue"}, "r1", now=7)
    b = _at(LWW_REGISTER, None, {"f": "set", "value": "green"}, "r2", now=7)
    assert LWW_REGISTER.merge(a, b) == LWW_REGISTER.merge(b, a) == b  # (7, r2) > (7, r1)
    bad = LWW_REGISTER.bug_merges["no-tiebreak"]
    assert bad(a, b) != bad(b, a)


def test_lww_a_skewed_later_write_loses():
    """RR-7506 §3.2 — the larger timestamp wins, whatever happened first in real time."""
    early = _at(LWW_REGISTER, None, {"f": "set", "value": "9:00"}, "r1", now=10)
    late = _at(LWW_REGISTER, None, {"f": "set", "value": "10:30"}, "r2", now=0)  # clock 40 ticks behind
    assert LWW_REGISTER.value(LWW_REGISTER.merge(late, early)) == "9:00"
    # and a local write older than the held one is lost at once (the update stays an inflation)
    assert _at(LWW_REGISTER, early, {"f": "set", "value": "x"}, "r1", seq=2, now=3) == early


def test_mv_register_keeps_concurrent_values_and_pick_one_drops_one():
    """RR-7506 §3.2 — concurrent assignments are all kept; a later assignment that saw them replaces them."""
    a = _at(MV_REGISTER, [], {"f": "set", "value": "blue"}, "r1")
    b = _at(MV_REGISTER, [], {"f": "set", "value": "green"}, "r2")
    both = MV_REGISTER.merge(a, b)
    assert MV_REGISTER.value(both) == ["blue", "green"]
    assert MV_REGISTER.value(MV_REGISTER.bug_merges["pick-one"](a, b)) == ["green"]
    resolved = _at(MV_REGISTER, both, {"f": "set", "value": "red"}, "r1", seq=2)
    assert resolved == [["red", {"r1": 2, "r2": 1}]] and MV_REGISTER.merge(both, resolved) == resolved


def test_or_set_remove_wins_only_over_observed_adds():
    """RR-7506 §3.3 — remove tombstones the observed tags; a concurrent add survives (add wins)."""
    s = _at(OR_SET, OR_SET.initial(), {"f": "add", "elem": "milk"}, "r1")
    removed = _at(OR_SET, s, {"f": "remove", "elem": "milk"}, "r2")
    readded = _at(OR_SET, s, {"f": "add", "elem": "milk"}, "r1", seq=2)
    assert OR_SET.value(OR_SET.merge(removed, s)) == []  # a removed item stays removed
    assert OR_SET.value(OR_SET.merge(removed, readded)) == ["milk"]  # add ∥ remove: add wins


def test_naive_set_remove_is_not_an_inflation_and_the_item_reappears():
    """DeCandia et al. 2007 §4.4 — deleted items resurface; Shapiro et al. 2011 — remove must be an inflation."""
    s = _at(OR_SET, OR_SET.initial(), {"f": "add", "elem": "milk"}, "r1")
    naive = OR_SET.bug_updates["naive-set"]
    removed = _at(OR_SET, s, {"f": "remove", "elem": "milk"}, "r2", update=naive)
    assert OR_SET.value(removed) == [] and not OR_SET.leq(s, removed)
    assert OR_SET.value(OR_SET.merge(removed, s)) == ["milk"]


def test_happened_before_reads_the_causal_context():
    u = {"origin": "r1", "seq": 2, "op": {}, "ctx": {}, "ts": 0}
    assert happened_before(u, {"origin": "r2", "seq": 1, "op": {}, "ctx": {"r1": 2}, "ts": 0})
    assert not happened_before(u, {"origin": "r2", "seq": 1, "op": {}, "ctx": {"r1": 1}, "ts": 0})


def test_parse_op_rejects_what_the_type_cannot_do():
    assert G_COUNTER.parse_op({"f": "inc"}) == {"f": "inc", "by": 1}
    assert G_COUNTER.parse_op({"f": "dec"}) is None and G_COUNTER.parse_op({"f": "inc", "by": 0}) is None
    assert PN_COUNTER.parse_op({"f": "dec", "by": 2}) == {"f": "dec", "by": 2}
    assert OR_SET.parse_op({"f": "add", "elem": 3}) == {"f": "add", "elem": "3"}
    assert OR_SET.parse_op({"f": "add"}) is None and LWW_REGISTER.parse_op({"f": "set", "value": [1]}) is None
