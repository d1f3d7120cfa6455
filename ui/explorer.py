"""The Model Explorer's widgets: where a history comes from, the table that edits it, and the
button that brings a Protocol Lab run here. Verdicts, figures and exports: ``ui.explorer_results``.

Theory of operation
-------------------
Each script run rebuilds the history from the widgets, as a pure function of their values:

1. ``pick_source`` — gallery, typed notation, uploaded file, or the Protocol Lab hand-over;
2. ``load_base`` — that source's ``History`` (``lessons.history_gallery``,
   ``checkers.formats.parse_notation`` / ``read_history``), or a translated error;
3. ``table_editor`` — ``st.data_editor`` over the base history's ops; the edited table
   becomes a history again through the pure ``ui.explorer_table.history_from_frame``. The
   editor's key carries a digest of the base history, so loading another history starts a
   fresh table, while edits to this one survive reruns.

Only small things live in session state (ARCHITECTURE.md §5.3): widget values, the canonical
JSON of the history handed over from the lab and of the history last shown (so switching to
"Type it" can start from it), and the check results cache of ``ui.check_runner``.

Bad input of any kind ends in ``st.error`` with the ``HistoryError`` translated
(``ui.lang.error_text``); the page keeps running and every widget stays usable.
"""

from __future__ import annotations

import hashlib
from typing import Any, Callable

import streamlit as st

from checkers.datatypes import DATATYPES
from checkers.formats import parse_notation, read_history, to_json, to_notation
from checkers.history import MAX_BYTES, MAX_OPS, STATUSES, History, HistoryError
from lessons.history_gallery import gallery_entry, load_gallery
from ui.explorer_table import MAX_CELL_CHARS, MAX_NAME_CHARS, history_frame, history_from_frame
from ui.lang import bound_t, current_lang, error_text, md_escape

SOURCES = ("gallery", "notation", "upload", "lab")
K_SOURCE = "explorer.source"
K_GALLERY = "explorer.gallery"
K_NOTATION = "explorer.notation"
K_UPLOAD = "explorer.upload"
K_HANDOVER = "explorer.handover"  # canonical JSON of the lab's history
K_HANDOVER_STEP = "explorer.handover_step"
K_HANDOVER_FRESH = "explorer.handover_fresh"  # set by the lab's button: open on the "lab" source
K_CURRENT = "explorer.current_json"  # the history shown last (to start the notation box from it)
EDITOR_MAX_ROWS = 500  # a data editor beyond this is slow in the browser and no one edits it by hand
NOTATION_MAX_CHARS = 100_000
UPLOAD_TYPES = ["json", "jsonl", "ndjson", "edn", "txt"]
DEFAULT_NOTATION = "init x=0\nP1: W(x)1\nP2: R(x)1 R(x)0\n"

ss = st.session_state


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# ---- 1. source ------------------------------------------------------------------------------

def _on_source_change() -> None:
    """Switching to "Type it" starts from the history on screen, so it can be edited as text."""
    if ss.get(K_SOURCE) == "notation" and ss.get(K_CURRENT):
        try:
            ss[K_NOTATION] = to_notation(read_history(ss[K_CURRENT]))
        except HistoryError:
            pass  # not a register history: keep whatever the box held


def pick_source(t: Callable[..., str]) -> str:
    if ss.pop(K_HANDOVER_FRESH, False):
        ss[K_SOURCE] = "lab"
    if ss.get(K_SOURCE) not in SOURCES:
        ss[K_SOURCE] = "gallery"  # missing or tampered state
    return st.radio(t("explorer.source.label"), SOURCES, key=K_SOURCE, horizontal=True,
                    format_func=lambda s: t(f"explorer.source.{s}"), on_change=_on_source_change)


def load_base(source: str, t: Callable[..., str]) -> History | None:
    """The history of the chosen source, or ``None`` after showing why there is none."""
    loaders = {"gallery": _from_gallery, "notation": _from_notation, "upload": _from_upload, "lab": _from_lab}
    try:
        return loaders[source](t)
    except HistoryError as e:
        st.error(error_text(e))
        return None


def _from_gallery(t: Callable[..., str]) -> History:
    entries = load_gallery()
    ids = [e.id for e in entries]
    if ss.get(K_GALLERY) not in ids:
        ss[K_GALLERY] = ids[0]
    lang = current_lang()
    chosen = st.selectbox(t("explorer.gallery.pick"), ids, key=K_GALLERY,
                          format_func=lambda i: gallery_entry(i).text("title", lang))
    entry = gallery_entry(chosen)
    st.markdown(entry.text("explanation", lang))
    st.caption(t("explorer.gallery.source", source=entry.source))
    return entry.history()


def _from_notation(t: Callable[..., str]) -> History:
    if not isinstance(ss.get(K_NOTATION), str):
        ss[K_NOTATION] = DEFAULT_NOTATION
    text = st.text_area(t("explorer.notation.label"), key=K_NOTATION, height=160, max_chars=NOTATION_MAX_CHARS,
                        help=t("explorer.notation.help"))
    return parse_notation(text)


def upload_limit_bytes() -> int:
    """What can actually arrive: the server's upload limit, within the readers' own ``MAX_BYTES``."""
    server_mb = st.get_option("server.maxUploadSize")
    return min(MAX_BYTES, int(server_mb) * 1024 * 1024) if server_mb else MAX_BYTES


@st.cache_data(max_entries=4, show_spinner=False)
def _read_upload(data: bytes, name: str) -> History:
    return read_history(data, name=name)


