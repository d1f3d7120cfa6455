"""Logical Clocks in a real browser: click an event on the diagram, see its causal cones; pick a
protocol preset and two of its events, see their relation; and the Protocol Lab player's
"Vector clocks" toggle labelling every event with the clock the simulator gave it.

The AppTests pick events through the select boxes; these tests take the paths a learner
takes — a click on a point of the plotly diagram, the select boxes as a browser draws them,
the player's own checkbox — which only a browser can exercise.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from lessons.presets import load_preset
from sim.engine import run
from tests.support.browser import wait_idle
from ui.clocks_view import event_label, explain
from ui.i18n import translate, translator
from viz.causality_view import clock_window, simulator_events
from viz.clock_events import relation

pytestmark = pytest.mark.browser

# A page's first load on a busy 2-core machine (cold imports, the first plotly figure) can take
# longer than conftest's per-action timeout; later actions keep that timeout.
FIRST_LOAD_MS = 90_000


@pytest.mark.parametrize("lang", ["en"])
def test_clicking_an_event_on_the_diagram_shows_its_causal_past_future_and_concurrent(lab_page: Page, lang):
    page = lab_page
    page.goto(f"{page.app_url}/clocks?lang={lang}")
    chart = page.locator(".js-plotly-plot").first
    expect(chart).to_be_visible(timeout=FIRST_LOAD_MS)
    wait_idle(page, FIRST_LOAD_MS)
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


def _pick(page: Page, box_label: str, option: str, typed: str | None = None) -> None:
    """Choose ``option`` in the Streamlit select box labelled ``box_label``; ``typed`` filters a long list."""
    box = page.get_by_role("combobox", name=box_label, exact=True)
    box.click()
    if typed:
        page.keyboard.type(typed)
    page.get_by_role("option", name=option, exact=True).click()
    wait_idle(page)


@pytest.mark.parametrize("lang", ["en"])
def test_a_protocol_presets_two_events_are_related_from_their_clocks(lab_page: Page, lang):
    page = lab_page
    tr = translator(lang)
    page.goto(f"{page.app_url}/clocks?lang={lang}")
    expect(page.locator(".js-plotly-plot").first).to_be_visible(timeout=FIRST_LOAD_MS)
    wait_idle(page, FIRST_LOAD_MS)
    preset = "two-phase-commit-happy-path"
    sc = load_preset(preset)
    _pick(page, tr("clocks.source"), tr("proto.two-phase-commit.title"))
    _pick(page, tr("clocks.preset"), sc.meta["title"][lang])
    expect(page.get_by_text(tr("clocks.which_clocks_sim"))).to_be_visible()
    trace = run(sc)
    evs = clock_window(simulator_events(trace, tr), 0).events  # what the page shows first
    # a message's send and a concurrent event on another node
    s = next(e for e in evs if e.kind == "send")
    c = next(e for e in evs if relation(s.vc, e.vc) == "concurrent" and e.node != s.node)
    _pick(page, tr("clocks.pick_a"), event_label(s, tr), typed=f"e{s.i} ")
    _pick(page, tr("clocks.pick_b"), event_label(c, tr), typed=f"e{c.i} ")
    rel, vec, _ = explain(s, c, trace.nodes, tr)
    assert rel == "concurrent"
    alert = page.get_by_test_id("stAlert").filter(has_text=f"e{s.i} ‖ e{c.i}")
    expect(alert).to_have_count(1)
    expect(alert).to_have_text(vec)  # the one-line reason, from the two vector clocks
    # its receive: happens-after, said from the clocks
    r = next(e for e in evs if e.kind == "receive" and e.msg_id == s.msg_id)
    _pick(page, tr("clocks.pick_b"), event_label(r, tr), typed=f"e{r.i} ")
    rel, vec, _ = explain(s, r, trace.nodes, tr)
    assert rel == "before"
    expect(page.get_by_test_id("stAlert").filter(has_text=f"e{s.i} → e{r.i}")).to_have_text(vec)
    expect(page.get_by_test_id("stMetric")).to_have_count(3)


def test_the_player_labels_every_event_with_its_vector_clock_on_request(lab_page: Page):
    page = lab_page
    page.goto(f"{page.app_url}/lab?lang=en")
    root = page.locator(".tp-root").first
    expect(root).to_be_visible(timeout=FIRST_LOAD_MS)
    wait_idle(page, FIRST_LOAD_MS)
    toggle = root.locator(".tp-clocks")
    expect(root.locator(".tp-clocks-toggle")).to_contain_text(translate("en", "player.clocks"))
    expect(toggle).not_to_be_checked()
    root.focus()
    page.keyboard.press("End")
    expect(root.locator(".tp-vc")).to_have_count(0)
    toggle.check()
    labels = root.locator(".tp-vc")
    expect(labels.first).to_be_attached()
    got = page.evaluate("""() => {
      const root = document.querySelector('.tp-root'), P = root.__tp, D = P.D;
      const labels = [...root.querySelectorAll('.tp-vc')].map((el) => [Number(el.dataset.vc), el.textContent]);
      const marks = [...root.querySelectorAll('.tp-mark[data-ev]')].map((el) => Number(el.dataset.ev))
        .filter((i) => D.eLam[i] >= 0 && D.eLane[i] >= 0);
      return { labels, want: labels.map(([i]) => P.vcOf(i)), marks };
    }""")
    ids = [i for i, _ in got["labels"]]
    assert [text for _, text in got["labels"]] == got["want"]  # the clock the player rebuilt
    assert all(text.startswith("[") and text.endswith("]") for _, text in got["labels"])
    assert sorted(ids) == sorted(set(got["marks"])) and len(ids) == len(set(ids))  # every clocked event once
    page.keyboard.press("Home")  # stepping keeps the toggle on; the boot step's events list their clocks
    expect(root.locator(".tp-vc").first).to_be_attached()
    expect(root.locator(".tp-events .tp-ev-clock").first).to_contain_text("L=1 · V=[1,")
    toggle.uncheck()
    expect(root.locator(".tp-vc")).to_have_count(0)
    expect(root.locator(".tp-ev-clock")).to_have_count(0)
