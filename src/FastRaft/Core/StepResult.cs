namespace FastRaft.Core;

/// <summary>
/// The outcome of stepping a message or making a proposal. Dropped proposals and refused
/// messages are ordinary results, never exceptions (etcd's ErrProposalDropped,
/// ErrStepLocalMsg, ErrStepPeerNotFound, with the reason for a drop made explicit).
/// </summary>
public enum StepResult
{
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
}

public static class StepResultExtensions
{
    public static bool IsProposalDropped(this StepResult r) =>
        r is >= StepResult.ProposalDroppedNoLeader and <= StepResult.ProposalDroppedMalformed;

    /// <summary>etcd's error text for the result ("" for Ok).</summary>
    public static string ErrorText(this StepResult r) => r switch
    {
        StepResult.Ok => "",
        StepResult.StepLocalMessage => "raft: cannot step raft local message",
        StepResult.StepPeerNotFound => "raft: cannot step as peer not found",
        _ => "raft proposal dropped",
    };
}
