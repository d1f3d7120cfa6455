"""Reading and writing histories (checkers/formats.py, docs/histories.md).

Real data: every file of ../shared/histories parses, with one op per line, and the inferred
datatype is the directory's; the same histories written as Jepsen EDN (invocations and
completions at their original positions, nemesis events in the gaps) read back to the very
same ops. Round trips (json, textbook, notation) are Hypothesis properties over small
histories built here. Bad input of every kind raises HistoryError naming where, with a key
present in both catalogs.
"""

from __future__ import annotations

import ast
import functools
import json
import re
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from checkers.formats import (detect_format, parse_notation, read_history, to_json, to_notation, to_porcupine,
                              to_textbook)
from checkers.history import MAX_BYTES, MAX_OPS, History, HistoryError, Op
from ui.i18n import catalog

ROOT = Path(__file__).resolve().parents[1]
HISTORIES = Path(__file__).resolve().parents[2] / "shared" / "histories"
DIRECTORY_DATATYPE = {"jepsen-etcd": "etcd-register", "kv": "kv-string",
                      "knossos/cas-register": "knossos-cas-register",
                      "knossos/multi-register": "knossos-multi-register", "knossos/mutex": "knossos-mutex"}
# No Knossos signature in these two (see infer_jsonl_datatype): read as the etcd-register default.
AMBIGUOUS = {"knossos/cas-register/bad/rethink-fail-minimal.jsonl": "etcd-register",
             "knossos/cas-register/good/mongodb-v0-ack-rollback-.jsonl": "register"}  # empty file


def shared_files() -> list[Path]:
    if not HISTORIES.is_dir():
        pytest.skip(f"shared histories not found at {HISTORIES} (expected ../shared/histories beside the repo)")
    return sorted(HISTORIES.rglob("*.jsonl"))


def rel(path: Path) -> str:
    return str(path.relative_to(HISTORIES))


def raises(data, key: str, *, where: str | None = None, **kwargs) -> HistoryError:
    """``read_history(data)`` raises ``key``; ``where`` (a regex) must match the start of e.where."""
    with pytest.raises(HistoryError) as info:
        read_history(data, **kwargs)
    e = info.value
    assert e.key == key, (e.key, str(e))
    if where is not None:
        assert re.match(where, e.where), e.where
    assert_translatable(e)
    return e


def assert_translatable(e: HistoryError) -> None:
    """The key exists in both catalogs and its placeholders are all among the error's args."""
    for lang in ("en", "zh"):
        text = catalog(lang)[e.key]
        text.format(**e.args_)  # KeyError here = a placeholder the raiser does not supply


# =============================================================================== real files


@functools.cache
def parsed_shared_files() -> dict[str, tuple[int, History]]:
    """Each shared file's non-empty line count and history (read once for the tests below)."""
    out = {}
    for path in shared_files():
        data = path.read_bytes()
        out[rel(path)] = (sum(1 for line in data.splitlines() if line.strip()), read_history(data, name=path.name))
    return out


def test_all_230_shared_files_parse_with_one_op_per_line():
    files = parsed_shared_files()
    assert len(files) == 230
    for name, (lines, h) in files.items():
        assert len(h.ops) == lines, name
        assert [o.id for o in h.ops] == list(range(lines)), name  # the README: ids 0, 1, 2, … in line order
    # the op totals the READMEs state (jepsen-etcd 8,523; knossos 24,352)
    assert sum(len(h.ops) for n, (_l, h) in files.items() if n.startswith("jepsen-etcd/")) == 8523
    assert sum(len(h.ops) for n, (_l, h) in files.items() if n.startswith("knossos/")) == 24352


def test_inferred_datatype_is_the_directory_model():
    for name, (_lines, h) in parsed_shared_files().items():
        expected = AMBIGUOUS.get(name) or next(v for k, v in DIRECTORY_DATATYPE.items() if name.startswith(k + "/"))
        assert h.datatype == expected, name


def test_jsonl_fields_map_to_ops():
    path = HISTORIES / "jepsen-etcd" / "etcd_000.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not found")
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    h = read_history(path.read_text())
    for row, op in zip(rows, h.ops):
        assert (op.id, op.process, op.f, op.call, op.ret, op.status) == \
            (row["id"], str(row["client"]), row["op"], row["call"], row["return"], row["status"])
        assert op.input == (tuple(row["input"]) if isinstance(row["input"], list) else row["input"])
    assert h.timed and h.initial == {}


