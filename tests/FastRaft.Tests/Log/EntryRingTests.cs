using FastRaft.Core.Log;
using FastRaft.Protocol;

namespace FastRaft.Tests.Log;

public class EntryRingTests
{
    private static Entry E(ulong term, ulong index) => new(term, index, EntryType.Normal, new byte[] { (byte)index, (byte)term });

    private static void Append(EntryRing ring, PayloadArena arena, ulong term, ulong first, int n)
    {
        var batch = new Entry[n];
        for (int k = 0; k < n; k++)
        {
            batch[k] = E(term, first + (ulong)k);
        }
        ring.AppendCopies(batch, arena);
    }

    private static ulong[] Indexes(EntrySegments s)
    {
        var indexes = new ulong[s.Length];
        for (int i = 0; i < indexes.Length; i++)
        {
            indexes[i] = s[i].Index;
        }
        return indexes;
    }

    [Fact]
    public void A_range_across_the_end_of_the_array_comes_out_as_two_pieces_without_growing()
    {
        var ring = new EntryRing(8);
        var arena = new PayloadArena();
        Append(ring, arena, 1, 1, 6);
        ring.DropFront(6);
        ring.AdvanceEpoch();
        ring.AdvanceEpoch();

        // Positions 6..11: slots 6, 7, then 0..3.
        Append(ring, arena, 1, 7, 6);
        EntrySegments all = ring.Segments(0, 6);

        Assert.Equal(8, ring.Capacity);
        Assert.Equal(2, all.First.Length);
        Assert.Equal(4, all.Second.Length);
        Assert.Equal([7UL, 8UL, 9UL, 10UL, 11UL, 12UL], Indexes(all));
        Assert.Equal(new byte[] { 9, 1 }, all[2].Data.ToArray());
        Assert.True(ring.Segments(2, 4).IsSingleSegment);
        Assert.Equal(12UL, ring.Last.Index);
    }

    [Fact]
    public void Dropped_slots_are_written_again_only_after_two_epochs()
    {
        var ring = new EntryRing(8);
        var arena = new PayloadArena();
        Append(ring, arena, 1, 1, 8);
        EntrySegments view = ring.HandOut(0, 8);
        Entry[] seen = view.ToArray();
        ring.DropFront(8);
        ring.AdvanceEpoch();

        // One epoch later the eight slots are still protected: the ring grows instead.
        Append(ring, arena, 2, 9, 8);

        Assert.Equal(16, ring.Capacity);
        Assert.Equal(seen, view.ToArray());
        Assert.Equal(9UL, ring[0].Index);
    }

    [Fact]
    public void After_two_epochs_the_dropped_slots_are_reused()
    {
        var ring = new EntryRing(8);
        var arena = new PayloadArena();
        Append(ring, arena, 1, 1, 4);
        ring.DropFront(4);
        ring.AdvanceEpoch();
        ring.AdvanceEpoch();

        Append(ring, arena, 1, 5, 8);

        Assert.Equal(8, ring.Capacity);
        Assert.Equal([5UL, 6UL, 7UL, 8UL, 9UL, 10UL, 11UL, 12UL], Indexes(ring.Segments(0, 8)));
    }

    [Fact]
    public void Truncating_handed_out_entries_leaves_the_view_intact()
    {
        var ring = new EntryRing(16);
        var arena = new PayloadArena();
        Append(ring, arena, 1, 1, 5);
        EntrySegments view = ring.HandOut(0, 5);
        Entry[] seen = view.ToArray();

        ring.Truncate(2);
        Append(ring, arena, 2, 3, 3);

        Assert.Equal(seen, view.ToArray());
        Assert.Equal([1UL, 2UL, 3UL, 4UL, 5UL], Indexes(ring.Segments(0, 5)));
        Assert.Equal(1UL, ring[1].Term);
        Assert.Equal(2UL, ring[2].Term);
        Assert.Equal(16, ring.Capacity);
    }

