using System.Buffers.Binary;
using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Hosting.Agents;
using FastRaft.Hosting.InMemory;
using FastRaft.Protocol;
using FastRaft.Storage;
using Microsoft.Extensions.Time.Testing;

namespace FastRaft.Tests.Hosting;

/// <summary>
/// Node agents over an <see cref="InMemoryNetwork"/>, each on a <see cref="ManualAgentInvoker"/>,
/// all on one <see cref="FakeTimeProvider"/> far from real time: the test thread drives everything
/// in a fixed order, so a run is a function of the seed and the test's calls alone.
/// </summary>
internal sealed class ManualCluster : IDisposable
{
    public static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(10);

    /// <summary>Passes over the agents per round after the clock moved, so what one sends the others step in the same round.</summary>
    private const int MaxPassesPerRound = 8;

    public ManualCluster(int voters, int seed, bool continuationsInline = false)
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
            var sm = new SequenceStateMachine();
            var options = new RaftNodeOptions
            {
                Raft = new RaftConfig
                {
                    Id = id,
                    ElectionTick = 10,
                    HeartbeatTick = 1,
                    MaxSizePerMsg = 1024 * 1024,
                    PreVote = true,
                    CheckQuorum = true,
                    Random = new Random(17 + (int)id),
                },
                TickInterval = Tick,
                Time = Time,
                InitialMembers = members,
                RunContinuationsInline = continuationsInline,
            };
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

    public List<RaftNodeAgent<ulong>> Agents { get; } = [];

    public List<SequenceStateMachine> StateMachines { get; } = [];

    public List<ManualAgentInvoker> Invokers { get; } = [];

    public RaftNodeAgent<ulong>? Leader
    {
        get
        {
            RaftNodeAgent<ulong>? leader = null;
            foreach (RaftNodeAgent<ulong> a in Agents)
            {
                if (a.IsLeader && (leader is null || a.Term > leader.Term))
                {
                    leader = a;
                }
            }
            return leader;
        }
    }

    /// <summary>Moves the clock one tick, then runs every agent in id order until a pass finds no work (bounded).</summary>
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

    /// <summary>Runs rounds until <paramref name="condition"/> holds; fails after <paramref name="maxRounds"/>.</summary>
    public void RunUntil(Func<bool> condition, string what, int maxRounds = 2000)
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

    public RaftNodeAgent<ulong> ElectLeader()
    {
        RunUntil(() => Leader is { } l && Agents.All(a => a.Leader == l.Id), "leader known to every node");
        return Leader!;
    }

    public void Dispose()
    {
        foreach (ManualAgentInvoker invoker in Invokers)
        {
            invoker.Dispose();
        }
    }
}

/// <summary>Records every applied normal entry (index, term and the id its payload starts with), in order; the result is the count so far.</summary>
internal sealed class SequenceStateMachine : IStateMachine<ulong>
{
    public List<(ulong Index, ulong Term, ulong Id)> Applied { get; } = [];

    public void Apply(ReadOnlySpan<Entry> entries, Span<ulong> results)
    {
        for (int i = 0; i < entries.Length; i++)
        {
            ref readonly Entry e = ref entries[i];
            ulong id = e.Data.Length >= sizeof(ulong) ? BinaryPrimitives.ReadUInt64LittleEndian(e.Data.Span) : 0;
            Applied.Add((e.Index, e.Term, id));
            results[i] = (ulong)Applied.Count;
        }
    }

    public void SaveSnapshot(Stream destination)
    {
    }

    public void RestoreSnapshot(Stream source)
    {
    }
}
