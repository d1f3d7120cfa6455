"""Logical Clocks in a real browser: click an event on the diagram, see its causal cones.

The AppTests pick events through the select boxes; this test takes the path a learner
takes — a click on a point of the plotly diagram — which only a browser can exercise.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import wait_idle
from ui.i18n import translate

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("lang", ["en"])
def test_clicking_an_event_on_the_diagram_shows_its_causal_past_future_and_concurrent(lab_page: Page, lang):
    page = lab_page
    page.goto(f"{page.app_url}/clocks?lang={lang}")
    chart = page.locator(".js-plotly-plot").first
    expect(chart).to_be_visible()
    wait_idle(page)
    expect(page.get_by_text(translate(lang, "clocks.hint"))).to_be_visible()
    points = chart.locator(".scatterlayer .trace .points path")
    expect(points.first).to_be_attached()
    # the middle of the run has both a causal past and a causal future
    target = points.nth(points.count() // 2)
    target.click(force=True)
    metrics = page.get_by_test_id("stMetric")
    expect(metrics).to_have_count(3)
    expect(metrics.nth(0)).to_contain_text(translate(lang, "clocks.rel.past"))
    expect(metrics.nth(2)).to_contain_text(translate(lang, "clocks.rel.concurrent"))
    wait_idle(page)
    # the picked event is now event A in the select box, and the hint is gone
    expect(page.get_by_text(translate(lang, "clocks.hint"))).to_have_count(0)
