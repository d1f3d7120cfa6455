"""State-based CRDTs as pure functions: G-Counter, PN-Counter, LWW-Register, MV-Register, OR-Set.

Not a protocol (not registered): the library that ``protocols.crdt_replica`` replicates and that
``tests/test_crdt_types.py`` checks with Hypothesis.

Theory of operation
-------------------
A state-based CRDT (a *CvRDT*, Shapiro, Preguiça, Baquero & Zawirski, "Conflict-free Replicated
Data Types", SSS 2011, §2; the long version is INRIA RR-7506, 2011) is a set of states ordered by
``≤`` into a join-semilattice, with

* ``merge(a, b)`` = the least upper bound ``a ⊔ b``: commutative, associative and idempotent, so it
  does not matter in which order, how often, or through whom states arrive;
* every update an *inflation*: ``s ≤ update(s)``;
* ``value(s)``: the query.

Then replicas that have merged the same updates hold equal states (strong convergence), whatever
the network did with the messages (loss repaired by resending, duplication, reordering).

Each type here is a record of small pure functions (``CrdtType``), in the style of porcupine's
models: ``initial``, ``update(state, op, stamp)``, ``merge``, ``value``, ``leq`` (the lattice order)
and ``spec(updates)`` — the type's *specification*: the value a replica must show, computed from
the updates it has seen and their causal order alone (Shapiro et al. RR-7506 §3 states each type's
specification this way; Burckhardt, Gotsman, Yang & Zawirski, POPL 2014, formalise it). Bug
variants replace ``merge`` or ``update`` by name.

========================  ==============================================  ==========================
type                      state (JSON)                                     merge
========================  ==============================================  ==========================
G-Counter (RR-7506 §3.1)  ``{replica: count}`` — the vector P             pointwise max
PN-Counter (§3.1)         ``{"p": P, "n": N}``, value ΣP − ΣN             pointwise max of both
LWW-Register (§3.2)       ``{"ts", "origin", "seq", "value"}`` or None      larger (ts, origin, seq)
MV-Register (§3.2)        ``[[value, version vector], ...]``              maximal pairs of the union
OR-Set (§3.3, add-wins)   ``{"adds": {e: [tags]}, "removes": {e: [tags]}}``  union of both
========================  ==============================================  ==========================

An update gets a ``Stamp``: the replica, ``seq`` (its own count of updates, so ``(replica, seq)``
is a unique id — the OR-Set's tag) and ``now`` (the replica's clock, possibly skewed — the
LWW-Register's timestamp). ``spec`` receives the updates as records ``{"origin", "seq", "op",
"ctx", "ts"}``, ``ctx`` being the version vector of the updates the origin had seen before it:
update ``u`` happened before ``v`` iff ``u.seq ≤ v.ctx[u.origin]``.

Bug variants (what the classic mistakes look like as lattice functions):

* ``sum-merge`` (counters): merge adds the vectors instead of taking the maximum — not idempotent,
  so a state received twice (redelivered, or resent by anti-entropy) is counted twice.
* ``max-total`` (G-Counter): merge keeps the state with the larger total — not an upper bound of
  both arguments, so concurrent increments are lost (curriculum §4.15).
* ``no-tiebreak`` (LWW): on equal timestamps merge keeps the local value — not commutative, so two
  replicas that wrote in the same tick keep their own value for ever.
* ``pick-one`` (MV): merge keeps one of several concurrent values — it converges, but a concurrent
  write vanishes, which is what an MV-Register exists to prevent.
* ``naive-set`` (OR-Set): remove deletes the element, merge is union — remove is not an inflation,
  so the next merge brings a deleted item back (the shopping-cart anomaly of Dynamo, DeCandia et
  al. SOSP 2007 §4.4, which add-wins semantics make precise).

Deviations from the source
--------------------------
- LWW timestamps are ``(now, replica, seq)``: Shapiro et al. assume unique timestamps; ``seq`` only
  breaks a tie between two writes of one replica in the same tick. A local write whose timestamp
  is *smaller* than the held one (a skewed clock) is lost at once, so that the update stays an
  inflation (RR-7506 assigns unconditionally, assuming clocks consistent with causality).
- MV-Register values are kept as a sorted list of distinct ``[value, vv]`` pairs (a set).
- OR-Set elements are strings; tags are ``"replica:seq"`` (unique by construction, as RR-7506 asks).
- Op-based (CmRDT) versions are not implemented; ``sum-merge`` is the state-based face of their
  lesson — an op-based counter adds each delivered increment and so needs exactly-once delivery.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

State = Any
Update = Mapping[str, Any]  # {"origin", "seq", "op", "ctx", "ts"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Stamp:
    """What an update takes from its replica: its id ``(replica, seq)`` and the replica's clock."""

    replica: str
    seq: int
    now: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CrdtType:
    id: str
    ops: tuple[str, ...]  # update op names (``read`` is always allowed)
    initial: Callable[[], State]
    update: Callable[[State, Mapping[str, Any], Stamp], State]
    merge: Callable[[State, State], State]
    value: Callable[[State], Any]
    leq: Callable[[State, State], bool]
    spec: Callable[[list], Any]
    bug_merges: Mapping[str, Callable[[State, State], State]] = field(default_factory=dict)
    bug_updates: Mapping[str, Callable[[State, Mapping[str, Any], Stamp], State]] = field(default_factory=dict)

    def merge_for(self, bug: str | None) -> Callable[[State, State], State]:
        return self.bug_merges.get(bug or "", self.merge)

    def update_for(self, bug: str | None) -> Callable[[State, Mapping[str, Any], Stamp], State]:
        return self.bug_updates.get(bug or "", self.update)

    def parse_op(self, op: Mapping[str, Any]) -> dict | None:
        """The op normalised (``by`` defaulted, element as text), or None if this type has no such op."""
        f = op.get("f")
        if f not in self.ops:
            return None
        if f in ("inc", "dec"):
            by = op.get("by", 1)
            if isinstance(by, bool) or not isinstance(by, int) or not 1 <= by <= 1_000_000:
                return None
            return {"f": f, "by": by}
        if f == "set":
            value = op.get("value")
            return {"f": f, "value": value} if value is None or isinstance(value, (int, str, float)) else None
        elem = op.get("elem")
        if isinstance(elem, bool) or not isinstance(elem, (str, int)) or not str(elem) or len(str(elem)) > 32:
            return None
        return {"f": f, "elem": str(elem)}


