"""AppTest for every page in both languages, and the Protocol Lab's flows: cursor, crash fault from the
palette, manual delivery, share link round trip."""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sim.scenario import parse_scenario
from ui import share
from ui.i18n import translate

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGES = {"pages/home.py": "core.home.title", "pages/lab.py": "lab.title",
         "pages/clocks.py": "clocks.title", "pages/models.py": "explorer.title", "pages/compare.py": "compare.title",
         "pages/crdts.py": "crdt_page.title", "pages/gossip.py": "gossip_page.title",
         "pages/lessons.py": "lessons_page.title", "pages/glossary.py": "glossary.title"}


def _app(lang: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception
    return at


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders_in_both_languages(page, lang):
    at = _app(lang)
    at.switch_page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    assert translate(lang, PAGES[page]) in [t.value for t in at.title]
    text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert not any(f"[{area}." in text for area in ("core", "lab", "clocks", "explorer", "model", "chk", "crdt_page",
                                                    "gossip_page", "conv", "lessons_page"))  # no missing keys


def test_language_selector_switches_to_chinese():
    at = _app("en")
    at.selectbox(key="lang.select").set_value("zh").run()
    assert not at.exception
    assert translate("zh", "core.home.title") in [t.value for t in at.title]
    assert at.query_params["lang"] in ("zh", ["zh"])


def test_home_links_each_of_the_eight_topics_to_its_lesson():
    at = _app("en")
    text = " ".join(m.value for m in at.markdown)
    for topic in ("background", "concepts", "maths", "code", "bigdata", "tools", "trends", "faq"):
        assert translate("en", f"core.topic.{topic}.title") in text
    coming = translate("en", "core.home.coming").split("{")[0]
    assert not [c for c in at.caption if c.value.startswith(coming)]  # every topic has its lesson now
    lesson_links = [p.proto for p in at.get("page_link") if p.proto.label == translate("en", "core.home.read_lesson")]
    assert sorted(p.query_string.split("lesson=")[1].split("&")[0] for p in lesson_links) == sorted(
        ["background", "concepts", "principles", "practice", "applications", "tools", "trends", "faq"])


def _lab(lang="en") -> AppTest:
    at = _app(lang)
    at.switch_page("pages/lab.py").run()
    assert not at.exception
    return at


def _scenario(at):
    return parse_scenario(json.loads(at.session_state["lab.scenario_json"]))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_lab_crash_fault_changes_the_trace(lang):
    at = _lab(lang)
    at.selectbox(key="lab.w.protocol").set_value("two-phase-commit").run()
    assert _scenario(at).protocol == "two-phase-commit"
    at.session_state["lab.cursor"] = 4
    at.run()
    assert at.session_state["lab.cursor"] == 4
    at.selectbox(key="lab.fp.node").set_value("tm")
    at.button(key="lab.fp.crash").click().run()
    assert not at.exception
    sc = _scenario(at)
    assert [(f.type, f.node, f.after_step) for f in sc.faults][-1] == ("crash", "tm", 4)
    assert at.session_state["lab.cursor"] == 5
    from ui.runner import run_json
    trace = run_json(sc.to_json())
    assert [e.kind for e in trace.events_of_step(5)] == ["crash"]
    assert any(translate(lang, "lab.faults.applied.crash", node="tm", step=4)[:6] in s.value for s in at.success)


def test_lab_manual_mode_choose_a_message():
    at = _lab()
    at.radio(key="lab.w.mode").set_value("manual").run()
    assert _scenario(at).mode == "manual"
    pick = at.selectbox(key="lab.manual.pick")
    choice = pick.options[-1].split(":")[0]
    before = len(_scenario(at).choices)
    pick.set_value(choice)
    at.button(key="lab.manual.go").click().run()
    assert not at.exception
    sc = _scenario(at)
    assert sc.choices[-1] == choice and len(sc.choices) == before + 1
    from ui.runner import run_json
    trace = run_json(sc.to_json())
    assert trace.steps[at.session_state["lab.cursor"]].ref == choice


def test_share_link_restores_scenario_and_cursor():
    at = _lab()
    at.session_state["lab.cursor"] = 3
    at.selectbox(key="lab.fp.node").set_value("rm1")
    at.button(key="lab.fp.crash").click().run()
    sc, cursor = _scenario(at), at.session_state["lab.cursor"]
    link = at.code[-1].value
    blob = link.split("p=")[1]
    assert share.decode(blob) == (sc, cursor)
    # a classmate opens the link in a fresh session
    fresh = AppTest.from_file(APP, default_timeout=60)
    fresh.query_params["lang"] = "zh"
    fresh.query_params["p"] = blob
    fresh.run()
    fresh.switch_page("pages/lab.py")
    fresh.query_params["p"] = blob
    fresh.run()
    assert not fresh.exception
    assert _scenario(fresh) == sc and fresh.session_state["lab.cursor"] == cursor
    assert translate("zh", "lab.title") in [t.value for t in fresh.title]


def test_lab_offers_trace_and_scenario_downloads():
    """The labels only: the files themselves are checked in the browser (test_download_trace_is_valid_trace_json)
    and the upload path in test_bad_input (test_good_trace_upload_in_app_says_it_matches)."""
    at = _lab()
    buttons = at.get("download_button")
    names = [d.proto.label for d in buttons if "-lab.dl." in d.proto.id]
    assert names == [translate("en", k) for k in ("lab.io.export_trace", "lab.io.export_scenario", "lab.io.export_yaml")]
    # and the diagram's own export (tests/test_export.py checks its contents)
    assert [d.proto.label for d in buttons if d.proto.id.endswith("-lab.export.html")] == [translate("en", "export.html")]


def test_clocks_select_two_events_explains_relation():
    at = _app("en")
    at.switch_page("pages/clocks.py").run()
    a, b = at.selectbox(key="clocks.pick_a"), at.selectbox(key="clocks.pick_b")
    opts = a.options
    assert len(opts) >= 4
    ids = [int(o.split()[0][1:]) for o in opts]  # labels start with the event id, e.g. "e4 · p2 ..."
    a.set_value(ids[0])
    b.set_value(ids[-1])
    at.run()
    assert not at.exception
    # the sentence the page shows is the one ui.clocks_view.explain gives for the page's own run
    from protocols import REGISTRY
    from sim.edit import apply_controls, default_scenario
    from ui.clocks_view import explain
    from ui.i18n import translator
    from ui.runner import run_json
    from viz.clock_events import textbook_events

    spec = REGISTRY["logical-clocks"]
    sc = apply_controls(default_scenario(spec.id), {"params": {p.name: at.number_input(key=f"clocks.p.{p.name}").value
                                                               for p in spec.params},
                                                    "seed": at.number_input(key="clocks.seed").value, "bug": None})
    trace = run_json(sc.to_json())
    by_i = {e.i: e for e in textbook_events(trace)}
    rel, vec, _ = explain(by_i[ids[0]], by_i[ids[-1]], trace.nodes, translator("en"))
    shown = at.warning if rel == "concurrent" else at.success
    assert vec in [x.value for x in shown], (rel, vec)
    assert at.dataframe[0].value.shape[0] == len(opts)


def test_lab_static_views_behind_toggle():
    at = _lab()
    assert len(at.get("plotly_chart")) == 0  # gated: nothing heavy until asked
    at.toggle(key="lab.static").set_value(True).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 3 and len(at.dataframe) == 2  # overview, diagram, topology


def test_lab_offers_teaching_protocols_only():
    at = _lab("en")
    from protocols import REGISTRY

    options = at.selectbox(key="lab.w.protocol").options
    assert options[:2] == [translate("en", "proto.two-phase-commit.title"), translate("en", "proto.logical-clocks.title")]
    assert options == [translate("en", spec.title_key) for spec in REGISTRY.values() if spec.teaching]
    assert translate("en", "proto.ping.title") not in options
