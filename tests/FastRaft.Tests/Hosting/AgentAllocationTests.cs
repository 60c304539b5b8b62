using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Hosting.Agents;
using FastRaft.Hosting.InMemory;
using FastRaft.Storage;
using Microsoft.Extensions.Time.Testing;

namespace FastRaft.Tests.Hosting;

/// <summary>
/// Allocation gates for the agent's duty cycle, driven by manual invokers on the test thread, so
/// everything a proposal costs (request, duty cycles, transport, storage, apply, completion) is
/// allocated on this thread and counted exactly. The only allocation that is not per proposal is
/// the snapshot the policy takes every 8,192 entries (which keeps the storage's log, and the slabs
/// holding its payloads, from growing for ever): about 130 bytes with its data array. A single
/// allocated object per proposal would cost at least 240 KB over the 10,000 measured.
/// </summary>
public class AgentAllocationTests
{
    private const int WarmUp = 20_000;
    private const int Measured = 10_000;

    private static RaftNodeOptions Options(ulong id, FakeTimeProvider time, ulong[] members, bool inline = false) => new()
    {
        Raft = new RaftConfig { Id = id, ElectionTick = 10, HeartbeatTick = 1, MaxSizePerMsg = 1024 * 1024, Random = new Random(17 + (int)id) },
        TickInterval = TimeSpan.FromMilliseconds(10),
        Time = time,
        InitialMembers = members,
        RunContinuationsInline = inline,
        Snapshots = new SnapshotPolicy { EveryEntries = 8192, KeepEntries = 512 },
    };

    /// <summary>Two snapshots at most fall in a measured window.</summary>
    private const long SnapshotOverhead = 2 * 256;

    private static FakeTimeProvider Clock() => new(new DateTimeOffset(2001, 2, 3, 4, 5, 6, TimeSpan.Zero));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_proposal_through_a_single_voter_agent_allocates_nothing(bool inline)
    {
        FakeTimeProvider time = Clock();
        var sm = new CountingStateMachine();
        var agent = new RaftNodeAgent<long>(Options(1, time, [1], inline), new MemoryStorage(), new InMemoryNetwork().CreateTransport(1), sm);
        using var invoker = new ManualAgentInvoker(agent);
        Assert.True(invoker.RunUntil(() => agent.IsLeader, 100, () => time.Advance(TimeSpan.FromMilliseconds(10))));
        ReadOnlyMemory<byte> payload = new byte[16];
        long expected = 0;
        void Propose(int count)
        {
            for (int i = 0; i < count; i++)
            {
                ValueTask<ProposeResult<long>> pending = agent.ProposeAsync(payload);
                while (!pending.IsCompleted)
                {
                    invoker.Invoke();
                }
                ProposeResult<long> r = pending.Result;
                if (!r.IsOk || r.Value != ++expected)
                {
                    throw new InvalidOperationException($"proposal {expected} ended as {r.Status} with {r.Value}");
                }
            }
        }

        Propose(WarmUp);
        long allocated = AllocationCounter.Steady(() => Propose(Measured));

        Assert.InRange(allocated, 0, SnapshotOverhead);
        Assert.Equal(expected, sm.Count);
    }

    [Fact]
    public void A_proposal_through_three_agents_on_the_in_memory_network_allocates_nothing()
    {
        FakeTimeProvider time = Clock();
        var network = new InMemoryNetwork();
        ulong[] members = [1, 2, 3];
        var agents = new RaftNodeAgent<long>[3];
        var invokers = new ManualAgentInvoker[3];
        var machines = new CountingStateMachine[3];
        for (int i = 0; i < 3; i++)
        {
            machines[i] = new CountingStateMachine();
            agents[i] = new RaftNodeAgent<long>(Options(members[i], time, members), new MemoryStorage(), network.CreateTransport(members[i]), machines[i]);
            invokers[i] = new ManualAgentInvoker(agents[i]);
        }
        void Pass()
        {
            foreach (ManualAgentInvoker invoker in invokers)
            {
                invoker.Invoke();
            }
        }
        for (int i = 0; i < 1000 && !agents.Any(a => a.IsLeader); i++)
        {
            time.Advance(TimeSpan.FromMilliseconds(10));
            Pass();
        }
        RaftNodeAgent<long> leader = agents.Single(a => a.IsLeader);
        ReadOnlyMemory<byte> payload = new byte[16];
        long expected = 0;
        void Propose(int count)
        {
            for (int i = 0; i < count; i++)
            {
                ValueTask<ProposeResult<long>> pending = leader.ProposeAsync(payload);
                while (!pending.IsCompleted)
                {
                    Pass();
                }
                ProposeResult<long> r = pending.Result;
                if (!r.IsOk || r.Value != ++expected)
                {
                    throw new InvalidOperationException($"proposal {expected} ended as {r.Status} with {r.Value}");
                }
            }
        }

        Propose(WarmUp);
        long allocated = AllocationCounter.Steady(() => Propose(Measured));

        Assert.InRange(allocated, 0, 3 * SnapshotOverhead);
        Assert.True(leader.IsLeader);
        for (int i = 0; i < 3; i++)
        {
            invokers[i].Dispose();
        }
    }
}
