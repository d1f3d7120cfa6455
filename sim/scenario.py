"""Scenarios: the declarative, serialisable description of one run.

Theory of operation
-------------------
A scenario is everything ``sim.engine.run`` needs and nothing more: protocol id,
parameters, bug variant, seed, network model, fault schedule, client workload, delivery
mode (``random``, or ``manual`` with the learner's choices) and limits. Presets, share
links, exported files and exercises are all scenarios. ``parse_scenario`` validates an
untrusted dict (from YAML, JSON or a URL) field by field and raises ``ScenarioError``
naming the first bad field; it never executes anything (YAML is read with
``yaml.safe_load`` only, and sizes are bounded before parsing).

The file format is documented in ``docs/formats.md``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Mapping

from sim.workload import generate as generate_workload
from sim.workload import parse_spec as parse_workload_spec

FORMAT = "consistency-lab-scenario"
VERSION = 1

# Hard bounds: what an untrusted scenario may ask for (see docs/formats.md).
MAX_FILE_BYTES = 256 * 1024
MAX_STEPS = 250_000
MAX_TIME = 10_000_000
MAX_PENDING = 20_000
MAX_FAULTS = 500
MAX_WORKLOAD = 10_000  # client operations per scenario (a file is bounded by MAX_FILE_BYTES first)
MAX_CHOICES = 100_000
MAX_LATENCY = 100_000
MAX_SEED = 2**63 - 1
DEFAULT_LIMITS = {"max_steps": 5_000, "max_time": 1_000_000, "max_pending": 5_000}

LATENCY_KINDS = ("fixed", "uniform", "long_tail")
FAULT_TYPES = ("crash", "restart", "partition", "heal", "drop", "duplicate", "delay", "skew")
DELIVERY_MODES = ("random", "manual")


class ScenarioError(ValueError):
    """A bad scenario field. ``path`` names it (e.g. ``faults[2].node``); ``key`` and
    ``args`` let the UI translate the reason; ``str()`` is the English one-liner."""

    def __init__(self, path: str, key: str, english: str, **args: Any) -> None:
        super().__init__(f"{path}: {english}" if path else english)
        self.path = path
        self.key = key
        self.args_ = args
        self.english = english


@dataclass(frozen=True, slots=True, kw_only=True)
class Latency:
    kind: str = "uniform"
    low: int = 5
    high: int = 15
    # long_tail: Pareto tail above ``low`` with shape ``alpha``; ``high`` caps it
    alpha: float = 1.5


@dataclass(frozen=True, slots=True, kw_only=True)
class Network:
    latency: Latency = field(default_factory=Latency)
    loss: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0  # probability that a message gets an extra delay of up to ``reorder_delay``
    reorder_delay: int = 50


@dataclass(frozen=True, slots=True, kw_only=True)
class Fault:
    """One scheduled fault. Exactly one of ``at`` (sim time) or ``after_step`` is set."""

    type: str
    at: int | None = None
    after_step: int | None = None
    node: str | None = None
    groups: tuple[tuple[str, ...], ...] = ()  # partition: symmetric groups
    links: tuple[tuple[str, str], ...] = ()  # partition: one-way cut links (src, dst)
    msg: str | None = None  # drop / duplicate / delay: pending message id, e.g. "m7"
    by: int = 0  # delay: extra ticks; skew: clock offset in ticks


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientOp:
    at: int
    node: str
    client: str
    op: Mapping[str, Any]


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    protocol: str
    params: Mapping[str, Any] = field(default_factory=dict)
    bug: str | None = None
    seed: int = 1
    network: Network = field(default_factory=Network)
    faults: tuple[Fault, ...] = ()
    workload: tuple[ClientOp, ...] | None = None  # None: the protocol's default workload
    mode: str = "random"
    choices: tuple[str, ...] = ()
    max_steps: int = DEFAULT_LIMITS["max_steps"]
    max_time: int = DEFAULT_LIMITS["max_time"]
    max_pending: int = DEFAULT_LIMITS["max_pending"]
    meta: Mapping[str, Any] = field(default_factory=dict)  # title/captions of presets; not used by the run

    def to_dict(self) -> dict[str, Any]:
        return scenario_to_dict(self)

    def to_json(self) -> str:
        """Canonical JSON: the same scenario always gives the same bytes."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def replace(self, **changes: Any) -> "Scenario":
        from dataclasses import replace

        return replace(self, **changes)


