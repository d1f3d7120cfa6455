"""Share links: a scenario and a cursor packed into one URL-safe query parameter.

Theory of operation
-------------------
``encode(scenario, cursor)`` = base64url(zlib(canonical JSON of ``{"s": scenario, "c": cursor}``)),
without padding. Because the scenario JSON is canonical and the simulator deterministic,
a link reproduces exactly the run and the step the sender saw.

``decode(text)`` treats its input as hostile (``sim.packed.unpack``): the encoded text is at
most ``MAX_ENCODED`` characters of the base64url alphabet, the decompressed JSON at most
``MAX_DECODED`` bytes (a compression bomb stops at the limit), JSON only (never pickle,
never YAML tags), nesting depth caught, and the scenario validated by
``sim.scenario.parse_scenario``. Every failure is a ``ScenarioError`` whose ``key`` the
``errors`` catalog translates. ``parse_cursor`` checks the optional ``c`` parameter.

Pure: no Streamlit; the page reads and writes ``st.query_params``.
"""

from __future__ import annotations

from typing import Any, Mapping

from sim.packed import PackError, pack, unpack
from sim.scenario import MAX_STEPS, Scenario, ScenarioError, parse_scenario

MAX_ENCODED = 16 * 1024
MAX_DECODED = 256 * 1024


def _preset_meta(preset_id: Any) -> dict | None:
    from lessons.presets import load_preset

    try:
        return dict(load_preset(preset_id).meta) if isinstance(preset_id, str) else None
    except (KeyError, ValueError, OSError):
        return None


def compact_meta(meta: Mapping[str, Any]) -> dict[str, Any]:
    """A preset's bilingual titles and captions are most of a link's bytes: when ``meta`` is
    exactly a preset's (which records its own id), the link carries only ``{"preset": id}``."""
    if "preset" in meta and dict(meta) == _preset_meta(meta["preset"]):
        return {"preset": meta["preset"]}
    return dict(meta)


def expand_meta(meta: Mapping[str, Any]) -> dict[str, Any]:
    if set(meta) == {"preset"}:
        full = _preset_meta(meta["preset"])
        if full is not None:
            return full
    return dict(meta)


def encode(scenario: Scenario, cursor: int) -> str:
    doc = scenario.to_dict()
    if "meta" in doc:
        doc["meta"] = compact_meta(doc["meta"])
    return pack({"s": doc, "c": int(cursor)})


# Each way a link can fail to unpack (``sim.packed``), as the error the Lab shows.
_LINK_ERRORS = {
    "empty": lambda: ScenarioError("p", "err.share_empty", "the link carries no scenario"),
    "too_long": lambda: ScenarioError("p", "err.share_too_long", f"the link is longer than {MAX_ENCODED // 1024} KiB",
                                      kib=MAX_ENCODED // 1024),
    "alphabet": lambda: ScenarioError("p", "err.share_garbled", "the link is garbled (not base64url)"),
    "base64": lambda: ScenarioError("p", "err.share_garbled", "the link is garbled (not base64url)"),
    "zlib": lambda: ScenarioError("p", "err.share_garbled", "the link is garbled (not compressed data)"),
    "too_big": lambda: ScenarioError("p", "err.share_too_big", f"the link expands to more than {MAX_DECODED // 1024} KiB",
                                     kib=MAX_DECODED // 1024),
    "truncated": lambda: ScenarioError("p", "err.share_garbled", "the link is garbled (truncated)"),
    "json": lambda: ScenarioError("p", "err.share_garbled", "the link is garbled (not JSON)"),
    "nested": lambda: ScenarioError("p", "err.nested", "nested too deeply"),
}


def decode(text: str) -> tuple[Scenario, int]:
    """``(scenario, cursor)`` from a link's ``p`` parameter; ``ScenarioError`` on anything wrong."""
    try:
        data = unpack(text, max_encoded=MAX_ENCODED, max_decoded=MAX_DECODED)
    except PackError as e:
        raise _LINK_ERRORS[e.reason]() from None
    if not isinstance(data, dict) or set(data) != {"s", "c"}:
        raise ScenarioError("p", "err.share_garbled", "the link is garbled (unexpected content)")
    cursor = data["c"]
    if isinstance(cursor, bool) or not isinstance(cursor, int) or not 0 <= cursor <= MAX_STEPS:
        raise ScenarioError("c", "err.cursor", f"must be a step between 0 and {MAX_STEPS}", hi=MAX_STEPS)
    scenario = parse_scenario(data["s"])
    return scenario.replace(meta=expand_meta(scenario.meta)), cursor


def parse_cursor(text: str | None) -> int | None:
    """The optional ``c`` parameter (a step index); ``None`` when absent; ``ScenarioError`` when bad."""
    if text is None or text == "":
        return None
    if len(text) > 12 or not text.isdigit() or not text.isascii():
        raise ScenarioError("c", "err.cursor", f"must be a step between 0 and {MAX_STEPS}", hi=MAX_STEPS)
    value = int(text)
    if value > MAX_STEPS:
        raise ScenarioError("c", "err.cursor", f"must be a step between 0 and {MAX_STEPS}", hi=MAX_STEPS)
    return value
