"""The Protocol Lab's small session state, its sidebar controls, and the actions that change the run.

Theory of operation
-------------------
One source of truth: ``st.session_state["lab.scenario_json"]`` (canonical scenario JSON)
and ``"lab.cursor"`` (a step index). Traces are never stored: ``ui.runner.run_json`` gives
them from the cache. Every rerun:

1. ``restore_from_url`` applies a share link (``?p=...&c=...``) once per distinct link;
   a bad link leaves a translated message and the current scenario;
2. ``sidebar_controls`` first *writes* the scenario's values into the widget keys
   (``lab.w.*``), then draws the widgets; a change calls ``_on_controls`` (pure
   ``sim.edit.apply_controls``), a preset choice ``_on_preset``, a protocol choice
   ``_on_protocol``. So widgets always show the scenario, also after a link or an import;
3. actions (fault, manual choice, upload) build a new scenario with the pure functions of
   ``sim.edit`` and move the cursor; ``publish_link`` writes ``p`` back into the URL.

Messages for the next run (``flash``) are small tuples ``(level, key, args)``.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from protocols import REGISTRY
from sim import edit
from sim.scenario import LATENCY_KINDS, MAX_LATENCY, MAX_SEED, Scenario, ScenarioError, parse_scenario
from ui import share
from ui.lang import bound_t, current_lang, error_text, md_escape, t
from ui.runner import run_json

K_SCENARIO = "lab.scenario_json"
K_CURSOR = "lab.cursor"
K_LINK = "lab.applied_link"
K_FLASH = "lab.flash"
W = "lab.w."


# ------------------------------------------------------------------------ presets
def presets_for(protocol: str) -> dict[str, Any]:
    from lessons.presets import list_presets

    return {p.id: p for p in list_presets() if p.protocol == protocol}


def load_preset(preset_id: str) -> Scenario:
    """The preset's scenario (its id is in ``meta["preset"]``, so the preset box can show it)."""
    from lessons.presets import load_preset as _load

    return _load(preset_id)


def first_scenario(protocol: str) -> Scenario:
    """Where the lab starts for ``protocol``: its first preset, else its defaults."""
    presets = presets_for(protocol)
    return load_preset(next(iter(presets))) if presets else edit.default_scenario(protocol)


def default_scenario() -> Scenario:
    return first_scenario("two-phase-commit" if "two-phase-commit" in REGISTRY else next(iter(REGISTRY)))


# -------------------------------------------------------------------------- state
def flash(level: str, key: str, **args: Any) -> None:
    st.session_state.setdefault(K_FLASH, []).append((level, key, args))


def flash_error(err: ScenarioError) -> None:
    st.session_state.setdefault(K_FLASH, []).append(("error", None, {"text": error_text(err)}))


def show_flash() -> None:
    for level, key, args in st.session_state.pop(K_FLASH, []):
        text = args["text"] if key is None else t(key, **{k: md_escape(v) for k, v in args.items()})
        getattr(st, level if level in ("error", "warning", "info", "success") else "info")(text)


def scenario() -> Scenario:
    text = st.session_state.get(K_SCENARIO)
    if text:
        try:
            import json

            return parse_scenario(json.loads(text))
        except (ScenarioError, ValueError, RecursionError):
            pass  # session state is not trusted either; start over
    sc = default_scenario()
    raw = st.session_state.get(K_CURSOR)  # a ``?c=`` link without a scenario may have set it already
    set_scenario(sc, raw if isinstance(raw, int) and not isinstance(raw, bool) else 0)
    return sc


def set_scenario(sc: Scenario, cursor: int) -> None:
    st.session_state[K_SCENARIO] = sc.to_json()
    st.session_state[K_CURSOR] = int(cursor)


def cursor(n_steps: int) -> int:
    raw = st.session_state.get(K_CURSOR, 0)
    raw = raw if isinstance(raw, int) and not isinstance(raw, bool) else 0
    c = edit.clamp_cursor(raw, n_steps)
    if raw > c:  # e.g. a link's step beyond the end of this run: say so rather than jump silently
        flash("info", "lab.cursor_clamped", step=raw, last=c)
    st.session_state[K_CURSOR] = c
    return c


def follow_player(reported: int | None, cur: int, n_steps: int) -> int:
    """The cursor once the player's report (``PlayerResult.cursor``; ``None``: none yet) is taken in."""
    if reported is None or reported == cur:
        return cur
    c = edit.clamp_cursor(reported, n_steps)
    st.session_state[K_CURSOR] = c
    return c


