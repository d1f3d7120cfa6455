"""Translation catalogs (English and 简体中文) and ``translate(lang, key, **args)``.

Theory of operation
-------------------
Catalogs are YAML files under ``ui/i18n/<lang>/<area>.yaml``, one per area of the app
(``core``, ``lab``, ``clocks``, ``protocols``, ``errors``, ``viz`` ...), so that people
working on different areas never edit the same file. Nested mappings flatten to dotted
keys (``lab.step.forward``). Both languages must define exactly the same keys; a test
enforces it. This module is pure (no Streamlit): ``viz/`` and the CLI may use it, and
``ui/lang.py`` binds it to the language chosen in the sidebar/URL.

A missing key renders as the key itself in brackets (visible, never a crash) and the
test suite fails on it.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Mapping

import yaml

LANGS = ("en", "zh")
LANG_NAMES = {"en": "English", "zh": "简体中文"}
_DIR = Path(__file__).parent


def _flatten(prefix: str, node: Any, out: dict[str, str], origin: str) -> None:
    if isinstance(node, Mapping):
        for k, v in node.items():
            _flatten(f"{prefix}.{k}" if prefix else str(k), v, out, origin)
    else:
        if prefix in out:
            raise ValueError(f"duplicate translation key {prefix!r} in {origin}")
        out[prefix] = str(node)


@functools.cache
def catalog(lang: str) -> Mapping[str, str]:
    """All keys of one language, flattened. Raises on a duplicate key across files."""
    out: dict[str, str] = {}
    for path in sorted((_DIR / lang).glob("*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        _flatten("", data, out, str(path))
    return out


def has(lang: str, key: str) -> bool:
    return key in catalog(lang)


def translate(lang: str, key: str, /, **args: Any) -> str:
    text = catalog(lang if lang in LANGS else "en").get(key)
    if text is None:
        return f"[{key}]"
    if args:
        try:
            return text.format(**args)
        except (KeyError, IndexError, ValueError):
            return text
    return text


def translator(lang: str):
    """``t(key, **args)`` bound to ``lang`` (for pure code that needs labels, e.g. ``viz``)."""
    return functools.partial(translate, lang)
