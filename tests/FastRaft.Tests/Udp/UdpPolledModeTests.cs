using FastRaft.Core;
using FastRaft.Protocol;
using FastRaft.Tests.Codec;
using FastRaft.Transport.Udp;

namespace FastRaft.Tests.Udp;

/// <summary>
/// The polled mode driven by the test's own loop on one thread: no thread of the transport's own,
/// batches handed over on the thread that polls, at most a bounded number of datagrams per poll.
/// </summary>
public class UdpPolledModeTests
{
    private static Message Heartbeat(ulong term, ulong from = 1, ulong to = 2) => new(MessageType.Heartbeat, from, to, term) { Commit = term };

    private static Message SnapshotMessage(int bytes, ulong from, ulong to, ulong index)
    {
        var data = new byte[bytes];
        new Random((int)index).NextBytes(data);
        var snap = new Snapshot(data, new SnapshotMetadata(new ConfState { Voters = [1, 2] }, index, 5));
        return new Message(MessageType.Snapshot, from, to, term: 5) { Snapshot = snap };
    }

    [Fact]
    public void Two_transports_polled_on_the_test_thread_exchange_messages_of_every_type_and_snapshots_both_ways()
    {
        using var g = new UdpGroup(2, o => o with { MaxConcurrentTransfers = 64, MaxConcurrentReassemblies = 64 }, mode: UdpMode.Manual);
        var rng = new Random(77);
        var sent = new Dictionary<ulong, List<Message>> { [1] = [], [2] = [] };
        ulong term = 1;
        foreach (MessageType type in CodecFixtures.NetworkTypes)
        {
            for (int i = 0; i < 4; i++)
            {
                (ulong from, ulong to) = i % 2 == 0 ? (1UL, 2UL) : (2UL, 1UL);
                Message m = CodecFixtures.RandomMessage(rng);
                m.Type = type;
                m.From = from;
                m.To = to;
                m.Term = term++;
                sent[to].Add(m);
                g[from].Send(in m);
            }
        }
        // A multi-chunk snapshot each way: acks and further chunks flow only while both are polled.
        Message toTwo = SnapshotMessage(2 * 1024 * 1024, 1, 2, index: 100_000) with { Term = term++ };
        Message toOne = SnapshotMessage(1024 * 1024, 2, 1, index: 200_000) with { Term = term++ };
        sent[2].Add(toTwo);
        sent[1].Add(toOne);
        g[1].Send(in toTwo);
        g[2].Send(in toOne);
        g[1].Flush();
        g[2].Flush();
        int snapshotsTo(ulong id) => sent[id].Count(m => m.Type == MessageType.Snapshot);

        Assert.True(g.PollUntil(() => g.Sinks[1].Count == sent[1].Count && g.Sinks[2].Count == sent[2].Count
            && g.Sinks[1].SnapshotReports.Count == snapshotsTo(2) && g.Sinks[2].SnapshotReports.Count == snapshotsTo(1)),
            $"node 1 got {g.Sinks[1].Count} of {sent[1].Count}, node 2 {g.Sinks[2].Count} of {sent[2].Count}");

        foreach (ulong id in new ulong[] { 1, 2 })
        {
            Dictionary<ulong, Message> received = g.Sinks[id].Messages().ToDictionary(m => m.Term);
            foreach (Message m in sent[id])
            {
                CodecFixtures.AssertSameMessage(m, received[m.Term]);
            }
            Assert.Equal(0, g[id].Counters.DroppedTotal - g[id].Counters.Dropped(DropReason.StaleAck));
            Assert.All(g.Sinks[id].SnapshotReports, r => Assert.Equal(SnapshotStatus.Finish, r.Status));
            // Delivered by Poll, on the thread that called it.
            Assert.Equal([Environment.CurrentManagedThreadId], g.Sinks[id].DeliveringThreads());
        }
        Assert.True(g[1].Counters.ChunksSent > 30 && g[2].Counters.ChunksSent > 15);
    }

    [Fact]
    public void One_poll_reads_at_most_MaxDatagramsPerPoll_datagrams_and_the_next_polls_read_the_rest()
    {
        using var g = new UdpGroup(2, o => o with { MaxDatagramsPerPoll = 3 }, mode: UdpMode.Manual);
        for (ulong i = 1; i <= 10; i++)
        {
            g[1].Send(Heartbeat(i));
            g[1].Flush(); // one datagram each
        }
        Thread.Sleep(100); // let loopback queue them all (a bound that failed would show as a poll of more than 3)

        var polls = new List<int>();
        long now = TimeProvider.System.GetTimestamp();
        while (g.Sinks[2].Count < 10 && polls.Count < 1000)
        {
            polls.Add(g[2].Poll(now));
        }
        Assert.Equal(10, g.Sinks[2].Count);
        Assert.All(polls, n => Assert.InRange(n, 0, 3));
        Assert.Equal(3, polls[0]);
        Assert.Equal(10, polls.Sum());
        Assert.Equal(Enumerable.Range(1, 10).Select(i => (ulong)i), g.Sinks[2].Messages().Select(m => m.Term));
        Assert.Equal(0, g[2].Poll(now));
    }

