"""Scenario presets: the YAML files under ``lessons/scenarios/``, discovered, never registered.

Theory of operation
-------------------
A preset is an ordinary scenario file (``sim/scenario.py``, ``docs/formats.md``) whose
``meta`` carries a bilingual title, description and step captions::

    meta:
      title: {en: ..., zh: ...}
      description: {en: ..., zh: ...}
      order: 1                      # optional: position in the protocol's preset list
      captions: [{step: 7, en: ..., zh: ...}, ...]

Its id is the file name without ``.yaml``; the file name must start with the protocol's
id (``two-phase-commit-coordinator-crash.yaml``). Adding a preset means adding a file:
``list_presets`` finds it, and the test suite runs every one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, NamedTuple

from sim.scenario import Scenario, load_scenario_text

SCENARIO_DIR = Path(__file__).parent / "scenarios"


class Preset(NamedTuple):
    id: str  # file stem, e.g. "two-phase-commit-happy-path"
    protocol: str  # protocol id, e.g. "two-phase-commit"
    path: Path
    meta: Mapping[str, Any]


def _load(path: Path) -> Scenario:
    """The preset file's scenario, with its id in ``meta["preset"]`` (the lab's preset box and
    share links use it)."""
    sc = load_scenario_text(path.read_bytes())
    return sc.replace(meta={**sc.meta, "preset": path.stem})


def list_presets(protocol: str | None = None) -> list[Preset]:
    """Every preset (optionally of one protocol), ordered by protocol, ``meta.order``, id.

    Raises ``ScenarioError`` for a broken preset file and ``ValueError`` for a file whose
    name does not start with its protocol id: both are bugs of ours, caught by the tests."""
    out = []
    for path in sorted(SCENARIO_DIR.glob("*.yaml")):
        sc = _load(path)
        if not path.stem.startswith(sc.protocol + "-"):
            raise ValueError(f"preset {path.name} must start with its protocol id {sc.protocol!r}")
        if protocol is None or sc.protocol == protocol:
            out.append(Preset(id=path.stem, protocol=sc.protocol, path=path, meta=dict(sc.meta)))
    order = lambda p: (p.protocol, p.meta.get("order", 1_000) if isinstance(p.meta.get("order"), int) else 1_000,
                       p.id)
    return sorted(out, key=order)


def load_preset(preset_id: str) -> Scenario:
    """The scenario of preset ``preset_id``; ``KeyError`` if there is none (ids are never paths)."""
    for path in SCENARIO_DIR.glob("*.yaml"):
        if path.stem == preset_id:
            return _load(path)
    raise KeyError(preset_id)


def caption_at(meta: Mapping[str, Any], step: int, lang: str) -> str | None:
    """The caption of the latest captioned step ≤ ``step`` in language ``lang``, if any."""
    best = None
    for c in meta.get("captions", ()) or ():
        if isinstance(c, Mapping) and isinstance(c.get("step"), int) and c["step"] <= step:
            if best is None or c["step"] >= best["step"]:
                best = c
    if best is None:
        return None
    return best.get(lang) or best.get("en")
