using System.Diagnostics.Metrics;
using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Hosting.InMemory;
using FastRaft.Protocol;
using FastRaft.Storage;

namespace FastRaft.Tests.Hosting;

public class HostBehaviourTests
{
    [Fact]
    public async Task Counters_are_published_as_observable_instruments_of_the_node_meter()
    {
        const ulong id = 0x5EED_0001;
        var values = new Dictionary<string, long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "FastRaft.Node" && instrument.Meter.Tags?.Any(t => t.Key == "raft.node_id" && Equals(t.Value, id)) == true)
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, _, _) => values[instrument.Name] = value);
        listener.Start();

        var sm = new RecordingStateMachine();
        await using RaftNode<ulong> node = await SingleNodeHost.StartAsync(sm, SingleNodeHost.Options(id), id);
        for (ulong i = 1; i <= 10; i++)
        {
            Assert.True((await node.ProposeAsync(RecordingStateMachine.Payload(i)).AsTask().WaitAsync(TestHostCluster.Timeout)).IsOk);
        }
        listener.RecordObservableInstruments();

        Assert.Equal(10, values["raft.proposals.accepted"]);
        Assert.Equal(10, values["raft.proposals.committed"]);
        Assert.Equal(0, values["raft.proposals.failed"]);
        // The bootstrap entry, the leader's empty entry and the ten proposals.
        Assert.Equal(12, values["raft.entries.applied"]);
        Assert.Equal(node.Counters.EntriesApplied, values["raft.entries.applied"]);
        Assert.Equal(12, values["raft.applied_index"]);
        Assert.Equal(12, values["raft.commit_index"]);
        Assert.Equal((long)node.Term, values["raft.term"]);
    }

    [Fact]
    public async Task A_node_with_PublishMeter_off_publishes_no_instruments_and_still_counts()
    {
        const ulong id = 0x5EED_0002;
        int published = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, _) =>
        {
            if (instrument.Meter.Name == "FastRaft.Node" && instrument.Meter.Tags?.Any(t => t.Key == "raft.node_id" && Equals(t.Value, id)) == true)
            {
                Interlocked.Increment(ref published);
            }
        };
        listener.Start();

        var sm = new RecordingStateMachine();
        await using RaftNode<ulong> node = await SingleNodeHost.StartAsync(sm, SingleNodeHost.Options(id) with { PublishMeter = false }, id);
        for (ulong i = 1; i <= 3; i++)
        {
            Assert.True((await node.ProposeAsync(RecordingStateMachine.Payload(i)).AsTask().WaitAsync(TestHostCluster.Timeout)).IsOk);
        }

        Assert.Equal(0, Volatile.Read(ref published));
        Assert.Equal(3, node.Counters.ProposalsCommitted);
    }

    [Fact]
    public async Task A_failing_state_machine_stops_the_node_with_its_fault_and_fails_outstanding_proposals()
    {
        var sm = new RecordingStateMachine { ThrowOn = e => e.Data.Length > 0 && e.Data.Span[0] == 66 };
        RaftNode<ulong> node = await SingleNodeHost.StartAsync(sm);
        Assert.True((await node.ProposeAsync(RecordingStateMachine.Payload(1)).AsTask().WaitAsync(TestHostCluster.Timeout)).IsOk);

        ProposeResult<ulong> poisoned = await node.ProposeAsync(RecordingStateMachine.Payload(66)).AsTask().WaitAsync(TestHostCluster.Timeout);

        Assert.Equal(RequestStatus.ShuttingDown, poisoned.Status);
        var fault = await Assert.ThrowsAsync<InvalidOperationException>(() => node.Completion.WaitAsync(TestHostCluster.Timeout));
        Assert.Same(fault, node.Fault);
        Assert.Equal(RequestStatus.ShuttingDown, (await node.ProposeAsync(new byte[8])).Status);
        await node.DisposeAsync(); // does not rethrow the fault
    }

    [Fact]
    public async Task Misaddressed_local_and_stranger_messages_from_the_wire_are_dropped_and_the_node_carries_on()
    {
        var transport = new CapturingTransport(1);
        var node = new RaftNode<ulong>(SingleNodeHost.Options(1), new MemoryStorage(), transport, new RecordingStateMachine());
        await using (node)
        {
            node.Start();
            await TestHostCluster.Eventually(() => node.IsLeader, "the single voter to lead");
            var batch = new InboundBatch();
            batch.Add(new Message(MessageType.Append, from: 2, to: 99, term: 50));
            batch.Add(new Message(MessageType.Hup, from: 2, to: 1, term: 0));
            batch.Add(new Message(MessageType.AppendResponse, from: 7, to: 1, term: node.Term));
            Assert.True(transport.Sink!.Deliver(batch));
            transport.Sink.ReportUnreachable(7);
            transport.Sink.ReportSnapshot(7, SnapshotStatus.Failure);

            await TestHostCluster.Eventually(() => node.Counters.MessagesDropped == 1 && node.Counters.MessagesReceived == 2, "the batch to be stepped");
            Assert.True(node.IsLeader);
            Assert.True((await node.ProposeAsync(new byte[8]).AsTask().WaitAsync(TestHostCluster.Timeout)).IsOk);
        }
        Assert.True(transport.Disposed);
        Assert.Null(node.Fault);
        // A stopped node refuses deliveries (and releases the batch).
        Assert.False(transport.Sink.Deliver(new InboundBatch()));
    }

    [Fact]
    public async Task A_restarted_single_voter_rebuilds_its_state_from_snapshot_and_log()
    {
        var storage = new MemoryStorage();
        var network = new InMemoryNetwork();
        var options = new RaftNodeOptions
        {
            Raft = new RaftConfig { Id = 1, ElectionTick = 10, HeartbeatTick = 1, MaxSizePerMsg = 1024 * 1024, Random = new Random(3) },
            TickInterval = TimeSpan.FromMilliseconds(5),
            InitialMembers = [1],
            Snapshots = new SnapshotPolicy { EveryEntries = 64, KeepEntries = 8 },
        };
        var first = new RecordingStateMachine();
        await using (var node = new RaftNode<ulong>(options, storage, network.CreateTransport(1), first))
        {
            node.Start();
            await TestHostCluster.Eventually(() => node.IsLeader, "the single voter to lead");
            for (ulong i = 1; i <= 300; i++)
            {
                Assert.True((await node.ProposeAsync(RecordingStateMachine.Payload(i)).AsTask().WaitAsync(TestHostCluster.Timeout)).IsOk);
            }
            Assert.True(node.Counters.SnapshotsCreated >= 1);
        }
        Assert.True(storage.FirstIndex() > 1, "the log was compacted");

        var second = new RecordingStateMachine();
        options = options with { Raft = options.Raft with { Random = new Random(3) } };
        await using var restarted = new RaftNode<ulong>(options, storage, network.CreateTransport(1), second);
        restarted.Start();
        await TestHostCluster.Eventually(() => second.State.Count == 300, "the state to be rebuilt");
        Assert.Equal(first.State, second.State);
        await TestHostCluster.Eventually(() => restarted.IsLeader, "the restarted voter to lead");
        ProposeResult<ulong> next = await restarted.ProposeAsync(RecordingStateMachine.Payload(301)).AsTask().WaitAsync(TestHostCluster.Timeout);
        Assert.Equal(301UL, next.Value);
    }

    [Fact]
    public void Invalid_setups_are_refused_when_building_the_node()
    {
        var network = new InMemoryNetwork();
        Assert.Throws<ArgumentException>(() =>
            new RaftNode<ulong>(SingleNodeHost.Options(1), new MemoryStorage(), network.CreateTransport(2), new RecordingStateMachine()));
        RaftNodeOptions badTicks = SingleNodeHost.Options(1);
        badTicks = badTicks with { Raft = badTicks.Raft with { ElectionTick = 1 } };
        Assert.Throws<ArgumentException>(() =>
            new RaftNode<ulong>(badTicks, new MemoryStorage(), network.CreateTransport(1), new RecordingStateMachine()));
        Assert.Throws<ArgumentException>(() =>
            new RaftNode<ulong>(new RaftNodeOptions { Raft = new RaftConfig { Id = 1 }, TickInterval = TimeSpan.Zero }, new MemoryStorage(), network.CreateTransport(1), new RecordingStateMachine()));
        // The core's asynchronous storage writes replace Advance, which the host's duty cycle calls.
        RaftNodeOptions asyncWrites = SingleNodeHost.Options(1);
        asyncWrites = asyncWrites with { Raft = asyncWrites.Raft with { AsyncStorageWrites = true } };
        ArgumentException refused = Assert.Throws<ArgumentException>(() =>
            new RaftNode<ulong>(asyncWrites, new MemoryStorage(), network.CreateTransport(1), new RecordingStateMachine()));
        Assert.Contains("AsyncStorageWrites", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_leader_asked_to_transfer_to_itself_is_done_at_once()
    {
        var sm = new RecordingStateMachine();
        await using RaftNode<ulong> node = await SingleNodeHost.StartAsync(sm);
        TransferResult r = await node.TransferLeadershipAsync(node.Id).AsTask().WaitAsync(TestHostCluster.Timeout);
        Assert.Equal(new TransferResult(RequestStatus.Ok, node.Id), r);
    }

    [Fact]
    public async Task Requests_beyond_the_queue_bound_fail_as_overloaded_and_queued_ones_fail_at_shutdown()
    {
        // Not started, so nothing drains the queue of four.
        var options = new RaftNodeOptions
        {
            Raft = new RaftConfig { Id = 1, ElectionTick = 10, HeartbeatTick = 1 },
            InitialMembers = [1],
            MaxQueuedRequests = 4,
        };
        var node = new RaftNode<ulong>(options, new MemoryStorage(), new InMemoryNetwork().CreateTransport(1), new RecordingStateMachine());
        var queued = new Task<ReadResult>[4];
        for (int i = 0; i < queued.Length; i++)
        {
            queued[i] = node.ReadIndexAsync().AsTask();
        }
        Assert.Equal(RequestStatus.Overloaded, (await node.ReadIndexAsync()).Status);
        Assert.Equal(RequestStatus.Overloaded, (await node.AddVoterAsync(2)).Status);
        Assert.All(queued, t => Assert.False(t.IsCompleted));

        await node.StopAsync().WaitAsync(TestHostCluster.Timeout);

        ReadResult[] results = await Task.WhenAll(queued).WaitAsync(TestHostCluster.Timeout);
        Assert.All(results, r => Assert.Equal(RequestStatus.ShuttingDown, r.Status));
    }

    [Fact]
    public async Task Starting_twice_is_refused()
    {
        var sm = new RecordingStateMachine();
        await using RaftNode<ulong> node = await SingleNodeHost.StartAsync(sm);
        Assert.Throws<InvalidOperationException>(node.Start);
    }

    /// <summary>A transport that hands its sink to the test and records what is sent.</summary>
    private sealed class CapturingTransport(ulong id) : ITransport
    {
        public ulong LocalId { get; } = id;

        public ITransportSink? Sink { get; private set; }

        public bool Disposed { get; private set; }

        public void Start(ITransportSink sink) => Sink = sink;

        public void Send(in Message message)
        {
        }

        public void Flush()
        {
        }

        public void Dispose() => Disposed = true;
    }
}
