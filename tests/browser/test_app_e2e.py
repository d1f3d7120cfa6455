"""The real-browser path: Debian's chromium drives the real app (``streamlit run app.py``).

Each test reads like what a learner does: open the app, go to the Protocol Lab, step
through a two-phase-commit run with the keyboard and the buttons, go manual and deliver
the message of their choice, open a share link in a fresh page, switch to 简体中文, and
download the trace. Labels come from the catalogs (``ui.i18n.translate``), the player's
DOM from ``ui/trace_player.py`` (``.tp-*`` classes). After every click that reruns the
script the test waits for ``stApp[data-test-script-state=notRunning]`` before touching a
widget again (see TESTING.md); there are no sleeps.
"""

from __future__ import annotations

import json
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from sim.scenario import parse_scenario
from tests.support.browser import wait_idle
from ui.i18n import LANG_NAMES, translate
from ui.share import decode, encode

pytestmark = pytest.mark.browser

# 2PC, 3 RMs, the TM crashes after sending Prepare and comes back later: enough steps to
# walk around in, pending messages to choose from, and in-doubt RMs in the state table.
SCENARIO = {"protocol": "two-phase-commit", "params": {"participants": 3}, "seed": 3,
            "faults": [{"type": "crash", "node": "tm", "at": 30}, {"type": "restart", "node": "tm", "at": 300}]}


def en(key: str, **args) -> str:
    return translate("en", key, **args)


def zh(key: str, **args) -> str:
    return translate("zh", key, **args)


# ------------------------------------------------------------------------------------ helpers
def player(page: Page):
    return page.locator(".tp-root").first


def label(page: Page) -> str:
    return page.locator(".tp-step-label").first.inner_text()


def step_of(text: str) -> tuple[int, int]:
    """``(k, n)`` from a step label such as ``step 3 / 40`` (any language: the numbers around '/')."""
    m = re.search(r"(\d+)\s*/\s*(\d+)", text)
    assert m, f"no 'k / n' in step label {text!r}"
    return int(m.group(1)), int(m.group(2))


def open_lab(page: Page, base: str, query: str = "lang=en") -> None:
    page.goto(f"{base}/lab?{query}")
    expect(player(page)).to_be_visible()
    wait_idle(page)


def open_link(page: Page, base: str, scenario: dict, cursor: int, lang: str = "en") -> str:
    url = f"{base}/lab?lang={lang}&p={encode(parse_scenario(scenario), cursor)}"
    page.goto(url)
    expect(player(page)).to_be_visible()
    wait_idle(page)
    return url


def click(page: Page, selector: str) -> None:
    page.locator(selector).first.click()


def state_text(page: Page) -> str:
    return page.locator(".tp-state-table").first.inner_text()


