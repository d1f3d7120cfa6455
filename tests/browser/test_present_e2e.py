"""Real browser: presentation mode (?present=1) shows the page without sidebar or navigation, in
large type, and the diagram still steps from the keyboard."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.browser import wait_idle
from ui.i18n import translate

pytestmark = pytest.mark.browser


def test_presentation_mode_hides_the_sidebar_enlarges_type_and_steps_by_keyboard(lab_page):
    page = lab_page
    page.goto(f"{page.app_url}/lab?lang=en")
    expect(page.get_by_text(translate("en", "lab.title")).first).to_be_visible()
    wait_idle(page)
    expect(page.locator("[data-testid=stSidebar]")).to_be_visible()
    normal = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")

    page.goto(f"{page.app_url}/lab?lang=en&present=1")
    expect(page.get_by_text(translate("en", "lab.title")).first).to_be_visible()
    wait_idle(page)
    expect(page.locator("[data-testid=stSidebar]")).to_be_hidden()
    big = page.evaluate("parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert big >= 22 > normal
    player = page.locator(".tp-root").first
    player.focus()
    page.keyboard.press("End")
    expect(player.locator(".tp-step-label")).not_to_contain_text("step 0 /")
