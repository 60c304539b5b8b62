namespace FastRaft.Protocol;

/// <summary>
/// The kinds of Raft messages. Numbering matches etcd's raftpb so traces line up;
/// <see cref="Diagnostics.Describe.EtcdName(MessageType)"/> gives etcd's name (<c>MsgApp</c> for <see cref="Append"/>).
/// </summary>
public enum MessageType
{
    /// <summary>Local: start an election (or a pre-vote when PreVote is on); stepped by Campaign and by the election timer.</summary>
    Hup = 0,
    /// <summary>Local: tells the leader to send heartbeats to every follower now.</summary>
    Beat = 1,
    /// <summary>A proposal: entries to append to the log, sent to the leader (locally or forwarded by a follower).</summary>
    Propose = 2,
    /// <summary>Leader to follower: entries to append after (<c>Index</c>, <c>LogTerm</c>), with the leader's commit index.</summary>
    Append = 3,
    /// <summary>Follower to leader: the append was accepted up to <c>Index</c>, or rejected with a hint where the logs diverge.</summary>
    AppendResponse = 4,
    /// <summary>Candidate to peer: a vote request for <c>Term</c>, with the candidate's last log index and term.</summary>
    Vote = 5,
    /// <summary>Answer to <see cref="Vote"/>: granted, or refused when <c>Reject</c> is set.</summary>
    VoteResponse = 6,
    /// <summary>Leader to follower: install the snapshot carried in <c>Snapshot</c>.</summary>
    Snapshot = 7,
    /// <summary>Leader to follower: a heartbeat carrying the commit index the follower may safely advance to.</summary>
    Heartbeat = 8,
    /// <summary>Follower to leader: answer to a heartbeat (also carries the read-index context back).</summary>
    HeartbeatResponse = 9,
    /// <summary>Local: the application reports that a peer could not be reached (the leader then probes it).</summary>
    Unreachable = 10,
    /// <summary>Local: the application reports whether sending a snapshot to a peer finished or failed.</summary>
    SnapshotStatus = 11,
    /// <summary>Local: the leader checks that a quorum was active in the last election timeout, and steps down if not.</summary>
    CheckQuorum = 12,
    /// <summary>A request to hand leadership to the node named in <c>From</c>.</summary>
    TransferLeader = 13,
    /// <summary>Leader to transfer target: campaign now, ignoring the election timeout and leases.</summary>
    TimeoutNow = 14,
    /// <summary>A linearizable read request: asks the leader for the commit index to wait for.</summary>
    ReadIndex = 15,
    /// <summary>Leader to follower: the index at which a forwarded read may be served.</summary>
    ReadIndexResponse = 16,
    /// <summary>Pre-candidate to peer: would you vote for me in <c>Term</c>? Changes no state on the receiver.</summary>
    PreVote = 17,
    /// <summary>Answer to <see cref="PreVote"/>.</summary>
    PreVoteResponse = 18,
    /// <summary>With asynchronous storage writes: to the local append thread, the entries, hard state and snapshot to persist.</summary>
    StorageAppend = 19,
    /// <summary>With asynchronous storage writes: from the local append thread, the persistence is done.</summary>
    StorageAppendResponse = 20,
    /// <summary>With asynchronous storage writes: to the local apply thread, the committed entries to apply.</summary>
    StorageApply = 21,
    /// <summary>With asynchronous storage writes: from the local apply thread, the entries are applied.</summary>
    StorageApplyResponse = 22,
    /// <summary>Makes a follower forget its leader, so it grants votes without waiting for the election timeout (etcd's ForgetLeader).</summary>
    ForgetLeader = 23,
}
