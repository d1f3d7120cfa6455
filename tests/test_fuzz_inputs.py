"""Untrusted input never escapes as anything but a ``ScenarioError`` (Hypothesis fuzzing).

Scenario dicts, uploaded files and share links come from users. Whatever they contain,
the parsers must either accept them (a valid, bounded scenario) or raise ``ScenarioError``
naming the problem — never another exception, which would be a traceback on the page.
"""

from __future__ import annotations

import functools
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.engine import run
from sim.files import load_file
from sim.scenario import Scenario, ScenarioError, parse_scenario
from ui.share import decode

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=25)

FIELDS = ("format", "version", "protocol", "params", "bug", "seed", "network", "faults", "workload", "delivery",
          "limits", "meta")
near_valid = st.fixed_dictionaries(
    {"protocol": st.sampled_from(["two-phase-commit", "logical-clocks", "ping", "nope", 3, None])},
    optional={name: json_values for name in FIELDS if name != "protocol"} | {
        "faults": st.lists(st.dictionaries(st.sampled_from(["type", "at", "after_step", "node", "msg", "by",
                                                            "groups", "links"]), json_values, max_size=5),
                           max_size=3),
        "network": st.dictionaries(st.sampled_from(["latency", "loss", "duplicate", "reorder", "reorder_delay"]),
                                   json_values, max_size=4),
    })

@functools.cache
def _preset_texts() -> tuple[str, ...]:
    from lessons.presets import list_presets, load_preset

    return tuple(load_preset(p.id).to_json() for p in list_presets())


@st.composite
def mutated_presets(draw):
    """A real preset with one field replaced: mostly valid, so accepted scenarios get exercised too."""
    doc = json.loads(draw(st.sampled_from(_preset_texts())))  # a fresh copy: it is mutated below
    section = draw(st.sampled_from(["params", "network", "limits", "delivery", None]))
    value = draw(json_values | st.integers(-5, 300) | st.floats(0, 1))
    if section is None or not isinstance(doc.get(section), dict) or not doc[section]:
        doc[draw(st.sampled_from(FIELDS))] = value
    else:
        doc[section][draw(st.sampled_from(sorted(doc[section])))] = value
    return doc


SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _accepts_or_names_the_problem(parse, value):
    try:
        result = parse(value)
    except ScenarioError as e:
        assert isinstance(e.key, str) and e.key.startswith("err.")
        return None
    return result


@SETTINGS
@given(st.one_of(json_values, near_valid, mutated_presets()))
def test_parse_scenario_accepts_or_raises_scenario_error(doc):
    sc = _accepts_or_names_the_problem(parse_scenario, doc)
    if sc is not None:
        assert isinstance(sc, Scenario)
        assert parse_scenario(json.loads(sc.to_json())) == sc  # what we accept round-trips
        trace = run(sc.replace(max_steps=min(sc.max_steps, 300)))  # ... and runs to a clear end
        assert trace.end["reason"] in {"quiescent", "max_steps", "max_time", "max_pending", "awaiting_choice",
                                       "bad_choice"}


@SETTINGS
@given(st.one_of(st.binary(max_size=300),
                 near_valid.map(lambda d: json.dumps(d, default=str).encode()),
                 st.text(max_size=300).map(str.encode)))
def test_uploaded_bytes_are_accepted_or_refused_with_a_reason(data):
    _accepts_or_names_the_problem(load_file, data)


@SETTINGS
@given(st.text(max_size=200) | st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
                                       max_size=400))
def test_share_links_are_accepted_or_refused_with_a_reason(text):
    _accepts_or_names_the_problem(decode, text)
