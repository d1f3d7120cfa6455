"""Application scenarios modelled on cloud stores (Cassandra at ALL, Azure Cosmos DB's Strong,
Session and Eventual levels, Amazon S3 today and before December 2020): each run and its client
history checked against the consistency model its description says it shows.

Key events are found by searching the trace, never by hard-coded step numbers.
"""

from __future__ import annotations

import re

import pytest

from checkers.from_trace import history_from_trace
from lessons.presets import list_presets, load_preset
from protocols import REGISTRY
from sim.engine import run
from tests.test_app_presets import _returns, _run, _verdict

CLOUD = ("quorum-store-app-cassandra-all", "raft-app-cosmos-strong", "eventual-store-app-cosmos-session",
         "eventual-store-app-cosmos-eventual", "chain-replication-app-s3-read-after-write",
         "eventual-store-app-s3-before-2020")
# presets of the same series written alongside these; a description may name them before they exist
SIBLINGS_ELSEWHERE = {"primary-backup-app-cosmos-bounded-staleness", "primary-backup-app-cosmos-consistent-prefix"}
SESSION_GUARANTEES = ("ryw", "mr", "mw", "wfr")


def _notes(t, key, node=None):
    return [e for e in t.events if e.kind == "note" and e.detail["key"] == key and (node is None or e.node == node)]


def _first(t, kind, node=None):
    return next(e for e in t.events if e.kind == kind and (node is None or e.node == node))


def _ops(h, process=None, f=None):
    return [o for o in h.ops if (process is None or o.process == process) and (f is None or o.f == f)]


def _read_results(t, client):
    """(step, result) of every read of ``client`` that returned a value or was refused / timed out, in order."""
    out = []
    for e in _returns(t, client):
        if "value" in e.detail["result"] or e.detail["result"].get("error") in ("session", "timeout"):
            out.append((e.step, e.detail["result"]))
    return out


# ---------------------------------------------------------------------------- every preset
def test_every_cloud_preset_exists_and_is_listed():
    listed = {p.id for p in list_presets()}
    assert set(CLOUD) <= listed


@pytest.mark.parametrize("pid", CLOUD)
def test_cloud_preset_is_bilingual_captioned_and_states_its_model(pid):
    meta = load_preset(pid).meta
    assert isinstance(meta["order"], int) and meta["order"] >= 12
    for field in ("title", "description"):
        assert meta[field]["en"].strip() and meta[field]["zh"].strip()
    assert meta["title"]["en"].startswith("Application: ") and meta["title"]["zh"].startswith("应用场景：")
    en, zh = meta["description"]["en"], meta["description"]["zh"]
    # a model of the behaviour, not the real system; the documentation it cites, in both languages
    assert "not the real system" in en and "而不是真实系统" in zh
    assert "documentation" in en or "Guide" in en
    assert "文档" in zh or "指南" in zh
    assert "Model shown:" in en and "展示的模型：" in zh
    assert "differs" in en and "不同" in zh  # says plainly where the model differs from the system
    t, _ = _run(pid)
    steps = [c["step"] for c in meta["captions"]]
    assert steps == sorted(set(steps)) and len(steps) >= 3
    for c in meta["captions"]:
        assert c["en"].strip() and c["zh"].strip() and 0 <= c["step"] < t.n_steps - 1
        assert t.events_of_step(c["step"]), c  # every caption sits on a step where something happens
    assert t.end["reason"] == "quiescent" and t.first_violation_step() is None


@pytest.mark.parametrize("pid", CLOUD)
def test_the_presets_a_description_names_exist(pid):
    listed = {p.id for p in list_presets()}
    meta = load_preset(pid).meta
    for lang in ("en", "zh"):
        named = {m for m in re.findall(r"[a-z0-9]+(?:-[a-z0-9]+)+", meta["description"][lang])
                 if any(m.startswith(proto + "-") for proto in REGISTRY)}
        assert named, "a cloud preset points at its siblings"
        assert named <= listed | SIBLINGS_ELSEWHERE, named - listed - SIBLINGS_ELSEWHERE


