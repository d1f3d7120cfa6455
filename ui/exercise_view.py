"""The Exercises page: pick a topic and an exercise (or follow an assignment), answer, get graded.

Theory of operation
-------------------
Exercises are data (``lessons.exercises.core``); this module picks one, draws it
(``ui.exercise_forms``) and grades it with ``core.grade``. The **learner** is a name or student
number (``core.learner_seed_of``) or, left empty, an anonymous seed drawn once per session; each
learner's copy of an exercise is ``core.question_seed(id, learner_seed)``.

URL parameters (all treated as hostile; a bad value → a translated message, the page goes on):

* ``?exercise=<id>&seed=<n>`` — one exact question (the instructor's share link);
* ``?assignment=<id>`` — an assignment of ``lessons/assignments/<id>.yaml``;
* ``?assign=<code>`` — an instructor's ad-hoc assignment (``record.decode_assignment``).

Every submission is recorded in the learner's **progress record** (``lessons.exercises.record``),
kept in session state as its JSON text (``progress.record``, shared with the Progress page); the
last submission (``exercises.last``) is graded again through a small cache on reruns, so the
feedback stays on screen. Other state: ``exercises.name`` (the name, kept across pages),
``exercises.anon_seed``, ``exercises.adhoc`` (the ad-hoc assignment's code), widget keys under
``exercises.``.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import streamlit as st

from lessons.exercises import core
from lessons.exercises import record as rec
from ui import exercise_forms as forms
from ui.lang import bound_t, current_lang, md_escape

K = "exercises."
K_RECORD = "progress.record"
K_NAME, K_ANON, K_ADHOC, K_LAST = K + "name", K + "anon_seed", K + "adhoc", K + "last"


# -------------------------------------------------------------------------------- learner
def learner() -> tuple[str, int]:
    """(name, learner seed): the name's seed, or this session's anonymous one."""
    if K_ANON not in st.session_state:
        st.session_state[K_ANON] = secrets.randbelow(core.SEED_MAX + 1)
    name = str(st.session_state.get(K_NAME) or "")[:rec.MAX_LEARNER_CHARS]
    return (name, core.learner_seed_of(name)) if name.strip() else ("", int(st.session_state[K_ANON]))


def _on_name() -> None:
    st.session_state[K_NAME] = str(st.session_state.get(K + "name_input") or "")[:rec.MAX_LEARNER_CHARS]


def identity_box(t) -> tuple[str, int]:
    name, seed = learner()
    st.session_state[K + "name_input"] = name
    st.text_input(t("exercises.learner"), key=K + "name_input", on_change=_on_name, max_chars=rec.MAX_LEARNER_CHARS,
                  help=t("exercises.learner_help"))
    st.caption(t("exercises.learner_seed", seed=seed) if name else t("exercises.anonymous", seed=seed))
    return name, seed


def load_record() -> rec.Record:
    name, seed = learner()
    text = st.session_state.get(K_RECORD)
    if isinstance(text, str):
        try:
            return rec.parse(text)
        except rec.RecordError:
            pass
    return rec.new(name, seed)


def save_record(record: rec.Record) -> None:
    st.session_state[K_RECORD] = rec.to_json(record)


def adhoc_assignment() -> rec.Assignment | None:
    code = st.session_state.get(K_ADHOC)
    try:
        return rec.decode_assignment(code) if code else None
    except rec.RecordError:
        return None


# ------------------------------------------------------------------------------- URL picks
def _warn(t, err: Any) -> None:
    st.warning(forms.answer_error_text(err, current_lang()))


def assignment_from_url(t) -> rec.Assignment | None:
    a_id, code = st.query_params.get("assignment"), st.query_params.get("assign")
    try:
        if code is not None:
            found = rec.decode_assignment(code)
            st.session_state[K_ADHOC] = code
            return found
        if a_id is not None:
            return rec.get_assignment(a_id)
    except rec.RecordError as e:
        _warn(t, e)
    return None


def parse_seed(text: Any) -> int | None:
    if not isinstance(text, str) or not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    value = int(text)
    return value if value <= core.SEED_MAX else None


def _url_question(specs, t) -> tuple[str | None, int | None]:
    ex, seed_text = st.query_params.get("exercise"), st.query_params.get("seed")
    if ex is None:
        return None, None
    if ex not in specs:
        st.warning(t("exercises.unknown_exercise", exercise=md_escape(ex, 40)))
        return None, None
    seed = parse_seed(seed_text) if seed_text is not None else None
    if seed_text is not None and seed is None:
        st.warning(t("exercises.bad_seed", seed=md_escape(seed_text, 20), hi=core.SEED_MAX))
    return ex, seed


def _title(spec: core.ExerciseSpec, lang: str) -> str:
    return spec.title.get(lang) or spec.id


def topic_title(topic: str, lang: str, t) -> str:
    from lessons.registry import LessonError, load_lesson

    try:
        return load_lesson(topic).title[lang]
    except (LessonError, KeyError, OSError, ValueError):
        return t(f"exercises.topic.{topic}")


def pick_exercise(specs, lseed: int, t, lang: str) -> tuple[str, int, bool]:
    """(exercise id, seed, shared): from the pickers, or the URL's exact question."""
    url_ex, url_seed = _url_question(specs, t)
    if url_ex is not None and st.session_state.get(K + "url_applied") != (url_ex, url_seed):
        st.session_state[K + "url_applied"] = (url_ex, url_seed)
        st.session_state[K + "topic"] = specs[url_ex].topic
        st.session_state[K + "pick"] = url_ex
    topics = [tp for tp in core.TOPICS if any(s.topic == tp for s in specs.values())]
    if st.session_state.get(K + "topic") not in topics:
        st.session_state[K + "topic"] = topics[0]
    c1, c2 = st.columns(2)
    topic = c1.selectbox(t("exercises.topic_pick"), topics, key=K + "topic",
                         format_func=lambda tp: topic_title(tp, lang, t))
    ids = [s.id for s in specs.values() if s.topic == topic]
    if st.session_state.get(K + "pick") not in ids:
        st.session_state[K + "pick"] = ids[0]
    chosen = c2.selectbox(t("exercises.exercise_pick"), ids, key=K + "pick",
                          format_func=lambda i: _title(specs[i], lang))
    shared = url_ex == chosen and url_seed is not None
    if st.query_params.get("exercise") != chosen:
        st.query_params["exercise"] = chosen
        if "seed" in st.query_params:
            del st.query_params["seed"]
    return chosen, (url_seed if shared else core.question_seed(chosen, lseed)), shared


