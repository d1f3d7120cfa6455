"""Show the code (lessons/code_view.py, ui/show_code.py): on real runs of every protocol's first preset,
each step maps to the method that handled its event, found by the dispatch rule the protocols are
written in (``step`` tests the input, then tail-calls the handler; a dispatcher below ``step`` tests
the message's type); faults and the end map to no handler, with a reason; the Lab's toggle and the
practice lesson show the handler's source in both languages."""

from __future__ import annotations

import dataclasses
import json
import random
import re
import textwrap
from pathlib import Path

import pytest

from lessons.code_view import (FAULT_KINDS, REASONS, HandlerView, NoHandler, _traced, dispatch_chain,
                               _method_codes, handler_at, handlers_in_run)
from lessons.presets import list_presets, load_preset
from protocols import REGISTRY
from sim.engine import run
from sim.scenario import parse_scenario
from sim.types import Deliver, Node, Send, Timer
from tests.support.apptest import open_page
from ui.i18n import has, translate
from ui.lang import md_escape

ROOT = Path(__file__).resolve().parents[1]
FIRST = {pid: ps[0].id for pid in REGISTRY if (ps := list_presets(pid))}


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _node_class(spec, node_id: str, trace) -> type:
    params = spec.resolve_params(trace.scenario.params)
    return type(spec.make_node(node_id, trace.nodes, params, trace.scenario.bug, random.Random(0)))


@pytest.fixture(scope="module")
def runs():
    """Every protocol's first preset, run, with the handler of every step (one replay per run)."""
    out = {}
    for pid, preset in FIRST.items():
        trace = run(load_preset(preset))
        out[pid] = (trace, handlers_in_run(pid, trace))
    return out


def test_every_teaching_protocol_has_a_preset_to_check():
    assert {pid for pid, spec in REGISTRY.items() if spec.teaching} <= set(FIRST)


@pytest.mark.parametrize("pid", sorted(FIRST))
def test_every_step_maps_to_the_handler_that_ran_or_to_a_reason(runs, pid):
    trace, views = runs[pid]
    spec = REGISTRY[pid]
    assert sorted(views) == list(range(trace.n_steps))
    kinds_seen = set()
    for step, view in views.items():
        kinds = [e.kind for e in trace.events_of_step(step)]
        cause = trace.steps[step].cause
        if isinstance(view, NoHandler):
            assert view.reason in REASONS and view.reason not in ("mismatch", "stopped", "bad_step"), (step, view)
            if cause == "end":
                assert view.reason == "end"
            elif "deliver" not in kinds and "drop" in kinds and cause == "deliver":
                assert view.reason == "dropped" and view.args["why"] in ("partition", "crashed", "loss", "fault")
            elif cause == "fault":
                assert view.reason in ("fault", "noop") and ("crash" not in kinds and "restart" not in kinds)
                if view.reason == "fault":
                    assert view.args["kind"] in FAULT_KINDS and view.args["kind"] in kinds
            else:
                assert view.reason == "node_down" and "invoke" not in kinds, (step, kinds)
            continue
        kinds_seen.add(view.event["kind"])
        # a real method of the node's class (or a base class), with its real source
        cls = _node_class(spec, view.node, trace)
        assert view.module in {c.__module__ for c in cls.__mro__}, (step, view.module)
        text = (ROOT / view.path).read_text(encoding="utf-8").splitlines()
        body = text[view.first_line - 1:view.first_line - 1 + view.source.count("\n")]
        assert textwrap.dedent("\n".join(body) + "\n") == view.source, (step, view.qualname)
        assert view.source.lstrip().startswith("def " + view.qualname.rsplit(".", 1)[1] + "(")
        assert all(view.first_line <= n < view.first_line + len(body) for n in view.ran_lines), step
        assert view.ran_lines, (step, view.qualname)  # the handler ran, so some of its lines did
        kind = view.event["kind"]
        assert view.via[-1] == view.qualname
        if kind in ("deliver", "timer", "client", "start", "restart"):
            assert view.via[0].endswith(".step"), view.via  # every input goes in through step()
        if kind == "deliver":
            assert "deliver" in kinds and view.event["type"] in {e.payload["type"] for e in trace.events_of_step(step)
                                                                  if e.kind == "deliver"}
            mtype = view.event["type"]
            # the dispatch rule: the handler was reached through a type test naming the message's class...
            assert any(re.search(rf"isinstance\(.*\b{mtype}\b", t) for t in view.tests), (step, view.tests)
            # ...and it is either named after the message or the dispatcher that tested it and handled it inline
            inline = any(re.search(rf"isinstance\(.*\b{mtype}\b", line) for line in
                         (text[n - 1] for n in view.ran_lines))
            assert _snake(mtype) in view.qualname.lower() or inline or len(view.via) > 1, (step, view.qualname)
        elif kind == "timer":
            assert "timer" in kinds and any("Timer" in t for t in view.tests), (step, view.tests)
        elif kind == "client":
            assert "invoke" in kinds and any("ClientRequest" in t for t in view.tests), (step, view.tests)
        elif kind == "crash":
            assert view.qualname.endswith(".durable_fields") and "crash" in kinds
    assert {"start", "deliver"} <= kinds_seen, pid


