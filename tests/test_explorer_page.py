"""The Model Explorer page (AppTest, both languages) and the pure pieces under it: the table
editor's table → history function (with bad cells), the witness text, the deadline and the
budget pacer of the check runner."""

from __future__ import annotations

from pathlib import Path

import json

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest

from checkers import check_all
from checkers.formats import parse_notation, to_json, to_notation
from checkers.history import History, HistoryError, Op
from checkers.verdict import MODELS, Message, OutOfBudget, Verdict, unknown
from lessons.history_gallery import gallery_entry, load_gallery
from ui import check_runner
from ui.check_runner import Pacer, result_key
from ui.deadline import DEFAULT_SECONDS, MAX_SECONDS, MIN_SECONDS, clamp_seconds, deadline
from ui.explorer_table import ERROR_KEYS, history_frame, history_from_frame, parse_cell, show_cell
from ui.explorer_witness import BADGE_STYLE, badge, highlight_ids, model_name_key, op_text, witness_lines
from ui.i18n import LANGS, catalog, translate
from ui.lang import md_escape

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGE = "pages/models.py"
# 20 processes x 20 ops on one key with only three values (random.Random(0)). With values written
# many times, who-read-from-whom must be searched, and deciding causal memory with repeated
# values is NP-hard in general: the causal and eventual checks cannot finish in half a second.
HARD = """init x=0
P1: W(x)1 R(x)1 W(x)1 W(x)1 W(x)2 R(x)2 R(x)1 R(x)0 W(x)2 R(x)1 R(x)2 R(x)2 W(x)1 R(x)1 W(x)1 R(x)2 W(x)1 W(x)0 R(x)0 W(x)2
P2: R(x)2 W(x)1 R(x)2 W(x)2 R(x)0 R(x)0 R(x)2 W(x)0 R(x)1 W(x)0 W(x)2 W(x)2 R(x)2 W(x)2 R(x)2 W(x)1 R(x)2 W(x)1 R(x)1 R(x)0
P3: R(x)0 W(x)1 R(x)0 R(x)0 R(x)0 W(x)2 W(x)2 R(x)0 W(x)2 W(x)1 W(x)2 W(x)0 W(x)2 R(x)1 W(x)0 R(x)0 W(x)0 R(x)1 R(x)1 W(x)0
P4: R(x)0 R(x)0 R(x)0 R(x)2 R(x)2 R(x)1 R(x)1 R(x)0 R(x)0 R(x)2 R(x)1 R(x)2 R(x)2 R(x)2 W(x)2 R(x)1 R(x)0 R(x)2 W(x)1 W(x)0
P5: R(x)2 W(x)0 R(x)2 W(x)0 W(x)1 W(x)2 R(x)2 R(x)0 R(x)0 W(x)2 W(x)0 W(x)2 R(x)0 W(x)2 W(x)2 W(x)2 W(x)1 W(x)0 R(x)1 R(x)1
P6: R(x)2 W(x)0 R(x)1 W(x)2 W(x)2 W(x)2 R(x)2 W(x)1 W(x)2 R(x)0 R(x)2 W(x)0 R(x)0 W(x)1 W(x)0 W(x)2 W(x)2 R(x)0 W(x)0 W(x)2
P7: R(x)1 W(x)2 R(x)0 W(x)1 W(x)1 R(x)1 R(x)2 R(x)2 R(x)0 W(x)2 W(x)1 R(x)0 R(x)2 R(x)2 R(x)0 R(x)2 R(x)1 W(x)2 R(x)0 W(x)1
P8: R(x)0 W(x)1 R(x)1 R(x)2 W(x)0 R(x)1 R(x)0 R(x)0 W(x)2 W(x)1 R(x)2 W(x)2 W(x)2 W(x)1 R(x)0 W(x)2 W(x)0 R(x)0 W(x)1 W(x)1
P9: R(x)1 R(x)0 W(x)0 R(x)2 W(x)1 W(x)2 R(x)1 R(x)1 R(x)0 W(x)0 R(x)1 W(x)1 W(x)1 R(x)0 W(x)1 W(x)1 R(x)1 R(x)2 W(x)1 R(x)1
P10: W(x)2 R(x)0 W(x)2 R(x)0 R(x)0 R(x)0 W(x)0 R(x)1 W(x)1 W(x)2 R(x)1 R(x)1 R(x)1 R(x)1 R(x)1 R(x)0 R(x)2 W(x)2 R(x)0 W(x)1
P11: W(x)0 R(x)0 R(x)0 R(x)1 W(x)1 R(x)0 W(x)0 W(x)2 W(x)2 W(x)2 W(x)1 W(x)2 R(x)2 R(x)0 W(x)2 W(x)1 R(x)2 R(x)1 R(x)1 W(x)2
P12: W(x)0 R(x)2 R(x)0 R(x)0 R(x)1 R(x)1 W(x)0 R(x)2 W(x)1 W(x)2 R(x)2 R(x)2 R(x)2 W(x)0 W(x)2 W(x)1 W(x)2 R(x)0 R(x)2 R(x)1
P13: W(x)1 R(x)1 W(x)1 W(x)1 W(x)0 R(x)2 R(x)0 W(x)2 W(x)0 R(x)1 W(x)0 W(x)2 R(x)2 R(x)1 W(x)0 W(x)1 W(x)0 R(x)1 R(x)0 R(x)2
P14: R(x)2 W(x)0 W(x)0 W(x)1 R(x)0 W(x)2 W(x)2 R(x)2 W(x)0 W(x)1 R(x)2 R(x)0 W(x)1 W(x)0 W(x)1 R(x)0 R(x)1 W(x)0 R(x)0 R(x)2
P15: W(x)2 W(x)0 R(x)1 W(x)0 R(x)1 R(x)0 W(x)0 R(x)1 W(x)2 W(x)0 W(x)1 W(x)0 W(x)0 R(x)1 R(x)1 W(x)0 R(x)0 W(x)0 R(x)0 R(x)0
P16: R(x)2 R(x)1 W(x)2 R(x)2 R(x)0 R(x)1 R(x)1 W(x)2 W(x)0 R(x)0 W(x)1 W(x)1 W(x)2 W(x)0 R(x)0 W(x)0 W(x)0 R(x)0 W(x)2 R(x)0
P17: R(x)1 W(x)1 R(x)0 R(x)1 R(x)2 R(x)0 W(x)1 W(x)2 R(x)2 W(x)1 W(x)0 R(x)1 W(x)2 R(x)1 W(x)0 W(x)2 W(x)1 R(x)1 W(x)1 R(x)0
P18: R(x)1 R(x)2 R(x)2 W(x)1 R(x)1 W(x)0 R(x)1 W(x)2 R(x)1 W(x)2 R(x)1 R(x)1 R(x)2 W(x)2 W(x)0 R(x)1 R(x)2 W(x)2 R(x)1 W(x)0
P19: W(x)0 W(x)1 R(x)0 W(x)2 R(x)0 W(x)1 W(x)1 R(x)2 W(x)1 W(x)2 R(x)2 R(x)0 R(x)1 W(x)2 W(x)0 R(x)0 R(x)1 W(x)1 R(x)2 R(x)2
P20: R(x)1 W(x)2 W(x)1 W(x)1 R(x)0 R(x)2 R(x)1 W(x)2 W(x)0 W(x)1 W(x)2 W(x)0 W(x)1 W(x)1 R(x)1 W(x)0 W(x)0 R(x)0 W(x)1 W(x)0
"""
WORD_TO_BADGE = {"ok": "holds", "illegal": "violated", "not-applicable": "not-applicable", "unknown": "unknown"}


