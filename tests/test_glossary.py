"""The glossary (lessons/glossary.yaml) and its page: every term bilingual, and the Chinese of the
catalogs, lessons and presets uses the standard translations (no rendering the glossary avoids)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lessons.glossary import load_glossary
from tests.support.apptest import open_page
from ui.i18n import catalog, translate

ROOT = Path(__file__).resolve().parents[1]


def test_every_term_is_bilingual_and_unique():
    terms = load_glossary()
    assert len(terms) >= 25
    assert len({t.en for t in terms}) == len(terms) and len({t.zh for t in terms}) == len(terms)
    assert {"线性一致性", "顺序一致性", "因果一致性", "最终一致性"} <= {t.zh for t in terms}


def _chinese_texts():
    yield from ((f"catalog {key}", text) for key, text in catalog("zh").items())
    for path in sorted((ROOT / "lessons").rglob("*")):
        if path.suffix in (".md", ".yaml") and path.name != "glossary.yaml" and path.name != "en.md":
            yield str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")


def test_the_chinese_everywhere_uses_the_standard_translations():
    avoided = {bad: t.zh for t in load_glossary() for bad in t.avoid}
    assert avoided
    found = [(where, bad, avoided[bad]) for where, text in _chinese_texts() for bad in avoided if bad in text]
    assert not found, found  # (where, non-standard term, the glossary's term)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_lists_and_searches_the_terms(lang):
    at = open_page("pages/glossary.py", lang)
    assert translate(lang, "glossary.title") in [x.value for x in at.title]
    assert len(at.dataframe[0].value) == len(load_glossary())
    at.text_input(key="glossary.search").input("向量").run()
    assert list(at.dataframe[0].value.iloc[:, 1]) == ["向量时钟"]
    at.text_input(key="glossary.search").input("zzzz-no-such-term").run()
    assert not at.dataframe and at.info