def pick_in_assignment(assignment: rec.Assignment, lseed: int, t, lang: str) -> tuple[str, int] | None:
    specs = core.load_exercises()
    st.subheader(t("exercises.assignment.title", title=md_escape(assignment.title.get(lang, assignment.id), 200)))
    items = rec.questions_for(assignment, lseed)
    done = {(a.exercise, a.seed) for a in load_record().answers}
    n_done = sum(item in done for item in items)
    st.caption(t("exercises.assignment.progress", done=n_done, total=len(items)))
    if st.session_state.get(K + "assign_pick", 0) not in range(len(items)):
        st.session_state[K + "assign_pick"] = 0

    def label(i: int) -> str:
        ex, seed = items[i]
        title = _title(specs[ex], lang) if ex in specs else ex
        return f"{'✓' if items[i] in done else '○'} {i + 1}. {title}"

    i = st.selectbox(t("exercises.assignment.pick"), range(len(items)), key=K + "assign_pick", format_func=label)
    return items[i]


# -------------------------------------------------------------------------------- grading
@st.cache_data(max_entries=64, show_spinner=False)
def graded(exercise_id: str, seed: int, blob: str) -> core.Feedback:
    """Feedback for one (question, answer as JSON); raises ``AnswerError`` for a malformed answer."""
    return core.grade(core.make_question(exercise_id, seed), json.loads(blob))


def answer_json(raw: Any) -> str:
    return json.dumps(raw, sort_keys=True, ensure_ascii=False)


