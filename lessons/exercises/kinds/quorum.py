"""The ``quorum`` exercise kind: choose N, R, W (and sync/async) for stated requirements.

Theory of operation
-------------------
An exercise names a **store** (``quorum-store``: Dynamo's N/R/W quorums; ``primary-backup``: one
primary, N − 1 backups, sync or async replication), a range for N and a list of
**requirements**. A requirement's arguments may be lists: the question's seed picks one value
of each (``random.Random(f"{id}:{seed}")``, never the global RNG), so two learners may have to
survive a different number of crashes.

Grading never takes the arithmetic's word for it. Each requirement has a **probe**: a scenario
built for the learner's configuration with exactly the stated faults, scheduled so that the
failure, if the configuration allows it, shows up in every run (not by luck of the network):

=====================  ====================================================================
requirement            probe (quorum store: ``nodes = N``, key ``x``, ``pref`` = its ring)
=====================  ====================================================================
write_available f      crash f replicas other than the coordinator at t = 0, put at t = 10
read_available f       the same crashes, get at t = 200; answered ``ok`` or timed out?
no_stale_reads         partition {the coordinator + W − 1 replicas} | {the rest}; put on the
                       first side, then get on the second: R replies there miss the write
                       exactly when R + W ≤ N (the read cannot gather R replies otherwise)
no_disjoint_writes     the same partition, one put on each side at once: both acknowledged
                       by disjoint quorums exactly when W ≤ N/2
fast_writes            six puts, no faults: the mean write latency against the fastest W
                       (or async) the other requirements admit at this N — the same N sends
                       the same messages, so the network draws the same delays
fewest_replicas        no run of its own: the smallest N the others admit, whose key
                       configuration is run through the other probes as proof
failover_no_loss (pb)  put x=1, put x=2 at t = 45, crash the primary at t = 46 (before the
                       next heartbeat), read at b1 once it has taken over
write_available (pb)   crash the first f nodes (the primary first) at t = 0, write at the
                       lowest-ranked survivor once it has taken over
=====================  ====================================================================

Staleness and lost writes are read off the client history of the run and corroborated by the
project's linearizability checker (``checkers.check``); availability from the client replies.
The **answer key** is the first configuration, in the order (N, W, R, async before sync), that
the closed-form rules admit (``R + W > N``, ``2W > N``, ``W ≤ N − f`` …); the tests feed it back
through ``grade`` for many seeds, which is what proves the rules and the probes agree.

Deviations: for primary-backup, R and W play no part (the primary serves reads; sync waits
for every backup, async for none) — they are validated but not graded; the prompt says so.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass
from typing import Any, Iterator, Mapping

from checkers import check
from checkers.from_trace import history_from_trace
from checkers.verdict import Budget, Message
from lessons.exercises import core
from lessons.exercises.runs import notes_of, returns_of, run_dict
from protocols.quorum_store import ring

QS, PB = "quorum-store", "primary-backup"
REQUIREMENTS = {QS: ("write_available", "read_available", "no_stale_reads", "no_disjoint_writes",
                     "fewest_replicas", "fast_writes"),
                PB: ("failover_no_loss", "write_available", "fewest_replicas", "fast_writes")}
N_BOUNDS = {QS: (1, 7), PB: (2, 5)}  # the protocols' own parameter bounds (PB: 1..4 backups)
OPTIMISING = ("fewest_replicas", "fast_writes")  # judged against the other requirements
CHECK_BUDGET = 200_000  # search steps: the probe histories have a handful of ops


@dataclass(frozen=True, slots=True)
class Config:
    n: int
    r: int
    w: int
    sync: bool = False


@dataclass(frozen=True, slots=True)
class Result:
    met: bool
    lines: tuple[Message, ...]
    witness: Mapping[str, Any]


# ------------------------------------------------------------------------------------ make
def make(spec: core.ExerciseSpec, seed: int) -> core.Question:
    p = spec.params
    store = p.get("store", QS)
    if store not in REQUIREMENTS:
        raise core.ExerciseError(f"{spec.id}: store must be one of {sorted(REQUIREMENTS)}")
    lo, hi = _n_range(spec, store)
    rng = random.Random(f"{spec.id}:{seed}")
    reqs = [_pick(spec, store, raw, rng) for raw in p.get("requirements") or ()]
    if not reqs:
        raise core.ExerciseError(f"{spec.id}: no requirements")
    data = {"store": store, "n_range": [lo, hi], "allow_sync": store == PB, "requirements": reqs}
    if _key_config(data) is None:
        raise core.ExerciseError(f"{spec.id} (seed {seed}): no configuration meets the requirements")
    intro = Message(f"ex_quorum.prompt.intro_{'pb' if store == PB else 'qs'}", {"lo": lo, "hi": hi})
    prompt = (intro, *(requirement_text(r) for r in reqs), Message("ex_quorum.prompt.graded", {}))
    hints = tuple({"en": en, "zh": zh} for en, zh in zip(spec.hints.get("en", ()), spec.hints.get("zh", ())))
    return core.Question(exercise_id=spec.id, kind=spec.kind, form="quorum", seed=seed, prompt=prompt,
                         data=data, hints=hints)


def _n_range(spec: core.ExerciseSpec, store: str) -> tuple[int, int]:
    raw = spec.params.get("n_range", list(N_BOUNDS[store]))
    lo_b, hi_b = N_BOUNDS[store]
    if not (isinstance(raw, list) and len(raw) == 2 and all(isinstance(x, int) for x in raw)
            and lo_b <= raw[0] <= raw[1] <= hi_b):
        raise core.ExerciseError(f"{spec.id}: n_range must be [lo, hi] within {lo_b}..{hi_b}")
    return raw[0], raw[1]


def _pick(spec: core.ExerciseSpec, store: str, raw: Any, rng: random.Random) -> dict[str, Any]:
    """One requirement with its arguments fixed by the seed (a list argument = the choices)."""
    if not isinstance(raw, Mapping) or raw.get("id") not in REQUIREMENTS[store]:
        raise core.ExerciseError(f"{spec.id}: requirement ids for {store}: {REQUIREMENTS[store]}")
    args = {k: rng.choice(v) if isinstance(v, list) else v for k, v in sorted(raw.items()) if k != "id"}
    if raw["id"] in ("write_available", "read_available") and not (isinstance(args.get("f"), int) and args["f"] >= 1):
        raise core.ExerciseError(f"{spec.id}: {raw['id']} needs an integer f ≥ 1")
    return {"id": raw["id"], "args": args}


def requirement_text(req: Mapping[str, Any]) -> Message:
    return Message(f"ex_quorum.req.{req['id']}", dict(req["args"]))


# ------------------------------------------------------------------------------ answers
def parse_answer(question: core.Question, raw: Any) -> Config:
    """``{"n", "r", "w"[, "sync"]}`` with whole numbers, N in range and 1 ≤ R, W ≤ N."""
    if not isinstance(raw, Mapping):
        raise core.AnswerError("ex_quorum.err.not_mapping", "the answer must be a mapping with n, r and w")
    allow_sync = bool(question.data["allow_sync"])
    allowed = {"n", "r", "w"} | ({"sync"} if allow_sync else set())
    extra = sorted(str(k) for k in raw if k not in allowed)
    if extra:
        raise core.AnswerError("ex_quorum.err.unknown_field", f"unknown field {extra[0]!r}", field=extra[0][:20])
    lo, hi = question.data["n_range"]
    n = _whole(raw, "n", lo, hi)
    r, w = _whole(raw, "r", 1, n), _whole(raw, "w", 1, n)
    sync = False
    if allow_sync:
        sync = raw.get("sync")
        if not isinstance(sync, bool):
            raise core.AnswerError("ex_quorum.err.sync", "sync must be true or false")
    return Config(n=n, r=r, w=w, sync=sync)


def _whole(raw: Mapping[str, Any], name: str, lo: int, hi: int) -> int:
    v = raw.get(name)
    if isinstance(v, bool) or not isinstance(v, int):
        raise core.AnswerError("ex_quorum.err.not_integer", f"{name} must be a whole number", field=name.upper())
    if not lo <= v <= hi:
        raise core.AnswerError("ex_quorum.err.out_of_range", f"{name} must be between {lo} and {hi}",
                               field=name.upper(), lo=lo, hi=hi)
    return v


def answer_key(question: core.Question) -> dict[str, Any]:
    cfg = _key_config(question.data)
    assert cfg is not None  # make() refuses exercises without one
    out = {"n": cfg.n, "r": cfg.r, "w": cfg.w}
    return {**out, "sync": cfg.sync} if question.data["allow_sync"] else out


# ----------------------------------------------------------------------- the arithmetic
def _configs(store: str, lo: int, hi: int) -> Iterator[Config]:
    """Every configuration, smallest first: N, then W, then R, async before sync."""
    for n in range(lo, hi + 1):
        if store == PB:
            yield Config(n, 1, 1, False)
            yield Config(n, 1, n, True)
        else:
            yield from (Config(n, r, w) for w in range(1, n + 1) for r in range(1, n + 1))


def rule_ok(store: str, req: Mapping[str, Any], c: Config) -> bool:
    """The closed-form rule of a plain (non-optimising) requirement."""
    rid, f = req["id"], req["args"].get("f", 0)
    if store == PB:
        return c.sync if rid == "failover_no_loss" else c.n > f
    return {"write_available": c.w <= c.n - f, "read_available": c.r <= c.n - f,
            "no_stale_reads": c.r + c.w > c.n, "no_disjoint_writes": 2 * c.w > c.n}[rid]


def _plain(reqs) -> list[Mapping[str, Any]]:
    return [r for r in reqs if r["id"] not in OPTIMISING]


def _admitted(data: Mapping[str, Any], n: int | None = None) -> list[Config]:
    """The configurations (of size ``n``, if given) that meet every plain requirement."""
    store, (lo, hi) = data["store"], data["n_range"]
    lo, hi = (n, n) if n is not None else (lo, hi)
    return [c for c in _configs(store, lo, hi) if all(rule_ok(store, r, c) for r in _plain(data["requirements"]))]


def _key_config(data: Mapping[str, Any]) -> Config | None:
    """The smallest admitted configuration: its N is the fewest and its W (or async) the fastest."""
    admitted = _admitted(data)
    return admitted[0] if admitted else None


# -------------------------------------------------------------------------------- grade
def grade(question: core.Question, cfg: Config) -> core.Feedback:
    data, seed = question.data, question.seed
    lines: list[Message] = []
    failing: list[Result] = []
    first: Result | None = None
    for req in data["requirements"]:
        res = _judge(data, req, cfg, seed)
        first = first or res
        verdict = "met" if res.met else "not_met"
        lines.append(Message(f"ex_quorum.verdict.{verdict}", {"req": requirement_text(req)}))
        lines.extend(res.lines)
        if not res.met:
            failing.append(res)
    total = len(data["requirements"])
    summary = (Message("ex_quorum.summary.correct", {"total": total}) if not failing else
               Message("ex_quorum.summary.wrong", {"failed": len(failing), "total": total}))
    shown = failing[0] if failing else first
    return core.Feedback(correct=not failing, explanation=(summary, *lines),
                         witness=dict(shown.witness) if shown else {})


def _judge(data: Mapping[str, Any], req: Mapping[str, Any], cfg: Config, seed: int) -> Result:
    rid, store = req["id"], data["store"]
    if rid == "fewest_replicas":
        return _fewest(data, cfg, seed)
    if rid == "fast_writes":
        return _fast(data, cfg, seed)
    if store == PB:
        return _pb_failover(cfg, seed) if rid == "failover_no_loss" else _pb_available(cfg, req["args"]["f"], seed)
    if rid in ("write_available", "read_available"):
        return _qs_available(cfg, req["args"]["f"], rid == "write_available", seed)
    return _qs_stale(cfg, seed) if rid == "no_stale_reads" else _qs_disjoint(cfg, seed)


# --------------------------------------------------------------------- quorum-store probes
def _qs_scenario(cfg: Config, seed: int, faults: list, workload: list, high: int = 15) -> dict[str, Any]:
    return {"protocol": QS, "params": {"nodes": cfg.n, "N": cfg.n, "R": cfg.r, "W": cfg.w, "timeout": 80},
            "seed": seed, "network": {"latency": {"kind": "uniform", "low": 5, "high": high}},
            "faults": faults, "workload": workload, "limits": {"max_steps": 5000}}


def _pref(n: int) -> list[str]:
    return ring("x", tuple(f"n{i + 1}" for i in range(n)))


def _op(at: int, node: str, client: str, f: str, value: Any = None) -> dict[str, Any]:
    op = {"f": f, "key": "x"} if value is None else {"f": f, "key": "x", "value": value}
    return {"at": at, "node": node, "client": client, "op": op}


def _witness(scenario: Mapping[str, Any], step: int) -> dict[str, Any]:
    return {"scenario": copy.deepcopy(dict(scenario)), "step": int(step)}  # the UI may keep it: its own copy


def _reply(trace, client: str):
    """(invoke, return or None) of the probe op of ``client``, or (None, None) if never invoked."""
    return next(((i, r) for i, r in returns_of(trace) if i.detail.get("client") == client), (None, None))


def _ok(ret) -> bool:
    return ret is not None and isinstance(ret.detail.get("result"), Mapping) and ret.detail["result"].get("ok") is True


def _qs_available(cfg: Config, f: int, write: bool, seed: int) -> Result:
    pref = _pref(cfg.n)
    crashed = pref[1:1 + f] if f < cfg.n else pref  # never the coordinator, unless every replica is down
    sc = _qs_scenario(cfg, seed, [{"type": "crash", "node": n, "at": 0} for n in crashed],
                      [_op(10, pref[0], "w1", "put", 1), _op(200, pref[0], "r1", "get")])
    trace = run_dict(sc)
    inv, ret = _reply(trace, "w1" if write else "r1")
    need, name = (cfg.w, "W") if write else (cfg.r, "R")
    args = {"f": f, "crashed": ", ".join(crashed), "node": pref[0], "q": name, "need": need,
            "left": max(cfg.n - f, 0)}
    reason = Message(f"ex_quorum.reason.avail_{'yes' if need <= cfg.n - f else 'no'}", args)
    op = "put" if write else "get"
    if inv is None:  # the coordinator itself was down: the request never got in
        return Result(False, (Message("ex_quorum.evidence.all_down", {**args, "op": op}), reason),
                      _witness(sc, trace.n_steps - 1))
    if _ok(ret):
        return Result(True, (Message("ex_quorum.evidence.avail_ok", {**args, "op": op, "time": inv.time,
                                                                     "done": ret.time}), reason),
                      _witness(sc, ret.step))
    step = ret.step if ret is not None else trace.n_steps - 1
    return Result(False, (Message("ex_quorum.evidence.avail_failed", {**args, "op": op, "time": inv.time}), reason),
                  _witness(sc, step))


def _sides(cfg: Config) -> tuple[list[str], list[str]]:
    """The write side (the coordinator and W − 1 replicas) and the rest of the key's replicas."""
    pref = _pref(cfg.n)
    return pref[:cfg.w], pref[cfg.w:]


