using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Hosting.InMemory;
using FastRaft.Protocol;

namespace FastRaft.Tests.Hosting;

public class InMemoryNetworkTests
{
    private static Message App(ulong from, ulong to, byte[] payload, ulong index = 5) => new(MessageType.Append, from, to, 1)
    {
        Index = index,
        Entries = new[] { new Entry(1, index + 1, EntryType.Normal, payload) },
        Context = new byte[] { 9, 9 },
    };

    private static (InMemoryTransport A, RecordingSink SinkA, InMemoryTransport B, RecordingSink SinkB) Pair(InMemoryNetwork net)
    {
        var sinkA = new RecordingSink();
        var sinkB = new RecordingSink();
        InMemoryTransport a = net.CreateTransport(1);
        InMemoryTransport b = net.CreateTransport(2);
        a.Start(sinkA);
        b.Start(sinkB);
        return (a, sinkA, b, sinkB);
    }

    [Fact]
    public void A_flush_queues_one_batch_of_deep_copies_per_destination_that_its_poll_hands_over()
    {
        var net = new InMemoryNetwork();
        (InMemoryTransport a, _, InMemoryTransport b, RecordingSink toB) = Pair(net);
        byte[] payload = [1, 2, 3];
        a.Send(App(1, 2, payload, index: 5));
        a.Send(App(1, 2, payload, index: 6));
        payload[0] = 42; // the sender reuses its buffer before flushing
        Assert.Empty(toB.Batches);

        a.Flush();
        Assert.Empty(toB.Batches); // waiting in b's inbox until b's node polls
        Assert.Equal(0, net.Counters.Delivered);
        Assert.Equal(1, b.Poll(0));

        Assert.Single(toB.Batches);
        Assert.Equal([5UL, 6UL], toB.Batches[0].Select(m => m.Index));
        Assert.All(toB.Batches[0], m => Assert.Equal(new byte[] { 1, 2, 3 }, m.Entries.Span[0].Data.ToArray()));
        Assert.All(toB.Batches[0], m => Assert.Equal(new byte[] { 9, 9 }, m.Context.ToArray()));
        Assert.Equal(2, net.Counters.Delivered);
        a.Flush();
        Assert.Equal(0, b.Poll(0));
        Assert.Single(toB.Batches);
    }

    [Fact]
    public void Messages_to_an_unknown_node_are_counted_dropped_and_reported_unreachable()
    {
        var net = new InMemoryNetwork();
        (InMemoryTransport a, RecordingSink self, _, _) = Pair(net);
        a.Send(App(1, 7, [1]));
        a.Send(new Message(MessageType.Snapshot, 1, 7, 1) { Snapshot = Snapshot.Empty });
        a.Flush();

        Assert.Equal(2, net.Counters.UnknownDestination);
        Assert.Equal([7UL, 7UL], self.Unreachable);
        Assert.Equal([(7UL, SnapshotStatus.Failure)], self.SnapshotReports);
    }

    [Fact]
    public void A_partition_blocks_one_direction_until_healed()
    {
        var net = new InMemoryNetwork();
        (InMemoryTransport a, RecordingSink toA, InMemoryTransport b, RecordingSink toB) = Pair(net);
        net.Block(1, 2);
        a.Send(App(1, 2, [1]));
        a.Flush();
        b.Send(App(2, 1, [1]));
        b.Flush();
        a.Poll(0);
        b.Poll(0);
        Assert.Empty(toB.Batches);
        Assert.Single(toA.Batches);
        Assert.Equal(1, net.Counters.Blocked);

        net.Heal();
        a.Send(App(1, 2, [1]));
        a.Flush();
        b.Poll(0);
        Assert.Single(toB.Batches);

        net.Isolate(2);
        a.Send(App(1, 2, [1]));
        b.Send(App(2, 1, [1]));
        a.Flush();
        b.Flush();
        a.Poll(0);
        b.Poll(0);
        Assert.Single(toB.Batches);
        Assert.Single(toA.Batches);
        Assert.Equal(3, net.Counters.Blocked);
    }

    [Fact]
    public void Loss_and_duplication_apply_per_message()
    {
        var net = new InMemoryNetwork { LossProbability = 1 };
        (InMemoryTransport a, _, InMemoryTransport b, RecordingSink toB) = Pair(net);
        a.Send(App(1, 2, [1]));
        a.Flush();
        b.Poll(0);
        Assert.Empty(toB.Batches);
        Assert.Equal(1, net.Counters.Lost);

        net.LossProbability = 0;
        net.DuplicateProbability = 1;
        a.Send(App(1, 2, [1], index: 8));
        a.Flush();
        b.Poll(0);
        Assert.Equal([8UL, 8UL], toB.Batches.Single().Select(m => m.Index));
        Assert.Equal(1, net.Counters.Duplicated);
    }