def test_datatype_argument_overrides_inference_and_is_checked():
    path = HISTORIES / "knossos" / "cas-register" / "bad" / "rethink-fail-minimal.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not found")
    assert read_history(path.read_text(), datatype="knossos-cas-register").datatype == "knossos-cas-register"
    raises(path.read_text(), "err.history.bad_op", where=r"line 1, field 'op'", datatype="knossos-mutex")
    raises(path.read_text(), "err.history.unknown_datatype", datatype="no-such-type")


def test_kv_values_and_keys():
    path = HISTORIES / "kv" / "c01-ok.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not found")
    h = read_history(path.read_bytes())
    assert h.datatype == "kv-string"
    assert {o.f for o in h.ops} <= {"get", "put", "append"} and all(isinstance(o.key, str) for o in h.ops)


# ---------------------------------------------------------------------- EDN on real histories


def _edn(value) -> str:
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return ":" + value  # keywords in Knossos's files (:read, :x); they read back as strings
    return "[" + " ".join(_edn(v) for v in value) + "]"


def jsonl_as_edn(text: str, *, etcd: bool) -> str:
    """The Jepsen history a JSON Lines file was converted from (positions kept; gaps = nemesis)."""
    events = {}
    for row in map(json.loads, text.splitlines()):
        f, p = row["op"], row["client"]
        events[row["call"]] = f"{{:type :invoke, :f :{f}, :value {_edn(row['input'])}, :process {p}}}"
        if row["status"] == "info":
            continue  # its completion (if any) carried no information: left as a gap
        kind = "fail" if row["status"] == "fail" or (etcd and row["output"] is False) else "ok"
        value = row["output"] if f in ("read", "txn") else row["input"]
        events[row["return"]] = f"{{:type :{kind}, :f :{f}, :value {_edn(value)}, :process {p}, :time 5}}"
    size = max(events) + 1 if events else 0
    nemesis = "{:type :info, :f :start, :process :nemesis, :value #inst \"2017-01-01T00:00:00Z\"}"
    return "[" + "\n ".join(events.get(i, nemesis) for i in range(size)) + "]"


EDN_SAMPLE = ["jepsen-etcd/etcd_000.jsonl", "jepsen-etcd/etcd_001.jsonl", "jepsen-etcd/etcd_040.jsonl",
              "knossos/mutex/bad/etcd.jsonl", "knossos/multi-register/good/multi-register.jsonl",
              "knossos/cas-register/bad/cas-failure.jsonl", "knossos/cas-register/bad/rethink-fail-smaller.jsonl",
              "knossos/cas-register/good/cas-register-bug.jsonl",
              "knossos/cas-register/good/mongodb-v0-ack-rollback-1.jsonl"]


@pytest.mark.parametrize("name", EDN_SAMPLE)
def test_edn_of_real_history_reads_back_to_the_same_ops(name):
    path = HISTORIES / name
    if not path.exists():
        pytest.skip(f"{path} not found")
    etcd = name.startswith("jepsen-etcd")
    datatype = "etcd-register" if etcd else None
    from_jsonl = read_history(path.read_text(), datatype=datatype)
    from_edn = read_history(jsonl_as_edn(path.read_text(), etcd=etcd), datatype=datatype)
    assert from_edn == from_jsonl
    assert from_edn.datatype == (datatype or from_jsonl.datatype)


# ============================================================================== EDN semantics

SMALL_EDN = """[{:type :invoke, :f :write, :value 1, :process 0, :time 10, :index 0}
 {:type :invoke, :f :read, :value nil, :process 1}
 {:type :info, :f :start, :process :nemesis}
 {:type :ok, :f :write, :value 1, :process 0}
 {:type :ok, :f :read, :value 1, :process 1}
 {:type :invoke, :f :cas, :value [1 2], :process 0}
 {:type :invoke, :f :write, :value 3, :process 2}
 {:type :fail, :f :cas, :value [1 2], :process 0}
 {:type :info, :f :write, :value 3, :process 2}
 {:type :invoke, :f :read, :value nil, :process 3}]"""


