"""CRDTs: replicas of a conflict-free replicated data type converging without coordination, and the
merge laws that make them converge (Shapiro et al. 2011).

Thin page: everything is in ``ui.crdt_view`` over ``protocols.crdt_*`` and ``viz.convergence``.
"""

from __future__ import annotations

from ui.crdt_view import crdt_page
from ui.frame import require_app_frame

require_app_frame()
crdt_page()
