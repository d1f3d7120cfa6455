"""Seeded generator of small register histories for the ``classify`` exercises.

Theory of operation
-------------------
A **flavour** is a template for one classic anomaly — a stale read after a completed write, a
new/old inversion, two readers that see concurrent writes in opposite orders, a broken session
guarantee, a value out of thin air, Lamport's two flags, a Jepsen history with timed-out and
failed operations — or for its absence (``concurrent``: overlapping operations that *are*
linearizable, built from linearization points). The template draws every detail from the
``random.Random`` it is given: the timing of each operation, the values reads return and, above
all, *whether the anomaly happens at all*, so the same flavour yields histories that satisfy
every model, some models or almost none.

The generator never decides which models a history satisfies — the checkers do
(``lessons.exercises.kinds.classify``). It only steers towards histories worth classifying and
keeps them small and readable:

* 2–4 processes, 1–2 keys (``x``, ``y``, both initially 0), 4–``max_ops`` (≤ 10) operations;
* timed operations (``@call-return``), so linearizability applies; one operation per process
  at a time; a timed-out operation (``?``, never returned) is its process's last;
* write values unique per key (reads-from is unambiguous): 1, 2, 3, … in the order drafted;
* roles are dealt to process names at random, so the culprit is not always ``P3``.

Every template also names the operations a hint should point at (``Generated.hint``), without
saying whether they are anomalous. Pure: no clock, no global ``random``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Callable, Mapping

from checkers.notation import parse_notation

MAX_OPS = 10
MIN_OPS = 4
MAX_PROCESSES = 4


@dataclass(frozen=True, slots=True)
class Draft:
    """One operation before its process is named: ``role`` indexes the template's cast."""

    role: int
    f: str  # "W" | "R"
    key: str
    value: int | None  # None: a read that never returned
    call: int
    ret: int | None  # None: never returned (marked "?")
    mark: str = ""  # "" ok, "?" indeterminate, "!" failed


@dataclass(frozen=True, slots=True)
class Sketch:
    """What a template drafts: the ops and the hint (catalog key suffix, arg -> ("op"|"process", index))."""

    ops: tuple[Draft, ...]
    hint: str
    refs: Mapping[str, tuple[str, int]]


@dataclass(frozen=True, slots=True)
class Generated:
    flavour: str
    notation: str
    hint: str  # suffix of an ``ex_classify.hint.gen.`` catalog key
    hint_args: Mapping[str, str]  # op labels ("P3:R(x)0") or process names: language-free


def _weighted(rng: random.Random, table: Mapping[int, float]) -> int:
    return rng.choices(list(table), weights=list(table.values()))[0]


# --- the templates ---------------------------------------------------------------------------------


def _stale_read(rng: random.Random) -> Sketch:
    """Kleppmann's Fig. 9-1: a write completes, a peer sees it, a later read may still get 0."""
    d = rng.randint(1, 3)
    ops = [Draft(0, "W", "x", 1, 0, d)]
    start = d + 1
    if rng.random() < 0.7:  # a peer reads the new value first: the story of "Alice told Bob"
        a = d + rng.randint(1, 2)
        ops.append(Draft(1, "R", "x", 1, a, a + 1))
        start = a + 2
    late = rng.random() < 0.65  # the suspect read begins after the write (and the peer) finished
    s = start + rng.randint(0, 2) if late else rng.randint(0, d)
    e = s + rng.randint(1, 2)
    suspect = Draft(2, "R", "x", _weighted(rng, {0: 0.7, 1: 0.3}), s, e)
    ops.append(suspect)
    if rng.random() < 0.4:  # the suspect reads again: a chance for monotonic reads to break
        ops.append(Draft(2, "R", "x", rng.choice((0, 1)), e + 1, e + 2))
    return Sketch(tuple(ops), "after" if late else "overlap",
                  {"read": ("op", ops.index(suspect)), "write": ("op", 0)})


def _inversion(rng: random.Random) -> Sketch:
    """Kleppmann's Fig. 9-6: during one slow write a read sees the new value, a later read the old."""
    end = rng.randint(8, 12)
    if rng.random() < 0.3:  # two writes, the readers see the second and then the first
        ops = [Draft(0, "W", "x", 1, 0, 2), Draft(0, "W", "x", 2, 3, end)]
        new, old = 2, _weighted(rng, {1: 0.75, 2: 0.25})
    else:
        ops = [Draft(0, "W", "x", 1, 0, end)]
        new, old = 1, _weighted(rng, {0: 0.75, 1: 0.25})
    a = rng.randint(3, 4)
    first = Draft(1, "R", "x", new, a, a + 2)
    s = a + 3 + rng.randint(0, 2) if rng.random() < 0.7 else a + rng.randint(0, 2)
    second = Draft(2, "R", "x", old, s, s + 2)
    ops += [first, second]
    if rng.random() < 0.35:  # a third client reads once the write is over
        ops.append(Draft(3, "R", "x", _weighted(rng, {new: 0.8, old: 0.2}), end + 1, end + 2))
    return Sketch(tuple(ops), "after_read", {"read": ("op", ops.index(second)), "first": ("op", ops.index(first))})