def _partition(side: list[str], rest: list[str]) -> list[dict[str, Any]]:
    return [{"type": "partition", "groups": [side], "at": 0}] if rest else []


def _linearizable(trace) -> str:
    history, _ = history_from_trace(trace)
    return check(history, "linearizable", Budget(CHECK_BUDGET)).result


def _qs_stale(cfg: Config, seed: int) -> Result:
    side, rest = _sides(cfg)
    reader = rest[0] if rest else side[-1]
    sc = _qs_scenario(cfg, seed, _partition(side, rest),
                      [_op(10, side[0], "w1", "put", 1), _op(150, reader, "r1", "get")])
    trace = run_dict(sc)
    (winv, wret), (rinv, rret) = _reply(trace, "w1"), _reply(trace, "r1")
    total = cfg.r + cfg.w
    reason = Message(f"ex_quorum.reason.intersect_{'yes' if total > cfg.n else 'no'}",
                     {"sum": total, "n": cfg.n, "r": cfg.r, "w": cfg.w})
    verdict = Message("ex_quorum.evidence.checker", {"result": Message(f"ex_quorum.checker.{_linearizable(trace)}",
                                                                       {})})
    if _ok(wret) and _ok(rret) and rret.detail["result"].get("value") != 1:
        evidence = Message("ex_quorum.evidence.stale", {
            "reader": reader, "time": rinv.time, "got": str(rret.detail["result"].get("value")),
            "acked": wret.time, "writers": ", ".join(side), "readers": ", ".join(rest)})
        return Result(False, (evidence, verdict, reason), _witness(sc, rret.step))
    if _ok(rret):
        evidence = Message("ex_quorum.evidence.fresh", {"reader": reader, "time": rinv.time,
                                                        "got": str(rret.detail["result"].get("value"))})
    else:
        evidence = Message("ex_quorum.evidence.read_blocked", {"reader": reader, "time": rinv.time, "r": cfg.r,
                                                               "readers": ", ".join(rest)})
    step = rret.step if rret is not None else trace.n_steps - 1
    return Result(True, (evidence, verdict, reason), _witness(sc, step))


