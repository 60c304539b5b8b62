using FastRaft.Core.Storage;

namespace FastRaft.Simulation;

/// <summary>
/// The group commit of a multi-group server whose replicas keep separate MemoryStorages: every
/// replica's Save marks the process's writes unsynced, one <see cref="SyncWrites"/> covers them all.
/// A MemoryStorage is durable once written, so this models the ordering only: the simulation
/// checks that no message leaves a process with writes not yet synced (see SimHub.Flush).
/// </summary>
internal sealed class SimLogSync : IGroupCommit
{
    public bool HasUnsyncedWrites { get; private set; }

    /// <summary>Syncs done (one per process cycle that wrote and sent).</summary>
    public long Syncs { get; private set; }

    /// <summary>A replica's Save completed.</summary>
    public void Wrote() => HasUnsyncedWrites = true;

    public void SyncWrites()
    {
        if (HasUnsyncedWrites)
        {
            HasUnsyncedWrites = false;
            Syncs++;
        }
    }
}
