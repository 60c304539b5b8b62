namespace FastRaft.Protocol;

/// <summary>Where a snapshot sits in the log and the configuration at that point.</summary>
public sealed record SnapshotMetadata(ConfState ConfState, ulong Index, ulong Term)
{
    /// <summary>No snapshot: index and term 0, empty configuration.</summary>
    public static readonly SnapshotMetadata Empty = new(ConfState.Empty, 0, 0);
}

/// <summary>
/// A point-in-time image of the application state machine plus its log position. Snapshots are
/// rare and large, so this is a class; the hot path never builds one.
/// </summary>
public sealed record Snapshot(ReadOnlyMemory<byte> Data, SnapshotMetadata Metadata)
{
    /// <summary>No snapshot: no data, index 0.</summary>
    public static readonly Snapshot Empty = new(ReadOnlyMemory<byte>.Empty, SnapshotMetadata.Empty);

    /// <summary>Whether this stands for no snapshot (index 0).</summary>
    public bool IsEmpty => Metadata.Index == 0;

    /// <summary>Equal when the metadata and the bytes of the data are equal.</summary>
    public bool Equals(Snapshot? other) =>
        other is not null && Metadata == other.Metadata && Data.Span.SequenceEqual(other.Data.Span);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Metadata.Index, Metadata.Term, Data.Length);
}