def _qs_disjoint(cfg: Config, seed: int) -> Result:
    side, rest = _sides(cfg)
    other = rest[0] if rest else side[-1]
    sc = _qs_scenario(cfg, seed, _partition(side, rest),
                      [_op(10, side[0], "w1", "put", 1), _op(10, other, "w2", "put", 2)])
    trace = run_dict(sc)
    acks = {e.detail["args"]["client"]: e for e in notes_of(trace, "qs.put_done")}
    half = f"{cfg.n / 2:g}"
    reason = Message(f"ex_quorum.reason.majority_{'yes' if 2 * cfg.w > cfg.n else 'no'}",
                     {"w": cfg.w, "half": half, "n": cfg.n})
    a, b = acks.get("w1"), acks.get("w2")
    if a is not None and b is not None:
        qa, qb = a.detail["args"]["acks"].split(", "), b.detail["args"]["acks"].split(", ")
        if not set(qa) & set(qb):
            evidence = Message("ex_quorum.evidence.disjoint", {"a": ", ".join(qa), "b": ", ".join(qb),
                                                               "ta": a.time, "tb": b.time})
            return Result(False, (evidence, reason), _witness(sc, max(a.step, b.step)))
        evidence = Message("ex_quorum.evidence.overlap", {"common": ", ".join(sorted(set(qa) & set(qb)))})
        return Result(True, (evidence, reason), _witness(sc, max(a.step, b.step)))
    lone = other if a is not None else side[0]
    evidence = Message("ex_quorum.evidence.one_side", {"node": lone, "w": cfg.w})
    return Result(True, (evidence, reason), _witness(sc, trace.n_steps - 1))


