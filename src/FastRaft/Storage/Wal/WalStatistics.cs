namespace FastRaft.Storage.Wal;

/// <summary>Counters of a <see cref="WriteAheadLog"/> since it was opened.</summary>
/// <param name="Syncs">Data syncs of segments (one per durable Save at most).</param>
/// <param name="BytesWritten">Record bytes written to segments.</param>
/// <param name="SegmentCount">Segments on disk now.</param>
/// <param name="SegmentsCreated">Segments started (rollovers, and the first of a new log).</param>
/// <param name="SegmentsDeleted">Segments deleted by compaction or snapshots.</param>
/// <param name="EntriesReadFromDisk">Entries served from segment files because they were no longer cached.</param>
/// <param name="CachedEntries">Entries whose payloads are in memory now.</param>
/// <param name="CachedBytes">Payload bytes in memory now.</param>
public readonly record struct WalStatistics(
    long Syncs,
    long BytesWritten,
    int SegmentCount,
    long SegmentsCreated,
    long SegmentsDeleted,
    long EntriesReadFromDisk,
    long CachedEntries,
    long CachedBytes);
