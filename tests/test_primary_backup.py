"""Primary-backup (protocols/primary_backup.py): transcripts citing the book, invariants, client histories.

Transcript tests feed one input to one node and compare the effects (h11 style); each cites the
rule of van Steen & Tanenbaum, *Distributed Systems* (4th ed.), §7.5.1 (remote-write protocols) or
of Budhiraja et al., *The Primary-Backup Approach* (1993), it checks. Property tests run more than
500 seeded fault schedules (crashes, restarts, duplication, bounded reordering: the synchronous
fault model under which the timeout is a perfect failure detector) and check every client history
against every model ``SPEC.claims`` for that configuration; seeded searches then show what the
weaker configurations, a partition and the bug variant break.
"""

from __future__ import annotations

import random

from checkers import check
from checkers.from_trace import history_from_trace
from lessons.presets import load_preset
from protocols import REGISTRY
from protocols.primary_backup import Ack, Alive, Replica, SyncReply, SyncRequest, Update
from sim.engine import Simulation, run
from sim.scenario import parse_scenario
from sim.types import ClientRequest, Deliver, Note, Reply, Restart, Send, SetTimer, Start, Timer

SPEC = REGISTRY["primary-backup"]
IDS = ("p", "b1", "b2")


def node(name="p", bug=None, **over) -> Replica:
    r = Replica(name, IDS, SPEC.resolve_params(over), bug, random.Random(0))
    r.step(Start(), 0)
    return r


def put(value, key="x"):
    return {"f": "put", "key": key, "value": value}


GET = {"f": "get", "key": "x"}
SYNC_GET = {"f": "get", "key": "x", "sync": True}


def entry(value, view=1, client="c1", key="x"):
    return {"view": view, "client": client, "key": key, "value": value}


# ------------------------------------------------------------------ transcripts
def test_blocking_write_is_acknowledged_only_after_every_member_holds_it():
    """Reference: van Steen & Tanenbaum §7.5.1 — blocking remote-write: the primary forwards the update to
    the backups and acknowledges the client only after all of them acknowledged."""
    p = node()
    effects = p.step(ClientRequest(client="c1", op=put(1)), 5)
    sends = [e for e in effects if isinstance(e, Send)]
    assert [s.dst for s in sends] == ["b1", "b2"]
    assert sends[0].msg == Update(view=1, start=0, entries=(entry(1),), commit=0, member=True, seq=1)
    assert not any(isinstance(e, Reply) for e in effects) and p.pending == {1: "c1"}
    assert not any(isinstance(e, Reply) for e in p.step(Deliver(src="b1", msg=Ack(view=1, match=1)), 10))
    effects = p.step(Deliver(src="b2", msg=Ack(view=1, match=1)), 11)
    assert effects[-1] == Reply(client="c1", result={"ok": True})
    assert p.commit_index == 1 and p.kv == {"x": 1} and p.acked == [[1, 1, 1]]
    assert p.step(ClientRequest(client="c2", op=GET), 12)[-1] == Reply(client="c2", result={"ok": True, "value": 1})


def test_non_blocking_write_is_acknowledged_at_once_and_shipped_with_the_heartbeat():
    """Reference: van Steen & Tanenbaum §7.5.1 — non-blocking remote-write: the primary acknowledges as soon
    as it has applied the update locally and propagates it afterwards."""
    p = node(sync_replication=False)
    effects = p.step(ClientRequest(client="c1", op=put(1)), 5)
    assert effects[-1] == Reply(client="c1", result={"ok": True}) and not any(isinstance(e, Send) for e in effects)
    assert p.acked == []  # the history variable records blocking acknowledgements only
    beat = p.step(Timer(name="heartbeat"), 20)
    assert beat[0] == SetTimer(name="heartbeat", after=20)
    assert Send(dst="b1", msg=Update(view=1, start=0, entries=(entry(1),), commit=1, member=True, seq=1)) in beat


