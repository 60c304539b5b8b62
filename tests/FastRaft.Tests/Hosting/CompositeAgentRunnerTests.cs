using System.Collections.Concurrent;
using FastRaft.Hosting;
using FastRaft.Hosting.Agents;

namespace FastRaft.Tests.Hosting;

public class CompositeAgentRunnerTests
{
    private static Func<ulong, RaftNodeOptions> On(IAgentRunner runner) => id =>
    {
        RaftNodeOptions o = TestHostCluster.DefaultOptions(id, null);
        return new RaftNodeOptions
        {
            Raft = o.Raft,
            TickInterval = o.TickInterval,
            Snapshots = o.Snapshots,
            Runner = runner,
        };
    };

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Three_nodes_on_one_thread_elect_and_commit(bool sharedWaitSource)
    {
        using var runner = new CompositeAgentRunner("three-nodes");
        var failures = new ConcurrentQueue<Exception>();
        runner.AgentFailed += (_, ex) => failures.Enqueue(ex);
        runner.Start();
        var threads = new ConcurrentDictionary<int, string?>();
        await using var cluster = new TestHostCluster(3, options: On(runner))
        {
            // Shared: the runner blocks on the one source. Not shared: it backs off (see its remarks).
            SharedWaitSource = sharedWaitSource ? runner.WaitSource : null,
            BeforeStart = node => node.LeadershipChanged += _ => threads[Environment.CurrentManagedThreadId] = Thread.CurrentThread.Name,
        };
        cluster.StartAll();
        await TestHostCluster.Eventually(() => runner.AgentCount == 3, "the runner to take the three nodes");

        List<ProposeResult<ulong>> acked = await cluster.ProposeAllAsync(ClusterReplicationTests.Range(1, 300));
        await cluster.WaitForAppliedAsync(acked.Max(r => r.Index));
        await cluster.WaitForConvergenceAsync();

        // Every node's events came from the runner's one thread.
        Assert.Equal("three-nodes", Assert.Single(threads).Value);
        Assert.Empty(failures);
        await cluster.DisposeAsync();
        await TestHostCluster.Eventually(() => runner.AgentCount == 0, "the stopped nodes to leave the runner");
    }

    [Fact]
    public async Task An_idle_runner_whose_agents_share_a_wait_source_blocks_on_it()
    {
        using var runner = new CompositeAgentRunner("idle");
        runner.Start();
        await using var cluster = new TestHostCluster(3, options: id =>
        {
            RaftNodeOptions o = On(runner)(id);
            return new RaftNodeOptions { Raft = o.Raft, TickInterval = TimeSpan.FromMilliseconds(10), Runner = runner };
        })
        {
            SharedWaitSource = runner.WaitSource,
        };
        cluster.StartAll();
        RaftNode<ulong> leader = await cluster.WaitForLeaderAsync();
        var signal = (SignalWaitSource)runner.WaitSource;

        long blocks = signal.Blocks;
        long loops = cluster.Running.Sum(n => n.Counters.LoopIterations);
        long ticks = leader.Counters.Ticks;
        await TestHostCluster.Eventually(() => leader.Counters.Ticks - ticks >= 20, "20 ticks");
        long idleLoops = cluster.Running.Sum(n => n.Counters.LoopIterations) - loops;
        long idleTicks = leader.Counters.Ticks - ticks;

        // Each tick the leader's heartbeats and the answers take a few passes over three agents,
        // then a few spinning ones; a thread that never blocked would run thousands.
        Assert.True(signal.Blocks - blocks >= idleTicks / 2, $"blocked {signal.Blocks - blocks} times over {idleTicks} ticks");
        Assert.True(idleLoops <= idleTicks * 3 * 40, $"{idleLoops} cycles over {idleTicks} ticks");
    }

