"""The CRDT page (pages/crdts.py, ui/crdt_view.py) in both languages, and its merge-law check."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from lessons.presets import list_presets
from protocols.crdt_types import TYPES
from sim.engine import run
from sim.scenario import parse_scenario
from tests.support.apptest import open_page
from ui.crdt_view import crdt_protocols, merge_laws, replica_states
from ui.i18n import translate

def _page(lang: str) -> AppTest:
    return open_page("pages/crdts.py", lang, timeout=120)


def test_every_crdt_protocol_is_offered():
    assert set(crdt_protocols()) == set(TYPES) and len(TYPES) == 5


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_type_and_preset_opens_and_converges_or_says_it_does_not(lang):
    at = _page(lang)
    assert translate(lang, "crdt_page.title") in [x.value for x in at.title]
    for pid in crdt_protocols():
        at.selectbox(key="crdt.type").set_value(pid).run()
        for preset in ["", *(p.id for p in list_presets(pid))]:
            at.selectbox(key=f"crdt.preset.{pid}").set_value(preset).run()
            assert not at.exception, (pid, preset, [e.value for e in at.exception])
            assert len(at.get("plotly_chart")) == 1  # the convergence view
            messages = [m.value for m in (*at.success, *at.warning)]
            assert len(messages) == 1, (pid, preset)
            assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 4  # the four laws


def test_the_sum_merge_bug_fails_idempotence_on_the_runs_own_states():
    at = _page("en")
    at.selectbox(key="crdt.type").set_value("g-counter").run()
    at.selectbox(key="crdt.preset.g-counter").set_value("").run()
    table = at.dataframe[0].value
    assert all(v == "✓" for v in table.iloc[:, 1])  # the correct merge: every law holds
    bug = next(b for b in at.selectbox if b.key.startswith("crdt.bug.g-counter"))
    bug.set_value("sum-merge").run()
    assert not at.exception, [e.value for e in at.exception]
    held = dict(zip(at.dataframe[0].value.iloc[:, 0], at.dataframe[0].value.iloc[:, 1]))
    assert held[translate("en", "crdt_page.law.idempotent")].startswith("✗")
    assert held[translate("en", "crdt_page.law.commutative")] == "✓"  # summing still commutes
    (broken,) = at.error  # the run's own invariants catch it too
    assert broken.value.startswith(translate("en", "crdt_page.invariants_broken", names="")[:20])


def test_merge_laws_on_real_states_of_every_type():
    for pid in crdt_protocols():
        t = run(parse_scenario({"protocol": pid, "seed": 3}))
        states = replica_states(t, t.n_steps - 1)
        a, b, c = (states[n] for n in sorted(states)[:3])
        assert all(merge_laws(TYPES[pid], None, a, b, c).values()), pid