    [Fact]
    public void Before_Start_Poll_reads_nothing_and_what_arrived_meanwhile_is_read_after_it()
    {
        using var g = new UdpGroup(2, mode: UdpMode.Manual, start: false);
        g.Start(1);
        g[1].Send(Heartbeat(3));
        g[1].Flush();
        long now = TimeProvider.System.GetTimestamp();
        Assert.Equal(0, g[2].Poll(now));
        Assert.Equal(0, g[2].Counters.DatagramsReceived);

        g.Start(2);
        Assert.True(g.PollUntil(() => g.Sinks[2].Count == 1));
        Assert.Equal(3UL, Assert.Single(g.Sinks[2].Messages()).Term);
        Assert.Throws<InvalidOperationException>(() => g.Start(2));
    }

    [Fact]
    public void With_a_receive_thread_there_is_no_wait_source_and_Poll_does_nothing()
    {
        using var g = new UdpGroup(2, mode: UdpMode.Threaded);
        Assert.Null(g[2].WaitSource);
        g[1].Send(Heartbeat(4));
        g[1].Flush();
        Assert.True(g.Sinks[2].WaitFor(1));
        Assert.Equal(0, g[2].Poll(TimeProvider.System.GetTimestamp()));
        Assert.DoesNotContain(Environment.CurrentManagedThreadId, g.Sinks[2].DeliveringThreads());
    }

    [Fact]
    public void Poll_after_Dispose_is_refused_and_a_wake_after_it_is_harmless()
    {
        var g = new UdpGroup(1, mode: UdpMode.Manual);
        UdpTransport t = g[1];
        g.Dispose();
        Assert.Throws<ObjectDisposedException>(() => t.Poll(TimeProvider.System.GetTimestamp()));
        t.WaitSource!.Wake();
        Assert.Equal(0, t.Counters.WakeDatagramsSent);
    }

    [Fact]
    public void An_idle_polled_transport_blocks_in_its_wait_and_input_ends_the_wait()
    {
        using var g = new UdpGroup(2, mode: UdpMode.Manual);
        // A pump whose idle wait is far longer than the test: only input or a wake moves it.
        using var pump = new PollPump(g[2], TimeProvider.System, TimeSpan.FromMinutes(5));
        var waitSource = (SocketWaitSource)g[2].WaitSource!;
        Assert.True(Wait.Until(() => waitSource.IsWaiting));
        long cycles = pump.Cycles;
        Thread.Sleep(300);
        Assert.Equal(cycles, pump.Cycles); // idle: blocked, not spinning

        g[1].Send(Heartbeat(9));
        g[1].Flush();
        Assert.True(g.Sinks[2].WaitFor(1), "the datagram did not end the wait");
        Assert.Equal(0, g[2].Counters.WakeDatagramsSent);
    }

    [Fact]
    public void An_exception_from_the_sink_propagates_out_of_Poll_and_the_next_poll_goes_on()
    {
        var sink = new ThrowingSink();
        using var g = new UdpGroup(2, mode: UdpMode.Manual, start: false);
        g.Start(1);
        g.Start(2, sink);
        g[1].Send(Heartbeat(1));
        g[1].Flush();
        g[1].Send(Heartbeat(2));
        g[1].Flush();

        // The node failing to step is the node's failure: not a drop the transport counts and hides.
        long now = TimeProvider.System.GetTimestamp();
        Action pollUntilItThrows = () =>
        {
            while (true)
            {
                g[2].Poll(now);
            }
        };
        InvalidOperationException e = Assert.Throws<InvalidOperationException>(pollUntilItThrows);
        Assert.Equal("step failed", e.Message);
        Assert.Equal(0, g[2].Counters.Dropped(DropReason.InternalError));
        Assert.Null(g[2].LastReceiveError);

        Assert.True(g.PollUntil(() => sink.Delivered == 1));
        Assert.Equal(2UL, sink.LastTerm);
    }

    /// <summary>A sink whose first delivery throws, as a node whose step fails would.</summary>
    private sealed class ThrowingSink : FastRaft.Hosting.ITransportSink
    {
        private int _calls;

        public int Delivered { get; private set; }

        public ulong LastTerm { get; private set; }

        public bool Deliver(FastRaft.Hosting.InboundBatch batch)
        {
            if (_calls++ == 0)
            {
                throw new InvalidOperationException("step failed");
            }
            LastTerm = batch.Messages[0].Term;
            Delivered++;
            batch.Release();
            return true;
        }

        public void ReportUnreachable(ulong nodeId)
        {
        }

        public void ReportSnapshot(ulong nodeId, SnapshotStatus status)
        {
        }
    }
}
