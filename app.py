"""Consistency Lab / 一致性实验室 — the entry point: ``streamlit run app.py``.

The frame (page config, language switch, ``st.navigation`` over the explicitly
registered pages) lives in ``ui/frame.py``. The repository root goes on ``sys.path``
first so that ``streamlit run /elsewhere/app.py`` from any working directory finds
``sim``, ``ui`` ...
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ui.frame import run_app  # noqa: E402

run_app()
