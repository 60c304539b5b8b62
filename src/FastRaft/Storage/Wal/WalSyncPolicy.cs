namespace FastRaft.Storage.Wal;

/// <summary>When <see cref="WriteAheadLog.Save"/> makes its writes durable.</summary>
public enum WalSyncPolicy
{
    /// <summary>
    /// Every Save that must sync ends with one data sync covering all its records (group commit):
    /// when Save returns, its entries and hard state survive a crash or a power loss.
    /// </summary>
    EveryBatch = 0,

    /// <summary>
    /// Save syncs at most once per <see cref="WalOptions.SyncInterval"/> (and on rollover,
    /// snapshots, compaction that deletes segments, <see cref="WriteAheadLog.Sync"/> and Dispose).
    /// Writes still reach the operating system on every Save, so a process crash loses nothing,
    /// but a power loss or kernel crash loses up to an interval of entries and hard state the node
    /// already acknowledged — which breaks Raft's safety argument for that node. Only for
    /// deployments that accept that trade.
    /// </summary>
    Interval = 1,
}
