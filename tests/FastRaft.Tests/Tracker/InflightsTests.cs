using FastRaft.Core.Logging;
using FastRaft.Core.Tracker;

namespace FastRaft.Tests.Tracker;

public class InflightsTests
{
    [Fact]
    public void FillsUpToTheCountLimit()
    {
        var inf = new Inflights(3, 0);
        inf.Add(1, 100);
        inf.Add(2, 100);
        Assert.False(inf.Full);
        inf.Add(3, 100);
        Assert.True(inf.Full);
        Assert.Equal(3, inf.Count);
        Assert.Equal(300UL, inf.Bytes);
        RaftPanicException e = Assert.Throws<RaftPanicException>(() => inf.Add(4, 1));
        Assert.Equal("cannot add into a Full inflights", e.Message);
    }

    [Fact]
    public void ZeroSizeIsAlwaysFull()
    {
        var inf = new Inflights(0, 0);
        Assert.True(inf.Full);
        Assert.Throws<RaftPanicException>(() => inf.Add(1, 1));
    }

    [Fact]
    public void ByteLimitFillsTheWindowAndFreeingReopensIt()
    {
        var inf = new Inflights(10, 100);
        inf.Add(1, 40);
        inf.Add(2, 40);
        Assert.False(inf.Full);
        // A message may overshoot the limit; the window is then full.
        inf.Add(3, 30);
        Assert.Equal(110UL, inf.Bytes);
        Assert.True(inf.Full);
        inf.FreeLE(1);
        Assert.Equal(70UL, inf.Bytes);
        Assert.False(inf.Full);
        inf.Add(4, 30);
        Assert.True(inf.Full); // exactly at the limit counts as full
    }

    [Fact]
    public void ZeroByteLimitMeansUnlimitedBytes()
    {
        var inf = new Inflights(2, 0);
        inf.Add(1, ulong.MaxValue / 2);
        Assert.False(inf.Full);
    }

    [Fact]
    public void FreeLEFreesAPrefix()
    {
        var inf = new Inflights(10, 0);
        for (ulong i = 1; i <= 5; i++)
        {
            inf.Add(i * 10, i);
        }
        inf.FreeLE(5); // below the first: nothing
        Assert.Equal(5, inf.Count);
        inf.FreeLE(25); // frees 10 and 20
        Assert.Equal(3, inf.Count);
        Assert.Equal(3UL + 4 + 5, inf.Bytes);
        inf.FreeLE(30);
        Assert.Equal(2, inf.Count);
        inf.FreeLE(1000);
        Assert.Equal(0, inf.Count);
        Assert.Equal(0UL, inf.Bytes);
        inf.FreeLE(2000); // empty: nothing
        Assert.Equal(0, inf.Count);
    }

    [Fact]
    public void WrapsAroundTheRing()
    {
        var inf = new Inflights(4, 0);
        for (ulong i = 1; i <= 4; i++)
        {
            inf.Add(i, 1);
        }
        inf.FreeLE(2);
        // The next two go into slots 0 and 1, behind the start at slot 2.
        inf.Add(5, 1);
        inf.Add(6, 1);
        Assert.True(inf.Full);
        Assert.Equal(4, inf.Capacity);
        inf.FreeLE(5); // frees 3, 4 (slots 2, 3) and 5 (slot 0, after the wrap)
        Assert.Equal(1, inf.Count);
        inf.FreeFirstOne();
        Assert.Equal(0, inf.Count);

        // Long run of wrap-arounds with a sliding window of three.
        var window = new Inflights(5, 0);
        for (ulong i = 1; i <= 100; i++)
        {
            window.Add(i, i);
            if (i > 3)
            {
                window.FreeLE(i - 3);
            }
            Assert.Equal((int)Math.Min(i, 3), window.Count);
        }
        Assert.Equal(98UL + 99 + 100, window.Bytes);
    }

    [Fact]
    public void FreeFirstOneFreesOnlyTheOldest()
    {
        var inf = new Inflights(10, 0);
        inf.FreeFirstOne(); // empty: nothing
        inf.Add(3, 30);
        inf.Add(7, 70);
        inf.FreeFirstOne();
        Assert.Equal(1, inf.Count);
        Assert.Equal(70UL, inf.Bytes);
        inf.FreeFirstOne();
        Assert.Equal(0, inf.Count);
    }