    [Fact]
    public async Task An_agent_that_throws_is_closed_and_reported_while_the_others_carry_on()
    {
        using var runner = new CompositeAgentRunner();
        var failed = new ConcurrentQueue<(IAgent, Exception)>();
        runner.AgentFailed += (a, ex) => failed.Enqueue((a, ex));
        var healthy = new CountingAgent(throwAfter: int.MaxValue);
        var faulty = new CountingAgent(throwAfter: 5);
        runner.Add(healthy);
        runner.Add(faulty);
        runner.Start();

        await TestHostCluster.Eventually(() => failed.Count == 1 && faulty.Closed, "the faulty agent to be dropped");
        long cycles = healthy.Cycles;
        await TestHostCluster.Eventually(() => healthy.Cycles > cycles + 100, "the healthy agent to keep running");
        (IAgent who, Exception what) = Assert.Single(failed);
        Assert.Same(faulty, who);
        Assert.Equal("cycle 6", what.Message);
        Assert.Equal(1, runner.AgentCount);

        runner.Dispose();
        Assert.True(healthy.Closed);
        Assert.True(runner.Completion.IsCompletedSuccessfully);
        Assert.Throws<ObjectDisposedException>(() => runner.Add(new CountingAgent(1)));
    }

    [Fact]
    public async Task Disposing_the_runner_closes_its_nodes_and_fails_what_they_still_owed()
    {
        var runner = new CompositeAgentRunner();
        runner.Start();
        var options = SingleNodeHost.Options(1);
        var node = new RaftNode<ulong>(
            new RaftNodeOptions { Raft = options.Raft, TickInterval = options.TickInterval, InitialMembers = options.InitialMembers, Runner = runner },
            new FastRaft.Storage.MemoryStorage(),
            new FastRaft.Hosting.InMemory.InMemoryNetwork().CreateTransport(1),
            new RecordingStateMachine());
        node.Start();
        await TestHostCluster.Eventually(() => node.IsLeader, "the single voter to lead");
        Assert.True((await node.ProposeAsync(RecordingStateMachine.Payload(1)).AsTask().WaitAsync(TestHostCluster.Timeout)).IsOk);

        runner.Dispose();

        await node.Completion.WaitAsync(TestHostCluster.Timeout);
        Assert.True(runner.Completion.IsCompletedSuccessfully);
        Assert.Equal(RequestStatus.ShuttingDown, (await node.ProposeAsync(new byte[8])).Status);
        await node.DisposeAsync();
    }

    [Fact]
    public async Task A_runner_disposed_before_it_started_closes_the_nodes_given_to_it()
    {
        var runner = new CompositeAgentRunner();
        var node = new RaftNode<ulong>(
            new RaftNodeOptions { Raft = SingleNodeHost.Options(1).Raft, InitialMembers = [1], Runner = runner },
            new FastRaft.Storage.MemoryStorage(),
            new FastRaft.Hosting.InMemory.InMemoryNetwork().CreateTransport(1),
            new RecordingStateMachine());
        node.Start();
        ValueTask<ProposeResult<ulong>> early = node.ProposeAsync(new byte[8]); // not leader yet: refused at once
        Assert.Equal(RequestStatus.NotLeader, (await early).Status);

        runner.Dispose();

        await node.Completion.WaitAsync(TestHostCluster.Timeout);
        Assert.Throws<ObjectDisposedException>(runner.Start);
        Assert.Throws<ObjectDisposedException>(() => runner.Add(new CountingAgent(1)));
    }

    /// <summary>An agent that always has work (so the runner never idles) and throws on a given cycle.</summary>
    private sealed class CountingAgent(int throwAfter) : IAgent
    {
        private long _cycles;
        private volatile bool _closed;

        public long Cycles => Volatile.Read(ref _cycles);

        public bool Closed => _closed;

        public string Name => "counting";

        public TimeProvider Time => TimeProvider.System;

        public IWaitSource WaitSource { get; } = new SignalWaitSource();

        public long Deadline => long.MaxValue;

        public bool IsDone => false;

        public void OnStart()
        {
        }

        public int DoWork(long now)
        {
            long n = Interlocked.Increment(ref _cycles);
            if (n > throwAfter)
            {
                throw new InvalidOperationException($"cycle {n}");
            }
            Thread.SpinWait(10);
            return 1;
        }

        public void OnClose() => _closed = true;
    }
}
