"""Real browser: a guided tour — the player's Tour button walks from caption to caption by itself,
and any key stops it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from lessons.presets import load_preset
from tests.support.browser import wait_idle
from ui import share
from ui.i18n import translate

pytestmark = pytest.mark.browser


def en(key, **args):
    return translate("en", key, **args)


def test_tour_advances_from_caption_to_caption_and_a_key_stops_it(lab_page):
    page = lab_page
    preset = load_preset("two-phase-commit-happy-path")
    n = len(preset.meta["captions"])
    page.goto(f"{page.app_url}/lab?lang=en&p={share.encode(preset, 0)}")
    wait_idle(page)
    player = page.locator(".tp-root").first
    count = player.locator(".tp-caption-count")
    tour = player.locator(".tp-tour")
    expect(tour).to_have_text(en("player.tour_text"))
    tour.click()
    expect(tour).to_have_attribute("aria-pressed", "true")
    expect(count).to_have_text(en("player.caption_of", k=1, n=n))
    expect(count).to_have_text(en("player.caption_of", k=2, n=n), timeout=15_000)  # by itself
    player.focus()
    page.keyboard.press("ArrowLeft")
    expect(tour).to_have_attribute("aria-pressed", "false")
    expect(tour).to_have_text(en("player.tour_text"))
