using FastRaft.Protocol;

namespace FastRaft.Core;

/// <summary>
/// Everything the application must do for a node now (etcd's Ready): persist
/// <see cref="Entries"/>, <see cref="HardState"/> and <see cref="Snapshot"/> (synchronously when
/// <see cref="MustSync"/>), send <see cref="Messages"/>, apply <see cref="CommittedEntries"/>, then
/// call Advance. Every view is over the node's own reused buffers and stays valid until the
/// next call to Ready (so, in the usual loop, until Advance returns).
/// </summary>
public readonly struct Ready
{
    /// <summary>Leader and role, when they changed since the last Ready; otherwise null.</summary>
    public SoftState? SoftState { get; init; }

    /// <summary>Term, vote and commit when they changed; otherwise empty.</summary>
    public HardState HardState { get; init; }

    /// <summary>Reads whose index is now known (ReadIndex answers).</summary>
    public ReadOnlyMemory<ReadState> ReadStates { get; init; }

    /// <summary>
    /// Entries to append to stable storage before sending messages: a view of the unstable
    /// log's ring, in two pieces when the range wraps around its end.
    /// </summary>
    public EntrySegments Entries { get; init; }

    /// <summary>A snapshot to persist, or null.</summary>
    public Snapshot? Snapshot { get; init; }

    /// <summary>Entries to apply to the state machine (already persisted, or persisted in this Ready).</summary>
    public ReadOnlyMemory<Entry> CommittedEntries { get; init; }

    /// <summary>Messages to send once the entries are persisted.</summary>
    public ReadOnlyMemory<Message> Messages { get; init; }

    /// <summary>Whether the hard state and entries must be synced to disk before sending.</summary>
    public bool MustSync { get; init; }

    /// <summary>Whether there is anything at all to persist, send or apply in this Ready.</summary>
    public bool ContainsUpdates =>
        SoftState is not null || !HardState.IsEmpty || (Snapshot is not null && !Snapshot.IsEmpty) || !Entries.IsEmpty
        || !CommittedEntries.IsEmpty || !Messages.IsEmpty || !ReadStates.IsEmpty;
}