# --- the rule, exactly, where the paper names the handlers ---------------------------------------------
EXPECTED = {  # (protocol, message type) -> handler; names from Raft Figure 2 and TwoPhase.tla
    ("raft", "RequestVote"): "Server._on_request_vote",
    ("raft", "RequestVoteReply"): "Server._on_request_vote_reply",
    ("raft", "AppendEntries"): "Server._on_append_entries",
    ("raft", "AppendEntriesReply"): "Server._on_append_entries_reply",
    ("two-phase-commit", "Prepare"): "ResourceManager._on_prepare",
    ("two-phase-commit", "Prepared"): "TransactionManager._tm_rcv_prepared",  # TwoPhase.tla TMRcvPrepared
    ("two-phase-commit", "Commit"): "ResourceManager._rm_rcv_commit_msg",  # TwoPhase.tla RMRcvCommitMsg
    ("multi-paxos", "P1a"): "Server._on_p1a",  # dispatched twice: step -> _on_message -> _on_p1a
    ("multi-paxos", "P2b"): "Server._on_p2b",
    ("paxos", "Promise"): "Proposer._on_promise",
}


def test_named_handlers_match_the_papers(runs):
    found = {}
    for pid in {p for p, _ in EXPECTED}:
        for view in runs[pid][1].values():
            if isinstance(view, HandlerView) and view.event["kind"] == "deliver":
                found.setdefault((pid, view.event["type"]), set()).add(view.qualname)
    assert {k: found.get(k) for k in EXPECTED} == {k: {v} for k, v in EXPECTED.items()}
    mp = next(v for v in runs["multi-paxos"][1].values()
              if isinstance(v, HandlerView) and v.qualname == "Server._on_p1a")
    assert mp.via == ("Server.step", "Server._on_message", "Server._on_p1a")


def test_a_tail_call_that_is_not_a_dispatch_is_not_followed(runs):
    """Raft §5.2: the vote that makes a majority calls become_leader; the handler is still the reply's."""
    trace, views = runs["raft"]
    winning = [v for v in views.values() if isinstance(v, HandlerView) and "Server.become_leader" in v.calls]
    assert winning and all(v.qualname == "Server._on_request_vote_reply" for v in winning)
    election = [v for v in views.values() if isinstance(v, HandlerView) and v.event.get("name") == "election"]
    assert election and all(v.qualname == "Server.become_candidate" for v in election)  # step tested, then tail-called
    heartbeat = [v for v in views.values() if isinstance(v, HandlerView) and v.event.get("name") == "heartbeat"]
    assert heartbeat and all(v.qualname == "Server.step" for v in heartbeat)  # handled inline in step


def test_a_crash_shows_durable_fields_with_the_bug_branch_that_ran():
    sc = parse_scenario({"protocol": "two-phase-commit", "bug": "rm-forgets-prepared",
                         "faults": [{"type": "crash", "node": "rm1", "after_step": 4}]})
    trace = run(sc)
    step = next(s for s in range(trace.n_steps) if [e.kind for e in trace.events_of_step(s)] == ["crash"])
    view = handler_at("two-phase-commit", trace, step)
    assert isinstance(view, HandlerView) and view.qualname == "ResourceManager.durable_fields"
    ran = [(ROOT / view.path).read_text(encoding="utf-8").splitlines()[n - 1].strip() for n in view.ran_lines]
    assert ran == ['if self.bug == "rm-forgets-prepared":  # BUG: the prepare record is not forced to disk',
                   'return ("history",)']
    correct = handler_at("two-phase-commit", run(dataclasses.replace(sc, bug=None)), step)
    assert correct.qualname == view.qualname and correct.ran_lines != view.ran_lines  # the bug line did not run


