"""Real browser: the comparison page shows two runs' diagrams, their verdicts and the numbers, and
exports them as one self-contained figure."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.browser import wait_idle
from ui.i18n import translate

pytestmark = pytest.mark.browser


def test_compare_page_shows_two_runs_and_exports_one_figure(lab_page, tmp_path):
    page = lab_page
    page.goto(f"{page.app_url}/compare?lang=en")
    expect(page.get_by_text(translate("en", "compare.title"))).to_be_visible()
    expect(page.locator(".tp-root")).to_have_count(2)  # run A's and run B's diagrams
    wait_idle(page)
    expect(page.get_by_text(translate("en", "compare.verdicts"))).to_be_visible()
    expect(page.locator("[data-testid=stDataFrame]")).to_have_count(1)
    # each player steps on its own
    first, second = page.locator(".tp-root").nth(0), page.locator(".tp-root").nth(1)
    first.focus()
    page.keyboard.press("End")
    expect(first.locator(".tp-step-label")).not_to_contain_text("step 0 /")
    expect(second.locator(".tp-step-label")).to_contain_text("step 0 /")
    with page.expect_download() as download:
        page.get_by_role("button", name=translate("en", "compare.export")).click()
    path = tmp_path / "comparison.html"
    download.value.save_as(path)
    html = path.read_text(encoding="utf-8")
    assert "plotly" in html.lower() and translate("en", "compare.figure_title") in html
    assert len(html) > 1_000_000  # plotly.js is inside: the figure opens offline
