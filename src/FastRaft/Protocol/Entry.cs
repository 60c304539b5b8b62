namespace FastRaft.Protocol;

/// <summary>
/// One log entry. A small struct: the payload is a slice of a buffer owned by whoever
/// handed the entry out (the unstable log, the storage, or a decoder), never a copy per entry.
/// </summary>
public readonly record struct Entry(ulong Term, ulong Index, EntryType Type, ReadOnlyMemory<byte> Data)
{
    /// <summary>An empty <see cref="EntryType.Normal"/> entry at the given term and index.</summary>
    /// <param name="term">The term in which the entry was proposed.</param>
    /// <param name="index">The entry's position in the log (the first entry has index 1).</param>
    public Entry(ulong term, ulong index) : this(term, index, EntryType.Normal, ReadOnlyMemory<byte>.Empty) { }

    /// <summary>The payload length, the unit etcd uses for the uncommitted-size budget.</summary>
    public int PayloadSize => Data.Length;

    /// <summary>
    /// The entry's size as etcd counts it for MaxSizePerMsg and MaxCommittedSizePerReady:
    /// the length of its protobuf encoding (term, index, type, data fields).
    /// </summary>
    public ulong Size => WireSize.EntrySize(Term, Index, Type, Data.Length);

    /// <summary>Equal when term, index, type and the payload bytes are equal.</summary>
    public bool Equals(Entry other) =>
        Term == other.Term && Index == other.Index && Type == other.Type && Data.Span.SequenceEqual(other.Data.Span);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Term, Index, Type, Data.Length);
}
