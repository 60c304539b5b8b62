using FastRaft.Core.Tracker;
using FastRaft.Protocol;

namespace FastRaft.Core;

/// <summary>What a node knows about itself, without allocating (etcd's BasicStatus).</summary>
public readonly record struct BasicStatus(ulong Id, HardState HardState, SoftState SoftState, ulong Applied, ulong LeadTransferee);

/// <summary>
/// A snapshot of a node's view: its basic status, the configuration, and (on the leader only)
/// a copy of every peer's progress. Allocates; use <see cref="BasicStatus"/> on hot paths.
/// </summary>
public sealed class Status
{
    /// <summary>Id, hard state, role, applied index and any leadership transfer target.</summary>
    public required BasicStatus Basic { get; init; }

    /// <summary>The membership configuration the node is using (voters, learners, joint state).</summary>
    public required TrackerConfig Config { get; init; }

    /// <summary>Per-peer replication progress; null unless this node is the leader.</summary>
    public ProgressMap? Progress { get; init; }
}
