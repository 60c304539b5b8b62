using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Hosting.Agents;
using FastRaft.Hosting.InMemory;
using FastRaft.Storage;
using Microsoft.Extensions.Time.Testing;

namespace FastRaft.Tests.Hosting;

/// <summary><see cref="RaftNodeOptions.RunContinuationsInline"/>: where an awaiting caller's code runs after its request completes.</summary>
public class InlineContinuationTests
{
    private static RaftNodeOptions Options(bool inline) => new()
    {
        Raft = new RaftConfig { Id = 1, ElectionTick = 10, HeartbeatTick = 1, Random = new Random(3) },
        TickInterval = TimeSpan.FromMilliseconds(5),
        InitialMembers = [1],
        RunContinuationsInline = inline,
    };

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_continuation_runs_on_the_node_thread_only_when_asked(bool inline)
    {
        var sm = new RecordingStateMachine();
        await using RaftNode<ulong> node = await SingleNodeHost.StartAsync(sm, Options(inline));
        string nodeThread = $"raft-node-{node.Id:x}";

        List<string?> threads = await Task.Run(() => ClosedLoopAsync(node, 200)).WaitAsync(TestHostCluster.Timeout);

        // A request made off the node thread may complete before its caller gets to await it
        // (then there is no continuation, and the code after the await stays where it was); once
        // a continuation runs on the node thread, every later request is made from there, so it
        // is still pending when awaited and its continuation runs there too.
        Assert.Equal(400, threads.Count);
        if (inline)
        {
            List<string?> fromNode = threads.SkipWhile(name => name != nodeThread).ToList();
            // How many requests complete before their caller awaits them depends on timing (a
            // loaded machine: dozens); the switch must come, and nothing leaves the node after it.
            Assert.InRange(fromNode.Count, threads.Count / 2, threads.Count);
            Assert.All(fromNode, name => Assert.Equal(nodeThread, name));
        }
        else
        {
            Assert.DoesNotContain(nodeThread, threads);
        }
        Assert.Equal(200UL, sm.State.Count);
    }

    /// <summary>
    /// Proposes and reads, each from the last one's continuation: the low-latency closed loop.
    /// Returns the name of the thread each continuation ran on. ConfigureAwait(false): no context
    /// may capture the continuations.
    /// </summary>
    private static async Task<List<string?>> ClosedLoopAsync(RaftNode<ulong> node, int count)
    {
        var threads = new List<string?>(2 * count);
        for (int i = 0; i < count; i++)
        {
            ProposeResult<ulong> r = await node.ProposeAsync(RecordingStateMachine.Payload((ulong)i + 1)).ConfigureAwait(false);
            threads.Add(Thread.CurrentThread.Name);
            Assert.Equal((ulong)i + 1, r.GetValueOrThrow());
            ReadResult read = await node.ReadIndexAsync().ConfigureAwait(false);
            threads.Add(Thread.CurrentThread.Name);
            Assert.True(read.IsOk && read.Index >= r.Index, read.ToString());
        }
        return threads;
    }

    [Fact]
    public void A_proposal_made_from_an_inline_continuation_is_carried_out_in_the_same_duty_cycle()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2001, 2, 3, 4, 5, 6, TimeSpan.Zero));
        var options = new RaftNodeOptions
        {
            Raft = new RaftConfig { Id = 1, ElectionTick = 10, HeartbeatTick = 1, Random = new Random(3) },
            TickInterval = TimeSpan.FromMilliseconds(10),
            Time = time,
            InitialMembers = [1],
            RunContinuationsInline = true,
        };
        var agent = new RaftNodeAgent<ulong>(options, new MemoryStorage(), new InMemoryNetwork().CreateTransport(1), new RecordingStateMachine());
        using var invoker = new ManualAgentInvoker(agent);
        Assert.True(invoker.RunUntil(() => agent.IsLeader, 100, () => time.Advance(TimeSpan.FromMilliseconds(10))));
        while (invoker.Invoke() > 0)
        {
        }

        int thread = Environment.CurrentManagedThreadId;
        const int Count = 100;
        var loop = new ClosedLoop(agent, Count, thread);
        loop.Next();
        long before = invoker.Invocations;
        Assert.True(invoker.RunUntil(() => loop.Done, 10 * Count));

        // A single voter commits a proposal one cycle after appending it. From a continuation the
        // next proposal is appended in the cycle that applied the last: one cycle per proposal
        // (two if it had to wait for the next cycle), plus the first append.
        Assert.Equal(Count + 1, invoker.Invocations - before);
        Assert.Equal(Enumerable.Range(1, Count).Select(i => (ulong)i), loop.Values);
        Assert.True(loop.AllOnCallerThread);
    }

    /// <summary>A proposer whose completion callback (run inline by the agent) proposes again.</summary>
    private sealed class ClosedLoop(RaftNodeAgent<ulong> agent, int count, int thread)
    {
        private ValueTask<ProposeResult<ulong>> _pending;

        public List<ulong> Values { get; } = [];

        public bool AllOnCallerThread { get; private set; } = true;

        public bool Done => Values.Count == count;

        public void Next()
        {
            _pending = agent.ProposeAsync(RecordingStateMachine.Payload((ulong)Values.Count + 1));
            _pending.ConfigureAwait(false).GetAwaiter().OnCompleted(OnProposed);
        }

        private void OnProposed()
        {
            AllOnCallerThread &= Environment.CurrentManagedThreadId == thread;
            Values.Add(_pending.Result.GetValueOrThrow());
            if (!Done)
            {
                Next();
            }
        }
    }
}
