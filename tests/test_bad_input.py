"""Issue section 6: hostile uploads and URL parameters get a translated message; the page keeps working.

Pure tests call ``ui.uploads.read_upload`` / ``ui.share`` directly; app tests drive the Protocol Lab
with ``AppTest`` (file uploader and ``st.query_params``) and check no exception, a translated error,
and that the page still renders the lab.
"""

import json
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from sim.edit import default_scenario
from sim.engine import run
from sim.scenario import ScenarioError
from ui.i18n import has, translate
from ui.uploads import MAX_UPLOAD_BYTES, read_upload

APP = str(Path(__file__).resolve().parents[1] / "app.py")
GOOD = default_scenario("two-phase-commit").to_dict()


def _with(**changes):
    d = json.loads(json.dumps(GOOD))
    for path, value in changes.items():
        node = d
        keys = path.split("__")
        for k in keys[:-1]:
            node = node[k]
        node[keys[-1]] = value
    return json.dumps(d).encode()


BAD_FILES = {
    "binary junk": (bytes(range(256)) * 8, "err.not_utf8", ""),
    "ten megabytes": (b"a" * (10 * 1024 * 1024), "err.too_large", ""),
    "empty": (b"   \n", "err.empty", ""),
    "deep json": (b'{"a":' * 150_000 + b"1" + b"}" * 150_000, "err.nested", ""),
    "deep yaml list": (b"[" * 60_000 + b"]" * 60_000, "err.syntax", ""),
    "python tag": (b"!!python/object/apply:os.system ['echo pwned']\n", "err.syntax", ""),
    "python tag in field": (b"protocol: !!python/object:builtins.dict {}\n", "err.syntax", ""),
    "alias bomb": (b"a: &a [x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a]\n"
                   b"c: &c [*b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c]\n", "err.syntax", ""),
    "wrong format": (_with(format="something-else"), "err.format", "format"),
    "wrong version": (_with(version=99), "err.version", "version"),
    "unknown protocol": (_with(protocol="paxos-made-up"), "err.unknown_protocol", "protocol"),
    "unknown node in fault": (_with(faults=[{"type": "crash", "node": "zz", "at": 3}]), "err.unknown_node",
                              "faults[0].node"),
    "negative latency": (_with(network__latency__low=-5), "err.out_of_range", "network.latency.low"),
    "a million nodes": (_with(params__participants=1_000_000), "err.param", "params.participants"),
    "a billion steps": (_with(limits={"max_steps": 1_000_000_000}), "err.out_of_range", "limits.max_steps"),
    "loss 7": (_with(network__loss=7), "err.probability", "network.loss"),
    "not a mapping": (b"- 1\n- 2\n", "err.not_mapping", ""),
    "trace wrong version": (json.dumps({"format": "consistency-lab-trace", "version": 42, "scenario": GOOD,
                                        "events": []}).encode(), "err.version", "version"),
    "trace bad scenario": (json.dumps({"format": "consistency-lab-trace", "version": 1,
                                       "scenario": {**GOOD, "protocol": "nope"}, "events": []}).encode(),
                           "err.unknown_protocol", "scenario.protocol"),
    "trace events not list": (json.dumps({"format": "consistency-lab-trace", "version": 1, "scenario": GOOD,
                                          "events": "x"}).encode(), "err.not_list", "events"),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_upload_pure(name):
    data, key, path = BAD_FILES[name]
    with pytest.raises(ScenarioError) as exc:
        read_upload(data)
    assert exc.value.key == key, exc.value
    assert exc.value.path == path
    assert has("en", key) and has("zh", key)


def test_good_trace_upload_reads_scenario_and_events():
    trace = run(default_scenario("two-phase-commit"))
    up = read_upload(trace.to_json().encode())
    assert up.kind == "trace" and up.scenario == trace.scenario and len(up.events) == len(trace.events)


def _lab(lang="en", **params):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = lang
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    at.switch_page("pages/lab.py")
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    return at


def _assert_page_alive(at, lang):
    assert not at.exception, [e.value for e in at.exception]
    assert translate(lang, "lab.title") in [t.value for t in at.title]


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("name", ["binary junk", "ten megabytes", "python tag", "alias bomb", "unknown node in fault",
                                  "loss 7", "a billion steps", "deep json"])
def test_bad_upload_in_app(name, lang):
    data, key, path = BAD_FILES[name]
    at = _lab(lang)
    before = at.session_state["lab.scenario_json"]
    at.file_uploader(key="lab.upload").set_value(("bad.yaml", data, "application/octet-stream")).run()
    _assert_page_alive(at, lang)
    errors = " ".join(e.value for e in at.error)
    reason = translate(lang, key).split("{")[0].strip()
    assert reason[:8] in errors, errors
    if path:
        assert path.split("[")[0].split(".")[0] in errors
    assert at.session_state["lab.scenario_json"] == before  # the page kept working on the old scenario
    assert "<script" not in errors and "pwned" not in json.dumps(at.session_state["lab.scenario_json"])


def test_good_trace_upload_in_app_says_it_matches():
    trace = run(default_scenario("logical-clocks"))
    at = _lab()
    at.file_uploader(key="lab.upload").set_value(("t.json", trace.to_json().encode(), "application/json")).run()
    _assert_page_alive(at, "en")
    assert any(str(len(trace.events)) in s.value for s in at.success)
    assert json.loads(at.session_state["lab.scenario_json"])["protocol"] == "logical-clocks"


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("params, key", [
    ({"p": "!!!"}, "err.share_garbled"),
    ({"p": "aGVsbG8gd29ybGQ"}, "err.share_garbled"),  # valid base64 of junk
    ({"p": "eJwrSS0uSQQABtoCHQ"}, "err.share_garbled"),  # valid base64 + zlib of junk
    ({"c": "-5"}, "err.cursor"),
    ({"c": "99999999"}, "err.cursor"),
    ({"c": "abc"}, "err.cursor"),
    ({"p": "A" * 20_000}, "err.share_too_long"),
])
def test_garbage_url_params(params, key, lang):
    at = _lab(lang, **params)
    _assert_page_alive(at, lang)
    errors = " ".join(e.value for e in at.error)
    assert translate(lang, key).split("{")[0][:8] in errors, errors


@pytest.mark.parametrize("lang", ["xx", "", "<b>zh</b>", "en&p=1"])
def test_garbage_lang_falls_back_to_english(lang):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = lang
    at.run()
    assert not at.exception
    assert translate("en", "core.home.title") in [t.value for t in at.title]
    assert at.query_params["lang"] in ("en", ["en"])


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_step_beyond_the_run_is_clamped_and_said(lang):
    at = _lab(lang, c="5000")  # within the bound, beyond this run's end
    _assert_page_alive(at, lang)
    last = at.session_state["lab.cursor"]
    assert 0 < last < 5000
    assert translate(lang, "lab.cursor_clamped", step=5000, last=last) in [i.value for i in at.info]