    [Fact]
    public void Truncating_handed_out_entries_in_a_full_ring_grows_and_leaves_the_view_intact()
    {
        var ring = new EntryRing(8);
        var arena = new PayloadArena();
        Append(ring, arena, 1, 1, 8);
        EntrySegments view = ring.HandOut(0, 8);
        Entry[] seen = view.ToArray();

        ring.Truncate(6);
        Append(ring, arena, 2, 7, 2);

        Assert.Equal(seen, view.ToArray());
        Assert.Equal([1UL, 2UL, 3UL, 4UL, 5UL, 6UL, 7UL, 8UL], Indexes(ring.Segments(0, 8)));
        Assert.Equal(2UL, ring.Last.Term);
    }

    [Fact]
    public void Steady_appends_hand_outs_and_drops_never_grow_the_ring()
    {
        var ring = new EntryRing(16);
        var arena = new PayloadArena();
        ulong next = 1;
        for (int lap = 0; lap < 1000; lap++)
        {
            // A Ready's worth: three entries appended and handed out, the previous ones made stable.
            Append(ring, arena, 1, next, 3);
            next += 3;
            ring.HandOut(ring.Count - 3, 3);
            ring.DropFront(ring.Count - 3);
            ring.AdvanceEpoch();
        }

        Assert.Equal(16, ring.Capacity);
        Assert.Equal(next - 3, ring[0].Index);
    }

    [Fact]
    public void Matches_a_list_and_keeps_handed_out_views_intact_for_their_lifetime()
    {
        // Random appends, truncations, drops, clears and hand-outs against a plain list. A view
        // handed out must read the same until the second epoch boundary after it (the Ready
        // that handed it out, then the next Ready).
        var rng = new Random(2024);
        var ring = new EntryRing(4);
        var arena = new PayloadArena(chunkSize: 64);
        var model = new List<Entry>();
        var views = new List<(EntrySegments View, Entry[] Seen, int Age)>();
        ulong first = 1;
        ulong term = 1;
        int maxLive = 0;
        for (int step = 0; step < 20_000; step++)
        {
            int op = rng.Next(100);
            if (op < 40)
            {
                int n = rng.Next(1, 7);
                Append(ring, arena, term, first + (ulong)model.Count, n);
                for (int k = 0; k < n; k++)
                {
                    model.Add(E(term, first + (ulong)model.Count));
                }
            }
            else if (op < 50 && model.Count > 0)
            {
                int keep = rng.Next(model.Count);
                ring.Truncate(keep);
                model.RemoveRange(keep, model.Count - keep);
                term++;
            }
            else if (op < 65 && model.Count > 0)
            {
                int n = rng.Next(1, model.Count + 1);
                ring.DropFront(n);
                model.RemoveRange(0, n);
                first += (ulong)n;
            }
            else if (op < 67)
            {
                ring.Clear();
                first += (ulong)model.Count;
                model.Clear();
            }
            else if (op < 85 && model.Count > 0)
            {
                int from = rng.Next(model.Count);
                EntrySegments view = ring.HandOut(from, rng.Next(model.Count - from + 1));
                views.Add((view, view.ToArray(), 0));
            }
            else
            {
                ring.AdvanceEpoch();
                for (int v = views.Count - 1; v >= 0; v--)
                {
                    if (views[v].Age == 1)
                    {
                        views.RemoveAt(v);
                    }
                    else
                    {
                        views[v] = views[v] with { Age = 1 };
                    }
                }
            }

            maxLive = Math.Max(maxLive, model.Count);
            Assert.Equal(model.Count, ring.Count);
            Assert.Equal(model.ToArray(), ring.Segments(0, ring.Count).ToArray());
            foreach ((EntrySegments view, Entry[] seen, _) in views)
            {
                Assert.Equal(seen, view.ToArray());
            }
        }
        // Growth is bounded by what the ring must hold at once (live entries, slots dropped in the
        // last two epochs, a relocated copy), never by how many entries went through it.
        int bound = 4 * (int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)maxLive);
        Assert.True(ring.Capacity <= bound, $"the ring grew to {ring.Capacity} for at most {maxLive} live entries");
    }
}