# ---------------------------------------------------------------------- share link
def restore_from_url() -> None:
    """Apply ``?p=<link>&c=<step>`` once per distinct value; bad values → a translated message."""
    p, c = st.query_params.get("p"), st.query_params.get("c")
    if (p, c) == st.session_state.get(K_LINK) or (p is None and c is None):
        return
    st.session_state[K_LINK] = (p, c)
    try:
        step = share.parse_cursor(c)
    except ScenarioError as e:
        flash_error(e)
        step = None
    if p is None:
        if step is not None:
            st.session_state[K_CURSOR] = step
        return
    try:
        sc, packed_step = share.decode(p)
    except ScenarioError as e:
        flash_error(e)
        return
    set_scenario(sc, packed_step if step is None else step)
    flash("success", "lab.share.restored")


def publish_link(sc: Scenario, cur: int) -> str:
    """Write the state into the URL and return the full link to copy."""
    blob = share.encode(sc, cur)
    if st.query_params.get("p") != blob:
        st.query_params["p"] = blob
        if "c" in st.query_params:
            del st.query_params["c"]
    st.session_state[K_LINK] = (blob, None)
    base = (getattr(st.context, "url", None) or "").split("?")[0]
    return f"{base}?lang={current_lang()}&p={blob}"


# ------------------------------------------------------------------------ sidebar
def _widget_values(sc: Scenario) -> dict[str, Any]:
    c = edit.controls_of(sc)
    values = {W + "protocol": sc.protocol, W + "bug": sc.bug or "", W + "seed": sc.seed,
              W + "latency_kind": c["latency_kind"], W + "latency_low": c["latency_low"],
              W + "latency_high": c["latency_high"], W + "loss": c["loss"], W + "duplicate": c["duplicate"],
              W + "reorder": c["reorder"], W + "mode": c["mode"], W + "preset": sc.meta.get("preset", "")}
    for name, value in c["params"].items():
        values[f"{W}p.{sc.protocol}.{name}"] = value
    return values


def _controls_from_widgets(protocol: str) -> dict[str, Any]:
    ss = st.session_state
    spec = REGISTRY[protocol]
    return {"protocol": protocol, "bug": ss.get(W + "bug") or None, "seed": ss.get(W + "seed"),
            "params": {p.name: ss.get(f"{W}p.{protocol}.{p.name}", p.default) for p in spec.params},
            "latency_kind": ss.get(W + "latency_kind"), "latency_low": ss.get(W + "latency_low"),
            "latency_high": ss.get(W + "latency_high"), "loss": ss.get(W + "loss"),
            "duplicate": ss.get(W + "duplicate"), "reorder": ss.get(W + "reorder"), "mode": ss.get(W + "mode")}


def _on_controls() -> None:
    old = scenario()
    try:
        new = edit.apply_controls(old, _controls_from_widgets(old.protocol))
    except ScenarioError as e:
        return flash_error(e)
    if new.mode == "manual" and old.mode == "random" and new.replace(mode="random") == old.replace(
            mode="random", faults=new.faults):
        # only the delivery mode changed: keep the past, continue by hand from the cursor
        trace = run_json(old.to_json())
        at = edit.action_cursor(trace, st.session_state.get(K_CURSOR, 0))
        set_scenario(edit.switch_to_manual(old, edit.branch_choices(trace, at), at), at)
        return
    set_scenario(new.replace(meta={}), 0)  # no longer the preset: its captions would mislead


def _on_protocol() -> None:
    proto = st.session_state.get(W + "protocol")
    if proto in REGISTRY:
        set_scenario(first_scenario(proto), 0)


def _on_preset() -> None:
    pid = st.session_state.get(W + "preset")
    if pid:
        set_scenario(load_preset(pid), 0)


