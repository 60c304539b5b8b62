using FastRaft.Core.Log;
using FastRaft.Core.Quorum;
using FastRaft.Protocol;

namespace FastRaft.Tests.Perf;

/// <summary>The shortcuts taken for speed answer exactly what the long way answers.</summary>
public class ShortcutTests
{
    private static readonly ulong[] Extremes = [0, 1, 127, 128, 16_383, 16_384, uint.MaxValue, long.MaxValue, ulong.MaxValue];

    private static Entry[] RandomEntries(Random r, int n)
    {
        var ents = new Entry[n];
        for (int i = 0; i < n; i++)
        {
            ulong term = r.Next(3) == 0 ? Extremes[r.Next(Extremes.Length)] : (ulong)r.Next(1, 100);
            ulong index = r.Next(3) == 0 ? Extremes[r.Next(Extremes.Length)] : (ulong)r.NextInt64(1, 1L << 40);
            var type = (EntryType)r.Next(3);
            int len = r.Next(4) switch { 0 => 0, 1 => r.Next(1, 128), 2 => r.Next(128, 20_000), _ => r.Next(1, 16) };
            ents[i] = new Entry(term, index, type, new byte[len]);
        }
        return ents;
    }

    /// <summary>etcd's limitSize computed the long way.</summary>
    private static int ReferenceLimitSize(ReadOnlySpan<Entry> ents, ulong maxSize)
    {
        if (ents.IsEmpty)
        {
            return 0;
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

    [Fact]
    public void Size_bound_is_never_below_the_encoded_size()
    {
        var r = new Random(11);
        for (int round = 0; round < 500; round++)
        {
            Entry[] ents = RandomEntries(r, r.Next(0, 20));
            Assert.True(EntrySizes.SizeBound(ents) >= EntrySizes.EntsSize(ents));
        }
        // The worst case for the overhead: every varint at its longest.
        var worst = new Entry(ulong.MaxValue, ulong.MaxValue, (EntryType)(-1), new byte[1]);
        Assert.True(EntrySizes.SizeBound([worst]) >= worst.Size);
    }

    [Fact]
    public void Limit_size_matches_etcds_rule_for_any_limit()
    {
        var r = new Random(12);
        for (int round = 0; round < 2000; round++)
        {
            Entry[] ents = RandomEntries(r, r.Next(0, 12));
            ulong total = EntrySizes.EntsSize(ents);
            ulong[] limits = [0, 1, total / 2, total, total + 1, EntrySizes.SizeBound(ents), (ulong)r.NextInt64(0, 100_000), ulong.MaxValue];
            foreach (ulong max in limits)
            {
                Assert.Equal(ReferenceLimitSize(ents, max), EntrySizes.LimitSize(ents, max));
            }
        }
    }

    [Fact]
    public void Sorted_id_search_answers_like_a_binary_search()
    {
        var r = new Random(13);
        for (int n = 0; n <= 40; n++)
        {
            var set = new SortedSet<ulong>();
            while (set.Count < n)
            {
                set.Add((ulong)r.Next(1, 200) * 2);
            }
            ulong[] ids = [.. set, 0, 0];
            foreach (ulong probe in new ulong[] { 0, 1, 2, 3, 199, 200, 201, 400, 401, ulong.MaxValue }.Concat(set))
            {
                Assert.Equal(Array.BinarySearch(ids, 0, n, probe), SortedIdSearch.IndexOf(ids, n, probe));
            }
        }
    }
}
