using System.Collections.Concurrent;
using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Hosting.InMemory;
using FastRaft.Protocol;
using FastRaft.Storage;

namespace FastRaft.Tests.Hosting;

/// <summary>
/// What a node host does with invalid input: messages the core refuses are counted by reason, a
/// snapshot the state machine cannot restore is refused before the core sees it (so nothing of it
/// is persisted) and its sender is told, a leader told so probes the follower again, and a stored
/// snapshot that cannot be restored stops the node with an error naming it.
/// </summary>
public class InboundRefusalTests
{
    private static readonly byte[] Junk = [0xDE, 0xAD, 0xBE, 0xEF, 0x01];

    /// <summary>Node 2 of three members, alone with a test transport; it never campaigns during a test.</summary>
    private static RaftNodeOptions FollowerOptions() => new()
    {
        Raft = new RaftConfig { Id = 2, ElectionTick = 100_000, HeartbeatTick = 1, MaxSizePerMsg = 1024 * 1024, Random = new Random(7) },
        TickInterval = TimeSpan.FromMilliseconds(5),
        InitialMembers = [1, 2, 3],
    };

    private static Message SnapshotFrom(ulong from, ulong term, ulong index, byte[] data, ConfState? cs = null) => new(MessageType.Snapshot, from, 2, term)
    {
        Snapshot = new Snapshot(data, new SnapshotMetadata(cs ?? new ConfState { Voters = [1, 2, 3] }, index, term)),
    };

    private static void Deliver(RecordingTransport transport, params Message[] messages)
    {
        var batch = new InboundBatch();
        foreach (Message m in messages)
        {
            batch.AddCopy(m);
        }
        Assert.True(transport.Sink!.Deliver(batch));
    }

    /// <summary>The bytes a state machine that applied <paramref name="ids"/> writes as its snapshot.</summary>
    private static byte[] StateOf(RecordingStateMachine sm, params ulong[] ids)
    {
        var entries = new Entry[ids.Length];
        for (int i = 0; i < ids.Length; i++)
        {
            entries[i] = new Entry(1, (ulong)i + 1, EntryType.Normal, RecordingStateMachine.Payload(ids[i]));
        }
        sm.Apply(entries, new ulong[ids.Length]);
        using var stream = new MemoryStream();
        sm.SaveSnapshot(stream);
        return stream.ToArray();
    }

    private static ulong StoredSnapshotIndex(MemoryStorage storage)
    {
        Assert.Equal(Core.Storage.StorageStatus.Ok, storage.Snapshot(out Snapshot s));
        return s.Metadata.Index;
    }

    [Fact]
    public async Task A_snapshot_the_state_machine_cannot_restore_is_refused_before_anything_is_persisted_and_its_sender_told()
    {
        var storage = new MemoryStorage();
        var transport = new RecordingTransport(2);
        await using (var node = new RaftNode<ulong>(FollowerOptions(), storage, transport, new RecordingStateMachine()))
        {
            node.Start();
            await TestHostCluster.Eventually(() => storage.LastIndex() == 3, "the bootstrap entries to be stored");
            HardState before = storage.HardState;

            Deliver(transport, SnapshotFrom(1, term: 5, index: 100, Junk));

            Message status = await transport.NextAsync(MessageType.SnapshotStatus);
            Assert.Equal((1UL, 2UL, 5UL, 100UL, true), (status.To, status.From, status.Term, status.Index, status.Reject));
            Assert.Equal(1, node.Counters.SnapshotsRefused);
            Assert.Equal(0, node.Counters.SnapshotsRestored);
            Assert.Equal(0UL, StoredSnapshotIndex(storage));
            Assert.Equal(3UL, storage.LastIndex());
            Assert.Equal(before, storage.HardState);
            Assert.Equal(before.Term, node.Term);
            Assert.Equal(0UL, node.Leader);
            Assert.Null(node.Fault);
        }

        // The storage is as it was: the node restarts on it, and takes a snapshot it can restore.
        var source = new RecordingStateMachine();
        byte[] good = StateOf(source, 11, 12, 13);
        var restoredSm = new RecordingStateMachine();
        var transport2 = new RecordingTransport(2);
        await using var restarted = new RaftNode<ulong>(FollowerOptions(), storage, transport2, restoredSm);
        restarted.Start();
        Deliver(transport2, SnapshotFrom(1, term: 5, index: 100, good));
        await TestHostCluster.Eventually(() => restarted.Counters.SnapshotsRestored == 1 && restarted.AppliedIndex == 100, "the good snapshot to be restored");
        Assert.Equal(100UL, StoredSnapshotIndex(storage));
        Assert.Equal(source.State, restoredSm.State);
        Assert.Equal(0, restarted.Counters.SnapshotsRefused);
        Assert.Null(restarted.Fault);
    }