    [Fact]
    public void A_held_back_message_arrives_after_later_ones()
    {
        var net = new InMemoryNetwork { ReorderProbability = 1, MaxReorderDelay = 1 };
        (InMemoryTransport a, _, InMemoryTransport b, RecordingSink toB) = Pair(net);
        a.Send(App(1, 2, [1], index: 1));
        net.ReorderProbability = 0;
        a.Send(App(1, 2, [1], index: 2));
        a.Flush();
        Assert.Equal(2, b.Poll(0));

        Assert.Equal([2UL, 1UL], toB.Batches.SelectMany(b => b).Select(m => m.Index));
        Assert.Equal(1, net.Counters.Reordered);
    }

    [Fact]
    public void Snapshots_are_reported_finished_when_the_destination_takes_them_and_failed_when_it_refuses()
    {
        var net = new InMemoryNetwork();
        (InMemoryTransport a, RecordingSink self, InMemoryTransport b, RecordingSink toB) = Pair(net);
        var snap = new Snapshot(new byte[] { 1 }, new SnapshotMetadata(ConfState.Empty, 10, 2));
        a.Send(new Message(MessageType.Snapshot, 1, 2, 2) { Snapshot = snap });
        a.Flush();
        Assert.Empty(self.SnapshotReports); // not taken yet
        b.Poll(0);
        Assert.Same(snap, toB.Batches.Single().Single().Snapshot);
        Assert.Equal([(2UL, SnapshotStatus.Finish)], self.SnapshotReports);

        toB.Accept = false;
        a.Send(new Message(MessageType.Snapshot, 1, 2, 2) { Snapshot = snap });
        a.Flush();
        b.Poll(0);
        Assert.Equal((2UL, SnapshotStatus.Failure), self.SnapshotReports[^1]);
        Assert.Equal([2UL], self.Unreachable);
        Assert.Equal(1, net.Counters.Refused);
    }

    [Fact]
    public void A_disposed_transport_leaves_the_network_and_its_id_can_rejoin()
    {
        var net = new InMemoryNetwork();
        (InMemoryTransport a, _, InMemoryTransport b, _) = Pair(net);
        Assert.Throws<InvalidOperationException>(() => net.CreateTransport(2).Start(new RecordingSink()));
        a.Send(App(1, 2, [1]));
        b.Dispose();
        a.Flush(); // queued for a node that has left
        Assert.False(net.IsConnected(2));
        Assert.Equal(1, net.Counters.UnknownDestination);

        var again = new RecordingSink();
        InMemoryTransport rejoined = net.CreateTransport(2);
        rejoined.Start(again);
        a.Send(App(1, 2, [1]));
        a.Flush();
        rejoined.Poll(0);
        Assert.Single(again.Batches);
    }

