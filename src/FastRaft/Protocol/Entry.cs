namespace FastRaft.Protocol;

/// <summary>
/// One log entry. A small struct: the payload is a slice of a buffer owned by whoever
/// handed the entry out (the unstable log, the storage, or a decoder), never a copy per entry.
/// </summary>
public readonly record struct Entry(ulong Term, ulong Index, EntryType Type, ReadOnlyMemory<byte> Data)
{
    public Entry(ulong term, ulong index) : this(term, index, EntryType.EntryNormal, ReadOnlyMemory<byte>.Empty) { }

    /// <summary>The payload length, the unit etcd uses for the uncommitted-size budget.</summary>
    public int PayloadSize => Data.Length;

    /// <summary>
    /// The entry's size as etcd counts it for MaxSizePerMsg and MaxCommittedSizePerReady:
    /// the length of its protobuf encoding (term, index, type, data fields).
    /// </summary>
    public ulong Size => WireSize.EntrySize(Term, Index, Type, Data.Length);

    public bool Equals(Entry other) =>
        Term == other.Term && Index == other.Index && Type == other.Type && Data.Span.SequenceEqual(other.Data.Span);

    public override int GetHashCode() => HashCode.Combine(Term, Index, Type, Data.Length);
}
