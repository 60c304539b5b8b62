using System.Net;
using System.Net.Sockets;
using FastRaft.Hosting.Agents;
using FastRaft.Protocol;
using FastRaft.Transport.Udp;

namespace FastRaft.Tests.Udp;

/// <summary>
/// The polled transport's wait source: a wait ends on input, on a wake from another thread, or at
/// its timeout; a wake while nobody waits costs no datagram and ends the next wait at once; no wake
/// is lost when wakes race with waits. Waits here are minutes long unless the test wants the
/// timeout, so an ending that does not come fails the test instead of passing slowly.
/// </summary>
public class UdpWaitSourceTests
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);

    /// <summary>Runs <paramref name="wait"/> on a thread of its own and returns it started.</summary>
    private static Thread Waiter(Action wait)
    {
        var t = new Thread(() => wait()) { IsBackground = true, Name = "test waiter" };
        t.Start();
        return t;
    }

    private static SocketWaitSource Source(UdpTransport t) => (SocketWaitSource)t.WaitSource!;

    [Fact]
    public void A_wake_from_another_thread_ends_a_blocked_wait_with_one_wake_datagram()
    {
        using var g = new UdpGroup(1, mode: UdpMode.Manual);
        SocketWaitSource source = Source(g[1]);
        Thread waiter = Waiter(() => source.Wait(Long));
        Assert.True(Wait.Until(() => source.IsWaiting));

        source.Wake();
        Assert.True(waiter.Join(Bound), "the wake did not end the wait");
        Assert.Equal(1, g[1].Counters.WakeDatagramsSent);

        // The next poll reads the wake datagram: counted, not work, not a drop.
        Assert.Equal(0, g[1].Poll(TimeProvider.System.GetTimestamp()));
        Assert.Equal(1, g[1].Counters.WakeDatagramsReceived);
        Assert.Equal(0, g[1].Counters.DatagramsReceived + g[1].Counters.DroppedTotal);
    }

    [SkippableTheory]
    [InlineData("0.0.0.0")]
    [InlineData("::")]
    public void Bound_to_a_wildcard_address_the_wake_datagram_still_reaches_the_socket(string wildcard)
    {
        IPAddress any = IPAddress.Parse(wildcard);
        Skip.If(any.AddressFamily == AddressFamily.InterNetworkV6 && !Socket.OSSupportsIPv6, "no IPv6 here");
        UdpTransportOptions o = UdpGroup.Options(1) with { Bind = new IPEndPoint(any, 0) };
        using var t = new UdpTransport(o);
        t.Start(new RecordingSink());
        SocketWaitSource source = Source(t);
        Thread waiter = Waiter(() => source.Wait(Long));
        Assert.True(Wait.Until(() => source.IsWaiting));

        source.Wake();
        Assert.True(waiter.Join(Bound), "the wake did not reach a wildcard-bound socket");
        t.Poll(TimeProvider.System.GetTimestamp());
        Assert.Equal(1, t.Counters.WakeDatagramsReceived);
    }

    [Fact]
    public void A_datagram_arriving_ends_a_blocked_wait()
    {
        using var g = new UdpGroup(2, mode: UdpMode.Manual);
        SocketWaitSource source = Source(g[2]);
        Thread waiter = Waiter(() => source.Wait(Long));
        Assert.True(Wait.Until(() => source.IsWaiting));

        g[1].Send(new Message(MessageType.Heartbeat, 1, 2, 3));
        g[1].Flush();
        Assert.True(waiter.Join(Bound), "the datagram did not end the wait");
        Assert.Equal(1, g[2].Poll(TimeProvider.System.GetTimestamp()));
        Assert.Equal(1, g.Sinks[2].Count);
        Assert.Equal(0, g[2].Counters.WakeDatagramsSent);
    }

    [Fact]
    public void A_wait_with_no_input_and_no_wake_ends_at_its_timeout()
    {
        using var g = new UdpGroup(1, mode: UdpMode.Manual);
        IWaitSource source = g[1].WaitSource!;
        Assert.True(Waiter(() => source.Wait(TimeSpan.FromMilliseconds(50))).Join(Bound), "a 50 ms wait did not end");
        Assert.True(Waiter(() => source.Wait(TimeSpan.FromTicks(3))).Join(Bound), "a sub-millisecond wait did not end");
        source.Wait(TimeSpan.Zero);
        Assert.Equal(0, g[1].Poll(TimeProvider.System.GetTimestamp()));
        Assert.Equal(0, g[1].Counters.WakeDatagramsSent + g[1].Counters.WakeDatagramsReceived);
    }

    [Fact]
    public void Disposing_the_transport_ends_a_wait_still_blocked_on_its_socket()
    {
        // (The runtime shuts the socket down on close, which ends a poll() in progress.)
        var g = new UdpGroup(1, mode: UdpMode.Manual);
        SocketWaitSource source = Source(g[1]);
        Thread waiter = Waiter(() => source.Wait(Long));
        Assert.True(Wait.Until(() => source.IsWaiting));
        g.Dispose();
        Assert.True(waiter.Join(Bound), "the wait outlived the transport");
    }

    [Fact]
    public void Wakes_while_the_node_thread_is_busy_send_nothing_and_end_the_next_wait_at_once()
    {
        using var g = new UdpGroup(1, mode: UdpMode.Manual);
        IWaitSource source = g[1].WaitSource!;
        Thread other = Waiter(() =>
        {
            for (int i = 0; i < 1000; i++)
            {
                source.Wake();
            }
        });
        for (int i = 0; i < 1000; i++)
        {
            source.Wake();
        }
        Assert.True(other.Join(Bound));
        Assert.Equal(0, g[1].Counters.WakeDatagramsSent);

        // The wake is pending: the next wait returns without blocking, and consumes it...
        Assert.True(Waiter(() => source.Wait(Long)).Join(Bound), "the pending wake did not end the wait");
        // ...so the one after waits for its timeout again.
        var second = Waiter(() => source.Wait(Long));
        Assert.True(Wait.Until(() => Source(g[1]).IsWaiting));
        Assert.False(second.Join(TimeSpan.FromMilliseconds(100)), "a consumed wake ended a second wait");
        source.Wake();
        Assert.True(second.Join(Bound));
        Assert.Equal(1, g[1].Counters.WakeDatagramsSent);
    }

    [Fact]
    public void No_wake_is_lost_when_wakes_race_with_waits()
    {
        const int PingPongs = 10_000, PerProducer = 50_000, Producers = 2;
        using var g = new UdpGroup(1, mode: UdpMode.Manual);
        UdpTransport transport = g[1];
        IWaitSource source = transport.WaitSource!;
        long produced = 0, consumed = 0, waits = 0;
        long total = PingPongs + Producers * PerProducer;
        bool abandon = false;

        // The node thread: takes whatever was produced, and waits (without a timeout) when there is
        // nothing. A lost wake leaves it blocked for good, and the test fails on its bound.
        Thread node = Waiter(() =>
        {
            while (Volatile.Read(ref consumed) < total && !Volatile.Read(ref abandon))
            {
                long p = Volatile.Read(ref produced);
                if (p > consumed)
                {
                    Volatile.Write(ref consumed, p);
                    continue;
                }
                source.Wait(Timeout.InfiniteTimeSpan);
                waits++;
                transport.Poll(TimeProvider.System.GetTimestamp()); // reads the wake datagrams
            }
        });
        try
        {
            // Ping-pong: each wake comes as the node thread heads back into its wait.
            var spin = new Random(5);
            for (int i = 0; i < PingPongs; i++)
            {
                Interlocked.Increment(ref produced);
                source.Wake();
                long deadline = Environment.TickCount64 + (long)Bound.TotalMilliseconds;
                while (Volatile.Read(ref consumed) < i + 1)
                {
                    Assert.True(Environment.TickCount64 < deadline, $"item {i + 1} was never taken: a wake was lost");
                }
                Thread.SpinWait(spin.Next(200));
            }
            // Free-running producers racing each other and the waits.
            var producers = new List<Thread>();
            for (int p = 0; p < Producers; p++)
            {
                producers.Add(Waiter(() =>
                {
                    for (int i = 0; i < PerProducer; i++)
                    {
                        Interlocked.Increment(ref produced);
                        source.Wake();
                    }
                }));
            }
            Assert.All(producers, p => Assert.True(p.Join(Bound)));
            Assert.True(node.Join(Bound), $"the node thread took {Volatile.Read(ref consumed)} of {total}: a wake was lost");
        }
        finally
        {
            Volatile.Write(ref abandon, true);
            source.Wake();
            node.Join(Bound);
        }

        Assert.Equal(total, consumed);
        // Every wake datagram sent was read (none lost, none left behind), and far fewer were sent
        // than wakes were called: only those that found the node thread waiting.
        transport.Poll(TimeProvider.System.GetTimestamp());
        UdpTransportCounters c = transport.Counters;
        Assert.Equal(c.WakeDatagramsSent, c.WakeDatagramsReceived);
        Assert.InRange(c.WakeDatagramsSent, 1, waits + 1);
        Assert.Equal(0, c.DroppedTotal);
    }

    [Fact]
    public void While_a_transfer_is_in_flight_a_long_wait_ends_in_time_for_its_resends_and_its_stall()
    {
        // Node 2 never reads: node 1's snapshot gets no acknowledgement, so only node 1's timers
        // move it (resends, then failure at the 300 ms stall timeout). Node 1's thread asks for
        // five-minute waits: they must end when housekeeping is due while the transfer lives.
        using var g = new UdpGroup(2, o => o with { TransferStallTimeout = TimeSpan.FromMilliseconds(300) }, mode: UdpMode.Manual, start: false);
        g.Start(1);
        var data = new byte[1024 * 1024];
        var snap = new Snapshot(data, new SnapshotMetadata(new ConfState { Voters = [1, 2] }, 10, 2));
        g[1].Send(new Message(MessageType.Snapshot, 1, 2, 2) { Snapshot = snap });
        g[1].Flush();

        bool stop = false;
        Thread node = Waiter(() =>
        {
            while (!Volatile.Read(ref stop))
            {
                if (g[1].Poll(TimeProvider.System.GetTimestamp()) == 0)
                {
                    g[1].WaitSource!.Wait(Long);
                }
            }
        });
        try
        {
            Assert.True(Wait.Until(() => !g.Sinks[1].SnapshotReports.IsEmpty), "the stalled transfer was never given up");
            Assert.Equal([(2UL, Core.SnapshotStatus.Failure)], g.Sinks[1].SnapshotReports);
            Assert.True(g[1].Counters.ChunksResent > 0);

            // With nothing in flight the waits are long again: the thread blocks.
            var source = Source(g[1]);
            Assert.True(Wait.Until(() => source.IsWaiting));
            long resent = g[1].Counters.ChunksResent;
            Thread.Sleep(100);
            Assert.True(source.IsWaiting);
            Assert.Equal(resent, g[1].Counters.ChunksResent);
        }
        finally
        {
            Volatile.Write(ref stop, true);
            g[1].WaitSource!.Wake();
            Assert.True(node.Join(Bound));
        }
    }
}