# ---------------------------------------------------------------------------- Cassandra at ALL
def test_cassandra_all_is_unavailable_with_one_replica_down_but_stays_consistent():
    pid = "quorum-store-app-cassandra-all"
    sc = load_preset(pid)
    assert (sc.params["N"], sc.params["R"], sc.params["W"]) == (3, 3, 3)
    assert sc.params["sloppy"] is False  # a strict quorum: ALL means all of the key's replicas
    t, h = _run(pid)
    crash, restart = _first(t, "crash"), _first(t, "restart")
    assert crash.node == restart.node == "n3" and crash.step < restart.step
    # while all three replicas are up, ALL works
    before = [e for e in t.events if e.kind == "return" and e.step < crash.step]
    assert before and all(e.detail["result"].get("ok") is True for e in before)
    assert [e.detail["result"].get("value") for e in before if "value" in e.detail["result"]] == [1]
    # with n3 down, nothing at ALL completes: the write times out (outcome unknown), the read fails
    down = [e for e in t.events if e.kind == "return" and crash.step < e.step < restart.step]
    assert [e.detail["result"] for e in down if e.detail["client"] == "c1"] == [
        {"indeterminate": True, "reason": "timeout"}]
    assert all(e.detail["result"].get("ok") is False for e in down if e.detail["client"] != "c1")
    (put_timeout,) = _notes(t, "qs.put_timeout")
    (get_timeout,) = _notes(t, "qs.get_timeout")
    assert crash.step < put_timeout.step < restart.step and put_timeout.detail["args"]["got"] == 2
    assert crash.step < get_timeout.step < restart.step and get_timeout.detail["args"]["got"] == 2
    (unknown,) = [o for o in h.ops if o.status == "info"]
    assert unknown.f == "put" and unknown.input == 2
    (failed,) = [o for o in h.ops if o.status == "fail"]
    assert failed.f == "get" and failed.process == "c2"
    assert any(e.detail["result"] == {"ok": False, "error": "timeout"} for e in down)
    # the write is not rolled back: once n3 is back, ALL reads it, and read repair fixes n3
    after = [e for e in _returns(t) if e.step > restart.step]
    assert [e.detail["result"] for e in after] == [{"ok": True, "value": 2}]
    assert any(e.detail["args"]["to"] == "n3" for e in _notes(t, "qs.read_repair") if e.step > restart.step)
    assert _notes(t, "qs.repaired", "n3")
    final = t.states_at(t.n_steps - 1)
    assert {tuple(final[n]["store"]["x"][0])[0] for n in ("n1", "n2", "n3")} == {2}
    # Model shown: linearizable, hence sequential, causal, read-your-writes and eventual
    for model in ("linearizable", "sequential", "causal", "read-your-writes", "eventual"):
        assert _verdict(h, model) == "ok", model


def test_cassandra_all_the_same_run_at_quorum_completes_everything():
    sc = load_preset("quorum-store-app-cassandra-all")
    quorum = sc.replace(params={**sc.params, "R": 2, "W": 2})
    t = run(quorum)
    rets = _returns(t)
    assert len(rets) == len(sc.workload) and all(e.detail["result"].get("ok") is True for e in rets)
    assert t.end["reason"] == "quiescent" and t.first_violation_step() is None
    # the siblings it compares itself with
    listed = {p.id for p in list_presets()}
    assert {"quorum-store-app-cassandra-quorum", "quorum-store-app-cassandra-one"} <= listed


def test_cassandra_all_does_not_make_last_write_wins_linearizable():
    """The description's caveat: a skewed clock loses a later write at ALL as at QUORUM."""
    sc = load_preset("quorum-store-lww-lost-write")
    at_all = sc.replace(params={**sc.params, "R": 3, "W": 3})
    h = history_from_trace(run(at_all))[0]
    assert all(o.status == "ok" for o in h.ops)
    assert _verdict(h, "linearizable") == "illegal"