# ------------------------------------------------------------------- primary-backup probes
def _pb_scenario(cfg: Config, seed: int, faults: list, workload: list) -> dict[str, Any]:
    return {"protocol": PB, "params": {"backups": cfg.n - 1, "sync_replication": cfg.sync, "backup_reads": False,
                                       "horizon_ticks": 600},
            "seed": seed, "network": {"latency": {"kind": "uniform", "low": 3, "high": 7}},
            "faults": faults, "workload": workload, "limits": {"max_steps": 20000}}


def _pb_ids(n: int) -> list[str]:
    return ["p"] + [f"b{i}" for i in range(1, n)]


def _pb_failover(cfg: Config, seed: int) -> Result:
    sc = _pb_scenario(cfg, seed, [{"type": "crash", "node": "p", "at": 46}],
                      [_op(10, "p", "w1", "put", 1), _op(45, "p", "w2", "put", 2), _op(300, "b1", "r1", "get")])
    trace = run_dict(sc)
    acked = [(v, ret) for v, c in ((1, "w1"), (2, "w2")) for _i, ret in [_reply(trace, c)] if _ok(ret)]
    rinv, rret = _reply(trace, "r1")
    reason = Message(f"ex_quorum.reason.{'sync' if cfg.sync else 'async'}", {})
    verdict = Message("ex_quorum.evidence.checker", {"result": Message(f"ex_quorum.checker.{_linearizable(trace)}",
                                                                       {})})
    crash = next(e for e in trace.events if e.kind == "crash")
    last_value, last_ret = acked[-1] if acked else (None, None)
    got = rret.detail["result"].get("value") if _ok(rret) else None
    newer = {v for v in (1, 2) if last_value is not None and v >= last_value}  # written in this order
    if last_ret is not None and _ok(rret) and got not in newer:
        evidence = Message("ex_quorum.evidence.lost", {"value": last_value, "acked": last_ret.time,
                                                       "crash": crash.time, "node": "b1", "time": rinv.time,
                                                       "got": str(got)})
        return Result(False, (evidence, verdict, reason), _witness(sc, rret.step))
    if not _ok(rret):  # the read did not come back: we cannot show the write survived
        evidence = Message("ex_quorum.evidence.no_read", {"node": "b1"})
        return Result(False, (evidence, reason), _witness(sc, trace.n_steps - 1))
    evidence = Message("ex_quorum.evidence.kept", {"acked": ", ".join(f"x={v}" for v, _r in acked) or "-",
                                                   "crash": crash.time, "node": "b1", "got": str(got)})
    return Result(True, (evidence, verdict, reason), _witness(sc, rret.step))


