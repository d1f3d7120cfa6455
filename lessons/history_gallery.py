"""The gallery of classic histories: the YAML files under ``lessons/histories/``, discovered,
never registered.

Theory of operation
-------------------
Each file is one textbook example with a bilingual title and explanation, the figure it comes
from, the history itself and the verdict every checkable model must give::

    order: 30                        # position in the gallery (then the id)
    title: {en: ..., zh: ...}
    explanation: {en: ..., zh: ...}  # one paragraph, Markdown
    source: "Tanenbaum & van Steen, Distributed Systems, 2nd ed. (2007), Fig. 7-5(b)"
    notation: |                      # the compact notation (checkers.formats.parse_notation) ...
      P1: W(x)a
      P2: W(x)b
    # textbook: {...}                # ... or the textbook format (checkers.formats.read_history)
    expected:                        # one line per model of checkers.verdict.MODELS
      linearizable: not-applicable   # ok | illegal | not-applicable
      sequential: illegal
      ...

The id is the file name without ``.yaml``. ``expected`` is the science of the gallery:
``tests/test_history_gallery.py`` runs every checker on every entry and fails when a verdict
differs, so a wrong expectation (or a checker bug) cannot hide. ``not-applicable`` is the
verdict of a model that does not apply (linearizability of an untimed history).

Files are read with ``yaml.safe_load`` (no tags, no code). A malformed file raises
``GalleryError`` naming the file and field: a bug of ours, which the tests catch.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import yaml

from checkers.history import History
from checkers.verdict import MODELS, Verdict

GALLERY_DIR = Path(__file__).parent / "histories"
LANGS = ("en", "zh")
EXPECTED = ("ok", "illegal", "not-applicable")


class GalleryError(ValueError):
    """A gallery file that does not follow the schema above (a bug of ours)."""


@dataclass(frozen=True, slots=True)
class GalleryEntry:
    id: str
    order: int
    title: Mapping[str, str]
    explanation: Mapping[str, str]
    source: str
    notation: str | None
    textbook: Mapping[str, Any] | None
    expected: Mapping[str, str]

    def text(self, field: str, lang: str) -> str:
        """``title`` or ``explanation`` in ``lang`` (English if that language is missing)."""
        texts = getattr(self, field)
        return texts.get(lang) or texts["en"]

    def history(self) -> History:
        """The entry's history, parsed by the same readers the page uses for typed or uploaded input."""
        from checkers import formats  # imported late: the page imports this module before any checker runs

        if self.notation is not None:
            return formats.parse_notation(self.notation)
        return formats.read_history(json.dumps(self.textbook), name=f"{self.id}.json")


def verdict_word(verdict: Verdict) -> str:
    """A verdict in the words of ``expected``: ``ok``, ``illegal``, ``not-applicable`` or ``unknown``."""
    if not verdict.applicable:
        return "not-applicable"
    return verdict.result


def _bilingual(doc: Mapping[str, Any], field: str, where: str) -> dict[str, str]:
    value = doc.get(field)
    if not isinstance(value, Mapping) or set(value) != set(LANGS):
        raise GalleryError(f"{where}: '{field}' must give exactly {', '.join(LANGS)}")
    if not all(isinstance(value[lang], str) and value[lang].strip() for lang in LANGS):
        raise GalleryError(f"{where}: '{field}' must be non-empty text in every language")
    return {lang: value[lang].strip() for lang in LANGS}


def _expected(doc: Mapping[str, Any], where: str) -> dict[str, str]:
    value = doc.get("expected")
    if not isinstance(value, Mapping) or set(value) != set(MODELS):
        raise GalleryError(f"{where}: 'expected' must give a verdict for each of {', '.join(MODELS)}")
    bad = {m: v for m, v in value.items() if v not in EXPECTED}
    if bad:
        raise GalleryError(f"{where}: 'expected' verdicts must be one of {EXPECTED}, not {bad}")
    return {m: value[m] for m in MODELS}


def parse_entry(entry_id: str, text: str) -> GalleryEntry:
    """One gallery file's text as an entry (``GalleryError`` if it breaks the schema)."""
    where = f"lessons/histories/{entry_id}.yaml"
    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise GalleryError(f"{where}: not valid YAML ({e})") from None
    if not isinstance(doc, Mapping):
        raise GalleryError(f"{where}: must be a mapping")
    unknown = set(doc) - {"order", "title", "explanation", "source", "notation", "textbook", "expected"}
    if unknown:
        raise GalleryError(f"{where}: unknown fields {sorted(unknown)}")
    notation, textbook = doc.get("notation"), doc.get("textbook")
    if (notation is None) == (textbook is None):
        raise GalleryError(f"{where}: give exactly one of 'notation' and 'textbook'")
    if notation is not None and not (isinstance(notation, str) and notation.strip()):
        raise GalleryError(f"{where}: 'notation' must be text")
    if textbook is not None and not isinstance(textbook, Mapping):
        raise GalleryError(f"{where}: 'textbook' must be a mapping")
    source, order = doc.get("source"), doc.get("order", 1_000)
    if not (isinstance(source, str) and source.strip()):
        raise GalleryError(f"{where}: 'source' (the figure or paper the example comes from) is required")
    if isinstance(order, bool) or not isinstance(order, int):
        raise GalleryError(f"{where}: 'order' must be a whole number")
    return GalleryEntry(id=entry_id, order=order, title=_bilingual(doc, "title", where),
                        explanation=_bilingual(doc, "explanation", where), source=source.strip(),
                        notation=notation, textbook=textbook, expected=_expected(doc, where))


@functools.cache
def load_gallery(directory: Path = GALLERY_DIR) -> tuple[GalleryEntry, ...]:
    """Every entry, ordered by ``order`` then id (cached: the files are part of the app)."""
    entries = [parse_entry(p.stem, p.read_text(encoding="utf-8")) for p in sorted(directory.glob("*.yaml"))]
    return tuple(sorted(entries, key=lambda e: (e.order, e.id)))


def gallery_entry(entry_id: str) -> GalleryEntry:
    """The entry ``entry_id``; ``KeyError`` if there is none (ids are never paths)."""
    for e in load_gallery():
        if e.id == entry_id:
            return e
    raise KeyError(entry_id)