# ---------------------------------------------------------------------------- Cosmos DB: Strong
def test_cosmos_strong_on_raft_is_linearizable_and_the_minority_side_answers_nothing():
    t, h = _run("raft-app-cosmos-strong")
    part, heal = _first(t, "partition"), _first(t, "heal")
    assert part.step < heal.step
    cut = {tuple(p) for p in part.detail["cut"]}
    assert cut == {("s1", "s2"), ("s1", "s3"), ("s2", "s1"), ("s3", "s1")}  # s1 alone, a minority
    leaders = [(e.step, e.detail["args"]["node"], e.detail["args"]["term"]) for e in _notes(t, "raft.become_leader")]
    assert leaders[0][1:] == ("s1", 1) and leaders[0][0] < part.step
    assert any(part.step < step < heal.step and node != "s1" and term > 1 for step, node, term in leaders)
    # every answer s1 gives while cut off: none (the minority side is unavailable, never stale)
    assert not [e for e in t.events if e.kind == "return" and e.node == "s1" and part.step < e.step < heal.step]
    invoked_at_s1 = [e for e in t.events if e.kind == "invoke" and e.node == "s1" and part.step < e.step < heal.step]
    assert {e.detail["client"] for e in invoked_at_s1} == {"c1", "c4"}
    unknown = sorted((o.f, o.input) for o in h.ops if o.status == "info")
    assert unknown == [("get", None), ("put", 2)]  # c1's x = 2 and c4's read: no answer
    # the majority side goes on: the latest committed write is read, a new write commits
    majority = [e for e in _returns(t) if part.step < e.step < heal.step and e.node != "s1"]
    assert {"ok": True, "value": 1} in [e.detail["result"] for e in majority]
    assert {"ok": True} in [e.detail["result"] for e in majority]
    # after the heal s1 steps down and drops its uncommitted entries
    assert any(e.step > heal.step and e.detail["args"]["node"] == "s1" for e in _notes(t, "raft.truncate"))
    reads = [o.output for o in h.ops if o.f == "get" and o.status == "ok"]
    assert reads == [1, 1, 3]
    assert _verdict(h, "linearizable") == "ok"


# ---------------------------------------------------------------------------- Cosmos DB: Session, Eventual
def test_cosmos_session_and_eventual_run_the_same_workload():
    session = load_preset("eventual-store-app-cosmos-session")
    eventual = load_preset("eventual-store-app-cosmos-eventual")
    assert session.workload == eventual.workload and session.faults == eventual.faults
    assert session.network == eventual.network and session.seed == eventual.seed
    assert all(session.params[g] is True for g in SESSION_GUARANTEES)
    assert all(eventual.params[g] is False for g in SESSION_GUARANTEES)
    assert {k: v for k, v in session.params.items() if k not in SESSION_GUARANTEES} == \
           {k: v for k, v in eventual.params.items() if k not in SESSION_GUARANTEES}
    assert session.params["push"] is False and session.bug is None and eventual.bug is None


def test_cosmos_session_keeps_each_session_consistent_but_is_not_linearizable():
    t, h = _run("eventual-store-app-cosmos-session")
    put_ok = next(e for e in _returns(t, "c1") if e.detail["result"] == {"ok": True})
    # c1 roams: a replica that has not seen its write refuses (the session token is not covered)
    refusals = _notes(t, "es.refuse")
    assert {e.node for e in refusals} == {"r2", "r3"} and all(e.detail["args"]["client"] == "c1" for e in refusals)
    for e in refusals:  # each refusal comes before that replica merged the write
        merged = min(m.step for m in _notes(t, "es.merge", e.node))
        assert e.step < merged
    # the second refusal also protects monotonic reads: c1 had read at r1 by then
    request = next(e for e in t.events_of_step(refusals[1].step) if e.kind == "deliver")
    assert request.payload["read_vec"] == {"r1": 1} and request.payload["write_vec"] == {"r1": 1}
    c1 = [r for _s, r in _read_results(t, "c1")]
    assert c1 == [{"ok": False, "error": "session"}, {"ok": True, "value": 1},
                  {"ok": False, "error": "session"}, {"ok": True, "value": 1}]
    # a served read of c1's session never misses its write, at r1 and later at r3
    served = [e for e in _notes(t, "es.read") if e.detail["args"]["client"] == "c1"]
    assert {e.node for e in served} == {"r1", "r3"} and all(e.detail["args"]["value"] == 1 for e in served)
    # c2, another session, reads nothing after c1's write completed: stale, allowed
    c2 = _read_results(t, "c2")
    assert c2[0][0] > put_ok.step and c2[0][1] == {"ok": True, "value": None}
    assert c2[-1][1] == {"ok": True, "value": 1}
    for model in ("read-your-writes", "monotonic-reads", "monotonic-writes", "writes-follow-reads", "causal",
                  "eventual"):
        assert _verdict(h, model) == "ok", model
    assert _verdict(h, "linearizable") == "illegal"