def select_option(page: Page, box_label: str, option: str) -> None:
    """Pick ``option`` in the Streamlit select box labelled ``box_label`` (a react-aria combobox).

    Waits for the app to be idle first: a rerun still under way from the previous choice (say, a
    new protocol type) replaces the select box and closes a list opened on the old one."""
    wait_idle(page)
    page.get_by_role("combobox", name=box_label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_idle(page)


def url_state(url: str):
    """``(scenario, cursor)`` from a lab URL's share link (the lab keeps it in the URL)."""
    p = parse_qs(urlsplit(url).query).get("p")
    assert p, f"no share link in {url}"
    return decode(p[0])


def link_state(page: Page):
    return url_state(page.url)


# -------------------------------------------------------------------------------------- tests
def test_open_app_and_go_to_protocol_lab(lab_page: Page):
    page = lab_page
    page.goto(f"{page.app_url}/?lang=en")
    expect(page.get_by_test_id("stSidebarNav")).to_be_visible()
    wait_idle(page)
    page.get_by_test_id("stSidebarNav").get_by_text(en("core.nav.lab"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/lab(\?|$)"))
    expect(page.get_by_role("heading", name=en("lab.title"))).to_be_visible()
    expect(player(page)).to_be_visible()
    wait_idle(page)
    # the protocol box offers two-phase commit and picking it gives a 2PC run
    select_option(page, en("lab.controls.protocol"), en("proto.two-phase-commit.title"))
    wait_idle(page)
    expect(player(page)).to_be_visible()
    scenario, _ = link_state(page)
    assert scenario.protocol == "two-phase-commit"
    expect(page.locator(".tp-state-table").first).to_contain_text("rm1")


def test_step_forward_and_back_with_buttons_and_keyboard(lab_page: Page):
    page = lab_page
    open_link(page, page.app_url, SCENARIO, 0)
    expect(page.locator(".tp-first").first).to_be_disabled()  # already at the first step
    first = label(page)
    k0, n = step_of(first)
    assert n > 5

    click(page, ".tp-forward")
    expect(page.locator(".tp-step-label").first).not_to_have_text(first)
    assert step_of(label(page))[0] == k0 + 1
    click(page, ".tp-forward")
    assert step_of(label(page))[0] == k0 + 2
    click(page, ".tp-back")
    assert step_of(label(page))[0] == k0 + 1
    click(page, ".tp-back")
    expect(page.locator(".tp-step-label").first).to_have_text(first)

    # keyboard: arrows on the focused player
    player(page).focus()
    page.keyboard.press("ArrowRight")
    expect(page.locator(".tp-step-label").first).not_to_have_text(first)
    assert step_of(label(page))[0] == k0 + 1
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert step_of(label(page))[0] == k0 + 3
    page.keyboard.press("ArrowLeft")
    assert step_of(label(page))[0] == k0 + 2

    click(page, ".tp-last")
    k_last, n_last = step_of(label(page))
    assert k_last > k0 + 2 and n_last == n
    click(page, ".tp-first")
    expect(page.locator(".tp-step-label").first).to_have_text(first)


def test_manual_mode_delivers_the_chosen_message(lab_page: Page):
    page = lab_page
    open_link(page, page.app_url, SCENARIO, 4)
    k4, _ = step_of(label(page))
    # switch the delivery mode to manual: the past is kept, the run waits for a choice
    page.get_by_role("radiogroup", name=en("lab.controls.mode")).get_by_text(en("lab.mode.manual"), exact=True).click()
    page.wait_for_url(lambda url: url_state(url)[0].mode == "manual")
    wait_idle(page)
    scenario, cursor = link_state(page)
    assert cursor == 4 and len(scenario.choices) == 3  # the three deliveries before step 4, now explicit

    click(page, ".tp-last")
    k_before, n_before = step_of(label(page))
    assert k_before == n_before == k4 + 1  # the run stops after step 4, waiting for a choice
    items = page.locator(".tp-pending-item")
    expect(items.first).to_be_visible()
    ids = items.evaluate_all("els => els.map(e => e.dataset.id)")
    assert len(ids) >= 2 and all(re.fullmatch(r"[mt]\d+", i) for i in ids), ids
    chosen = next(i for i in reversed(ids) if i.startswith("m"))  # not the earliest due: the learner's choice

    page.locator(f'.tp-pending-item[data-id="{chosen}"]').first.click()
    # the chosen message is delivered at the step that was waiting, and the run grew by that step
    expect(page.locator(f'.tp-pending-item[data-id="{chosen}"]')).to_have_count(0)
    page.wait_for_url(lambda url: url_state(url)[0].choices[-1:] == (chosen,))
    wait_idle(page)
    expect(page.locator(".tp-step-label").first).to_contain_text(
        re.compile(rf"\b{k_before}\s*/\s*{n_before + 1}\b"))
    k_after, n_after = step_of(label(page))
    expect(page.locator(".tp-events").first).to_contain_text(chosen)
    expect(page.locator(".tp-events").first).to_contain_text(en("player.kind.deliver"))
    scenario, cursor = link_state(page)
    assert scenario.mode == "manual" and scenario.choices[-1] == chosen and cursor == k_after


def test_share_link_restores_the_same_state(lab_page: Page, context):
    page = lab_page
    open_link(page, page.app_url, SCENARIO, 5)
    k5 = step_of(label(page))[0]
    assert link_state(page) == (parse_scenario(SCENARIO), 5)
    # step in the browser; the player reports its cursor (debounced), and the page's link follows
    for _ in range(3):
        click(page, ".tp-forward")
    shown, state = label(page), state_text(page)
    assert step_of(shown)[0] == k5 + 3
    page.wait_for_url(lambda url: "p=" in url and url_state(url)[1] == 8)
    wait_idle(page)
    sc1, cur1 = link_state(page)
    assert (sc1, cur1) == (parse_scenario(SCENARIO), 8)
    expect(page.locator(".tp-step-label").first).to_have_text(shown)  # the rerun did not move the player
    # the link the page offers to copy
    link = page.get_by_test_id("stCode").last.inner_text().strip()
    assert "p=" in link and link.startswith("http")

    other = context.browser.new_context(viewport={"width": 1400, "height": 1600})  # a classmate: new session
    try:
        page2 = other.new_page()
        page2.goto(link)
        expect(player(page2)).to_be_visible()
        wait_idle(page2)
        expect(page2.locator(".tp-step-label").first).to_have_text(shown)
        assert state_text(page2) == state
        assert link_state(page2) == (sc1, cur1)
    finally:
        other.close()


def test_switch_language_to_chinese(lab_page: Page):
    page = lab_page
    open_lab(page, page.app_url)
    expect(page.get_by_role("heading", name=en("lab.title"))).to_be_visible()
    select_option(page, en("core.language"), LANG_NAMES["zh"])
    wait_idle(page)
    expect(page).to_have_url(re.compile(r"[?&]lang=zh(&|$)"))
    expect(page.get_by_role("heading", name=zh("lab.title"))).to_be_visible()
    expect(page.get_by_test_id("stSidebarNav")).to_contain_text(zh("core.nav.lab"))
    expect(page.get_by_test_id("stSidebar")).to_contain_text(zh("lab.controls.protocol"))
    # the client-side player speaks Chinese too
    forward = page.locator(".tp-forward").first
    expect(forward).to_have_attribute("title", re.compile(re.escape(zh("player.forward"))))
    assert re.search(r"[\u4e00-\u9fff]", page.locator(".tp-root").first.inner_text())


def test_download_trace_is_valid_trace_json(lab_page: Page, tmp_path):
    page = lab_page
    open_link(page, page.app_url, SCENARIO, 3)
    button = page.get_by_test_id("stDownloadButton").filter(has_text=en("lab.io.export_trace")).first
    with page.expect_download() as info:
        button.get_by_role("button").click()
    path = tmp_path / "trace.json"
    info.value.save_as(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["format"] == "consistency-lab-trace"
    assert isinstance(data["version"], int)
    assert data["scenario"]["protocol"] == "two-phase-commit"
    assert data["events"] and data["events"][0]["kind"] == "start"
    assert data["events"][-1]["kind"] == "end"
    assert len(data["steps"]) > 5
