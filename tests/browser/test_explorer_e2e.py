"""The Model Explorer in a real browser, in 简体中文: pick a classic example from the gallery,
see the model map and a violated badge, then edit the history as text and watch a verdict
change. Labels come from the catalogs; after each action the test waits for the script run to
finish (``wait_idle``) before touching a widget again; there are no sleeps.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from lessons.history_gallery import gallery_entry
from tests.support.browser import wait_idle
from ui.i18n import translate

pytestmark = pytest.mark.browser


def zh(key: str, **args) -> str:
    return translate("zh", key, **args)


def badge(word: str) -> str:
    """The badge text of the per-model list (``ui.explorer_results.badge_markdown``)."""
    symbol = {"holds": "✓", "violated": "✗", "unknown": "?", "not-applicable": "–"}[word]
    return f"{symbol} {zh(f'explorer.badge.{word}')}"


def expander_labels(page: Page):
    return page.get_by_test_id("stExpander").locator("summary")


def no_exception(page: Page) -> None:
    expect(page.get_by_test_id("stException")).to_have_count(0)
    expect(page.get_by_text("Traceback")).to_have_count(0)


def test_pick_an_example_see_the_map_then_edit_the_notation(lab_page: Page):
    page = lab_page
    page.goto(f"{page.app_url}/models?lang=zh")
    expect(page.get_by_role("heading", name=zh("explorer.title"))).to_be_visible()
    wait_idle(page)
    no_exception(page)

    # 1. a classic example: PRAM but not causal (Tanenbaum & van Steen Fig. 7-9(a))
    entry = gallery_entry("pram-not-causal")
    page.get_by_role("combobox", name=zh("explorer.gallery.pick"), exact=True).click()
    page.get_by_role("option", name=entry.text("title", "zh"), exact=True).click()
    expect(page.get_by_text(entry.text("explanation", "zh")[:20])).to_be_visible()
    wait_idle(page)
    charts = page.locator(".js-plotly-plot")
    expect(charts).to_have_count(2)  # the timeline and the model map
    expect(charts.nth(1)).to_contain_text(zh("model.name.linearizable"))
    causal = expander_labels(page).filter(has_text=zh("model.name.causal"))
    expect(causal.first).to_contain_text(badge("violated"))
    pram = expander_labels(page).filter(has_text=zh("model.name.pram"))
    expect(pram.first).to_contain_text(badge("holds"))
    no_exception(page)

    # 2. edit it as text: P3 now reads a before b, in causal order -> every model holds
    page.get_by_text(zh("explorer.source.notation"), exact=True).click()
    box = page.get_by_role("textbox", name=zh("explorer.notation.label"))
    expect(box).to_have_value(re.compile(r"P3: R\(x\)b R\(x\)a"))  # starts from the history on screen
    wait_idle(page)
    box.fill(entry.notation.replace("P3: R(x)b R(x)a", "P3: R(x)a R(x)b"))
    box.press("Control+Enter")
    expect(causal.first).to_contain_text(badge("holds"))
    wait_idle(page)
    expect(expander_labels(page).filter(has_text=badge("violated"))).to_have_count(0)
    expect(expander_labels(page).filter(has_text=badge("holds"))).to_have_count(8)  # + linearizable: no real time
    no_exception(page)


def test_a_slow_check_shows_progress_and_can_be_cancelled(lab_page: Page):
    from tests.test_explorer_page import HARD

    page = lab_page
    page.goto(f"{page.app_url}/models?lang=en")
    wait_idle(page)
    page.get_by_text(translate("en", "explorer.source.notation"), exact=True).click()
    box = page.get_by_role("textbox", name=translate("en", "explorer.notation.label"))
    expect(box).to_be_visible()
    wait_idle(page)
    box.fill(HARD)
    box.press("Control+Enter")
    expect(page.get_by_test_id("stProgress")).to_be_visible()  # some of the nine checks take their full 2 s
    page.get_by_role("button", name=translate("en", "explorer.check.cancel"), exact=True).click()
    expect(page.get_by_text(translate("en", "explorer.check.cancelled"))).to_be_visible(timeout=5_000)
    wait_idle(page)
    expect(page.get_by_test_id("stProgress")).to_have_count(0)
    expect(page.get_by_role("button", name=translate("en", "explorer.check.again"), exact=True)).to_be_visible()
    no_exception(page)


def test_editing_one_cell_of_the_table_flips_a_verdict(lab_page: Page):
    """THE interaction of the page: P2's second read returns 0 instead of 1 — no longer linearizable."""
    page = lab_page
    page.goto(f"{page.app_url}/models?lang=en")
    lin = expander_labels(page).filter(has_text=translate("en", "model.name.linearizable"))
    expect(lin.first).to_contain_text(f"✓ {translate('en', 'explorer.badge.holds')}")
    wait_idle(page)
    grid = page.get_by_test_id("stDataFrame").first
    # click some body cell, walk to the top-left cell (the arrows stop at the edges), then to
    # row 2 (P2's second read, id 2) and its "read / output" column: no pixel arithmetic
    grid.click()
    for key in ["ArrowUp"] * 8 + ["ArrowLeft"] * 12 + ["ArrowDown"] * 2 + ["ArrowRight"] * 5:
        page.keyboard.press(key)
    page.keyboard.type("0")  # typing on a selected cell opens the grid's editor with that text
    expect(page.locator("#portal textarea")).to_have_value("0")
    page.keyboard.press("Enter")  # commit: the table is sent back, the script reruns
    expect(lin.first).to_contain_text(f"✗ {translate('en', 'explorer.badge.violated')}")
    seq = expander_labels(page).filter(has_text=translate("en", "model.name.sequential"))
    expect(seq.first).to_contain_text(f"✓ {translate('en', 'explorer.badge.holds')}")  # P2 may lag behind
    wait_idle(page)
    no_exception(page)