def test_edn_pairs_invocations_with_completions_like_knossos_complete():
    h = read_history(SMALL_EDN)
    assert h.datatype == "knossos-cas-register" and h.timed
    assert [(o.process, o.f, o.input, o.output, o.call, o.ret, o.status) for o in h.ops] == [
        ("0", "write", 1, None, 0, 3, "ok"),
        ("1", "read", None, 1, 1, 4, "ok"),
        ("0", "cas", (1, 2), None, 5, 7, "fail"),
        ("2", "write", 3, None, 6, None, "info"),  # :info completion → indeterminate
        ("3", "read", None, None, 9, None, "info"),  # never completed → indeterminate
    ]
    assert [o.id for o in h.ops] == [0, 1, 2, 3, 4]


def test_edn_etcd_register_reads_failed_cas_as_compare_failed():
    h = read_history(SMALL_EDN, datatype="etcd-register")
    cas = h.ops[2]
    assert (cas.status, cas.output, cas.ret) == ("ok", False, 7)


def test_edn_one_map_per_line_keywords_and_txn():
    text = ('{:type :invoke, :f :txn, :value [[:read :x nil] [:write :y 2]], :process 0}\n'
            '{:type :ok, :f :txn, :value [[:read :x 0] [:write :y 2]], :process 0}\n'
            '{:type :invoke, :f :txn, :value [[:write :x :a]], :process 1}\n')
    h = read_history(text, name="history.edn")
    assert detect_format(text) == "edn"
    assert h.datatype == "knossos-multi-register"
    assert h.ops[0].input == (("read", "x", None), ("write", "y", 2))
    assert h.ops[0].output == (("read", "x", 0), ("write", "y", 2))
    assert h.ops[1].input == (("write", "x", "a"),) and h.ops[1].status == "info"


def test_edn_mutex_is_inferred():
    text = "[{:type :invoke :f :acquire :process 0} {:type :ok :f :acquire :process 0}]"
    h = read_history(text)
    assert h.datatype == "knossos-mutex" and h.ops[0].f == "acquire" and h.ops[0].output is None


@pytest.mark.parametrize("text,key,where", [
    ('[{:type :invoke :f :read :value #foo/bar 1 :process 0}]', "err.history.edn_tag", None),
    ('[{:type :invoke :f :read :value #inst "2017-01-01T00:00:00Z" :process 0}]', "err.history.bad_value",
     r"event 0, field ':value'"),
    ('[{:type :invoke :f :write :value #uuid "f81d4fae-7dec-11d0-a765-00a0c91e6bf6" :process 0}]',
     "err.history.bad_value", r"event 0"),
    ('[{:type :invoke :f :write :value 1/2 :process 0}]', "err.history.bad_value", r"event 0"),
    ('[{:type :invoke :f :read :process 0}', "err.history.edn_syntax", None),
    ('[{:type :invoke :f}]', "err.history.edn_syntax", None),
    ('[{:type :ok :f :read :value 1 :process 0}]', "err.history.edn_no_invoke", r"event 0"),
    ('[{:type :invoke :f :read :process 0} {:type :invoke :f :read :process 0}]',
     "err.history.overlap_in_process", r"event 1"),
    ('[{:type :begin :f :read :process 0}]', "err.history.edn_type", r"event 0, field ':type'"),
    ('[1 2 3]', "err.history.edn_not_map", r"event 0"),
    ('[{:type :invoke :f :add :value 1 :process 0}]', "err.history.bad_op", r"event 0, field ':f'"),
    ('[{:type :invoke :f :cas :value 1 :process 0}]', "err.history.bad_cas", r"event 0, field 'input'"),
    ('[{:type :invoke :f :read :process 0.5}]', "err.history.want_int", r"event 0, field ':process'"),
    ("[" + "[" * 40 + "]" * 40 + "]", "err.history.edn_not_map", r"event 0"),
    ('[{:type :invoke :f :write :value ' + "[" * 40 + "]" * 40 + ' :process 0}]', "err.history.too_deep",
     r"event 0"),
])
def test_bad_edn_is_a_history_error(text, key, where):
    raises(text, key, where=where)


def test_edn_with_a_tag_does_not_register_handlers_globally():
    import edn_format.edn_parse as parse

    before = dict(parse._serializers)
    raises('[{:type :invoke :f :read :value #foo 1 :process 0}]', "err.history.edn_tag")
    assert parse._serializers == before


def test_edn_too_many_invocations_is_refused_before_parsing():
    text = "[" + "{:type :invoke}" * (MAX_OPS + 1) + "]"
    raises(text, "err.history.too_many_ops")


