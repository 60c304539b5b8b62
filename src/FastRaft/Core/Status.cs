using FastRaft.Core.Tracker;
using FastRaft.Protocol;

namespace FastRaft.Core;

/// <summary>What a node knows about itself, without allocating (etcd's BasicStatus).</summary>
public readonly record struct BasicStatus(ulong Id, HardState HardState, SoftState SoftState, ulong Applied, ulong LeadTransferee);

/// <summary>
/// A snapshot of a node's view: its basic status, the configuration, and (on the leader only)
/// every peer's progress. Allocates; use <see cref="BasicStatus"/> on hot paths.
/// </summary>
public sealed class Status
{
    /// <summary>Id, hard state, role, applied index and any leadership transfer target.</summary>
    public required BasicStatus Basic { get; init; }

    /// <summary>The configuration: voters (both halves of a joint one), learners, and whether a joint configuration is left automatically.</summary>
    public required ConfState ConfState { get; init; }

    /// <summary>Per-peer replication progress by node id (this node included); null unless this node is the leader.</summary>
    public IReadOnlyDictionary<ulong, PeerProgress>? Peers { get; init; }

    /// <summary>The tracker's configuration (a copy), for tests and the conformance harness.</summary>
    internal TrackerConfig Config { get; init; } = new();

    /// <summary>The tracker's progress map (a copy); null unless this node is the leader.</summary>
    internal ProgressMap? Progress { get; init; }
}

/// <summary>The leader's view of one peer's replication.</summary>
/// <param name="Match">Highest index known to match the leader's log.</param>
/// <param name="Next">Next index the leader sends.</param>
/// <param name="State">How the leader replicates to it.</param>
/// <param name="IsLearner">Whether the peer is a learner (non-voting).</param>
/// <param name="RecentActive">Whether it was heard from within the last election timeout (tracked under CheckQuorum).</param>
/// <param name="IsPaused">Whether appends to it are currently throttled.</param>
public readonly record struct PeerProgress(ulong Match, ulong Next, ProgressState State, bool IsLearner, bool RecentActive, bool IsPaused);