    [Fact]
    public void GrowsLazilyUpToTheSize()
    {
        var inf = new Inflights(10, 0);
        Assert.Equal(0, inf.Capacity);
        var capacities = new List<int>();
        for (ulong i = 1; i <= 10; i++)
        {
            inf.Add(i, 1);
            capacities.Add(inf.Capacity);
        }
        Assert.Equal([1, 2, 4, 4, 8, 8, 8, 8, 10, 10], capacities);

        // Storage is kept across reset and reuse.
        inf.Reset();
        Assert.Equal(0, inf.Count);
        Assert.Equal(0UL, inf.Bytes);
        Assert.False(inf.Full);
        inf.Add(11, 1);
        Assert.Equal(10, inf.Capacity);
    }

    [Fact]
    public void GrowthKeepsEntriesInPlaceAfterFrees()
    {
        var inf = new Inflights(8, 0);
        inf.Add(1, 1);
        inf.Add(2, 2);
        inf.FreeLE(1); // start moves to slot 1
        inf.Add(3, 3); // grows from 2 to 4 slots
        inf.Add(4, 4);
        inf.FreeLE(3);
        Assert.Equal(1, inf.Count);
        Assert.Equal(4UL, inf.Bytes);
    }

    [Fact]
    public void CloneIsIndependent()
    {
        var inf = new Inflights(4, 50);
        inf.Add(1, 10);
        inf.Add(2, 20);
        Inflights clone = inf.Clone();
        inf.FreeLE(2);
        clone.Add(3, 20);
        Assert.Equal(0, inf.Count);
        Assert.Equal(3, clone.Count);
        Assert.True(clone.Full); // 50 bytes
        Assert.Equal(4, clone.Size);
        Assert.Equal(50UL, clone.MaxBytes);
    }

    [Fact]
    public void MatchesAQueueModel()
    {
        var rng = new Random(42);
        foreach ((int size, ulong maxBytes) in new[] { (1, 0UL), (3, 0UL), (7, 50UL), (16, 200UL) })
        {
            var inf = new Inflights(size, maxBytes);
            var model = new Queue<(ulong Index, ulong Bytes)>();
            ulong next = 1;
            for (int step = 0; step < 5000; step++)
            {
                bool full = model.Count == size || (maxBytes != 0 && Sum(model) >= maxBytes);
                Assert.Equal(full, inf.Full);
                int op = rng.Next(4);
                if (op < 2 && !full)
                {
                    ulong bytes = (ulong)rng.Next(0, 30);
                    inf.Add(next, bytes);
                    model.Enqueue((next, bytes));
                    next += (ulong)rng.Next(1, 3);
                }
                else if (op == 2)
                {
                    ulong to = next - (ulong)rng.Next(0, 6);
                    inf.FreeLE(to);
                    while (model.Count > 0 && model.Peek().Index <= to)
                    {
                        model.Dequeue();
                    }
                }
                else
                {
                    inf.FreeFirstOne();
                    model.TryDequeue(out _);
                }
                Assert.Equal(model.Count, inf.Count);
                Assert.Equal(Sum(model), inf.Bytes);
            }
        }
    }

    private static ulong Sum(Queue<(ulong Index, ulong Bytes)> q)
    {
        ulong s = 0;
        foreach ((ulong _, ulong b) in q)
        {
            s += b;
        }
        return s;
    }

    [Fact]
    public void AddAndFreeAllocateNothingOnceWarm()
    {
        var inf = new Inflights(64, 1 << 20);
        Run(inf, 1_000);
        long before = GC.GetAllocatedBytesForCurrentThread();
        ulong sink = Run(inf, 10_000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(sink > 0);
        Assert.Equal(0, allocated);
    }

    private static ulong Run(Inflights inf, int iterations)
    {
        ulong sink = 0;
        inf.Reset();
        for (int i = 1; i <= iterations; i++)
        {
            inf.Add((ulong)i, 100);
            if (inf.Full || i % 7 == 0)
            {
                inf.FreeLE((ulong)i - 3);
            }
            sink += (ulong)inf.Count;
        }
        return sink;
    }
}
