"""Raft: leader election, log replication and a replicated key-value store on servers ``s1`` .. ``sN``.

Theory of operation
-------------------
Names follow Ongaro & Ousterhout, "In Search of an Understandable Consensus Algorithm"
(USENIX ATC 2014), Figure 2. Every server keeps ``current_term``, ``voted_for`` and ``log``
on disk, and ``commit_index``, ``last_applied`` (all servers) and ``next_index`` /
``match_index`` (leaders) in memory. Its ``role`` is follower, candidate or leader.

1. **Election (§5.2).** A follower that hears nothing from a leader for its election
   timeout (drawn at random from [``election_timeout_min``, ``election_timeout_max``] with
   the server's own seeded RNG) becomes a candidate: it increments ``current_term``, votes
   for itself and sends ``RequestVote`` to every peer. A server grants at most one vote per
   term (``voted_for``, durable) and only to a candidate whose log is at least as
   up-to-date as its own (§5.4.1: higher last term, or same last term and at least as long).
   A candidate with votes from a majority becomes leader; a split vote times out and a new
   term starts. Any message with a higher term turns the receiver into a follower (§5.1).
2. **Replication (§5.3).** A client sends ``{"f": "put"|"get", "key", "value"}`` to any
   server; a follower answers ``not_leader`` naming the leader it knows (a redirect). The
   leader appends the operation to its log and sends ``AppendEntries`` carrying the entries
   from ``next_index[peer]`` and the term of the entry before them. A follower accepts only if
   its log has that previous entry (the consistency check), deletes conflicting entries and
   appends the new ones. On a rejection the leader decrements ``next_index`` and retries.
   Empty ``AppendEntries`` every ``heartbeat_interval`` ticks keep followers from starting
   elections.
3. **Commitment (§5.3, §5.4.2).** The leader sets ``commit_index`` to the highest index N
   stored on a majority *whose entry is from the current term*; earlier entries commit
   indirectly with it. Followers learn ``leader_commit``. Every server applies committed
   entries in log order to its key-value store ``kv``; the leader then replies to the client.

The five properties of Figure 3 are the invariants. Three need the past, so each server
carries *history variables* (TLA+ sense: written, never read by the protocol, never lost in a
crash, even by a bug variant): ``leader_terms`` (terms in which it became leader),
``commits`` (``[index, entry term, term of the leader that committed it]``) and ``applied``
(one label per applied index). ``leader_log_terms`` is a ghost copy of the terms of the
leader's log, kept while it leads, for Leader Append-Only.

Bug variants: ``volatile-voted-for`` (``voted_for`` is not on disk: a server that crashes and
restarts in the same term can vote twice), ``commit-old-term-by-count`` (the leader commits
any entry stored on a majority, even from an earlier term: Figure 8) and
``no-election-restriction`` (votes are granted without the up-to-date check).

Deviations from the paper
-------------------------
- Time is simulated ticks. Servers stop arming election and heartbeat timers once
  ``now >= horizon_ticks`` (0 = never), so a lesson run ends (quiescent) instead of sending
  heartbeats for ever; messages in flight are still handled.
- A rejected ``AppendEntries`` reply carries ``match_index`` 0 and the leader backs off
  ``next_index`` by one (the paper's basic scheme, no fast back-up). A successful reply
  carries the index of the last entry it matched (``match_index``), as in most implementations
  (Figure 2's reply has only term and success).
- No no-op entry at the start of a term (etcd and the dissertation §6.4 add one), so a new
  leader commits earlier-term entries only when a client entry of its own term commits.
- Reads (``get``) go through the log like writes. No snapshots, no membership changes, no
  client sessions: a retried request may be applied twice.
- Candidates do not re-send ``RequestVote``; a lost vote is recovered by the next election.
- A leader whose entry is lost to a new leader never answers that client (the request
  stays open, as a real client's would until its timeout).
- Node ids are ``s1`` .. ``sN`` like the paper's figures; the lane colour (``ROLE``) is the
  starting role, follower; the state table shows the live ``role``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.protocol import Bug, Invariant, LogEntry, Param, ProtocolSpec, ReplicaView, Violation
from sim.types import CancelTimer, ClientRequest, Deliver, Node, Note, Reply, Restart, Send, SetTimer, Start, Timer

FOLLOWER, CANDIDATE, LEADER = "follower", "candidate", "leader"


# ---------------------------------------------------------------------------- messages
@dataclass(frozen=True, slots=True, kw_only=True)
class RequestVote:
    """Candidate → server: vote for me in ``term`` (§5.2); my log ends at (last_log_index, last_log_term)."""

    term: int
    candidate_id: str
    last_log_index: int
    last_log_term: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestVoteReply:
    term: int
    vote_granted: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class AppendEntries:
    """Leader → follower: entries after ``prev_log_index`` (empty: a heartbeat) (§5.3)."""

    term: int
    leader_id: str
    prev_log_index: int
    prev_log_term: int
    entries: tuple
    leader_commit: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AppendEntriesReply:
    term: int
    success: bool
    match_index: int


def server_ids(params) -> tuple[str, ...]:
    return tuple(f"s{i + 1}" for i in range(params["nodes"]))


def entry_label(e) -> str:
    """A short, unique-enough label of a log entry: its term, leader and operation."""
    arg = f"={e['value']}" if e["f"] == "put" else ""
    return f"t{e['term']} {e['by']}: {e['f']} {e['key']}{arg}"


# ----------------------------------------------------------------------------- server
class Server(Node):
    DURABLE = ("current_term", "voted_for", "log", "leader_terms", "commits", "applied")
    VOLATILE = ("role", "leader_id", "commit_index", "last_applied", "votes", "next_index", "match_index", "kv",
                "pending", "leader_log_terms")
    HISTORY = ("leader_terms", "commits", "applied")
    LOGS = ("log", "leader_terms", "commits", "applied", "leader_log_terms")  # append or rebind only (Node.LOGS)
    ROLE = FOLLOWER

    def __init__(self, *args) -> None:
        super().__init__(*args)
        self.others = tuple(p for p in self.peers if p != self.node_id)
        self.current_term = 0
        self.voted_for: str | None = None
        self.log: list[dict] = []  # entries {"term", "by", "client", "f", "key", "value"}; index i is log[i - 1]
        self.leader_terms: list[int] = []  # history variable
        self.commits: list[list] = []  # history variable: [index, entry term, committing leader's term]
        self.applied: list[str] = []  # history variable: entry_label of each applied index, in order
        self.role = FOLLOWER
        self.leader_id: str | None = None
        self.commit_index = 0
        self.last_applied = 0
        self.votes: list[str] = []
        self.next_index: dict[str, int] = {}
        self.match_index: dict[str, int] = {}
        self.kv: dict[str, object] = {}
        self.pending: dict[int, str] = {}  # leader: log index -> client waiting for it
        self.leader_log_terms: list[int] = []  # ghost: the leader's log terms (Leader Append-Only)

    def durable_fields(self):
        if self.bug == "volatile-voted-for":  # BUG: the vote is not forced to disk before replying
            return tuple(f for f in self.DURABLE if f != "voted_for")
        return self.DURABLE

    @property
    def majority(self) -> int:
        return len(self.peers) // 2 + 1

    def last_log_index(self) -> int:
        return len(self.log)

    def term_at(self, index: int) -> int:
        return self.log[index - 1]["term"] if 0 < index <= len(self.log) else 0

    # ------------------------------------------------------------------ the one door in
    def step(self, inp, now):
        if isinstance(inp, Start):
            return self._arm_election(now)
        if isinstance(inp, Restart):  # durable state is back; commit_index, kv ... start again from zero
            return [Note(key="raft.restart", args={"node": self.node_id, "term": self.current_term,
                                                   "length": self.last_log_index()})] + self._arm_election(now)
        if isinstance(inp, Timer):
            if inp.name == "election" and self.role != LEADER:
                return self.become_candidate(now)
            if inp.name == "heartbeat" and self.role == LEADER:
                return self.broadcast_append_entries() + self._arm_heartbeat(now)
            return []
        if isinstance(inp, ClientRequest):
            return self._on_client(inp, now)
        if isinstance(inp, Deliver):
            msg = inp.msg
            if isinstance(msg, RequestVote):
                return self._on_request_vote(msg, now)
            if isinstance(msg, RequestVoteReply):
                return self._on_request_vote_reply(inp.src, msg, now)
            if isinstance(msg, AppendEntries):
                return self._on_append_entries(inp.src, msg, now)
            if isinstance(msg, AppendEntriesReply):
                return self._on_append_entries_reply(inp.src, msg, now)
        return []

    # ------------------------------------------------------------------ timers
    def _arm_election(self, now) -> list:
        if self.params["horizon_ticks"] and now >= self.params["horizon_ticks"]:
            return [CancelTimer(name="election")]
        lo, hi = self.params["election_timeout_min"], self.params["election_timeout_max"]
        return [SetTimer(name="election", after=self.rng.randint(lo, max(lo, hi)))]

    def _arm_heartbeat(self, now) -> list:
        if self.params["horizon_ticks"] and now >= self.params["horizon_ticks"]:
            return []
        return [SetTimer(name="heartbeat", after=self.params["heartbeat_interval"])]

    # ------------------------------------------------------------------ role changes (only here)
    def become_follower(self, term: int, now, leader_id: str | None = None) -> list:
        """Step down (or stay a follower) in ``term``; a leader or candidate needs its election timer back."""
        out: list = []
        if term > self.current_term:
            self.current_term, self.voted_for = term, None
        if self.role != FOLLOWER:
            out += [Note(key="raft.become_follower", args={"node": self.node_id, "term": term}),
                    CancelTimer(name="heartbeat")] + self._arm_election(now)
        self.role, self.leader_id = FOLLOWER, leader_id
        self.votes, self.next_index, self.match_index, self.pending, self.leader_log_terms = [], {}, {}, {}, []
        return out

    def become_candidate(self, now) -> list:
        self.current_term += 1
        self.role, self.voted_for, self.votes, self.leader_id = CANDIDATE, self.node_id, [self.node_id], None
        msg = RequestVote(term=self.current_term, candidate_id=self.node_id,
                          last_log_index=self.last_log_index(), last_log_term=self.term_at(self.last_log_index()))
        return ([Note(key="raft.become_candidate", args={"node": self.node_id, "term": self.current_term})]
                + self._arm_election(now) + [Send(dst=p, msg=msg) for p in self.others])

    def become_leader(self, now) -> list:
        self.role, self.leader_id = LEADER, self.node_id
        self.leader_terms.append(self.current_term)
        self.next_index = {p: self.last_log_index() + 1 for p in self.others}
        self.match_index = {p: 0 for p in self.others}
        self.leader_log_terms = [e["term"] for e in self.log]
        return ([Note(key="raft.become_leader", args={"node": self.node_id, "term": self.current_term,
                                                      "votes": ", ".join(sorted(self.votes))}),
                 CancelTimer(name="election")]
                + self.broadcast_append_entries() + self._arm_heartbeat(now))

    # ------------------------------------------------------------------ election (§5.2, §5.4.1)
    def _log_ok(self, m: RequestVote) -> bool:
        if self.bug == "no-election-restriction":  # BUG: any candidate will do
            return True
        mine = self.term_at(self.last_log_index())
        return m.last_log_term > mine or (m.last_log_term == mine and m.last_log_index >= self.last_log_index())

    def _on_request_vote(self, m: RequestVote, now) -> list:
        out: list = []
        if m.term > self.current_term:
            out += self.become_follower(m.term, now)
        grant = (m.term == self.current_term and self.voted_for in (None, m.candidate_id) and self._log_ok(m))
        if grant:
            self.voted_for = m.candidate_id
            out += [Note(key="raft.grant_vote", args={"node": self.node_id, "candidate": m.candidate_id,
                                                      "term": m.term})] + self._arm_election(now)
        elif m.term == self.current_term:
            why = "raft.deny_vote_voted" if self.voted_for not in (None, m.candidate_id) else "raft.deny_vote_log"
            out.append(Note(key=why, args={"node": self.node_id, "candidate": m.candidate_id,
                                           "voted_for": self.voted_for or "-"}))
        return out + [Send(dst=m.candidate_id, msg=RequestVoteReply(term=self.current_term, vote_granted=grant))]

    def _on_request_vote_reply(self, src: str, m: RequestVoteReply, now) -> list:
        if m.term > self.current_term:
            return self.become_follower(m.term, now)
        if self.role != CANDIDATE or m.term != self.current_term or not m.vote_granted or src in self.votes:
            return []
        self.votes = sorted(self.votes + [src])
        if len(self.votes) >= self.majority:
            return self.become_leader(now)
        return []

    # ------------------------------------------------------------------ replication (§5.3)
    def send_append_entries(self, peer: str) -> Send:
        prev = self.next_index[peer] - 1
        return Send(dst=peer, msg=AppendEntries(term=self.current_term, leader_id=self.node_id, prev_log_index=prev,
                                                prev_log_term=self.term_at(prev), entries=tuple(self.log[prev:]),
                                                leader_commit=self.commit_index))

    def broadcast_append_entries(self) -> list:
        return [self.send_append_entries(p) for p in self.others]

    def _on_client(self, inp: ClientRequest, now) -> list:
        op = {"f": inp.op.get("f"), "key": inp.op.get("key"), "value": inp.op.get("value")}
        if op["f"] not in ("put", "get") or not isinstance(op["key"], str):
            return [Reply(client=inp.client, result={"error": "bad_op"})]
        if self.role != LEADER:
            result = {"error": "not_leader"}
            if self.leader_id is not None:
                result["leader"] = self.leader_id  # a redirect: the client should ask that server
            return [Note(key="raft.redirect", args={"node": self.node_id, "client": inp.client,
                                                    "leader": self.leader_id or "?"}),
                    Reply(client=inp.client, result=result)]
        self.log.append({"term": self.current_term, "by": self.node_id, "client": inp.client, **op})
        self.leader_log_terms.append(self.current_term)
        self.pending = {**self.pending, self.last_log_index(): inp.client}
        return ([Note(key="raft.append", args={"node": self.node_id, "index": self.last_log_index(),
                                               "term": self.current_term, "entry": entry_label(self.log[-1])})]
                + self.broadcast_append_entries())

    def _on_append_entries(self, src: str, m: AppendEntries, now) -> list:
        def reply(success, match=0):
            return Send(dst=src, msg=AppendEntriesReply(term=self.current_term, success=success, match_index=match))

        if m.term < self.current_term:
            return [reply(False)]
        was_follower = self.role == FOLLOWER
        out = self.become_follower(m.term, now, leader_id=m.leader_id)
        if was_follower:  # heard from the current leader: no election for now
            out += self._arm_election(now)
        if m.prev_log_index > self.last_log_index() or self.term_at(m.prev_log_index) != m.prev_log_term:
            return out + [Note(key="raft.reject_append", args={"node": self.node_id, "index": m.prev_log_index,
                                                               "term": m.prev_log_term}), reply(False)]
        log = self.log
        for k, entry in enumerate(m.entries):
            index = m.prev_log_index + 1 + k
            if index <= len(log) and log[index - 1]["term"] != entry["term"]:
                out.append(Note(key="raft.truncate", args={"node": self.node_id, "index": index,
                                                           "count": len(log) - index + 1}))
                log = log[:index - 1]
            if index > len(log):
                log.extend(m.entries[k:])  # in place unless truncated above (Node.LOGS: append or rebind)
                break
        self.log = log
        match = m.prev_log_index + len(m.entries)
        if m.leader_commit > self.commit_index:
            self.commit_index = max(self.commit_index, min(m.leader_commit, match))
        return out + self.apply_committed() + [reply(True, match)]

    def _on_append_entries_reply(self, src: str, m: AppendEntriesReply, now) -> list:
        if m.term > self.current_term:
            return self.become_follower(m.term, now)
        if self.role != LEADER or m.term != self.current_term:
            return []
        if m.success:
            self.match_index = {**self.match_index, src: max(self.match_index[src], m.match_index)}
            self.next_index = {**self.next_index, src: max(self.next_index[src], m.match_index + 1)}
            return self.maybe_commit()
        # back off by one and try again (never below what is known to match)
        self.next_index = {**self.next_index, src: max(self.match_index[src] + 1, self.next_index[src] - 1)}
        return [self.send_append_entries(src)]

    # ------------------------------------------------------------------ commitment (§5.3, §5.4.2)
    def maybe_commit(self) -> list:
        for n in range(self.last_log_index(), self.commit_index, -1):
            if self.term_at(n) != self.current_term and self.bug != "commit-old-term-by-count":
                break  # §5.4.2: never commit an earlier-term entry by counting replicas (BUG variant does)
            if 1 + sum(1 for p in self.others if self.match_index[p] >= n) >= self.majority:
                self.commits.extend([i, self.term_at(i), self.current_term]
                                    for i in range(self.commit_index + 1, n + 1))
                out = [Note(key="raft.commit", args={"node": self.node_id, "index": n, "term": self.term_at(n)})]
                self.commit_index = n
                return out + self.apply_committed()
        return []

    def apply_committed(self) -> list:
        out: list = []
        while self.last_applied < self.commit_index:
            self.last_applied += 1
            entry = self.log[self.last_applied - 1]
            if entry["f"] == "put":
                self.kv = {**self.kv, entry["key"]: entry["value"]}
                result = {"ok": True}
            else:
                result = {"ok": True, "value": self.kv.get(entry["key"])}
            if self.last_applied > len(self.applied):
                self.applied.append(entry_label(entry))
            client = self.pending.get(self.last_applied)
            if client is not None and self.role == LEADER:
                self.pending = {i: c for i, c in self.pending.items() if i != self.last_applied}
                out.append(Reply(client=client, result=result))
        return out


# -------------------------------------------------------------------------- invariants
def election_safety(states):
    """Figure 3: at most one leader can be elected in a given term (§5.2)."""
    seen: dict[int, str] = {}
    for n in sorted(states):
        for term in states[n].get("leader_terms") or []:
            if term in seen and seen[term] != n:
                return Violation(key="raft.violation.election_safety", args={"a": seen[term], "b": n, "term": term})
            seen[term] = n
    return None


def leader_append_only(states):
    """Figure 3: a leader never overwrites or deletes entries in its log; it only appends (§5.3)."""
    for n in sorted(states):
        s = states[n]
        if s.get("role") != LEADER:
            continue
        terms = [e["term"] for e in s.get("log") or []]
        ghost = s.get("leader_log_terms") or []
        if terms[:len(ghost)] != ghost:
            return Violation(key="raft.violation.leader_append_only", args={"node": n, "term": s.get("current_term")})
    return None


def log_matching(states):
    """Figure 3: if two logs contain an entry with the same index and term, the logs are identical up to it."""
    names = sorted(states)
    for i, a in enumerate(names):
        la = states[a].get("log") or []
        for b in names[i + 1:]:
            lb = states[b].get("log") or []
            for index in range(min(len(la), len(lb)), 0, -1):
                if la[index - 1]["term"] == lb[index - 1]["term"]:
                    if la[:index] != lb[:index]:
                        return Violation(key="raft.violation.log_matching",
                                         args={"a": a, "b": b, "index": index, "term": la[index - 1]["term"]})
                    break
    return None


def leader_completeness(states):
    """Figure 3: an entry committed in a term is in the log of every leader of a higher term (§5.4)."""
    leaders = [n for n in sorted(states) if states[n].get("role") == LEADER]
    if not leaders:
        return None
    # Commits are history variables kept by every server, mostly the same facts: the union is
    # about one log's worth. Sorted only so that the violation reported is always the same one.
    commits = {tuple(c) for s in states.values() for c in (s.get("commits") or [])}
    for n in leaders:
        s = states[n]
        term, log = s.get("current_term", 0), s.get("log") or []
        terms = [e["term"] for e in log]
        if all(t >= term or (i <= len(terms) and terms[i - 1] == et) for i, et, t in commits):
            continue
        for index, entry_term, in_term in sorted(commits):
            if in_term < s.get("current_term", 0) and (index > len(log) or log[index - 1]["term"] != entry_term):
                return Violation(key="raft.violation.leader_completeness",
                                 args={"node": n, "term": s.get("current_term"), "index": index,
                                       "entry_term": entry_term})
    return None


def state_machine_safety(states):
    """Figure 3: no two servers apply different entries at the same log index (§5.4.3)."""
    # Fast path (it is checked after most steps of a long run): it holds iff every server's applied
    # sequence is a prefix of the longest one, a list comparison done in C.
    applied = [states[n].get("applied") or [] for n in sorted(states)]
    longest = max(applied, key=len)
    if all(a == longest[:len(a)] for a in applied):
        return None
    first: dict[int, tuple[str, str]] = {}
    for n in sorted(states):
        for index, label in enumerate(states[n].get("applied") or [], start=1):
            if index in first and first[index][1] != label:
                return Violation(key="raft.violation.state_machine_safety",
                                 args={"a": first[index][0], "b": n, "index": index,
                                       "first": first[index][1], "second": label})
            first.setdefault(index, (n, label))
    return None


INVARIANTS = (
    Invariant(name="Election Safety", check=election_safety, source="Ongaro & Ousterhout 2014, Figure 3, §5.2",
              description_key="raft.inv.election_safety", label_key="raft.inv_label.election_safety",
              reads=("leader_terms",)),
    Invariant(name="Leader Append-Only", check=leader_append_only, source="Ongaro & Ousterhout 2014, Figure 3, §5.3",
              description_key="raft.inv.leader_append_only", label_key="raft.inv_label.leader_append_only",
              reads=("role", "log", "leader_log_terms", "current_term")),
    Invariant(name="Log Matching", check=log_matching, source="Ongaro & Ousterhout 2014, Figure 3, §5.3",
              description_key="raft.inv.log_matching", label_key="raft.inv_label.log_matching",
              reads=("log",)),
    Invariant(name="Leader Completeness", check=leader_completeness,
              source="Ongaro & Ousterhout 2014, Figure 3, §5.4", description_key="raft.inv.leader_completeness",
              label_key="raft.inv_label.leader_completeness", reads=("role", "log", "commits", "current_term")),
    Invariant(name="State Machine Safety", check=state_machine_safety,
              source="Ongaro & Ousterhout 2014, Figure 3, §5.4.3", description_key="raft.inv.state_machine_safety",
              label_key="raft.inv_label.state_machine_safety", reads=("applied",)),
)


def replica_view(state) -> ReplicaView:
    """A server's snapshot as the Lab's consensus views read it (role, term, log, committed prefix).

    Applied entries are committed (§5.4.2), so a crashed server, whose ``commit_index`` is
    volatile and gone, still shows the prefix it had applied (the ``applied`` history variable).
    """
    up = state.get("role") is not None
    committed = max(state.get("commit_index") or 0, len(state.get("applied") or ()))
    entries = tuple(LogEntry(index=i, epoch=e["term"], label=entry_label(e), committed=i <= committed)
                    for i, e in enumerate(state.get("log") or (), start=1))
    return ReplicaView(role=state.get("role") or FOLLOWER, epoch=state.get("current_term") or 0,
                       entries=entries, up=up)


def _default_workload(params):
    ids = server_ids(params)
    return [{"at": 400, "node": ids[0], "client": "c1", "op": {"f": "put", "key": "x", "value": 1}},
            {"at": 420, "node": ids[1], "client": "c2", "op": {"f": "put", "key": "x", "value": 2}},
            {"at": 440, "node": ids[2], "client": "c3", "op": {"f": "put", "key": "y", "value": 3}},
            {"at": 700, "node": ids[0], "client": "c1", "op": {"f": "get", "key": "x"}},
            {"at": 700, "node": ids[1], "client": "c2", "op": {"f": "get", "key": "x"}},
            {"at": 700, "node": ids[2], "client": "c3", "op": {"f": "get", "key": "x"}}]


SPEC = ProtocolSpec(
    id="raft",
    title_key="proto.raft.title",
    summary_key="proto.raft.summary",
    source="D. Ongaro & J. Ousterhout, In Search of an Understandable Consensus Algorithm, USENIX ATC 2014 "
           "(Figures 2, 3 and 8)",
    params=(
        Param(name="nodes", default=3, minimum=3, maximum=7, help_key="raft.param.nodes"),
        Param(name="election_timeout_min", default=150, minimum=1, maximum=100_000,
              help_key="raft.param.election_timeout_min"),
        Param(name="election_timeout_max", default=300, minimum=1, maximum=100_000,
              help_key="raft.param.election_timeout_max"),
        Param(name="heartbeat_interval", default=50, minimum=1, maximum=100_000,
              help_key="raft.param.heartbeat_interval"),
        Param(name="horizon_ticks", default=1500, minimum=0, maximum=1_000_000, help_key="raft.param.horizon_ticks"),
    ),
    bugs=(
        Bug(id="volatile-voted-for", description_key="raft.bug.volatile_voted_for", breaks=("Election Safety",)),
        Bug(id="commit-old-term-by-count", description_key="raft.bug.commit_old_term_by_count",
            breaks=("State Machine Safety", "Leader Completeness")),
        Bug(id="no-election-restriction", description_key="raft.bug.no_election_restriction",
            breaks=("Leader Completeness", "State Machine Safety")),
    ),
    invariants=INVARIANTS,
    node_ids=server_ids,
    make_node=lambda node_id, ids, params, bug, rng: Server(node_id, ids, params, bug, rng),
    default_workload=_default_workload,
    replica_view=replica_view,
    claims=lambda params, bug: () if bug else ("linearizable",),
    epoch_key="raft.epoch",
)
