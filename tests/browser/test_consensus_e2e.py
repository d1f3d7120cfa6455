"""Real browser, one test per consensus protocol: Paxos, Multi-Paxos and Raft in the Protocol Lab.

What an instructor does before a lecture: open the bug-variant preset of each protocol from a
share link, see the live roles on the diagram and the log matrix / term-or-ballot timeline,
read in the invariant panel which property broke, press "go to step" and land on the step
that broke it, with the involved lanes highlighted in the diagram. No sleeps: every wait is on
the DOM (or on Streamlit's script state, see TESTING.md).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from lessons.presets import load_preset
from protocols import REGISTRY
from sim.engine import run
from tests.support.browser import wait_idle
from ui.i18n import translate
from ui.share import encode
from viz.violations import episodes

pytestmark = pytest.mark.browser

BUG_PRESETS = {"paxos": "paxos-bug-ignore-promised-value", "multi-paxos": "multi-paxos-bug-no-reproposal",
               "raft": "raft-bug-figure-8"}


def _step_label(page: Page):
    return page.locator(".tp-step-label").first


@pytest.mark.parametrize("protocol", sorted(BUG_PRESETS))
def test_bug_preset_shows_roles_views_and_the_broken_invariant(protocol, lab_page):
    page = lab_page
    preset = BUG_PRESETS[protocol]
    spec = REGISTRY[protocol]
    scenario = load_preset(preset)
    trace = run(scenario)
    first = episodes(trace)[0]
    page.goto(f"{page.app_url}/lab?lang=en&p={encode(scenario, 0)}")
    expect(_step_label(page)).to_contain_text("step 0 /")
    wait_idle(page)

    # live roles on the lane headers (not just the starting role of the node class)
    expect(page.locator(".tp-svg .tp-lane-head[data-role]").first).to_be_attached()
    # the consensus section: its title names the protocol's epoch, and both figures are drawn
    epoch = translate("en", spec.epoch_key)
    expect(page.get_by_text(translate("en", "consensus.title", epoch=epoch))).to_be_visible()
    expect(page.locator("[data-testid=stPlotlyChart]")).to_have_count(2)

    # the invariant panel names the property that broke later in this run ...
    label = translate("en", next(i.label_key or i.name for i in spec.invariants if i.name == first.invariant))
    panel_text = page.get_by_text(re.compile(re.escape(label))).first
    expect(panel_text).to_be_visible()
    # ... and "go to step" moves the whole page there (a server rerun: the player follows)
    go = page.get_by_role("button", name=translate("en", "consensus.inv.go", step=first.start))
    go.first.click()
    wait_idle(page)
    expect(_step_label(page)).to_contain_text(f"step {first.start} /")
    for node in first.nodes:
        lane = trace.nodes.index(node)
        expect(page.locator(f'.tp-svg .tp-lane-head[data-lane="{lane}"]')).to_have_class(re.compile(r"\btp-involved\b"))
    expect(page.locator(".tp-violation-text").first).to_be_visible()

    # stepping on in the player still works after the rerun
    page.locator(".tp-root").first.focus()
    page.keyboard.press("ArrowRight")
    expect(_step_label(page)).to_contain_text(f"step {first.start + 1} /")
