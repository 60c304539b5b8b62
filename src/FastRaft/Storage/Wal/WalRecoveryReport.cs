using FastRaft.Protocol;

namespace FastRaft.Storage.Wal;

/// <summary>What <see cref="WriteAheadLog.Open"/> found and repaired.</summary>
public sealed class WalRecoveryReport
{
    /// <summary>The log's directory.</summary>
    public required string Directory { get; init; }

    /// <summary>The directory held no log: a new one was started.</summary>
    public bool CreatedNew { get; init; }

    /// <summary>The log is a <see cref="SharedWriteAheadLog"/>: the index fields below are zero, see <see cref="GroupCount"/>.</summary>
    public bool IsShared { get; init; }

    /// <summary>The groups recovered (one for a single-group log).</summary>
    public int GroupCount { get; init; }

    /// <summary>Segments replayed.</summary>
    public int SegmentCount { get; init; }

    /// <summary>Valid records replayed.</summary>
    public long RecordCount { get; init; }

    /// <summary>The first entry index readable after recovery (snapshot index + 1).</summary>
    public ulong FirstIndex { get; init; }

    /// <summary>The last entry index recovered (the snapshot index when there are no entries).</summary>
    public ulong LastIndex { get; init; }

    /// <summary>The last hard state (term, vote, commit) recorded.</summary>
    public HardState HardState { get; init; }

    /// <summary>The index of the current snapshot (0 when there is none).</summary>
    public ulong SnapshotIndex { get; init; }

    /// <summary>
    /// How far into the last segment a completed sync was recorded to reach (its sync mark).
    /// Records before it were verified intact; a torn tail can only begin at or after it.
    /// </summary>
    public long SyncedThrough { get; init; }

    /// <summary>The partially written record cut off the end of the log, or null when the log ended cleanly.</summary>
    public WalTornTail? TornTail { get; init; }

    /// <summary>Leftover temporary files (unfinished segments or snapshots) deleted.</summary>
    public int TemporaryFilesRemoved { get; init; }

    /// <summary>Snapshot files no record refers to (superseded, or written just before a crash) deleted.</summary>
    public int SnapshotFilesRemoved { get; init; }

    /// <summary>One line for the log: what was recovered (or that a new log was created), any torn tail cut off and the files removed.</summary>
    public override string ToString()
    {
        string log = CreatedNew
            ? $"created a new {(IsShared ? "shared " : "")}write-ahead log in {Directory}"
            : IsShared
            ? $"recovered shared write-ahead log in {Directory}: {SegmentCount} segment(s), {RecordCount} record(s), {GroupCount} group(s)"
            : $"recovered write-ahead log in {Directory}: {SegmentCount} segment(s), {RecordCount} record(s), entries [{FirstIndex}, {LastIndex}], "
              + $"hard state term {HardState.Term} vote {HardState.Vote} commit {HardState.Commit}, snapshot at {SnapshotIndex}";
        if (TornTail is { } torn)
        {
            log += $"; {torn}, after the synced records (which end at or after offset {SyncedThrough})";
        }
        if (TemporaryFilesRemoved + SnapshotFilesRemoved > 0)
        {
            log += $"; removed {TemporaryFilesRemoved} temporary and {SnapshotFilesRemoved} stale snapshot file(s)";
        }
        return log;
    }
}

/// <summary>A torn record discarded by recovery.</summary>
/// <param name="SegmentPath">The last segment, which held it.</param>
/// <param name="Offset">Where the torn record began; the log continues from here.</param>
/// <param name="DiscardedBytes">The bytes zeroed from <paramref name="Offset"/> on.</param>
/// <param name="Reason">Why the record was unreadable.</param>
public sealed record WalTornTail(string SegmentPath, long Offset, long DiscardedBytes, string Reason)
{
    /// <summary>One line for the log: where the torn record was and how many bytes were discarded.</summary>
    public override string ToString() =>
        $"truncated a torn record at offset {Offset} of {SegmentPath} ({Reason}; {DiscardedBytes} byte(s) discarded)";
}