def test_cosmos_eventual_loses_your_own_write_and_goes_back_in_time_then_converges():
    t, h = _run("eventual-store-app-cosmos-eventual")
    assert not _notes(t, "es.refuse")  # nothing is checked, nothing refused
    put_ok = next(e for e in _returns(t, "c1") if e.detail["result"] == {"ok": True})
    c1 = _read_results(t, "c1")
    assert [r.get("value") for _s, r in c1] == [None, 1, None, 1]
    assert c1[0][0] > put_ok.step  # its own acknowledged write is missing: not read-your-writes
    assert c1[1][0] < c1[2][0]  # it read x = 1, then nothing: not monotonic reads
    stale_at = {e.node for e in _notes(t, "es.read") if e.detail["args"]["client"] == "c1"
                and e.detail["args"]["value"] is None}
    assert stale_at == {"r2", "r3"}
    # the replicas converge
    final = t.states_at(t.n_steps - 1)
    assert {final[r]["store"]["x"]["value"] for r in ("r1", "r2", "r3")} == {1}
    assert _read_results(t, "c2")[-1][1] == {"ok": True, "value": 1}
    assert _verdict(h, "eventual") == "ok"
    for model in ("read-your-writes", "monotonic-reads", "causal", "sequential", "linearizable"):
        assert _verdict(h, model) == "illegal", model


# ---------------------------------------------------------------------------- Amazon S3
def test_s3_read_after_write_holds_for_overwrites_across_a_tail_crash():
    t, h = _run("chain-replication-app-s3-read-after-write")
    puts, gets = _ops(h, f="put"), _ops(h, f="get")
    assert all(o.status == "ok" for o in h.ops)
    # every GET returns the data of the last PUT acknowledged before it started (none was in flight)
    for g in gets:
        done = [p for p in puts if p.ret < g.call]
        assert done and not [p for p in puts if p.call < g.call < p.ret]
        assert g.output == max(done, key=lambda p: p.ret).input, g
    c1_puts = _ops(h, "c1", "put")
    assert [p.input for p in c1_puts] == [1, 2]  # a new object, then an overwrite
    first_get = min(gets, key=lambda o: o.call)
    assert first_get.process == "c2" and first_get.call > c1_puts[1].ret and first_get.output == 2
    # the tail crashes; the master makes n2 the tail; a GET there still sees the overwrite
    crash = _first(t, "crash")
    assert crash.node == "n3"
    (removed,) = _notes(t, "cr.remove")
    assert removed.detail["args"]["failed"] == "n3" and removed.step > crash.step
    new_tail = next(e for e in _notes(t, "cr.config", "n2") if e.detail["args"]["role"] == "tail")
    after = [e for e in _returns(t, "c2") if e.step > new_tail.step and e.node == "n2"]
    assert after and after[0].detail["result"] == {"ok": True, "value": 2}
    # concurrent PUTs to the same key: the head orders them, both are told ok, one wins
    c3, c4 = _ops(h, "c3", "put")[0], _ops(h, "c4", "put")[0]
    inv = {e.detail["client"]: e for e in t.events if e.kind == "invoke" and e.detail["client"] in ("c3", "c4")}
    assert inv["c3"].time == inv["c4"].time
    seqs = {e.detail["args"]["entry"]: e.detail["args"]["seq"] for e in _notes(t, "cr.head_update", "n1")}
    winner = 3 if seqs["put x=3"] > seqs["put x=4"] else 4
    assert abs(seqs["put x=3"] - seqs["put x=4"]) == 1 and c3.status == c4.status == "ok"
    assert max(gets, key=lambda o: o.call).output == winner == 4
    assert _verdict(h, "linearizable") == "ok"


def test_s3_before_2020_reads_an_acknowledged_overwrite_stale_then_converges():
    t, h = _run("eventual-store-app-s3-before-2020")
    assert not any(load_preset("eventual-store-app-s3-before-2020").params[g] for g in SESSION_GUARANTEES)
    overwrite = next(o for o in _ops(h, "c1", "put") if o.input == 2)
    assert overwrite.status == "ok"
    # the new object had spread to every replica before the overwrite (only overwrites are stale here)
    inv2 = next(e for e in t.events if e.kind == "invoke" and e.detail["op"].get("value") == 2)
    assert {e.node for e in _notes(t, "es.merge") if e.step < inv2.step} == {"r2", "r3"}
    after = sorted((o for o in _ops(h, f="get") if o.call > overwrite.ret), key=lambda o: o.call)
    assert [(o.process, o.output) for o in after] == [("c1", 1), ("c2", 1), ("c1", 2), ("c2", 2)]
    final = t.states_at(t.n_steps - 1)
    assert {final[r]["store"]["x"]["value"] for r in ("r1", "r2", "r3")} == {2}
    assert _verdict(h, "eventual") == "ok"
    for model in ("read-your-writes", "linearizable"):
        assert _verdict(h, model) == "illegal", model
