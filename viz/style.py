"""Colours and marker symbols shared by every view (and by the client-side trace player).

Theory of operation
-------------------
One place decides what a crash, a dropped message or a coordinator looks like, so the
message-sequence diagram, the topology, the tables and the JavaScript player agree. The
colours are the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"), which
stays distinguishable under the common colour-vision deficiencies; where two things share
a colour they also differ in marker symbol or dash, so colour is never the only cue.

``palette()`` returns a flat, JSON-serialisable ``{name: css colour}`` dict; the player
(``viz/player_data.py``) reads the keys it knows and ignores the rest. ``SYMBOLS`` maps
event kinds to plotly marker symbols; ``DASH`` maps message statuses to line dashes.
Everything here is constant data: no Streamlit, no state.
"""

from __future__ import annotations

# Okabe–Ito: colour-blind-safe categorical colours.
OI_BLACK = "#000000"
OI_ORANGE = "#E69F00"
OI_SKY = "#56B4E9"
OI_GREEN = "#009E73"
OI_YELLOW = "#F0E442"
OI_BLUE = "#0072B2"
OI_VERMILLION = "#D55E00"
OI_PURPLE = "#CC79A7"
GREY = "#8A94A6"
LIGHT_GREY = "#D0D4DB"
# A darker yellow: pure Okabe–Ito yellow is unreadable as a marker on white.
OCHRE = "#B59B00"

_PALETTE: dict[str, str] = {
    # lanes and canvas
    "lane": GREY,
    "lane_down": LIGHT_GREY,
    "grid": "#E9ECF1",
    "text": "#2B2F36",
    # message statuses / event kinds
    "start": GREY,
    "send": OI_BLUE,
    "deliver": OI_BLUE,
    "delivered": OI_BLUE,
    "drop": OI_VERMILLION,
    "dropped": OI_VERMILLION,
    "duplicate": OI_PURPLE,
    "delay": OI_ORANGE,
    "inflight": OI_ORANGE,
    "timer": OI_SKY,
    "crash": OI_VERMILLION,
    "restart": OI_GREEN,
    "partition": "rgba(213,94,0,0.10)",
    "partition_edge": OI_VERMILLION,
    "heal": OI_GREEN,
    "skew": OCHRE,
    "invoke": OI_BLACK,
    "return": OI_BLACK,
    "note": GREY,
    "violation": OI_VERMILLION,
    "end": GREY,
    # stepping
    "cursor": OI_ORANGE,
    "current": "rgba(230,159,0,0.16)",
    "current_ring": OI_ORANGE,
    "highlight": "rgba(240,228,66,0.85)",
    "future": LIGHT_GREY,
    # badges
    "ok": OI_GREEN,
    "bad": OI_VERMILLION,
    "changed_cell": "rgba(230,159,0,0.30)",
    # causality (Logical Clocks page)
    "causal_past": OI_BLUE,
    "causal_future": OI_ORANGE,
    "causal_concurrent": OI_GREEN,
    "causal_self": OI_BLACK,
    "causal_none": LIGHT_GREY,
    # topology
    "link": LIGHT_GREY,
    "link_busy": OI_BLUE,
    "link_cut": OI_VERMILLION,
    "node_down": LIGHT_GREY,
    # overview strip
    "overview_bar": GREY,
}

# Roles as protocols name them (Node.ROLE); unknown roles get a stable colour from ROLE_CYCLE.
ROLE_COLOURS: dict[str, str] = {
    "coordinator": OI_ORANGE,
    "tm": OI_ORANGE,
    "participant": OI_SKY,
    "rm": OI_SKY,
    "peer": OI_BLUE,
    "process": OI_GREEN,
    "leader": OI_ORANGE,
    "follower": OI_SKY,
    "candidate": OI_PURPLE,
    "client": OI_BLACK,
    "node": OI_BLUE,
}
ROLE_CYCLE = (OI_BLUE, OI_SKY, OI_GREEN, OI_ORANGE, OI_PURPLE, OCHRE)

# plotly marker symbols per event kind (point events on the diagram).
SYMBOLS: dict[str, str] = {
    "start": "circle-open",
    "send": "circle",
    "deliver": "circle",
    "duplicate": "diamond-open",
    "drop": "x",
    "delay": "hourglass",
    "timer": "hourglass",
    "crash": "square-x",
    "restart": "triangle-up",
    "partition": "line-ns",
    "heal": "line-ns",
    "skew": "bowtie",
    "invoke": "triangle-right",
    "return": "triangle-left-open",
    "note": "square-open",
    "violation": "star",
    "end": "line-ns",
}
MARKER_SIZES: dict[str, int] = {
    "send": 5, "deliver": 5, "start": 7, "duplicate": 8, "crash": 13, "restart": 12, "timer": 10,
    "invoke": 11, "return": 11, "note": 8, "violation": 15, "skew": 10, "delay": 10, "drop": 11,
}

# line dashes per message status
DASH = {"delivered": "solid", "duplicate": "dot", "dropped": "solid", "inflight": "dash"}


def palette() -> dict[str, str]:
    """Flat ``{name: css colour}`` (a fresh copy: callers may serialise or modify it)."""
    out = dict(_PALETTE)
    out.update({f"role.{r}": c for r, c in ROLE_COLOURS.items()})
    return out


def colour(name: str) -> str:
    return _PALETTE[name]


def role_colour(role: str) -> str:
    """A role's colour; unknown roles get a deterministic one (no salted ``hash()``)."""
    if role in ROLE_COLOURS:
        return ROLE_COLOURS[role]
    return ROLE_CYCLE[sum(map(ord, role)) % len(ROLE_CYCLE)]


def symbol(kind: str) -> str:
    return SYMBOLS.get(kind, "circle")
