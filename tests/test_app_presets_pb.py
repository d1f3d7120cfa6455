"""Application scenarios on the primary-backup store: ZooKeeper's sync, DynamoDB's two read consistencies and
two Azure Cosmos DB levels (bounded staleness, consistent prefix). Each run and its client history are checked
against every "Model shown" claim of the preset's description.

Key events are found by searching the trace, never by hard-coded step numbers.
"""

from __future__ import annotations

import pytest

import tests.test_app_presets as app  # its helpers; imported as a module so its tests are not collected twice
from lessons.presets import list_presets, load_preset
from sim.engine import run
from tests.test_primary_backup import staleness

APP_PB = ("primary-backup-app-zookeeper-sync-read", "primary-backup-app-dynamodb-eventual-reads",
          "primary-backup-app-dynamodb-strong-reads", "primary-backup-app-cosmos-bounded-staleness",
          "primary-backup-app-cosmos-consistent-prefix")
ALL_MODELS = ("linearizable", "sequential", "causal", "pram", "read-your-writes", "monotonic-reads",
              "monotonic-writes", "writes-follow-reads", "eventual")


def _notes(t, key):
    return [e for e in t.events if e.kind == "note" and e.detail["key"] == key]


def _verdicts(h) -> dict[str, str]:
    return {m: app._verdict(h, m) for m in ALL_MODELS}


def test_every_new_app_preset_exists_is_listed_and_ordered_after_the_old_ones():
    listed = {p.id: p for p in list_presets()}
    for pid in APP_PB:
        assert pid in listed and listed[pid].meta["order"] >= 12


@pytest.mark.parametrize("pid", APP_PB)
def test_app_preset_is_bilingual_cites_its_documentation_and_states_its_model(pid):
    app.test_app_preset_is_bilingual_and_captioned_in_both_languages_at_the_same_steps(pid)
    # the preset ids a description names exist, in both languages
    meta = load_preset(pid).meta["description"]
    named = {p.id for p in list_presets() if p.id != pid and p.id in meta["en"]}
    assert named == {p.id for p in list_presets() if p.id != pid and p.id in meta["zh"]}
    assert named <= set(APP_PB) | {"primary-backup-app-zookeeper-follower-reads"}


def test_zookeeper_sync_read_sees_the_acknowledged_write():
    stale, synced = load_preset("primary-backup-app-zookeeper-follower-reads"), \
        load_preset("primary-backup-app-zookeeper-sync-read")
    assert synced.params == stale.params and synced.faults == stale.faults and synced.network == stale.network
    # the same scenario, except that c2's first read is a sync read
    assert [w.op.get("sync") for w in synced.workload] == [None, True, None]
    assert [{**w.op, "sync": None} for w in synced.workload] == [{**w.op, "sync": None} for w in stale.workload]
    t, h = app._run("primary-backup-app-zookeeper-sync-read")
    (put,) = [o for o in h.ops if o.f == "put"]
    first, second = [o for o in h.ops if o.f == "get"]
    assert put.status == "ok" and first.process == "c2" and first.call > put.ret
    # without sync b2 would have answered from an empty committed prefix (the follower-reads preset's None)
    ask = next(e for e in _notes(t, "pb.sync_ask"))
    assert ask.node == "b2" and t.states_at(ask.step)["b2"]["commit_index"] == 0
    request = next(e for e in t.events if e.kind == "send" and e.payload["type"] == "SyncRequest")
    point = next(e for e in _notes(t, "pb.sync_point"))
    reply = next(e for e in t.events if e.kind == "deliver" and e.payload["type"] == "SyncReply")
    answer = next(e for e in _notes(t, "pb.sync_read"))
    assert ask.step == request.step < point.step < reply.step <= answer.step
    assert (point.node, point.detail["args"]["commit"]) == ("p", 1)
    assert answer.detail["args"]["point"] == 1 and answer.detail["args"]["commit"] >= 1
    assert first.output == 1 and second.output == 1
    # Model shown: linearizable
    assert app._verdict(h, "linearizable") == "ok"


def test_dynamodb_eventual_and_strong_reads_differ_only_in_where_the_reads_go():
    ev, st = load_preset("primary-backup-app-dynamodb-eventual-reads"), \
        load_preset("primary-backup-app-dynamodb-strong-reads")
    assert ev.params == st.params and ev.faults == st.faults == () and ev.network == st.network
    assert ev.params["sync_replication"] is True and ev.params["backup_reads"] is True
    assert [(w.at, w.client, w.op) for w in ev.workload] == [(w.at, w.client, w.op) for w in st.workload]
    assert [w.node for w in ev.workload] == ["p", "b2", "b2"] and [w.node for w in st.workload] == ["p", "p", "p"]


