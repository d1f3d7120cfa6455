"""Scenario library: every preset of every protocol, searchable, each a link that opens the Lab at
its start, at a step of its tour, or at its end — for instructors.

Thin page: everything is in ``ui.library_view`` over ``lessons.library``.
"""

from __future__ import annotations

from ui.frame import require_app_frame
from ui.library_view import library_page

require_app_frame()
library_page()
