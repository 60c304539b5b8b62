using FastRaft.Protocol;

namespace FastRaft.Core.Storage;

/// <summary>
/// Storage a node host can run on: what the core reads (<see cref="IStorage"/>) plus the writes
/// of the Ready loop. <see cref="Save"/> takes everything one Ready must persist, so a durable
/// implementation covers it with a single sync (group commit). Implemented by MemoryStorage and
/// the write-ahead log.
/// </summary>
public interface IRaftStorage : IStorage, IDisposable
{
    /// <summary>
    /// Persists one Ready's hard state (skipped when empty), snapshot (when not null) and
    /// entries, in that order; durable before returning when <paramref name="mustSync"/>.
    /// <paramref name="entries"/> is one run in at most two pieces (a Ready's entries are a view
    /// of the unstable log's ring); a plain array or memory converts to it.
    /// </summary>
    StorageStatus Save(HardState hardState, EntrySegments entries, Snapshot? snapshot, bool mustSync);

    /// <summary>Records a snapshot of the applied state at <paramref name="index"/> (which must be applied and in the log).</summary>
    StorageStatus CreateSnapshot(ulong index, ConfState? confState, ReadOnlyMemory<byte> data, out Snapshot snapshot);

    /// <summary>Discards entries before <paramref name="compactIndex"/> (which becomes the dummy entry).</summary>
    StorageStatus Compact(ulong compactIndex);

    /// <summary>A Ready boundary: memory released two boundaries ago may be reused. The host calls it once per Ready.</summary>
    void AdvanceEpoch();
}
