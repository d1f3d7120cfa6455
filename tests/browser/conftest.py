"""Fixtures for the real-browser tests: Debian's chromium and one real app server per session.

- ``browser_type_launch_args`` (pytest-playwright's fixture) is overridden to launch
  ``$CHROMIUM_PATH`` (default ``/usr/bin/chromium``) with the flags that keep it headless and
  off the network. Playwright's own browser download is never used.
- If that chromium is missing, the browser tests are skipped on a developer's machine but
  FAIL when ``CI == "true"`` (CI must never go green by skipping the real-browser path).
- ``app_server`` starts ``streamlit run app.py`` on a free loopback port once per session
  (per xdist worker) via ``tests/support/server.py`` and stops it by pid at the end.
- ``lab_page`` / ``player_page``: a fresh page with the long timeouts below (also for ``expect``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.browser import CHROMIUM_ARGS, CHROMIUM_PATH
from tests.support.server import ROOT, running

# Generous on 2 shared cores: a cold Streamlit page plus Chromium can take seconds.
TIMEOUT_MS = 30_000


def _require_chromium() -> None:
    if Path(CHROMIUM_PATH).is_file() and os.access(CHROMIUM_PATH, os.X_OK):
        return
    msg = f"chromium not found at {CHROMIUM_PATH} (apt-get install chromium; `./lab test` does it)"
    if os.environ.get("CI") == "true":
        pytest.fail(msg, pytrace=False)
    pytest.skip(msg)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    _require_chromium()
    return {**browser_type_launch_args, "executable_path": CHROMIUM_PATH, "args": CHROMIUM_ARGS,
            "headless": True}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # a tall viewport: Streamlit scrolls its own container, so off-screen widgets stay reachable
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1600}, "accept_downloads": True}


@pytest.fixture(scope="session")
def app_server(browser):
    """The real app, warmed up: one page load runs the first (cold) script run, imports and
    caches, so the first test does not pay for it (and does not meet the cold server's
    one-off "Page not found" dialog that Streamlit shows before the navigation is known)."""
    with running(ROOT / "app.py", cwd=ROOT, timeout_s=90) as server:
        ctx = browser.new_context()
        try:
            page = ctx.new_page()
            page.set_default_timeout(90_000)
            page.goto(f"{server.url}/lab?lang=en")
            page.locator(".tp-root").first.wait_for()
        finally:
            ctx.close()
        yield server


def _long_timeouts(page):
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)  # global to Playwright: every browser test sets the same value
    page.set_default_timeout(TIMEOUT_MS)
    return page


@pytest.fixture
def lab_page(page, app_server):
    """A fresh page with the app's base URL at hand (``lab_page.app_url``) and long timeouts."""
    page = _long_timeouts(page)
    page.app_url = app_server.url
    return page


@pytest.fixture
def player_page(browser):
    """A fresh page about as wide as the lab's main column, with long timeouts (player component tests)."""
    ctx = browser.new_context(viewport={"width": 1280, "height": 1400})
    try:
        yield _long_timeouts(ctx.new_page())
    finally:
        ctx.close()
