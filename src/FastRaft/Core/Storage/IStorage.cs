using FastRaft.Protocol;

namespace FastRaft.Core.Storage;

/// <summary>
/// What the core reads from the application's stable storage (etcd's Storage interface).
/// Expected conditions (compacted, unavailable, snapshot not ready) are reported as
/// <see cref="StorageStatus"/>; an exception means the storage itself is broken.
/// </summary>
public interface IStorage
{
    /// <summary>The saved hard state and configuration.</summary>
    StorageStatus InitialState(out HardState hardState, out ConfState confState);

    /// <summary>
    /// Appends entries [lo, hi) to <paramref name="destination"/>, stopping before the total
    /// <see cref="Entry.Size"/> would exceed <paramref name="maxSize"/> but always returning at
    /// least one entry when any is in range. Compacted when lo is at or before the snapshot index,
    /// Unavailable when hi is past the last index + 1.
    /// </summary>
    StorageStatus Entries(ulong lo, ulong hi, ulong maxSize, EntryBuffer destination);

    /// <summary>
    /// The term of entry i, for i in [FirstIndex()-1, LastIndex()] (the term of the entry just
    /// before the first is kept for log matching).
    /// </summary>
    StorageStatus Term(ulong i, out ulong term);

    /// <summary>The index of the last entry (the snapshot index when there are no entries).</summary>
    ulong LastIndex();

    /// <summary>The index of the first entry that may be read (snapshot index + 1).</summary>
    ulong FirstIndex();

    /// <summary>The most recent snapshot; SnapshotTemporarilyUnavailable when it is being built.</summary>
    StorageStatus Snapshot(out Snapshot snapshot);
}
