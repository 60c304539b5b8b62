namespace FastRaft.Core.Quorum;

/// <summary>
/// Finds an id in an ascending array of ids, with <see cref="Array.BinarySearch{T}(T[], int, int, T)"/>'s
/// result: the position, or the bitwise complement of where it would be inserted. Node-id sets
/// hold a handful of ids and are searched on every message, so small ones are scanned (no
/// comparer, no branch mispredictions to speak of) and only large ones bisected.
/// </summary>
internal static class SortedIdSearch
{
    private const int ScanLimit = 16;

    public static int IndexOf(ulong[] ids, int count, ulong id)
    {
        ReadOnlySpan<ulong> span = ids.AsSpan(0, count);
        if (span.Length > ScanLimit)
        {
            return span.BinarySearch(id);
        }
        for (int i = 0; i < span.Length; i++)
        {
            ulong v = span[i];
            if (v >= id)
            {
                return v == id ? i : ~i;
            }
        }
        return ~span.Length;
    }
}
