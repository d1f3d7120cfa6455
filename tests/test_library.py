"""The scenario library's pure half (lessons/library.py) and its links (ui/library_view.py): every
preset is listed once under its protocol, search keeps exactly the matching ones, and every link
decodes to the preset's own scenario at the chosen step."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from lessons import library as lib
from lessons.presets import list_presets, load_preset
from sim.engine import run
from ui import share
from ui.library_view import final_step, preset_link

PRESETS = list_presets()
ENTRIES = lib.entries(PRESETS)


def _entry(id_, protocol="p", title=None, description=None, captions=()):
    meta = {"title": title or {"en": id_}, "description": description or {}, "captions": list(captions)}
    return lib.entries([SimpleNamespace(id=id_, protocol=protocol, meta=meta)])[0]


def test_every_preset_is_an_entry_once_in_order():
    assert [e.id for e in ENTRIES] == [p.id for p in PRESETS] and len(set(e.id for e in ENTRIES)) == len(PRESETS)
    for e, p in zip(ENTRIES, PRESETS):
        assert e.protocol == p.protocol and e.title["en"] and e.title["zh"]
        assert e.description.get("en") and e.description.get("zh"), e.id


def test_grouping_keeps_every_entry_under_its_protocol_in_order():
    groups = lib.group(ENTRIES)
    assert [e for _, items in groups for e in items] == list(ENTRIES)
    assert len({p for p, _ in groups}) == len(groups) == len({p.protocol for p in PRESETS})
    assert all(e.protocol == protocol for protocol, items in groups for e in items)


def test_empty_or_blank_query_keeps_everything():
    assert lib.search(ENTRIES, "", "en") == list(ENTRIES) == lib.search(ENTRIES, "   ", "zh")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_preset_is_found_by_its_id_and_by_its_own_title(lang):
    for e in ENTRIES:
        assert e in lib.search(ENTRIES, e.id, lang)
        assert e in lib.search(ENTRIES, lib.text_in(e.title, lang), lang)


def test_search_matches_every_word_case_and_width_insensitively():
    a = _entry("raft-x", "raft", {"en": "Leader crash", "zh": "领导者崩溃"}, {"en": "A partition heals."})
    b = _entry("paxos-y", "paxos", {"en": "Dueling proposers", "zh": "提议者竞争"}, {"en": "Livelock."})
    items = [a, b]
    assert lib.search(items, "LEADER", "en") == [a]
    assert lib.search(items, "ｌｅａｄｅｒ", "en") == [a]  # full-width letters (NFKC)
    assert lib.search(items, "leader heals", "en") == [a]  # words anywhere in title + description
    assert lib.search(items, "leader livelock", "en") == []  # every word must match
    assert lib.search(items, "paxos", "en") == [b]  # the protocol id
    assert lib.search(items, "崩溃", "zh") == [a]  # the reader's language
    assert lib.search(items, "崩溃", "en") == []  # ... and not the other one
    assert lib.search(items, "Consensus", "en", {"raft": "Raft consensus"}) == [a]  # the protocol's title


def test_the_query_is_bounded():
    e = _entry("x" * 10, title={"en": "a"})
    assert lib.search([e], "a" + " " * lib.MAX_QUERY_CHARS + "nomatch", "en") == [e]


def test_search_narrows_the_real_library():
    narrowed = lib.search(ENTRIES, "partition", "en")
    assert 0 < len(narrowed) < len(ENTRIES)
    assert all("partition" in lib.haystack(e, "en") for e in narrowed)
    assert lib.search(ENTRIES, "no-such-scenario-anywhere", "en") == []


def test_tour_steps_are_each_captioned_step_once_in_order():
    e = _entry("t", captions=[{"step": 7, "en": "late"}, {"step": 2, "en": "early", "zh": "早"},
                              {"step": 7, "en": "later"}, {"step": -1, "en": "bad"}, {"step": True, "en": "bad"},
                              "junk", {"en": "no step"}])
    assert [(s.step, s.text["en"]) for s in e.tour] == [(2, "early"), (7, "later")]
    assert lib.positions(e) == [lib.Position("start", 0), lib.Position("tour", 2), lib.Position("tour", 7),
                                lib.Position("end", None)]
    assert lib.positions(_entry("u", captions=[{"step": 0, "en": "at start"}])) == [lib.Position("start", 0),
                                                                                    lib.Position("end", None)]


@pytest.mark.parametrize("page_url,expected", [
    ("http://127.0.0.1:8501/library?lang=en", "http://127.0.0.1:8501/lab?lang=zh&p=BLOB"),
    ("https://host/prefix/library/", "https://host/prefix/lab?lang=zh&p=BLOB"),
    ("https://host/library#top", "https://host/lab?lang=zh&p=BLOB"),
    ("https://host", "https://host/lab?lang=zh&p=BLOB"),  # the app's root (the default page)
    ("", "/lab?lang=zh&p=BLOB"),
    (None, "/lab?lang=zh&p=BLOB"),
])
def test_lab_url(page_url, expected):
    assert lib.lab_url(page_url, "BLOB", "zh") == expected


@pytest.mark.parametrize("preset", PRESETS, ids=[p.id for p in PRESETS])
def test_every_link_decodes_to_the_preset_at_the_chosen_step(preset):
    entry = next(e for e in ENTRIES if e.id == preset.id)
    scenario = load_preset(preset.id)
    last = run(scenario).n_steps - 1
    assert final_step(preset.id) == last
    tour = [p.step for p in lib.positions(entry) if p.kind == "tour"]
    for cursor in {0, *tour[:1], *tour[-1:], last}:
        blob = preset_link(preset.id, cursor)
        decoded, at = share.decode(blob)
        assert at == cursor and decoded.to_json() == scenario.to_json()
        assert len(blob) <= share.MAX_ENCODED
