namespace FastRaft.Core.Tracker;

/// <summary>How the leader replicates to a follower. Names and numbering match etcd's StateType.</summary>
public enum ProgressState
{
    /// <summary>At most one append per heartbeat interval while the follower's log position is found.</summary>
    StateProbe = 0,

    /// <summary>Appends are streamed optimistically, bounded by the inflights window.</summary>
    StateReplicate = 1,

    /// <summary>A snapshot is on its way; no appends are sent.</summary>
    StateSnapshot = 2,
}
