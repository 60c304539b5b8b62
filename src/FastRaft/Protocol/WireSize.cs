namespace FastRaft.Protocol;

/// <summary>Protobuf-compatible encoded sizes, so size limits behave exactly like etcd's.</summary>
public static class WireSize
{
    /// <summary>Bytes of a protobuf varint holding <paramref name="v"/>.</summary>
    public static int Varint(ulong v)
    {
        int n = 1;
        while (v >= 0x80)
        {
            v >>= 7;
            n++;
        }
        return n;
    }

    /// <summary>
    /// etcd's Entry.Size(): fields term(2), index(3), type(1) are always written (non-nullable
    /// gogoproto fields), data(4) only when present.
    /// </summary>
    public static ulong EntrySize(ulong term, ulong index, EntryType type, int dataLength)
    {
        int n = 1 + Varint((ulong)type) + 1 + Varint(term) + 1 + Varint(index);
        if (dataLength > 0)
        {
            n += 1 + Varint((ulong)dataLength) + dataLength;
        }
        return (ulong)n;
    }
}
