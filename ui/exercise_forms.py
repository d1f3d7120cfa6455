"""The Exercises page's pieces: texts, the four answer forms, the run shown with a question, feedback.

Theory of operation
-------------------
``render_text`` is the one renderer of a question's texts: a ``checkers.verdict.Message``
(catalog key + args), a bilingual ``{en, zh}`` mapping, a ``{"key", "args"}`` dict (a Message
as JSON) or a list of those; arguments may themselves be any of these, to any (bounded) depth.

``answer_form(question, ...)`` draws the widget its ``form`` asks for and returns the raw
answer (JSON-able, what ``core.grade`` takes), or ``None`` while nothing is chosen:

* ``choice``   — the run of ``data["scenario"]`` cut at ``data["cursor"]`` (so stepping
  cannot reveal what comes next), then a radio over the choices;
* ``models``   — the history ``data["notation"]`` as the Model Explorer's timeline, one
  checkbox per model;
* ``quorum``   — number inputs N, R, W within ``data["n_range"]`` (+ a sync toggle);
* ``schedule`` — the fault-free run, then a table editor of faults (type/at/node/groups),
  whose starting rows live in session state under ``<qk>.rows`` (a list of fault dicts).

Widget keys are ``<qk>.<field>`` with ``qk = "exercises.q.<id>.<seed>"``, so each question
keeps its own inputs. ``show_feedback`` draws right/wrong, the explanation and the witness:
a ``step`` (with the question's or the witness's scenario) becomes a link opening that run
in the Protocol Lab at that step (``ui.share``); anything else is shown as JSON.
"""

from __future__ import annotations

import json
import math
from typing import Any, Mapping

import streamlit as st

from checkers.verdict import Message
from lessons.exercises import core
from sim.scenario import ScenarioError, parse_scenario
from ui import share
from ui.frame import page_file
from ui.i18n import has, translate
from ui.lang import md_escape

_MAX_DEPTH = 6


def render_text(text: Any, lang: str, _depth: int = 0) -> str:
    """Any exercise text (Message, bilingual dict, Message-as-dict, list, plain value) in ``lang``."""
    if _depth > _MAX_DEPTH:
        return "…"
    if isinstance(text, Message):
        args = {k: render_text(v, lang, _depth + 1) for k, v in dict(text.args).items()}
        return translate(lang, text.key, **args)
    if isinstance(text, Mapping):
        if isinstance(text.get(lang), str) and all(isinstance(text.get(x), str) for x in core.LANGS):
            return text[lang]
        if isinstance(text.get("key"), str) and set(text) <= {"key", "args"}:
            return render_text(Message(text["key"], dict(text.get("args") or {})), lang, _depth)
        return json.dumps(plain(text, lang), ensure_ascii=False)
    if isinstance(text, (list, tuple)):
        return ", ".join(render_text(v, lang, _depth + 1) for v in text)
    return "" if text is None else str(text)


