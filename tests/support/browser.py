"""Debian's chromium for Playwright, and waiting for a Streamlit rerun — shared by the browser
tests (``tests/browser``) and the benchmarks (``bench/``), so there is one list of flags.

- ``CHROMIUM_PATH``: ``$CHROMIUM_PATH`` or ``/usr/bin/chromium`` (never a downloaded browser).
- ``CHROMIUM_ARGS``: headless, no sandbox/GPU, and the flags that stop Chromium calling out
  (without the last three it tries to reach the network and fails; see TESTING.md).
- ``wait_idle(page)``: the script run started by the last action has finished, so the
  widgets on the page are the new run's (never click the previous run's widgets).
"""

from __future__ import annotations

import os

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def launch_chromium(playwright):
    """``playwright.chromium.launch`` of Debian's chromium with ``CHROMIUM_ARGS``, headless."""
    return playwright.chromium.launch(executable_path=CHROMIUM_PATH, args=CHROMIUM_ARGS, headless=True)


def wait_idle(page, timeout_ms: float | None = None) -> None:
    """Wait until ``stApp`` says ``data-test-script-state="notRunning"``."""
    from playwright.sync_api import expect

    kw = {} if timeout_ms is None else {"timeout": timeout_ms}
    expect(page.get_by_test_id("stApp")).to_have_attribute("data-test-script-state", "notRunning", **kw)
