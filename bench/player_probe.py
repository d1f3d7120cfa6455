"""In-page latency probe for the client-side trace player (step → drawn), as a JS snippet.

Usage (Playwright, sync API)::

    from bench.player_probe import PROBE_JS, SUMMARY_JS
    page.evaluate(PROBE_JS)                 # once, after the player rendered
    page.locator(".tp-root").focus()
    for _ in range(200):
        page.keyboard.press("ArrowRight")   # or click .tp-forward
    page.wait_for_function("window.__tpProbe.pending === 0")
    stats = page.evaluate(SUMMARY_JS)       # {"n", "frame_p50", "frame_p95", "paint_p50", "paint_p95", "misses"}

How it measures (see /work/shared/reference/client-stepping.md §14): a capture-phase
``keydown``/``click`` listener on ``document`` stamps ``performance.now()`` before the player's
own handler runs; in the next ``requestAnimationFrame`` callback it reads ``performance.now()``
again (not the rAF timestamp, which is the frame start and can precede the input) and checks
that ``.tp-step-label`` changed ("frame"); a ``setTimeout(0)`` queued from that callback runs
after the frame was painted ("paint"). An input that did not change the label (e.g. at the last
step) counts as a miss, not a sample. The player mounts without a shadow root, so
``document.querySelector`` finds the label.
"""

PROBE_JS = r"""
(() => {
  const P = window.__tpProbe = {frame: [], paint: [], misses: 0, pending: 0};
  const label = () => (document.querySelector('.tp-step-label') || {}).textContent;
  const start = (e) => {
    if (e.type === 'keydown' && !['ArrowRight','ArrowLeft','Home','End','PageUp','PageDown'].includes(e.key)) return;
    if (e.type === 'click' && !(e.target.closest && e.target.closest('.tp-forward,.tp-back,.tp-first,.tp-last'))) return;
    const t0 = performance.now(), before = label();
    P.pending++;
    requestAnimationFrame(() => {
      const t1 = performance.now();
      if (label() === before) { P.misses++; P.pending--; return; }
      P.frame.push(t1 - t0);
      setTimeout(() => { P.paint.push(performance.now() - t0); P.pending--; }, 0);
    });
  };
  document.addEventListener('keydown', start, true);
  document.addEventListener('click', start, true);
  return true;
})()
"""

SUMMARY_JS = r"""
(() => {
  const P = window.__tpProbe;
  const q = (a, p) => { const s = [...a].sort((x, y) => x - y); return s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : null; };
  const r = (x) => x === null ? null : Math.round(x * 100) / 100;
  return {n: P.frame.length, misses: P.misses, frame_p50: r(q(P.frame, .5)), frame_p95: r(q(P.frame, .95)),
          paint_p50: r(q(P.paint, .5)), paint_p95: r(q(P.paint, .95))};
})()
"""