def _pb_available(cfg: Config, f: int, seed: int) -> Result:
    ids = _pb_ids(cfg.n)
    crashed = ids[:f]
    survivor = ids[f] if f < cfg.n else ids[-1]
    sc = _pb_scenario(cfg, seed, [{"type": "crash", "node": n, "at": 0} for n in crashed],
                      [_op(350, survivor, "w1", "put", 1)])
    trace = run_dict(sc)
    inv, ret = _reply(trace, "w1")
    args = {"f": f, "n": cfg.n, "crashed": ", ".join(crashed), "node": survivor}
    reason = Message(f"ex_quorum.reason.pb_avail_{'yes' if cfg.n > f else 'no'}", args)
    if _ok(ret):
        return Result(True, (Message("ex_quorum.evidence.pb_avail_ok", {**args, "done": ret.time}), reason),
                      _witness(sc, ret.step))
    key = "ex_quorum.evidence.all_down" if inv is None else "ex_quorum.evidence.pb_avail_failed"
    return Result(False, (Message(key, {**args, "op": "put"}), reason), _witness(sc, trace.n_steps - 1))


# ------------------------------------------------------------------------ optimising reqs
def _fewest(data: Mapping[str, Any], cfg: Config, seed: int) -> Result:
    smallest = _key_config(data)
    if cfg.n <= smallest.n:
        line = Message("ex_quorum.evidence.fewest_ok", {"n": smallest.n})
        return Result(True, (line,), {})
    # proof by running: the smaller configuration meets every other requirement in its own probes
    proofs = [_judge(data, r, smallest, seed) for r in _plain(data["requirements"])]
    if not all(p.met for p in proofs):  # rules and probes disagree (the tests say never): claim nothing
        return Result(True, (Message("ex_quorum.evidence.fewest_ok", {"n": cfg.n}),), {})
    line = Message("ex_quorum.evidence.smaller", {"n": smallest.n, "r": smallest.r, "w": smallest.w,
                                                  "mode": Message(f"ex_quorum.mode.{_mode(data, smallest)}", {}),
                                                  "yours": cfg.n})
    witness = next((p.witness for p in proofs if p.witness), {})
    return Result(False, (line,), witness)


