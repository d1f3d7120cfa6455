"""Raft (protocols/raft.py): transcripts citing the paper, invariants, first election, random faults, bug variants.

Transcript tests feed one input to one server and compare the exact effects (h11 style); each
cites the section of Ongaro & Ousterhout 2014 it checks. Property tests throw thousands of
random fault schedules at the correct protocol (the five Figure 3 properties must hold at every
step) and prove, by a seeded search over the same kind of schedules, that each bug variant
breaks what its ``breaks=`` says.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocols import REGISTRY
from lessons.presets import load_preset
from protocols.raft import AppendEntries, AppendEntriesReply, RequestVote, RequestVoteReply, Server
from sim.engine import Simulation, run
from sim.scenario import parse_scenario
from sim.types import CancelTimer, ClientRequest, Deliver, Note, Reply, Restart, Send, SetTimer, Start, Timer
from tests.strategies import fault_schedules

SPEC = REGISTRY["raft"]
IDS = ("s1", "s2", "s3")


def server(name="s1", bug=None, **over) -> Server:
    return Server(name, IDS, SPEC.resolve_params(over), bug, random.Random(0))


def entry(term, value=1, by="s1", client="c1", f="put", key="x"):
    return {"term": term, "by": by, "client": client, "f": f, "key": key, "value": value}


def leader_of(term=1, log=(), **over) -> Server:
    """s1 as the leader of ``term`` with ``log`` (built by the protocol's own election)."""
    s = server(**over)
    s.log = list(log)
    s.current_term = term - 1
    s.step(Timer(name="election"), 0)
    s.step(Deliver(src="s2", msg=RequestVoteReply(term=term, vote_granted=True)), 1)
    assert s.role == "leader" and s.current_term == term
    return s


# ------------------------------------------------------------------ transcripts: election
def test_follower_times_out_and_becomes_candidate():
    """Reference: Raft §5.2 — increment currentTerm, vote for self, send RequestVote to all others."""
    s = server()
    [arm] = s.step(Start(), 0)
    assert arm.name == "election" and 150 <= arm.after <= 300  # drawn from the injected RNG
    effects = s.step(Timer(name="election"), arm.after)
    vote = RequestVote(term=1, candidate_id="s1", last_log_index=0, last_log_term=0)
    assert effects[0] == Note(key="raft.become_candidate", args={"node": "s1", "term": 1})
    assert effects[1].name == "election"  # a new randomised timeout for a split vote
    assert effects[2:] == [Send(dst="s2", msg=vote), Send(dst="s3", msg=vote)]
    assert (s.role, s.current_term, s.voted_for, s.votes) == ("candidate", 1, "s1", ["s1"])


def test_election_timeouts_come_from_the_seeded_rng_only():
    """Reference: Raft §5.2 — randomised election timeouts; same seed, same draws."""
    a = [Server("s1", IDS, SPEC.resolve_params({}), None, random.Random(7)).step(Start(), 0)[0].after
         for _ in range(2)]
    assert a[0] == a[1]
    draws = {Server("s1", IDS, SPEC.resolve_params({}), None, random.Random(k)).step(Start(), 0)[0].after
             for k in range(20)}
    assert len(draws) > 5


def test_majority_of_votes_makes_a_leader_that_sends_heartbeats():
    """Reference: Raft §5.2 — a candidate with votes from a majority becomes leader and sends heartbeats."""
    s = server()
    s.step(Timer(name="election"), 0)
    effects = s.step(Deliver(src="s3", msg=RequestVoteReply(term=1, vote_granted=True)), 5)
    hb = lambda dst: Send(dst=dst, msg=AppendEntries(term=1, leader_id="s1", prev_log_index=0, prev_log_term=0,
                                                     entries=(), leader_commit=0))
    assert effects == [Note(key="raft.become_leader", args={"node": "s1", "term": 1, "votes": "s1, s3"}),
                       CancelTimer(name="election"), hb("s2"), hb("s3"), SetTimer(name="heartbeat", after=50)]
    assert s.leader_terms == [1] and s.next_index == {"s2": 1, "s3": 1} and s.match_index == {"s2": 0, "s3": 0}
    assert s.step(Timer(name="heartbeat"), 55) == [hb("s2"), hb("s3"), SetTimer(name="heartbeat", after=50)]


def test_one_vote_per_term():
    """Reference: Raft §5.2 — each server votes for at most one candidate in a given term."""
    s = server("s3")
    effects = s.step(Deliver(src="s1", msg=RequestVote(term=1, candidate_id="s1", last_log_index=0,
                                                       last_log_term=0)), 5)
    assert effects[0] == Note(key="raft.grant_vote", args={"node": "s3", "candidate": "s1", "term": 1})
    assert effects[-1] == Send(dst="s1", msg=RequestVoteReply(term=1, vote_granted=True))
    assert (s.current_term, s.voted_for) == (1, "s1")
    effects = s.step(Deliver(src="s2", msg=RequestVote(term=1, candidate_id="s2", last_log_index=0,
                                                       last_log_term=0)), 6)
    assert effects == [Note(key="raft.deny_vote_voted", args={"node": "s3", "candidate": "s2", "voted_for": "s1"}),
                       Send(dst="s2", msg=RequestVoteReply(term=1, vote_granted=False))]


def test_election_restriction_and_its_bug_variant():
    """Reference: Raft §5.4.1 — vote only for a candidate whose log is at least as up-to-date."""
    stale = RequestVote(term=3, candidate_id="s2", last_log_index=5, last_log_term=1)
    s = server("s3")
    s.log, s.current_term = [entry(1), entry(2)], 2
    effects = s.step(Deliver(src="s2", msg=stale), 5)
    assert effects[-1] == Send(dst="s2", msg=RequestVoteReply(term=3, vote_granted=False))
    assert Note(key="raft.deny_vote_log", args={"node": "s3", "candidate": "s2", "voted_for": "-"}) in effects
    buggy = server("s3", bug="no-election-restriction")
    buggy.log, buggy.current_term = [entry(1), entry(2)], 2
    assert buggy.step(Deliver(src="s2", msg=stale), 5)[-1].msg.vote_granted


def test_higher_term_turns_a_leader_into_a_follower():
    """Reference: Raft §5.1 — a server that sees a higher term updates its term and reverts to follower."""
    s = leader_of(1)
    effects = s.step(Deliver(src="s2", msg=AppendEntriesReply(term=4, success=False, match_index=0)), 9)
    assert effects[:2] == [Note(key="raft.become_follower", args={"node": "s1", "term": 4}),
                           CancelTimer(name="heartbeat")]
    assert effects[2].name == "election"
    assert (s.role, s.current_term, s.voted_for, s.next_index) == ("follower", 4, None, {})


# ------------------------------------------------------------------ transcripts: replication
def test_follower_redirects_clients_to_the_leader_it_knows():
    """Reference: Raft §8 — a follower rejects client requests and supplies the leader it knows."""
    s = server("s2")
    op = {"f": "put", "key": "x", "value": 1}
    assert s.step(ClientRequest(client="c1", op=op), 0)[-1] == Reply(client="c1", result={"error": "not_leader"})
    s.step(Deliver(src="s1", msg=AppendEntries(term=1, leader_id="s1", prev_log_index=0, prev_log_term=0,
                                               entries=(), leader_commit=0)), 3)
    assert s.step(ClientRequest(client="c1", op=op), 4) == [
        Note(key="raft.redirect", args={"node": "s2", "client": "c1", "leader": "s1"}),
        Reply(client="c1", result={"error": "not_leader", "leader": "s1"})]
    assert s.step(ClientRequest(client="c1", op={"f": "cas"}), 5) == [Reply(client="c1", result={"error": "bad_op"})]


def test_leader_appends_replicates_commits_applies_and_then_replies():
    """Reference: Raft §5.3 — the leader replies once the entry is committed and applied."""
    s = leader_of(1)
    effects = s.step(ClientRequest(client="c1", op={"f": "put", "key": "x", "value": 7}), 10)
    e = entry(1, 7)
    assert effects[0] == Note(key="raft.append", args={"node": "s1", "index": 1, "term": 1, "entry": "t1 s1: put x=7"})
    assert effects[1:] == [Send(dst=p, msg=AppendEntries(term=1, leader_id="s1", prev_log_index=0, prev_log_term=0,
                                                        entries=(e,), leader_commit=0)) for p in ("s2", "s3")]
    effects = s.step(Deliver(src="s3", msg=AppendEntriesReply(term=1, success=True, match_index=1)), 20)
    assert effects == [Note(key="raft.commit", args={"node": "s1", "index": 1, "term": 1}),
                       Reply(client="c1", result={"ok": True})]
    assert (s.commit_index, s.last_applied, s.kv, s.applied, s.commits) == (1, 1, {"x": 7}, ["t1 s1: put x=7"],
                                                                           [[1, 1, 1]])
    s.step(ClientRequest(client="c2", op={"f": "get", "key": "x"}), 30)
    assert s.step(Deliver(src="s2", msg=AppendEntriesReply(term=1, success=True, match_index=2)), 40)[-1] == Reply(
        client="c2", result={"ok": True, "value": 7})


def test_consistency_check_rejects_and_the_leader_backs_off():
    """Reference: Raft §5.3 — AppendEntries fails without a matching prev entry; leader decrements nextIndex."""
    f = server("s2")
    f.log, f.current_term = [entry(1)], 2
    msg = AppendEntries(term=2, leader_id="s1", prev_log_index=2, prev_log_term=2, entries=(entry(2),),
                        leader_commit=0)
    effects = f.step(Deliver(src="s1", msg=msg), 5)
    assert Note(key="raft.reject_append", args={"node": "s2", "index": 2, "term": 2}) in effects
    assert effects[-1] == Send(dst="s1", msg=AppendEntriesReply(term=2, success=False, match_index=0))
    lead = leader_of(2, [entry(1), entry(2, 2)])
    assert lead.next_index["s2"] == 3
    assert lead.step(Deliver(src="s2", msg=AppendEntriesReply(term=2, success=False, match_index=0)), 9) == [
        Send(dst="s2", msg=AppendEntries(term=2, leader_id="s1", prev_log_index=1, prev_log_term=1,
                                         entries=(entry(2, 2),), leader_commit=0))]


def test_follower_deletes_conflicting_entries_and_learns_the_commit_index():
    """Reference: Raft §5.3 — delete a conflicting entry and all that follow it; append new ones."""
    f = server("s2")
    f.log, f.current_term = [entry(1), entry(2, 9, by="s2"), entry(2, 10, by="s2")], 2
    new = entry(3, 5, by="s3")
    effects = f.step(Deliver(src="s3", msg=AppendEntries(term=3, leader_id="s3", prev_log_index=1, prev_log_term=1,
                                                         entries=(new,), leader_commit=2)), 5)
    assert Note(key="raft.truncate", args={"node": "s2", "index": 2, "count": 2}) in effects
    assert effects[-1] == Send(dst="s3", msg=AppendEntriesReply(term=3, success=True, match_index=2))
    assert f.log == [entry(1), new] and (f.commit_index, f.last_applied, f.kv) == (2, 2, {"x": 5})
    # a stale, shorter AppendEntries (reordered) deletes nothing
    f.step(Deliver(src="s3", msg=AppendEntries(term=3, leader_id="s3", prev_log_index=0, prev_log_term=0,
                                               entries=(entry(1),), leader_commit=0)), 6)
    assert f.log == [entry(1), new]


def test_leader_never_commits_an_old_term_entry_by_counting_but_the_bug_does():
    """Reference: Raft §5.4.2 and Figure 8 — only current-term entries are committed by counting replicas."""
    old = [entry(2)]
    s = leader_of(4, old)
    assert s.step(Deliver(src="s2", msg=AppendEntriesReply(term=4, success=True, match_index=1)), 9) == []
    assert s.commit_index == 0
    s.step(ClientRequest(client="c1", op={"f": "put", "key": "x", "value": 3}), 10)
    effects = s.step(Deliver(src="s2", msg=AppendEntriesReply(term=4, success=True, match_index=2)), 11)
    assert effects[0] == Note(key="raft.commit", args={"node": "s1", "index": 2, "term": 4})
    assert s.commits == [[1, 2, 4], [2, 4, 4]]  # the old entry commits indirectly
    bug = leader_of(4, old, bug="commit-old-term-by-count")
    effects = bug.step(Deliver(src="s2", msg=AppendEntriesReply(term=4, success=True, match_index=1)), 9)
    assert effects == [Note(key="raft.commit", args={"node": "s1", "index": 1, "term": 2})]


def test_restart_keeps_durable_state_and_the_bug_forgets_the_vote():
    """Reference: Raft Figure 2 — currentTerm, votedFor and log are persistent state."""
    assert server().durable_fields() == ("current_term", "voted_for", "log", "leader_terms", "commits", "applied")
    assert "voted_for" not in server(bug="volatile-voted-for").durable_fields()
    s = server("s2")
    s.current_term, s.voted_for, s.log = 3, "s1", [entry(1)]  # as restored from disk
    effects = s.step(Restart(), 100)
    assert effects[0] == Note(key="raft.restart", args={"node": "s2", "term": 3, "length": 1})
    assert effects[1].name == "election" and (s.role, s.commit_index, s.last_applied, s.kv) == ("follower", 0, 0, {})


def test_horizon_stops_timers_so_runs_end():
    s = server(horizon_ticks=100)
    assert s.step(Start(), 100) == [CancelTimer(name="election")]


# ---------------------------------------------------------------------- invariants
def _inv(name):
    return next(i for i in SPEC.invariants if i.name == name)


def _st(role="follower", term=1, log=(), leader_terms=(), commits=(), applied=(), ghost=()):
    return {"role": role, "current_term": term, "log": list(log), "leader_terms": list(leader_terms),
            "commits": [list(c) for c in commits], "applied": list(applied), "leader_log_terms": list(ghost)}


def test_invariants_on_hand_made_states():
    ok = {"s1": _st("leader", 2, [entry(1), entry(2)], [2], [(1, 1, 2)], ["a"], [1, 2]),
          "s2": _st("follower", 2, [entry(1)], [1], applied=["a"])}
    assert all(inv.check(ok) is None for inv in SPEC.invariants)
    two = {"s1": _st(leader_terms=[3]), "s2": _st(leader_terms=[3])}
    assert _inv("Election Safety").check(two).args == {"a": "s1", "b": "s2", "term": 3}
    rewrote = {"s1": _st("leader", 2, [entry(2)], ghost=[1])}
    assert _inv("Leader Append-Only").check(rewrote).args == {"node": "s1", "term": 2}
    differ = {"s1": _st(log=[entry(1, 1), entry(2)]), "s2": _st(log=[entry(1, 9), entry(2)])}
    assert _inv("Log Matching").check(differ).args == {"a": "s1", "b": "s2", "index": 2, "term": 2}
    lacks = {"s1": _st(commits=[(1, 2, 4)]), "s5": _st("leader", 5, [entry(3)])}
    assert _inv("Leader Completeness").check(lacks).args == {"node": "s5", "term": 5, "index": 1, "entry_term": 2}
    split = {"s1": _st(applied=["a", "b"]), "s2": _st(applied=["a", "c"])}
    assert _inv("State Machine Safety").check(split).args == {"a": "s1", "b": "s2", "index": 2, "first": "b",
                                                              "second": "c"}


# ---------------------------------------------------------------------- runs
def _violated(t) -> set[str]:
    return t.ever_violated()


def test_first_election_elects_exactly_one_leader_that_serves_the_clients():
    """Reference: Raft §5.2 — with no faults one server wins the first election and everyone follows it."""
    for seed in range(1, 6):
        t = run(parse_scenario({"protocol": "raft", "seed": seed}))
        assert t.end["reason"] == "quiescent" and _violated(t) == set()
        final = t.states_at(t.n_steps - 1)
        leaders = [n for n, s in final.items() if s["role"] == "leader"]
        assert len(leaders) == 1
        assert {s["current_term"] for s in final.values()} == {final[leaders[0]]["current_term"]}
        assert len({tuple(s["applied"]) for s in final.values()}) == 1  # every server applied the same entries
        oks = [e.detail["result"] for e in t.events if e.kind == "return" and "error" not in e.detail["result"]]
        assert oks and all(e.node == leaders[0] for e in t.events if e.kind == "return" and e.detail["result"] in oks)


def _rounds(seed, bug=None, n=None):
    """Every 30–50 ticks: maybe crash, restart, partition or heal, and maybe one client op at every server."""
    r = random.Random(seed)
    n = n or r.choice((3, 5))
    ids = [f"s{i + 1}" for i in range(n)]
    horizon, faults, workload, down = 400, [], [], set()
    for k, at in enumerate(range(r.randint(0, 40), horizon - 60, r.choice((30, 50)))):
        act = r.random()
        if act < 0.3 and len(down) < n // 2 + 1:
            v = r.choice([x for x in ids if x not in down])
            down.add(v)
            faults.append({"type": "crash", "node": v, "at": at + r.randint(0, 10)})
        elif act < 0.6 and down:
            v = r.choice(sorted(down))
            down.discard(v)
            faults.append({"type": "restart", "node": v, "at": at + r.randint(0, 10)})
        elif act < 0.7:
            faults.append({"type": "partition", "groups": [r.sample(ids, r.randint(1, n // 2))], "at": at})
        elif act < 0.8:
            faults.append({"type": "heal", "at": at})
        if r.random() < 0.5:
            workload += [{"at": at, "node": s, "client": f"c{j}", "op": {"f": "put", "key": "x", "value": k}}
                         for j, s in enumerate(ids)]
    lo = r.choice((20, 40))
    return {"protocol": "raft", "bug": bug, "seed": seed,
            "params": {"nodes": n, "horizon_ticks": horizon, "election_timeout_min": lo,
                       "election_timeout_max": lo + r.choice((5, 40)), "heartbeat_interval": 10},
            "network": {"loss": r.choice((0.0, 0.1)), "duplicate": r.choice((0.0, 0.1)),
                        "latency": {"kind": "uniform", "low": 1, "high": r.choice((5, 20))}},
            "faults": faults, "workload": workload, "limits": {"max_steps": 5000}}


def _isolations(seed, bug=None, n=3):
    """Every 150–350 ticks the partition moves: one random server is cut off; then every server gets an op."""
    r = random.Random(seed)
    ids = [f"s{i + 1}" for i in range(n)]
    horizon, faults, workload = 1600, [], []
    at = r.randint(200, 400)
    while at < horizon - 300:
        faults.append({"type": "heal", "at": at})
        if r.random() < 0.8:
            faults.append({"type": "partition", "groups": [[r.choice(ids)]], "at": at})
        op_at = at + r.randint(1, 60)
        workload += [{"at": op_at, "node": s, "client": f"c{len(workload) + j}",
                      "op": {"f": "put", "key": "x", "value": len(workload)}} for j, s in enumerate(ids)]
        at += r.randint(150, 350)
    faults.append({"type": "heal", "at": at})
    return {"protocol": "raft", "bug": bug, "seed": seed,
            "params": {"nodes": n, "horizon_ticks": horizon, "election_timeout_min": 100,
                       "election_timeout_max": 200, "heartbeat_interval": 30},
            "network": {"latency": {"kind": "uniform", "low": 5, "high": 15}},
            "faults": faults, "workload": workload, "limits": {"max_steps": 5000}}


def _quick_restarts(seed, bug=None, n=3):
    """Contested first elections (narrow timeouts, slow links) and crashes that last only a few ticks."""
    r = random.Random(seed)
    ids = [f"s{i + 1}" for i in range(n)]
    faults = []
    for _ in range(r.randint(1, 6)):
        v, at = r.choice(ids), r.randint(40, 140)
        faults += [{"type": "crash", "node": v, "at": at}, {"type": "restart", "node": v, "at": at + r.randint(1, 20)}]
    return {"protocol": "raft", "bug": bug, "seed": seed,
            "params": {"nodes": n, "horizon_ticks": 300, "election_timeout_min": 50, "election_timeout_max": 60,
                       "heartbeat_interval": 20},
            "network": {"latency": {"kind": "uniform", "low": 1, "high": 40}},
            "faults": faults, "workload": [], "limits": {"max_steps": 3000}}


# 2,000 seeded random fault schedules for the correct protocol (each generator is the one that finds a bug)
SWEEPS = ((_rounds, 1_200), (_quick_restarts, 600), (_isolations, 200))


def test_correct_protocol_keeps_every_invariant_under_2000_random_fault_schedules():
    """Reference: Raft Figure 3 — the five properties hold at every step, whatever the faults."""
    runs = 0
    for make, count in SWEEPS:
        for seed in range(count):
            t = run(parse_scenario(make(seed)))
            assert _violated(t) == set(), (make.__name__, seed, t.invariant_changes)
            assert t.end["reason"] == "quiescent", (make.__name__, seed)
            runs += 1
    assert runs >= 2_000


NODES = ("s1", "s2", "s3")


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10**6), fault_schedules(NODES, one_way=True, max_time=300),
       st.sampled_from((0.0, 0.1, 0.3)), st.sampled_from((0.0, 0.2)))
def test_correct_protocol_under_the_shared_fault_schedules(seed, faults, loss, dup):
    """Reference: Raft Figure 3 — also under the faults every protocol's properties use (incl. one-way cuts)."""
    t = Simulation(parse_scenario({
        "protocol": "raft", "seed": seed, "faults": faults,
        "params": {"horizon_ticks": 400, "election_timeout_min": 30, "election_timeout_max": 60,
                   "heartbeat_interval": 10},
        "workload": [{"at": at, "node": s, "client": f"c{i}", "op": {"f": "put", "key": "x", "value": i}}
                     for i, (at, s) in enumerate((a, s) for a in (100, 200, 300) for s in NODES)],
        "network": {"loss": loss, "duplicate": dup, "latency": {"kind": "uniform", "low": 1, "high": 20}},
        "limits": {"max_steps": 5000}}), verify_logs=True).run()  # also checks the Node.LOGS contract
    assert _violated(t) == set(), t.invariant_changes


def _search(bug, make, seeds) -> dict[str, int]:
    """The first seed at which each invariant broke (a seeded search: same seeds, same answer)."""
    found: dict[str, int] = {}
    for seed in seeds:
        for name in _violated(run(parse_scenario(make(seed, bug)))):
            found.setdefault(name, seed)
        if set(SPEC.bug(bug).breaks) <= set(found):
            break
    return found


def test_volatile_voted_for_is_caught_breaking_election_safety():
    """Reference: Raft §5.2 / Figure 2 — votedFor must be persistent, or a restarted server votes twice."""
    found = _search("volatile-voted-for", _quick_restarts, range(300))
    assert set(SPEC.bug("volatile-voted-for").breaks) <= set(found), found


def test_commit_old_term_by_count_is_caught_breaking_figure_8():
    """Reference: Raft §5.4.2 / Figure 8 — counting replicas of an old-term entry does not commit it."""
    found = _search("commit-old-term-by-count", _isolations, range(200))
    assert set(SPEC.bug("commit-old-term-by-count").breaks) <= set(found), found


def test_no_election_restriction_is_caught_losing_committed_entries():
    """Reference: Raft §5.4.1 — without the up-to-date check a leader can lack committed entries."""
    found = _search("no-election-restriction", _rounds, range(300))
    assert set(SPEC.bug("no-election-restriction").breaks) <= set(found), found


def test_cli_lists_raft_with_its_invariants_and_bugs():
    out = subprocess.run([sys.executable, "-m", "sim", "list", "--json"], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[1]).stdout
    raft = next(p for p in json.loads(out) if p["id"] == "raft")
    assert [i["name"] for i in raft["invariants"]] == ["Election Safety", "Leader Append-Only", "Log Matching",
                                                       "Leader Completeness", "State Machine Safety"]
    assert [b["id"] for b in raft["bugs"]] == ["volatile-voted-for", "commit-old-term-by-count",
                                               "no-election-restriction"]


# ---------------------------------------------------------------------- presets tell their story
def _preset(preset_id, **over):
    sc = load_preset(preset_id)
    return run(sc.replace(**over) if over else sc)


def test_stale_leader_preset_never_commits_on_the_minority_and_steps_down():
    """Reference: Raft §5.3/§5.4 — a leader without a majority cannot commit; a higher term makes it step down."""
    t = _preset("raft-stale-leader")
    appended = next(e for e in t.events if e.kind == "note" and e.detail["key"] == "raft.append" and e.node == "s1")
    assert not any(e.kind == "return" and e.detail["client"] == "c1" and "error" not in e.detail["result"]
                   for e in t.events)  # the minority leader's write is never acknowledged
    steps_down = next(e.step for e in t.events if e.kind == "note" and e.detail["key"] == "raft.become_follower"
                      and e.node == "s1")
    assert appended.step < steps_down
    final = t.states_at(t.n_steps - 1)
    assert len({tuple(e["term"] for e in s["log"]) for s in final.values()}) == 1 and final["s1"]["kv"] == {"x": 2}


def test_figure_8_preset_breaks_only_with_the_bug():
    """Reference: Raft Figure 8 — the same schedule is safe with the §5.4.2 commitment rule."""
    buggy = _preset("raft-bug-figure-8")
    assert {"Leader Completeness", "State Machine Safety"} <= _violated(buggy)
    fixed = _preset("raft-bug-figure-8", bug=None)
    assert _violated(fixed) == set()
    assert not any(c[1] == 1 for s in fixed.states_at(fixed.n_steps - 1).values() for c in s["commits"])


def test_split_vote_preset_has_a_term_without_a_leader():
    """Reference: Raft §5.2 — a split vote ends a term without a leader; random timeouts resolve it."""
    t = _preset("raft-split-vote")
    terms = lambda key: {e.detail["args"]["term"] for e in t.events  # noqa: E731
                         if e.kind == "note" and e.detail["key"] == key}
    cands, won = terms("raft.become_candidate"), terms("raft.become_leader")
    assert 1 in cands and 1 not in won and won == {2}


def test_raft_kv_client_histories_are_linearizable():
    """Issue 3's checker on Raft-KV runs: what clients saw is linearizable, including reads of
    a key nobody wrote yet (absent, not "") and redirects (a definite no-op)."""
    from checkers import check
    from checkers.from_trace import history_from_trace
    from sim.engine import run
    from sim.scenario import parse_scenario

    ops = [{"at": 300 + 37 * i, "node": f"s{1 + i % 3}", "client": f"c{i % 4}",
            "op": {"f": "get", "key": "y"} if i % 3 == 0 else {"f": "put", "key": "xy"[i % 2], "value": i}}
           for i in range(24)]
    checked = 0
    for seed in range(6):
        scenario = parse_scenario({"protocol": "raft", "seed": seed, "params": {"nodes": 3, "horizon_ticks": 1500},
                                   "network": {"loss": 0.05, "latency": {"kind": "uniform", "low": 5, "high": 25}},
                                   "workload": ops})
        history, _ = history_from_trace(run(scenario))
        assert history.datatype == "kv" and history.ops
        verdict = check(history, "linearizable")
        assert verdict.result == "ok", (seed, verdict.explanation)
        checked += sum(o.status == "ok" for o in history.ops)
    assert checked > 20
