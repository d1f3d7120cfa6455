"""Exercises: auto-graded questions per topic, a learner's own copy of each, share links and
assignments (``?exercise=<id>&seed=<n>``, ``?assignment=<id>``, ``?assign=<code>``).

Thin page: everything is in ``ui.exercise_view`` (forms in ``ui.exercise_forms``); the questions
and their grading live in ``lessons.exercises``.
"""

from __future__ import annotations

from ui.exercise_view import exercises_page
from ui.frame import require_app_frame

require_app_frame()
exercises_page()
