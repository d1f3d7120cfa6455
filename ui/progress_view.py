"""The Progress page: what the learner answered, graded again, per topic and per answer; the
progress record's download and import; assignment completion; the instructor's link builder.

Theory of operation
-------------------
The record (``lessons.exercises.record``) is the JSON text in ``progress.record`` (written by the
Exercises page, ``ui.exercise_view``). Nothing it claims is shown as a result: every answer is
re-graded (``record.regrade``, cached by the record's JSON), and the table shows the real
verdict beside the claimed one. An imported file goes through ``record.parse`` (size, count and
every field bounded; a bad file → a translated message), its claimed flags are replaced by the
re-graded ones, and it becomes the session's record (the learner's name and seed with it).

The instructor section (behind a toggle) builds an ad-hoc assignment: the chosen exercises with
one seed (or each learner's own copy with "per learner"), as an ``?assign=`` link to the
Exercises page and as a YAML file for ``lessons/assignments/``. State: ``progress.*``.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from lessons.exercises import core
from lessons.exercises import record as rec
from ui import exercise_forms as forms
from ui import exercise_view as ev
from ui.lang import bound_t, current_lang, md_escape

K = "progress."
K_FLASH = K + "flash"


@st.cache_data(max_entries=16, show_spinner=False)
def regraded_rows(record_json: str) -> list[dict[str, Any]]:
    """Per answer: exercise, seed, claimed, correct (re-graded), error (key, args) — plain data."""
    out = []
    for g in rec.regrade(rec.parse(record_json)):
        err = g.error
        out.append({"exercise": g.answer.exercise, "seed": g.answer.seed, "claimed": g.answer.correct,
                    "correct": g.correct,
                    "error": None if err is None else (getattr(err, "key", ""), dict(getattr(err, "args_", None) or {}),
                                                       str(err))})
    return out


def _graded_record(record: rec.Record) -> rec.Record:
    """``record`` with each claimed flag replaced by the re-graded verdict."""
    rows = regraded_rows(rec.to_json(record))
    answers = tuple(rec.Answer(a.exercise, a.seed, a.answer, row["correct"]) for a, row in zip(record.answers, rows))
    return rec.Record(record.learner, record.learner_seed, record.assignment, answers)


def _on_upload() -> None:
    f = st.session_state.get(K + "upload")
    if f is None:
        return
    try:
        if getattr(f, "size", 0) > rec.MAX_RECORD_BYTES:
            raise rec.RecordError("exercises.err.too_big", "too big", kib=rec.MAX_RECORD_BYTES // 1024)
        imported = _graded_record(rec.parse(f.getvalue()))
    except rec.RecordError as e:
        st.session_state[K_FLASH] = ("error", forms.answer_error_text(e, current_lang()))
        return
    ev.save_record(imported)
    st.session_state[ev.K_NAME] = imported.learner
    if not imported.learner:
        st.session_state[ev.K_ANON] = imported.learner_seed
    st.session_state[K_FLASH] = ("success", bound_t()("exercises.progress.imported", n=len(imported.answers)))


def _error_text(err: Any, lang: str) -> str:
    if not err:
        return ""
    key, args, english = err
    return forms.error_text(key, args, english, lang, markdown=False)


def _tables(record: rec.Record, rows: list[dict[str, Any]], t, lang: str) -> None:
    import pandas as pd

    specs = core.load_exercises()
    per_topic: dict[str, list[int]] = {}
    for row in rows:
        topic = specs[row["exercise"]].topic if row["exercise"] in specs else "?"
        per_topic.setdefault(topic, [0, 0])
        per_topic[topic][0] += 1
        per_topic[topic][1] += int(row["correct"])
    st.subheader(t("exercises.progress.per_topic"))
    st.dataframe(pd.DataFrame([{t("exercises.progress.col_topic"): ev.topic_title(tp, lang, t) if tp != "?" else "?",
                                t("exercises.progress.col_answered"): n, t("exercises.progress.col_correct"): c}
                               for tp, (n, c) in per_topic.items()]), hide_index=True, key=K + "topics")
    st.subheader(t("exercises.progress.answers"))
    yes, no = t("exercises.progress.yes"), t("exercises.progress.no")
    st.dataframe(pd.DataFrame([{
        t("exercises.progress.col_exercise"): (specs[r["exercise"]].title.get(lang) if r["exercise"] in specs
                                               else r["exercise"]),
        t("exercises.progress.col_seed"): str(r["seed"]),
        t("exercises.progress.col_now"): yes if r["correct"] else no,
        t("exercises.progress.col_claimed"): yes if r["claimed"] else no,
        t("exercises.progress.col_note"): _error_text(r["error"], lang)} for r in rows]),
        hide_index=True, key=K + "answers")


def _completion(record: rec.Record, t, lang: str) -> None:
    try:
        assignment = rec.find_assignment(record.assignment, ev.adhoc_assignment())
    except rec.RecordError:
        assignment = None
    if assignment is None:
        return
    st.subheader(t("exercises.assignment.title", title=md_escape(assignment.title.get(lang, assignment.id), 200)))
    s = rec.score(record, assignment)
    st.markdown(t("exercises.progress.completion", done=s.answered, correct=s.correct, total=s.total))
    done = rec.for_assignment(record, assignment)
    st.download_button(t("exercises.progress.download_completion"), rec.to_json(done),
                       file_name=f"{assignment.id}-{_stem(record)}.json", mime="application/json",
                       key=K + "dl_completion", on_click="ignore")


def _stem(record: rec.Record) -> str:
    name = "".join(c for c in record.learner if c.isalnum() or c in "-_")[:40]
    return name or f"anon-{record.learner_seed}"


def _instructor(t, lang: str) -> None:
    specs = core.load_exercises()
    if not specs:
        st.info(t("exercises.none"))
        return
    picked = st.multiselect(t("exercises.builder.exercises"), list(specs), key=K + "b.exercises",
                            format_func=lambda i: specs[i].title.get(lang, i),
                            max_selections=rec.MAX_ASSIGNMENT_ITEMS)
    c1, c2 = st.columns(2)
    seed = c1.number_input(t("exercises.builder.seed"), min_value=0, max_value=core.SEED_MAX, value=1, step=1,
                           key=K + "b.seed")
    per_learner = c2.toggle(t("exercises.builder.per_learner"), key=K + "b.per_learner")
    a_id = st.text_input(t("exercises.builder.id"), value="my-assignment", max_chars=64, key=K + "b.id")
    title_en = st.text_input(t("exercises.builder.title_en"), value="Assignment", max_chars=rec.MAX_TITLE_CHARS,
                             key=K + "b.title_en")
    title_zh = st.text_input(t("exercises.builder.title_zh"), value="作业", max_chars=rec.MAX_TITLE_CHARS,
                             key=K + "b.title_zh")
    if not picked:
        st.caption(t("exercises.builder.pick_some"))
        return
    try:
        assignment = rec.assignment_from_dict({"id": a_id, "title": {"en": title_en, "zh": title_zh},
                                               "exercises": [{"id": ex, "seed": int(seed)} for ex in picked],
                                               "per_learner": bool(per_learner)}, "builder")
        code = rec.encode_assignment(assignment)
    except rec.RecordError as e:
        st.warning(forms.answer_error_text(e, lang))
        return
    base = (getattr(st.context, "url", None) or "").split("?")[0].rsplit("/", 1)[0]
    st.markdown(t("exercises.builder.link"))
    st.code(f"{base}/exercises?lang={lang}&assign={code}", language=None, wrap_lines=True)
    st.download_button(t("exercises.builder.download_yaml"), rec.assignment_yaml(assignment),
                       file_name=f"{assignment.id}.yaml", mime="application/yaml", key=K + "b.dl", on_click="ignore")


def progress_page() -> None:
    t = bound_t()
    lang = current_lang()
    st.title(t("exercises.progress.title"))
    flash = st.session_state.pop(K_FLASH, None)
    if flash:
        (st.success if flash[0] == "success" else st.error)(flash[1])
    record = ev.load_record()
    who = record.learner or t("exercises.progress.anonymous")
    st.caption(t("exercises.progress.learner", learner=md_escape(who, 120), seed=record.learner_seed))
    try:
        rows = regraded_rows(rec.to_json(record))
    except rec.RecordError as e:  # our own session record: cannot happen, but never a traceback
        st.error(forms.answer_error_text(e, lang))
        rows = []
    s = rec.score(record, None, graded=[rec.Graded(a, core.Feedback(bool(r["correct"])))
                                        for a, r in zip(record.answers, rows)])
    st.markdown(t("exercises.progress.summary", answered=s.answered, correct=s.correct))
    if rows:
        _tables(record, rows, t, lang)
    else:
        st.info(t("exercises.progress.empty"))
    _completion(record, t, lang)
    st.subheader(t("exercises.progress.io"))
    st.caption(t("exercises.progress.keep"))
    st.download_button(t("exercises.progress.download"), rec.to_json(record), file_name=f"progress-{_stem(record)}.json",
                       mime="application/json", key=K + "dl", on_click="ignore")
    st.file_uploader(t("exercises.progress.import"), type=["json"], key=K + "upload", on_change=_on_upload,
                     max_upload_size=2,  # MB: the browser stops bigger files; record.parse stops at 1 MiB
                     help=t("exercises.progress.import_help", kib=rec.MAX_RECORD_BYTES // 1024))
    if st.toggle(t("exercises.builder.toggle"), key=K + "instructor"):
        st.subheader(t("exercises.builder.title"))
        _instructor(t, lang)