    [Fact]
    public void A_transport_must_be_started_before_sending()
    {
        InMemoryTransport t = new InMemoryNetwork().CreateTransport(5);
        Message m = App(5, 1, [1]);
        Assert.Throws<InvalidOperationException>(() => t.Send(m));
        Assert.Throws<InvalidOperationException>(t.Flush);
        Assert.Throws<InvalidOperationException>(() => t.Poll(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new InMemoryNetwork().CreateTransport(0));
    }

    [Fact]
    public void Probabilities_outside_zero_to_one_are_refused()
    {
        var net = new InMemoryNetwork();
        Assert.Throws<ArgumentOutOfRangeException>(() => net.LossProbability = 1.5);
        Assert.Throws<ArgumentOutOfRangeException>(() => net.DuplicateProbability = -0.1);
        Assert.Throws<ArgumentOutOfRangeException>(() => net.ReorderProbability = double.NaN);
        Assert.Throws<ArgumentOutOfRangeException>(() => net.MaxReorderDelay = 0);
    }

    [Fact]
    public async Task A_delivery_wakes_the_destinations_wait_source()
    {
        var net = new InMemoryNetwork();
        (InMemoryTransport a, _, InMemoryTransport b, RecordingSink toB) = Pair(net);
        var waitSource = (FastRaft.Hosting.Agents.SignalWaitSource)b.WaitSource!;
        Task waiting = Task.Run(() => waitSource.Wait(TimeSpan.FromMinutes(5)));
        await TestHostCluster.Eventually(() => waitSource.Blocks == 1, "b's node to block");

        a.Send(App(1, 2, [1]));
        a.Flush();

        await waiting.WaitAsync(TestHostCluster.Timeout);
        Assert.Equal(1, b.Poll(0));
        Assert.Single(toB.Batches);
    }

    [Fact]
    public void Transports_created_with_one_wait_source_share_it()
    {
        var net = new InMemoryNetwork();
        var shared = new FastRaft.Hosting.Agents.SignalWaitSource();
        Assert.Same(shared, net.CreateTransport(1, shared).WaitSource);
        Assert.Same(shared, net.CreateTransport(2, shared).WaitSource);
        Assert.NotSame(net.CreateTransport(3).WaitSource, net.CreateTransport(4).WaitSource);
    }

    [Fact]
    public void A_full_inbox_refuses_the_batch_and_the_sender_hears_of_it()
    {
        var net = new InMemoryNetwork { MaxQueuedBatches = 1 };
        (InMemoryTransport a, RecordingSink self, InMemoryTransport b, RecordingSink toB) = Pair(net);
        a.Send(App(1, 2, [1], index: 1));
        a.Flush();
        a.Send(new Message(MessageType.Snapshot, 1, 2, 2) { Snapshot = Snapshot.Empty });
        a.Flush(); // b has not polled: its inbox is full

        Assert.Equal(1, net.Counters.Refused);
        Assert.Equal([2UL], self.Unreachable);
        Assert.Equal([(2UL, SnapshotStatus.Failure)], self.SnapshotReports);
        b.Poll(0);
        Assert.Equal([1UL], toB.Batches.Single().Select(m => m.Index));
    }

    [Fact]
    public void Batches_waiting_when_the_destination_leaves_are_refused_and_reported()
    {
        var net = new InMemoryNetwork();
        (InMemoryTransport a, RecordingSink self, InMemoryTransport b, RecordingSink toB) = Pair(net);
        a.Send(new Message(MessageType.Snapshot, 1, 2, 2) { Snapshot = Snapshot.Empty });
        a.Flush();
        b.Dispose();

        Assert.Empty(toB.Batches);
        Assert.Equal(1, net.Counters.Refused);
        Assert.Equal([2UL], self.Unreachable);
        Assert.Equal([(2UL, SnapshotStatus.Failure)], self.SnapshotReports);
        Assert.Equal(0, b.Poll(0));
    }

    [Fact]
    public void The_same_seed_and_driving_order_deliver_the_same_messages_in_the_same_order()
    {
        static List<string> Run(int seed)
        {
            var net = new InMemoryNetwork(seed) { LossProbability = 0.2, DuplicateProbability = 0.2, ReorderProbability = 0.3, MaxReorderDelay = 3 };
            var sinks = new RecordingSink[3];
            var transports = new InMemoryTransport[3];
            for (int i = 0; i < 3; i++)
            {
                sinks[i] = new RecordingSink();
                transports[i] = net.CreateTransport((ulong)i + 1);
                transports[i].Start(sinks[i]);
            }
            for (ulong round = 0; round < 200; round++)
            {
                for (int i = 0; i < 3; i++)
                {
                    ulong from = (ulong)i + 1;
                    transports[i].Send(App(from, (from % 3) + 1, [1], index: round));
                    transports[i].Send(App(from, ((from + 1) % 3) + 1, [2], index: round));
                    transports[i].Flush();
                }
                foreach (InMemoryTransport t in transports)
                {
                    t.Poll(0);
                }
            }
            var seen = new List<string>();
            for (int i = 0; i < 3; i++)
            {
                foreach (List<Message> batch in sinks[i].Batches)
                {
                    seen.Add($"{i + 1}: " + string.Join(",", batch.Select(m => $"{m.From}/{m.Index}")));
                }
            }
            return seen;
        }

        List<string> first = Run(7);
        Assert.Equal(first, Run(7));
        Assert.NotEqual(first, Run(8));
    }

    /// <summary>Copies every delivered message out (the batch goes back to its pool at once).</summary>
    private sealed class RecordingSink : ITransportSink
    {
        public List<List<Message>> Batches { get; } = [];

        public List<ulong> Unreachable { get; } = [];

        public List<(ulong, SnapshotStatus)> SnapshotReports { get; } = [];

        public bool Accept { get; set; } = true;

        public bool Deliver(InboundBatch batch)
        {
            if (Accept)
            {
                var copies = new List<Message>();
                foreach (Message m in batch.Messages)
                {
                    copies.Add(FastRaft.Tests.Node.TestCluster.Own(m));
                }
                Batches.Add(copies);
            }
            batch.Release();
            return Accept;
        }

        public void ReportUnreachable(ulong nodeId) => Unreachable.Add(nodeId);

        public void ReportSnapshot(ulong nodeId, SnapshotStatus status) => SnapshotReports.Add((nodeId, status));
    }
}
