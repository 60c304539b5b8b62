using FastRaft.Protocol;

namespace FastRaft.Core.Log;

/// <summary>etcd's size accounting over runs of entries (entsSize, payloadsSize, limitSize).</summary>
internal static class EntrySizes
{
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
        if (maxSize == ulong.MaxValue)
        {
            // No limit (the sizes could not add up to it): skip computing them.
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
}
