using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Hosting.Agents;
using FastRaft.Hosting.InMemory;
using FastRaft.Storage;
using Microsoft.Extensions.Time.Testing;

namespace FastRaft.Tests.Hosting;

/// <summary>
/// A running (not quiesced) node agent says it is dormant (<see cref="IDormantAgent.IsDormant"/>)
/// only when a duty cycle would truly do nothing, so that a runner may skip it: checked before
/// every duty cycle of a three-node cluster under proposals, reads, ticks and a faulty network.
/// </summary>
public class IdleNodeTests
{
    [Theory]
    [InlineData(3)]
    [InlineData(29)]
    public void A_node_that_says_it_is_dormant_does_nothing_in_its_next_duty_cycle(int seed)
    {
        using var cluster = new ManualCluster(3, seed);
        cluster.ElectLeader();
        cluster.Network.LossProbability = 0.05;
        cluster.Network.ReorderProbability = 0.1;
        var random = new Random(seed);
        var pending = new List<ValueTask<ProposeResult<ulong>>>();
        int dormant = 0, awake = 0;
        ulong next = 1;
        for (int step = 0; step < 20_000; step++)
        {
            int action = random.Next(100);
            if (action < 10)
            {
                cluster.Time.Advance(ManualCluster.Tick * random.NextDouble());
            }
            else if (action < 18 && cluster.Leader is { } leader)
            {
                pending.Add(leader.ProposeAsync(RecordingStateMachine.Payload(next++)));
            }
            else if (action < 20)
            {
                _ = cluster.Agents[random.Next(3)].ReadIndexAsync();
            }
            else
            {
                int i = random.Next(3);
                RaftNodeAgent<ulong> agent = cluster.Agents[i];
                if (((IDormantAgent)agent).IsDormant(cluster.Time.GetTimestamp()))
                {
                    dormant++;
                    Observed before = Observe(agent);
                    Assert.Equal(0, cluster.Invokers[i].Invoke());
                    Assert.Equal(before, Observe(agent));
                }
                else
                {
                    awake++;
                    cluster.Invokers[i].Invoke();
                }
            }
        }

        // Both answers came often, and the cluster made progress all along.
        Assert.True(dormant > 1_000 && awake > 1_000, $"dormant {dormant}, awake {awake}");
        Assert.True(pending.Count(p => p.IsCompleted && p.Result.Status == RequestStatus.Ok) > 100);
    }

    [Fact]
    public void A_node_is_not_dormant_with_a_request_queued_a_tick_due_or_a_stop_requested()
    {
        using var cluster = new ManualCluster(1, seed: 5);
        RaftNodeAgent<ulong> node = cluster.ElectLeader();
        var dormancy = (IDormantAgent)node;
        ManualAgentInvoker invoker = cluster.Invokers[0];
        while (invoker.Invoke() > 0)
        {
        }
        long now = cluster.Time.GetTimestamp();
        Assert.True(dormancy.IsDormant(now));

        ValueTask<ProposeResult<ulong>> proposal = node.ProposeAsync(RecordingStateMachine.Payload(1));
        Assert.False(dormancy.IsDormant(now));
        while (invoker.Invoke() > 0)
        {
        }
        Assert.Equal(RequestStatus.Ok, AgentTimeTests.ResultOf(proposal).Status);
        Assert.True(dormancy.IsDormant(now));

        Assert.False(dormancy.IsDormant(node.Deadline));
        Assert.True(dormancy.IsDormant(node.Deadline - 1));

        node.RequestStop();
        Assert.False(dormancy.IsDormant(now));
    }

    [Fact]
    public void A_node_whose_last_duty_cycle_did_work_is_not_dormant_while_its_core_has_more_to_hand_out()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2003, 4, 5, 6, 7, 8, TimeSpan.Zero));
        var options = new RaftNodeOptions
        {
            // A Ready carries committed entries of about 64 bytes at most: a batch takes several.
            Raft = new RaftConfig { Id = 1, ElectionTick = 10, HeartbeatTick = 1, MaxCommittedSizePerReady = 64, Random = new Random(7) },
            TickInterval = ManualCluster.Tick,
            Time = time,
            InitialMembers = [1],
        };
        var node = new RaftNodeAgent<ulong>(options, new MemoryStorage(), new InMemoryNetwork().CreateTransport(1), new RecordingStateMachine());
        using var invoker = new ManualAgentInvoker(node);
        Assert.True(invoker.RunUntil(() => node.IsLeader, 1_000, () => time.Advance(ManualCluster.Tick)));
        while (invoker.Invoke() > 0)
        {
        }

        var proposals = new ValueTask<ProposeResult<ulong>>[50];
        for (int i = 0; i < proposals.Length; i++)
        {
            proposals[i] = node.ProposeAsync(RecordingStateMachine.Payload((ulong)i + 1));
        }
        var dormancy = (IDormantAgent)node;
        long now = time.GetTimestamp();
        int cycles = 0;
        while (invoker.Invoke() > 0)
        {
            cycles++;
            // The last cycle did work: whatever it left (here a Ready of the next committed entries) is not skipped.
            Assert.False(dormancy.IsDormant(now));
        }
        Assert.True(cycles > 2, $"{cycles} cycles");
        Assert.All(proposals, p => Assert.Equal(RequestStatus.Ok, AgentTimeTests.ResultOf(p).Status));
        Assert.True(dormancy.IsDormant(now));
    }

    /// <summary>Everything a duty cycle could change that a test can see, but the count of duty cycles.</summary>
    private readonly record struct Observed(RaftNodeCounters Counters, ulong Term, ulong Leader, ulong Commit, ulong Applied, long Deadline, bool HasReady);

    private static Observed Observe(RaftNodeAgent<ulong> agent) =>
        new(agent.Counters with { LoopIterations = 0 }, agent.Term, agent.Leader, agent.CommitIndex, agent.AppliedIndex, agent.Deadline, agent.RawNode.HasReady());
}
