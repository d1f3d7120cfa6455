"""The scenario library page (pages/library.py) in both languages: every preset is listed with a
link into the Lab, the search narrows the list, a search that finds nothing says so in the
reader's language, and the position choice moves the link's step."""

from __future__ import annotations

import re
from urllib.parse import parse_qs

import pytest

from lessons import library as lib
from lessons.presets import list_presets, load_preset
from protocols import REGISTRY
from tests.support.apptest import open_page
from ui import share
from ui.i18n import translate
from ui.library_view import final_step

PRESETS = list_presets()


def _links(at) -> list[dict[str, str]]:
    """The query of every "Open in the Lab" link on the page."""
    out = []
    for link in at.get("page_link"):
        assert link.proto.page == "lab"
        out.append({k: v[0] for k, v in parse_qs(link.proto.query_string).items()})
    return out


def _card_ids(at) -> list[str]:
    return [m.group(1) for c in at.caption if (m := re.search(r"`([a-z0-9-]+)`", c.value))]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_preset_is_listed_with_a_link_and_its_bare_url(lang):
    at = open_page("pages/library.py", lang, timeout=240)
    assert translate(lang, "library.title") in [t.value for t in at.title]
    assert sorted(_card_ids(at)) == sorted(p.id for p in PRESETS)
    links = _links(at)
    assert len(links) == len(PRESETS) and all(q["lang"] == lang for q in links)
    opened = {share.decode(q["p"])[0].meta["preset"]: share.decode(q["p"])[1] for q in links}
    assert opened == {p.id: 0 for p in PRESETS}  # every card opens its own preset, at the start
    urls = [c.value for c in at.code]
    assert len(urls) == len(PRESETS)
    assert all(re.fullmatch(rf"\S*/lab\?lang={lang}&p=[A-Za-z0-9_-]+", u) for u in urls)
    assert {u.rsplit("p=", 1)[1] for u in urls} == {q["p"] for q in links}
    assert translate(lang, "library.count", n=len(PRESETS), total=len(PRESETS),
                     protocols=len({p.protocol for p in PRESETS})) in [c.value for c in at.caption]


@pytest.mark.parametrize("lang,query", [("en", "partition"), ("zh", "分区")])
def test_search_narrows_the_list(lang, query):
    at = open_page("pages/library.py", lang, timeout=240)
    at.text_input(key="library.search").input(query).run()
    assert not at.exception
    expected = [e.id for e in lib.search(lib.entries(PRESETS), query, lang,
                                         {p.protocol: translate(lang, REGISTRY[p.protocol].title_key)
                                          for p in PRESETS})]
    assert 0 < len(_card_ids(at)) < len(PRESETS)
    assert _card_ids(at) == expected
    assert len(_links(at)) == len(_card_ids(at))
    one = PRESETS[-1].id
    at.text_input(key="library.search").input(one).run()
    assert _card_ids(at) == [one] and len(_links(at)) == 1


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_search_that_finds_nothing_says_so_in_the_readers_language(lang):
    at = open_page("pages/library.py", lang, timeout=240)
    at.text_input(key="library.search").input("qqq-no-such-scenario").run()
    assert not at.exception
    assert [i.value for i in at.info] == [translate(lang, "library.nothing", query="qqq\\-no\\-such\\-scenario")]
    assert not _links(at) and not at.code


def test_choosing_a_tour_step_or_the_end_moves_the_links_step():
    preset = PRESETS[0]
    entry = lib.entries([preset])[0]
    at = open_page("pages/library.py", "en", timeout=240)
    at.text_input(key="library.search").input(preset.id).run()
    box = at.selectbox(key=f"library.at.{preset.id}")
    tour = [p for p in lib.positions(entry) if p.kind == "tour"]
    for pos, step in ((tour[-1], tour[-1].step), (lib.Position("end", None), final_step(preset.id))):
        box.set_value(pos).run()
        assert not at.exception
        (query,) = _links(at)
        scenario, cursor = share.decode(query["p"])
        assert cursor == step and scenario.to_json() == load_preset(preset.id).to_json()
        assert at.get("page_link")[0].proto.label == translate("en", "library.open", step=step)
        box = at.selectbox(key=f"library.at.{preset.id}")
