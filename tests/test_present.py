"""Presentation mode (ui/present.py): ?present=1 hides the sidebar and navigation and enlarges the
type, stays on across pages, and ?present=0 ends it."""

from __future__ import annotations

import pytest

from tests.support.apptest import open_page
from ui.present import PRESENT_CSS


def _styled(at) -> bool:
    return any(PRESENT_CSS in m.value for m in at.markdown)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_present_1_styles_every_page_and_stays_on(lang):
    at = open_page("pages/lab.py", lang, present="1")
    assert _styled(at) and at.session_state["present"] is True
    at.switch_page("pages/clocks.py").run()
    assert not at.exception and _styled(at)
    assert at.query_params["present"] in ("1", ["1"])  # a copied link presents too


def test_without_the_parameter_nothing_changes_and_present_0_ends_it():
    assert not _styled(open_page("pages/lab.py", "en"))
    at = open_page("pages/lab.py", "en", present="1")
    at.query_params["present"] = "0"
    at.run()
    assert not _styled(at) and at.session_state["present"] is False
