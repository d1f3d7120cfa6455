"""The Protocol Lab's live verdicts (ui/lab_verdicts.py): a store's client history up to the cursor
against every model, what the store claims, the model in focus — in both languages; hidden for
protocols whose client operations are not reads and writes."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from checkers.verdict import Verdict
from lessons.presets import load_preset
from sim.engine import run
from ui.explorer_witness import model_name_key
from ui.i18n import translate
from ui.lab_verdicts import focus_model
from ui.share import encode

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _lab(lang: str, preset: str, cursor: int | None = None) -> AppTest:
    sc = load_preset(preset)
    cursor = run(sc).n_steps - 1 if cursor is None else cursor
    at = AppTest.from_file(APP, default_timeout=90)
    at.query_params["lang"] = lang
    at.query_params["p"] = encode(sc, cursor)
    at.run()
    at.switch_page("pages/lab.py")
    at.query_params["p"] = encode(sc, cursor)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _subheaders(at) -> list[str]:
    return [s.value for s in at.subheader]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_correct_raft_run_claims_linearizable_and_holds_it(lang):
    at = _lab(lang, "raft-leader-crash")
    assert translate(lang, "lab.verdicts.title") in _subheaders(at)
    text = " ".join(m.value for m in at.markdown)
    assert translate(lang, "lab.verdicts.claims") in text and translate(lang, model_name_key("linearizable")) in text
    assert not at.error
    assert at.get("plotly_chart")  # timeline and map drawn


def test_a_bug_variant_shows_the_violated_model_in_focus():
    at = _lab("en", "multi-paxos-bug-no-reproposal")
    assert translate("en", "lab.verdicts.title") in _subheaders(at)
    text = " ".join(m.value for m in at.markdown)
    assert f"**{translate('en', model_name_key('linearizable'))}**" in text  # the model in focus
    assert translate("en", "lab.verdicts.no_claim_bug") in [c.value for c in at.caption]


@pytest.mark.parametrize("preset", ["two-phase-commit-happy-path", "paxos-happy-path"])
def test_protocols_that_are_not_stores_show_no_verdicts(preset):
    at = _lab("en", preset)
    assert translate("en", "lab.verdicts.title") not in _subheaders(at)


def test_no_verdicts_before_the_first_client_operation():
    at = _lab("en", "raft-leader-crash", cursor=0)
    assert translate("en", "lab.verdicts.title") not in _subheaders(at)


def _v(result: str) -> Verdict:
    return Verdict(model="x", result=result, applicable=True)


def test_focus_is_the_first_broken_claim_then_the_strongest_violation():
    ok, bad = _v("ok"), _v("illegal")
    verdicts = {"linearizable": bad, "sequential": bad, "causal": ok}
    assert focus_model(verdicts, ("sequential",)) == "sequential"
    assert focus_model(verdicts, ()) == "linearizable"
    assert focus_model({"linearizable": ok, "sequential": ok}, ("linearizable",)) in ("linearizable", "sequential")


def test_anomaly_marks_point_at_the_invoke_and_return_events_of_the_violation():
    from checkers import check
    from checkers.from_trace import history_from_trace
    from ui.explorer_witness import highlight_ids
    from ui.lab_verdicts import LiveVerdicts, anomaly_marks

    trace = run(load_preset("multi-paxos-bug-no-reproposal"))
    history, events = history_from_trace(trace)
    verdict = check(history, "linearizable")
    lv = LiveVerdicts(history, events, {"linearizable": verdict}, (), "linearizable", trace.n_steps - 1, "x")
    marks = anomaly_marks(lv)
    assert marks and len(marks["ops"]) == len(highlight_ids(verdict)) >= 2
    for inv, ret, kind in marks["ops"]:
        assert trace.events[inv].kind == "invoke" and kind in ("core", "culprit")
        assert ret is None or (trace.events[ret].kind == "return" and ret > inv)
    assert anomaly_marks(lv._replace(verdicts={"linearizable": Verdict(model="linearizable", result="ok")})) is None
    assert anomaly_marks(None) is None and anomaly_marks("a message") is None


STORES = sorted(pid for pid, spec in __import__("protocols").REGISTRY.items()
                if spec.teaching and spec.claims(spec.resolve_params({}), None) and spec.replica_view is None)


@pytest.mark.parametrize("protocol", STORES)
def test_every_store_preset_runs_in_the_lab_with_its_verdicts(protocol):
    """Each replicated store's presets in the Lab (English; the first also in 简体中文): no exception,
    no untranslated key, and the live verdicts at the last step."""
    from lessons.presets import list_presets

    presets = list_presets(protocol)
    assert presets, f"{protocol} has no guided scenario"
    for n, preset in enumerate(presets):
        for lang in (("en", "zh") if n == 0 else ("en",)):
            at = _lab(lang, preset.id)
            assert translate(lang, "lab.verdicts.title") in _subheaders(at), (preset.id, lang)
            text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
            assert not any(f"[{area}." in text for area in ("lab", "chk", "model", "explorer")), (preset.id, text[:300])
