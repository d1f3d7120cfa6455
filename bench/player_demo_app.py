"""Dev page for the client-side trace player (``ui/trace_player.py``); used by its browser test.

Run: ``.venv/bin/python -m streamlit run bench/player_demo_app.py`` and open
``?steps=500`` (a ping run of that many steps, ~2 events per step), ``&manual=1`` for manual
delivery mode (clicking a pending item appends the choice and reruns), ``&lang=zh``;
``?preset=<id>`` runs a lesson preset instead (e.g. ``two-phase-commit-coordinator-crash``, with its
captions), ``&participants=N`` overrides that parameter of a 2PC preset, ``&cursor=K`` starts at step K,
``&marks=1`` marks the client operations of a linearizability violation of the history up to the cursor
(as the Protocol Lab does: ``history_from_trace`` + ``checkers.check`` + the witness core and culprit),
recomputed when the reported cursor changes; a "marks" checkbox turns them off and on (a rerun).
The page writes what Python received (``cursor=…``, ``chosen=…``, ``selected=…``, and the marks sent,
``marks=invoke:return:role,…``) so tests can check the round trip.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import streamlit as st  # noqa: E402

from sim.engine import run  # noqa: E402
from sim.scenario import parse_scenario  # noqa: E402
from lessons.presets import load_preset  # noqa: E402
from ui.trace_player import trace_player  # noqa: E402
from ui.i18n import translator  # noqa: E402

st.set_page_config(page_title="trace player demo", page_icon="🧪", layout="wide")
qp = st.query_params
steps = max(2, min(20_000, int(qp.get("steps", "200")) if qp.get("steps", "200").isdigit() else 200))
manual = qp.get("manual") == "1"
lang = "zh" if qp.get("lang") == "zh" else "en"
preset = qp.get("preset") or None
participants = qp.get("participants", "")
start = qp.get("cursor", "")
want_marks = qp.get("marks") == "1"


@st.cache_data(max_entries=8, show_spinner=False)
def _trace(steps: int, choices: tuple[str, ...], manual: bool):
    delivery = {"mode": "manual", "choices": list(choices)} if manual else {"mode": "random"}
    return run(parse_scenario({"protocol": "ping", "seed": 1, "params": {"nodes": 3 if manual else 5},
                               "delivery": delivery, "limits": {"max_steps": steps}}))


@st.cache_data(max_entries=8, show_spinner=False)
def _preset_trace(preset_id: str, participants: str):
    sc = load_preset(preset_id)
    if participants.isdigit():
        sc = sc.replace(params={**sc.params, "participants": int(participants)})
    return run(sc)


@st.cache_data(max_entries=64, show_spinner=False)
def _marks(preset_id: str, participants: str, cursor: int, lang: str):
    """The anomaly marks at ``cursor``, built the way the Lab builds them (ui.lab_verdicts.anomaly_marks)."""
    import checkers
    from checkers.from_trace import history_from_trace
    from ui.explorer_witness import highlight_ids, model_name_key

    trace = _preset_trace(preset_id, participants)
    if not any(e.kind == "invoke" for e in trace.events if e.step <= cursor):
        return None
    history, events = history_from_trace(trace, upto_step=cursor)
    verdict = checkers.check(history, "linearizable")
    ids = highlight_ids(verdict)
    if not ids:
        return None
    culprit = (verdict.witness or {}).get("culprit")
    ops = [[events[i][0], events[i][1], "culprit" if i == culprit else "core"] for i in ids if i in events]
    t = translator(lang)
    return {"ops": ops, "text": t("lab.verdicts.marked", model=t(model_name_key("linearizable")), n=len(ops))}


choices = st.session_state.setdefault("demo.choices", [])
trace = _preset_trace(preset, participants) if preset else _trace(steps, tuple(choices), manual)
first = int(start) if start.isdigit() else (trace.n_steps - 1 if manual else 0)
cursor = st.session_state.get("demo.cursor", first)
show_marks = bool(preset) and want_marks and st.checkbox("marks", value=True, key="demo.marks")
state = st.session_state.get("demo_player")  # the cursor the browser reported in this rerun, if any
reported = state.get("cursor") if hasattr(state, "get") else None
mark_at = reported if isinstance(reported, int) else int(cursor)
marks = _marks(preset, participants, max(0, min(trace.n_steps - 1, mark_at)), lang) if show_marks else None
res = trace_player(trace, lang=lang, cursor=cursor, manual=manual, key="demo_player", marks=marks)
if res.cursor is not None:
    st.session_state["demo.cursor"] = res.cursor
if res.choose:
    choices.append(res.choose)
    st.session_state.pop("demo.cursor", None)
    st.rerun()
st.write(f"events={len(trace.events)} steps={trace.n_steps} cursor={res.cursor} "
         f"chosen={','.join(choices) or '-'} selected={res.select}")
if want_marks:
    sent = ",".join(f"{i}:{'' if r is None else r}:{role}" for i, r, role in marks["ops"]) if marks else "-"
    st.write(f"marks={sent}")