# ============================================================================ round trips

KEYS = ("x", "y", "z1")
WORDS = ("a", "b", "hello", "x_2")
PROCESS_NAMES = ("P1", "P2", "P3", "alice", "c-1", "n.2", "进程")


# Strategies are built once: building them inside every draw dominated the test's run time.
SCALARS = st.one_of(st.none(), st.integers(-5, 10**12), st.sampled_from(WORDS))
JSON_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.text(max_size=6),
              st.floats(allow_nan=False, allow_infinity=False)),
    lambda inner: st.lists(inner, max_size=3).map(tuple), max_leaves=6)
OP_FS = {"register": st.sampled_from(("read", "write")), "cas-register": st.sampled_from(("read", "write", "cas")),
         "kv": st.sampled_from(("get", "put", "append"))}
STATUS = st.sampled_from(("ok", "ok", "ok", "fail", "info"))
KEY = st.sampled_from(KEYS)
ANY_KEY = st.sampled_from(KEYS + ("", None))  # JSON and textbook can say "" and null keys too
SMALL = st.integers(0, 4)


@st.composite
def histories(draw, *, datatype="register", values=SCALARS, keys=KEY, timed=None, canonical=False, min_ops=0):
    """A well-formed history: per process, ops one after another (an ``info`` op ends a process)."""
    timed = draw(st.booleans()) if timed is None else timed
    names = draw(st.lists(st.sampled_from(PROCESS_NAMES), min_size=1, max_size=3, unique=True))
    ops: list[Op] = []
    for name in names:
        t = draw(SMALL)
        for _ in range(draw(SMALL)):
            ops.append(_draw_op(draw, datatype, values, keys, name, len(ops), t if timed else None))
            if timed:
                t = (ops[-1].ret if ops[-1].ret is not None else t) + 1 + draw(SMALL)
            if ops[-1].status == "info" and timed:
                break  # a process that never got its answer runs nothing after it
    if len(ops) < min_ops:
        ops.append(_draw_op(draw, datatype, values, keys, names[0] + "-", len(ops), 0 if timed else None,
                            status="ok"))
    if not canonical:  # any distinct ids; the tuple in id order (what every reader produces)
        ids = draw(st.randoms(use_true_random=False)).sample(range(len(ops) + 3), len(ops))
        ops = sorted((replace(o, id=i) for o, i in zip(ops, ids)), key=lambda o: o.id)
    initial = draw(st.dictionaries(keys, values, max_size=2))
    return History(ops=tuple(ops), datatype=datatype, initial=initial, timed=timed)


def _draw_op(draw, datatype, values, keys, process, op_id, call, status=None):
    status = status or draw(STATUS)
    ret = None if call is None or status == "info" else call + draw(SMALL)
    key, f, value = draw(keys), draw(OP_FS[datatype]), draw(values)
    if f in ("read", "get"):
        return Op(id=op_id, process=process, f=f, key=key, output=value if status == "ok" else None,
                  call=call, ret=ret, status=status)
    if f == "cas":
        value = (value, draw(values))
    if f == "append":
        value = draw(st.sampled_from(WORDS))
    output = draw(st.booleans()) if f == "cas" and status == "ok" else None
    return Op(id=op_id, process=process, f=f, key=key, input=value, output=output, call=call, ret=ret,
              status=status)


ROUND_TRIP = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@ROUND_TRIP
@given(st.sampled_from(("register", "cas-register", "kv")).flatmap(
    lambda dt: histories(datatype=dt, values=JSON_VALUES, keys=ANY_KEY)))
def test_json_round_trip_is_exact(h):
    text = to_json(h)
    assert read_history(text) == h
    assert text.endswith("\n") and text.count("\n") == 1
    assert json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n" == text


@ROUND_TRIP
@given(histories(datatype="register", values=JSON_VALUES, keys=ANY_KEY, timed=True, min_ops=1)
       | histories(datatype="register", values=JSON_VALUES, keys=ANY_KEY, timed=False))
def test_textbook_round_trip_is_exact(h):
    assert read_history(to_textbook(h)) == h


@ROUND_TRIP
@given(histories(datatype="register", canonical=True, timed=True, min_ops=1)
       | histories(datatype="register", canonical=True, timed=False))