def _from_upload(t: Callable[..., str]) -> History | None:
    limit = upload_limit_bytes()
    file = st.file_uploader(t("explorer.upload.label"), type=UPLOAD_TYPES, key=K_UPLOAD,
                            help=t("explorer.upload.help"))
    st.caption(t("explorer.upload.limits", mb=f"{limit / 2**20:g}", max_mib=MAX_BYTES // 2**20, ops=f"{MAX_OPS:,}"))
    if file is None:
        st.info(t("explorer.upload.none"))
        return None
    if file.size > limit:  # the server refuses such uploads already; an AppTest or a misconfiguration may not
        raise HistoryError("err.history.too_large", "input too large", limit=f"{limit / 2**20:g}")
    return _read_upload(file.getvalue(), file.name)


def _from_lab(t: Callable[..., str]) -> History | None:
    data = ss.get(K_HANDOVER)
    if not isinstance(data, str):
        st.info(t("explorer.lab.none"))
        return None
    step = ss.get(K_HANDOVER_STEP)
    st.caption(t("explorer.lab.caption", step=step if isinstance(step, int) else "?"))
    try:
        return read_history(data)
    except HistoryError as e:
        st.error(t("explorer.err.handover", reason=error_text(e)))
        return None


# ---- 2. the table -----------------------------------------------------------------------------

def _column_config(base: History, frame: Any, t: Callable[..., str]) -> dict[str, Any]:
    cc = st.column_config
    fs = sorted(set(DATATYPES[base.datatype].ops) | {str(f) for f in frame["f"].dropna()})
    return {
        "process": cc.TextColumn(t("explorer.table.col.process"), help=t("explorer.table.col.process_help"),
                                 max_chars=MAX_NAME_CHARS, required=True),
        "f": cc.SelectboxColumn(t("explorer.table.col.f"), help=t("explorer.table.col.f_help"), options=fs,
                                required=True),
        "key": cc.TextColumn(t("explorer.table.col.key"), help=t("explorer.table.col.key_help"),
                             max_chars=MAX_NAME_CHARS),
        "input": cc.TextColumn(t("explorer.table.col.input"), help=t("explorer.table.col.input_help"),
                               max_chars=MAX_CELL_CHARS),
        "output": cc.TextColumn(t("explorer.table.col.output"), help=t("explorer.table.col.output_help"),
                                max_chars=MAX_CELL_CHARS),
        "call": cc.NumberColumn(t("explorer.table.col.call"), help=t("explorer.table.col.call_help"), step=1,
                                format="%d"),
        "return": cc.NumberColumn(t("explorer.table.col.return"), help=t("explorer.table.col.return_help"),
                                  step=1, format="%d"),
        "status": cc.SelectboxColumn(t("explorer.table.col.status"), help=t("explorer.table.col.status_help"),
                                     options=list(STATUSES), required=True),
    }


def _edited(key: str) -> bool:
    state = ss.get(key)
    if not hasattr(state, "get"):
        return False
    return any(state.get(part) for part in ("edited_rows", "added_rows", "deleted_rows"))


def table_editor(base: History, base_json: str, t: Callable[..., str]) -> History | None:
    """The base history in an editable table; the edited history (``None`` after an error)."""
    st.subheader(t("explorer.table.title"))
    _describe(base, t)
    if len(base.ops) > EDITOR_MAX_ROWS:
        st.info(t("explorer.table.too_big", n=len(base.ops), limit=EDITOR_MAX_ROWS))
        st.dataframe(history_frame(base.restricted(o.id for o in base.ops[:EDITOR_MAX_ROWS])))
        return base
    st.caption(t("explorer.table.caption"))
    frame = history_frame(base)
    key = f"explorer.table.{digest(base_json)}"
    edited = st.data_editor(frame, key=key, num_rows="dynamic", column_config=_column_config(base, frame, t),
                            width="stretch")
    if not _edited(key):
        return base
    try:
        return history_from_frame(edited, base)
    except HistoryError as e:
        st.error(error_text(e))
        return None


def _describe(history: History, t: Callable[..., str]) -> None:
    timing = t("explorer.table.timed") if history.timed else t("explorer.table.untimed")
    line = t("explorer.table.stats", n=len(history.ops), p=len(history.processes()),
             datatype=md_escape(history.datatype, 40), timing=timing)
    if history.initial:
        values = ", ".join(f"{'·' if k is None else k}={'⊥' if v is None else v}" for k, v in history.initial.items())
        line += " " + t("explorer.table.initial", values=md_escape(values, 200))
    st.caption(line)


def remember(history_json: str) -> None:
    """The history on screen, for the notation box to start from (see ``_on_source_change``)."""
    ss[K_CURRENT] = history_json


# ---- the Protocol Lab's way in ----------------------------------------------------------------

def open_in_explorer_button(trace: Any, step: int) -> None:
    """On the Protocol Lab: when the run has client operations up to ``step``, a button that
    takes them (``checkers.from_trace.history_from_trace``) to the Model Explorer."""
    if not any(e.kind == "invoke" for e in trace.events_until(step)):
        return
    t = bound_t()
    if not st.button(t("explorer.lab.open"), key="lab.to_explorer", help=t("explorer.lab.open_help"),
                     icon=":material/account_tree:"):
        return
    from checkers.from_trace import history_from_trace
    from ui.frame import page_file

    try:
        history, _events = history_from_trace(trace, upto_step=step)
        data = to_json(history)
        read_history(data)  # what the explorer will read: a history it cannot check is refused here, in the lab
    except HistoryError as e:
        st.error(t("explorer.err.handover", reason=error_text(e)))
        return
    ss[K_HANDOVER] = data
    ss[K_HANDOVER_STEP] = int(step)
    ss[K_HANDOVER_FRESH] = True
    st.switch_page(page_file("models"))
