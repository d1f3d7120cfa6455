"""Step latency in the real browser: our trace player vs a bare Streamlit rerun.

What it measures (in the page, not from Python — Playwright's own round trips would swamp
the numbers): a capture-phase ``keydown``/``click`` listener stamps ``t0 = performance.now()``
when the input arrives; once the view shows the new step, the next ``requestAnimationFrame``
callback stamps ``performance.now()`` ("frame": inside the callback, because the rAF
timestamp is the frame start and can precede the input), and a ``setTimeout(0)`` queued from
it stamps "paint" (that frame was painted). For the player this is ``bench/player_probe.py``
(the label ``.tp-step-label`` changed); for the bare app a ``MutationObserver`` waits for the
chart title to read ``step N+1``.

- **ours**: the Protocol Lab opened at a scenario via its share link (``?p=`` from
  ``ui.share.encode``), stepped with the → key on the focused ``.tp-root`` and with the
  ``.tp-forward`` button; "updated" = ``.tp-step-label`` shows a different text.
  Two traces: a ~1,000-event two-phase-commit run and a ~20,000-event run.
- **bare**: ``bench/bare_app.py``, a button whose click reruns the script and redraws one
  plotly chart; "updated" = the chart title reads ``step N+1``.

Both servers run in this one process's lifetime, measured side by side in the same run.
Target: ours p95 ≤ 0.5× bare p95, at 1k and at 20k events.
Run: ``.venv/bin/python bench/step_latency.py [--steps 60]``.
"""

from __future__ import annotations

import argparse
import json

import common
from common import ROOT, launch_chromium, running, summary, wait_idle

from sim.engine import run
from sim.scenario import parse_scenario

# The lab page's URL path (app.py registers it with st.Page(..., url_path=...)).
LAB_PATH = "lab"
IDLE_MS = 60_000  # a rerun on 2 shared cores, with chromium busy too, can take a while


def two_pc_scenario(restart_at: int) -> dict:
    """Two-phase commit, 8 RMs, the TM crashes after the votes are out (t=30) and restarts at
    ``restart_at``: the in-doubt RMs keep asking for the decision, so the run's length scales
    with the outage (restart 2,200 → ~1,000 events; 50,000 → ~20,000 events)."""
    return {"protocol": "two-phase-commit", "params": {"participants": 8}, "seed": 1,
            "faults": [{"type": "crash", "node": "tm", "at": 30}, {"type": "restart", "node": "tm", "at": restart_at}],
            "limits": {"max_steps": 20_000}}


SMALL = two_pc_scenario(2_200)   # ~1k events
BIG = two_pc_scenario(50_000)    # ~20k events


def share_url(base: str, scenario: dict, cursor: int = 0, lang: str = "en") -> str:
    from ui.share import encode

    return f"{base}/{LAB_PATH}?lang={lang}&p={encode(parse_scenario(scenario), cursor)}"


# --- the in-page probe --------------------------------------------------------------------------
# arm(): install listeners; resolves window.__probe with t1 - t0 once done(ctx) holds after t0.
PROBE_JS = r"""
({kind, doneSrc, ctx}) => {
  const done = new Function('ctx', 'deep', doneSrc);
  const roots = [];
  const deep = (sel) => {               // querySelector that also looks inside open shadow roots
    const hit = document.querySelector(sel);
    if (hit) return hit;
    const walk = (root) => {
      for (const el of root.querySelectorAll('*')) {
        if (el.shadowRoot) {
          const h = el.shadowRoot.querySelector(sel) || walk(el.shadowRoot);
          if (h) return h;
        }
      }
      return null;
    };
    return walk(document);
  };
  const collectRoots = (root) => {
    roots.push(root);
    for (const el of root.querySelectorAll('*')) if (el.shadowRoot) collectRoots(el.shadowRoot);
  };
  collectRoots(document);
  window.__probe = new Promise((resolve, reject) => {
    let t0 = null, finished = false;
    const observers = [];
    const finish = () => {
      if (finished || t0 === null || !done(ctx, deep)) return;
      finished = true;
      observers.forEach((o) => o.disconnect());
      requestAnimationFrame(() => {
        const frame = performance.now() - t0;       // the frame that shows the update is being built
        setTimeout(() => resolve({frame, paint: performance.now() - t0}), 0);  // ... and was painted
      });
    };
    const onInput = () => { if (t0 === null) { t0 = performance.now(); finish(); } };
    window.addEventListener(kind, onInput, {capture: true, once: true});
    for (const r of roots) {
      const o = new MutationObserver(finish);
      o.observe(r, {subtree: true, childList: true, characterData: true, attributes: true});
      observers.push(o);
    }
    setTimeout(() => { if (!finished) reject(new Error('probe timeout')); }, 30000);
  });
  return true;
}
"""

BARE_DONE = ("const t = [...document.querySelectorAll('.js-plotly-plot .gtitle')].map(e => e.textContent);"
             "return t.length === 1 && t[0] === ctx.want;")


