using System.Collections.Concurrent;
using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Hosting.Agents;
using FastRaft.Hosting.InMemory;
using FastRaft.Protocol;
using FastRaft.Storage;
using Microsoft.Extensions.Time.Testing;

namespace FastRaft.Tests.Hosting;

/// <summary>
/// A node on its own runner thread blocks when it has nothing to do, and wakes for a request or
/// for input. The node's ticks are an hour apart on a fake clock, so a thread that slept until
/// its next tick would block for an hour: whatever gets done here was done because of a wake.
/// </summary>
public class AgentRunnerTests
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    private static RaftNodeOptions Options(ulong id, FakeTimeProvider time, IReadOnlyList<ulong> members) => new()
    {
        Raft = new RaftConfig { Id = id, ElectionTick = 10, HeartbeatTick = 1, Random = new Random(5) },
        TickInterval = Hour,
        Time = time,
        InitialMembers = members,
    };

    private static FakeTimeProvider Clock() => new(new DateTimeOffset(2001, 2, 3, 4, 5, 6, TimeSpan.Zero));

    /// <summary>Waits until the runner's thread has blocked and stays blocked: its cycle count does not move.</summary>
    private static async Task<long> BlockedAsync(RaftNodeAgent<ulong> agent, SignalWaitSource signal, long blocksBefore)
    {
        await TestHostCluster.Eventually(() => signal.Blocks > blocksBefore, "the runner to block");
        long loops = agent.Counters.LoopIterations;
        await Task.Delay(200);
        // A spinning thread would run hundreds of thousands of cycles in 200 ms; a blocked one none
        // (one, should a wake meant for an earlier wait arrive late).
        Assert.InRange(agent.Counters.LoopIterations - loops, 0, 1);
        return signal.Blocks;
    }

    [Fact]
    public async Task An_idle_runner_blocks_and_a_proposal_wakes_it()
    {
        FakeTimeProvider time = Clock();
        var agent = new RaftNodeAgent<ulong>(Options(1, time, [1]), new MemoryStorage(), new InMemoryNetwork().CreateTransport(1), new RecordingStateMachine());
        var signal = (SignalWaitSource)agent.WaitSource;
        using var runner = new AgentRunner(agent);
        runner.Start();

        // Elect on the fake clock: each hour moved, and a wake, make one tick (counted from the
        // first cycle, which sets the phase).
        await TestHostCluster.Eventually(() => agent.Counters.LoopIterations > 0, "the first cycle");
        for (int i = 0; i < 40 && !agent.IsLeader; i++)
        {
            long ticks = agent.Counters.Ticks;
            time.Advance(Hour);
            agent.WaitSource.Wake();
            await TestHostCluster.Eventually(() => agent.Counters.Ticks > ticks, "a tick");
        }
        Assert.True(agent.IsLeader);
        long blocks = await BlockedAsync(agent, signal, 0);

        ProposeResult<ulong> r = await agent.ProposeAsync(RecordingStateMachine.Payload(1)).AsTask().WaitAsync(TestHostCluster.Timeout);

        Assert.True(r.IsOk, r.ToString());
        Assert.True(signal.Signals > 0);
        await BlockedAsync(agent, signal, blocks);
        runner.Dispose();
        Assert.True(agent.Completion.IsCompletedSuccessfully);
        Assert.True(runner.Completion.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_blocked_runner_wakes_for_input_on_a_polled_transport()
    {
        FakeTimeProvider time = Clock();
        var network = new InMemoryNetwork();
        // Node 2 runs; the test plays node 1 through a bare transport.
        var agent = new RaftNodeAgent<ulong>(Options(2, time, [1, 2]), new MemoryStorage(), network.CreateTransport(2), new RecordingStateMachine());
        var signal = (SignalWaitSource)agent.WaitSource;
        var leaderSide = new CollectingSink();
        InMemoryTransport leader = network.CreateTransport(1);
        leader.Start(leaderSide);
        using var runner = new AgentRunner(agent);
        runner.Start();
        await BlockedAsync(agent, signal, 0);

        leader.Send(new Message(MessageType.Heartbeat, 1, 2, 5));
        leader.Flush();

        await TestHostCluster.Eventually(() => agent.Leader == 1 && agent.Term == 5, "node 2 to follow node 1");
        await TestHostCluster.Eventually(() => leader.Poll(0) > 0 && leaderSide.Received.Any(m => m.Type == MessageType.HeartbeatResponse), "the heartbeat's answer");
        Assert.Equal(0, agent.Counters.Ticks);
        runner.Dispose();
    }

    [Fact]
    public async Task A_blocked_runner_wakes_for_input_from_a_threaded_transport()
    {
        FakeTimeProvider time = Clock();
        var transport = new ThreadedTransport(2);
        var agent = new RaftNodeAgent<ulong>(Options(2, time, [1, 2]), new MemoryStorage(), transport, new RecordingStateMachine());
        // No wait source of the transport's own: the node waits on its own signal.
        var signal = Assert.IsType<SignalWaitSource>(agent.WaitSource);
        using var runner = new AgentRunner(agent);
        runner.Start();
        await BlockedAsync(agent, signal, 0);

        var batch = new InboundBatch();
        batch.Add(new Message(MessageType.Heartbeat, 1, 2, 5));
        Assert.True(await Task.Run(() => transport.Sink!.Deliver(batch)));

        await TestHostCluster.Eventually(() => agent.Leader == 1 && agent.Term == 5, "node 2 to follow node 1");
        await TestHostCluster.Eventually(() => transport.Sent.Any(m => m.Type == MessageType.HeartbeatResponse), "the heartbeat's answer");
        runner.Dispose();
    }

    /// <summary>Keeps the header of every message delivered to it.</summary>
    private sealed class CollectingSink : ITransportSink
    {
        public ConcurrentQueue<Message> Received { get; } = new();

        public bool Deliver(InboundBatch batch)
        {
            foreach (Message m in batch.Messages)
            {
                Received.Enqueue(m with { Entries = default, Context = default, Snapshot = null, Responses = default });
            }
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

    /// <summary>A transport that delivers from other threads (through its sink) and keeps the header of every message sent.</summary>
    private sealed class ThreadedTransport(ulong id) : ITransport
    {
        public ulong LocalId { get; } = id;

        public ITransportSink? Sink { get; private set; }

        public ConcurrentQueue<Message> Sent { get; } = new();

        public void Start(ITransportSink sink) => Sink = sink;

        public void Send(in Message message) => Sent.Enqueue(message with { Entries = default, Context = default, Snapshot = null, Responses = default });

        public void Flush()
        {
        }

        public void Dispose()
        {
        }
    }
}