def _disagree(rng: random.Random) -> Sketch:
    """Tanenbaum & van Steen Fig. 7-5/7-9: two writes, two readers, possibly opposite orders."""
    overlap = rng.random() < 0.45  # reads during the writes (linearizable orders exist) or after
    dependent = rng.random() < 0.35  # the second writer read 1 first: its write causally follows
    ops = [Draft(0, "W", "x", 1, 0, 7 if overlap else 2)]
    if dependent:
        ops += [Draft(1, "R", "x", 1, 1, 2), Draft(1, "W", "x", 2, 3, 8 if overlap else 4)]
    else:
        ops.append(Draft(1, "W", "x", 2, 1, 8 if overlap else 3))
    base = 2 if overlap else 5
    order_c = rng.choice(((1, 2), (2, 1)))
    order_d = order_c if rng.random() < 0.4 else order_c[::-1]
    c0, d0 = base + rng.randint(0, 1), base + rng.randint(0, 2)
    ops += [Draft(2, "R", "x", order_c[0], c0, c0 + 1), Draft(2, "R", "x", order_c[1], c0 + 3, c0 + 4),
            Draft(3, "R", "x", order_d[0], d0, d0 + 1), Draft(3, "R", "x", order_d[1], d0 + 3, d0 + 4)]
    return Sketch(tuple(ops), "two_readers", {"p": ("process", len(ops) - 4), "q": ("process", len(ops) - 2)})


def _session(rng: random.Random) -> Sketch:
    """Terry et al. 1994: one session guarantee put at risk (which one is drawn too)."""
    return rng.choice((_ryw, _mr, _mw, _wfr))(rng)


def _ryw(rng: random.Random) -> Sketch:
    """Read your writes: a process reads back what it wrote, while another process writes too."""
    r, q = rng.randint(2, 4), rng.randint(0, 6)
    ops = (Draft(0, "W", "x", 1, 0, 1), Draft(0, "R", "x", _weighted(rng, {0: 0.5, 1: 0.3, 2: 0.2}), r, r + 1),
           Draft(1, "W", "x", 2, q, q + 1))
    return Sketch(ops, "own_write", {"read": ("op", 1), "write": ("op", 0)})


def _mr(rng: random.Random) -> Sketch:
    """Monotonic reads: a reader sees the new value and reads again."""
    w = rng.randint(1, 3)
    a = rng.randint(1, w + 1)
    ops = (Draft(0, "W", "x", 1, 0, w), Draft(1, "R", "x", 1, a, a + 1),
           Draft(1, "R", "x", _weighted(rng, {0: 0.6, 1: 0.4}), a + 2, a + 3))
    return Sketch(ops, "reread", {"first": ("op", 1), "second": ("op", 2)})


def _mw(rng: random.Random) -> Sketch:
    """Monotonic writes / PRAM: one writer's two writes, read back by another process."""
    r = rng.randint(1, 4)
    ops = (Draft(0, "W", "x", 1, 0, 1), Draft(0, "W", "x", 2, 2, 3), Draft(1, "R", "x", 2, r, r + 1),
           Draft(1, "R", "x", _weighted(rng, {1: 0.6, 2: 0.4}), r + 2, r + 3))
    return Sketch(ops, "writer_order", {"writer": ("process", 0), "reader": ("process", 2)})


def _wfr(rng: random.Random) -> Sketch:
    """A reply visible before the post it answers (writes follow reads, causality)."""
    r, s = rng.randint(2, 3), rng.randint(5, 7)
    ops = (Draft(0, "W", "x", 1, 0, 1), Draft(1, "R", "x", 1, r, r + 1), Draft(1, "W", "y", 1, r + 2, r + 3),
           Draft(2, "R", "y", 1, s, s + 1), Draft(2, "R", "x", _weighted(rng, {0: 0.65, 1: 0.35}), s + 2, s + 3))
    return Sketch(ops, "reply", {"read": ("op", 1), "write": ("op", 2)})


