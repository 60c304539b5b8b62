using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Hosting.Agents;
using FastRaft.Hosting.Groups;
using FastRaft.Hosting.InMemory;
using FastRaft.Storage;
using Microsoft.Extensions.Time.Testing;

namespace FastRaft.Tests.Hosting.Quiescence;

/// <summary>
/// Liveness the test decides: every node is live until the test declares it dead (test thread only,
/// like everything the manual invokers run).
/// </summary>
internal sealed class FakeLiveness : INodeLiveness
{
    public HashSet<ulong> Dead { get; } = [];

    public bool IsLive(ulong nodeId) => !Dead.Contains(nodeId);
}

/// <summary>
/// Three (or more) quiescing node agents over an <see cref="InMemoryNetwork"/>, each on a
/// <see cref="ManualAgentInvoker"/>, on one <see cref="FakeTimeProvider"/>: the test thread drives
/// everything, so a run depends on the seed and the test's calls alone. Election timeout 10 ticks,
/// heartbeat 1, PreVote and CheckQuorum on, quiescence after <see cref="QuiesceAfter"/> ticks.
/// </summary>
internal sealed class QuiescingCluster : IDisposable
{
    public const int QuiesceAfter = 3;
    public static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(10);
    private const int MaxPassesPerRound = 8;

    /// <param name="voters">Cluster size.</param>
    /// <param name="seed">The network's seed.</param>
    /// <param name="readOnly">How reads are served.</param>
    /// <param name="quiesceAfter">Per node id: its QuiesceAfterTicks (default <see cref="QuiesceAfter"/> for all).</param>
    public QuiescingCluster(int voters = 3, int seed = 1, ReadOnlyOption readOnly = ReadOnlyOption.Safe, Func<ulong, int>? quiesceAfter = null)
    {
        Time = new FakeTimeProvider(new DateTimeOffset(2001, 2, 3, 4, 5, 6, TimeSpan.Zero));
        Network = new InMemoryNetwork(seed);
        ulong[] members = new ulong[voters];
        for (int i = 0; i < voters; i++)
        {
            members[i] = (ulong)i + 1;
        }
        foreach (ulong id in members)
        {
            var options = new RaftNodeOptions
            {
                Raft = new RaftConfig
                {
                    Id = id,
                    ElectionTick = 10,
                    HeartbeatTick = 1,
                    PreVote = true,
                    CheckQuorum = true,
                    ReadOnlyOption = readOnly,
                    Random = new Random(17 + (int)id),
                },
                TickInterval = Tick,
                Time = Time,
                InitialMembers = members,
                QuiesceAfterTicks = quiesceAfter?.Invoke(id) ?? QuiesceAfter,
                Liveness = Liveness,
            };
            var sm = new SequenceStateMachine();
            var agent = new RaftNodeAgent<ulong>(options, new MemoryStorage(), Network.CreateTransport(id), sm);
            Agents.Add(agent);
            StateMachines.Add(sm);
            Invokers.Add(new ManualAgentInvoker(agent));
        }
        foreach (ManualAgentInvoker invoker in Invokers)
        {
            invoker.Start();
        }
    }

    public FakeTimeProvider Time { get; }

    public InMemoryNetwork Network { get; }

    public FakeLiveness Liveness { get; } = new();

    public List<RaftNodeAgent<ulong>> Agents { get; } = [];

    public List<SequenceStateMachine> StateMachines { get; } = [];

    public List<ManualAgentInvoker> Invokers { get; } = [];

    public bool AllQuiesced => Agents.All(a => a.IsQuiesced);

    public RaftNodeAgent<ulong> Agent(ulong id) => Agents[(int)id - 1];

    /// <summary>Moves the clock one tick, then runs every agent until a pass finds no work (bounded).</summary>
    public void Round()
    {
        Time.Advance(Tick);
        for (int pass = 0; pass < MaxPassesPerRound; pass++)
        {
            int work = 0;
            foreach (ManualAgentInvoker invoker in Invokers)
            {
                work += invoker.Invoke();
            }
            if (work == 0)
            {
                return;
            }
        }
    }

    public void Rounds(int n)
    {
        for (int i = 0; i < n; i++)
        {
            Round();
        }
    }

    public void RunUntil(Func<bool> condition, string what, int maxRounds = 1000)
    {
        for (int i = 0; i < maxRounds; i++)
        {
            if (condition())
            {
                return;
            }
            Round();
        }
        Assert.Fail($"no {what} after {maxRounds} rounds");
    }

    /// <summary>Elects node <paramref name="id"/> (it campaigns first) and waits until everyone follows it.</summary>
    public RaftNodeAgent<ulong> Elect(ulong id = 1)
    {
        RaftNodeAgent<ulong> candidate = Agent(id);
        candidate.RawNode.Campaign();
        RunUntil(() => candidate.IsLeader && Agents.All(a => a.Leader == id), $"node {id} leading");
        return candidate;
    }

    /// <summary>Runs until every replica is quiesced.</summary>
    public void RunUntilQuiesced() => RunUntil(() => AllQuiesced, "every replica quiesced", 200);

    public void Dispose()
    {
        foreach (ManualAgentInvoker invoker in Invokers)
        {
            invoker.Dispose();
        }
    }
}