def test_one_step_and_the_whole_run_agree_and_bad_requests_say_why(runs):
    trace, views = runs["raft"]
    for step in (0, 4, trace.n_steps // 2, trace.n_steps - 1):
        assert handler_at("raft", trace, step) == views[step]
    assert handler_at("raft", trace, trace.n_steps + 5) == NoHandler(trace.n_steps + 5, "bad_step",
                                                                      {"step": trace.n_steps + 5})
    late = next(s for s, v in views.items() if isinstance(v, HandlerView) and s > 3)
    assert handler_at("raft", trace, late, keep_going=lambda: False).reason == "stopped"
    other = handler_at("raft", trace, 0, node="s3")
    assert other.node == "s3" and other.event == {"kind": "start", "node": "s3"}
    with pytest.raises(ValueError):
        handler_at("paxos", trace, 1)


class _Toy(Node):
    """A dispatcher shape the protocols use: step -> _on_message -> typed handlers, one type inline."""

    def step(self, inp, now):
        if isinstance(inp, Deliver):
            msg = inp.msg
            return self._on_message(inp.src, msg)
        if isinstance(inp, Timer):
            return self.helper()
        return []

    def _on_message(self, src, m):
        if isinstance(m, int):
            return self._on_int(m)
        if isinstance(m, str):
            return [Send(dst=src, msg=m)]  # handled inline
        return self.helper() if self.bug else []  # a decision, not a dispatch

    def _on_int(self, m):
        return self.helper()  # a tail call that is no dispatch: _on_int did not test a type

    def helper(self):
        return [Send(dst="b", msg=1)]


@pytest.mark.parametrize("msg, bug, chain", [
    (7, None, ["step", "_on_message", "_on_int"]),
    ("x", None, ["step", "_on_message"]),
    (2.5, "on", ["step", "_on_message"]),
])
def test_the_dispatch_rule_on_a_toy_node(msg, bug, chain):
    node = _Toy("a", ("a", "b"), {}, bug, random.Random(0))
    inp = Deliver(src="b", msg=msg)
    frames = _traced(node, node.step, inp, 0)
    got = [rec.code.co_name for rec in dispatch_chain(frames, _method_codes(_Toy), inp)]
    assert got == chain
    timer = Timer(name="t")
    frames = _traced(node, node.step, timer, 0)
    assert [r.code.co_name for r in dispatch_chain(frames, _method_codes(_Toy), timer)] == ["step", "helper"]


def test_every_reason_and_label_is_translated():
    for lang in ("en", "zh"):
        assert all(has(lang, f"show_code.reason.{r}") for r in REASONS)
        assert all(has(lang, f"show_code.fault.{k}") for k in FAULT_KINDS)
        assert all(has(lang, f"show_code.drop.{k}") for k in ("partition", "crashed", "loss", "fault"))
        assert all(has(lang, f"show_code.event.{k}") for k in ("deliver", "timer", "client", "start", "restart",
                                                                "crash"))


# --- the app -----------------------------------------------------------------------------------------------
def _lab_trace(at):
    return run(parse_scenario(json.loads(at.session_state["lab.scenario_json"])))


def _codes(at) -> list[str]:
    return [c.value.rstrip("\n") for c in at.code]  # st.code keeps the text but for its final newline


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_lab_toggle_shows_the_handler_of_the_step_at_the_cursor(lang):
    at = open_page("pages/lab.py", lang)
    trace = _lab_trace(at)
    views = handlers_in_run(trace.scenario.protocol, trace)
    step, view = next((s, v) for s, v in views.items() if isinstance(v, HandlerView) and v.event["kind"] == "deliver")
    at.session_state["lab.cursor"] = step
    at.run()
    source = view.source.rstrip("\n")
    assert source not in _codes(at)  # gated: nothing replayed until asked
    at.toggle(key="lab.code").set_value(True).run()
    assert not at.exception, [e.value for e in at.exception]
    code = [c for c in at.code if c.value.rstrip("\n") == source]
    assert len(code) == 1 and code[0].language == "python"
    caption = translate(lang, "show_code.caption", path=md_escape(view.path, 80), qualname=md_escape(view.qualname, 80),
                        line=view.first_line)
    assert caption in [c.value for c in at.caption]
    assert any(view.event["type"] in m.value for m in at.markdown)
    at.toggle(key="lab.code").set_value(False).run()
    assert source not in _codes(at)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_practice_lesson_opens_with_its_show_code_widget(lang):
    from lessons.registry import load_lesson
    from ui.widgets.show_code_demo import DEFAULT, FIRST_STEP

    lesson = load_lesson("practice")
    at = open_page("pages/lessons.py", lang, lesson="practice")
    assert [h.value for h in at.header] == [s.heading for s in lesson.sections[lang]]
    view = handler_at("raft", run(load_preset(DEFAULT)), FIRST_STEP)
    assert isinstance(view, HandlerView) and view.source.rstrip("\n") in _codes(at)
    step = at.number_input(key=f"lesson.practice.show_code_demo.step.{DEFAULT}")
    step.set_value(FIRST_STEP + 1).run()
    assert not at.exception
    nxt = handler_at("raft", run(load_preset(DEFAULT)), FIRST_STEP + 1)
    assert isinstance(nxt, HandlerView) and nxt.source.rstrip("\n") in _codes(at) and nxt.step != view.step


def test_home_links_the_code_topic_to_the_practice_lesson():
    at = open_page("pages/home.py", "en")
    read = translate("en", "core.home.read_lesson")
    links = [p.proto.query_string for p in at.get("page_link") if p.proto.label == read]
    assert "lesson=practice" in links and len(links) == len(set(links)) == 8  # every topic of the map has its lesson
