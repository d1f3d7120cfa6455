"""A share link opened as the very first request to a freshly started server.

Streamlit starts in its legacy multipage mode when a ``pages/`` folder exists, and in that
mode a deep link ran ``pages/lab.py`` without the app frame (no navigation, no language
switch) and showed "Page not found". ``ui/frame.py`` guards against it; this test starts
its own server so that the link really is the server's first request.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from lessons.presets import load_preset
from tests.support.server import ROOT, running
from ui.i18n import translate
from ui.share import encode

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def fresh_server(browser_type_launch_args):
    with running(ROOT / "app.py", cwd=ROOT, timeout_s=90) as server:
        yield server


@pytest.mark.parametrize("lang", ["zh"])
def test_first_request_is_a_share_link_and_shows_the_framed_page_at_the_step(fresh_server, browser, lang):
    link = encode(load_preset("two-phase-commit-coordinator-crash"), 12)
    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    try:
        page.set_default_timeout(90_000)
        page.goto(f"{fresh_server.url}/lab?lang={lang}&p={link}")
        expect(page.locator(".tp-step-label")).to_contain_text(re.compile(r"\b12\b"), timeout=90_000)
        nav = page.get_by_test_id("stSidebarNav")
        expect(nav).to_contain_text(translate(lang, "core.nav.lab"))
        expect(nav).to_contain_text(translate(lang, "core.nav.clocks"))
        expect(page.get_by_role("heading", name=translate(lang, "lab.title"))).to_be_visible()
        expect(page.get_by_text("Page not found")).to_have_count(0)
    finally:
        page.close()
