using FastRaft.Core.Tracker;

namespace FastRaft.Tests.Tracker;

public class ProgressMapTests
{
    private static Progress Pr(ulong next) => new(new Inflights(4, 0)) { Next = next, RecentActive = true };

    [Fact]
    public void KeepsIdsSortedWhateverTheInsertionOrder()
    {
        var m = new ProgressMap();
        foreach (ulong id in new ulong[] { 5, 1, 9, 3, 7 })
        {
            m[id] = Pr(id);
        }
        var seen = new List<ulong>();
        foreach (KeyValuePair<ulong, Progress> kv in m)
        {
            seen.Add(kv.Key);
            Assert.Equal(kv.Key, kv.Value.Next);
        }
        Assert.Equal([1UL, 3, 5, 7, 9], seen);
        Assert.Equal([1UL, 3, 5, 7, 9], m.Ids.ToArray());
        Assert.Equal(5, m.Count);
    }

    [Fact]
    public void IndexerReplacesAndThrowsWhenAbsent()
    {
        var m = new ProgressMap();
        m[2] = Pr(1);
        Progress replacement = Pr(42);
        m[2] = replacement;
        Assert.Single(m);
        Assert.Same(replacement, m[2]);
        Assert.Throws<KeyNotFoundException>(() => m[3]);
    }

    [Fact]
    public void TryGetValueContainsKeyAndRemove()
    {
        var m = new ProgressMap();
        m[1] = Pr(1);
        m[2] = Pr(2);
        m[3] = Pr(3);
        Assert.True(m.TryGetValue(2, out Progress? pr));
        Assert.Equal(2UL, pr.Next);
        Assert.False(m.TryGetValue(4, out _));
        Assert.True(m.Remove(2));
        Assert.False(m.Remove(2));
        Assert.False(m.ContainsKey(2));
        Assert.True(m.ContainsKey(3));
        Assert.Equal([1UL, 3], m.Ids.ToArray());
    }

    [Fact]
    public void ToStringIsOneLinePerNodeInIdOrder()
    {
        var m = new ProgressMap();
        m[2] = Pr(2);
        m[1] = Pr(1);
        m[1].IsLearner = true;
        Assert.Equal("1: StateProbe match=0 next=1 learner\n2: StateProbe match=0 next=2\n", m.ToString());
        Assert.Equal("", new ProgressMap().ToString());
    }

    [Fact]
    public void CloneIsDeep()
    {
        var m = new ProgressMap();
        m[1] = Pr(1);
        m[1].BecomeReplicate();
        m[1].SentEntries(1, 1);
        ProgressMap clone = m.Clone();
        m[1].Match = 5;
        m[1].Inflights.Reset();
        m.Remove(1);
        m[2] = Pr(2);
        Assert.Equal([1UL], clone.Ids.ToArray());
        Assert.Equal(0UL, clone[1].Match);
        Assert.Equal(1, clone[1].Inflights.Count);
    }

    [Fact]
    public void EnumerationAllocatesNothing()
    {
        var m = new ProgressMap();
        for (ulong id = 1; id <= 7; id++)
        {
            m[id] = Pr(id);
        }
        ulong sink = Sum(m);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++)
        {
            sink += Sum(m);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.True(sink > 0);
    }

    private static ulong Sum(ProgressMap m)
    {
        ulong s = 0;
        foreach (KeyValuePair<ulong, Progress> kv in m)
        {
            s += kv.Key + kv.Value.Next;
        }
        return s;
    }
}
