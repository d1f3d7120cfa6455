"""Compare: one workload and fault schedule against two configurations or two stores, side by side.

Thin page: everything is in ``ui.compare_view`` (widgets) over ``sim.transplant`` and
``viz.compare`` (pure).
"""

from __future__ import annotations

from ui.compare_view import compare_page
from ui.frame import require_app_frame

require_app_frame()
compare_page()