def test_backup_refuses_writes_and_reads_unless_backup_reads():
    """Reference: van Steen & Tanenbaum §7.5.1 — in remote-write every write is forwarded to the one primary;
    reads may be served locally (here only with ``backup_reads``), from the committed prefix."""
    b = node("b1")
    assert b.step(ClientRequest(client="c1", op=put(1)), 5)[-1] == Reply(
        client="c1", result={"ok": False, "error": "not_primary", "primary": "p"})
    assert b.step(ClientRequest(client="c1", op=GET), 5)[-1].result["error"] == "not_primary"
    b = node("b1", backup_reads=True)
    b.step(Deliver(src="p", msg=Update(view=1, start=0, entries=(entry(1), entry(2)), commit=1, member=True,
                                       seq=1)), 6)
    assert b.log == [entry(1), entry(2)] and b.commit_index == 1
    assert b.step(ClientRequest(client="c1", op=GET), 7)[-1] == Reply(client="c1", result={"ok": True, "value": 1})


def test_lowest_ranked_live_synced_backup_takes_over_the_others_wait():
    """Reference: Budhiraja et al. 1993 — when the primary fails, a backup is chosen to become the new
    primary (here: the lowest-ranked live synced node, after a seeded failover timeout)."""
    b2 = node("b2")
    b2.step(Deliver(src="b1", msg=Alive(view=1, synced=True)), 100)
    assert b2.step(Timer(name="failover"), 120)[0].key == "pb.wait_takeover" and b2.role == "backup"
    b1 = node("b1")
    b1.log = [entry(1)]
    b1.step(Deliver(src="b2", msg=Alive(view=1, synced=True)), 100)
    effects = b1.step(Timer(name="failover"), 120)
    assert effects[0] == Note(key="pb.takeover", args={"node": "b1", "old": "p", "view": 2, "members": "b2"})
    assert (b1.role, b1.view, b1.views_led, b1.view_start) == ("primary", 2, [2], 1)
    # a full state transfer to everyone, reads refused until the log is committed in view 2
    assert Send(dst="b2", msg=Update(view=2, start=0, entries=(entry(1),), commit=0, member=True, seq=2)) in effects
    assert b1.step(ClientRequest(client="c1", op=GET), 121)[-1].result["error"] == "not_ready"
    b1.step(Deliver(src="b2", msg=Ack(view=2, match=1)), 125)
    assert b1.commit_index == 1
    assert b1.step(ClientRequest(client="c1", op=GET), 126)[-1].result == {"ok": True, "value": 1}


def test_restarted_node_is_unsynced_and_never_takes_over_until_the_primary_adds_it():
    """Reference: curriculum §4.10 (Budhiraja et al. 1993) — the state transfer to a new backup completes before
    it counts; an unsynced node cannot become primary with a stale log (the ``takeover-unsynced`` bug does)."""
    b1 = node("b1")
    effects = b1.step(Restart(), 50)
    assert effects[0].key == "pb.restart" and not b1.synced and b1.primary is None
    assert b1.step(Timer(name="failover"), 200)[0].key == "pb.wait_takeover" and b1.role == "backup"
    buggy = node("b1", bug="takeover-unsynced")
    buggy.step(Restart(), 50)
    assert buggy.step(Timer(name="failover"), 200)[0].key == "pb.takeover"
    b1.step(Deliver(src="p", msg=Update(view=1, start=0, entries=(), commit=0, member=True, seq=9)), 210)
    assert b1.synced and b1.primary == "p"


def test_new_view_replaces_the_backup_log_and_a_stale_primary_steps_down():
    """Reference: van Steen & Tanenbaum §7.5.1 — backups apply updates in the order of the (current) primary:
    an entry the old primary never got acknowledged may be discarded by the new view's state transfer."""
    b2 = node("b2")
    b2.log = [entry(1), entry(2)]
    assert b2.step(Deliver(src="b1", msg=Update(view=2, start=1, entries=(), commit=0, member=True, seq=1)), 5) == [
        Send(dst="b1", msg=Ack(view=2, match=-1))]  # a new view must start with a full state transfer
    b2.step(Deliver(src="b1", msg=Update(view=2, start=0, entries=(entry(1),), commit=1, member=True, seq=2)), 6)
    assert (b2.log, b2.view, b2.primary, b2.kv) == ([entry(1)], 2, "b1", {"x": 1})
    p = node()
    effects = p.step(Deliver(src="b1", msg=Update(view=2, start=0, entries=(entry(1),), commit=1, member=False,
                                                  seq=1)), 7)
    assert effects[0] == Note(key="pb.step_down", args={"node": "p", "view": 2, "pending": 0})
    assert p.role == "backup" and p.view == 2 and not p.synced


