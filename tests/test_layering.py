"""House rules of ARCHITECTURE.md §2, enforced: the pure layers stay pure and imports point down.

protocols/, sim/, checkers/ and viz/ never import streamlit, threads, sockets, asyncio or the
wall clock, never call the global ``random`` functions (only ``random.Random`` instances the
simulator seeds) nor numpy's global RNG. Imports between our packages point downward:
app → pages → ui → lessons → viz → checkers → sim → protocols, except that protocols may use
the core types ``sim.types`` and ``sim.protocol`` (the contract they implement).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PURE = ("protocols", "sim", "checkers", "viz")
FORBIDDEN_MODULES = {"streamlit", "threading", "socket", "asyncio", "time", "multiprocessing", "concurrent",
                     "subprocess", "urllib", "http", "requests", "pickle", "datetime"}
RANK = {"protocols": 0, "sim": 1, "checkers": 2, "viz": 3, "lessons": 4, "ui": 5, "pages": 6}
# The CLIs are front ends living in sim/ and checkers/ only because `python -m sim|checkers` must work;
# they read titles from ui.i18n (and the checkers' CLI its --timeout deadline from ui.deadline).
# command-line entry points sit on top of everything: they may import upward (translations, and
# ``sim run --history`` turns a trace into a checkers history)
EXEMPT_UPWARD = {("sim/__main__.py", "ui"), ("sim/__main__.py", "checkers"), ("checkers/__main__.py", "ui")}
PROTOCOL_MAY_USE = {"sim.types", "sim.protocol"}


def pure_files():
    for pkg in PURE:
        yield from sorted((ROOT / pkg).rglob("*.py"))


def imported(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, node.lineno


@pytest.mark.parametrize("path", list(pure_files()), ids=lambda p: str(p.relative_to(ROOT)))
def test_pure_layers_stay_pure(path):
    rel = str(path.relative_to(ROOT))
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for module, line in imported(tree):
        top = module.split(".")[0]
        assert top not in FORBIDDEN_MODULES, f"{rel}:{line} imports {module}"
        if top in RANK:
            here = rel.split("/")[0]
            if (rel, top) in EXEMPT_UPWARD:
                continue
            if here == "protocols" and top == "sim":
                assert module in PROTOCOL_MAY_USE, f"{rel}:{line}: protocols may use only the core types"
                continue
            assert RANK[top] <= RANK[here] or (here == "sim" and top == "protocols"), \
                f"{rel}:{line}: {here}/ must not import {module} (imports point downward)"
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            base = node.func.value
            name = ast.unparse(base)
            if name == "random" and node.func.attr != "Random":
                pytest.fail(f"{rel}:{node.lineno}: global random.{node.func.attr}() — use the injected Random")
            if name in ("np.random", "numpy.random") and node.func.attr not in ("default_rng", "Generator", "PCG64"):
                pytest.fail(f"{rel}:{node.lineno}: numpy's global RNG np.random.{node.func.attr}()")


def test_the_layering_test_can_fail(tmp_path):
    """Guard against a vacuous test: the checker above really spots a violation."""
    bad = ast.parse("import time\nimport random\nrandom.shuffle([])\n")
    assert ("time", 1) in list(imported(bad))
    assert any(isinstance(n, ast.Call) and ast.unparse(n.func) == "random.shuffle" for n in ast.walk(bad))


def test_pages_are_registered_explicitly_and_thin():
    frame = (ROOT / "ui" / "frame.py").read_text(encoding="utf-8")
    assert "st.navigation" in frame and "st.Page" in frame
    from ui.frame import PAGES

    files = sorted(p.stem for p in (ROOT / "pages").glob("*.py"))
    assert files == sorted(stem for stem, _key, _icon in PAGES)  # each file is served at /<stem>: ui/frame.py
    for stem in files:
        assert "require_app_frame()" in (ROOT / "pages" / f"{stem}.py").read_text(encoding="utf-8"), stem
    for page in sorted((ROOT / "pages").glob("*.py")):
        lines = page.read_text(encoding="utf-8").count("\n")
        assert lines <= 150, f"{page.name} has {lines} lines: move logic into ui/ or a pure module"
