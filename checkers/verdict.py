"""What every checker returns, and the budget that bounds it.

Theory of operation
-------------------
``check(history, budget) -> Verdict``. ``Verdict.result`` is ``ok`` (the history satisfies
the model; ``witness`` holds the order that proves it), ``illegal`` (it does not; ``witness``
holds what a student needs to see why) or ``unknown`` (the budget ran out, or the model does
not apply to this datatype — ``applicable`` says which). ``explanation`` is a list of
translatable lines (``Message``: a catalog key under ``chk.`` plus arguments), so the page
can show them in English or 简体中文 and the CLI in English.

A ``Budget`` counts search steps (deterministic: the same history always gets the same
verdict for the same step budget) and may also carry ``keep_going``, a callable the caller
supplies (the UI's 2-second deadline with a progress bar and a cancel button, the CLI's
``--timeout``). Checkers never read a clock themselves (ARCHITECTURE.md §2); they call
``budget.tick()`` inside their search loops and stop with ``unknown`` when it says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

RESULTS = ("ok", "illegal", "unknown")
MODELS = ("linearizable", "sequential", "causal", "pram", "read-your-writes", "monotonic-reads",
          "monotonic-writes", "writes-follow-reads", "eventual")


@dataclass(frozen=True, slots=True)
class Message:
    """One translatable line of an explanation: ``chk.<...>`` key and its arguments."""

    key: str
    args: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"key": self.key, "args": dict(self.args)}


@dataclass(frozen=True, slots=True)
class Verdict:
    model: str
    result: str
    explanation: tuple[Message, ...] = ()
    witness: Mapping[str, Any] = field(default_factory=dict)
    applicable: bool = True
    steps: int = 0  # search steps used (what the budget counted)

    def to_json(self, render: Callable[[Message], str] | None = None) -> dict:
        lines = [render(m) if render else m.to_json() for m in self.explanation]
        return {"model": self.model, "result": self.result, "applicable": self.applicable,
                "explanation": lines, "witness": _jsonable(self.witness)}


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, set | frozenset) else items
    return value


class OutOfBudget(Exception):
    """Raised by ``Budget.tick`` inside a search; the checker turns it into ``unknown``."""


class Budget:
    """Search steps left plus an optional caller-supplied ``keep_going()`` (e.g. a deadline).

    ``keep_going`` is consulted every ``poll`` steps only, so a wall-clock check costs
    nothing measurable in the hot loop.
    """

    DEFAULT_STEPS = 50_000_000

    def __init__(self, max_steps: int | None = None, keep_going: Callable[[], bool] | None = None,
                 poll: int = 256):
        self.max_steps = self.DEFAULT_STEPS if max_steps is None else max_steps
        self.keep_going = keep_going
        self.poll = poll
        self.used = 0
        self._next_poll = poll

    def tick(self, n: int = 1) -> None:
        self.used += n
        if self.used >= self._next_poll:
            self._next_poll = self.used + self.poll
            if self.used > self.max_steps or (self.keep_going is not None and not self.keep_going()):
                raise OutOfBudget

    def exhausted(self) -> bool:
        return self.used > self.max_steps


def unknown(model: str, budget: Budget, key: str = "chk.unknown.budget", **args: Any) -> Verdict:
    return Verdict(model, "unknown", (Message(key, args),), {}, True, budget.used)


def not_applicable(model: str, key: str = "chk.unknown.not_applicable", **args: Any) -> Verdict:
    return Verdict(model, "unknown", (Message(key, args),), {}, False, 0)
