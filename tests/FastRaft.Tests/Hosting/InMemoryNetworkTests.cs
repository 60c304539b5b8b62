using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Hosting.InMemory;
using FastRaft.Protocol;

namespace FastRaft.Tests.Hosting;

public class InMemoryNetworkTests
{
    private static Message App(ulong from, ulong to, byte[] payload, ulong index = 5) => new(MessageType.MsgApp, from, to, 1)
    {
        Index = index,
        Entries = new[] { new Entry(1, index + 1, EntryType.EntryNormal, payload) },
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
    public void A_flush_hands_each_destination_one_batch_of_deep_copies()
    {
        var net = new InMemoryNetwork();
        (InMemoryTransport a, _, _, RecordingSink toB) = Pair(net);
        byte[] payload = [1, 2, 3];
        a.Send(App(1, 2, payload, index: 5));
        a.Send(App(1, 2, payload, index: 6));
        payload[0] = 42; // the sender reuses its buffer before flushing
        Assert.Empty(toB.Batches);

        a.Flush();

        Assert.Single(toB.Batches);
        Assert.Equal([5UL, 6UL], toB.Batches[0].Select(m => m.Index));
        Assert.All(toB.Batches[0], m => Assert.Equal(new byte[] { 1, 2, 3 }, m.Entries.Span[0].Data.ToArray()));
        Assert.All(toB.Batches[0], m => Assert.Equal(new byte[] { 9, 9 }, m.Context.ToArray()));
        Assert.Equal(2, net.Counters.Delivered);
        a.Flush();
        Assert.Single(toB.Batches);
    }

    [Fact]
    public void Messages_to_an_unknown_node_are_counted_dropped_and_reported_unreachable()
    {
        var net = new InMemoryNetwork();
        (InMemoryTransport a, RecordingSink self, _, _) = Pair(net);
        a.Send(App(1, 7, [1]));
        a.Send(new Message(MessageType.MsgSnap, 1, 7, 1) { Snapshot = Snapshot.Empty });
        a.Flush();

        Assert.Equal(2, net.Counters.UnknownDestination);
        Assert.Equal([7UL, 7UL], self.Unreachable);
        Assert.Equal([(7UL, SnapshotStatus.SnapshotFailure)], self.SnapshotReports);
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
        Assert.Empty(toB.Batches);
        Assert.Single(toA.Batches);
        Assert.Equal(1, net.Counters.Blocked);

        net.Heal();
        a.Send(App(1, 2, [1]));
        a.Flush();
        Assert.Single(toB.Batches);

        net.Isolate(2);
        a.Send(App(1, 2, [1]));
        b.Send(App(2, 1, [1]));
        a.Flush();
        b.Flush();
        Assert.Single(toB.Batches);
        Assert.Single(toA.Batches);
        Assert.Equal(3, net.Counters.Blocked);
    }

    [Fact]
    public void Loss_and_duplication_apply_per_message()
    {
        var net = new InMemoryNetwork { LossProbability = 1 };
        (InMemoryTransport a, _, _, RecordingSink toB) = Pair(net);
        a.Send(App(1, 2, [1]));
        a.Flush();
        Assert.Empty(toB.Batches);
        Assert.Equal(1, net.Counters.Lost);

        net.LossProbability = 0;
        net.DuplicateProbability = 1;
        a.Send(App(1, 2, [1], index: 8));
        a.Flush();
        Assert.Equal([8UL, 8UL], toB.Batches.Single().Select(m => m.Index));
        Assert.Equal(1, net.Counters.Duplicated);
    }

    [Fact]
    public void A_held_back_message_arrives_after_later_ones()
    {
        var net = new InMemoryNetwork { ReorderProbability = 1, MaxReorderDelay = 1 };
        (InMemoryTransport a, _, _, RecordingSink toB) = Pair(net);
        a.Send(App(1, 2, [1], index: 1));
        net.ReorderProbability = 0;
        a.Send(App(1, 2, [1], index: 2));
        a.Flush();

        Assert.Equal([2UL, 1UL], toB.Batches.SelectMany(b => b).Select(m => m.Index));
        Assert.Equal(1, net.Counters.Reordered);
    }

    [Fact]
    public void Snapshots_are_reported_finished_when_handed_over_and_failed_when_refused()
    {
        var net = new InMemoryNetwork();
        (InMemoryTransport a, RecordingSink self, _, RecordingSink toB) = Pair(net);
        var snap = new Snapshot(new byte[] { 1 }, new SnapshotMetadata(ConfState.Empty, 10, 2));
        a.Send(new Message(MessageType.MsgSnap, 1, 2, 2) { Snapshot = snap });
        a.Flush();
        Assert.Same(snap, toB.Batches.Single().Single().Snapshot);
        Assert.Equal([(2UL, SnapshotStatus.SnapshotFinish)], self.SnapshotReports);

        toB.Accept = false;
        a.Send(new Message(MessageType.MsgSnap, 1, 2, 2) { Snapshot = snap });
        a.Flush();
        Assert.Equal((2UL, SnapshotStatus.SnapshotFailure), self.SnapshotReports[^1]);
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
        net.CreateTransport(2).Start(again);
        a.Send(App(1, 2, [1]));
        a.Flush();
        Assert.Single(again.Batches);
    }

    [Fact]
    public void A_transport_must_be_started_before_sending()
    {
        InMemoryTransport t = new InMemoryNetwork().CreateTransport(5);
        Message m = App(5, 1, [1]);
        Assert.Throws<InvalidOperationException>(() => t.Send(m));
        Assert.Throws<InvalidOperationException>(t.Flush);
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
