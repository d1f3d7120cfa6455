"""What the Model Explorer says about one verdict, as pure functions: its badge and its witness
in readable form (translatable lines, no Streamlit).

Theory of operation
-------------------
A ``Verdict``'s witness refers to op ids (vocabulary in ``checkers/__init__.py``). A learner
reads ops by their textbook labels, so every op is shown as ``P1:W(x)1`` (process, then
``Op.label()``), and each witness part becomes one ``(catalog key, args)`` line:

* ``order``  → "order: P1:W(x)1 → P2:R(x)1 → …" (the linearization / sequential order);
* ``views``  → one line per process: "view of P3: …";
* ``culprit``, ``core``, ``cycle``, ``process`` → the op that could not be placed, the smallest
  failing subset, the cycle, the process whose view cannot be built.

Long witnesses are cut at ``MAX_SHOWN`` ops with "… and N more" (a 50,000-op order is not
something to read). A part the checker's explanation already lists (the view checkers name
each process's view and the smallest counterexample in their own lines) is not repeated:
a witness line is left out when every op it shows appears in one argument of one
explanation message. User-supplied text (process names, values) goes into the args verbatim;
the caller makes it inert for Markdown (``ui.lang.md_escape``).
"""

from __future__ import annotations

import re
from typing import Any, Mapping

from checkers.history import History
from checkers.verdict import Verdict
from ui.i18n import has

MAX_SHOWN = 40
BADGES = ("holds", "violated", "unknown", "not-applicable")
# badge -> (Streamlit colour, symbol): colour is never the only carrier of the verdict
BADGE_STYLE = {"holds": ("green", "✓"), "violated": ("red", "✗"), "unknown": ("orange", "?"),
               "not-applicable": ("gray", "–")}


def model_name_key(model: str) -> str:
    """The catalog key of a model's name (``model.name.<id>`` in ``models.yaml``; the older
    ``model.<id>.name`` spelling is accepted too, so neither catalog layout breaks the page)."""
    for key in (f"model.name.{model}", f"model.{model}.name"):
        if has("en", key):
            return key
    return f"model.name.{model}"


def badge(verdict: Verdict | None) -> str:
    """``holds`` / ``violated`` / ``unknown`` / ``not-applicable`` for one model's verdict."""
    if verdict is None:
        return "unknown"
    if not verdict.applicable:
        return "not-applicable"
    return {"ok": "holds", "illegal": "violated"}.get(verdict.result, "unknown")


def op_text(history: History, op_id: Any) -> str:
    """``P1:W(x)1`` for an op id of ``history`` (the id itself if the history has no such op)."""
    try:
        o = history.op(int(op_id))
    except (KeyError, TypeError, ValueError):
        return f"#{op_id}"
    return f"{o.process}:{o.label()}"


def witness_lines(history: History, verdict: Verdict | None) -> list[tuple[str, dict[str, Any]]]:
    """The witness of ``verdict`` as ``(explorer.witness.* key, args)`` lines — minus the parts
    the checker's own explanation already spells out (the view checkers list each process's
    view and the smallest counterexample themselves; the page should not say it twice)."""
    if verdict is None or verdict.result == "unknown":
        return []
    said = _tokens_said(verdict)
    lines: list[tuple[str, dict[str, Any]]] = []
    for key, args, ops, more in _all_lines(history, verdict):
        if ops and any(set(ops) <= tokens for tokens in said):
            continue
        if not ops and any(str(args.get("process")) in tokens for tokens in said):
            continue
        lines.append((key, args))
        if more:
            lines.append(("explorer.witness.more", {"n": more}))
    return lines


_SEPARATORS = re.compile(r"[\s,;→]+")


def _tokens_said(verdict: Verdict) -> list[set[str]]:
    """For each string argument of the explanation, the words it contains (op texts, names)."""
    return [set(_SEPARATORS.split(v)) for m in verdict.explanation for v in m.args.values() if isinstance(v, str)]


def _all_lines(history: History, verdict: Verdict) -> list[tuple[str, dict[str, Any], tuple[str, ...], int]]:
    """Every witness line: (key, args, the op texts it shows, how many ops were left out)."""
    w: Mapping[str, Any] = verdict.witness or {}
    out: list[tuple[str, dict[str, Any], tuple[str, ...], int]] = []

    def add(key: str, ids: Any, sep: str = " → ", **extra: Any) -> None:
        seq = list(ids) if isinstance(ids, (list, tuple)) else []
        shown = tuple(op_text(history, i) for i in seq[:MAX_SHOWN])
        if shown:
            out.append((key, {"ops": sep.join(shown), **extra}, shown, max(0, len(seq) - MAX_SHOWN)))

    if verdict.result == "ok":
        add("explorer.witness.order", w.get("order"))
        views = w.get("views")
        if isinstance(views, Mapping):
            for process, ids in views.items():
                add("explorer.witness.view", ids, process=str(process))
        return out
    if w.get("culprit") is not None:
        op = op_text(history, w["culprit"])
        out.append(("explorer.witness.culprit", {"op": op}, (op,), 0))
    if w.get("process") is not None:
        out.append(("explorer.witness.process", {"process": str(w["process"])}, (), 0))
    add("explorer.witness.cycle", w.get("cycle"))
    add("explorer.witness.core", w.get("core"), sep=", ")
    return out


def highlight_ids(verdict: Verdict | None) -> tuple[int, ...]:
    """The ops to light up on the timeline for this verdict: the ones that show the violation."""
    if verdict is None or verdict.result != "illegal":
        return ()
    w = verdict.witness or {}
    for part in ("core", "cycle"):
        ids = w.get(part)
        if isinstance(ids, (list, tuple)) and ids:
            return tuple(int(i) for i in ids if isinstance(i, int) and not isinstance(i, bool))
    culprit = w.get("culprit")
    return (culprit,) if isinstance(culprit, int) and not isinstance(culprit, bool) else ()
