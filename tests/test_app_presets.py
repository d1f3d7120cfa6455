"""Application scenarios: presets modelled on how real systems behave (Cassandra, Kafka, etcd,
ZooKeeper, DynamoDB, Azure Cosmos DB, S3), each run and its client history checked against the
consistency model its description says it shows (more in test_app_presets_pb.py and
test_app_presets_cloud.py).

Key events are found by searching the trace, never by hard-coded step numbers.
"""

from __future__ import annotations

import pytest

from checkers import check
from checkers.from_trace import history_from_trace
from lessons.presets import list_presets, load_preset
from sim.engine import run

APP = ("quorum-store-app-cassandra-one", "quorum-store-app-cassandra-quorum", "quorum-store-app-cassandra-all",
       "primary-backup-app-kafka-acks1", "raft-app-etcd-linearizable", "primary-backup-app-zookeeper-follower-reads",
       "primary-backup-app-zookeeper-sync-read", "primary-backup-app-dynamodb-eventual-reads",
       "primary-backup-app-dynamodb-strong-reads", "raft-app-cosmos-strong",
       "primary-backup-app-cosmos-bounded-staleness", "eventual-store-app-cosmos-session",
       "primary-backup-app-cosmos-consistent-prefix", "eventual-store-app-cosmos-eventual",
       "chain-replication-app-s3-read-after-write", "eventual-store-app-s3-before-2020")


def _run(pid):
    t = run(load_preset(pid))
    return t, history_from_trace(t)[0]


def _verdict(history, model):
    return check(history, model).result


def _returns(t, client=None):
    return [e for e in t.events if e.kind == "return" and (client is None or e.detail["client"] == client)]


def test_every_app_preset_exists_and_is_listed():
    listed = {p.id for p in list_presets()}
    assert set(APP) <= listed
    assert {p for p in listed if "-app-" in p} == set(APP)


@pytest.mark.parametrize("pid", APP)
def test_app_preset_is_bilingual_and_captioned_in_both_languages_at_the_same_steps(pid):
    meta = load_preset(pid).meta
    for field in ("title", "description"):
        assert meta[field]["en"].strip() and meta[field]["zh"].strip()
    en, zh = meta["description"]["en"], meta["description"]["zh"]
    # a model of the behaviour, not the real system; the documentation it cites, in both languages
    assert "not the real system" in en and "而不是真实系统" in zh
    assert "documentation" in en or "Guide" in en
    assert "文档" in zh or "指南" in zh
    # the consistency model it shows is stated explicitly
    assert "Model shown:" in en and "展示的模型：" in zh
    t, _ = _run(pid)
    steps = [c["step"] for c in meta["captions"]]
    assert steps == sorted(set(steps)) and len(steps) >= 3
    for c in meta["captions"]:
        assert c["en"].strip() and c["zh"].strip() and 0 <= c["step"] < t.n_steps - 1
    assert t.end["reason"] == "quiescent" and t.first_violation_step() is None


def test_cassandra_one_reads_stale_its_own_acknowledged_write():
    t, h = _run("quorum-store-app-cassandra-one")
    sc = load_preset("quorum-store-app-cassandra-one")
    assert (sc.params["N"], sc.params["R"], sc.params["W"]) == (3, 1, 1)
    put_ok = next(e for e in _returns(t, "c1") if e.detail["result"] == {"ok": True})
    first_read = next(e for e in _returns(t, "c1") if "value" in e.detail["result"])
    assert put_ok.step < first_read.step and first_read.detail["result"]["value"] is None
    for model in ("read-your-writes", "linearizable", "sequential"):
        assert _verdict(h, model) == "illegal", model
    assert _verdict(h, "eventual") == "ok"
    assert [e.detail["result"].get("value") for e in _returns(t, "c1")][-1] == 1  # eventually it converges