    [Fact]
    public async Task Messages_the_core_refuses_are_counted_by_reason_and_the_node_carries_on()
    {
        var storage = new MemoryStorage();
        var transport = new RecordingTransport(2);
        await using var node = new RaftNode<ulong>(FollowerOptions(), storage, transport, new RecordingStateMachine());
        node.Start();
        await TestHostCluster.Eventually(() => storage.LastIndex() == 3, "the bootstrap entries to be stored");
        ulong termBefore = node.Term;

        var state = StateOf(new RecordingStateMachine(), 1);
        Deliver(
            transport,
            new Message(MessageType.Heartbeat, 1, 2, 5) { Commit = 1_000 },
            new Message(MessageType.Append, 1, 2, ulong.MaxValue) { Index = 3, LogTerm = 1 },
            SnapshotFrom(1, term: 5, index: 100, state, new ConfState { Learners = [1, 2, 3] }),
            new Message(MessageType.Heartbeat, 2, 2, 5),
            new Message(MessageType.SnapshotStatus, 3, 2, 5) { Reject = true });

        Message status = await transport.NextAsync(MessageType.SnapshotStatus);
        Assert.Equal((1UL, true), (status.To, status.Reject));
        await TestHostCluster.Eventually(() => node.Counters.MessagesReceived == 4 && node.Counters.MessagesDropped == 1, "the batch to be stepped");
        RaftNodeCounters counters = node.Counters;
        Assert.Equal(1, counters.MessagesRefused.CommitBeyondLog);
        Assert.Equal(1, counters.MessagesRefused.TermTooHigh);
        Assert.Equal(1, counters.MessagesRefused.InvalidSnapshot);
        Assert.Equal(3, counters.MessagesRefused.Total);
        Assert.Equal(1, counters.SnapshotsRefused);
        // A follower has no snapshot of its own out: a refusal reported to it changes nothing.
        Assert.Equal(0, counters.PeerSnapshotRefusals);
        Assert.Equal(termBefore, node.Term);
        Assert.Equal(0UL, StoredSnapshotIndex(storage));

        // An honest leader is followed as before.
        Deliver(transport, new Message(MessageType.Heartbeat, 1, 2, 5) { Commit = 3 });
        await TestHostCluster.Eventually(() => node.Leader == 1 && node.Term == 5, "the follower to take the leader");
        Assert.Equal(3, node.Counters.MessagesRefused.Total);
        Assert.Null(node.Fault);
    }

    [Fact]
    public async Task A_leader_told_its_snapshot_was_refused_probes_the_follower_again_until_one_can_be_restored()
    {
        var policy = new SnapshotPolicy { EveryEntries = 100, KeepEntries = 20 };
        await using var cluster = new TestHostCluster(3, options: id =>
        {
            RaftNodeOptions o = TestHostCluster.DefaultOptions(id, null, policy);
            // Never give up on a snapshot by timeout: only the follower's refusal can end the wait.
            return o with { Raft = o.Raft with { SnapshotStatusTimeoutTicks = int.MaxValue } };
        })
        {
            // Nor by the transport's delivery report.
            WrapTransport = t => new SnapshotReportDroppingTransport(t),
        };
        cluster.StartAll();
        RaftNode<ulong> leader = await cluster.WaitForLeaderAsync();
        ulong lagging = cluster.Members.First(id => id != leader.Id);
        RecordingStateMachine refusing = cluster.StateMachines[lagging];
        refusing.RefuseSnapshots = true;

        cluster.Network.Isolate(lagging);
        List<ProposeResult<ulong>> acked = await cluster.ProposeAllAsync(ClusterReplicationTests.Range(1, 1000));
        ulong last = acked.Max(r => r.Index);
        // The leader snapshots and compacts after applying (the proposals complete first).
        await TestHostCluster.Eventually(() => cluster.Storages[leader.Id].FirstIndex() > cluster.Nodes[lagging].AppliedIndex + 1, "the leader to compact past the follower");
        cluster.Network.Heal();

        // A second snapshot proves the first refusal took the follower out of the leader's
        // snapshot state: nothing else would (no timeout, no delivery report).
        RaftNode<ulong> follower = cluster.Nodes[lagging];
        await TestHostCluster.Eventually(() => follower.Counters.SnapshotsRefused >= 2 && leader.Counters.PeerSnapshotRefusals >= 2, "the leader to send its snapshot again after a refusal");
        Assert.Equal(0UL, StoredSnapshotIndex(cluster.Storages[lagging]));
        Assert.Equal(0, follower.Counters.SnapshotsRestored);
        Assert.True(follower.AppliedIndex < 100);
        Assert.Null(follower.Fault);

        // Once the follower can restore the leader's snapshots, the next one catches it up.
        refusing.RefuseSnapshots = false;
        await cluster.WaitForAppliedAsync(last);
        await cluster.WaitForConvergenceAsync();
        Assert.Equal(1, follower.Counters.SnapshotsRestored);
        Assert.True(ClusterReplicationTests.Range(1, 1000).All(refusing.Contains));
    }

