"""Open one page of the app in Streamlit's AppTest, the way every page test starts.

The app frame (``app.py``) runs first, with ``?lang=`` and any other query parameters, then the
page is switched to; an exception on either run fails the test with its messages.
"""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[2] / "app.py")


def open_page(page: str, lang: str = "en", *, timeout: float = 120, **query: str) -> AppTest:
    """``page`` is the file under ``pages/`` (``"pages/compare.py"``)."""
    at = AppTest.from_file(APP, default_timeout=timeout)
    at.query_params.update({"lang": lang, **query})
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    return at
