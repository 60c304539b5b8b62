namespace FastRaft.Core.Tracker;

/// <summary>How the leader replicates to a follower. Numbering matches etcd's StateType; etcd's names are the same with a "State" prefix (see Diagnostics.Describe).</summary>
public enum ProgressState
{
    /// <summary>At most one append per heartbeat interval while the follower's log position is found.</summary>
    Probe = 0,

    /// <summary>Appends are streamed optimistically, bounded by the inflights window.</summary>
    Replicate = 1,

    /// <summary>A snapshot is on its way; no appends are sent.</summary>
    Snapshot = 2,
}
