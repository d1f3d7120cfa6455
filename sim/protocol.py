"""What a protocol module declares so the simulator, the CLI and the UI can use it.

Theory of operation
-------------------
Every module in ``protocols/`` exports one ``ProtocolSpec``: an id, its parameters with
hard bounds, its bug variants, its named invariants, ``node_ids`` (the node ids for given
parameters) and ``make_node`` (builds one node). ``protocols.REGISTRY`` collects them;
nothing else needs to know a protocol by name. Titles and descriptions are translation keys (``ui/i18n``), never prose here.

A consensus protocol may also give ``replica_view``: a pure reading of one node's snapshot
as a ``ReplicaView`` (live role, epoch — Raft's term or a Paxos ballot — and its log as
``LogEntry`` rows). The Protocol Lab's term timeline, log matrix and topology markers are
drawn from it, so they work for every protocol that provides one and for no other.

An invariant is a pure predicate over every node's state (``{node_id: snapshot}``),
returning ``None`` when it holds or an explanation (a translation key with arguments)
when it is violated. It is evaluated after every step of every run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from sim.types import Node

States = Mapping[str, Mapping[str, Any]]


@dataclass(frozen=True, slots=True, kw_only=True)
class Violation:
    """Why an invariant does not hold: a translation key and its arguments."""

    key: str
    args: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class Invariant:
    name: str  # the literature's name, e.g. "TCConsistent"
    check: Callable[[States], Violation | None]
    source: str  # citation, e.g. "Gray & Lamport 2006, TCommit.tla"
    description_key: str
    label_key: str = ""  # short translated label for badges; the canonical ``name`` is used when empty
    # the state fields ``check`` reads; when given, the simulator re-checks only after a step that
    # changed one of them (the verdict is a function of those fields), empty = after every step
    reads: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One slot of a replicated log as a view shows it."""

    index: int  # 1-based log index (Raft) or slot number (Multi-Paxos)
    epoch: int  # the term (Raft) or ballot that wrote it
    label: str  # what it holds, short, e.g. "put x=1"; equal labels at an index mean equal entries
    committed: bool  # this node knows it is committed / decided


@dataclass(frozen=True, slots=True)
class ReplicaView:
    """A node's snapshot read as a replica: live role, epoch and log (see the module doc)."""

    role: str  # live role id; translated as ``viz.role.<role>``
    epoch: int  # current term / highest ballot seen (0: none yet)
    entries: tuple[LogEntry, ...] = ()
    up: bool = True  # False while crashed (the snapshot then holds durable fields only)


@dataclass(frozen=True, slots=True, kw_only=True)
class Param:
    name: str
    default: int | float | bool
    minimum: int | float | None = None
    maximum: int | float | None = None
    help_key: str = ""

    def validate(self, value: Any) -> int | float | bool:
        """Coerce and bound-check ``value``; raises ``ValueError`` with an English reason."""
        if isinstance(self.default, bool):
            if not isinstance(value, bool):
                raise ValueError("must be true or false")
            return value
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError("must be a number")
        if isinstance(self.default, int) and not float(value).is_integer():
            raise ValueError("must be a whole number")
        value = type(self.default)(value)
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"must be at least {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise ValueError(f"must be at most {self.maximum}")
        return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Bug:
    id: str
    description_key: str
    breaks: tuple[str, ...]  # invariant names a test proves this variant can violate


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtocolSpec:
    id: str
    title_key: str
    summary_key: str
    source: str
    params: tuple[Param, ...]
    bugs: tuple[Bug, ...]
    invariants: tuple[Invariant, ...]
    # node ids for given params, in lane order
    node_ids: Callable[[Mapping[str, Any]], tuple[str, ...]]
    # one node for (node_id, all node ids, params, bug, rng)
    make_node: Callable[[str, tuple[str, ...], Mapping[str, Any], str | None, random.Random], Node]
    # default client workload for given params: list of {"at", "node", "client", "op"}
    default_workload: Callable[[Mapping[str, Any]], list[dict[str, Any]]] = lambda params: []
    # False for protocols that exist for benchmarks and smoke tests: the lab's protocol box omits
    # them (scenario files, share links and the CLI still accept them)
    teaching: bool = True
    # consensus protocols: read one node's snapshot as a replica (role, epoch, log); None for others
    replica_view: Callable[[Mapping[str, Any]], ReplicaView | None] | None = None
    # translation key naming the epoch ("Term" for Raft, "Ballot" for Paxos)
    epoch_key: str = ""
    # replicated stores: the consistency models (checkers model ids, e.g. "linearizable",
    # "causal", "read-your-writes") the store claims for given params and bug (None = no bug),
    # strongest first; () = no claim. Tests check every claimed model on client histories.
    claims: Callable[[Mapping[str, Any], str | None], tuple[str, ...]] = lambda params, bug: ()

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    def bug(self, bug_id: str) -> Bug:
        for b in self.bugs:
            if b.id == bug_id:
                return b
        raise KeyError(bug_id)

    def resolve_params(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Defaults overlaid with ``given``; raises ``KeyError``/``ValueError`` naming the bad one."""
        known = {p.name for p in self.params}
        for name in given:
            if name not in known:
                raise KeyError(name)
        return {p.name: p.validate(given[p.name]) if p.name in given else p.default for p in self.params}