def measure_ours(page, url: str, steps: int, how: str) -> dict[str, list[float]]:
    """Step ``steps`` times (→ key on the focused player, or the forward button); the player
    helper's probe (``bench/player_probe.py``) times each step in the page."""
    from player_probe import PROBE_JS as TP_PROBE

    page.goto(url)
    page.locator(".tp-root").first.wait_for(timeout=90_000)
    wait_idle(page, IDLE_MS)
    root = page.locator(".tp-root").first
    forward = page.locator(".tp-forward").first
    root.focus()
    page.keyboard.press("Home")  # start from step 0 whatever the link's cursor
    page.evaluate(TP_PROBE)
    for _ in range(steps):
        if how == "key":
            page.keyboard.press("ArrowRight")
        else:
            forward.click()
        page.wait_for_function("window.__tpProbe.pending === 0")
    probe = page.evaluate("({frame: window.__tpProbe.frame, paint: window.__tpProbe.paint, "
                          "misses: window.__tpProbe.misses})")
    assert probe["misses"] == 0 and len(probe["frame"]) == steps, probe
    # let the player's debounced cursor report (one rerun) land before anything else is timed
    page.wait_for_url(lambda u: url_cursor(u) == steps, timeout=60_000)
    wait_idle(page, IDLE_MS)
    return {"frame": probe["frame"], "paint": probe["paint"]}


def url_cursor(url: str) -> int | None:
    from urllib.parse import parse_qs, urlsplit

    from ui.share import decode

    p = parse_qs(urlsplit(url).query).get("p")
    return decode(p[0])[1] if p else None


def warm_up(page, url: str) -> None:
    """Load the page once: the first script run of a fresh server (imports, caches) is not a step."""
    page.goto(url)
    page.locator(".tp-root").first.wait_for(timeout=90_000)
    wait_idle(page, IDLE_MS)


def measure_bare(page, url: str, steps: int) -> list[float]:
    page.goto(url)
    page.locator(".js-plotly-plot .gtitle").first.wait_for(timeout=90_000)
    wait_idle(page, IDLE_MS)
    button = page.get_by_role("button", name="Step")
    out: dict[str, list[float]] = {"frame": [], "paint": []}
    for i in range(steps):
        want = page.locator(".js-plotly-plot .gtitle").first.text_content()
        n = int(want.split()[-1]) + 1
        page.evaluate(PROBE_JS, {"kind": "click", "doneSrc": BARE_DONE, "ctx": {"want": f"step {n}"}})
        button.click()
        r = page.evaluate("window.__probe")
        out["frame"].append(r["frame"])
        out["paint"].append(r["paint"])
        wait_idle(page, IDLE_MS)  # never click the previous run's button
    return out


def fmt(name: str, xs: list[float]) -> str:
    s = summary(xs)
    return f"{name:<44} n={s['n']:>3}  p50 {s['p50']:7.1f} ms  p95 {s['p95']:7.1f} ms  max {s['max']:7.1f} ms"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=60, help="steps measured per case")
    ap.add_argument("--json", action="store_true", help="also print the results as JSON")
    args = ap.parse_args()
    from playwright.sync_api import sync_playwright

    n_small, n_big = (len(run(parse_scenario(s)).events) for s in (SMALL, BIG))
    print(f"1k trace : 2PC, 8 RMs, TM down t=30..2200  -> {n_small:,} events")
    print(f"20k trace: 2PC, 8 RMs, TM down t=30..50000 -> {n_big:,} events")
    res: dict[str, dict[str, list[float]]] = {}
    with running(ROOT / "app.py") as lab, running(ROOT / "bench" / "bare_app.py") as bare, \
            sync_playwright() as pw:
        browser = launch_chromium(pw)
        ctx = browser.new_context(viewport={"width": 1400, "height": 1200})
        page = ctx.new_page()
        # interleaved: bare, ours 1k, ours 20k, bare again — machine noise hits every case
        warm_up(page, share_url(lab.url, SMALL))
        res["bare pass 1"] = measure_bare(page, bare.url, args.steps // 2)
        for size, sc in (("1k", SMALL), ("20k", BIG)):
            url = share_url(lab.url, sc)
            res[f"ours {size} key"] = measure_ours(page, url, args.steps, "key")
            res[f"ours {size} button"] = measure_ours(page, url, args.steps // 2, "click")
        res["bare pass 2"] = measure_bare(page, bare.url, args.steps // 2)
        browser.close()
    res["bare all"] = {m: res["bare pass 1"][m] + res["bare pass 2"][m] for m in ("frame", "paint")}
    print("step -> next frame with the update (frame) / -> after that frame was painted (paint):")
    for name, r in res.items():
        for m in ("frame", "paint"):
            print(fmt(f"{name} [{m}]", r[m]))
    for m in ("frame", "paint"):
        bare_p95 = summary(res["bare all"][m])["p95"]
        for size in ("1k", "20k"):
            for how in ("key", "button"):
                p95 = summary(res[f"ours {size} {how}"][m])["p95"]
                ratio = p95 / bare_p95
                print(f"ratio ours/bare p95 [{m}], {size:>3} {how:<6}: {p95:6.1f} / {bare_p95:6.1f} ms = {ratio:.3f}x"
                      f"  (target <= 0.5x) -> {'PASS' if ratio <= 0.5 else 'ABOVE TARGET'}")
    if args.json:
        print(json.dumps({k: {m: summary(v) for m, v in r.items()} for k, r in res.items()}, indent=1))


if __name__ == "__main__":
    main()
