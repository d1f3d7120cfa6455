"""Packed JSON for links: canonical JSON, zlib-compressed, base64url without padding.

Theory of operation
-------------------
Share links (``ui.share``) and ad-hoc assignment links (``lessons.exercises.record``) carry a
JSON document in one URL-safe query parameter. ``pack`` writes it canonically (sorted keys, no
spaces, UTF-8), so the same document always gives the same link. ``unpack`` treats its input as
hostile: at most ``max_encoded`` characters of the base64url alphabet, at most ``max_decoded``
bytes once inflated (``zlib.decompressobj().decompress(data, max_length)``, so a compression bomb
stops at the limit instead of filling memory), JSON only — never pickle, never YAML — and a
too-deep nesting caught. Each failure is a ``PackError`` whose ``reason`` the caller turns into
its own translated message.

Pure: no Streamlit, no clock.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import zlib
from typing import Any

_ALPHABET = re.compile(r"[A-Za-z0-9_-]+")

# Why a link could not be unpacked (``PackError.reason``).
REASONS = ("empty", "too_long", "alphabet", "base64", "zlib", "too_big", "truncated", "json", "nested")


class PackError(ValueError):
    def __init__(self, reason: str):
        assert reason in REASONS
        super().__init__(reason)
        self.reason = reason


def pack(doc: Any) -> str:
    payload = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(zlib.compress(payload.encode("utf-8"), 9)).decode("ascii").rstrip("=")


def unpack(text: Any, *, max_encoded: int, max_decoded: int) -> Any:
    """The JSON document packed in ``text``; ``PackError`` on anything wrong (see the module doc)."""
    if not isinstance(text, str) or not text:
        raise PackError("empty")
    if len(text) > max_encoded:
        raise PackError("too_long")
    if not _ALPHABET.fullmatch(text):
        raise PackError("alphabet")
    try:
        packed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise PackError("base64") from None
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(packed, max_decoded)
    except zlib.error:
        raise PackError("zlib") from None
    if inflater.unconsumed_tail:
        raise PackError("too_big")
    if not inflater.eof:
        raise PackError("truncated")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise PackError("json") from None
    except RecursionError:
        raise PackError("nested") from None