def test_primary_drops_a_silent_backup_and_commits_without_it():
    """Reference: van Steen & Tanenbaum §7.5.1 — "every live backup": a crashed backup (silent for a failover
    timeout) no longer blocks writes."""
    p = node()
    p.step(ClientRequest(client="c1", op=put(1)), 5)
    p.step(Deliver(src="b1", msg=Ack(view=1, match=1)), 10)
    p.heard = {"b1": 90, "b2": 0}
    effects = p.step(Timer(name="heartbeat"), 100)
    assert Note(key="pb.drop_member", args={"node": "p", "backups": "b2"}) in effects
    assert Reply(client="c1", result={"ok": True}) in effects and p.members == ["b1"]


def test_sync_read_waits_for_the_primarys_commit_index():
    """Reference: ZooKeeper Programmer's Guide, 'Consistency Guarantees' — a client that must see the latest
    acknowledged update calls sync before its read: the follower catches up with the leader first."""
    b = node("b2", backup_reads=True)
    b.step(Deliver(src="p", msg=Update(view=1, start=0, entries=(entry(1),), commit=0, member=True, seq=1)), 5)
    effects = b.step(ClientRequest(client="c2", op=SYNC_GET), 7)  # the plain read would answer None now
    assert effects[0].key == "pb.sync_ask" and effects[1] == Send(dst="p", msg=SyncRequest(view=1, at=7, n=0))
    assert not any(isinstance(e, Reply) for e in effects) and b.syncs == [[0, 7, "c2", "x", None]]
    # the primary: its commit index is the sync point; an Update with what the backup lacks goes first
    p = node()
    p.step(ClientRequest(client="c1", op=put(1)), 1)
    p.step(Deliver(src="b1", msg=Ack(view=1, match=1)), 3)
    p.step(Deliver(src="b2", msg=Ack(view=1, match=1)), 3)
    effects = p.step(Deliver(src="b2", msg=SyncRequest(view=1, at=7, n=0)), 9)
    assert effects[0].key == "pb.sync_point" and isinstance(effects[1].msg, Update) and effects[1].msg.commit == 1
    assert effects[2] == Send(dst="b2", msg=SyncReply(view=1, at=7, n=0, commit=1, ok=True))
    # the sync point arrives before the update: b2 waits, then answers from its committed prefix
    effects = b.step(Deliver(src="p", msg=SyncReply(view=1, at=7, n=0, commit=1, ok=True)), 12)
    assert [e.key for e in effects] == ["pb.sync_wait"] and b.syncs == [[0, 7, "c2", "x", 1]]
    effects = b.step(Deliver(src="p", msg=Update(view=1, start=1, entries=(), commit=1, member=True, seq=2)), 13)
    assert Reply(client="c2", result={"ok": True, "value": 1}) in effects and b.syncs == []
    assert b.step(Deliver(src="p", msg=SyncReply(view=1, at=7, n=0, commit=1, ok=True)), 14) == []  # a duplicate


