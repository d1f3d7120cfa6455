"""Lessons: the curriculum's topics as pages, read from ``lessons/content/`` (``lessons.registry``).

Thin page: everything is in ``ui.lessons_view``.
"""

from __future__ import annotations

from ui.frame import require_app_frame
from ui.lessons_view import lessons_page

require_app_frame()
lessons_page()