    [Fact]
    public async Task A_stored_snapshot_the_state_machine_refuses_stops_the_node_with_an_error_naming_it()
    {
        var storage = new MemoryStorage();
        Assert.Equal(Core.Storage.StorageStatus.Ok, storage.ApplySnapshot(new Snapshot(Junk, new SnapshotMetadata(new ConfState { Voters = [1] }, 10, 2))));
        var node = new RaftNode<ulong>(SingleNodeHost.Options(1), storage, new InMemoryNetwork().CreateTransport(1), new RecordingStateMachine());
        node.Start();
        InvalidDataException e = await Assert.ThrowsAsync<InvalidDataException>(() => node.Completion.WaitAsync(TestHostCluster.Timeout));
        Assert.Same(e, node.Fault);
        Assert.Contains("cannot restore the stored snapshot [index: 10, term: 2, 5 bytes]", e.Message);
        Assert.Contains("5 bytes cannot hold the snapshot header", e.Message);
        await node.DisposeAsync();
    }

    [Fact]
    public async Task A_stored_snapshot_whose_restore_throws_stops_the_node_with_an_error_naming_it()
    {
        var storage = new MemoryStorage();
        Assert.Equal(Core.Storage.StorageStatus.Ok, storage.ApplySnapshot(new Snapshot(Junk, new SnapshotMetadata(new ConfState { Voters = [1] }, 10, 2))));
        var node = new RaftNode<ulong>(SingleNodeHost.Options(1), storage, new InMemoryNetwork().CreateTransport(1), new ThrowingRestoreStateMachine());
        node.Start();
        InvalidDataException e = await Assert.ThrowsAsync<InvalidDataException>(() => node.Completion.WaitAsync(TestHostCluster.Timeout));
        Assert.Contains("node 1: the state machine cannot restore the stored snapshot [index: 10, term: 2, 5 bytes]: EndOfStreamException", e.Message);
        Assert.IsType<EndOfStreamException>(e.InnerException);
        await node.DisposeAsync();
    }

    /// <summary>A state machine without a snapshot check whose restore fails on the data, as a naive decoder does.</summary>
    private sealed class ThrowingRestoreStateMachine : IStateMachine<ulong>
    {
        public void Apply(ReadOnlySpan<Entry> entries, Span<ulong> results)
        {
        }

        public void SaveSnapshot(Stream destination)
        {
        }

        public void RestoreSnapshot(Stream source) => throw new EndOfStreamException("unexpected end of snapshot");
    }

    /// <summary>A transport handing its sink to the test and keeping a copy of the header of every message sent.</summary>
    private sealed class RecordingTransport(ulong id) : ITransport
    {
        private readonly ConcurrentQueue<Message> _sent = new();

        public ulong LocalId { get; } = id;

        public ITransportSink? Sink { get; private set; }

        public void Start(ITransportSink sink) => Sink = sink;

        public void Send(in Message message) =>
            // Views die after the call: keep the scalar fields only.
            _sent.Enqueue(message with { Entries = default, Context = default, Snapshot = null, Responses = default });

        public void Flush()
        {
        }

        public void Dispose()
        {
        }

        /// <summary>Waits for, and takes, the next sent message of type <paramref name="type"/> (others are discarded).</summary>
        public async Task<Message> NextAsync(MessageType type)
        {
            Message found = default;
            await TestHostCluster.Eventually(() =>
            {
                while (_sent.TryDequeue(out Message m))
                {
                    if (m.Type == type)
                    {
                        found = m;
                        return true;
                    }
                }
                return false;
            }, $"a {type} to be sent");
            return found;
        }
    }

    /// <summary>An in-memory transport whose snapshot delivery reports never reach the node.</summary>
    private sealed class SnapshotReportDroppingTransport(ITransport inner) : ITransport
    {
        public ulong LocalId => inner.LocalId;

        public int MaxWholeMessageSize => inner.MaxWholeMessageSize;

        public void Start(ITransportSink sink) => inner.Start(new Sink(sink));

        public void Send(in Message message) => inner.Send(message);

        public void Flush() => inner.Flush();

        public void OnConfigurationChanged(ConfState confState) => inner.OnConfigurationChanged(confState);

        public int Poll(long now) => inner.Poll(now);

        public FastRaft.Hosting.Agents.IWaitSource? WaitSource => inner.WaitSource;

        public void Dispose() => inner.Dispose();

        private sealed class Sink(ITransportSink node) : ITransportSink
        {
            public bool Deliver(InboundBatch batch) => node.Deliver(batch);

            public void ReportUnreachable(ulong nodeId) => node.ReportUnreachable(nodeId);

            public void ReportSnapshot(ulong nodeId, SnapshotStatus status)
            {
            }
        }
    }
}