def test_sync_read_fails_definitely_when_it_cannot_complete():
    """A sync read never answers from a prefix it cannot vouch for: no primary known, a refusing primary, a
    new view or a silent primary each end it with ``sync_failed`` (a failed read has no effect)."""
    fail = Reply(client="c2", result={"ok": False, "error": "sync_failed"})
    b = node("b1", backup_reads=True)
    b.step(Restart(), 5)  # after a restart it knows no primary
    assert b.step(ClientRequest(client="c2", op=SYNC_GET), 6)[-1] == fail
    p = node()
    p.view_start = 1  # a new primary whose log is not committed in its view yet
    p.log = [entry(1)]
    assert p.step(Deliver(src="b1", msg=SyncRequest(view=1, at=6, n=0)), 7)[-1] == Send(
        dst="b1", msg=SyncReply(view=1, at=6, n=0, commit=-1, ok=False))
    b = node("b1", backup_reads=True)
    b.step(ClientRequest(client="c2", op=SYNC_GET), 6)
    assert b.step(Deliver(src="p", msg=SyncReply(view=1, at=6, n=0, commit=-1, ok=False)), 8)[-1] == fail
    b.step(ClientRequest(client="c2", op=SYNC_GET), 9)  # a new view's state transfer ends it
    effects = b.step(Deliver(src="b2", msg=Update(view=2, start=0, entries=(), commit=0, member=True, seq=1)), 10)
    assert fail in effects and b.syncs == []
    b.step(ClientRequest(client="c2", op=SYNC_GET), 11)  # so does a silent primary
    b.heard = {"b2": 0}
    assert fail in b.step(Timer(name="failover"), 200) and b.syncs == []
    # at the primary sync is a no-op; without backup_reads a backup refuses as for any read
    assert node().step(ClientRequest(client="c2", op=SYNC_GET), 5)[-1].result == {"ok": True, "value": None}
    assert node("b1").step(ClientRequest(client="c2", op=SYNC_GET), 5)[-1].result["error"] == "not_primary"


def test_bounded_staleness_holds_the_acknowledgement_until_every_live_backup_is_within_max_lag():
    """Reference: Azure Cosmos DB documentation, 'Consistency levels' — with bounded staleness, writes are
    throttled while a replica lags more than K versions behind. Here write i is acknowledged once every live
    backup holds i − K entries."""
    p = node(sync_replication=False, max_lag=1)
    assert p.step(ClientRequest(client="c1", op=put(1)), 5)[-1] == Reply(client="c1", result={"ok": True})
    effects = p.step(ClientRequest(client="c2", op=put(2)), 6)
    assert effects[-1] == Note(key="pb.hold", args={"node": "p", "index": 2, "max_lag": 1, "floor": 1,
                                                     "backups": "b1, b2"})
    assert p.pending == {2: "c2"} and p.commit_index == 2 and p.kv == {"x": 2}  # applied, not acknowledged
    assert not any(isinstance(e, Reply) for e in p.step(Deliver(src="b1", msg=Ack(view=1, match=2)), 30))
    effects = p.step(Deliver(src="b2", msg=Ack(view=1, match=1)), 31)
    assert effects[-1] == Reply(client="c2", result={"ok": True}) and p.pending == {}
    # a backup silent for a failover timeout (crashed) no longer holds writes back
    p.step(ClientRequest(client="c3", op=put(3)), 40)
    p.step(ClientRequest(client="c3", op=put(4)), 41)  # needs every live backup to hold 3 entries
    p.heard = {"b1": 150, "b2": 0}
    assert p.step(Deliver(src="b1", msg=Ack(view=1, match=4)), 150)[-1].result == {"ok": True}
    # with max_lag, only a synced backup answers reads; max_lag is ignored under blocking replication
    b = node("b1", sync_replication=False, backup_reads=True, max_lag=1)
    b.step(Restart(), 5)
    assert b.step(ClientRequest(client="c1", op=GET), 6)[-1].result == {"ok": False, "error": "not_synced"}
    assert not node(sync_replication=True, max_lag=1).bounded


def _inv(name):
    return next(i for i in SPEC.invariants if i.name == name)


def test_invariants_on_hand_made_states():
    ok = {"p": {"role": "primary", "view": 1, "log": [entry(1)], "views_led": [1], "acked": [[1, 1, 1]]},
          "b1": {"role": "backup", "view": 1, "log": [entry(1)], "synced": True, "views_led": [], "acked": []}}
    assert all(inv.check(ok) is None for inv in SPEC.invariants)
    twice = {**ok, "b1": {**ok["b1"], "views_led": [1]}}
    assert _inv("One primary per view").check(twice).args == {"a": "b1", "b": "p", "view": 1}
    lost = {**ok, "b1": {"role": "primary", "view": 2, "log": [], "views_led": [2], "acked": []}}
    assert _inv("Acknowledged writes survive failover").check(lost).args == {"node": "b1", "view": 2, "index": 1,
                                                                            "ack_view": 1}
    forked = {**ok, "b1": {**ok["b1"], "log": [entry(9)]}}
    assert _inv("Backups follow primary order").check(forked).args == {"node": "b1", "primary": "p"}


