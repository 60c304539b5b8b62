namespace FastRaft.Storage.Wal;

/// <summary>The kinds of records in a segment. Values are part of the on-disk format.</summary>
internal enum WalRecordType : byte
{
    /// <summary>The state at the start of a segment (always its first record), so older segments can be deleted.</summary>
    Checkpoint = 1,

    /// <summary>One log entry; an index at or before the last one replaces that entry and everything after it.</summary>
    Entry = 2,

    HardState = 3,

    /// <summary>The configuration to report from InitialState.</summary>
    ConfState = 4,

    /// <summary>A snapshot received from the leader: the log restarts after it.</summary>
    SnapshotApplied = 5,

    /// <summary>A snapshot of the local state machine: becomes the current snapshot, the log is untouched.</summary>
    SnapshotCreated = 6,

    /// <summary>Entries up to the index are discarded; the index and its term become the dummy entry.</summary>
    Compact = 7,

    /// <summary>A group of a shared log was removed: its state is dropped (tagged records only).</summary>
    GroupRemoved = 8,
}
