namespace FastRaft.Protocol;

/// <summary>
/// A Raft message, local (hup, beat, storage append/apply) or between peers. A struct passed by
/// <c>in</c>: entries and payloads are views (<see cref="ReadOnlyMemory{T}"/>) over buffers owned
/// by the sender of the view, valid for the documented lifetime (for a Ready, until the next
/// call to Ready). Every response carries the sender's term, so stale ones are filtered by term.
/// </summary>
public struct Message
{
    /// <summary>What this message is.</summary>
    public MessageType Type;
    /// <summary>The node id of the recipient (or a <see cref="LocalIds"/> value for local storage messages).</summary>
    public ulong To;
    /// <summary>The node id of the sender.</summary>
    public ulong From;
    /// <summary>The sender's term; 0 for local messages that carry no term (proposals, hup, beat).</summary>
    public ulong Term;

    /// <summary>The term of the entry at <see cref="Index"/> (Append), or of the candidate's last entry (votes).</summary>
    public ulong LogTerm;
    /// <summary>The log index this message is about: the entry before <see cref="Entries"/> (Append), the last matched or rejected index (AppendResponse), the candidate's last index (votes), the read index (ReadIndexResponse).</summary>
    public ulong Index;
    /// <summary>The entries carried (Append, Propose, StorageAppend/Apply); a view valid for the lifetime of the message's source.</summary>
    public ReadOnlyMemory<Entry> Entries;
    /// <summary>The sender's commit index (Append, Heartbeat).</summary>
    public ulong Commit;

    /// <summary>Used by StorageAppend to carry the vote to persist.</summary>
    public ulong Vote;

    /// <summary>Only on Snapshot and StorageAppend; null otherwise.</summary>
    public Snapshot? Snapshot;
    /// <summary>Whether a response refuses the request (append, vote or pre-vote).</summary>
    public bool Reject;
    /// <summary>On a rejected AppendResponse: the index the leader should probe next (the follower's guess of where the logs still match; its term is in <see cref="LogTerm"/>).</summary>
    public ulong RejectHint;
    /// <summary>Opaque bytes carried end to end: the read-index request context, or the campaign type on votes.</summary>
    public ReadOnlyMemory<byte> Context;

    /// <summary>
    /// Only on StorageAppend / StorageApply: the messages to deliver once the local storage
    /// work is done.
    /// </summary>
    public ReadOnlyMemory<Message> Responses;

    /// <summary>
    /// The Raft group the message belongs to when one process runs many groups over one
    /// transport (group ids are non-zero); 0 for a node that runs
    /// a single group. The core neither reads nor sets it: the multi-group host stamps it on the
    /// way out and routes by it on the way in.
    /// </summary>
    public ulong GroupId;

    /// <summary>A message of the given type from one node to another at a term; every other field empty.</summary>
    /// <param name="type">What the message is.</param>
    /// <param name="from">The sender's node id.</param>
    /// <param name="to">The recipient's node id.</param>
    /// <param name="term">The sender's term (0 for local messages without one).</param>
    public Message(MessageType type, ulong from, ulong to, ulong term)
    {
        Type = type;
        From = from;
        To = to;
        Term = term;
    }

    /// <summary>Whether the type is a node-local message (not sent on the network).</summary>
    public static bool IsLocalMsg(MessageType t) => t is MessageType.Hup or MessageType.Beat or MessageType.Unreachable
        or MessageType.SnapshotStatus or MessageType.CheckQuorum or MessageType.StorageAppend
        or MessageType.StorageAppendResponse or MessageType.StorageApply or MessageType.StorageApplyResponse;

    /// <summary>Whether the type is a response to another message.</summary>
    public static bool IsResponseMsg(MessageType t) => t is MessageType.AppendResponse or MessageType.VoteResponse
        or MessageType.HeartbeatResponse or MessageType.Unreachable or MessageType.ReadIndexResponse
        or MessageType.PreVoteResponse or MessageType.StorageAppendResponse or MessageType.StorageApplyResponse;

    /// <summary>Whether the type is a message to or from the local storage threads.</summary>
    public static bool IsLocalStorageMsg(MessageType t) => t is MessageType.StorageAppend or MessageType.StorageAppendResponse
        or MessageType.StorageApply or MessageType.StorageApplyResponse;

    /// <summary>The response type for a vote request type (Vote → VoteResponse, PreVote → PreVoteResponse).</summary>
    public static MessageType VoteRespMsgType(MessageType t) => t switch
    {
        MessageType.Vote => MessageType.VoteResponse,
        MessageType.PreVote => MessageType.PreVoteResponse,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, "not a vote message type"),
    };
}

/// <summary>Special node ids used as the from/to of local storage messages.</summary>
public static class LocalIds
{
    /// <summary>No node (etcd's None).</summary>
    public const ulong None = 0;

    /// <summary>The local append thread (etcd's LocalAppendThread).</summary>
    public const ulong LocalAppendThread = ulong.MaxValue;

    /// <summary>The local apply thread (etcd's LocalApplyThread).</summary>
    public const ulong LocalApplyThread = ulong.MaxValue - 1;
}
