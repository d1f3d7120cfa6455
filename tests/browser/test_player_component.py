"""Real-browser test of the client-side trace player (Debian chromium via Playwright).

Starts ``bench/player_demo_app.py`` on a free loopback port (tests/support/server.py) and
drives it with the session browser from tests/browser/conftest.py (``player_page``).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.browser import wait_idle
from tests.support.server import ROOT, running
from ui.i18n import translate

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def player_server(browser_type_launch_args):  # the conftest fixture fails/skips when chromium is missing
    with running(ROOT / "bench" / "player_demo_app.py", cwd=ROOT, timeout_s=90) as server:
        yield server.url


def _open(page, url):
    page.goto(url)
    expect(page.locator(".tp-step-label")).to_contain_text("0 /")
    wait_idle(page)


def test_keys_and_buttons_step_in_the_browser(player_server, player_page):
    page = player_page
    _open(page, player_server + "/?steps=200")
    label = page.locator(".tp-step-label")
    page.locator(".tp-root").focus()
    page.keyboard.press("ArrowRight")
    expect(label).to_contain_text("step 1 /")
    page.keyboard.press("ArrowRight")
    expect(label).to_contain_text("step 2 /")
    page.keyboard.press("ArrowLeft")
    expect(label).to_contain_text("step 1 /")
    page.keyboard.press("End")
    expect(label).to_contain_text("step 200 / 200")
    page.keyboard.press("Home")
    expect(label).to_contain_text("step 0 / 200")
    page.locator(".tp-forward").click()
    expect(label).to_contain_text("step 1 /")
    page.locator(".tp-last").click()
    expect(label).to_contain_text("step 200 /")
    page.locator(".tp-back").click()
    expect(label).to_contain_text("step 199 /")
    page.locator(".tp-first").click()
    expect(label).to_contain_text("step 0 /")
    expect(page.locator(".tp-state-table")).to_contain_text("received")
    expect(page.locator(".tp-svg line.tp-arrow").first).to_be_attached()
    # vector clocks rebuilt in JS agree with the simulator's
    from sim.engine import run
    from sim.scenario import parse_scenario

    tr = run(parse_scenario({"protocol": "ping", "seed": 1, "params": {"nodes": 5}, "limits": {"max_steps": 200}}))
    js = page.evaluate("n => Array.from({length: n}, (_, i) => document.querySelector('.tp-root').__tp.vcOf(i))",
                       len(tr.events))
    assert js == ["" if e.vc is None else "[" + ",".join(map(str, e.vc)) + "]" for e in tr.events]
    # the debounced cursor report reaches Python (one rerun)
    page.locator(".tp-forward").click()
    expect(page.get_by_text("cursor=1 ")).to_be_visible()


def test_play_advances_without_server_reruns(player_server, player_page):
    page = player_page
    _open(page, player_server + "/?steps=200")
    page.evaluate("""() => { window.__reruns = 0; const app = document.querySelector('[data-testid="stApp"]');
        new MutationObserver(() => { if (app.getAttribute('data-test-script-state') === 'running') window.__reruns++; })
          .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']}); }""")
    page.locator(".tp-speed").select_option("40")
    page.locator(".tp-play").click()
    page.wait_for_function("Number(document.querySelector('.tp-root').dataset.cursor) >= 20")
    assert page.evaluate("window.__reruns") == 0
    page.locator(".tp-play").click()  # pause: reports the cursor once
    wait_idle(page)
    k = int(page.locator(".tp-root").get_attribute("data-cursor"))
    assert k >= 20
    expect(page.get_by_text(f"cursor={k} ")).to_be_visible()


def test_manual_choice_reaches_python(player_server, player_page):
    page = player_page
    page.goto(player_server + "/?manual=1")
    expect(page.locator(".tp-pending-item").first).to_be_visible()
    wait_idle(page)
    item = page.locator('.tp-pending-item[data-id="m2"]')
    item.click()
    expect(page.get_by_text("chosen=m2 selected")).to_be_visible()  # exactly one choice, no replayed trigger
    wait_idle(page)
    page.locator(".tp-root").focus()
    page.keyboard.press("ArrowLeft")  # the step before "end" delivered m2
    expect(page.locator(".tp-events")).to_contain_text("(m2)")
    page.keyboard.press("End")
    expect(page.locator('.tp-pending-item[data-id="m2"]')).to_have_count(0)


PRESET = "two-phase-commit-coordinator-crash"


def _captions(lang):
    from lessons.presets import load_preset

    return {c["step"]: c[lang] for c in load_preset(PRESET).meta["captions"]}


def test_preset_captions_follow_the_cursor_and_jump(player_server, player_page):
    page = player_page
    caps = _captions("en")
    steps = sorted(caps)
    _open(page, player_server + f"/?preset={PRESET}")
    label, box = page.locator(".tp-step-label"), page.locator(".tp-caption")
    count = page.locator(".tp-caption-count")
    expect(box).to_contain_text(f"step {steps[0]}")  # before the story starts: where it starts
    expect(count).to_have_text(f"caption – of {len(steps)}")
    expect(page.locator(".tp-prev-caption")).to_be_disabled()
    page.locator(".tp-root").focus()
    for _ in range(steps[0]):
        page.keyboard.press("ArrowRight")
    expect(label).to_contain_text(f"step {steps[0]} /")
    expect(box).to_have_text(caps[steps[0]])
    expect(box).to_have_class("tp-caption tp-caption-now")
    page.keyboard.press("ArrowRight")  # onto the next captioned step: the text changes
    expect(box).to_have_text(caps[steps[1]])
    page.keyboard.press("End")  # past the last caption: it stays, no longer highlighted
    expect(box).to_have_text(caps[steps[-1]])
    expect(box).not_to_have_class("tp-caption tp-caption-now")
    expect(page.locator(".tp-next-caption")).to_be_disabled()
    page.keyboard.press("Home")
    page.locator(".tp-next-caption").click()
    expect(label).to_contain_text(f"step {steps[0]} /")
    page.locator(".tp-next-caption").click()
    expect(label).to_contain_text(f"step {steps[1]} /")
    expect(count).to_have_text(f"caption 2 of {len(steps)}")
    page.locator(".tp-root").focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")  # between captions: the previous caption button goes back to its step
    page.locator(".tp-prev-caption").click()
    expect(label).to_contain_text(f"step {steps[2]} /")
    expect(box).to_have_text(caps[steps[2]])
    # the debounced cursor report reaches Python once stepping stops
    expect(page.get_by_text(f"cursor={steps[2]} ")).to_be_visible()


def test_state_is_one_table_per_role_with_timers_last(player_server, player_page):
    page = player_page
    page.set_viewport_size({"width": 1100, "height": 1400})  # the player about 1,000 px wide
    from lessons.presets import caption_at, load_preset
    from sim.engine import run

    sc = load_preset(PRESET)
    tr = run(sc.replace(params={**sc.params, "participants": 8}))
    at = next(e.step for e in tr.events if e.kind == "crash")  # tm is down from this step on
    page.goto(player_server + f"/?preset={PRESET}&participants=8&lang=zh&cursor={at}")
    expect(page.locator(".tp-step-label")).to_contain_text(f"第 {at} 步")
    wait_idle(page)
    expect(page.locator(".tp-caption")).to_have_text(caption_at(sc.meta, at, "zh"))
    tables = page.locator(".tp-state-table table")
    expect(tables).to_have_count(2)  # coordinator, participant
    for i in range(2):
        expect(tables.nth(i).locator("tr").first.locator("th").last).to_have_text("armed_timers")
    expect(tables.nth(0).locator("tr").first.locator("th").nth(1)).to_have_text("tm_state")  # declared order
    expect(tables.nth(1).locator("tr")).to_have_count(1 + 8)
    down = tables.nth(0).locator("tr.tp-is-down")
    expect(down).to_have_count(1)
    expect(down.locator("td.tp-lost")).to_have_count(3)  # collecting, client, to_notify
    expect(down.locator("td").first).to_have_text("committed")  # durable: survives the crash
    widths = page.evaluate("""() => { const s = document.querySelector('.tp-state'), r = document.querySelector('.tp-root');
        return [s.scrollWidth, s.clientWidth, r.clientWidth]; }""")
    assert widths[2] <= 1_000 and widths[0] <= widths[1], widths  # no sideways scrolling at the lab's width
    assert page.evaluate("document.querySelector('.tp-svg').getBoundingClientRect().height") >= 280


def _first_leader(preset_id):
    """(step, node index, term) of the first step after which some server leads."""
    from lessons.presets import load_preset
    from sim.engine import run

    tr = run(load_preset(preset_id))
    for step in range(tr.n_steps):
        for node, s in tr.states_at(step).items():
            if s.get("role") == "leader":
                return step, tr.nodes.index(node), s["current_term"]
    raise AssertionError("no leader")


def test_lane_header_shows_the_live_raft_role(player_server, player_page):
    import re

    page = player_page
    step, lane, term = _first_leader("raft-leader-crash")
    page.goto(player_server + f"/?preset=raft-leader-crash&cursor={step - 1}")
    label = page.locator(".tp-step-label")
    expect(label).to_contain_text(f"step {step - 1} /")
    wait_idle(page)
    head = page.locator(f'.tp-svg .tp-lane-head[data-lane="{lane}"]')
    expect(head).to_have_attribute("data-role", "candidate")  # it stood for election
    expect(head).to_contain_text("candidate")
    page.locator(".tp-root").focus()
    page.keyboard.press("ArrowRight")
    expect(label).to_contain_text(f"step {step} /")
    expect(head).to_have_attribute("data-role", "leader")
    expect(head).to_have_class(re.compile(r"\btp-is-leader\b"))
    expect(head).to_contain_text("★")
    expect(head.locator(".tp-lane-role")).to_have_text(f"leader · Term {term}")
    expect(page.locator(f'.tp-svg .tp-role-band[data-lane="{lane}"][data-role="leader"]')).to_have_count(1)
    expect(page.locator(".tp-svg .tp-lane-head.tp-is-leader")).to_have_count(1)  # exactly one leader
    page.keyboard.press("ArrowLeft")  # and back: the header follows the cursor
    expect(head).to_have_attribute("data-role", "candidate")


def test_violation_highlights_lanes_arrow_and_explains(player_server, player_page):
    import re

    from lessons.presets import load_preset
    from sim.engine import run
    from viz.violations import episodes

    page = player_page
    tr = run(load_preset("raft-bug-figure-8"))
    ep = episodes(tr)[0]
    lanes = [tr.nodes.index(n) for n in ep.nodes]
    page.goto(player_server + f"/?preset=raft-bug-figure-8&cursor={ep.start - 1}")
    label = page.locator(".tp-step-label")
    expect(label).to_contain_text(f"step {ep.start - 1} /")
    wait_idle(page)
    expect(page.locator(".tp-svg .tp-lane-head.tp-involved")).to_have_count(0)  # nothing broken yet
    expect(page.locator(".tp-violation-text")).to_have_count(0)
    page.locator(".tp-root").focus()
    page.keyboard.press("ArrowRight")
    expect(label).to_contain_text(f"step {ep.start} /")
    for lane in lanes:
        expect(page.locator(f'.tp-svg .tp-lane-head[data-lane="{lane}"]')).to_have_class(re.compile(r"\btp-involved\b"))
        expect(page.locator(f'.tp-svg .tp-involved-lane[data-lane="{lane}"]')).to_have_count(1)
    expect(page.locator(".tp-svg .tp-lane-head.tp-involved")).to_have_count(len(lanes))
    expect(page.locator(f'.tp-svg .tp-arrow.tp-breaking[data-mid="{ep.msg_id}"]')).to_have_count(1)
    text = page.locator(".tp-violation-text")
    expect(text).to_be_visible()
    expect(text).to_contain_text(f"Leader Completeness broke at step {ep.start}: s2 leads term 7")
    # later on, the badge jumps back to the step where it broke
    page.keyboard.press("End")
    expect(label).to_contain_text(f"step {tr.n_steps - 1} /")
    page.locator(f'.tp-jump[data-step="{ep.start}"]').click()
    expect(label).to_contain_text(f"step {ep.start} /")


MARKS_PRESET = "multi-paxos-bug-no-reproposal"


def _expected_marks(cursor: int | None = None):
    """The marks the demo page sends at ``cursor`` (default: the last step), computed as the Lab does."""
    import checkers
    from checkers.from_trace import history_from_trace
    from lessons.presets import load_preset
    from sim.engine import run
    from ui.explorer_witness import highlight_ids

    tr = run(load_preset(MARKS_PRESET))
    cursor = tr.n_steps - 1 if cursor is None else cursor
    history, events = history_from_trace(tr, upto_step=cursor)
    verdict = checkers.check(history, "linearizable")
    culprit = (verdict.witness or {}).get("culprit")
    ops = [[events[i][0], events[i][1], "culprit" if i == culprit else "core"] for i in highlight_ids(verdict)]
    return tr, ops


def _num(loc, name):
    return float(loc.get_attribute(name))


def test_anomaly_marks_span_exactly_the_marked_ops(player_server, player_page):
    page = player_page
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    tr, ops = _expected_marks()
    assert len(ops) == 3 and sum(op[2] == "culprit" for op in ops) == 1
    last = tr.n_steps - 1
    page.set_viewport_size({"width": 6400, "height": 1600})  # the whole run fits in the diagram's window
    page.goto(player_server + f"/?preset={MARKS_PRESET}&cursor={last}&marks=1")
    expect(page.locator(".tp-step-label")).to_contain_text(f"step {last} /")
    wait_idle(page)
    shown = ",".join(f"{i}:{'' if r is None else r}:{role}" for i, r, role in ops)
    expect(page.get_by_text(f"marks={shown}")).to_be_visible()
    spans = page.locator(".tp-svg .tp-anomaly")
    expect(spans).to_have_count(len(ops))
    for inv, ret, role in ops:
        span = page.locator(f'.tp-svg .tp-anomaly[data-op-invoke="{inv}"]')
        expect(span).to_have_count(1)
        expect(span).to_have_attribute("data-op-return", str(ret))
        expect(span).to_have_attribute("data-role", role)
        expect(span).to_have_attribute("data-lane", str(tr.nodes.index(tr.events[inv].node)))
        # from the invoke glyph to the return glyph, on the node's lane
        x, w = _num(span, "x"), _num(span, "width")
        g_inv = page.locator(f'.tp-svg .tp-mark[data-ev="{inv}"]')
        g_ret = page.locator(f'.tp-svg .tp-mark[data-ev="{ret}"]')
        assert x <= _num(g_inv, "x") and x + w >= _num(g_ret, "x") + _num(g_ret, "width")
        y, h, gy = _num(span, "y"), _num(span, "height"), _num(g_inv, "y") + _num(g_inv, "height") / 2
        assert y < gy < y + h
    culprit = page.locator('.tp-svg .tp-anomaly.tp-anomaly-culprit')
    expect(culprit).to_have_count(1)
    assert _num(culprit, "height") > _num(page.locator(".tp-svg .tp-anomaly.tp-anomaly-core").first, "height")
    text = page.locator(".tp-anomaly-text")
    expect(text).to_be_visible()
    expect(text).to_contain_text(translate("en", "lab.verdicts.marked", n=3, model="linearizable"))
    expect(page.locator(".tp-lg-anomaly")).to_be_visible()
    # hover: the tooltip says what the op is and why it is marked
    culprit.dispatch_event("mousemove")
    tip = page.locator(".tp-tooltip")
    expect(tip).to_be_visible()
    expect(tip).to_contain_text("Cannot be placed")
    expect(tip).to_contain_text(translate("en", "lab.verdicts.marked", n=3, model="linearizable"))
    # marks off (a rerun with marks=None): spans, text and legend item go; the cursor stays
    page.get_by_text("marks", exact=True).click()
    expect(spans).to_have_count(0)
    expect(text).to_be_hidden()
    expect(page.locator(".tp-lg-anomaly")).to_be_hidden()
    expect(page.get_by_text("marks=-")).to_be_visible()
    expect(page.locator(".tp-step-label")).to_contain_text(f"step {last} /")
    wait_idle(page)
    page.get_by_text("marks", exact=True).click()  # and back on
    expect(spans).to_have_count(len(ops))
    expect(text).to_be_visible()
    wait_idle(page)
    # an op with no reply runs to the right edge; indices outside the run are ignored
    page.evaluate("""() => { const P = document.querySelector('.tp-root').__tp;
        P.setMarks({ops: [[%d, null, "culprit"], [999999, null, "core"], ["x", 1, "core"]], text: "open op"});
        P.applySeek(null, false); }""" % ops[-1][0])
    expect(spans).to_have_count(1)
    open_span = page.locator(".tp-svg .tp-anomaly.tp-anomaly-open")
    expect(open_span).to_have_attribute("data-op-return", "")
    lane_line = page.locator(".tp-svg line.tp-lane").first
    assert abs(_num(open_span, "x") + _num(open_span, "width") - _num(lane_line, "x2")) < 0.5
    expect(text).to_contain_text("open op")
    assert not errors


def test_anomaly_marks_follow_the_window_and_the_reported_cursor(player_server, player_page):
    page = player_page
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    tr, ops = _expected_marks()
    culprit_inv, culprit_ret = next((i, r) for i, r, role in ops if role == "culprit")
    at = tr.events[culprit_ret].step  # the step where the culprit's reply makes the history illegal
    assert _expected_marks(at - 1)[1] == [] and _expected_marks(at)[1] == ops
    page.goto(player_server + f"/?preset={MARKS_PRESET}&cursor={at}&marks=1")  # 1400 px: a window of ~30 steps
    label = page.locator(".tp-step-label")
    expect(label).to_contain_text(f"step {at} /")
    wait_idle(page)
    spans = page.locator(".tp-svg .tp-anomaly")
    expect(page.locator(".tp-anomaly-text")).to_be_visible()
    # the earlier ops lie left of the window: only the culprit is drawn
    expect(spans).to_have_count(1)
    culprit = page.locator(f'.tp-svg .tp-anomaly[data-op-invoke="{culprit_inv}"]')
    expect(culprit).to_have_attribute("data-role", "culprit")
    # one step back: the browser reports the cursor, Python checks again (no violation yet), marks go
    page.locator(".tp-root").focus()
    page.keyboard.press("ArrowLeft")
    expect(label).to_contain_text(f"step {at - 1} /")
    expect(page.get_by_text("marks=-")).to_be_visible()
    expect(spans).to_have_count(0)
    expect(page.locator(".tp-anomaly-text")).to_be_hidden()
    wait_idle(page)
    page.locator(".tp-root").focus()
    page.keyboard.press("ArrowRight")  # forward again: new marks arrive
    expect(label).to_contain_text(f"step {at} /")
    expect(spans).to_have_count(1)
    expect(page.locator(".tp-anomaly-text")).to_be_visible()
    wait_idle(page)
    page.locator(".tp-root").focus()
    page.keyboard.press("Home")  # far outside the marked ops: nothing drawn, nothing breaks
    expect(label).to_contain_text("step 0 /")
    expect(spans).to_have_count(0)
    assert not errors