def sidebar_controls(sc: Scenario) -> None:
    """The experiment's controls, always showing ``sc`` (see module doc)."""
    lang = current_lang()
    tr = bound_t()
    for key, value in _widget_values(sc).items():
        st.session_state[key] = value
    spec = REGISTRY[sc.protocol]
    sb = st.sidebar
    sb.header(tr("lab.controls.title"))
    listed = [pid for pid, p in REGISTRY.items() if p.teaching or pid == sc.protocol]
    sb.selectbox(tr("lab.controls.protocol"), listed, key=W + "protocol", on_change=_on_protocol,
                 format_func=lambda pid: tr(REGISTRY[pid].title_key))
    presets = presets_for(sc.protocol)
    if sc.meta.get("preset", "") not in presets:
        st.session_state[W + "preset"] = ""
    sb.selectbox(tr("lab.controls.preset"), ["", *presets], key=W + "preset", on_change=_on_preset,
                 format_func=lambda pid: edit.meta_text(presets[pid].meta, "title", lang) or pid if pid
                 else tr("lab.controls.custom"))
    with sb.expander(tr("lab.controls.params"), expanded=True):
        for p in spec.params:
            label, key = tr(p.help_key) if p.help_key else p.name, f"{W}p.{sc.protocol}.{p.name}"
            if isinstance(p.default, bool):
                st.checkbox(label, key=key, on_change=_on_controls)
            else:
                num = int if isinstance(p.default, int) else float
                st.number_input(label, key=key, on_change=_on_controls, step=num(1 if num is int else 0.05),
                                min_value=num(p.minimum) if p.minimum is not None else None,
                                max_value=num(p.maximum) if p.maximum is not None else None)
        st.selectbox(tr("lab.controls.bug"), ["", *(b.id for b in spec.bugs)], key=W + "bug",
                     on_change=_on_controls,
                     format_func=lambda b: tr(spec.bug(b).description_key) if b else tr("lab.controls.no_bug"))
        st.number_input(tr("lab.controls.seed"), min_value=0, max_value=min(MAX_SEED, 2**53 - 1), step=1, key=W + "seed",
                        on_change=_on_controls)
    with sb.expander(tr("lab.controls.network")):
        st.selectbox(tr("lab.controls.latency_kind"), LATENCY_KINDS, key=W + "latency_kind",
                     on_change=_on_controls, format_func=lambda k: tr(f"lab.latency.{k}"))
        st.number_input(tr("lab.controls.latency_low"), 0, MAX_LATENCY, key=W + "latency_low", on_change=_on_controls)
        st.number_input(tr("lab.controls.latency_high"), 0, MAX_LATENCY, key=W + "latency_high",
                        on_change=_on_controls)
        for name in ("loss", "duplicate", "reorder"):
            st.slider(tr(f"lab.controls.{name}"), 0.0, 1.0, step=0.01, key=W + name, on_change=_on_controls)
    sb.radio(tr("lab.controls.mode"), ("random", "manual"), key=W + "mode", on_change=_on_controls,
             format_func=lambda m: tr(f"lab.mode.{m}"), horizontal=True)


def scenario_yaml(sc: Scenario) -> str:
    import yaml

    return yaml.safe_dump(sc.to_dict(), allow_unicode=True, sort_keys=False)


# ------------------------------------------------------------------------ player
def player(trace, cur: int, manual: bool, marks: dict[str, Any] | None = None):
    """The client-side stepper (``ui.trace_player``); ``marks``: client operations to mark (a violation)."""
    from ui.trace_player import trace_player

    return trace_player(trace, lang=current_lang(), cursor=cur, manual=manual, key="lab.player", marks=marks)


# ------------------------------------------------------------------------ actions
def apply_fault(sc: Scenario, trace, cur: int, fault: dict[str, Any]) -> None:
    at = edit.action_cursor(trace, cur)
    try:
        new = edit.with_fault(sc, edit.branch_choices(trace, at), fault, at)
    except ScenarioError as e:
        return flash_error(e)
    new_trace = run_json(new.to_json())
    set_scenario(new, edit.clamp_cursor(at + 1, new_trace.n_steps))
    flash("success", f"lab.faults.applied.{fault['type']}", step=at, node=fault.get("node", ""),
          msg=fault.get("msg", ""))


def apply_choice(sc: Scenario, trace, cur: int, choice: str) -> None:
    at = edit.action_cursor(trace, cur)
    if choice not in {p["id"] for p in trace.pending_at(at)}:
        return flash("warning", "lab.manual.not_pending", id=choice)
    choices = edit.branch_choices(trace, at)
    new = edit.with_choice(sc, choices, choice, at)
    new_trace = run_json(new.to_json())
    set_scenario(new, edit.step_after_choices(new_trace, len(choices) + 1, at + 1))


def handle_upload() -> None:
    """``on_change`` of the uploader: validate, re-run, say whether a trace file matches."""
    from ui.uploads import read_upload

    f = st.session_state.get("lab.upload")
    if f is None:
        return
    try:
        up = read_upload(f.getvalue())
    except ScenarioError as e:
        return flash_error(e)
    trace = run_json(up.scenario.to_json())
    set_scenario(up.scenario, 0)
    if up.kind == "scenario":
        return flash("success", "lab.io.loaded_scenario")
    diff = edit.compare_events(trace, up.events)
    if diff is None:
        flash("success", "lab.io.trace_matches", n=len(trace.events))
    else:
        flash("warning", "lab.io.trace_differs", i=diff)
