"""Diagram export: what a click on "Prepare PNG / SVG" or "Interactive HTML" costs.

Side by side in one run, for the Lab's message-sequence diagram of a preset at its last step:

* ``figure`` — building the plotly figure (``viz.msc.msc_figure``, the export's own figure);
* ``html``   — the self-contained offline HTML (``viz.export.to_offline_html``);
* ``images`` — PNG and SVG together through kaleido and Debian's chromium
  (``viz.export.to_images``: one browser session per call, as the app does).

Prints each median and the ratio images/html (how much dearer the static images are).

    .venv/bin/python bench/export_speed.py [--reps 3] [--preset raft-leader-crash]
"""

from __future__ import annotations

import argparse
import statistics

import common  # noqa: F401  (puts the repo on sys.path)
from common import timed

from lessons.presets import load_preset
from sim.engine import run
from ui.i18n import translate
from viz import export
from viz.msc import default_window, msc_figure


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--preset", default="raft-leader-crash")
    args = ap.parse_args()
    trace = run(load_preset(args.preset))
    cursor = trace.n_steps - 1
    t = lambda key, **kw: translate("en", key, **kw)  # noqa: E731
    rows: dict[str, list[float]] = {"figure": [], "html": [], "images": []}
    sizes = {}
    for _ in range(args.reps):
        fig, dt = timed(lambda: msc_figure(trace, cursor, t, window=default_window(trace, cursor)))
        rows["figure"].append(dt)
        html, dt = timed(export.to_offline_html, fig)
        rows["html"].append(dt)
        images, dt = timed(export.to_images, fig)
        rows["images"].append(dt)
        sizes = {"html": len(html.encode()), **{k: len(v) for k, v in images.items()}}
    print(f"preset {args.preset}: {trace.n_steps} steps, {args.reps} reps")
    for what, xs in rows.items():
        print(f"  {what:7} median {statistics.median(xs) * 1e3:8.1f} ms   (all: {', '.join(f'{x * 1e3:.0f}' for x in xs)})")
    print("  sizes: " + ", ".join(f"{k} {v / 1024:.0f} KiB" for k, v in sizes.items()))
    print(f"  ratio images/html: {statistics.median(rows['images']) / statistics.median(rows['html']):.1f}×")


if __name__ == "__main__":
    main()
