"""Real browser: the CRDT page runs an OR-Set shopping cart, shows the replicas converging, and the
merge laws; the naive-set bug variant makes the run break its invariants."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from lessons.presets import list_presets, load_preset
from protocols.crdt_replica import values_over_time
from sim.engine import run
from tests.browser.test_app_e2e import select_option
from tests.support.browser import wait_idle
from ui.i18n import translate
from viz.convergence import convergence_step

pytestmark = pytest.mark.browser


def en(key, **args):
    return translate("en", key, **args)


def test_crdt_page_shows_a_run_its_convergence_and_the_laws(lab_page):
    page = lab_page
    page.goto(f"{page.app_url}/crdts?lang=en")
    expect(page.get_by_text(en("crdt_page.title"))).to_be_visible()
    select_option(page, en("crdt_page.type"), en("proto.or-set.title"))
    cart = next(p for p in list_presets("or-set") if "cart" in p.id)
    select_option(page, en("crdt_page.preset"), cart.meta["title"]["en"])
    wait_idle(page)
    expect(page.locator(".tp-root")).to_have_count(1)
    trace = run(load_preset(cart.id))
    at = convergence_step(values_over_time(trace), trace.n_steps - 1)
    assert at is not None
    chart = page.get_by_test_id("stPlotlyChart")
    expect(chart.get_by_text(en("conv.title_converged", step=at))).to_be_visible()  # the figure's title
    expect(page.locator("[data-testid=stDataFrame]")).to_have_count(1)  # the four laws
    expect(page.get_by_text(en("crdt_page.invariants_hold", n=len(trace.invariant_names)))).to_be_visible()
    # the player steps through the run
    player = page.locator(".tp-root").first
    player.focus()
    page.keyboard.press("End")
    expect(player.locator(".tp-step-label")).not_to_contain_text("step 0 /")
    # the naive set: a removed item comes back, and the run's invariants say so
    select_option(page, en("crdt_page.bug"), en("crdt.bug.naive_set"))
    wait_idle(page)
    expect(page.get_by_text(en("crdt_page.invariants_broken", names="")[:20])).to_be_visible()
