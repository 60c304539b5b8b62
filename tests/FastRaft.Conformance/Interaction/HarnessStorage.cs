using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage;

namespace FastRaft.Conformance.Interaction;

/// <summary>
/// A node's storage in the harness: a MemoryStorage whose Snapshot() answers with the latest
/// state-machine snapshot the harness recorded (as etcd's snapOverrideStorage does).
/// </summary>
internal sealed class HarnessStorage(MemoryStorage inner, Func<Snapshot> latestSnapshot) : IStorage
{
    public MemoryStorage Inner { get; } = inner;

    public StorageStatus InitialState(out HardState hardState, out ConfState confState) => Inner.InitialState(out hardState, out confState);

    public StorageStatus Entries(ulong lo, ulong hi, ulong maxSize, EntryBuffer destination) => Inner.Entries(lo, hi, maxSize, destination);

    public StorageStatus Term(ulong i, out ulong term) => Inner.Term(i, out term);

    public ulong LastIndex() => Inner.LastIndex();

    public ulong FirstIndex() => Inner.FirstIndex();

    public StorageStatus Snapshot(out Snapshot snapshot)
    {
        snapshot = latestSnapshot();
        return StorageStatus.Ok;
    }
}
