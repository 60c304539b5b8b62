using System.Runtime.CompilerServices;
using FastRaft.Hosting;

namespace FastRaft.Tests.Hosting;

public class MpscRingTests
{
    private const int Producers = 4;
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

    [Fact]
    public void The_array_grows_in_powers_of_two_up_to_the_bound_and_refuses_beyond_it()
    {
        var ring = new MpscRing<int>(2, 12);
        Assert.Equal(2, ring.ArrayLength);
        for (int i = 0; i < 12; i++)
        {
            Assert.Equal(EnqueueResult.Ok, ring.TryEnqueue(i));
        }

        Assert.Equal(EnqueueResult.Full, ring.TryEnqueue(12));
        Assert.Equal(16, ring.ArrayLength);
        Assert.Equal(12, ring.Count);
        var scratch = new int[32];
        Assert.Equal(12, ring.Drain(scratch));
        Assert.Equal(Enumerable.Range(0, 12), scratch[..12]);
    }

    /// <summary>
    /// Producers race each other, the consumer, growth, a full ring and a close: what comes out
    /// is exactly what was accepted (no loss, no duplicate, nothing refused comes out), each
    /// producer's items in the order it queued them, and nothing is accepted after the close.
    /// </summary>
    [Theory]
    [InlineData(2, 64, 2_000)]      // grows, fills often
    [InlineData(2, 1 << 16, 800)]   // grows under racing producers, never full
    [InlineData(64, 64, 1_500)]     // the final array from the start
    [InlineData(1, 1, 200)]         // one cell
    public void Racing_producers_consumer_and_close_lose_and_duplicate_nothing(int initial, int max, int closeAfterMicros)
    {
        for (int round = 0; round < 10; round++)
        {
            var ring = new MpscRing<long>(initial, max);
            var accepted = new List<long>[Producers];
            var closedSeen = new bool[Producers];
            var closedThenOk = new bool[Producers];
            var closing = new StrongBox<bool>();
            using var start = new Barrier(Producers + 2);
            Thread[] producers = new Thread[Producers];
            for (int p = 0; p < Producers; p++)
            {
                int id = p;
                accepted[id] = [];
                producers[id] = new Thread(() =>
                {
                    start.SignalAndWait();
                    for (long i = 0; ; i++)
                    {
                        long item = ((long)id << 40) | i;
                        EnqueueResult r = ring.TryEnqueue(item);
                        if (r == EnqueueResult.Ok)
                        {
                            accepted[id].Add(item);
                        }
                        else if (r == EnqueueResult.Closed)
                        {
                            closedSeen[id] = true;
                            // Once closed, closed for good.
                            closedThenOk[id] = ring.TryEnqueue(item) != EnqueueResult.Closed;
                            return;
                        }
                        else
                        {
                            Thread.SpinWait(20);
                        }
                    }
                });
                producers[id].Start();
            }

            var drained = new List<long>();
            var consumer = new Thread(() =>
            {
                var scratch = new long[37];
                start.SignalAndWait();
                while (!Volatile.Read(ref closing.Value))
                {
                    int n = ring.Drain(scratch);
                    drained.AddRange(scratch.AsSpan(0, n).ToArray());
                }
                // The final drain, as the node does at shutdown.
                int m;
                while ((m = ring.Drain(scratch)) > 0)
                {
                    drained.AddRange(scratch.AsSpan(0, m).ToArray());
                }
            });
            consumer.Start();
            start.SignalAndWait();
            var sw = System.Diagnostics.Stopwatch.StartNew();
            while (sw.Elapsed.TotalMicroseconds < closeAfterMicros * (round + 1))
            {
                Thread.SpinWait(10);
            }
            ring.Close();
            Volatile.Write(ref closing.Value, true);
            foreach (Thread t in producers)
            {
                Assert.True(t.Join(TimeSpan.FromSeconds(30)), "a producer did not finish");
            }
            Assert.True(consumer.Join(TimeSpan.FromSeconds(30)), "the consumer did not finish");

            Assert.All(closedSeen, Assert.True);
            Assert.All(closedThenOk, Assert.False);
            var expected = new List<long>();
            for (int p = 0; p < Producers; p++)
            {
                expected.AddRange(accepted[p]);
                // Per producer, first in first out.
                long[] mine = drained.Where(x => x >> 40 == p).ToArray();
                Assert.Equal(accepted[p], mine);
            }
            expected.Sort();
            drained.Sort();
            Assert.Equal(expected, drained);
            Assert.Equal(0, ring.Count);
        }
    }
}