def _concurrent(rng: random.Random) -> Sketch:
    """Overlapping ops whose values come from linearization points; sometimes one read is altered."""
    keys = ("x", "y") if rng.random() < 0.35 else ("x",)
    shapes = _intervals(rng, n_proc=rng.randint(2, 4), max_ops=8)
    kinds = ["W"] + [("W" if rng.random() < 0.4 else "R") for _ in shapes[1:]]
    if "R" not in kinds:
        kinds[-1] = "R"
    op_keys = [rng.choice(keys) for _ in shapes]
    values, written = _values_at_points(rng, shapes, kinds, op_keys)
    focus = rng.choice([i for i, k in enumerate(kinds) if k == "R"])
    others = [v for v in written[op_keys[focus]] if v != values[focus]]
    if others and rng.random() < 0.45:  # altered: a stale, a future or an overwritten value
        values[focus] = rng.choice(others)
    ops = tuple(Draft(role, kinds[i], op_keys[i], values[i], call, ret) for i, (role, call, ret) in enumerate(shapes))
    return Sketch(ops, "look_read", {"read": ("op", focus)})


def _intervals(rng: random.Random, n_proc: int, max_ops: int) -> list[tuple[int, int, int]]:
    """(role, call, ret) for 1–3 ops per process, one at a time per process, overlapping across."""
    shapes: list[tuple[int, int, int]] = []
    for role in range(n_proc):
        t = rng.randint(0, 2)
        room = max_ops - len(shapes) - (n_proc - role - 1)  # leave one op for each later role
        for _ in range(min(rng.randint(1, 3), room)):
            length = rng.randint(1, 5)
            shapes.append((role, t, t + length))
            t += length + rng.randint(1, 2)
    return shapes


def _values_at_points(rng: random.Random, shapes, kinds, op_keys) -> tuple[list[int], dict[str, list[int]]]:
    """Pick a linearization point inside each interval and replay the ops in that order.

    Writes get the next value of their key, reads the current one: the history is linearizable
    by construction (Herlihy & Wing's definition, read backwards). Returns (values, written per key).
    """
    points = [call + rng.random() * (ret - call) for _role, call, ret in shapes]
    current = {k: 0 for k in set(op_keys)}
    written = {k: [0] for k in set(op_keys)}
    values = [0] * len(shapes)
    for i in sorted(range(len(shapes)), key=lambda i: (points[i], i)):
        key = op_keys[i]
        if kinds[i] == "W":
            current[key] = values[i] = len(written[key])
            written[key].append(values[i])
        else:
            values[i] = current[key]
    return values, written


def _thin_air(rng: random.Random) -> Sketch:
    """Each process reads, then writes the key the other one read: maybe a cycle of reads-from."""
    a, b = rng.choice(((1, 1), (1, 1), (1, 1), (1, 0), (0, 1), (0, 0)))
    j, k = rng.randint(0, 1), rng.randint(0, 1)
    ops = (Draft(0, "R", "x", a, 0, 1 + j), Draft(0, "W", "y", 1, 2 + j, 3 + j + k),
           Draft(1, "R", "y", b, k, 1 + k), Draft(1, "W", "x", 1, 2 + k, 3 + k))
    return Sketch(ops, "source", {"read": ("op", 0), "write": ("op", 3)})


def _flags(rng: random.Random) -> Sketch:
    """Lamport 1979 (the store buffer): raise my flag, then look at yours."""
    a, b = rng.choice(((0, 0), (0, 0), (0, 0), (0, 1), (1, 0), (1, 1)))
    late = rng.randint(0, 3)  # how long the second process waits before raising its flag
    ops = (Draft(0, "W", "x", 1, 0, 2), Draft(0, "R", "y", a, 3, 4 + rng.randint(0, 2)),
           Draft(1, "W", "y", 1, late, late + 2), Draft(1, "R", "x", b, late + 3, late + 4))
    return Sketch(ops, "flags", {"a": ("op", 1), "b": ("op", 3)})


