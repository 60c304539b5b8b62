namespace FastRaft.Core.Storage;

/// <summary>
/// The outcome of a storage read. These are expected answers, not failures of the storage, so
/// they are values (etcd's ErrCompacted, ErrUnavailable, ErrSnapOutOfDate,
/// ErrSnapshotTemporarilyUnavailable) rather than exceptions.
/// </summary>
public enum StorageStatus
{
    /// <summary>The read or write succeeded.</summary>
    Ok = 0,

    /// <summary>The requested index is behind the last snapshot (etcd: "requested index is unavailable due to compaction").</summary>
    Compacted,

    /// <summary>The requested index is beyond the last index (etcd: "requested entry at index is unavailable").</summary>
    Unavailable,

    /// <summary>The snapshot is older than the storage's current one (etcd: "requested index is older than the existing snapshot").</summary>
    SnapOutOfDate,

    /// <summary>No snapshot can be produced right now; the leader retries later (etcd: "snapshot is temporarily unavailable").</summary>
    SnapshotTemporarilyUnavailable,

    /// <summary>A write was refused because it would leave a gap or rewrite compacted history.</summary>
    OutOfOrder,
}

/// <summary>Text for <see cref="StorageStatus"/> values.</summary>
public static class StorageStatusText
{
    /// <summary>etcd's error text for a status (used in log lines).</summary>
    public static string Describe(this StorageStatus s) => s switch
    {
        StorageStatus.Ok => "ok",
        StorageStatus.Compacted => "requested index is unavailable due to compaction",
        StorageStatus.Unavailable => "requested entry at index is unavailable",
        StorageStatus.SnapOutOfDate => "requested index is older than the existing snapshot",
        StorageStatus.SnapshotTemporarilyUnavailable => "snapshot is temporarily unavailable",
        StorageStatus.OutOfOrder => "entries would leave a gap in the log or rewrite compacted history",
        _ => s.ToString(),
    };
}
