"""Progress: the learner's answers re-graded, per topic; export/import of the progress record,
assignment completion, and the instructor's ad-hoc assignment builder.

Thin page: everything is in ``ui.progress_view``; records and assignments live in
``lessons.exercises.record``.
"""

from __future__ import annotations

from ui.frame import require_app_frame
from ui.progress_view import progress_page

require_app_frame()
progress_page()