def test_cassandra_quorum_same_workload_reads_its_own_write():
    one, quorum = load_preset("quorum-store-app-cassandra-one"), load_preset("quorum-store-app-cassandra-quorum")
    assert one.workload == quorum.workload and one.faults == quorum.faults
    assert (quorum.params["N"], quorum.params["R"], quorum.params["W"]) == (3, 2, 2)
    t, h = _run("quorum-store-app-cassandra-quorum")
    reads = [e.detail["result"]["value"] for e in _returns(t, "c1") if "value" in e.detail["result"]]
    assert reads == [1, 1]
    assert _verdict(h, "read-your-writes") == "ok"
    # the description does not over-claim: it points at the preset where QUORUM is not linearizable
    assert "quorum-store-new-old-inversion" in {p.id for p in list_presets()}
    t2, h2 = _run("quorum-store-new-old-inversion")
    assert _verdict(h2, "linearizable") == "illegal"


def test_kafka_acks1_loses_the_acknowledged_record_when_the_leader_crashes():
    t, h = _run("primary-backup-app-kafka-acks1")
    assert load_preset("primary-backup-app-kafka-acks1").params["sync_replication"] is False
    crash = next(e for e in t.events if e.kind == "crash")
    assert crash.node == "p"
    acked = [o for o in h.ops if o.f == "put" and o.status == "ok"]
    assert [o.input for o in acked] == [1, 2]
    takeover = next(e for e in t.events if e.kind == "note" and e.detail["key"] == "pb.takeover")
    assert crash.step < takeover.step and takeover.node == "b1"
    # record 2 was acknowledged before the crash, and it exists only on p
    ack1, ack2 = _returns(t, "producer")
    assert ack1.step < ack2.step < crash.step and ack2.detail["result"] == {"ok": True}
    at_crash = t.states_at(crash.step)
    assert all(len(at_crash[b]["log"]) == 1 for b in ("b1", "b2")) and len(at_crash["p"]["log"]) == 2
    (read,) = [o for o in h.ops if o.f == "get"]
    assert read.process == "consumer" and read.status == "ok" and read.output == 1  # record 2 is gone
    assert _verdict(h, "linearizable") == "illegal"


def test_etcd_style_raft_is_linearizable_across_a_leader_crash():
    t, h = _run("raft-app-etcd-linearizable")
    leaders = [(e.step, e.detail["args"]["node"], e.detail["args"]["term"]) for e in t.events
               if e.kind == "note" and e.detail["key"] == "raft.become_leader"]
    crash = next(e for e in t.events if e.kind == "crash")
    assert leaders[0][1:] == ("s1", 1) and crash.node == "s1"
    assert any(step > crash.step and node != "s1" and term > 1 for step, node, term in leaders)  # a new leader
    assert any(e.kind == "restart" and e.node == "s1" for e in t.events)
    statuses = {o.status for o in h.ops}
    assert {"ok", "info", "fail"} <= statuses  # an unknown write (cut off by the crash) and a redirect
    (unknown,) = [o for o in h.ops if o.status == "info"]
    assert unknown.f == "put" and unknown.input == 2
    reads = [o.output for o in h.ops if o.f == "get" and o.status == "ok"]
    assert reads == [1, 2, 3]  # the unknown write took effect
    assert _verdict(h, "linearizable") == "ok"


def test_zookeeper_style_follower_read_is_stale_but_not_out_of_order():
    t, h = _run("primary-backup-app-zookeeper-follower-reads")
    assert load_preset("primary-backup-app-zookeeper-follower-reads").params["backup_reads"] is True
    (put,) = [o for o in h.ops if o.f == "put"]
    reads = [o for o in h.ops if o.f == "get"]
    assert put.status == "ok" and all(o.process == "c2" for o in reads)
    assert reads[0].call > put.ret and reads[0].output is None and reads[1].output == 1
    assert _verdict(h, "linearizable") == "illegal"
    assert _verdict(h, "sequential") == "ok"
