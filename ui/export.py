"""Export buttons under a figure: PNG and SVG on demand, a self-contained HTML file always.

Theory of operation
-------------------
``export_buttons(fig, basename, key)`` draws one small row under a figure:

- **Prepare PNG/SVG** — a button. Only its click renders the images (``viz.export.to_images``:
  one headless-Chromium session, ~3–4 s), under a spinner, and then shows a download button
  per format in that same run. Nothing is kept in the session: the next rerun (another step,
  another setting) draws a new figure, whose images must be prepared again. So a page render
  never pays for Chromium, and kaleido is not even imported until someone asks.
- **Interactive HTML** — a download button whose data is a callable (Streamlit's deferred
  download): the ~5 MB page with plotly.js inline is built only when it is clicked.

``fig`` may be a figure or a zero-argument callable returning one, for figures the page does
not draw itself (the Lab's diagram is drawn client-side by the trace player; its plotly
version ``viz.msc.msc_figure`` is built only for an export: ``export_msc``).

When the images cannot be made (no Chromium, kaleido missing or failing) the reader gets a
translated message, with the technical reason in a caption, and the HTML button still works.
At most ``MAX_RENDERS`` renders run at once in this process (each is a ~140 MB Chromium);
a click that cannot get a slot within ``SLOT_WAIT_S`` is told to try again.

Keys: ``<key>.prepare``, ``<key>.png``, ``<key>.svg``, ``<key>.html``.
"""

from __future__ import annotations

import functools
import threading
from typing import Any, Callable

import streamlit as st

from ui.lang import bound_t, md_escape
from viz.export import FORMATS, MIME, ExportError, to_images, to_offline_html

MAX_RENDERS = 2
SLOT_WAIT_S = 20.0
# a bound on Chromium processes, not user state: the only module-level object shared by sessions
_RENDER_SLOTS = threading.BoundedSemaphore(MAX_RENDERS)

FigureSource = Any  # a plotly Figure, or a zero-argument callable returning one


def _figure(source: FigureSource):
    return source() if callable(source) else source


def _html(source: FigureSource) -> str:
    return to_offline_html(_figure(source))


def _images(source: FigureSource) -> dict[str, bytes]:
    if not _RENDER_SLOTS.acquire(timeout=SLOT_WAIT_S):
        raise TimeoutError("every export slot is busy")
    try:
        return to_images(_figure(source), FORMATS)
    finally:
        _RENDER_SLOTS.release()


def export_buttons(fig: FigureSource, basename: str, key: str, *, html_label: str | None = None) -> None:
    """The export row for ``fig`` (files named ``<basename>.png|svg|html``; widget keys under ``key``)."""
    t = bound_t()
    with st.container(horizontal=True, gap="small", key=f"{key}.row"):
        prepare = st.button(t("export.prepare"), key=f"{key}.prepare", icon=":material/image:",
                            help=t("export.prepare_help"))
        st.download_button(html_label or t("export.html"), functools.partial(_html, fig),
                           file_name=f"{basename}.html", mime=MIME["html"], key=f"{key}.html",
                           icon=":material/download:", help=t("export.html_help"), on_click="ignore")
    if not prepare:
        return
    try:
        with st.spinner(t("export.preparing")):
            images = _images(fig)
    except TimeoutError:
        st.warning(t("export.busy"))
        return
    except ExportError as e:
        st.warning(t("export.unavailable"))
        st.caption(t("export.reason", reason=md_escape(e, 300)))
        return
    with st.container(horizontal=True, gap="small", key=f"{key}.files"):
        for fmt in FORMATS:
            st.download_button(t(f"export.download.{fmt}", kib=max(1, len(images[fmt]) // 1024)), images[fmt],
                               file_name=f"{basename}.{fmt}", mime=MIME[fmt], key=f"{key}.{fmt}",
                               icon=":material/download:", on_click="ignore", type="primary")


def export_msc(trace: Any, cursor: int, key: str) -> None:
    """Export buttons for the message-sequence diagram of ``trace`` up to ``cursor`` (the window
    the Lab's static view shows), built only when an export is asked for."""
    from viz.msc import default_window, msc_figure

    t = bound_t()
    sc = trace.scenario
    make: Callable[[], Any] = functools.partial(
        lambda tr, c, tt: msc_figure(tr, c, tt, window=default_window(tr, c)), trace, cursor, t)
    export_buttons(make, f"{sc.protocol}-seed{sc.seed}-step{cursor}", key)
