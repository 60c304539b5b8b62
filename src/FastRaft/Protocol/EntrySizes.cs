namespace FastRaft.Protocol;

/// <summary>etcd's size accounting over runs of entries (entsSize, payloadsSize, limitSize).</summary>
internal static class EntrySizes
{
    /// <summary>
    /// An entry encodes to at most its payload plus this many bytes: four field tags and varints
    /// of at most 10 bytes for type, term and index and 5 for the payload length.
    /// </summary>
    public const ulong MaxOverhead = 4 + 10 + 10 + 10 + 5;

    /// <summary>Sum of the encoded sizes (<see cref="Entry.Size"/>), etcd's entsSize.</summary>
    public static ulong EntsSize(ReadOnlySpan<Entry> ents)
    {
        ulong size = 0;
        foreach (ref readonly Entry e in ents)
        {
            size += e.Size;
        }
        return size;
    }

    /// <summary>Sum of the payload lengths, etcd's payloadsSize.</summary>
    public static ulong PayloadsSize(ReadOnlySpan<Entry> ents)
    {
        ulong size = 0;
        foreach (ref readonly Entry e in ents)
        {
            size += (ulong)e.Data.Length;
        }
        return size;
    }

    /// <summary>
    /// The length of the longest prefix whose total encoded size does not exceed
    /// <paramref name="maxSize"/>, but at least 1 when <paramref name="ents"/> is not empty
    /// (etcd's limitSize).
    /// </summary>
    public static int LimitSize(ReadOnlySpan<Entry> ents, ulong maxSize)
    {
        if (ents.IsEmpty)
        {
            return 0;
        }
        if (FitsSurely(ents, maxSize))
        {
            // Well within the limit (the usual case): skip computing the exact sizes.
            return ents.Length;
        }
        ulong size = ents[0].Size;
        for (int limit = 1; limit < ents.Length; limit++)
        {
            size += ents[limit].Size;
            if (size > maxSize)
            {
                return limit;
            }
        }
        return ents.Length;
    }

    /// <summary>
    /// Whether <paramref name="ents"/> certainly fit in <paramref name="maxSize"/>: their
    /// <see cref="SizeBound"/> does. A cheap test that spares computing exact sizes; false says
    /// nothing.
    /// </summary>
    public static bool FitsSurely(ReadOnlySpan<Entry> ents, ulong maxSize) =>
        maxSize == ulong.MaxValue || SizeBound(ents) <= maxSize;

    /// <summary>An upper bound of <see cref="EntsSize"/>: the payloads plus <see cref="MaxOverhead"/> per entry.</summary>
    public static ulong SizeBound(ReadOnlySpan<Entry> ents)
    {
        ulong bound = (ulong)ents.Length * MaxOverhead;
        foreach (ref readonly Entry e in ents)
        {
            bound += (ulong)e.Data.Length;
        }
        return bound;
    }
}
