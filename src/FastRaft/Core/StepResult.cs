namespace FastRaft.Core;

/// <summary>
/// The outcome of stepping a message or making a proposal. Dropped proposals and refused
/// messages are ordinary results, never exceptions (etcd's ErrProposalDropped,
/// ErrStepLocalMsg, ErrStepPeerNotFound, with the reason for a drop made explicit).
/// The Refused* values are FastRaft's own: a peer's message that would break an invariant of
/// the node (a commit it cannot prove, a term that would overflow, a snapshot that cannot be
/// restored...) is refused before any of it is used: nothing changes, nothing is persisted,
/// and <see cref="RawNode.Refusals"/> counts it by reason.
/// </summary>
public enum StepResult
{
    /// <summary>The message was stepped (or the proposal accepted into the log).</summary>
    Ok = 0,

    /// <summary>The proposal was dropped: no leader is known (follower or candidate).</summary>
    ProposalDroppedNoLeader,

    /// <summary>The proposal was dropped: a leadership transfer is in progress.</summary>
    ProposalDroppedLeaderTransferring,

    /// <summary>The proposal was dropped: this leader has been removed from the configuration.</summary>
    ProposalDroppedNotInConfiguration,

    /// <summary>The proposal was dropped: followers do not forward proposals (DisableProposalForwarding).</summary>
    ProposalDroppedForwardingDisabled,

    /// <summary>The proposal was dropped: it would exceed MaxUncommittedEntriesSize.</summary>
    ProposalDroppedUncommittedSizeLimit,

    /// <summary>The proposal was dropped: a configuration change entry could not be decoded.</summary>
    ProposalDroppedMalformed,

    /// <summary>A node-local message type arrived from the network and was ignored.</summary>
    StepLocalMessage,

    /// <summary>A response arrived from a peer that is not in the configuration and was ignored.</summary>
    StepPeerNotFound,

    /// <summary>Refused: the message's term is above <see cref="RaftLimits.MaxTerm"/>.</summary>
    RefusedTermTooHigh,

    /// <summary>
    /// Refused: a message between nodes without a term (only forwarded proposals and read
    /// requests travel without one; a term of 0 would otherwise be taken as the current term).
    /// </summary>
    RefusedMissingTerm,

    /// <summary>
    /// Refused: a message claiming to come from this node, of a type only other nodes send
    /// (appends, heartbeats and their responses, snapshots, vote requests, <see cref="Protocol.MessageType.TimeoutNow"/>,
    /// read index responses).
    /// </summary>
    RefusedFromSelf,

    /// <summary>Refused: the message would put an index above <see cref="RaftLimits.MaxIndex"/> in the log.</summary>
    RefusedIndexTooHigh,

    /// <summary>
    /// Refused: a term the message carries contradicts its own term (a previous entry, an entry,
    /// a snapshot or a candidate's last entry from a later term than the message; entry terms
    /// that decrease).
    /// </summary>
    RefusedInconsistentTerms,

    /// <summary>
    /// Refused: an append whose entries do not follow its previous index one by one (such entries
    /// could overwrite committed ones).
    /// </summary>
    RefusedEntriesNotContiguous,

    /// <summary>Refused: an unknown message type, or an entry of an unknown type.</summary>
    RefusedUnknownType,

    /// <summary>
    /// Refused: an append carrying a configuration change entry that cannot be decoded (a leader
    /// drops such proposals; committed, it would stop every node that applies it).
    /// </summary>
    RefusedMalformedConfChange,

    /// <summary>Refused: a heartbeat commits beyond this node's last index (the leader cannot know it has those entries).</summary>
    RefusedCommitBeyondLog,

    /// <summary>Refused: an append response acknowledges entries beyond the leader's last index.</summary>
    RefusedAckBeyondLog,

    /// <summary>Refused: a heartbeat response acknowledges read requests the leader never queued.</summary>
    RefusedReadAckBeyondQueue,

    /// <summary>Refused: a forwarded proposal without entries.</summary>
    RefusedEmptyProposal,

    /// <summary>Refused: a snapshot whose configuration cannot be restored.</summary>
    RefusedInvalidSnapshot,
}

/// <summary>Classification and text of <see cref="StepResult"/> values.</summary>
public static class StepResultExtensions
{
    /// <summary>Whether the result is one of the ProposalDropped* values: the proposal was not appended and may be retried (elsewhere or later).</summary>
    public static bool IsProposalDropped(this StepResult r) =>
        r is >= StepResult.ProposalDroppedNoLeader and <= StepResult.ProposalDroppedMalformed;

    /// <summary>Whether the result refuses an invalid message from a peer (one of the Refused* values).</summary>
    public static bool IsRefused(this StepResult r) =>
        r is >= StepResult.RefusedTermTooHigh and <= StepResult.RefusedInvalidSnapshot;

    /// <summary>etcd's error text for the result ("" for Ok); for refusals, what was wrong with the message.</summary>
    public static string ErrorText(this StepResult r) => r switch
    {
        StepResult.Ok => "",
        StepResult.StepLocalMessage => "raft: cannot step raft local message",
        StepResult.StepPeerNotFound => "raft: cannot step as peer not found",
        StepResult.RefusedTermTooHigh => "raft: refused a message whose term is above the maximum term",
        StepResult.RefusedMissingTerm => "raft: refused a message from a peer without a term",
        StepResult.RefusedFromSelf => "raft: refused a message claiming to come from this node",
        StepResult.RefusedIndexTooHigh => "raft: refused a message that would put an index above the maximum index in the log",
        StepResult.RefusedInconsistentTerms => "raft: refused a message carrying a term that contradicts its own",
        StepResult.RefusedEntriesNotContiguous => "raft: refused an append whose entries do not follow its previous index",
        StepResult.RefusedUnknownType => "raft: refused a message or entry of unknown type",
        StepResult.RefusedMalformedConfChange => "raft: refused an append carrying a configuration change that cannot be decoded",
        StepResult.RefusedCommitBeyondLog => "raft: refused a heartbeat committing beyond the last index",
        StepResult.RefusedAckBeyondLog => "raft: refused an append response acknowledging beyond the last index",
        StepResult.RefusedReadAckBeyondQueue => "raft: refused a heartbeat response acknowledging reads never queued",
        StepResult.RefusedEmptyProposal => "raft: refused a proposal without entries",
        StepResult.RefusedInvalidSnapshot => "raft: refused a snapshot whose configuration cannot be restored",
        _ => "raft proposal dropped",
    };
}