def test_notation_round_trip_is_exact(h):
    text = to_notation(h)
    assert read_history(text) == h
    assert parse_notation(text) == h


@ROUND_TRIP
@given(histories(datatype="register"))
def test_notation_renumbers_but_keeps_every_process_program(h):
    back = parse_notation(to_notation(h))
    strip = lambda ops: [replace(o, id=0) for o in ops]  # noqa: E731
    assert {p: strip(ops) for p, ops in back.by_process().items()} == \
        {p: strip(ops) for p, ops in h.by_process().items()}


def test_json_keeps_a_null_key_initial_value_and_float_values():
    h = History(ops=(Op(id=5, process="a", f="write", key=None, input=1.5, call=0, ret=1),),
                datatype="cas-register", initial={None: 0, "y": (1, "two")}, timed=True)
    assert read_history(to_json(h)) == h
    assert read_history(to_textbook(replace(h, datatype="register"))) == replace(h, datatype="register")


def test_writers_refuse_what_their_format_cannot_say():
    kv = read_history('{"id": 0, "client": 0, "call": 0, "return": 1, "status": "ok", "op": "get", '
                      '"key": "k", "input": null, "output": ""}')
    for write in (to_textbook, to_notation):
        with pytest.raises(HistoryError) as info:
            write(kv)
        assert info.value.key == "err.history.not_register"
        assert_translatable(info.value)
    spaced = parse_notation("P1: W(x)1")
    for bad in (replace(spaced, ops=(replace(spaced.ops[0], input="two words"),)),
                replace(spaced, ops=(replace(spaced.ops[0], input="NIL"),)),
                replace(spaced, ops=(replace(spaced.ops[0], input=True),)),
                replace(spaced, ops=(replace(spaced.ops[0], key="a b"),))):
        with pytest.raises(HistoryError) as info:
            to_notation(bad)
        assert info.value.key == "err.history.not_representable" and info.value.where == "op 0"
    with pytest.raises(HistoryError) as info:
        to_porcupine(spaced)  # untimed
    assert info.value.key == "err.history.untimed_export"


# =========================================================================== textbook format


def test_textbook_example_from_the_brief():
    text = json.dumps({"initial": {"x": 0}, "processes": [
        [{"type": "write", "key": "x", "value": 1, "call": 0, "return": 2},
         {"type": "read", "key": "x", "value": 2, "call": 3, "return": 5}],
        [{"type": "write", "key": "x", "value": 2, "call": 1, "return": 4}]]})
    h = read_history(text)
    assert h.datatype == "register" and h.timed and h.initial == {"x": 0}
    assert [(o.id, o.process, o.label()) for o in h.ops] == [(0, "P1", "W(x)1"), (1, "P1", "R(x)2"),
                                                             (2, "P2", "W(x)2")]
    untimed = read_history(json.dumps({"processes": [[{"type": "read", "key": "x", "value": None}]]}))
    assert not untimed.timed and untimed.ops[0].output is None and untimed.ops[0].call is None


@pytest.mark.parametrize("processes,key,where", [
    ([[{"type": "write", "key": "x", "value": 1, "call": 0, "return": 1}, {"type": "read", "key": "x", "value": 1}]],
     "err.history.mixed_fields", r"processes\[0\]\[1\], field 'call'"),
    ([[{"type": "increment", "key": "x"}]], "err.history.bad_op", r"processes\[0\]\[0\], field 'type'"),
    ([[{"key": "x", "value": 1}]], "err.history.missing_field", r"processes\[0\]\[0\]"),
    ([[{"type": "write", "key": "x", "value": 1, "call": 4, "return": 2}]], "err.history.return_before_call",
     r"processes\[0\]\[0\], field 'return'"),
    ([[{"type": "write", "key": "x", "value": 1, "call": 0, "return": 5},
       {"type": "write", "key": "x", "value": 2, "call": 3, "return": 6}]], "err.history.overlap_in_process",
     r"processes\[0\]\[1\]$"),
    ([[{"type": "write", "key": "x", "value": 1, "retrun": 5}]], "err.history.unknown_field",
     r"processes\[0\]\[0\], field 'retrun'"),
    ([[{"type": "read", "key": 7, "value": 1}]], "err.history.want_string_or_null",
     r"processes\[0\]\[0\], field 'key'"),
    ([[{"type": "read", "key": "x", "value": 1, "status": "info"}]], "err.history.output_not_ok",
     r"processes\[0\]\[0\], field 'value'"),
    ([{"type": "read"}], "err.history.want_list", r"field 'processes'"),
    ([[{"type": "write", "key": "x", "value": 1, "return": 5}]], "err.history.missing_field",
     r"processes\[0\]\[0\]$"),
])
def test_bad_textbook_input(processes, key, where):
    raises(json.dumps({"initial": {"x": 0}, "processes": processes}), key, where=where)


