namespace FastRaft.Core.Storage;

/// <summary>
/// A log shared by many Raft groups that makes their writes durable together: a group's
/// <see cref="IRaftStorage.Save"/> only writes, and one <see cref="SyncWrites"/> (one fdatasync)
/// later covers every group's writes made before it (group commit across groups). Whoever
/// sends the groups' messages calls <see cref="SyncWrites"/> before any message leaves the
/// process, so nothing is acknowledged or voted for before it is durable.
/// </summary>
public interface IGroupCommit
{
    /// <summary>Whether a write completed since the last sync is not yet durable (any thread).</summary>
    bool HasUnsyncedWrites { get; }

    /// <summary>
    /// Makes durable every write completed before the call (any thread; concurrent callers may
    /// share one sync). Throws when the log cannot sync: the writes' durability is then unknown,
    /// and the log refuses further writes.
    /// </summary>
    void SyncWrites();
}