def test_claims_per_configuration():
    assert SPEC.claims({"sync_replication": True, "backup_reads": False}, None) == ("linearizable",)
    weak = ("monotonic-writes", "writes-follow-reads", "eventual")
    assert SPEC.claims({"sync_replication": True, "backup_reads": True}, None) == weak
    assert SPEC.claims({"sync_replication": False, "backup_reads": False}, None) == weak
    assert SPEC.claims({"sync_replication": True, "backup_reads": False}, "takeover-unsynced") == ()


# ------------------------------------------------------------------ runs
def _params(n, sync, backup_reads, horizon=480):
    return {"backups": n, "sync_replication": sync, "backup_reads": backup_reads, "heartbeat_interval": 25,
            "failover_timeout_min": 100, "failover_timeout_max": 140, "horizon_ticks": horizon}


def _network(r):
    """Bounded delays (at most 10 + 20 ticks < failover_timeout_min − heartbeat_interval): no false suspicion."""
    return {"duplicate": r.choice((0.0, 0.1)), "reorder": r.choice((0.0, 0.3)), "reorder_delay": 20,
            "latency": {"kind": "uniform", "low": 1, "high": 10}}


def _crashes(seed, sync=True, backup_reads=False, bug=None, partition=False):
    """1–4 crashes of any node (most restart later), 2–3 clients with 2–4 ops each at random nodes."""
    r = random.Random(seed)
    n = r.choice((1, 2, 2))
    ids = ["p"] + [f"b{i + 1}" for i in range(n)]
    faults = []
    for _ in range(r.randint(1, 4)):
        v, at = r.choice(ids), r.randint(20, 300)
        faults.append({"type": "crash", "node": v, "at": at})
        if r.random() < 0.8:
            faults.append({"type": "restart", "node": v, "at": at + r.randint(1, 150)})
    if partition:
        at = r.randint(20, 300)
        faults += [{"type": "partition", "groups": [r.sample(ids, r.randint(1, len(ids) - 1))], "at": at},
                   {"type": "heal", "at": at + r.randint(50, 250)}]
    workload = []
    for c in range(r.randint(2, 3)):
        at = r.randint(10, 60)
        for k in range(r.randint(2, 4)):
            node_ = "p" if r.random() < 0.5 else r.choice(ids)
            op = put(10 * c + k) if r.random() < 0.5 else GET
            workload.append({"at": at, "node": node_, "client": f"c{c}", "op": op})
            at += r.randint(30, 100)
    return {"protocol": "primary-backup", "seed": seed, "bug": bug, "params": _params(n, sync, backup_reads),
            "network": _network(r), "faults": faults, "workload": workload, "limits": {"max_steps": 5000}}


def _failovers(seed, sync=True, backup_reads=False, bug=None):
    """Every client first writes at the primary just before it crashes, then reads (or writes) anywhere."""
    r = random.Random(seed)
    n = r.choice((1, 2))
    ids = ["p"] + [f"b{i + 1}" for i in range(n)]
    crash_at = r.randint(60, 160)
    faults = [{"type": "crash", "node": "p", "at": crash_at}]
    if r.random() < 0.7:
        faults.append({"type": "restart", "node": "p", "at": crash_at + r.randint(5, 200)})
    if r.random() < 0.4:
        v, at = r.choice(ids[1:]), r.randint(20, 250)
        faults += [{"type": "crash", "node": v, "at": at}, {"type": "restart", "node": v, "at": at + r.randint(5, 150)}]
    workload = []
    for c in range(r.randint(2, 3)):
        at = crash_at - r.randint(0, 40)
        for k in range(r.randint(2, 4)):
            if k == 0:
                node_, op = "p", put(10 * c + k)
            else:
                node_, op = r.choice(ids), (put(10 * c + k) if r.random() < 0.3 else GET)
            workload.append({"at": at, "node": node_, "client": f"c{c}", "op": op})
            at += r.randint(20, 120)
    return {"protocol": "primary-backup", "seed": seed, "bug": bug, "params": _params(n, sync, backup_reads),
            "network": _network(r), "faults": faults, "workload": workload, "limits": {"max_steps": 5000}}