# ---- AppTest helpers ------------------------------------------------------------------------

def _page(lang: str = "en", **state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = lang
    at.run()
    for k, v in state.items():
        at.session_state[k] = v
    at.switch_page(PAGE).run()
    _no_exception(at)
    return at


def _no_exception(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def _expected_label(lang: str, model: str, word: str) -> str:
    b = WORD_TO_BADGE[word]
    colour, symbol = BADGE_STYLE[b]
    return f"{translate(lang, model_name_key(model))} :{colour}-badge[{symbol} {translate(lang, f'explorer.badge.{b}')}]"


def _badges(at: AppTest, lang: str) -> dict[str, str]:
    """{model: verdict word} read back from the per-model expander labels."""
    labels = [x.label for x in at.expander]
    out = {}
    for m in MODELS:
        for word in WORD_TO_BADGE:
            if _expected_label(lang, m, word) in labels:
                out[m] = word
    return out


def _texts(at: AppTest) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [x.label for x in at.expander]
    parts += [e.value for e in at.error] + [i.value for i in at.info] + [w.value for w in at.warning]
    return "\n".join(parts)


def _set_notation(at: AppTest, text: str) -> None:
    if at.radio(key="explorer.source").value != "notation":
        at.radio(key="explorer.source").set_value("notation").run()
    at.text_area(key="explorer.notation").set_value(text).run()
    _no_exception(at)


# ---- the page ---------------------------------------------------------------------------------

@pytest.mark.parametrize("lang", LANGS)
def test_page_renders_with_every_string_translated(lang):
    at = _page(lang)
    assert translate(lang, "explorer.title") in [t.value for t in at.title]
    text = _texts(at)
    assert "[explorer." not in text and "[model." not in text and "[chk." not in text, text
    assert len(at.get("plotly_chart")) == 2  # the timeline and the model map
    buttons = at.get("download_button")
    assert len(buttons) == 5  # the history and verdict downloads, and the timeline's offline HTML
    assert [b.proto.label for b in buttons].count(translate(lang, "export.html")) == 1


@pytest.mark.parametrize("lang", LANGS)
def test_every_gallery_entry_shows_its_expected_badges(lang):
    at = _page(lang)
    for entry in load_gallery():
        at.selectbox(key="explorer.gallery").set_value(entry.id).run()
        _no_exception(at)
        assert _badges(at, lang) == dict(entry.expected), entry.id
        assert entry.text("explanation", lang)[:40] in _texts(at)


@pytest.mark.parametrize("lang", LANGS)
def test_a_notation_typo_shows_the_translated_error_and_the_page_keeps_working(lang):
    at = _page(lang)
    typo = "init x=0\nP1: W(x)1\nP2: R(x)1 Q(x)0\n"
    _set_notation(at, typo)
    with pytest.raises(HistoryError) as err:
        parse_notation(typo)
    reason = translate(lang, err.value.key, **{k: md_escape(v, 60) for k, v in err.value.args_.items()})
    assert [e.value for e in at.error] == [translate(lang, "err.general", reason=reason)]
    assert "line 3" in at.error[0].value and "[err." not in at.error[0].value
    assert not at.expander or all("badge" not in x.label for x in at.expander)  # no verdicts for a bad history
    # fixing the typo brings the verdicts back
    at.text_area(key="explorer.notation").set_value(typo.replace("Q(x)0", "R(x)0")).run()
    _no_exception(at)
    assert not at.error
    assert _badges(at, lang)["monotonic-reads"] == "illegal"


@pytest.mark.parametrize("lang", LANGS)
def test_editing_one_value_flips_a_verdict(lang):
    at = _page(lang)
    _set_notation(at, "init x=0\nP1: W(x)1\nP2: R(x)1 R(x)1\n")
    before = _badges(at, lang)
    assert before["monotonic-reads"] == "ok" and before["sequential"] == "ok"
    _set_notation(at, "init x=0\nP1: W(x)1\nP2: R(x)1 R(x)0\n")  # one value changed
    after = _badges(at, lang)
    assert after["monotonic-reads"] == "illegal" and after["sequential"] == "illegal"
    assert after["read-your-writes"] == "ok"


def test_choosing_another_gallery_entry_changes_the_verdicts():
    at = _page("en")
    at.selectbox(key="explorer.gallery").set_value("causal-not-sequential").run()
    assert _badges(at, "en")["sequential"] == "illegal"
    at.selectbox(key="explorer.gallery").set_value("linearizable-register").run()
    assert _badges(at, "en")["sequential"] == "ok"


def _chart_metas(at: AppTest) -> tuple[list, list]:
    timeline, model_map = (json.loads(c.proto.spec) for c in at.get("plotly_chart"))
    return [d.get("meta") for d in timeline["data"]], [d.get("customdata") for d in model_map["data"]
                                                       if d.get("meta") == "selected"]


def test_the_chosen_model_is_drawn_on_the_timeline_and_marked_on_the_map():
    at = _page("en")
    at.selectbox(key="explorer.gallery").set_value("pram-not-causal").run()
    assert at.selectbox(key="explorer.model").value == "causal"  # the weakest violated model comes first
    metas, selected = _chart_metas(at)
    assert {"highlight", "core", "culprit"} <= set(metas) and selected == [["causal"]]
    at.selectbox(key="explorer.model").set_value("pram").run()
    metas, selected = _chart_metas(at)
    assert not {"highlight", "core", "culprit"} & set(metas) and selected == [["pram"]]
    at.selectbox(key="explorer.gallery").set_value("linearizable-register").run()  # another example
    assert at.selectbox(key="explorer.model").value == "linearizable"  # all hold: the strongest first
    assert "points" in _chart_metas(at)[0]  # its linearization points


def test_switching_to_notation_starts_from_the_history_on_screen():
    at = _page("en")
    at.selectbox(key="explorer.gallery").set_value("pram-not-causal").run()
    at.radio(key="explorer.source").set_value("notation").run()
    _no_exception(at)
    assert at.text_area(key="explorer.notation").value == to_notation(gallery_entry("pram-not-causal").history())
    assert _badges(at, "en") == dict(gallery_entry("pram-not-causal").expected)


@pytest.mark.parametrize("lang", LANGS)
def test_a_history_handed_over_from_the_lab_is_shown(lang):
    h = parse_notation("init x=0\nP1: W(x)1@0-1\nP2: R(x)1@2-3\nP3: R(x)0@4-5\n")
    at = _page(lang, **{"explorer.handover": to_json(h), "explorer.handover_step": 17,
                        "explorer.handover_fresh": True})
    assert at.radio(key="explorer.source").value == "lab"
    assert translate(lang, "explorer.lab.caption", step=17) in [c.value for c in at.caption]
    badges = _badges(at, lang)
    assert badges["linearizable"] == "illegal" and badges["sequential"] == "ok"


def test_a_garbled_hand_over_is_a_translated_error():
    at = _page("zh", **{"explorer.handover": "{not json", "explorer.handover_fresh": True})
    assert at.error and at.error[0].value.startswith(translate("zh", "explorer.err.handover", reason="")[:8])


def test_the_lab_offers_the_explorer_and_explains_when_a_run_cannot_be_checked():
    """Two-phase commit's client op is ``commit``, not a register read/write: the button says why, in the lab."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = "en"
    at.run()
    at.switch_page("pages/lab.py").run()
    at.session_state["lab.cursor"] = 1_000
    at.run()
    at.button(key="lab.to_explorer").click().run()
    _no_exception(at)
    assert translate("en", "lab.title") in [t.value for t in at.title]  # stayed in the lab
    assert at.error and translate("en", "explorer.err.handover", reason="")[:30] in at.error[0].value
    assert "explorer.handover" not in at.session_state


def test_no_explorer_button_before_the_first_client_operation():
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = "en"
    at.run()
    at.switch_page("pages/lab.py").run()
    at.session_state["lab.cursor"] = 0
    at.run()
    assert "lab.to_explorer" not in [b.key for b in at.button]


@pytest.mark.parametrize("name,data,key", [
    ("junk.json", b"\x00\x01\x02 binary", None),
    ("bad.jsonl", b'{"id": 0, "client": 1, "call": 5, "return": 2, "status": "ok", "op": "read"}\n', None),
    ("huge.json", b"[" + b" " * (16 * 1024 * 1024) + b"]", "err.history.too_large"),
])
def test_bad_uploads_show_a_translated_error(name, data, key):
    at = _page("en")
    at.radio(key="explorer.source").set_value("upload").run()
    assert any("50,000" in c.value for c in at.caption)  # the limits are stated next to the uploader
    at.file_uploader(key="explorer.upload").set_value((name, data, "application/octet-stream")).run()
    _no_exception(at)
    assert len(at.error) == 1 and "[err." not in at.error[0].value
    if key:
        assert translate("en", key, limit=16) in at.error[0].value


def test_a_good_upload_is_checked_and_non_register_exports_are_disabled():
    jsonl = (b'{"id": 0, "client": 1, "call": 0, "return": 1, "status": "ok", "op": "write", "key": null,'
             b' "input": 0, "output": null}\n'
             b'{"id": 1, "client": 1, "call": 2, "return": 5, "status": "ok", "op": "cas", "key": null,'
             b' "input": [0, 1], "output": true}\n'
             b'{"id": 2, "client": 2, "call": 3, "return": 4, "status": "ok", "op": "read", "key": null,'
             b' "input": null, "output": 1}\n')
    at = _page("en")
    at.radio(key="explorer.source").set_value("upload").run()
    at.file_uploader(key="explorer.upload").set_value(("h.jsonl", jsonl, "application/x-ndjson")).run()
    _no_exception(at)
    assert not at.error
    badges = _badges(at, "en")
    assert badges["linearizable"] == "ok" and badges["pram"] == "not-applicable"
    disabled = [b for b in at.button if b.key in ("explorer.dl.textbook", "explorer.dl.notation")]
    assert len(disabled) == 2 and all(b.disabled for b in disabled)


SHARED = Path(__file__).resolve().parents[2] / "shared" / "histories"


@pytest.mark.parametrize("name", ["etcd_000.jsonl", "etcd_002.jsonl"])
def test_a_real_jepsen_history_uploads_and_gets_porcupines_verdict(name):
    path = SHARED / "jepsen-etcd" / name
    if not path.is_file():
        pytest.skip(f"{path} not found (the shared Jepsen/Porcupine histories live beside the repository)")
    expected = json.loads((SHARED / "jepsen-etcd" / "expected.json").read_text())[name]
    at = _page("en")
    at.radio(key="explorer.source").set_value("upload").run()
    at.file_uploader(key="explorer.upload").set_value((name, path.read_bytes(), "application/x-ndjson")).run()
    _no_exception(at)
    assert not at.error
    assert _badges(at, "en")["linearizable"] == ("ok" if expected else "illegal")


def test_a_history_too_big_to_edit_is_listed_read_only():
    ops = tuple(Op(id=i, process=f"P{i % 3}", f="write", key="x", input=i, call=2 * i, ret=2 * i + 1)
                for i in range(600))
    at = _page("en", **{"explorer.handover": to_json(History(ops=ops)), "explorer.handover_fresh": True})
    assert translate("en", "explorer.table.too_big", n=600, limit=500) in [i.value for i in at.info]
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 500
    assert _badges(at, "en")["linearizable"] == "ok"


def test_cancelled_check_is_not_rerun_until_asked(monkeypatch):
    calls = []
    real = check_runner.check_all
    monkeypatch.setattr(check_runner, "check_all", lambda h, f: calls.append(1) or real(h, f))
    entry = gallery_entry(load_gallery()[0].id)
    key = result_key(to_json(entry.history()), DEFAULT_SECONDS)
    at = _page("en", **{"explorer.cancelled": key})
    assert calls == []
    assert translate("en", "explorer.check.cancelled") in [i.value for i in at.info]
    at.button(key="explorer.check.again").click().run()
    _no_exception(at)
    assert calls == [1] and _badges(at, "en") == dict(entry.expected)
    at.run()  # a rerun with the same history and budget: from the cache
    assert calls == [1]


def test_out_of_time_verdicts_say_so_and_offer_more_time(monkeypatch):
    monkeypatch.setattr(check_runner, "check_all", lambda h, factory: {m: unknown(m, factory()) for m in MODELS})
    at = _page("en")
    assert set(_badges(at, "en").values()) == {"unknown"}
    assert translate("en", "explorer.check.out_of_time", n=9, seconds="2") in [w.value for w in at.warning]
    at.button(key="explorer.check.retry").click().run()
    _no_exception(at)
    assert at.session_state["explorer.budget_s"] == 8.0
    assert at.slider(key="explorer.budget_s").value == 8.0


def test_the_time_limit_is_real_and_an_unknown_verdict_says_so():
    """No stub: the real checkers on a hard history, half a second each (the whole check ≲ 3 s)."""
    at = _page("en", **{"explorer.budget_s": 0.5})
    _set_notation(at, HARD)
    badges = _badges(at, "en")
    ran_out = [m for m, word in badges.items() if word == "unknown" and m != "linearizable"]
    assert ran_out and badges["read-your-writes"] == "ok"
    assert translate("en", "explorer.check.out_of_time", n=len(ran_out), seconds="0.5") in [w.value for w in at.warning]
    assert at.button(key="explorer.check.retry").label == translate("en", "explorer.check.retry", seconds="2")


def test_tampered_budget_state_is_clamped():
    at = _page("en", **{"explorer.budget_s": 1e9})
    assert at.session_state["explorer.budget_s"] == MAX_SECONDS


# ---- table editor: table -> history ----------------------------------------------------------

def _frame(rows):
    return pd.DataFrame(rows, columns=["process", "f", "key", "input", "output", "call", "return", "status"])


BASE = parse_notation("init x=0\nP1: W(x)1@0-2\nP2: R(x)1@3-4\n")


def test_unchanged_table_gives_back_the_history():
    assert history_from_frame(history_frame(BASE), BASE) == BASE


def test_editing_a_cell_changes_the_op_and_the_verdict():
    frame = history_frame(BASE)
    frame.loc[1, "output"] = "0"
    edited = history_from_frame(frame, BASE)
    assert edited.op(1).output == 0 and edited.op(0) == BASE.op(0)
    assert check_all(BASE)["linearizable"].result == "ok"
    assert check_all(edited)["linearizable"].result == "illegal"


def test_clearing_every_time_gives_an_untimed_history_in_row_order():
    frame = history_frame(BASE)
    frame["call"] = pd.array([None, None], dtype="Int64")
    frame["return"] = pd.array([None, None], dtype="Int64")
    h = history_from_frame(frame, BASE)
    assert not h.timed and [o.label() for o in h.ops] == ["W(x)1", "R(x)1"]


def test_added_rows_get_fresh_ids_and_blank_rows_are_ignored():
    frame = pd.concat([history_frame(BASE), _frame([["P3", "read", "x", "", "1", 5, 6, "ok"],
                                                    [None, None, None, None, None, None, None, None]])])
    h = history_from_frame(frame, BASE)  # the concatenated index has no ids for the new rows: renumbered
    assert [o.id for o in h.ops] == [0, 1, 2] and h.op(2).process == "P3"


@pytest.mark.parametrize("column,value,key", [
    ("return", 0, "err.history.return_before_call"),  # P2's read returns at 0, called at 3
    ("call", "1" * 100, "explorer.err.number_too_big"),
    ("call", 10 ** 100, "explorer.err.number_too_big"),
    ("call", 1e300, "explorer.err.number_too_big"),
    ("call", "soon", "explorer.err.bad_number"),
    ("call", 2.5, "explorer.err.bad_number"),
    ("call", float("nan"), "explorer.err.times_all_or_none"),
    ("call", True, "explorer.err.bad_number"),
    ("output", "9" * 100, "explorer.err.number_too_big"),
    ("output", "x" * 500, "explorer.err.cell_too_long"),
    ("output", "NaN", None),
    ("input", "1", "explorer.err.read_input"),  # row 2 is a read: its value belongs in "output"  # a word, not a float: a read of the string "NaN" (legal input, just wrong)
    ("f", "delete", "explorer.err.bad_f"),
    ("status", "maybe", "explorer.err.bad_status"),
    ("process", "", "explorer.err.missing_process"),
    ("process", "P" * 41, "explorer.err.cell_too_long"),
])
def test_bad_cells_raise_a_history_error_naming_the_row(column, value, key):
    frame = history_frame(BASE)
    frame[column] = frame[column].astype(object)
    frame.loc[1, column] = value
    if key is None:
        assert history_from_frame(frame, BASE).op(1).output == "NaN"
        return
    with pytest.raises(HistoryError) as err:
        history_from_frame(frame, BASE)
    assert err.value.key == key
    assert "op 1" in err.value.english or "row 2" in err.value.english


def test_two_overlapping_ops_of_one_process_are_refused():
    frame = history_frame(BASE)
    frame.loc[1, "process"] = "P1"
    frame.loc[1, "call"] = 1  # P1 is still busy with its write (0-2)
    with pytest.raises(HistoryError) as err:
        history_from_frame(frame, BASE)
    assert err.value.key == "err.history.overlap_in_process" and "op 1" in err.value.english


def test_info_op_with_a_return_is_refused():
    frame = history_frame(BASE)
    frame.loc[1, "status"] = "info"
    with pytest.raises(HistoryError) as err:
        history_from_frame(frame, BASE)
    assert err.value.key == "explorer.err.info_has_return"
    frame.loc[1, "return"] = pd.NA
    frame.loc[1, "output"] = ""
    assert history_from_frame(frame, BASE).op(1).status == "info"


def test_a_missing_column_is_refused():
    with pytest.raises(HistoryError) as err:
        history_from_frame(history_frame(BASE).drop(columns=["status"]), BASE)
    assert err.value.key == "explorer.err.missing_column"


@pytest.mark.parametrize("lang", LANGS)
def test_every_table_error_key_is_translated_with_its_placeholders(lang):
    args = {"where": "row 2, column 'call'", "limit": 7, "value": "v", "f": "f", "allowed": "read",
            "status": "s", "column": "c"}
    for key in ERROR_KEYS:
        assert key in catalog(lang), key
        assert "{" not in translate(lang, key, **args), key


_VALUES = st.one_of(st.integers(-10**6, 10**6), st.sampled_from(["a", "b", "null", "1", "⊥", "", " a", "x y"]),
                    st.none(), st.booleans(), st.lists(st.integers(0, 3), max_size=2).map(tuple))


@st.composite
def register_histories(draw):
    """Well-formed register histories: up to 3 processes, each running one op at a time."""
    timed = draw(st.booleans())
    ops, clock = [], 0
    for i in range(draw(st.integers(0, 8))):
        process = draw(st.sampled_from(["P1", "P2", "Q"]))
        f = draw(st.sampled_from(["read", "write"]))
        status = draw(st.sampled_from(["ok", "ok", "fail", "info"]))
        value = draw(_VALUES)
        call = ret = None
        if timed:
            clock += draw(st.integers(1, 3))
            call = clock
            if status != "info":
                clock += draw(st.integers(0, 3))
                ret = clock
        output = value if f == "read" and status == "ok" else None
        ops.append(Op(id=i, process=process, f=f, key=draw(st.sampled_from(["x", "y", None])),
                      input=value if f == "write" else None, output=output, call=call, ret=ret, status=status))
    if timed:  # one op at a time per process: an info op blocks its process for good
        busy: set[str] = set()
        kept = []
        for o in ops:
            if o.process in busy:
                continue
            kept.append(o)
            if o.status == "info":
                busy.add(o.process)
        ops = kept
    return History(ops=tuple(ops), datatype="register", initial={"x": 0}, timed=timed and bool(ops))


@settings(max_examples=60, deadline=None)
@given(register_histories())
def test_table_round_trip(history):
    assert history_from_frame(history_frame(history), history) == history


@settings(max_examples=60, deadline=None)
@given(_VALUES)
def test_cell_text_round_trip(value):
    assert parse_cell(show_cell(value), "cell") == value


# ---- witness text and badges --------------------------------------------------------------------

def test_witness_lines_name_ops_by_their_labels():
    h = parse_notation("P1: W(x)a\nP2: R(x)a W(x)b\nP3: R(x)b R(x)a\n")
    ok = Verdict("pram", "ok", (), {"views": {"P1": [0, 2], "P3": [2, 3, 0, 4]}})
    assert witness_lines(h, ok) == [
        ("explorer.witness.view", {"ops": "P1:W(x)a → P2:W(x)b", "process": "P1"}),
        ("explorer.witness.view", {"ops": "P2:W(x)b → P3:R(x)b → P1:W(x)a → P3:R(x)a", "process": "P3"})]
    bad = Verdict("causal", "illegal", (), {"culprit": 4, "process": "P3", "core": [0, 1, 2, 3, 4]})
    assert [k for k, _ in witness_lines(h, bad)] == ["explorer.witness.culprit", "explorer.witness.process",
                                                     "explorer.witness.core"]
    assert witness_lines(h, bad)[0][1] == {"op": "P3:R(x)a"}
    assert highlight_ids(bad) == (0, 1, 2, 3, 4) and highlight_ids(ok) == ()


def test_witness_parts_the_explanation_already_lists_are_not_repeated():
    h = parse_notation("P1: W(x)a\nP2: R(x)a W(x)b\nP3: R(x)b R(x)a\n")
    said = (Message("chk.any", {"process": "P1", "ops": "P1:W(x)a → P2:W(x)b"}),)
    ok = Verdict("pram", "ok", said, {"views": {"P1": [0, 2], "P3": [2, 3, 0, 4]}})
    assert [a["process"] for _, a in witness_lines(h, ok)] == ["P3"]
    # with the real checkers, every process's view is on the page, said once
    causal = check_all(h)["causal"]  # illegal: its explanation names the process, the culprit and the core
    assert causal.result == "illegal" and witness_lines(h, causal) == []
    for model in ("pram", "monotonic-reads", "read-your-writes"):
        verdict = check_all(h)[model]
        assert verdict.result == "ok"
        shown = [str(v) for m in verdict.explanation for v in m.args.values()]
        shown += [a["ops"] for _, a in witness_lines(h, verdict) if "ops" in a]
        for process, ids in verdict.witness["views"].items():
            assert shown.count(" → ".join(op_text(h, i) for i in ids)) == 1, (model, process)


def test_long_witnesses_are_cut_short():
    h = History(ops=tuple(Op(id=i, process="P1", f="write", key="x", input=i) for i in range(100)), timed=False)
    v = Verdict("sequential", "ok", (), {"order": list(range(100))})
    lines = witness_lines(h, v)
    assert lines[0][0] == "explorer.witness.order" and lines[0][1]["ops"].count("→") == 39
    assert lines[1] == ("explorer.witness.more", {"n": 60})


def test_badges():
    assert badge(Verdict("x", "ok")) == "holds" and badge(Verdict("x", "illegal")) == "violated"
    assert badge(Verdict("x", "unknown")) == "unknown" and badge(None) == "unknown"
    assert badge(Verdict("x", "unknown", applicable=False)) == "not-applicable"
    assert len({s for _, s in BADGE_STYLE.values()}) == 4  # a distinct symbol each: not colour alone


# ---- deadline and pacer --------------------------------------------------------------------------

class FakeClock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


def test_deadline_runs_out_after_the_given_seconds():
    clock = FakeClock()
    keep_going = deadline(2.0, clock)
    assert keep_going()
    clock.now += 1.99
    assert keep_going()
    clock.now += 0.02
    assert not keep_going()


@pytest.mark.parametrize("raw,clamped", [(0.0, MIN_SECONDS), (2.5, 2.5), (1e9, MAX_SECONDS),
                                          (float("nan"), DEFAULT_SECONDS), ("junk", DEFAULT_SECONDS)])
def test_clamp_seconds(raw, clamped):
    assert clamp_seconds(raw) == clamped


def test_pacer_gives_each_model_its_own_deadline_and_throttles_progress():
    clock, reports = FakeClock(), []
    pacer = Pacer(1.0, lambda frac, model: reports.append((round(frac, 3), model)), models=("a", "b"),
                  clock=clock, every_s=0.1)
    first = pacer.budget()
    assert reports == [(0.0, "a")]
    for _ in range(50):  # polled 50 times within 0.05 s: no new report
        clock.now += 0.001
        assert first.keep_going()
    assert len(reports) == 1
    clock.now += 0.5
    assert first.keep_going() and reports[-1] == (0.275, "a")
    clock.now += 0.6
    assert not first.keep_going()  # model a's second is up
    second = pacer.budget()  # model b starts with a full second
    assert reports[-1] == (0.5, "b") and second.keep_going()
    with pytest.raises(OutOfBudget):
        clock.now += 5
        second.poll = 1
        second._next_poll = 0
        second.tick()


def test_result_key_depends_on_history_and_budget():
    a, b = to_json(BASE), to_json(parse_notation("P1: W(x)2"))
    assert result_key(a, 2) == result_key(a, 2.0) != result_key(a, 4) and result_key(a, 2) != result_key(b, 2)
    assert result_key(a, 1e9) == result_key(a, MAX_SECONDS)  # the key uses the budget actually applied

