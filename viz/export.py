"""Any figure of the app as a file: PNG and SVG for slides and papers, a self-contained HTML page.

Theory of operation
-------------------
``to_images(fig, formats)`` hands the figure to kaleido, which renders it in a headless
Chromium (Debian's ``/usr/bin/chromium``; kaleido finds it, ``BROWSER_PATH`` pins it) and
returns the bytes of every requested format from ONE browser session: the browser start is
most of the cost (~3 s on two cores), each further format ~0.2 s. ``to_png`` / ``to_svg`` are
the one-format cases. MathJax is off (it would be fetched from a CDN: no network here) and a
render is bounded by ``TIMEOUT_S``. kaleido is imported inside the call, never at import
time, so a page that only shows figures never loads it. Anything that stops the render (no
kaleido, no Chromium, the browser failed or timed out, a file missing afterwards) raises
``ExportError``: the caller says so and still offers the HTML file.

``to_offline_html(fig)`` needs no browser: ``Figure.to_html(include_plotlyjs=True)`` puts
plotly.js (~4.7 MB) inside the page, so it opens offline (the default ``"cdn"`` does not).

The image size is the figure's own ``layout.width/height`` when it has them, else
``DEFAULT_WIDTH_PX`` × ``DEFAULT_HEIGHT_PX``; PNG is rendered at ``PNG_SCALE`` (sharp on a
projector), SVG at 1 (it is vectors anyway).

Pure in the sense of the layering rules: no Streamlit, no threads or clock of ours (kaleido
runs its own event loop); the only side effect is a temporary directory, removed on return,
because kaleido's public multi-figure call writes files.

Deviations: none — there is no paper; kaleido 1.x's documented API (``write_fig_from_object_sync``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Iterable

import plotly.graph_objects as go

FORMATS = ("png", "svg")
MIME = {"png": "image/png", "svg": "image/svg+xml", "html": "text/html"}
DEFAULT_WIDTH_PX = 1200
DEFAULT_HEIGHT_PX = 600
PNG_SCALE = 2
TIMEOUT_S = 60.0  # per image, inside kaleido


class ExportError(RuntimeError):
    """The static export could not be made (no kaleido, no Chromium, or the render failed)."""


def image_size(fig: go.Figure) -> tuple[int, int]:
    """``(width, height)`` in CSS pixels: the figure's own, else the defaults."""
    width = fig.layout.width or DEFAULT_WIDTH_PX
    height = fig.layout.height or DEFAULT_HEIGHT_PX
    return int(width), int(height)


def to_images(fig: go.Figure, formats: Iterable[str] = FORMATS, *, browser_path: str | None = None) -> dict[str, bytes]:
    """The figure rendered once per format (``"png"``, ``"svg"``), all in one browser session.

    ``browser_path``: the Chromium to use (default: kaleido's own search, ``BROWSER_PATH``).
    Raises ``ExportError`` when anything prevents the render; ``ValueError`` for an unknown format."""
    formats = tuple(dict.fromkeys(formats))
    unknown = [f for f in formats if f not in FORMATS]
    if unknown or not formats:
        raise ValueError(f"formats must be some of {FORMATS}, not {formats!r}")
    try:
        import kaleido
    except ImportError as e:  # an optional dependency: the HTML export still works
        raise ExportError(f"kaleido is not installed: {e}") from None
    width, height = image_size(fig)
    fig_dict = fig.to_dict()
    kopts: dict[str, Any] = {"mathjax": False, "timeout": TIMEOUT_S, "n": 1}
    if browser_path is not None:
        kopts["path"] = browser_path
    with tempfile.TemporaryDirectory(prefix="cl-export-") as tmp:
        paths = {f: Path(tmp) / f"figure.{f}" for f in formats}
        jobs = [{"fig": fig_dict, "path": str(paths[f]),
                 "opts": {"format": f, "width": width, "height": height, "scale": PNG_SCALE if f == "png" else 1}}
                for f in formats]
        try:
            kaleido.write_fig_from_object_sync(jobs, kopts=kopts)
        except Exception as e:  # noqa: BLE001 - choreographer/kaleido raise many kinds; all mean "no image"
            # the first sentence only: kaleido's next ones advise downloading a Chrome, which we never do
            raise ExportError(f"{type(e).__name__}: {str(e).split('. ')[0]}") from None
        out = {}
        for f, path in paths.items():
            if not path.is_file() or path.stat().st_size == 0:
                raise ExportError(f"kaleido wrote no {f.upper()} file")
            out[f] = path.read_bytes()
    return out


def to_png(fig: go.Figure, *, browser_path: str | None = None) -> bytes:
    return to_images(fig, ("png",), browser_path=browser_path)["png"]


def to_svg(fig: go.Figure, *, browser_path: str | None = None) -> bytes:
    return to_images(fig, ("svg",), browser_path=browser_path)["svg"]


def to_offline_html(fig: go.Figure) -> str:
    """A complete HTML page with plotly.js inline: opens without a network."""
    return fig.to_html(include_plotlyjs=True, full_html=True, config={"displaylogo": False})