def _jepsen(rng: random.Random) -> Sketch:
    """A Jepsen-style history: a timed-out write (``?``), maybe a failed one (``!``), several readers."""
    timed_out = rng.random() < 0.6
    ops = [Draft(0, "W", "x", 1, 0, 2),
           Draft(0, "W", "x", 2, 3, None, "?") if timed_out else Draft(0, "W", "x", 2, 3, 3 + rng.randint(1, 4))]
    failed = rng.random() < 0.45
    readers = [2]
    if failed:
        ops.append(Draft(1, "W", "x", 3, 1, 2, "!"))
        readers.append(1)
    else:
        ops.append(Draft(1, "R", "x", None, 1, None, "?"))
    pool = {2: 0.35, 1: 0.35, 0: 0.1, **({3: 0.2} if failed else {})}
    for role in readers:
        t = 4 + rng.randint(0, 3)
        for _ in range(rng.randint(1, 2)):
            ops.append(Draft(role, "R", "x", _weighted(rng, pool), t, t + 1))
            t += 2 + rng.randint(0, 2)
    if failed:
        return Sketch(tuple(ops), "failed", {"op": ("op", 2)})
    if timed_out:
        return Sketch(tuple(ops), "timed_out", {"op": ("op", 1)})
    return Sketch(tuple(ops), "look_read", {"read": ("op", 3)})  # a timed-out *read* changes nothing


FLAVOURS: Mapping[str, Callable[[random.Random], Sketch]] = {
    "stale-read": _stale_read,
    "inversion": _inversion,
    "disagree": _disagree,
    "session": _session,
    "concurrent": _concurrent,
    "thin-air": _thin_air,
    "flags": _flags,
    "jepsen": _jepsen,
}


# --- padding, naming and rendering ----------------------------------------------------------------


def _pad(ops: list[Draft], rng: random.Random, max_ops: int) -> list[Draft]:
    """Append a fresh write and reads of it after everything else, to reach the drawn size.

    They start after every other op has returned (a timed-out op may still take effect later,
    which a fresh value cannot contradict) and read only the fresh value, so they fit at the end
    of any legal order and are not meant to change a verdict — the checkers decide anyway. They
    give the learner more to read and the history its minimum size.
    """
    target = min(max_ops, max(MIN_OPS, len(ops) + rng.randint(0, 2)))
    free = sorted({o.role for o in ops} - {o.role for o in ops if o.ret is None})
    keys = {o.key for o in ops}
    key = "y" if "y" in keys or rng.random() < 0.6 else "x"
    value = 1 + max((o.value for o in ops if o.key == key and o.value is not None), default=0)
    t = 1 + max(o.ret if o.ret is not None else o.call for o in ops)
    for i in range(target - len(ops)):
        f = "W" if i == 0 else "R"
        ops.append(Draft(rng.choice(free), f, key, value, t, t + 1))
        t += 2
    return ops


def _cast(ops: list[Draft], rng: random.Random) -> dict[int, str]:
    """Deal the roles to process names P1..Pn at random (roles in order of appearance)."""
    roles = list(dict.fromkeys(o.role for o in ops))
    assert 2 <= len(roles) <= MAX_PROCESSES, roles
    names = [f"P{i + 1}" for i in range(len(roles))]
    rng.shuffle(names)
    return dict(zip(roles, names))


def label(o: Draft, process: str) -> str:
    """The op as the hint shows it: ``P3:R(x)0``, ``P1:W(x)2?``, ``P2:R(x)?``."""
    value = "" if o.value is None else str(o.value)
    return f"{process}:{o.f}({o.key}){value}{o.mark}"


def render(ops: list[Draft], names: Mapping[int, str]) -> str:
    """The notation text: ``init`` line, then one line per process (by name), ops by call time."""
    keys = sorted({o.key for o in ops})
    lines = ["init " + " ".join(f"{k}=0" for k in keys)]
    for role, name in sorted(names.items(), key=lambda kv: kv[1]):
        tokens = []
        for o in sorted((o for o in ops if o.role == role), key=lambda o: o.call):
            value = "" if o.value is None else str(o.value)
            tail = "" if o.ret is None else f"-{o.ret}"
            tokens.append(f"{o.f}({o.key}){value}{o.mark}@{o.call}{tail}")
        lines.append(f"{name}: " + " ".join(tokens))
    return "\n".join(lines) + "\n"


def generate(flavour: str, rng: random.Random, max_ops: int = MAX_OPS) -> Generated:
    """One history of ``flavour`` drawn from ``rng`` (``KeyError`` for an unknown flavour)."""
    sketch = FLAVOURS[flavour](rng)
    ops = _pad(list(sketch.ops), rng, max_ops)
    assert MIN_OPS <= len(ops) <= MAX_OPS and len({o.key for o in ops}) <= 2, ops
    names = _cast(ops, rng)
    text = render(ops, names)
    parse_notation(text)  # a template bug (overlapping ops of one process, …) fails here, loudly
    args = {arg: names[sketch.ops[i].role] if kind == "process" else label(sketch.ops[i], names[sketch.ops[i].role])
            for arg, (kind, i) in sketch.refs.items()}
    return Generated(flavour, text, sketch.hint, args)

