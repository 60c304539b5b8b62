using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Protocol;
using FastRaft.Tests.Codec;
using FastRaft.Transport.Udp;

namespace FastRaft.Tests.Udp;

/// <summary>
/// A node that falls behind holds its inbound batches; once every pooled batch is out, datagrams
/// go into small one-off batches (about the datagram's size), not new pool-sized ones that the
/// full pool would discard on return: 60 KB of garbage per datagram while the node catches up.
/// </summary>
public class UdpReceivePoolTests
{
    [Theory]
    [InlineData(UdpMode.Threaded)]
    [InlineData(UdpMode.Manual)]
    public void Datagrams_beyond_the_pool_while_the_node_lags_get_small_one_off_batches(UdpMode mode)
    {
        const int Pooled = 4, Datagrams = 40;
        var holding = new HoldingSink();
        using var g = new UdpGroup(2, o => o with { BatchPool = new InboundBatchPool(Pooled, o.MaxDatagramSize + 1) }, start: false, mode: mode);
        g.Start(1);
        g.Start(2, holding);
        Message app = CodecFixtures.App(entries: 2, payloadSize: 16) with { From = 1, To = 2 };
        // What receiving allocated: the receive thread's own count, or what this thread allocated in Poll.
        long polledAllocation = 0;
        long Allocated() => mode == UdpMode.Threaded ? g[2].Counters.ReceiveLoopAllocatedBytes : polledAllocation;
        bool ReceivedUpTo(int count)
        {
            if (mode == UdpMode.Manual)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                g[2].Poll(TimeProvider.System.GetTimestamp());
                polledAllocation += GC.GetAllocatedBytesForCurrentThread() - before;
            }
            return holding.Count == count;
        }

        long allocatedWhilePooled = 0;
        for (int i = 0; i < Datagrams; i++)
        {
            Message m = app with { Index = (ulong)i + 10 };
            g[1].Send(in m);
            g[1].Flush();
            Assert.True(Wait.Until(() => ReceivedUpTo(i + 1)), $"datagram {i} not delivered");
            if (i == Pooled - 1)
            {
                allocatedWhilePooled = Allocated();
            }
        }

        // Every datagram arrived whole, in order, though most went to one-off batches.
        Assert.Equal(Datagrams - Pooled, g[2].Counters.OverflowBatches);
        Assert.Equal(Enumerable.Range(10, Datagrams).Select(i => (ulong)i), holding.Indexes());
        Assert.All(holding.Batches, b => Assert.Equal(app.Entries.Span[1].Data.ToArray(), b.Messages[0].Entries.Span[1].Data.ToArray()));
        // The pooled batches cost a datagram's size each (60 KB); the one-off ones a few KB.
        Assert.True(allocatedWhilePooled >= Pooled * 60_000, $"{allocatedWhilePooled} bytes for the pooled batches");
        long perOverflow = (Allocated() - allocatedWhilePooled) / (Datagrams - Pooled);
        Assert.True(perOverflow < 16 * 1024, $"{perOverflow} bytes allocated per datagram beyond the pool");

        // Once the node caught up, the pool serves again.
        holding.ReleaseAll();
        long overflowBefore = g[2].Counters.OverflowBatches;
        g[1].Send(in app);
        g[1].Flush();
        Assert.True(Wait.Until(() => ReceivedUpTo(Datagrams + 1)), "the datagram after the catch-up was not delivered");
        Assert.Equal(overflowBefore, g[2].Counters.OverflowBatches);
        holding.ReleaseAll();
    }

    [Fact]
    public void TryRent_creates_up_to_the_bound_then_only_hands_back_returned_batches()
    {
        var pool = new InboundBatchPool(maxPooled: 2, initialBytes: 128);
        InboundBatch a = pool.TryRent()!;
        InboundBatch b = pool.TryRent()!;
        Assert.NotNull(a);
        Assert.NotNull(b);
        Assert.Null(pool.TryRent());
        b.Release();
        Assert.Same(b, pool.TryRent());
        a.Release();
    }

    /// <summary>A sink for a node that does not step: it keeps every batch until told to release them.</summary>
    private sealed class HoldingSink : ITransportSink
    {
        private readonly Lock _gate = new();
        private readonly List<InboundBatch> _held = [];
        private int _released;

        public int Count
        {
            get
            {
                lock (_gate)
                {
                    return _held.Count + _released;
                }
            }
        }

        public List<InboundBatch> Batches
        {
            get
            {
                lock (_gate)
                {
                    return [.. _held];
                }
            }
        }

        public bool Deliver(InboundBatch batch)
        {
            lock (_gate)
            {
                _held.Add(batch);
            }
            return true;
        }

        public List<ulong> Indexes()
        {
            lock (_gate)
            {
                return _held.Select(b => b.Messages[0].Index).ToList();
            }
        }

        public void ReleaseAll()
        {
            lock (_gate)
            {
                foreach (InboundBatch b in _held)
                {
                    b.Release();
                }
                _released += _held.Count;
                _held.Clear();
            }
        }

        public void ReportUnreachable(ulong nodeId)
        {
        }

        public void ReportSnapshot(ulong nodeId, SnapshotStatus status)
        {
        }
    }
}