# =========================================================================== our JSON format


def _lab(**changes):
    op = {"id": 0, "process": "P1", "f": "write", "key": "x", "input": 1, "output": None, "call": 0, "return": 2,
          "status": "ok"}
    op.update(changes.pop("op", {}))
    doc = {"format": "consistency-lab/history", "version": 1, "datatype": "register", "initial": {}, "timed": True,
           "ops": [op]}
    doc.update(changes)
    return json.dumps(doc, indent=2)


def test_lab_json_reads_pretty_printed_documents():
    h = read_history(_lab())
    assert h.ops[0].label() == "W(x)1" and detect_format(_lab()) == "json"


@pytest.mark.parametrize("changes,key,where", [
    ({"version": 2}, "err.history.bad_version", r"field 'version'"),
    ({"format": "something-else"}, "err.history.unknown_format", None),
    ({"datatype": "queue"}, "err.history.unknown_datatype", None),
    ({"timed": "yes"}, "err.history.want_bool", r"field 'timed'"),
    ({"op": {"call": "0"}}, "err.history.want_int_or_null", r"ops\[0\], field 'call'"),
    ({"op": {"process": 3}}, "err.history.want_string", r"ops\[0\], field 'process'"),
    ({"op": {"status": "done"}}, "err.history.bad_status", r"ops\[0\], field 'status'"),
    ({"op": {"call": None}}, "err.history.missing_call", r"ops\[0\]$"),
    ({"op": {"f": "cas", "input": 1}}, "err.history.bad_op", r"ops\[0\], field 'f'"),
    ({"op": {"extra": 1}}, "err.history.unknown_field", r"ops\[0\], field 'extra'"),
    ({"initial": [["x", 1], ["x", 2]]}, "err.history.duplicate_initial", r"field 'initial'\[1\]"),
    ({"initial": 3}, "err.history.want_object", r"field 'initial'"),
    ({"ops": {}}, "err.history.want_list", r"field 'ops'"),
])
def test_bad_lab_json(changes, key, where):
    raises(_lab(**changes), key, where=where)


def test_lab_json_duplicate_ids_name_the_second_entry():
    doc = json.loads(_lab())
    doc["ops"].append(dict(doc["ops"][0], call=5, **{"return": 6}))
    raises(json.dumps(doc), "err.history.duplicate_id", where=r"ops\[1\]$")


# ============================================================================ JSON Lines bad


def _etcd_lines() -> list[str]:
    path = HISTORIES / "jepsen-etcd" / "etcd_000.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not found")
    return path.read_text().splitlines()


def _with_line(lines: list[str], n: int, **changes) -> str:
    row = json.loads(lines[n - 1])
    for k, v in changes.items():
        if v is _DELETE:
            del row[k]
        else:
            row[k] = v
    return "\n".join(lines[:n - 1] + [json.dumps(row)] + lines[n:])


_DELETE = object()


