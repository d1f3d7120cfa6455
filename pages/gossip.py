"""Gossip and anti-entropy: how fast push, pull and push-pull gossip spread an update (measured
against log N, with the theory beside it), and Merkle-tree repair (Demers et al. 1987; Merkle 1987;
DeCandia et al. 2007).

Thin page: everything is in ``ui.gossip_view`` over ``protocols.gossip``,
``protocols.merkle_anti_entropy`` and ``viz.gossip``.
"""

from __future__ import annotations

from ui.frame import require_app_frame
from ui.gossip_view import gossip_page

require_app_frame()
gossip_page()