def _submit(q: core.Question, raw: Any, qk: str, assignment: rec.Assignment | None) -> None:
    """Grade ``raw``, record it, and remember it as the last submission (feedback shown while the
    form still holds this answer)."""
    blob = answer_json(raw)
    last = {"qk": qk, "answer": blob}
    try:
        fb = graded(q.exercise_id, q.seed, blob)
    except core.AnswerError as e:
        st.session_state[K_LAST] = {**last, "error": forms.answer_error_text(e, current_lang())}
        return
    except Exception as e:  # noqa: BLE001 - an unexpected grading failure is shown, never a traceback
        st.session_state[K_LAST] = {**last, "error": forms.answer_error_text(
            rec.RecordError("exercises.err.grading_failed", str(e), reason=type(e).__name__), current_lang())}
        return
    name, lseed = learner()
    r = load_record()
    r = rec.with_identity(r, name, lseed, assignment.id if assignment is not None else r.assignment)
    try:
        save_record(rec.add(r, q.exercise_id, q.seed, raw, fb.correct))
    except rec.RecordError as e:
        st.session_state[K_LAST] = {**last, "error": forms.answer_error_text(e, current_lang())}
        return
    st.session_state[K_LAST] = last


def _hints(q: core.Question, spec: core.ExerciseSpec, qk: str, t, lang: str) -> None:
    hints = [forms.render_text(h, lang) for h in q.hints] or list(spec.hints.get(lang, ()))
    if not hints:
        return
    shown = min(int(st.session_state.get(qk + ".hints", 0)), len(hints))
    for n, h in enumerate(hints[:shown]):
        st.info(t("exercises.hint", n=n + 1, hint=h))
    if st.button(t("exercises.show_hint", n=shown + 1, total=len(hints)) if shown < len(hints)
                 else t("exercises.no_more_hints"), key=qk + ".hint_btn", disabled=shown >= len(hints)):
        st.session_state[qk + ".hints"] = shown + 1
        st.rerun()


def show_question(exercise_id: str, seed: int, t, lang: str, assignment: rec.Assignment | None = None,
                  shared: bool = False) -> None:
    try:
        spec = core.get_exercise(exercise_id)
        q = core.make_question(exercise_id, seed)
    except Exception as e:  # noqa: BLE001 - a broken exercise is our bug: say so, keep the page alive
        st.error(t("exercises.broken", reason=md_escape(f"{type(e).__name__}: {e}", 300)))
        return
    qk = f"{K}q.{exercise_id}.{seed}"
    st.header(_title(spec, lang))
    if shared:
        st.caption(t("exercises.shared", seed=seed))
    for line in q.prompt:
        st.markdown(forms.render_text(line, lang))
    raw = forms.answer_form(q, lang, t, qk)
    _hints(q, spec, qk, t, lang)
    if st.button(t("exercises.submit"), key=qk + ".submit", type="primary"):
        if raw is None:
            st.session_state[K_LAST] = {"qk": qk, "answer": answer_json(None), "error": t("exercises.need_answer")}
        else:
            _submit(q, raw, qk, assignment)
        st.rerun()  # the record changed: redraw everything above (assignment progress) from it
    last = st.session_state.get(K_LAST) or {}
    if last.get("qk") == qk and last.get("answer") == answer_json(raw):  # not once the answer is changed
        if "error" in last:
            st.warning(last["error"])
        else:
            try:
                forms.show_feedback(q, graded(q.exercise_id, q.seed, last["answer"]), lang, t)
            except Exception as e:  # noqa: BLE001 - the same answer graded fine a moment ago
                st.warning(forms.answer_error_text(e, lang))
    with st.expander(t("exercises.share_title")):
        base = (getattr(st.context, "url", None) or "").split("?")[0]
        st.code(f"{base}?lang={lang}&exercise={exercise_id}&seed={seed}", language=None, wrap_lines=True)


# -------------------------------------------------------------------------------------- page
def exercises_page() -> None:
    t = bound_t()
    lang = current_lang()
    st.title(t("exercises.title"))
    try:
        specs = core.load_exercises()
    except core.ExerciseError as e:
        st.error(t("exercises.broken", reason=md_escape(str(e), 300)))
        return
    _name, lseed = identity_box(t)
    assignment = assignment_from_url(t)
    if not specs:
        st.info(t("exercises.none"))
        return
    if assignment is not None:
        picked = pick_in_assignment(assignment, lseed, t, lang)
        if picked is not None:
            show_question(picked[0], picked[1], t, lang, assignment)
        return
    exercise_id, seed, shared = pick_exercise(specs, lseed, t, lang)
    show_question(exercise_id, seed, t, lang, None, shared)
