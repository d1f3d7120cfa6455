"""The gossip page (pages/gossip.py, ui/gossip_view.py) in both languages."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from lessons.presets import list_presets
from tests.support.apptest import open_page
from ui.i18n import translate

def _page(lang: str) -> AppTest:
    return open_page("pages/gossip.py", lang, timeout=180)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_page_measures_dissemination_and_shows_a_merkle_repair(lang):
    at = _page(lang)
    assert translate(lang, "gossip_page.title") in [x.value for x in at.title]
    charts = at.get("plotly_chart")
    assert len(charts) == 3  # rounds against log N, the two trees, the repair cost
    assert translate(lang, "gossip_page.dissemination") in [h.value for h in at.header]
    # every Merkle preset opens; a bug preset still draws the trees
    for preset in [p.id for p in list_presets("merkle-anti-entropy")]:
        at.selectbox(key="gossip.preset.merkle").set_value(preset).run()
        assert not at.exception, (preset, [e.value for e in at.exception])
        assert len(at.get("plotly_chart")) >= 2


def test_too_few_choices_say_so_instead_of_plotting():
    at = _page("en")
    at.multiselect(key="gossip.sizes").set_value([8]).run()
    assert not at.exception
    assert translate("en", "gossip_page.pick_more") in [i.value for i in at.info]
