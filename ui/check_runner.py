"""Checking a history against every model, bounded in time, with a progress bar and a Cancel
button — and remembered, so a rerun that does not change the history is instant.

Theory of operation
-------------------
``run_checks(history, history_json, seconds, t)`` calls ``checkers.check_all`` with a budget
factory from a ``Pacer``: each model gets a fresh ``Budget`` whose ``keep_going`` is a
``ui.deadline.deadline(seconds)`` (so the per-model limit is real wall time, read here and
never inside ``checkers/``) that also moves the progress bar — at most every
``PROGRESS_EVERY_S`` seconds, because each update is a message to the browser. The bar (and
Cancel) appear only once checking has taken ``SHOW_AFTER_S``: most histories are checked in
milliseconds, and a bar that flashes up and vanishes is noise.

Cancel. While the checkers run, the page shows a Cancel button. A click makes Streamlit
start a new script run at once (``runner.fastReruns``) and stop this one at its next
``st.*`` call — the next progress update, which happens within ``PROGRESS_EVERY_S``. The
button's ``on_click`` callback runs first in the new run and records which (history, budget)
was cancelled, so the new run does not simply start the same check again; it shows
"cancelled" and a button to check anyway (``clear_cancel``).

Cache. Results live in this session's state (``explorer.results``), keyed by a digest of the
canonical history JSON and the per-model budget, most recent ``MAX_CACHED`` only. Not
``st.cache_data``: it would record the progress-bar updates made inside the cached call and
replay them on every hit, and a cancelled run must never be cached at all (here it simply
never returns). ``unknown`` verdicts (budget ran out) are cached under that budget; a retry
with more time is a different key.
"""

from __future__ import annotations

import hashlib
import time
from typing import Any, Callable, Mapping

import streamlit as st

from checkers import check_all
from checkers.history import History
from checkers.verdict import MODELS, Budget, Verdict
from ui.deadline import clamp_seconds, deadline
from ui.explorer_witness import model_name_key

RESULTS_KEY = "explorer.results"
CANCEL_KEY = "explorer.cancelled"
CANCEL_BUTTON = "explorer.check.cancel"
MAX_CACHED = 12
PROGRESS_EVERY_S = 0.1
SHOW_AFTER_S = 0.3  # a check that is not done by then gets a progress bar and a Cancel button


def result_key(history_json: str, seconds: float) -> str:
    """The cache key of one check: the history's digest and the per-model budget."""
    digest = hashlib.sha256(history_json.encode("utf-8")).hexdigest()[:32]
    return f"{digest}@{clamp_seconds(seconds):g}"


class Pacer:
    """The budget factory ``check_all`` calls once per model, in ``MODELS`` order.

    ``report(fraction, model)`` is called when a model starts and then at most every
    ``every_s`` seconds from inside the search; ``fraction`` grows from 0 to 1 over all models
    (a model's share fills as its time budget is used up).
    """

    def __init__(self, seconds: float, report: Callable[[float, str], None], *,
                 models: tuple[str, ...] = MODELS, clock: Callable[[], float] = time.monotonic,
                 every_s: float = PROGRESS_EVERY_S):
        self.seconds = clamp_seconds(seconds)
        self.report = report
        self.models = models
        self.clock = clock
        self.every_s = every_s
        self.index = -1
        self._started = 0.0
        self._last_report = float("-inf")

    def fraction(self) -> float:
        if self.index < 0:
            return 0.0
        within = min(1.0, max(0.0, (self.clock() - self._started) / self.seconds))
        return min(1.0, (self.index + within) / len(self.models))

    def budget(self) -> Budget:
        self.index += 1
        self._started = self.clock()
        model = self.models[min(self.index, len(self.models) - 1)]
        self._last_report = self._started
        self.report(self.fraction(), model)
        in_time = deadline(self.seconds, self.clock)

        def keep_going() -> bool:
            now = self.clock()
            if now - self._last_report >= self.every_s:
                self._last_report = now
                self.report(self.fraction(), model)  # also where a Cancel click stops this run
            return in_time()

        return Budget(keep_going=keep_going)


def _results() -> dict[str, dict[str, Verdict]]:
    cache = st.session_state.get(RESULTS_KEY)
    if not isinstance(cache, dict):
        cache = st.session_state[RESULTS_KEY] = {}
    return cache


def cached(history_json: str, seconds: float) -> Mapping[str, Verdict] | None:
    return _results().get(result_key(history_json, seconds))


def _remember(key: str, verdicts: dict[str, Verdict]) -> None:
    cache = _results()
    cache.pop(key, None)
    cache[key] = verdicts
    while len(cache) > MAX_CACHED:
        cache.pop(next(iter(cache)))


def _cancel(key: str) -> None:
    st.session_state[CANCEL_KEY] = key


def clear_cancel() -> None:
    """``on_click`` of "check anyway": forget the cancellation so the next run checks."""
    st.session_state.pop(CANCEL_KEY, None)


def run_checks(history: History, history_json: str, seconds: float,
               t: Callable[..., str]) -> Mapping[str, Verdict] | None:
    """Every model's verdict on ``history`` (from the cache when possible); ``None`` if the
    learner cancelled this very check (the page then offers to check anyway)."""
    key = result_key(history_json, seconds)
    hit = _results().get(key)
    if hit is not None:
        return hit
    if st.session_state.get(CANCEL_KEY) == key:
        return None
    st.session_state.pop(CANCEL_KEY, None)  # an old cancellation of another history is moot
    slot = st.empty()  # the progress bar and Cancel appear here once a check takes a while
    shown: list[Any] = []
    started = time.monotonic()

    def report(fraction: float, model: str) -> None:
        if not shown:
            if time.monotonic() - started < SHOW_AFTER_S:
                return  # most checks take milliseconds: no flicker of a bar that is gone at once
            with slot.container():
                shown.append(st.progress(0.0))
                st.button(t("explorer.check.cancel"), key=CANCEL_BUTTON, on_click=_cancel, args=(key,))
        shown[0].progress(fraction, text=t("explorer.check.running", model=t(model_name_key(model))))

    verdicts = check_all(history, Pacer(seconds, report).budget)
    slot.empty()
    _remember(key, verdicts)
    return verdicts
