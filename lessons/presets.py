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

A caption may name what the diagram highlights while the cursor is on its step (the player's
tour; by default the step's own events, ``viz.player_data.caption_highlight``)::

      - {step: 12, en: ..., zh: ..., highlight: {nodes: [rm1, rm3], steps: [10, 12]}}

``validate_captions`` checks that (node ids of the scenario, steps no later than the caption's,
since the diagram never shows the future) when a preset loads: a bad one is a clear
``CaptionError`` naming the preset, the caption and the field, never a silently empty halo.

Its id is the file name without ``.yaml``; the file name must start with the protocol's
id (``two-phase-commit-coordinator-crash.yaml``). Adding a preset means adding a file:
``list_presets`` finds it, and the test suite runs every one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, NamedTuple, Sequence

from sim.scenario import Scenario, load_scenario_text

SCENARIO_DIR = Path(__file__).parent / "scenarios"


class CaptionError(ValueError):
    """A preset's caption is malformed (a bug of ours, caught by the tests): the message names the
    preset file, the caption index and the field, e.g. ``captions[2].highlight.nodes: unknown node``."""


HIGHLIGHT_KEYS = frozenset({"nodes", "steps"})


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def validate_captions(meta: Mapping[str, Any], nodes: Sequence[str], n_steps: int | None = None,
                      where: str = "preset") -> None:
    """Raise ``CaptionError`` unless every caption has an int ``step`` ≥ 0 (and < ``n_steps`` when
    the run's length is given) and an optional ``highlight: {nodes: [...], steps: [...]}`` with at
    least one entry, known node ids only, and steps in ``0..step`` of that caption."""
    caps = meta.get("captions") or ()
    if not isinstance(caps, (list, tuple)):
        raise CaptionError(f"{where}: captions must be a list")
    for i, c in enumerate(caps):
        at = f"{where}: captions[{i}]"
        if not isinstance(c, Mapping) or not _is_int(c.get("step")) or c["step"] < 0:
            raise CaptionError(f"{at}.step: must be a step number ≥ 0")
        step = c["step"]
        if n_steps is not None and step >= n_steps:
            raise CaptionError(f"{at}.step: step {step} is past the run's last step {n_steps - 1}")
        hl = c.get("highlight")
        if hl is None:
            continue
        if not isinstance(hl, Mapping) or not hl or set(hl) - HIGHLIGHT_KEYS:
            raise CaptionError(f"{at}.highlight: must be a mapping with 'nodes' and/or 'steps' "
                               f"(got {sorted(hl) if isinstance(hl, Mapping) else type(hl).__name__})")
        names, steps = hl.get("nodes", []), hl.get("steps", [])
        if not isinstance(names, list) or not isinstance(steps, list) or not (names or steps):
            raise CaptionError(f"{at}.highlight: 'nodes' and 'steps' must be lists, not both empty")
        for name in names:
            if name not in nodes:
                raise CaptionError(f"{at}.highlight.nodes: unknown node {name!r} (this scenario has "
                                   f"{', '.join(nodes)})")
        for s in steps:
            if not _is_int(s) or not 0 <= s <= step:
                raise CaptionError(f"{at}.highlight.steps: {s!r} is not a step in 0..{step} (a caption "
                                   f"highlights its own step or earlier ones: the diagram never shows the future)")


def scenario_nodes(sc: Scenario) -> tuple[str, ...]:
    """The node ids a scenario's run has (its protocol's ``node_ids`` for its parameters)."""
    from protocols import REGISTRY

    return tuple(REGISTRY[sc.protocol].node_ids(sc.params))


class Preset(NamedTuple):
    id: str  # file stem, e.g. "two-phase-commit-happy-path"
    protocol: str  # protocol id, e.g. "two-phase-commit"
    path: Path
    meta: Mapping[str, Any]


def _load(path: Path) -> Scenario:
    """The preset file's scenario, with its id in ``meta["preset"]`` (the lab's preset box and
    share links use it)."""
    sc = load_scenario_text(path.read_bytes())
    validate_captions(sc.meta, scenario_nodes(sc), where=f"preset {path.name}")
    return sc.replace(meta={**sc.meta, "preset": path.stem})


def list_presets(protocol: str | None = None) -> list[Preset]:
    """Every preset (optionally of one protocol), ordered by protocol, ``meta.order``, id.

    Raises ``ScenarioError`` for a broken preset file, ``CaptionError`` for a malformed caption and
    ``ValueError`` for a file whose name does not start with its protocol id: both are bugs of ours, caught by the tests."""
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