def _mode(data: Mapping[str, Any], c: Config) -> str:
    return ("sync" if c.sync else "async") if data["store"] == PB else "quorum"


def _fast(data: Mapping[str, Any], cfg: Config, seed: int) -> Result:
    admitted = _admitted(data, cfg.n)
    if not admitted:
        return Result(True, (Message("ex_quorum.evidence.fast_vacuous", {"n": cfg.n}),), {})
    best = admitted[0]  # the smallest W (or async) at this N
    mine_ms, sc = _write_latency(data["store"], cfg, seed)
    best_ms, _ = _write_latency(data["store"], best, seed)
    args = {"mine": f"{mine_ms:.1f}", "best": f"{best_ms:.1f}", "w": cfg.w, "best_w": best.w,
            "mode": Message(f"ex_quorum.mode.{_mode(data, cfg)}", {}),
            "best_mode": Message(f"ex_quorum.mode.{_mode(data, best)}", {})}
    met = mine_ms <= best_ms
    key = "ex_quorum.evidence.latency_pb" if data["store"] == PB else "ex_quorum.evidence.latency"
    return Result(met, (Message(key, args), Message(f"ex_quorum.reason.fast_{'yes' if met else 'no'}", {})),
                  _witness(sc, 0))


def _write_latency(store: str, cfg: Config, seed: int) -> tuple[float, dict[str, Any]]:
    """Mean ticks from a put's invocation to its ``ok``, over six puts without faults (a put that
    is not acknowledged counts as the whole timeout, 80 ticks: slower than any acknowledged one)."""
    if store == PB:
        sc = _pb_scenario(cfg, seed, [], [_op(10 + 60 * k, "p", f"w{k}", "put", k) for k in range(6)])
    else:
        coord = _pref(cfg.n)[0]
        sc = _qs_scenario(cfg, seed, [], [_op(10 + 100 * k, coord, f"w{k}", "put", k) for k in range(6)], high=35)
    trace = run_dict(sc)
    ticks = [ret.time - inv.time if _ok(ret) else 80 for inv, ret in returns_of(trace)]
    return sum(ticks) / len(ticks), sc
