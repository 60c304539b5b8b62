using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Protocol;

namespace FastRaft.Simulation;

/// <summary>
/// The storage an agent runs on: the node's MemoryStorage or write-ahead log (its durable state), with every
/// completed write reported to the simulation, which checks the invariants that depend on what
/// is durable (log matching, commit monotonicity, quorum, leader completeness) right after it.
/// </summary>
/// <remarks>
/// It is also the replica's view of its server's group commit (<see cref="IGroupCommit"/>, as a
/// multi-group host gives its agents), so a single-voter group syncs the shared log before it
/// applies; a single-group node has none (nothing is ever unsynced).
/// </remarks>
internal sealed class SimStorage(IRaftStorage inner, Simulation sim, SimNode node, IGroupCommit? commit) : IRaftStorage, IGroupCommit
{
    public bool HasUnsyncedWrites => commit is { HasUnsyncedWrites: true };

    public void SyncWrites() => commit?.SyncWrites();

    public StorageStatus InitialState(out HardState hardState, out ConfState confState) => inner.InitialState(out hardState, out confState);

    public StorageStatus Entries(ulong lo, ulong hi, ulong maxSize, EntryBuffer destination) => inner.Entries(lo, hi, maxSize, destination);

    public StorageStatus Term(ulong i, out ulong term) => inner.Term(i, out term);

    public ulong LastIndex() => inner.LastIndex();

    public ulong FirstIndex() => inner.FirstIndex();

    public StorageStatus Snapshot(out Snapshot snapshot) => inner.Snapshot(out snapshot);

    public StorageStatus Save(HardState hardState, EntrySegments entries, Snapshot? snapshot, bool mustSync)
    {
        StorageStatus st = inner.Save(hardState, entries, snapshot, mustSync);
        if (st == StorageStatus.Ok)
        {
            sim.Saved(node, hardState, entries, snapshot);
        }
        return st;
    }

    public StorageStatus CreateSnapshot(ulong index, ConfState? confState, ReadOnlyMemory<byte> data, out Snapshot snapshot)
    {
        StorageStatus st = inner.CreateSnapshot(index, confState, data, out snapshot);
        sim.SnapshotCreated(node, index, st);
        return st;
    }

    public StorageStatus Compact(ulong compactIndex)
    {
        StorageStatus st = inner.Compact(compactIndex);
        sim.Compacted(node, compactIndex, st);
        return st;
    }

    public void AdvanceEpoch() => inner.AdvanceEpoch();

    /// <summary>The node owns the storage (it outlives the agent); the agent never disposes it.</summary>
    public void Dispose()
    {
    }
}
