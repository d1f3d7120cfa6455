"""Reading an uploaded trace or scenario file: untrusted bytes in, a validated scenario out.

Theory of operation
-------------------
``read_upload(data)`` decides what the file is and validates it, raising ``ScenarioError``
(translated by the ``errors`` catalog, naming the field) on anything wrong:

1. size: at most ``MAX_UPLOAD_BYTES`` (the server's ``maxUploadSize`` is the outer fence);
2. UTF-8 text, no NUL bytes (binary junk stops here);
3. a JSON object whose ``format`` is the trace format → a *trace*: its ``version`` must be
   ours, its ``scenario`` is validated by ``parse_scenario`` and its ``events`` are kept so
   the page can re-run the scenario and say whether the run matches the file;
4. otherwise a *scenario* file (YAML or JSON) through ``sim.scenario.load_scenario_text``
   (``SafeLoader`` without aliases, so ``!!python/object`` tags and alias bombs are refused).

Nothing from a file is executed, unpickled or rendered as HTML. ``read_upload`` is pure;
the Protocol Lab's ``st.file_uploader`` hands it the bytes (``ui.lab_state.handle_upload``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sim import trace as trace_mod
from sim.scenario import Scenario, ScenarioError, load_scenario_text, parse_scenario

MAX_UPLOAD_BYTES = 1024 * 1024  # scenario and trace files; the server's fence (maxUploadSize) is higher for histories
MAX_TRACE_EVENTS = 200_000


@dataclass(frozen=True, slots=True)
class Upload:
    kind: str  # "trace" | "scenario"
    scenario: Scenario
    events: list[Any] | None = None  # a trace file's events, to compare with the re-run


def read_upload(data: bytes) -> Upload:
    if not isinstance(data, (bytes, bytearray)):
        raise ScenarioError("", "err.not_utf8", "file is not UTF-8 text")
    if len(data) > MAX_UPLOAD_BYTES:
        raise ScenarioError("", "err.too_large", f"file is larger than {MAX_UPLOAD_BYTES // 1024} KiB",
                            kib=MAX_UPLOAD_BYTES // 1024)
    if not data.strip():
        raise ScenarioError("", "err.empty", "the file is empty")
    try:
        text = bytes(data).decode("utf-8")
    except UnicodeDecodeError:
        raise ScenarioError("", "err.not_utf8", "file is not UTF-8 text") from None
    if "\x00" in text:
        raise ScenarioError("", "err.not_utf8", "file is not UTF-8 text")
    stripped = text.lstrip()
    if stripped.startswith("{"):
        try:
            doc = json.loads(text)
        except RecursionError:
            raise ScenarioError("", "err.nested", "nested too deeply") from None
        except ValueError:
            doc = None  # maybe YAML flow style: let the scenario loader report it
        if isinstance(doc, dict) and doc.get("format") == trace_mod.FORMAT:
            return _read_trace(doc)
        if isinstance(doc, dict) and "events" in doc and "scenario" in doc:
            raise ScenarioError("format", "err.format", f"must be '{trace_mod.FORMAT}'", expected=trace_mod.FORMAT)
    return Upload(kind="scenario", scenario=load_scenario_text(text))


def _read_trace(doc: dict[str, Any]) -> Upload:
    if doc.get("version") not in trace_mod.READABLE_VERSIONS:
        raise ScenarioError("version", "err.version", "unsupported version", v=trace_mod.VERSION)
    if "scenario" not in doc:
        raise ScenarioError("scenario", "err.missing", "missing field")
    events = doc.get("events", [])
    if not isinstance(events, list):
        raise ScenarioError("events", "err.not_list", "must be a list")
    if len(events) > MAX_TRACE_EVENTS:
        raise ScenarioError("events", "err.too_many", f"has more than {MAX_TRACE_EVENTS} entries",
                            n=MAX_TRACE_EVENTS)
    try:
        scenario = parse_scenario(doc["scenario"])
    except ScenarioError as e:
        raise ScenarioError(f"scenario.{e.path}" if e.path else "scenario", e.key, e.english, **e.args_) from None
    return Upload(kind="trace", scenario=scenario, events=events)
