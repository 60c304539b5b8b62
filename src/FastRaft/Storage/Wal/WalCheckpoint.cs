using FastRaft.Protocol;

namespace FastRaft.Storage.Wal;

/// <summary>
/// The log's state when a segment was started, written as that segment's first record. Replay
/// begins from the first segment still on disk, so deleting older segments loses nothing: their
/// hard state, configuration and snapshot are repeated here, and the entries they held are all
/// at or before a later compaction point.
/// </summary>
internal readonly record struct WalCheckpoint(
    HardState HardState,
    ConfState ConfState,
    bool HasSnapshot,
    ulong SnapshotIndex,
    ulong SnapshotTerm,
    ulong DummyIndex,
    ulong DummyTerm,
    ulong LastIndex,
    ulong LastTerm);
