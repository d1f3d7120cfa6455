"""Real browser: the scenario library opens a preset in the Lab at the chosen step, and the Lab's
"Prepare PNG / SVG" renders the diagram (kaleido, headless chromium) and downloads a real PNG."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from lessons import library as lib
from lessons.presets import list_presets
from tests.support.browser import wait_idle
from ui.i18n import translate
from ui.share import decode

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]


def en(key: str, **args) -> str:
    return translate("en", key, **args)


def _download_button(page: Page, label: str):
    return page.get_by_test_id("stDownloadButton").filter(has_text=label).first.get_by_role("button")


def test_lab_prepares_a_png_of_the_diagram_and_downloads_it(lab_page: Page, tmp_path):
    page = lab_page
    page.goto(f"{page.app_url}/lab?lang=en")
    expect(page.locator(".tp-root").first).to_be_visible()
    wait_idle(page)
    png_label = re.compile(r"Download PNG \(\d+ KiB\)")  # the icon adds its own text
    expect(page.get_by_test_id("stDownloadButton").filter(has_text=png_label)).to_have_count(0)
    started = time.perf_counter()
    page.get_by_role("button", name=en("export.prepare")).click()
    button = page.get_by_test_id("stDownloadButton").filter(has_text=png_label).first.get_by_role("button")
    expect(button).to_be_visible(timeout=120_000)  # one headless-Chromium render on a loaded machine
    wait_idle(page)
    print(f"prepare PNG/SVG in the browser: {time.perf_counter() - started:.1f} s")
    with page.expect_download() as info:
        button.click()
    download = info.value
    assert re.fullmatch(r"[a-z0-9-]+-seed\d+-step\d+\.png", download.suggested_filename)
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000
    # the interactive HTML file is built only when asked for (a deferred download) and works offline
    with page.expect_download() as info:
        _download_button(page, en("export.html")).click()
    html_path = tmp_path / info.value.suggested_filename
    info.value.save_as(html_path)
    html = html_path.read_text(encoding="utf-8")
    assert html_path.suffix == ".html" and "plotly.js v" in html and not re.search(r"<script[^>]*\bsrc=", html)


def test_library_link_opens_the_preset_in_the_lab_at_the_chosen_step(lab_page: Page):
    page = lab_page
    preset = list_presets("two-phase-commit")[-1]
    entry = lib.entries([preset])[0]
    step = [p.step for p in lib.positions(entry) if p.kind == "tour"][-1]
    page.goto(f"{page.app_url}/library?lang=en")
    expect(page.get_by_role("heading", name=en("library.title"))).to_be_visible()
    wait_idle(page)
    page.get_by_label(en("library.search")).fill(preset.id)
    page.get_by_label(en("library.search")).press("Enter")
    wait_idle(page)
    expect(page.get_by_role("link", name=en("library.open", step=0))).to_have_count(1)
    page.get_by_label(en("library.position")).click()
    page.get_by_role("option", name=re.compile(re.escape(en("library.at.step", step=step, caption="")))).click()
    wait_idle(page)
    link = page.get_by_role("link", name=en("library.open", step=step))
    expect(link).to_have_count(1)
    url = page.locator("[data-testid=stCode] code").first.inner_text().strip()
    assert url.startswith(page.app_url + "/lab?lang=en&p=")
    link.click()
    expect(page.get_by_role("heading", name=en("lab.title"))).to_be_visible()
    expect(page.locator(".tp-step-label").first).to_contain_text(f"{step} /")
    wait_idle(page)
    scenario, cursor = decode(re.search(r"[?&]p=([A-Za-z0-9_-]+)", page.url)[1])
    assert scenario.meta.get("preset") == preset.id and cursor == step