def _violated(t) -> set[str]:
    return t.ever_violated()


def _history(t):
    return history_from_trace(t)[0]


def test_same_scenario_same_trace_bytes():
    sc = parse_scenario(_failovers(3))
    assert run(sc).to_json() == run(sc).to_json()


def test_default_run_is_quiescent_and_linearizable():
    t = run(parse_scenario({"protocol": "primary-backup", "workload": SPEC.default_workload(SPEC.resolve_params({}))}))
    assert t.end["reason"] == "quiescent" and _violated(t) == set()
    h = _history(t)
    assert sum(o.status == "ok" for o in h.ops) >= 3 and check(h, "linearizable").result == "ok"


def _sweep(make, seeds, sync, backup_reads, verify_logs=False):
    claimed = SPEC.claims({"sync_replication": sync, "backup_reads": backup_reads}, None)
    completed = 0
    for seed in seeds:
        t = Simulation(parse_scenario(make(seed, sync, backup_reads)), verify_logs=verify_logs).run()
        assert t.end["reason"] == "quiescent" and _violated(t) == set(), (make.__name__, seed, t.invariant_changes)
        h = _history(t)
        for model in claimed:
            assert check(h, model).result == "ok", (make.__name__, seed, model)
        completed += sum(o.status == "ok" for o in h.ops)
    return completed


def test_blocking_replication_with_primary_reads_is_linearizable_under_crashes():
    """Reference: van Steen & Tanenbaum §7.5.1 — blocking remote-write with reads at the primary gives one
    up-to-date copy: 500 seeded schedules of crashes, restarts (of the primary too: failovers), duplication and
    bounded reordering; every invariant holds at every step and every history is linearizable."""
    completed = (_sweep(_crashes, range(40), True, False, verify_logs=True)  # also checks the Node.LOGS contract
                 + _sweep(_crashes, range(40, 250), True, False) + _sweep(_failovers, range(250), True, False))
    assert completed > 1000  # the histories are not all refusals


def test_weaker_configurations_keep_what_they_claim():
    """Non-blocking replication or backup reads: every history still satisfies the (weak) claimed models."""
    for sync, backup_reads in ((True, True), (False, False), (False, True)):
        _sweep(_crashes, range(50), sync, backup_reads)
        _sweep(_failovers, range(50), sync, backup_reads)


def test_non_blocking_failover_loses_an_acknowledged_write():
    """Reference: van Steen & Tanenbaum §7.5.1 — with non-blocking remote-write an acknowledged update may be
    lost when the primary fails before propagating it: not linearizable. The first seed of the failover
    sweep that shows it; the same schedule with blocking replication is linearizable."""
    found = next(seed for seed in range(100)
                 if check(_history(run(parse_scenario(_failovers(seed, sync=False)))), "linearizable").result
                 == "illegal")
    assert found == 3
    assert check(_history(run(parse_scenario(_failovers(found, sync=True)))), "linearizable").result == "ok"


def test_backup_reads_are_stale():
    """Reference: van Steen & Tanenbaum §7.5.1 — reads served by a backup's local copy may be stale even with
    blocking replication (the backup learns the commit index later): not linearizable."""
    found = next(seed for seed in range(100)
                 if check(_history(run(parse_scenario(_crashes(seed, backup_reads=True)))), "linearizable").result
                 == "illegal")
    assert found == 0
    assert check(_history(run(parse_scenario(_crashes(found)))), "linearizable").result == "ok"


