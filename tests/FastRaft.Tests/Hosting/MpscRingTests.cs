using FastRaft.Hosting;

namespace FastRaft.Tests.Hosting;

public class MpscRingTests
{
    [Fact]
    public void Items_come_out_in_order_across_growth_and_wrap_around()
    {
        var ring = new MpscRing<int>(2, 16);
        var drained = new List<int>();
        Span<int> scratch = stackalloc int[3];
        int next = 0;
        for (int round = 0; round < 20; round++)
        {
            for (int i = 0; i < 5; i++)
            {
                Assert.Equal(EnqueueResult.Ok, ring.TryEnqueue(next++));
            }
            int n;
            while ((n = ring.Drain(scratch)) > 0)
            {
                drained.AddRange(scratch[..n].ToArray());
            }
        }
        Assert.Equal(Enumerable.Range(0, 100), drained);
    }

    [Fact]
    public void A_full_ring_refuses_and_a_closed_one_refuses_but_keeps_what_it_has()
    {
        var ring = new MpscRing<string>(1, 3);
        Assert.Equal(EnqueueResult.Ok, ring.TryEnqueue("a"));
        Assert.Equal(EnqueueResult.Ok, ring.TryEnqueue("b"));
        Assert.Equal(EnqueueResult.Ok, ring.TryEnqueue("c"));
        Assert.Equal(EnqueueResult.Full, ring.TryEnqueue("d"));
        Assert.Equal(3, ring.Count);

        ring.Close();
        Assert.Equal(EnqueueResult.Closed, ring.TryEnqueue("e"));
        var scratch = new string[8];
        Assert.Equal(3, ring.Drain(scratch));
        Assert.Equal(["a", "b", "c"], scratch[..3]);
        Assert.Equal(0, ring.Drain(scratch));
    }

    [Fact]
    public async Task Concurrent_producers_lose_nothing()
    {
        var ring = new MpscRing<long>(4, 1 << 20);
        Task[] producers = Enumerable.Range(0, 4).Select(p => Task.Run(() =>
        {
            for (long i = 0; i < 10_000; i++)
            {
                Assert.Equal(EnqueueResult.Ok, ring.TryEnqueue((p * 1_000_000L) + i));
            }
        })).ToArray();
        await Task.WhenAll(producers).WaitAsync(TimeSpan.FromSeconds(30));
        var scratch = new long[1024];
        var seen = new HashSet<long>();
        int n;
        while ((n = ring.Drain(scratch)) > 0)
        {
            for (int i = 0; i < n; i++)
            {
                Assert.True(seen.Add(scratch[i]));
            }
        }
        Assert.Equal(40_000, seen.Count);
    }
}