# ------------------------------------------------------------------------- helpers
def happened_before(u: Update, v: Update) -> bool:
    """``u`` → ``v``: ``v``'s origin had seen ``u`` when it made ``v`` (the ghost causal context)."""
    return u["seq"] <= v["ctx"].get(u["origin"], 0)


def vv_leq(a: Mapping[str, int], b: Mapping[str, int]) -> bool:
    return all(n <= b.get(k, 0) for k, n in a.items())


def vv_max(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
    return {k: max(a.get(k, 0), b.get(k, 0)) for k in sorted(set(a) | set(b))}


def _value_key(value: Any) -> tuple:
    """A total, deterministic order on register values (ints and strings may be mixed)."""
    return (type(value).__name__, repr(value))


def _pair_key(pair) -> tuple:
    return (_value_key(pair[0]), tuple(sorted(pair[1].items())))


# ------------------------------------------------------------------------ G-Counter
def _pointwise(a: Mapping[str, int], b: Mapping[str, int], combine) -> dict[str, int]:
    return {k: combine(a.get(k, 0), b.get(k, 0)) for k in sorted(set(a) | set(b))}


def gc_inc(p: dict, op, stamp: Stamp) -> dict:
    """inc at replica i: P[i] += by (only replica i ever increases its own entry)."""
    return {**p, stamp.replica: p.get(stamp.replica, 0) + op["by"]}


def gc_merge(a: dict, b: dict) -> dict:
    return _pointwise(a, b, max)


def gc_sum_merge(a: dict, b: dict) -> dict:  # bug sum-merge
    return _pointwise(a, b, lambda x, y: x + y)


def gc_max_total_merge(a: dict, b: dict) -> dict:  # bug max-total
    return dict(a) if sum(a.values()) >= sum(b.values()) else dict(b)


def _signed(updates) -> int:
    return sum(u["op"]["by"] if u["op"]["f"] == "inc" else -u["op"]["by"] for u in updates)


G_COUNTER = CrdtType(
    id="g-counter", ops=("inc",), initial=dict, update=gc_inc, merge=gc_merge,
    value=lambda p: sum(p.values()), leq=lambda a, b: vv_leq(a, b), spec=_signed,
    bug_merges={"sum-merge": gc_sum_merge, "max-total": gc_max_total_merge})


# ----------------------------------------------------------------------- PN-Counter
def pn_update(s: dict, op, stamp: Stamp) -> dict:
    half = "p" if op["f"] == "inc" else "n"
    return {**s, half: gc_inc(s[half], op, stamp)}


def _halves(combine):
    return lambda a, b: {"p": combine(a["p"], b["p"]), "n": combine(a["n"], b["n"])}


PN_COUNTER = CrdtType(
    id="pn-counter", ops=("inc", "dec"), initial=lambda: {"p": {}, "n": {}}, update=pn_update,
    merge=_halves(gc_merge), value=lambda s: sum(s["p"].values()) - sum(s["n"].values()),
    leq=lambda a, b: vv_leq(a["p"], b["p"]) and vv_leq(a["n"], b["n"]), spec=_signed,
    bug_merges={"sum-merge": _halves(gc_sum_merge)})


# --------------------------------------------------------------------- LWW-Register
def lww_tag(s: dict | None) -> tuple:
    return (-float("inf"), "", 0) if s is None else (s["ts"], s["origin"], s["seq"])


def lww_set(s, op, stamp: Stamp):
    """assign(v) with timestamp (now, replica, seq); kept only if it is the larger tag (see Deviations)."""
    new = {"ts": stamp.now, "origin": stamp.replica, "seq": stamp.seq, "value": op["value"]}
    return new if lww_tag(new) > lww_tag(s) else s


def lww_merge(a, b):
    return b if lww_tag(b) > lww_tag(a) else a


def lww_no_tiebreak_merge(a, b):  # bug no-tiebreak: equal timestamps keep the local (first) state
    if a is not None and b is not None and a["ts"] == b["ts"]:
        return a
    return lww_merge(a, b)


def lww_spec(updates):
    sets = [u for u in updates if u["op"]["f"] == "set"]
    if not sets:
        return None
    return max(sets, key=lambda u: (u["ts"], u["origin"], u["seq"]))["op"]["value"]


LWW_REGISTER = CrdtType(
    id="lww-register", ops=("set",), initial=lambda: None, update=lww_set, merge=lww_merge,
    value=lambda s: None if s is None else s["value"], leq=lambda a, b: lww_tag(a) <= lww_tag(b), spec=lww_spec,
    bug_merges={"no-tiebreak": lww_no_tiebreak_merge})


# ---------------------------------------------------------------------- MV-Register
def _maximal(pairs) -> list:
    """The distinct pairs whose version vector no other pair's strictly dominates, in canonical order."""
    unique = {_pair_key(p): p for p in pairs}
    out = [p for p in unique.values()
           if not any(vv_leq(p[1], q[1]) and p[1] != q[1] for q in unique.values())]
    return sorted(out, key=_pair_key)


def mv_set(s: list, op, stamp: Stamp) -> list:
    """assign(v) at i: the new version vector dominates every pair held (max of them, entry i + 1)."""
    vv: dict[str, int] = {}
    for _value, v in s:
        vv = vv_max(vv, v)
    vv = {**vv, stamp.replica: vv.get(stamp.replica, 0) + 1}
    return [[op["value"], dict(sorted(vv.items()))]]


def mv_merge(a: list, b: list) -> list:
    return _maximal(list(a) + list(b))


def mv_pick_one_merge(a: list, b: list) -> list:  # bug pick-one: of concurrent values keep one
    merged = mv_merge(a, b)
    return merged[-1:]


def mv_value(s: list) -> list:
    return sorted({_value_key(v): v for v, _vv in s}.values(), key=_value_key)


def mv_leq(a: list, b: list) -> bool:
    return all(any(vv_leq(p[1], q[1]) for q in b) for p in a)


def mv_spec(updates):
    """The values of the assignments no other seen assignment happened after (RR-7506 §3.2)."""
    sets = [u for u in updates if u["op"]["f"] == "set"]
    live = [u["op"]["value"] for u in sets if not any(happened_before(u, v) for v in sets if v is not u)]
    return sorted({_value_key(v): v for v in live}.values(), key=_value_key)


MV_REGISTER = CrdtType(
    id="mv-register", ops=("set",), initial=list, update=mv_set, merge=mv_merge, value=mv_value, leq=mv_leq,
    spec=mv_spec, bug_merges={"pick-one": mv_pick_one_merge})


# --------------------------------------------------------------------------- OR-Set
def _union(a: Mapping[str, list], b: Mapping[str, list]) -> dict[str, list]:
    return {e: sorted(set(a.get(e, ())) | set(b.get(e, ()))) for e in sorted(set(a) | set(b))}


def or_update(s: dict, op, stamp: Stamp) -> dict:
    """add(e) attaches a fresh tag; remove(e) tombstones the tags of e it has observed (RR-7506 §3.3)."""
    e = op["elem"]
    if op["f"] == "add":
        return {**s, "adds": _union(s["adds"], {e: [f"{stamp.replica}:{stamp.seq}"]})}
    observed = s["adds"].get(e, [])
    return {**s, "removes": _union(s["removes"], {e: observed})} if observed else s


def naive_update(s: dict, op, stamp: Stamp) -> dict:  # bug naive-set: remove deletes the element
    if op["f"] == "add":
        return or_update(s, op, stamp)
    return {**s, "adds": {e: tags for e, tags in s["adds"].items() if e != op["elem"]}}


def or_merge(a: dict, b: dict) -> dict:
    return {"adds": _union(a["adds"], b["adds"]), "removes": _union(a["removes"], b["removes"])}


def or_value(s: dict) -> list[str]:
    return sorted(e for e, tags in s["adds"].items() if set(tags) - set(s["removes"].get(e, ())))


def or_leq(a: dict, b: dict) -> bool:
    return all(set(tags) <= set(b[half].get(e, ())) for half in ("adds", "removes") for e, tags in a[half].items())


def or_spec(updates) -> list[str]:
    """Add-wins: e is in the set iff some seen add(e) is not followed by a seen remove(e) that observed it."""
    adds = [u for u in updates if u["op"]["f"] == "add"]
    removes = [u for u in updates if u["op"]["f"] == "remove"]
    return sorted({a["op"]["elem"] for a in adds
                   if not any(r["op"]["elem"] == a["op"]["elem"] and happened_before(a, r) for r in removes)})


OR_SET = CrdtType(
    id="or-set", ops=("add", "remove"), initial=lambda: {"adds": {}, "removes": {}}, update=or_update,
    merge=or_merge, value=or_value, leq=or_leq, spec=or_spec, bug_updates={"naive-set": naive_update})

TYPES = {t.id: t for t in (G_COUNTER, PN_COUNTER, LWW_REGISTER, MV_REGISTER, OR_SET)}