def test_a_partition_makes_two_primaries_and_breaks_linearizability():
    """Reference: curriculum §4.10 (split brain) — a timeout cannot tell a crashed primary from a cut-off one:
    the old primary keeps acknowledging writes alone while a backup takes over. Outside the synchronous fault
    model the claim does not hold; the first seed whose history shows it."""
    found = next(seed for seed in range(200)
                 if check(_history(run(parse_scenario(_crashes(seed, partition=True)))), "linearizable").result
                 == "illegal")
    assert found == 13
    t = run(parse_scenario(_crashes(found, partition=True)))
    assert "Acknowledged writes survive failover" in _violated(t)
    roles = [s for s in (t.states_at(i) for i in range(t.n_steps))
             if sum(st.get("role") == "primary" for st in s.values()) == 2]
    assert roles  # two primaries at once (in different views)


def test_takeover_unsynced_bug_is_caught():
    """Reference: Budhiraja et al. 1993 — only an up-to-date backup may become primary. The bug lets a restarted,
    unsynced node take over: the first seeds of the correct protocol's sweeps that break each invariant."""
    breaks = set(SPEC.bug("takeover-unsynced").breaks)
    found = next(s for s in range(200)
                 if breaks <= _violated(run(parse_scenario(_crashes(s, bug="takeover-unsynced")))))
    assert found == 115 and breaks == {"One primary per view", "Acknowledged writes survive failover"}
    assert _violated(run(parse_scenario(_crashes(found)))) == set()


def _sync_reads(d):
    """The same generated scenario (same faults, same ops) with every read a sync read (a no-op at a primary)."""
    return {**d, "workload": [{**w, "op": {**w["op"], "sync": True}} if w["op"]["f"] == "get" else w
                              for w in d["workload"]]}


def _max_lag(d, k):
    return {**d, "params": {**d["params"], "max_lag": k}}


def test_sync_reads_at_backups_are_linearizable_under_crashes():
    """Reference: ZooKeeper Programmer's Guide, 'Consistency Guarantees' (sync, then read) — in this model, with
    blocking replication, a sync read returns a committed prefix that holds every write acknowledged before it
    began: reads at the primary and sync reads at the backups are linearizable. 600 seeded schedules of the
    fault model above (crashes, restarts, failovers, duplication, bounded reordering), reads anywhere."""
    answered = 0
    for make, seeds in ((_crashes, range(300)), (_failovers, range(300))):
        for seed in seeds:
            t = run(parse_scenario(_sync_reads(make(seed, True, True))))
            assert t.end["reason"] == "quiescent" and _violated(t) == set(), (make.__name__, seed)
            assert check(_history(t), "linearizable").result == "ok", (make.__name__, seed)
            answered += sum(e.kind == "note" and e.detail["key"] == "pb.sync_read" for e in t.events)
    assert answered > 200  # sync reads at backups do get answered, not only refused


def test_without_sync_the_same_backup_reads_are_not_linearizable():
    """The same schedules with plain reads: the first seed whose backup read is stale; with sync it is not."""
    found = next(seed for seed in range(100)
                 if check(_history(run(parse_scenario(_crashes(seed, True, True)))), "linearizable").result
                 == "illegal")
    assert found == 0
    assert check(_history(run(parse_scenario(_sync_reads(_crashes(found, True, True))))), "linearizable").result \
        == "ok"


def staleness(t) -> list[tuple[int, int]]:
    """How far behind each read a backup answered is: ``[(read op id, versions behind), ...]``, where versions
    behind = the log index of the newest write acknowledged before the read was invoked minus the length of the
    committed prefix the backup answered from. A write's index comes from its ``pb.append`` note, the prefix
    from the read's ``pb.read`` note, and "before" is the order of the trace's events. The checkers have no
    bounded-staleness model, so this is measured on the trace directly."""
    h, where = history_from_trace(t)

    def note(event, key):
        return next(e.detail["args"] for e in t.events_of_step(event.step)
                    if e.kind == "note" and e.detail["key"] == key and e.detail["args"]["node"] == event.node)

    acked = [(where[o.id][1], note(t.events[where[o.id][0]], "pb.append")["index"])
             for o in h.ops if o.f == "put" and o.status == "ok"]
    out = []
    for o in h.ops:
        if o.f != "get" or o.status != "ok":
            continue
        invoked, answered = where[o.id]
        reply = t.events[answered]
        if t.states_at(reply.step)[reply.node]["role"] != "backup":
            continue
        newest = max((index for ret, index in acked if ret < invoked), default=0)
        out.append((o.id, newest - note(reply, "pb.read")["commit"]))
    return out


