"""Wall-clock deadlines for the checkers' budgets.

Theory of operation
-------------------
Checkers never read a clock (ARCHITECTURE.md §2): they call ``Budget.tick()`` in their search
loops, and every ``poll`` steps the budget asks a caller-supplied ``keep_going()`` whether to go
on. This module is where the UI turns "at most 2 seconds per model" into such a callable. It
uses ``time.monotonic`` — never the time of day, which can jump (NTP, daylight saving) and
would make a deadline fire early or never.

The clock is a parameter (``clock=time.monotonic``) so tests can drive a deadline with a fake
clock instead of sleeping.
"""

from __future__ import annotations

import time
from typing import Callable

MIN_SECONDS = 0.5
MAX_SECONDS = 30.0
DEFAULT_SECONDS = 2.0


def clamp_seconds(seconds: float) -> float:
    """A per-model budget forced into the range the page offers (bad session state cannot ask for an hour)."""
    try:
        value = float(seconds)
    except (TypeError, ValueError):
        return DEFAULT_SECONDS
    if value != value:  # NaN
        return DEFAULT_SECONDS
    return min(MAX_SECONDS, max(MIN_SECONDS, value))


def deadline(seconds: float, clock: Callable[[], float] = time.monotonic) -> Callable[[], bool]:
    """``keep_going()`` that answers True until ``seconds`` have passed since this call."""
    stop_at = clock() + seconds

    def keep_going() -> bool:
        return clock() < stop_at

    return keep_going
