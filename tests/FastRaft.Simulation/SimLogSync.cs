using FastRaft.Core.Storage;

namespace FastRaft.Simulation;

/// <summary>
/// The group commit of a multi-group server whose replicas keep separate MemoryStorages: every
/// replica's Save marks the process's writes unsynced, one <see cref="SyncWrites"/> (the hub's,
/// before it sends) covers them all. A MemoryStorage is durable once written, so this models the
/// ordering only: the simulation checks that no group's message leaves a process while its
/// writes are not synced.
/// </summary>
internal sealed class SimLogSync : IGroupCommit
{
    public bool HasUnsyncedWrites { get; private set; }

    /// <summary>A replica's Save completed.</summary>
    public void Wrote() => HasUnsyncedWrites = true;

    public void SyncWrites() => HasUnsyncedWrites = false;
}