def plain(value: Any, lang: str, _depth: int = 0) -> Any:
    """``value`` as JSON-able data, with every Message / bilingual text rendered in ``lang``."""
    if _depth > 20:
        return "…"
    if isinstance(value, Message):
        return render_text(value, lang)
    if isinstance(value, Mapping):
        if all(isinstance(value.get(x), str) for x in core.LANGS) and set(value) <= set(core.LANGS):
            return value[lang]
        return {str(k): plain(v, lang, _depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [plain(v, lang, _depth + 1) for v in value]
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


# ------------------------------------------------------------------------------------ runs
def _scenario(raw: Any):
    try:
        return parse_scenario(dict(raw)) if isinstance(raw, Mapping) else None
    except (ScenarioError, TypeError, ValueError):
        return None


def show_run(raw_scenario: Any, cursor: int | None, lang: str, key: str, *, cut: bool) -> None:
    """The run of a question's scenario in the trace player, at ``cursor``; ``cut``: stop the run
    there, so the learner cannot step ahead to the answer."""
    from ui.runner import run_json
    from ui.trace_player import trace_player

    sc = _scenario(raw_scenario)
    if sc is None:
        return
    if cut and cursor is not None:
        sc = sc.replace(max_steps=max(1, int(cursor) + 1))
    trace = run_json(sc.to_json())
    trace_player(trace, lang=lang, cursor=cursor, manual=False, key=key)


def lab_link(raw_scenario: Any, step: int, lang: str, t) -> None:
    sc = _scenario(raw_scenario)
    if sc is None or isinstance(step, bool) or not isinstance(step, int) or step < 0:
        return
    st.page_link(page_file("lab"), label=t("exercises.feedback.open_lab", step=step), icon=":material/science:",
                 query_params={"lang": lang, "p": share.encode(sc, step)})


# ----------------------------------------------------------------------------------- forms
def answer_form(q: core.Question, lang: str, t, qk: str) -> Any:
    form = {"choice": _choice, "models": _models, "quorum": _quorum, "schedule": _schedule}.get(q.form)
    if form is None:
        st.error(t("exercises.unknown_form", form=str(q.form)[:40]))
        return None
    return form(q, lang, t, qk)


def _choice(q: core.Question, lang: str, t, qk: str) -> Any:
    data = q.data
    if data.get("scenario") and data.get("show", "diagram") != "none":
        show_run(data["scenario"], data.get("cursor"), lang, key=qk + ".player", cut=True)
    labels = {c.value: render_text(c.label, lang) for c in q.choices}
    return st.radio(t("exercises.form.choice"), list(labels), index=None, key=qk + ".choice",
                    format_func=lambda v: labels.get(v, str(v)))


def model_name(model: str, lang: str) -> str:
    key = f"model.name.{model}"
    return translate(lang, key) if has(lang, key) else str(model)


def _models(q: core.Question, lang: str, t, qk: str) -> Any:
    from checkers.history import HistoryError
    from checkers.notation import parse_notation
    from viz.history_timeline import timeline_figure

    notation = str(q.data.get("notation", ""))
    try:
        history = parse_notation(notation)
    except (HistoryError, ValueError):
        history = None
    st.code(notation, language=None)
    if history is not None:
        st.plotly_chart(timeline_figure(history, None, lambda key, **a: translate(lang, key, **a)),
                        key=qk + ".timeline", config={"displayModeBar": False})
    st.markdown(f"**{t('exercises.form.models')}**")
    cols = st.columns(3)
    picked = []
    for i, model in enumerate(q.data.get("models", ())):
        if cols[i % 3].checkbox(model_name(model, lang), key=f"{qk}.m.{model}"):
            picked.append(model)
    return picked


def _quorum(q: core.Question, lang: str, t, qk: str) -> Any:
    lo, hi = (list(q.data.get("n_range") or (1, 9)) + [9])[:2]
    lo, hi = int(lo), int(hi)
    c1, c2, c3 = st.columns(3)
    n = c1.number_input(t("exercises.form.n"), min_value=lo, max_value=hi, value=lo, step=1, key=qk + ".n")
    r = c2.number_input(t("exercises.form.r"), min_value=1, max_value=hi, value=1, step=1, key=qk + ".r")
    w = c3.number_input(t("exercises.form.w"), min_value=1, max_value=hi, value=1, step=1, key=qk + ".w")
    answer: dict[str, Any] = {"n": int(n), "r": int(r), "w": int(w)}
    if q.data.get("allow_sync"):
        answer["sync"] = bool(st.toggle(t("exercises.form.sync"), key=qk + ".sync"))
    return answer


COLUMNS = ("type", "at", "node", "msg", "by", "groups", "links")
# which columns a fault type uses (docs/formats.md); a column is shown when an allowed type uses it
USES = {"crash": ("node",), "restart": ("node",), "skew": ("node", "by"), "partition": ("groups", "links"),
        "heal": (), "drop": ("msg",), "duplicate": ("msg",), "delay": ("msg", "by")}


def groups_text(groups: Any) -> str:
    """``[["n1", "n2"], ["n3"]]`` → ``"n1 n2 | n3"`` (the table's cell)."""
    if not isinstance(groups, list):
        return ""
    return " | ".join(" ".join(str(n) for n in g) for g in groups if isinstance(g, list))


def parse_groups(text: Any) -> list[list[str]]:
    """``"n1 n2 | n3"`` (commas also separate nodes) → ``[["n1", "n2"], ["n3"]]``."""
    if not isinstance(text, str):
        return []
    return [g for g in ([n for n in part.replace(",", " ").split() if n] for part in text.split("|")[:16]) if g]


def links_text(links: Any) -> str:
    """``[["s1", "s2"], ["s1", "s3"]]`` → ``"s1>s2 s1>s3"`` (one-way: messages s1 → s2 are dropped)."""
    if not isinstance(links, list):
        return ""
    return " ".join(">".join(str(n) for n in pair) for pair in links if isinstance(pair, list))


def parse_links(text: Any) -> list[list[str]]:
    if not isinstance(text, str):
        return []
    pairs = [tok.split(">") for tok in text.replace(",", " ").split()[:64]]
    return [[a.strip(), b.strip()] for a, b in (p for p in pairs if len(p) == 2) if a.strip() and b.strip()]


def faults_to_rows(faults: Any) -> list[dict[str, Any]]:
    """Fault dicts (docs/formats.md) → the editor's rows."""
    rows = []
    for f in faults if isinstance(faults, list) else ():
        if isinstance(f, Mapping):
            rows.append({"type": f.get("type"), "at": f.get("at"), "node": f.get("node"), "msg": f.get("msg"),
                         "by": f.get("by"), "groups": groups_text(f.get("groups")), "links": links_text(f.get("links"))})
    return rows


def _number(v: Any) -> int | None:
    if isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(v) and not math.isinf(v):
        return int(v)
    return None


def rows_to_faults(rows: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The editor's rows as fault dicts (docs/formats.md); rows without a type are skipped.
    The grader validates the rest (unknown node, missing field: a translated ``AnswerError``)."""
    faults = []
    for row in rows:
        kind = row.get("type")
        if not isinstance(kind, str) or not kind:
            continue
        fault: dict[str, Any] = {"type": kind}
        for name in ("node", "msg"):
            if isinstance(row.get(name), str) and row[name].strip():
                fault[name] = row[name].strip()
        if _number(row.get("by")) is not None:
            fault["by"] = _number(row["by"])
        if parse_groups(row.get("groups")):
            fault["groups"] = parse_groups(row.get("groups"))
        if parse_links(row.get("links")):
            fault["links"] = parse_links(row.get("links"))
        if _number(row.get("at")) is not None:
            fault["at"] = _number(row["at"])
        faults.append(fault)
    return faults


def _schedule(q: core.Question, lang: str, t, qk: str) -> Any:
    import pandas as pd

    data = q.data
    types = [str(x) for x in data.get("fault_types") or ()]
    if data.get("scenario"):
        st.caption(t("exercises.form.fault_free_run"))
        show_run(data["scenario"], 0, lang, key=qk + ".player", cut=False)
    shown = ["type", "at"] + [c for c in COLUMNS[2:] if any(c in USES.get(ty, (c,)) for ty in types)]
    frame = pd.DataFrame(faults_to_rows(st.session_state.get(qk + ".rows") or []), columns=list(COLUMNS))[shown]
    frame = frame.astype({c: ("Float64" if c in ("at", "by") else "object") for c in shown})
    st.markdown(t("exercises.form.schedule", n=data.get("max_faults", "?"), t_max=data.get("t_max", "?")))
    config = {
        "type": st.column_config.SelectboxColumn(t("exercises.form.col_type"), options=types),
        "at": st.column_config.NumberColumn(t("exercises.form.col_at"), min_value=0,
                                            max_value=int(data.get("t_max") or 10**6), step=1),
        "node": st.column_config.SelectboxColumn(t("exercises.form.col_node"), options=list(data.get("nodes") or ())),
        "msg": st.column_config.TextColumn(t("exercises.form.col_msg"), help=t("exercises.form.msg_help"),
                                           max_chars=12),
        "by": st.column_config.NumberColumn(t("exercises.form.col_by"), step=1, help=t("exercises.form.by_help")),
        "groups": st.column_config.TextColumn(t("exercises.form.col_groups"), help=t("exercises.form.groups_help"),
                                              max_chars=200),
        "links": st.column_config.TextColumn(t("exercises.form.col_links"), help=t("exercises.form.links_help"),
                                             max_chars=200),
    }
    edited = st.data_editor(frame, num_rows="dynamic", key=qk + ".editor", width="stretch", hide_index=True,
                            column_config={c: config[c] for c in shown})
    rows = [{k: (None if _missing(v) else v) for k, v in row.items()} for row in edited.to_dict("records")]
    return rows_to_faults(rows[:64])


def _missing(v: Any) -> bool:
    try:
        import pandas as pd

        return bool(pd.isna(v)) if not isinstance(v, (list, dict)) else False
    except (TypeError, ValueError):
        return False


# -------------------------------------------------------------------------------- feedback
def error_text(key: str, args: Mapping[str, Any], english: str, lang: str, *, markdown: bool = True) -> str:
    """A translated error (``key`` + ``args``), or the English text when the key is not in the catalog.
    ``markdown``: the arguments (which may quote the learner's input) are made inert for Markdown."""
    esc = (lambda v: md_escape(v, 200)) if markdown else (lambda v: v)
    if key and has(lang, key):
        return translate(lang, key, **{k: esc(render_text(v, lang)) for k, v in args.items()})
    return translate(lang, "exercises.feedback.malformed", reason=esc(str(english)[:300]))


def answer_error_text(err: Any, lang: str, *, markdown: bool = True) -> str:
    """An ``AnswerError`` / ``RecordError`` (anything with ``key``/``args_``) in ``lang``."""
    return error_text(getattr(err, "key", ""), getattr(err, "args_", None) or {}, str(err), lang, markdown=markdown)


def show_feedback(q: core.Question, fb: core.Feedback, lang: str, t) -> None:
    (st.success if fb.correct else st.error)(t("exercises.feedback.right" if fb.correct else "exercises.feedback.wrong"))
    for line in fb.explanation:
        st.markdown(render_text(line, lang))
    witness = dict(fb.witness or {})
    step = witness.get("step")
    if isinstance(step, int) and not isinstance(step, bool):
        lab_link(witness.get("scenario") or q.data.get("scenario"), step, lang, t)
    rest = {k: v for k, v in witness.items() if k not in ("step", "scenario")}
    if rest:
        st.markdown(f"**{t('exercises.feedback.witness')}**")
        st.json(plain(rest, lang), expanded=False)
