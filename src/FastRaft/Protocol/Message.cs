namespace FastRaft.Protocol;

/// <summary>
/// A Raft message, local (hup, beat, storage append/apply) or between peers. A struct passed by
/// <c>in</c>: entries and payloads are views (<see cref="ReadOnlyMemory{T}"/>) over buffers owned
/// by the sender of the view, valid for the documented lifetime (for a Ready, until the next
/// call to Ready). Every response carries the sender's term, so stale ones are filtered by term.
/// </summary>
public struct Message
{
    public MessageType Type;
    public ulong To;
    public ulong From;
    public ulong Term;

    /// <summary>The term of the entry at <see cref="Index"/> (MsgApp), or of the candidate's last entry (votes).</summary>
    public ulong LogTerm;
    public ulong Index;
    public ReadOnlyMemory<Entry> Entries;
    public ulong Commit;

    /// <summary>Used by MsgStorageAppend to carry the vote to persist.</summary>
    public ulong Vote;

    /// <summary>Only on MsgSnap and MsgStorageAppend; null otherwise.</summary>
    public Snapshot? Snapshot;
    public bool Reject;
    public ulong RejectHint;
    public ReadOnlyMemory<byte> Context;

    /// <summary>
    /// Only on MsgStorageAppend / MsgStorageApply: the messages to deliver once the local storage
    /// work is done.
    /// </summary>
    public ReadOnlyMemory<Message> Responses;

    public Message(MessageType type, ulong from, ulong to, ulong term)
    {
        Type = type;
        From = from;
        To = to;
        Term = term;
    }

    /// <summary>Whether the type is a node-local message (not sent on the network).</summary>
    public static bool IsLocalMsg(MessageType t) => t is MessageType.MsgHup or MessageType.MsgBeat or MessageType.MsgUnreachable
        or MessageType.MsgSnapStatus or MessageType.MsgCheckQuorum or MessageType.MsgStorageAppend
        or MessageType.MsgStorageAppendResp or MessageType.MsgStorageApply or MessageType.MsgStorageApplyResp;

    /// <summary>Whether the type is a response to another message.</summary>
    public static bool IsResponseMsg(MessageType t) => t is MessageType.MsgAppResp or MessageType.MsgVoteResp
        or MessageType.MsgHeartbeatResp or MessageType.MsgUnreachable or MessageType.MsgReadIndexResp
        or MessageType.MsgPreVoteResp or MessageType.MsgStorageAppendResp or MessageType.MsgStorageApplyResp;

    /// <summary>Whether the type is a message to or from the local storage threads.</summary>
    public static bool IsLocalStorageMsg(MessageType t) => t is MessageType.MsgStorageAppend or MessageType.MsgStorageAppendResp
        or MessageType.MsgStorageApply or MessageType.MsgStorageApplyResp;

    /// <summary>The response type for a vote request type (MsgVote → MsgVoteResp, MsgPreVote → MsgPreVoteResp).</summary>
    public static MessageType VoteRespMsgType(MessageType t) => t switch
    {
        MessageType.MsgVote => MessageType.MsgVoteResp,
        MessageType.MsgPreVote => MessageType.MsgPreVoteResp,
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