# ------------------------------------------------------------------------ serialise
def _fault_to_dict(f: Fault) -> dict[str, Any]:
    out: dict[str, Any] = {"type": f.type}
    if f.at is not None:
        out["at"] = f.at
    if f.after_step is not None:
        out["after_step"] = f.after_step
    if f.node is not None:
        out["node"] = f.node
    if f.groups:
        out["groups"] = [list(g) for g in f.groups]
    if f.links:
        out["links"] = [list(link) for link in f.links]
    if f.msg is not None:
        out["msg"] = f.msg
    if f.by:
        out["by"] = f.by
    return out


def scenario_to_dict(s: Scenario) -> dict[str, Any]:
    lat = s.network.latency
    out: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "protocol": s.protocol,
        "params": dict(s.params),
        "bug": s.bug,
        "seed": s.seed,
        "network": {
            "latency": {"kind": lat.kind, "low": lat.low, "high": lat.high, "alpha": lat.alpha},
            "loss": s.network.loss,
            "duplicate": s.network.duplicate,
            "reorder": s.network.reorder,
            "reorder_delay": s.network.reorder_delay,
        },
        "faults": [_fault_to_dict(f) for f in s.faults],
        "delivery": {"mode": s.mode, "choices": list(s.choices)} if s.mode == "manual" else {"mode": "random"},
        "limits": {"max_steps": s.max_steps, "max_time": s.max_time, "max_pending": s.max_pending},
    }
    if s.workload is not None:
        out["workload"] = [{"at": w.at, "node": w.node, "client": w.client, "op": dict(w.op)} for w in s.workload]
    if s.meta:
        out["meta"] = dict(s.meta)
    return out


# -------------------------------------------------------------------------- validate
def _fail(path: str, key: str, english: str, **args: Any) -> ScenarioError:
    return ScenarioError(path, key, english, **args)


def _int(d: Mapping[str, Any], name: str, path: str, default: int, lo: int, hi: int) -> int:
    v = d.get(name, default)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not float(v).is_integer():
        raise _fail(f"{path}{name}", "err.not_integer", "must be a whole number")
    v = int(v)
    if not lo <= v <= hi:
        raise _fail(f"{path}{name}", "err.out_of_range", f"must be between {lo} and {hi}", lo=lo, hi=hi)
    return v


def _prob(d: Mapping[str, Any], name: str, path: str) -> float:
    v = d.get(name, 0.0)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0.0 <= float(v) <= 1.0:
        raise _fail(f"{path}{name}", "err.probability", "must be a probability between 0 and 1")
    return float(v)


