"""The glossary (``lessons/glossary.yaml``): each term in English with its standard Chinese
translation, a one-line definition in both languages and its source.

Theory of operation
-------------------
One file is the vocabulary of the whole app: the Glossary page lists it, and
``tests/test_glossary.py`` holds every Chinese catalog string, lesson and preset to it — a term
listed under ``avoid`` (a non-standard rendering such as 矢量时钟 for 向量时钟) may appear
nowhere. Read with ``yaml.safe_load``; a malformed entry raises ``ValueError`` naming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

import yaml

GLOSSARY_FILE = Path(__file__).parent / "glossary.yaml"


@dataclass(frozen=True)
class Term:
    en: str
    zh: str
    definition: Mapping[str, str]
    source: str
    avoid: tuple[str, ...] = ()


def load_glossary() -> list[Term]:
    """Every term, sorted by its English name."""
    data = yaml.safe_load(GLOSSARY_FILE.read_text(encoding="utf-8")) or {}
    terms = []
    for k, raw in enumerate(data.get("terms") or []):
        d = raw.get("def") if isinstance(raw, dict) else None
        if not isinstance(raw, dict) or not all(isinstance(raw.get(f), str) and raw[f] for f in ("en", "zh", "source")) \
                or not isinstance(d, dict) or not all(isinstance(d.get(lang), str) and d[lang] for lang in ("en", "zh")):
            raise ValueError(f"{GLOSSARY_FILE}: term {k} needs en, zh, def.en, def.zh and source")
        terms.append(Term(raw["en"], raw["zh"], {"en": d["en"], "zh": d["zh"]}, raw["source"],
                          tuple(raw.get("avoid") or ())))
    return sorted(terms, key=lambda term: term.en.lower())


def matching(terms: list[Term], query: str, lang: str) -> list[Term]:
    """The terms whose English or Chinese name, or definition in ``lang``, contains ``query``
    (case-insensitive; an empty query keeps them all)."""
    q = query.strip().lower()
    return [t for t in terms if not q or q in t.en.lower() or q in t.zh or q in t.definition[lang].lower()]
