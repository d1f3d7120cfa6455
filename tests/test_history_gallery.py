"""The gallery of classic histories (lessons/histories/*.yaml): every file loads, speaks both
languages, cites its source — and its expected verdicts are what the checkers say.

The last point is the science test of the gallery: an expectation that a checker does not
confirm (or a checker that changes its mind about a textbook example) fails here, naming the
entry and the model.
"""

from __future__ import annotations

import pytest

from checkers import check_all
from checkers.hierarchy import contradictions
from checkers.verdict import MODELS
from lessons.history_gallery import (EXPECTED, GALLERY_DIR, LANGS, GalleryError, gallery_entry, load_gallery,
                                     parse_entry, verdict_word)

ENTRIES = load_gallery()


def mismatches(expected, verdicts):
    """{model: (checker's word, expected word)} where they differ."""
    return {m: (verdict_word(verdicts[m]), expected[m]) for m in MODELS if verdict_word(verdicts[m]) != expected[m]}


def test_every_file_is_an_entry_and_there_are_at_least_ten():
    files = sorted(p.stem for p in GALLERY_DIR.glob("*.yaml"))
    assert sorted(e.id for e in ENTRIES) == files
    assert len(ENTRIES) >= 10
    assert [e.order for e in ENTRIES] == sorted(e.order for e in ENTRIES)


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_entry_has_both_languages_and_a_source(entry):
    for field in ("title", "explanation"):
        assert set(getattr(entry, field)) == set(LANGS)
        assert entry.text(field, "en") != entry.text(field, "zh"), (entry.id, field)  # really translated
        assert any("\u4e00" <= ch <= "\u9fff" for ch in entry.text(field, "zh")), (entry.id, field)
    assert len(entry.explanation["en"]) > 150  # a paragraph, not a label
    assert any(ch.isdigit() for ch in entry.source)  # a year, a figure or a section number


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda e: e.id)
def test_expected_verdicts_are_the_checkers_verdicts(entry):
    history = entry.history()
    assert history.ops
    verdicts = check_all(history)
    assert not mismatches(entry.expected, verdicts), (entry.id, mismatches(entry.expected, verdicts))
    assert contradictions(verdicts) == []  # the verdicts respect the model map


def test_the_science_test_catches_a_wrong_expectation():
    entry = gallery_entry("causal-not-sequential")
    verdicts = check_all(entry.history())
    wrong = {**entry.expected, "sequential": "ok"}  # the textbook says it is NOT sequential
    assert mismatches(wrong, verdicts) == {"sequential": ("illegal", "ok")}


def _has(pred) -> list[str]:
    return [e.id for e in ENTRIES if pred(e.expected, e.history())]


@pytest.mark.parametrize("name,pred", [
    ("linearizable", lambda x, h: all(v == "ok" for v in x.values())),
    ("sequential, not linearizable, timed",
     lambda x, h: h.timed and x["linearizable"] == "illegal" and x["sequential"] == "ok"),
    ("causal, not sequential", lambda x, h: x["causal"] == "ok" and x["sequential"] == "illegal"),
    ("PRAM, not causal", lambda x, h: x["pram"] == "ok" and x["causal"] == "illegal"),
    ("read-your-writes violated", lambda x, h: x["read-your-writes"] == "illegal"),
    ("monotonic reads violated", lambda x, h: x["monotonic-reads"] == "illegal"),
    ("writes-follow-reads violated", lambda x, h: x["writes-follow-reads"] == "illegal"),
    ("eventual violated, PRAM holds", lambda x, h: x["eventual"] == "illegal" and x["pram"] == "ok"),
    ("not applicable without real time", lambda x, h: not h.timed and x["linearizable"] == "not-applicable"),
])
def test_the_gallery_covers_the_classic_cases(name, pred):
    assert _has(pred), f"no gallery entry shows: {name}"


def test_untimed_entries_expect_linearizability_not_applicable():
    for e in ENTRIES:
        assert (e.expected["linearizable"] == "not-applicable") == (not e.history().timed), e.id


def test_both_history_forms_are_used():
    assert any(e.notation for e in ENTRIES) and any(e.textbook for e in ENTRIES)


_GOOD = """
order: 1
title: {en: "T", zh: "标题"}
explanation: {en: "E", zh: "解释"}
source: "Somebody 1999, Fig. 1"
notation: "P1: W(x)1"
expected: {linearizable: not-applicable, sequential: ok, causal: ok, pram: ok, read-your-writes: ok,
           monotonic-reads: ok, monotonic-writes: ok, writes-follow-reads: ok, eventual: ok}
"""


def test_parse_entry_reads_a_good_file():
    e = parse_entry("x", _GOOD)
    assert e.id == "x" and e.title["zh"] == "标题" and e.expected["sequential"] == "ok"
    assert [o.label() for o in e.history().ops] == ["W(x)1"]


@pytest.mark.parametrize("broken,words", [
    (_GOOD.replace(', zh: "标题"', ""), "title"),
    (_GOOD.replace('source: "Somebody 1999, Fig. 1"', ""), "source"),
    (_GOOD.replace("sequential: ok", "sequential: maybe"), "expected"),
    (_GOOD.replace("eventual: ok", ""), "expected"),
    (_GOOD + "textbook: {processes: []}\n", "exactly one"),
    (_GOOD + "colour: red\n", "unknown fields"),
    (_GOOD.replace("order: 1", "order: first"), "order"),
    ("[1, 2", "YAML"),
    ("!!python/object:os.system {}", "YAML"),
])
def test_parse_entry_rejects_broken_files(broken, words):
    with pytest.raises(GalleryError, match=words):
        parse_entry("broken", broken)


def test_expected_words_cover_every_verdict_word():
    assert set(EXPECTED) == {"ok", "illegal", "not-applicable"}