def _mapping(v: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(v, Mapping):
        raise _fail(path, "err.not_mapping", "must be a mapping of fields")
    return v


def _only(d: Mapping[str, Any], allowed: set[str], path: str) -> None:
    for k in d:
        if k not in allowed:
            raise _fail(f"{path}{k}", "err.unknown_field", "unknown field")


def _str(v: Any, path: str, max_len: int = 64) -> str:
    if not isinstance(v, str) or not v or len(v) > max_len:
        raise _fail(path, "err.not_string", f"must be a non-empty string of at most {max_len} characters", n=max_len)
    return v


def _list(v: Any, path: str, max_len: int) -> list[Any]:
    if not isinstance(v, list):
        raise _fail(path, "err.not_list", "must be a list")
    if len(v) > max_len:
        raise _fail(path, "err.too_many", f"has more than {max_len} entries", n=max_len)
    return v


def parse_latency(d: Any, path: str) -> Latency:
    d = _mapping(d, path)
    _only(d, {"kind", "low", "high", "alpha"}, path + ".")
    kind = d.get("kind", "uniform")
    if kind not in LATENCY_KINDS:
        raise _fail(path + ".kind", "err.choice", f"must be one of {', '.join(LATENCY_KINDS)}",
                    choices=", ".join(LATENCY_KINDS))
    low = _int(d, "low", path + ".", 5, 0, MAX_LATENCY)
    high = _int(d, "high", path + ".", max(low, 15 if kind != "fixed" else low), 0, MAX_LATENCY)
    if high < low:
        raise _fail(path + ".high", "err.high_below_low", "must not be below low")
    alpha = d.get("alpha", 1.5)
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0.5 <= float(alpha) <= 10:
        raise _fail(path + ".alpha", "err.out_of_range", "must be between 0.5 and 10", lo=0.5, hi=10)
    return Latency(kind=kind, low=low, high=high, alpha=float(alpha))


def parse_network(d: Any) -> Network:
    d = _mapping(d, "network")
    _only(d, {"latency", "loss", "duplicate", "reorder", "reorder_delay"}, "network.")
    return Network(
        latency=parse_latency(d.get("latency", {}), "network.latency"),
        loss=_prob(d, "loss", "network."),
        duplicate=_prob(d, "duplicate", "network."),
        reorder=_prob(d, "reorder", "network."),
        reorder_delay=_int(d, "reorder_delay", "network.", 50, 0, MAX_LATENCY),
    )


def parse_fault(d: Any, path: str, nodes: tuple[str, ...]) -> Fault:
    d = _mapping(d, path)
    _only(d, {"type", "at", "after_step", "node", "groups", "links", "msg", "by"}, path + ".")
    ftype = d.get("type")
    if ftype not in FAULT_TYPES:
        raise _fail(path + ".type", "err.choice", f"must be one of {', '.join(FAULT_TYPES)}",
                    choices=", ".join(FAULT_TYPES))
    at = _int(d, "at", path + ".", 0, 0, MAX_TIME) if "at" in d else None
    after = _int(d, "after_step", path + ".", 0, 0, MAX_STEPS) if "after_step" in d else None
    if (at is None) == (after is None):
        raise _fail(path + ".at", "err.at_or_step", "give exactly one of 'at' (time) or 'after_step'")

    def node_name(v: Any, p: str) -> str:
        name = _str(v, p)
        if name not in nodes:
            raise _fail(p, "err.unknown_node", f"unknown node '{name}'", node=name)
        return name

    node = None
    if ftype in ("crash", "restart", "skew"):
        node = node_name(d.get("node"), path + ".node")
    groups: tuple[tuple[str, ...], ...] = ()
    links: tuple[tuple[str, str], ...] = ()
    if ftype == "partition":
        if "groups" in d:
            raw = _list(d["groups"], path + ".groups", 16)
            groups = tuple(tuple(node_name(n, f"{path}.groups[{i}][{j}]")
                                 for j, n in enumerate(_list(g, f"{path}.groups[{i}]", 64)))
                           for i, g in enumerate(raw))
        if "links" in d:
            raw = _list(d["links"], path + ".links", 1024)
            parsed = []
            for i, link in enumerate(raw):
                pair = _list(link, f"{path}.links[{i}]", 2)
                if len(pair) != 2:
                    raise _fail(f"{path}.links[{i}]", "err.link", "must be [from, to]")
                parsed.append((node_name(pair[0], f"{path}.links[{i}][0]"), node_name(pair[1], f"{path}.links[{i}][1]")))
            links = tuple(parsed)
        if not groups and not links:
            raise _fail(path + ".groups", "err.partition_empty", "give 'groups' or one-way 'links'")
    msg = None
    if ftype in ("drop", "duplicate", "delay"):
        msg = _str(d.get("msg"), path + ".msg", 16)
        if not (msg.startswith("m") and msg[1:].isdigit()):
            raise _fail(path + ".msg", "err.msg_id", "must be a message id like m7")
    by = 0
    if ftype == "delay":
        by = _int(d, "by", path + ".", 0, 1, MAX_LATENCY)
    elif ftype == "skew":
        by = _int(d, "by", path + ".", 0, -MAX_LATENCY, MAX_LATENCY)
    return Fault(type=ftype, at=at, after_step=after, node=node, groups=groups, links=links, msg=msg, by=by)


def _json_scalar_map(v: Any, path: str) -> dict[str, Any]:
    v = _mapping(v, path)
    if len(v) > 16:
        raise _fail(path, "err.too_many", "has more than 16 entries", n=16)
    out = {}
    for k, x in v.items():
        if not (x is None or isinstance(x, (bool, int, float, str))) or (isinstance(x, str) and len(x) > 256):
            raise _fail(f"{path}.{k}", "err.scalar", "must be a short string, number, boolean or null")
        out[_str(k, f"{path}.{k}")] = x
    return out


def parse_scenario(d: Any) -> Scenario:
    """Validate an untrusted dict into a ``Scenario``; raise ``ScenarioError`` naming the bad field."""
    from protocols import REGISTRY  # the registry lives above sim/ only by data, not by import cycle

    d = _mapping(d, "")
    _only(d, {"format", "version", "protocol", "params", "bug", "seed", "network", "faults", "workload",
              "delivery", "limits", "meta"}, "")
    if d.get("format", FORMAT) != FORMAT:
        raise _fail("format", "err.format", f"must be '{FORMAT}'", expected=FORMAT)
    if d.get("version", VERSION) != VERSION:
        raise _fail("version", "err.version", f"unsupported version (this app reads version {VERSION})", v=VERSION)
    proto_id = d.get("protocol")
    if not isinstance(proto_id, str) or proto_id not in REGISTRY:
        raise _fail("protocol", "err.unknown_protocol", f"unknown protocol '{str(proto_id)[:40]}'",
                    protocol=str(proto_id)[:40])
    spec = REGISTRY[proto_id]
    raw_params = _mapping(d.get("params", {}), "params")
    try:
        params = spec.resolve_params(raw_params)
    except KeyError as e:
        raise _fail(f"params.{e.args[0]}", "err.unknown_field", "unknown parameter") from None
    except ValueError:
        for name, value in raw_params.items():
            try:
                spec.param(name).validate(value)
            except ValueError as e:
                p = spec.param(name)
                raise _fail(f"params.{name}", "err.param", str(e), lo=p.minimum, hi=p.maximum) from None
        raise
    bug = d.get("bug")
    if bug is not None and (not isinstance(bug, str) or bug not in {b.id for b in spec.bugs}):
        raise _fail("bug", "err.unknown_bug", f"unknown bug variant '{str(bug)[:40]}'", bug=str(bug)[:40])
    nodes = spec.node_ids(params)
    faults_raw = _list(d.get("faults", []), "faults", MAX_FAULTS)
    faults = tuple(parse_fault(f, f"faults[{i}]", nodes) for i, f in enumerate(faults_raw))
    workload = None
    if isinstance(d.get("workload"), Mapping):  # {"generate": {...}}: a seeded workload (sim/workload.py)
        gen = _mapping(d["workload"], "workload")
        _only(gen, {"generate"}, "workload.")
        wspec = parse_workload_spec(_mapping(gen.get("generate", {}), "workload.generate"), nodes, _fail)
        if wspec.clients * wspec.ops_per_client > MAX_WORKLOAD:
            raise _fail("workload.generate.ops_per_client", "err.too_many", f"more than {MAX_WORKLOAD} operations",
                        n=MAX_WORKLOAD)
        d = {**d, "workload": generate_workload(wspec, _int(d, "seed", "", 1, 0, MAX_SEED), nodes)}
    if "workload" in d and d["workload"] is not None:
        wl = _list(d["workload"], "workload", MAX_WORKLOAD)
        ops = []
        for i, w in enumerate(wl):
            p = f"workload[{i}]"
            w = _mapping(w, p)
            _only(w, {"at", "node", "client", "op"}, p + ".")
            node = _str(w.get("node"), p + ".node")
            if node not in nodes:
                raise _fail(p + ".node", "err.unknown_node", f"unknown node '{node}'", node=node)
            ops.append(ClientOp(at=_int(w, "at", p + ".", 0, 0, MAX_TIME), node=node,
                                client=_str(w.get("client", "c1"), p + ".client"),
                                op=_json_scalar_map(w.get("op", {}), p + ".op")))
        workload = tuple(ops)
    delivery = _mapping(d.get("delivery", {"mode": "random"}), "delivery")
    _only(delivery, {"mode", "choices"}, "delivery.")
    mode = delivery.get("mode", "random")
    if mode not in DELIVERY_MODES:
        raise _fail("delivery.mode", "err.choice", "must be 'random' or 'manual'", choices="random, manual")
    choices: tuple[str, ...] = ()
    if mode == "manual":
        raw = _list(delivery.get("choices", []), "delivery.choices", MAX_CHOICES)
        choices = tuple(_str(c, f"delivery.choices[{i}]", 16) for i, c in enumerate(raw))
    limits = _mapping(d.get("limits", {}), "limits")
    _only(limits, set(DEFAULT_LIMITS), "limits.")
    seed = _int(d, "seed", "", 1, 0, MAX_SEED)
    meta = d.get("meta", {})
    meta = _mapping(meta, "meta")
    try:
        json.dumps(meta)
    except (TypeError, ValueError):
        raise _fail("meta", "err.not_mapping", "must be plain JSON data") from None
    return Scenario(
        protocol=proto_id, params=params, bug=bug, seed=seed,
        network=parse_network(d.get("network", {})), faults=faults, workload=workload,
        mode=mode, choices=choices,
        max_steps=_int(limits, "max_steps", "limits.", DEFAULT_LIMITS["max_steps"], 1, MAX_STEPS),
        max_time=_int(limits, "max_time", "limits.", DEFAULT_LIMITS["max_time"], 1, MAX_TIME),
        max_pending=_int(limits, "max_pending", "limits.", DEFAULT_LIMITS["max_pending"], 1, MAX_PENDING),
        meta=dict(meta),
    )


def _plain_data_loader():
    import yaml

    class PlainDataLoader(yaml.SafeLoader):
        """``SafeLoader`` that also refuses aliases, so a small file cannot expand into a huge one."""

        def compose_node(self, parent, index):  # noqa: D401 - PyYAML hook
            if self.check_event(yaml.AliasEvent):
                event = self.peek_event()
                raise yaml.composer.ComposerError(None, None, "aliases are not allowed", event.start_mark)
            return super().compose_node(parent, index)

    return PlainDataLoader


def load_scenario_text(text: str | bytes) -> Scenario:
    """Parse a YAML or JSON scenario file (untrusted). Size-bounded; ``yaml.safe_load`` only."""
    import yaml

    _PlainDataLoader = _plain_data_loader()
    if isinstance(text, bytes):
        if len(text) > MAX_FILE_BYTES:
            raise _fail("", "err.too_large", f"file is larger than {MAX_FILE_BYTES // 1024} KiB",
                        kib=MAX_FILE_BYTES // 1024)
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise _fail("", "err.not_utf8", "file is not UTF-8 text") from None
    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise _fail("", "err.too_large", f"file is larger than {MAX_FILE_BYTES // 1024} KiB",
                    kib=MAX_FILE_BYTES // 1024)
    try:
        data = yaml.load(text, Loader=_PlainDataLoader)  # JSON is YAML; plain data only
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark is not None else 0
        raise _fail("", "err.syntax", f"not valid YAML/JSON (line {line})", line=line) from None
    except RecursionError:
        raise _fail("", "err.syntax", "not valid YAML/JSON (nested too deeply)", line=0) from None
    return parse_scenario(data)