def test_truncated_json_line_names_the_line():
    lines = _etcd_lines()
    text = "\n".join(lines[:2] + [lines[2][: len(lines[2]) // 2]] + lines[3:])
    raises(text, "err.history.json_syntax", where=r"line 3, column \d+")


@pytest.mark.parametrize("changes,key,where", [
    ({"call": "12"}, "err.history.want_int", r"line 12, field 'call'"),
    ({"call": True}, "err.history.want_int", r"line 12, field 'call'"),
    ({"return": 1.5}, "err.history.want_int_or_null", r"line 12, field 'return'"),
    ({"status": _DELETE}, "err.history.missing_field", r"line 12$"),
    ({"client": [1]}, "err.history.want_int", r"line 12, field 'client'"),
    ({"op": ""}, "err.history.want_string", r"line 12, field 'op'"),
    ({"status": "maybe"}, "err.history.bad_status", r"line 12, field 'status'"),
    ({"call": 10**6}, "err.history.return_before_call", r"line 12, field 'return'"),
    ({"status": "ok", "return": None}, "err.history.ok_without_return", r"line 12, field 'return'"),
    ({"status": "info", "return": 40, "output": None}, "err.history.info_with_return", r"line 12, field 'return'"),
    ({"status": "fail", "output": 3}, "err.history.output_not_ok", r"line 12, field 'output'"),
    ({"id": 3}, "err.history.duplicate_id", r"line 12$"),
    ({"op": "cas", "input": [1]}, "err.history.bad_cas", r"line 12, field 'input'"),
    ({"input": [[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}, "err.history.too_deep", r"line 12, field 'input'"),
])
def test_bad_jsonl_field_names_line_and_field(changes, key, where):
    raises(_with_line(_etcd_lines(), 12, **changes), key, where=where)


def test_overlapping_ops_of_one_process_name_the_later_line():
    lines = _etcd_lines()
    first = json.loads(lines[0])  # client 0, call 0, return 6
    second_n = next(n for n, line in enumerate(lines, 1) if json.loads(line)["client"] == first["client"] and n > 1)
    text = _with_line(lines, second_n, call=first["return"] - 1)  # starts before the first one returned
    e = raises(text, "err.history.overlap_in_process", where=rf"line {second_n}$")
    assert e.args_["process"] == str(first["client"])


def test_nan_and_deep_json_are_refused():
    lines = _etcd_lines()
    raises("\n".join([lines[0].replace('"output": null', '"output": NaN')] + lines[1:]), "err.history.json_syntax",
           where=r"line 1")
    raises("\n".join([lines[0].replace('"input": null', '"input": ' + "[" * 5000 + "]" * 5000)] + lines[1:]),
           "err.history.json_syntax", where=r"line 1")


# ================================================================================ bounds


def test_input_over_16_mib_is_refused_before_parsing():
    big = b"{" + b" " * (MAX_BYTES + 1024 * 1024)  # 17 MiB, and not even valid JSON
    raises(big, "err.history.too_large")
    raises(big.decode(), "err.history.too_large")
    with pytest.raises(HistoryError) as info:
        parse_notation("P1: " + "W(x)1 " * (MAX_BYTES // 6 + 1000))
    assert info.value.key == "err.history.too_large"


def test_60k_ops_are_refused():
    line = '{"id": 0, "client": 0, "call": 0, "return": 1, "status": "ok", "op": "read", "key": null, ' \
           '"input": null, "output": 1}'
    raises("\n".join([line] * 60_000), "err.history.too_many_ops")
    with pytest.raises(HistoryError) as info:
        parse_notation("P1: " + "W(x)1 " * 60_000)
    assert info.value.key == "err.history.too_many_ops"
    doc = json.loads(_lab())
    doc["ops"] = [{}] * 60_000  # counted before any op is looked at
    raises(json.dumps(doc), "err.history.too_many_ops")
    raises(json.dumps({"processes": [[{}] * 30_000, [{}] * 30_000]}), "err.history.too_many_ops")


def test_not_utf8_and_unknown_formats():
    raises(b"\xff\xfe\x00P1", "err.history.not_text")
    raises('{\n  "hello": 1\n}', "err.history.unknown_format")
    raises('{"hello": 1}', "err.history.missing_field", where=r"line 1$")  # one object on a line: JSON Lines
    h = read_history("  \n")
    assert h.ops == () and not h.timed


# ============================================================================== notation


def test_tanenbaum_figure_in_notation():
    h = parse_notation("# Tanenbaum & van Steen, Fig. 7-4\nP1: W(x)a\nP2: R(x)NIL R(x)a\n")
    assert [(o.process, o.f, o.key, o.input, o.output) for o in h.ops] == [
        ("P1", "write", "x", "a", None), ("P2", "read", "x", None, None), ("P2", "read", "x", None, "a")]
    assert h.datatype == "register" and not h.timed and h.initial == {}
    assert detect_format("P1: W(x)1") == "notation"


def test_notation_init_times_and_marks():
    h = read_history("init x=0 y=⊥\nP1: W(x)1@0-2 R(x)2@3-5  # comment\nP2: W(x)2?@1\nP3: r(y)!@2-3\n")
    assert h.initial == {"x": 0, "y": None} and h.timed
    assert [(o.id, o.call, o.ret, o.status) for o in h.ops] == [(0, 0, 2, "ok"), (1, 3, 5, "ok"),
                                                                 (2, 1, None, "info"), (3, 2, 3, "fail")]


@pytest.mark.parametrize("text,key,where", [
    ("P1: W(x)1 R(x", "err.history.notation_token", r"line 1, column 11"),
    ("P1: W(x)1 Rx)2", "err.history.notation_token", r"line 1, column 11"),
    ("P1: W(x)1\n\nP2: W(x)2 W(x)1a", "err.history.notation_token", r"line 3, column 11"),
    ("P1: W(x)", "err.history.notation_value", r"line 1, column 5"),
    ("P1: R(x)1?", "err.history.notation_value", r"line 1, column 5"),
    ("P1: W(x)1@0-2 R(x)1", "err.history.mixed_timing", r"line 1, column 15"),
    ("P1: W(x)1@5-2", "err.history.return_before_call", r"line 1, column 5"),
    ("P1: W(x)1@0-5 R(x)1@3-6", "err.history.overlap_in_process", r"line 1, column 15"),
    ("P1: W(x)1\nP1: R(x)1", "err.history.duplicate_process", r"line 2, column 1"),
    ("P1 W(x)1", "err.history.notation_line", r"line 1"),
    ("init x=1 x=2", "err.history.duplicate_initial", r"line 1, column 10"),
    ("init x:1", "err.history.notation_token", r"line 1, column 6"),
    ("P1: W(x)1?@0-3", "err.history.info_with_return", r"line 1, column 5"),
])
def test_notation_typos_name_line_and_column(text, key, where):
    e = raises(text, key, where=where)
    with pytest.raises(HistoryError):
        parse_notation(text)
    if key in ("err.history.notation_token", "err.history.notation_value"):
        assert e.args_["token"] in text


# ============================================================================== Porcupine


def test_porcupine_export_of_a_real_etcd_history():
    lines = _etcd_lines()
    h = read_history("\n".join(lines))
    out = [json.loads(line) for line in to_porcupine(h).splitlines()]
    kept = [o for o in h.ops if o.status != "fail"]
    assert len(out) == len(kept)
    end = max(t for o in h.ops for t in (o.call, o.ret) if t is not None) + 1
    for rec, op in zip(out, kept):
        assert set(rec) == {"ClientId", "Input", "Call", "Output", "Return"}
        assert rec["ClientId"] == int(op.process) and rec["Call"] == op.call
        assert rec["Input"] == {"Op": op.f, "Key": op.key, "Value": list(op.input) if op.f == "cas" else op.input}
        if op.status == "info":
            assert rec["Return"] == end and rec["Output"] == {"Unknown": True}
        else:
            assert rec["Return"] == op.ret and rec["Output"] == {"Value": op.output}


def test_porcupine_client_ids_for_named_processes():
    h = parse_notation("P1: W(x)1@0-1\nP2: R(x)1@2-3")
    assert [json.loads(line)["ClientId"] for line in to_porcupine(h).splitlines()] == [0, 1]


# ============================================================================== catalogs


def test_every_history_error_key_is_in_both_catalogs():
    sources = [ROOT / "checkers" / name for name in ("history.py", "formats.py", "format_rules.py", "edn.py",
                                                     "notation.py", "from_trace.py")]
    keys = {k for p in sources for k in re.findall(r"[\"'](err\.history\.[a-z_]+)[\"']", p.read_text())}
    assert len(keys) >= 40
    for lang in ("en", "zh"):
        missing = sorted(k for k in keys if k not in catalog(lang))
        assert not missing, (lang, missing)
    unused = sorted(k for k in catalog("en") if k.startswith("err.history.") and k not in keys)
    assert not unused, unused


def test_messages_agree_with_where_being_given():
    """A key raised without ``where`` must not print "{where}" (it would read ": …"), and one raised
    with it should show it. ``err(key, english, where)`` always passes one."""
    for name in ("formats.py", "format_rules.py", "edn.py", "notation.py", "history.py"):
        tree = ast.parse((ROOT / "checkers" / name).read_text())
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id in ("HistoryError", "err") and node.args
                    and isinstance(node.args[0], ast.Constant)):
                continue
            key = node.args[0].value
            with_where = node.func.id == "err" or any(k.arg == "where" for k in node.keywords)
            assert ("{where}" in catalog("en")[key]) == with_where, (name, node.lineno, key)
