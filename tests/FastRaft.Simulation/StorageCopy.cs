using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage;

namespace FastRaft.Simulation;

/// <summary>
/// What survives a crash: a fresh MemoryStorage holding a copy of the durable state (snapshot,
/// entries, hard state). The simulation writes to storage only through complete Saves,
/// snapshot creation and compaction, so the storage at crash time is exactly the state as of
/// the last completed write; copying it guarantees that nothing of the crashed process (its
/// buffers, its views) leaks into the restarted one. Entries retained before the snapshot
/// index are not carried over (as if compacted): MemoryStorage starts its log at a snapshot.
/// </summary>
internal static class StorageCopy
{
    public static MemoryStorage DurableCopy(MemoryStorage source, Sabotage sabotage = Sabotage.None)
    {
        var copy = new MemoryStorage();
        Check(source.Snapshot(out Snapshot snap), "read snapshot");
        if (!snap.IsEmpty)
        {
            Check(copy.ApplySnapshot(snap), "apply snapshot");
        }
        ulong first = Math.Max(source.FirstIndex(), snap.Metadata.Index + 1);
        ulong last = source.LastIndex();
        HardState hs = source.HardState;
        ulong known = Math.Max(first - 1, hs.Commit);
        if (sabotage == Sabotage.AcknowledgeBeforePersisting && last > known)
        {
            // The last few entries not yet known committed were acknowledged but never reached the disk.
            last -= Math.Min(3, last - known);
        }

        if (last >= first)
        {
            var buf = new EntryBuffer((int)(last - first + 1));
            Check(source.Entries(first, last + 1, ulong.MaxValue, buf), "read entries");
            var owned = new Entry[buf.Count];
            for (int i = 0; i < owned.Length; i++)
            {
                Entry e = buf[i];
                owned[i] = e with { Data = e.Data.ToArray() };
            }
            Check(copy.Append(owned), "append entries");
        }
        Check(copy.SetHardState(hs), "set hard state");
        return copy;
    }

    private static void Check(StorageStatus st, string what)
    {
        if (st != StorageStatus.Ok)
        {
            throw new InvariantViolation("storage", $"copying durable state: {what} failed with {st}");
        }
    }
}
