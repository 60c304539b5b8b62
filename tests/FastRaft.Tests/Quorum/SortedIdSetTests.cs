using FastRaft.Core.Quorum;

namespace FastRaft.Tests.Quorum;

public class SortedIdSetTests
{
    [Fact]
    public void KeepsIdsSortedAndUnique()
    {
        var set = new MajorityConfig();
        Assert.True(set.Add(5));
        Assert.True(set.Add(1));
        Assert.True(set.Add(3));
        Assert.False(set.Add(3));
        Assert.True(set.Add(ulong.MaxValue));
        Assert.True(set.Add(0));
        Assert.Equal([0UL, 1, 3, 5, ulong.MaxValue], set.Ids.ToArray());
        Assert.Equal(5, set.Count);
        Assert.Equal($"(0 1 3 5 {ulong.MaxValue})", set.ToString());
    }

    [Fact]
    public void RemoveAndContains()
    {
        var set = new NodeIdSet();
        for (ulong i = 10; i >= 1; i--)
        {
            set.Add(i);
        }
        Assert.True(set.Remove(1));
        Assert.True(set.Remove(10));
        Assert.True(set.Remove(5));
        Assert.False(set.Remove(5));
        Assert.False(set.Contains(5));
        Assert.True(set.Contains(6));
        Assert.Equal([2UL, 3, 4, 6, 7, 8, 9], set.Slice());
        set.Clear();
        Assert.Empty(set);
        Assert.Empty(set.Slice());
        Assert.Equal("()", set.ToString());
    }

    [Fact]
    public void EnumeratesAscending()
    {
        var set = new MajorityConfig([9, 2, 7]);
        var seen = new List<ulong>();
        foreach (ulong id in set)
        {
            seen.Add(id);
        }
        Assert.Equal([2UL, 7, 9], seen);
    }

    [Fact]
    public void CloneSharesNothing()
    {
        var set = new NodeIdSet();
        set.Add(1);
        set.Add(2);
        NodeIdSet clone = set.Clone();
        clone.Add(3);
        set.Remove(1);
        Assert.Equal([2UL], set.Slice());
        Assert.Equal([1UL, 2, 3], clone.Slice());

        MajorityConfig mc = new([4, 5]);
        MajorityConfig mcClone = mc.Clone();
        mc.Clear();
        Assert.Equal("(4 5)", mcClone.ToString());
    }

    [Fact]
    public void CopyFromReplacesContents()
    {
        var a = new MajorityConfig([1, 2, 3]);
        var b = new MajorityConfig([7]);
        b.CopyFrom(a);
        a.Add(4);
        Assert.Equal("(1 2 3)", b.ToString());
    }
}
