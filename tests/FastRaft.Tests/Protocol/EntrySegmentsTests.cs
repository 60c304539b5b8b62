using FastRaft.Protocol;

namespace FastRaft.Tests.Protocol;

public class EntrySegmentsTests
{
    private static Entry[] Run(ulong first, int n)
    {
        var entries = new Entry[n];
        for (int k = 0; k < n; k++)
        {
            entries[k] = new Entry(1, first + (ulong)k);
        }
        return entries;
    }

    // Indexes 1..5 as a wrapped ring range: [1, 2] then [3, 4, 5].
    private static EntrySegments Wrapped() => new(Run(1, 2), Run(3, 3));

    private static ulong[] Indexes(EntrySegments s)
    {
        var indexes = new List<ulong>();
        foreach (ref readonly Entry e in s)
        {
            indexes.Add(e.Index);
        }
        return [.. indexes];
    }

    [Fact]
    public void An_empty_first_piece_makes_the_second_the_first()
    {
        var s = new EntrySegments(ReadOnlyMemory<Entry>.Empty, Run(7, 2));

        Assert.Equal(2, s.First.Length);
        Assert.True(s.Second.IsEmpty);
        Assert.True(s.IsSingleSegment);
        Assert.Equal([7UL, 8UL], Indexes(s));
    }

    [Fact]
    public void Index_enumeration_and_copy_read_both_pieces_in_order()
    {
        EntrySegments s = Wrapped();

        Assert.Equal(5, s.Length);
        Assert.False(s.IsSingleSegment);
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal((ulong)i + 1, s[i].Index);
        }
        Assert.Equal(5UL, s.Last.Index);
        Assert.Equal([1UL, 2UL, 3UL, 4UL, 5UL], Indexes(s));
        var copy = new Entry[6];
        s.CopyTo(copy);
        Assert.Equal(Run(1, 5), copy[..5]);
        Assert.Equal(Run(1, 5), s.ToArray());
    }

    [Fact]
    public void Out_of_range_reads_throw()
    {
        EntrySegments s = Wrapped();

        Assert.Throws<ArgumentOutOfRangeException>(() => s[5]);
        Assert.Throws<ArgumentOutOfRangeException>(() => s[-1]);
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Slice(4, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Slice(6));
        Assert.Throws<ArgumentException>(() => s.CopyTo(new Entry[4]));
        Assert.Throws<ArgumentOutOfRangeException>(() => default(EntrySegments)[0]);
    }

    [Theory]
    [InlineData(0, 2)] // the first piece exactly
    [InlineData(1, 1)] // inside the first
    [InlineData(1, 3)] // across the boundary
    [InlineData(2, 3)] // the second piece exactly
    [InlineData(3, 2)] // inside the second
    [InlineData(0, 5)] // everything
    [InlineData(5, 0)] // nothing, at the end
    public void Slices_keep_the_order_and_the_fewest_pieces(int start, int length)
    {
        EntrySegments slice = Wrapped().Slice(start, length);

        Assert.Equal(length, slice.Length);
        Assert.Equal(Run((ulong)start + 1, length), slice.ToArray());
        bool crosses = start < 2 && start + length > 2;
        Assert.Equal(!crosses, slice.IsSingleSegment);
        Assert.Equal(length == 0, slice.IsEmpty);
    }

    [Fact]
    public void Arrays_memory_and_collection_expressions_convert_to_one_piece()
    {
        EntrySegments fromArray = Run(1, 3);
        EntrySegments fromMemory = new ReadOnlyMemory<Entry>(Run(1, 3), 1, 2);
        EntrySegments literal = [new Entry(2, 9)];
        EntrySegments none = [];

        Assert.Equal([1UL, 2UL, 3UL], Indexes(fromArray));
        Assert.Equal([2UL, 3UL], Indexes(fromMemory));
        Assert.Equal(9UL, literal[0].Index);
        Assert.True(none.IsEmpty);
        Assert.Empty(none.ToArray());
        Assert.True(((EntrySegments)(Entry[]?)null).IsEmpty);
    }
}