def test_dynamodb_eventually_consistent_read_misses_its_own_write():
    t, h = app._run("primary-backup-app-dynamodb-eventual-reads")
    (put,) = [o for o in h.ops if o.f == "put"]
    reads = [o for o in h.ops if o.f == "get"]
    assert put.status == "ok" and all(o.process == "c1" and o.call > put.ret for o in reads)
    assert [o.output for o in reads] == [None, 1]  # stale, then (repeated a little later) the latest item
    # b2 holds x = 1 but does not know yet that it is committed: it answers only committed values
    stale = next(e for e in _notes(t, "pb.read") if e.node == "b2")
    at = t.states_at(stale.step)["b2"]
    assert len(at["log"]) == 1 and at["commit_index"] == 0
    # Model shown: not RYW, not linearizable, nor sequential, causal or PRAM; eventual (and MR, MW, WFR) hold
    assert _verdicts(h) == {"linearizable": "illegal", "sequential": "illegal", "causal": "illegal",
                            "pram": "illegal", "read-your-writes": "illegal", "monotonic-reads": "ok",
                            "monotonic-writes": "ok", "writes-follow-reads": "ok", "eventual": "ok"}


def test_dynamodb_strongly_consistent_reads_at_the_leader_are_linearizable():
    t, h = app._run("primary-backup-app-dynamodb-strong-reads")
    reads = [o for o in h.ops if o.f == "get"]
    assert [o.output for o in reads] == [1, 1]
    assert {e.node for e in _notes(t, "pb.read")} == {"p"}
    assert all(s["p"]["role"] == "primary" for s in (t.states_at(i) for i in range(1, t.n_steps)))
    assert app._verdict(h, "linearizable") == "ok"  # Model shown: linearizable


def test_cosmos_bounded_staleness_holds_a_write_back_and_keeps_reads_within_k():
    sc = load_preset("primary-backup-app-cosmos-bounded-staleness")
    k = sc.params["max_lag"]
    assert (k, sc.params["sync_replication"], sc.params["backup_reads"]) == (2, False, True)
    t, h = app._run("primary-backup-app-cosmos-bounded-staleness")
    writes = [o for o in h.ops if o.f == "put"]
    assert [o.input for o in writes] == [1, 2, 3] and all(o.status == "ok" for o in writes)
    # write 3 is held back: acknowledged only after b2, whose update was delayed, holds entry 1
    (hold,) = _notes(t, "pb.hold")
    assert hold.detail["args"]["index"] == 3 and hold.detail["args"]["floor"] == 3 - k
    delay = next(e for e in t.events if e.kind == "delay")
    assert delay.node == "b2"
    released = next(e for e in _notes(t, "pb.ack_bounded") if e.detail["args"]["index"] == 3)
    b1_caught_up = next(e.step for e in t.events if e.kind == "deliver" and e.peer == "b1"
                        and e.payload["type"] == "Ack" and e.payload["match"] >= 1)
    assert hold.step < b1_caught_up < released.step
    assert t.states_at(b1_caught_up)["p"]["pending"] == {"3": "c3"}  # still waiting (JSON state: text keys)
    # the reader at b2 is exactly K versions behind while write 3 is held, never more
    lags = dict(staleness(t))
    stale_read = next(o for o in h.ops if o.f == "get" and o.output is None)
    assert stale_read.call < writes[2].ret and lags[stale_read.id] == k
    assert max(lags.values()) <= k and [o.output for o in h.ops if o.f == "get"] == [None, 3]
    # without max_lag the same run acknowledges write 3 at once, and the same read is 3 versions behind
    off = run(sc.replace(params={**sc.params, "max_lag": 0}))
    assert max(lag for _, lag in staleness(off)) == 3 > k
    # Model shown: not linearizable; this one history passes sequential consistency and every weaker model
    assert _verdicts(h) == {m: "illegal" if m == "linearizable" else "ok" for m in ALL_MODELS}


def test_cosmos_consistent_prefix_every_replica_holds_a_prefix_yet_reads_go_back():
    sc = load_preset("primary-backup-app-cosmos-consistent-prefix")
    assert (sc.params["sync_replication"], sc.params["backup_reads"], sc.params["max_lag"]) == (False, True, 0)
    t, h = app._run("primary-backup-app-cosmos-consistent-prefix")
    # every replica's state (its committed prefix) is a prefix of the primary's log, at every step
    for i in range(1, t.n_steps):
        states = t.states_at(i)
        assert states["p"]["role"] == "primary"
        plog = states["p"]["log"]
        for b in ("b1", "b2"):
            assert states[b]["log"][:states[b]["commit_index"]] == plog[:states[b]["commit_index"]], (i, b)
    reads = [o for o in h.ops if o.f == "get"]
    assert all(o.process == "r" for o in reads) and [o.output for o in reads] == [2, 1, 2]
    where = [e.node for e in _notes(t, "pb.read")]
    assert where == ["b1", "b2", "b2"]  # a roaming reader: newer at b1, then older at b2
    # Model shown: not monotonic reads, hence not PRAM, causal, sequential, linearizable; MW, WFR, eventual and
    # (vacuously, r writes nothing) read-your-writes hold
    assert _verdicts(h) == {"linearizable": "illegal", "sequential": "illegal", "causal": "illegal",
                            "pram": "illegal", "read-your-writes": "ok", "monotonic-reads": "illegal",
                            "monotonic-writes": "ok", "writes-follow-reads": "ok", "eventual": "ok"}
    assert not any(o.f == "put" and o.process == "r" for o in h.ops)
