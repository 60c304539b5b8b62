using FastRaft.Core;

namespace FastRaft.Hosting;

/// <summary>A point-in-time copy of a node host's counters (each read atomically; together only roughly consistent).</summary>
public readonly record struct RaftNodeCounters
{
    /// <summary>Duty cycles the node thread ran.</summary>
    public long LoopIterations { get; init; }

    /// <summary>Logical ticks given to the core.</summary>
    public long Ticks { get; init; }

    /// <summary>Readys handled (persist, send, apply, advance).</summary>
    public long Readys { get; init; }

    /// <summary>Proposals appended to the log as leader.</summary>
    public long ProposalsAccepted { get; init; }

    /// <summary>Proposals completed with Ok (committed and applied).</summary>
    public long ProposalsCommitted { get; init; }

    /// <summary>Proposals that failed for any reason (not leader, dropped, lost, overloaded, shutdown...).</summary>
    public long ProposalsFailed { get; init; }

    /// <summary>Proposals the core dropped (a subset of <see cref="ProposalsFailed"/>).</summary>
    public long ProposalsDropped { get; init; }

    /// <summary>Committed entries applied (normal and configuration changes).</summary>
    public long EntriesApplied { get; init; }

    /// <summary>Messages handed to the transport.</summary>
    public long MessagesSent { get; init; }

    /// <summary>Inbound messages stepped into the core.</summary>
    public long MessagesReceived { get; init; }

    /// <summary>Inbound messages dropped: inbox full, node stopping, addressed to another node, or claiming to come from this one.</summary>
    public long MessagesDropped { get; init; }

    /// <summary>Reads completed with Ok.</summary>
    public long ReadsCompleted { get; init; }

    /// <summary>Snapshots of the state machine taken by policy.</summary>
    public long SnapshotsCreated { get; init; }

    /// <summary>Snapshots received from a leader and restored into the state machine.</summary>
    public long SnapshotsRestored { get; init; }

    /// <summary>
    /// Inbound messages the core refused as invalid, by reason (see the Refused* values of
    /// <see cref="StepResult"/>); a subset of <see cref="MessagesReceived"/>.
    /// </summary>
    public RefusalCounts MessagesRefused { get; init; }

    /// <summary>
    /// Snapshots from a leader refused before anything was persisted: the state machine could not
    /// restore their data, or the core refused the message; the leader was told they failed.
    /// </summary>
    public long SnapshotsRefused { get; init; }

    /// <summary>Times the node quiesced: stopped ticking for lack of work (<see cref="RaftNodeOptions.QuiesceAfterTicks"/>).</summary>
    public long Quiesces { get; init; }

    /// <summary>Times a quiesced node resumed ticking (a request, a message, or its leader's node found dead).</summary>
    public long Wakes { get; init; }

    /// <summary>The wakes of a quiesced follower because <see cref="RaftNodeOptions.Liveness"/> found its leader's node dead (a subset of <see cref="Wakes"/>).</summary>
    public long LivenessWakes { get; init; }

    /// <summary>Refusals of this node's snapshots reported by followers and handed to the core as failed deliveries.</summary>
    public long PeerSnapshotRefusals { get; init; }
}
