using FastRaft.Protocol;

namespace FastRaft.Hosting;

/// <summary>
/// The application's replicated state. The node host calls every member on its own thread, one
/// call at a time, in log order. A state machine starts empty: on start the host restores it from
/// the storage's latest snapshot (if any) and replays the committed entries after it.
/// </summary>
/// <typeparam name="TResult">What applying one entry produces; handed to the proposer without boxing.</typeparam>
public interface IStateMachine<TResult> where TResult : struct
{
    /// <summary>
    /// Applies committed normal entries, in log order, writing one result per entry into
    /// <paramref name="results"/> (same length, cleared beforehand). The batch includes the empty
    /// entry each new leader commits; treat it as a no-op. The entries' payloads are only valid
    /// during the call. Configuration changes never appear here (see <see cref="OnMembershipChanged"/>).
    /// </summary>
    void Apply(ReadOnlySpan<Entry> entries, Span<TResult> results);

    /// <summary>Writes the whole state, as of the last applied entry, to <paramref name="destination"/>.</summary>
    void SaveSnapshot(Stream destination);

    /// <summary>Replaces the whole state with the one <see cref="SaveSnapshot"/> wrote (the stream may be empty for a bootstrap snapshot).</summary>
    void RestoreSnapshot(Stream source);

    /// <summary>
    /// Whether <see cref="RestoreSnapshot"/> could restore <paramref name="data"/>, checked without
    /// changing the state (decode into scratch state, or check the structure). The node asks before
    /// anything of a snapshot from the leader is persisted: a snapshot refused here is never stepped
    /// into the core nor written to storage, it is counted (<see cref="RaftNodeCounters.SnapshotsRefused"/>)
    /// and the leader is told the delivery failed. It is asked again for the stored snapshot at start,
    /// so that an unrestorable one stops the node with a clear error. The data is only valid during
    /// the call. The default accepts everything: override it when restoring can fail on bad data.
    /// </summary>
    SnapshotValidationResult ValidateSnapshot(ReadOnlyMemory<byte> data) => SnapshotValidationResult.Success;

    /// <summary>A committed configuration change at <paramref name="index"/> took effect; <paramref name="confState"/> is the new membership.</summary>
    void OnMembershipChanged(ulong index, ConfState confState)
    {
    }
}