def test_max_lag_bounds_the_staleness_of_backup_reads_under_crashes():
    """Reference: Azure Cosmos DB documentation, 'Consistency levels' (bounded staleness: reads lag behind writes
    by at most K versions; writes are throttled to keep it so). In this model (non-blocking replication, backup
    reads, max_lag K), a backup read is at most K versions behind the writes acknowledged before it began: 500
    seeded schedules of the fault model above with K = 1, 200 with K = 2; invariants and the claimed (weak)
    models hold too."""
    claimed = SPEC.claims({"sync_replication": False, "backup_reads": True, "max_lag": 1}, None)
    reads = held = 0
    for k, seeds in ((1, range(250)), (2, range(100))):
        for make in (_crashes, _failovers):
            for seed in seeds:
                t = run(parse_scenario(_max_lag(make(seed, False, True), k)))
                assert t.end["reason"] == "quiescent" and _violated(t) == set(), (make.__name__, seed)
                lags = staleness(t)
                assert all(lag <= k for _, lag in lags), (make.__name__, seed, k, lags)
                reads += len(lags)
                held += sum(e.kind == "note" and e.detail["key"] == "pb.hold" for e in t.events)
                if k == 1 and seed < 50:
                    h = _history(t)
                    assert all(check(h, model).result == "ok" for model in claimed), (make.__name__, seed)
    assert reads > 500 and held > 100  # the bound is exercised: many backup reads, many held writes


def test_without_max_lag_backup_reads_lag_further():
    """The same schedules with max_lag 0 (plain non-blocking replication): the first seed in which a backup read
    is more than 2 versions behind the acknowledged writes; with max_lag 2 that run keeps the bound."""
    found = next(seed for seed in range(100)
                 if any(lag > 2 for _, lag in staleness(run(parse_scenario(_crashes(seed, False, True))))))
    assert found == 39
    assert all(lag <= 2 for _, lag in staleness(run(parse_scenario(_max_lag(_crashes(found, False, True), 2)))))


def test_max_lag_is_ignored_under_blocking_replication():
    sc = _failovers(5, True, True)
    assert run(parse_scenario(sc)).events == run(parse_scenario(_max_lag(sc, 3))).events


# ------------------------------------------------------------------ presets
def _preset(pid, **over):
    sc = load_preset(pid)
    return run(sc.replace(**over) if over else sc)


def _reads(t, client):
    return [e.detail["result"] for e in t.events if e.kind == "return" and e.detail["client"] == client]


def test_async_lost_write_preset_loses_an_acknowledged_write():
    t = _preset("primary-backup-async-lost-write")
    assert _reads(t, "c1") == [{"ok": True}, {"ok": True}, {"ok": True, "value": 1}]
    crash = next(e for e in t.events if e.kind == "crash")
    assert crash.step == 23 and any(e.detail.get("key") == "pb.takeover" for e in t.events_of_step(51))
    h = _history(t)
    assert check(h, "linearizable").result == check(h, "sequential").result == "illegal"
    fixed = _preset("primary-backup-async-lost-write", params={**load_preset(
        "primary-backup-async-lost-write").params, "sync_replication": True})
    assert _reads(fixed, "c1")[-1] == {"ok": True, "value": 2}


def test_sync_failover_preset_keeps_every_write():
    t = _preset("primary-backup-sync-failover")
    assert _reads(t, "c1") == [{"ok": True}, {"ok": True, "value": 2}] and _violated(t) == set()
    assert check(_history(t), "linearizable").result == "ok"


def test_stale_backup_read_preset_reads_none_after_the_write():
    t = _preset("primary-backup-stale-backup-read")
    assert _reads(t, "c1") == [{"ok": True}, {"ok": True, "value": None}, {"ok": True, "value": 1}]
    h = _history(t)
    assert check(h, "linearizable").result == check(h, "read-your-writes").result == "illegal"
