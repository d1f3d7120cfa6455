"""Real browser: the guided tour highlights what each caption is about.

On a captioned step the diagram draws a halo under the caption's arrows (``.tp-hl-msg[data-mid]``,
computed in Python from the trace: ``viz.player_data.caption_highlight``) and a band on its lanes,
and dims the rest; "next caption" moves the halo to the next caption's arrows; on a step without a
caption it is gone. In presentation mode (``?present=1``), with the keyboard, and in the
high-contrast media modes. No sleeps: every wait is on the DOM.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from lessons.presets import load_preset
from sim.engine import run
from tests.support.browser import wait_idle
from ui import share
from ui.i18n import translate
from viz.player_data import caption_highlight

pytestmark = pytest.mark.browser

PRESET = "two-phase-commit-happy-path"


def en(key, **args):
    return translate("en", key, **args)


def _focus(preset_id):
    """[(step, {"m1", ...}, {lane, ...})] per caption, from the trace (what the halos must show)."""
    sc = load_preset(preset_id)
    tr = run(sc)
    out = []
    for c in sorted(sc.meta["captions"], key=lambda c: c["step"]):
        h = caption_highlight(tr, c)
        out.append((c["step"], {f"m{m}" for m in h.msgs}, {str(l) for l in h.lanes}))
    return tr, out


def _halo_ids(player):
    return set(player.locator(".tp-svg .tp-hl-msg").evaluate_all("els => els.map(e => e.dataset.mid)"))


def _open(page, preset_id, *extra):
    preset = load_preset(preset_id)
    page.goto(f"{page.app_url}/lab?lang=en{''.join('&' + x for x in extra)}&p={share.encode(preset, 0)}")
    wait_idle(page)
    player = page.locator(".tp-root").first
    expect(player.locator(".tp-step-label")).to_contain_text("step 0 /")
    return player


def _expect_halos(player, step, mids, lanes):
    svg = player.locator(".tp-svg")
    expect(player.locator(".tp-step-label")).to_contain_text(f"step {step} /")
    expect(svg).to_have_attribute("data-focus", str(step))
    expect(svg).to_have_class("tp-svg tp-hl-on")
    halos = player.locator(".tp-hl-msg")
    expect(halos).to_have_count(len(mids))
    assert _halo_ids(player) == mids
    expect(player.locator(".tp-hl-lane")).to_have_count(len(lanes))
    assert set(player.locator(".tp-hl-lane").evaluate_all("els => els.map(e => e.dataset.lane)")) == lanes
    # each halo lies exactly on its message's arrow, which is drawn at full strength (not dimmed)
    for mid in mids:
        same = player.evaluate(
            """(root, mid) => {
                const h = root.querySelector(`.tp-hl-msg[data-mid="${mid}"]`);
                const j = h.dataset.m, hit = root.querySelector(`.tp-hit[data-m="${j}"]`);
                const arrow = hit.nextElementSibling;
                const at = (e) => ["x1", "y1", "x2", "y2"].map((k) => Number(e.getAttribute(k)).toFixed(1)).join(",");
                return [at(h) === at(arrow), arrow.classList.contains("tp-hl-target"),
                        getComputedStyle(arrow).opacity, getComputedStyle(h).pointerEvents];
            }""", mid)
        assert same == [True, True, "1", "none"], (mid, same)
    # something else on the diagram is dimmed
    assert player.evaluate("r => [...r.querySelectorAll('.tp-arrow:not(.tp-hl-target), .tp-mark:not(.tp-hl-target)')]"
                           ".some(e => Number(getComputedStyle(e).opacity) < 1)")


def _expect_no_halo(player, step):
    expect(player.locator(".tp-step-label")).to_contain_text(f"step {step} /")
    expect(player.locator(".tp-svg .tp-hl")).to_have_count(0)
    expect(player.locator(".tp-svg")).not_to_have_attribute("data-focus", str(step))
    expect(player.locator(".tp-svg")).to_have_class("tp-svg")


def test_next_caption_moves_the_halo_and_an_uncaptioned_step_has_none_in_presentation_mode(lab_page):
    page = lab_page
    tr, focus = _focus(PRESET)
    (s1, m1, l1), (s2, m2, l2) = focus[0], focus[1]
    assert s2 - s1 == 1 and m1 and m2 and m1 != m2  # two neighbouring captions with different arrows
    player = _open(page, PRESET, "present=1")
    expect(page.locator("[data-testid=stSidebar]")).to_be_hidden()  # presentation mode is on
    expect(player.locator(".tp-svg .tp-hl")).to_have_count(0)  # step 0 has no caption
    player.locator(".tp-next-caption").click()
    _expect_halos(player, s1, m1, l1)
    player.locator(".tp-next-caption").click()
    _expect_halos(player, s2, m2, l2)
    # the keyboard still steps: onto a step without a caption the halo goes, back onto s2 it returns
    assert s2 + 1 not in {s for s, _, _ in focus}
    player.focus()
    page.keyboard.press("ArrowRight")
    _expect_no_halo(player, s2 + 1)
    page.keyboard.press("ArrowLeft")
    _expect_halos(player, s2, m2, l2)
    # the legend explains the halo
    expect(player.locator(".tp-legend")).to_contain_text(en("tour.focus"))


def test_the_tour_carries_the_halo_from_caption_to_caption_by_itself(lab_page):
    page = lab_page
    _, focus = _focus(PRESET)
    player = _open(page, PRESET)
    player.locator(".tp-speed").select_option("12")  # fast: a caption every 2 s
    tour = player.locator(".tp-tour")
    tour.click()
    expect(tour).to_have_attribute("aria-pressed", "true")
    svg = player.locator(".tp-svg")
    by_step = {step: mids for step, mids, _ in focus}
    seen: list[int] = []
    # By itself, from caption to caption: wait for the focus to move to a new captioned step three
    # times (under load a 2-s caption can pass between two polls, so which ones we see may vary).
    while len(seen) < 3:
        page.wait_for_function("""([r, last]) => { const f = r.querySelector(".tp-svg").dataset.focus;
            return f !== undefined && f !== last; }""", arg=[player.element_handle(), str(seen[-1]) if seen else ""],
            timeout=15_000)
        # read the focused step and the halos in one go: the tour may move on between two reads
        at, got = player.evaluate("""r => [r.querySelector(".tp-svg").dataset.focus,
            [...r.querySelectorAll(".tp-hl-msg")].map((e) => e.dataset.mid)]""")
        if at is None:
            continue
        assert int(at) in by_step and set(got) == by_step[int(at)], (at, got)
        if not seen or int(at) != seen[-1]:
            seen.append(int(at))
    player.focus()
    page.keyboard.press("ArrowRight")  # any key stops the tour; the next step may or may not be captioned
    expect(tour).to_have_attribute("aria-pressed", "false")


@pytest.mark.parametrize("media", [{"forced_colors": "active"}, {"contrast": "more"}], ids=["forced-colors", "more-contrast"])
def test_the_halo_stays_visible_in_high_contrast_modes(lab_page, media):
    page = lab_page
    _, focus = _focus("paxos-dueling-proposers")
    step, mids, lanes = focus[0]  # "p2 starts ballot 4 while p1's ballot 3 is still in phase 1"
    assert len(mids) == 6 and len(lanes) == 2  # both proposers' Prepare fans (an explicit highlight)
    page.emulate_media(**media)
    player = _open(page, "paxos-dueling-proposers")
    player.locator(".tp-next-caption").click()
    _expect_halos(player, step, mids, lanes)
    style = player.locator(".tp-hl-msg").first.evaluate(
        "e => { const s = getComputedStyle(e); return [s.stroke, s.strokeOpacity, s.strokeWidth]; }")
    assert style[0] not in ("none", "rgba(0, 0, 0, 0)", "transparent") and float(style[1]) == 1.0, style
    assert float(style[2].rstrip("px")) >= 10, style
