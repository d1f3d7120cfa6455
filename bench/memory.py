"""Server memory per session: RSS growth of the Streamlit server with a ~1,000-event trace open.

Method: start the real app (``tests/support/server.py``), open one warm-up session on the
lab with the trace (that first one pays for imports, the cached run and the component
assets, and is reported separately), read the server's ``VmRSS`` from
``/proc/<pid>/status``, then open N more browser sessions (separate browser contexts, so
separate Streamlit sessions; all kept open at once) on the same share link, wait until each
shows the trace player and its script run has finished, read ``VmRSS`` again.
Per-session growth = (after − before) / N. Then N more sessions, each on a trace of its
own (other seeds, ~1k events each), so the cached run and player payload are per session
too. Target ≤ 20 MB per session.
Run: ``.venv/bin/python bench/memory.py [--sessions 5]``.
"""

from __future__ import annotations

import argparse
import gc

import common
from common import ROOT, launch_chromium, rss_kb, running, wait_idle
from step_latency import IDLE_MS, SMALL, share_url

from sim.engine import run
from sim.scenario import parse_scenario


def open_session(browser, url: str):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1200})
    page = ctx.new_page()
    page.goto(url)
    page.locator(".tp-root").first.wait_for(timeout=90_000)
    wait_idle(page, IDLE_MS)
    return ctx


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=5)
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    scenario = SMALL
    n_events = len(run(parse_scenario(scenario)).events)
    gc.collect()
    print(f"trace: 2PC, 8 RMs, TM down t=30..2200 -> {n_events:,} events; sessions: {args.sessions}")
    with running(ROOT / "app.py") as lab, sync_playwright() as pw:
        browser = launch_chromium(pw)
        url = share_url(lab.url, scenario)
        rss0 = rss_kb(lab.pid)
        warm = open_session(browser, url)
        rss1 = rss_kb(lab.pid)
        same = [open_session(browser, url) for _ in range(args.sessions)]
        rss2 = rss_kb(lab.pid)
        # each learner with a trace of their own (other seeds): the trace/payload caches grow too
        own = [open_session(browser, share_url(lab.url, {**scenario, "seed": 100 + i}))
               for i in range(args.sessions)]
        rss3 = rss_kb(lab.pid)
        for c in [warm, *same, *own]:
            c.close()
        browser.close()
    per_same = (rss2 - rss1) / args.sessions / 1024
    per_own = (rss3 - rss2) / args.sessions / 1024
    print(f"server RSS at start                 : {rss0 / 1024:8.1f} MB")
    print(f"after warm-up session               : {rss1 / 1024:8.1f} MB  (first session: +{(rss1 - rss0) / 1024:.1f} MB:"
          " imports, component, first run)")
    print(f"{f'after {args.sessions} sessions, same trace':<36}: {rss2 / 1024:8.1f} MB")
    print(f"{f'after {args.sessions} sessions, own trace each':<36}: {rss3 / 1024:8.1f} MB")
    for name, per in (("same shared trace", per_same), ("own trace each", per_own)):
        print(f"growth per session, {name:<17}: {per:8.2f} MB  (target <= 20 MB)  -> "
              f"{'PASS' if per <= 20 else 'ABOVE TARGET'}")


if __name__ == "__main__":
    main()
