"""Figure export (viz/export.py, ui/export.py): real PNG and SVG from kaleido driving Debian's
chromium, a self-contained offline HTML file, a translated message when the browser is missing,
and the export controls under the main figure of every page that has one.

Never skipped: CI has /usr/bin/chromium (``./lab test`` installs it). Each static render starts a
headless Chromium (~3 s on two cores), hence the generous timeouts.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import plotly.graph_objects as go
import pytest
from PIL import Image

from lessons.presets import list_presets, load_preset
from sim.engine import run
from tests.support.apptest import open_page
from ui.i18n import translate, translator
from viz import export
from viz.msc import default_window, msc_figure

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.timeout(600)


@pytest.fixture(scope="module")
def msc():
    """The Lab's diagram of a real preset at its last step (what the Lab exports)."""
    preset = list_presets("two-phase-commit")[0]
    trace = run(load_preset(preset.id))
    cursor = trace.n_steps - 1
    return trace, msc_figure(trace, cursor, translator("en"), window=default_window(trace, cursor))


@pytest.fixture(scope="module")
def images(msc):
    return export.to_images(msc[1])  # PNG and SVG from one browser session


def test_png_is_a_real_png_of_the_figures_size(msc, images):
    png = images["png"]
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    img = Image.open(io.BytesIO(png))
    img.load()  # decodes every pixel: a truncated or corrupt file raises here
    width, height = export.image_size(msc[1])
    assert img.size == (width * export.PNG_SCALE, height * export.PNG_SCALE)
    assert len(set(img.convert("L").resize((60, 20)).tobytes())) > 3  # not a blank canvas


def test_svg_parses_as_xml_with_an_svg_root_and_the_diagram(msc, images):
    root = ET.fromstring(images["svg"])
    assert root.tag.rsplit("}", 1)[-1] == "svg"
    text = " ".join(el.text or "" for el in root.iter())
    assert all(node in text for node in msc[0].nodes)  # the lanes are labelled with the node ids


def test_one_format_helpers_render_that_format():
    fig = go.Figure(go.Bar(x=["a", "b"], y=[1, 3]), layout=dict(width=300, height=200))
    svg = export.to_svg(fig)
    assert ET.fromstring(svg).tag.endswith("svg") and b'width="300"' in svg


def test_offline_html_holds_plotly_js_inline_and_loads_nothing_from_a_cdn(msc):
    html = export.to_offline_html(msc[1])
    assert "plotly.js v" in html and len(html) > 1_000_000  # the library itself is inside
    assert not re.search(r"<script[^>]*\bsrc\s*=", html, re.I)  # no script is fetched from anywhere
    assert '"type":"scatter"' in html.replace(" ", "")  # and the figure


def test_missing_browser_is_an_export_error_that_never_advises_a_download():
    with pytest.raises(export.ExportError) as err:
        export.to_png(go.Figure(), browser_path="/nonexistent/chromium")
    assert "ChromeNotFoundError" in str(err.value) and "get_chrome" not in str(err.value)


def test_unknown_format_is_refused():
    with pytest.raises(ValueError):
        export.to_images(go.Figure(), ("pdf",))


def test_kaleido_is_not_imported_when_the_app_modules_load():
    code = ("import sys; import viz.export, ui.export, ui.crdt_view, ui.gossip_view, ui.compare_view, "
            "ui.explorer_results, ui.library_view; print('kaleido' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


# ------------------------------------------------------------------------------ pages
def _download_ids(at) -> list[str]:
    return [d.proto.id for d in at.get("download_button")]


def _has_export_row(at, key: str) -> bool:
    return (any(b.key == f"{key}.prepare" for b in at.button)
            and any(i.endswith(f"-{key}.html") for i in _download_ids(at)))


# one AppTest per page wired: (page, export keys under its main figures)
PAGES = [
    ("pages/lab.py", ["lab.export"]),
    ("pages/compare.py", ["compare.export"]),
    ("pages/crdts.py", ["crdt.export"]),
    ("pages/gossip.py", ["gossip.export.rounds", "gossip.export.tree"]),
    ("pages/clocks.py", ["clocks.export"]),
    ("pages/models.py", ["explorer.export"]),
]


@pytest.mark.parametrize("page,keys", PAGES, ids=[p for p, _ in PAGES])
def test_every_wired_page_offers_the_export_row(page, keys):
    at = open_page(page, "en", timeout=240)
    for key in keys:
        assert _has_export_row(at, key), (page, key, [b.key for b in at.button], _download_ids(at))
    labels = [b.label for b in at.button]
    assert translate("en", "export.prepare") in labels


def test_compare_keeps_its_own_label_for_the_html_file():
    at = open_page("pages/compare.py", "zh", timeout=240)
    html = [d for d in at.get("download_button") if d.proto.id.endswith("-compare.export.html")]
    assert [d.proto.label for d in html] == [translate("zh", "compare.export")]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_lab_prepares_png_and_svg_of_the_diagram_on_demand(lang):
    at = open_page("pages/lab.py", lang, timeout=240)
    assert not any(i.endswith(("-lab.export.png", "-lab.export.svg")) for i in _download_ids(at))  # not yet
    at.button(key="lab.export.prepare").click().run()
    assert not at.exception, [e.value for e in at.exception]
    files = {d.proto.id.rsplit(".", 1)[-1]: d.proto for d in at.get("download_button")
             if d.proto.id.endswith(("-lab.export.png", "-lab.export.svg"))}
    assert set(files) == {"png", "svg"}
    assert files["png"].url.endswith(".png") and files["svg"].url.endswith(".svg")
    kib = re.search(r"(\d+) KiB", files["png"].label)[1]
    assert files["png"].label == translate(lang, "export.download.png", kib=kib)
    assert translate(lang, "export.unavailable") not in [w.value for w in at.warning]  # the browser was found
    at.run()  # any other rerun: the prepared files are gone (nothing big stays in the session)
    assert not any(i.endswith("-lab.export.png") for i in _download_ids(at))


def test_without_a_browser_the_lab_says_so_in_chinese_and_html_still_works(monkeypatch):
    monkeypatch.setenv("BROWSER_PATH", "/nonexistent/chromium")
    at = open_page("pages/lab.py", "zh", timeout=240)
    at.button(key="lab.export.prepare").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert translate("zh", "export.unavailable") in [w.value for w in at.warning]
    assert any(c.value.startswith(translate("zh", "export.reason", reason="")) for c in at.caption)
    assert any(i.endswith("-lab.export.html") for i in _download_ids(at))
    assert not any(i.endswith("-lab.export.png") for i in _download_ids(at))
