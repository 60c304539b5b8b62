using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Hosting.InMemory;
using FastRaft.Protocol;
using FastRaft.Storage;

namespace FastRaft.Tests.Hosting;

/// <summary>
/// Node hosts over an <see cref="InMemoryNetwork"/> for tests: each node has its own storage
/// (kept across restarts) and a fresh <see cref="RecordingStateMachine"/> per start. Ticks are
/// short (5 ms) and elections take 20 of them, with pre-vote and check-quorum on, so elections
/// are quick yet a node thread starved on a busy machine rarely upsets a stable leader.
/// </summary>
internal sealed class TestHostCluster : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly Func<ulong, RaftNodeOptions>? _options;

    public TestHostCluster(int voters, int seed = 1, Func<ulong, RaftNodeOptions>? options = null)
    {
        Network = new InMemoryNetwork(seed);
        _options = options;
        Members = new ulong[voters];
        for (int i = 0; i < voters; i++)
        {
            Members[i] = (ulong)i + 1;
        }
    }

    public InMemoryNetwork Network { get; }

    public ulong[] Members { get; }

    public Dictionary<ulong, MemoryStorage> Storages { get; } = [];

    public Dictionary<ulong, RaftNode<ulong>> Nodes { get; } = [];

    public Dictionary<ulong, RecordingStateMachine> StateMachines { get; } = [];

    public IEnumerable<RaftNode<ulong>> Running => Nodes.Values;

    /// <summary>Called with each node after it is built and before it starts (to subscribe to events).</summary>
    public Action<RaftNode<ulong>>? BeforeStart { get; init; }

    /// <summary>The wait source every node's in-memory transport shares (null: each its own).</summary>
    public FastRaft.Hosting.Agents.IWaitSource? SharedWaitSource { get; init; }

    /// <summary>Wraps each node's in-memory transport (to filter what it reports, for instance).</summary>
    public Func<ITransport, ITransport>? WrapTransport { get; init; }

    public static RaftNodeOptions DefaultOptions(ulong id, IReadOnlyList<ulong>? initialMembers, SnapshotPolicy? snapshots = null) => new()
    {
        Raft = new RaftConfig
        {
            Id = id,
            ElectionTick = 20,
            HeartbeatTick = 1,
            MaxSizePerMsg = 1024 * 1024,
            MaxInflightMsgs = 256,
            PreVote = true,
            CheckQuorum = true,
            Random = new Random(17 + (int)id),
        },
        TickInterval = TimeSpan.FromMilliseconds(5),
        InitialMembers = initialMembers,
        Snapshots = snapshots ?? new SnapshotPolicy(),
    };

    /// <summary>Starts every member (bootstrapping the cluster on first start).</summary>
    public void StartAll()
    {
        foreach (ulong id in Members)
        {
            Start(id);
        }
    }

    /// <summary>Starts (or restarts, on its old storage) node <paramref name="id"/> with a fresh state machine.</summary>
    public RaftNode<ulong> Start(ulong id, bool joining = false)
    {
        if (!Storages.TryGetValue(id, out MemoryStorage? storage))
        {
            storage = new MemoryStorage();
            Storages[id] = storage;
        }
        RaftNodeOptions options = _options?.Invoke(id) ?? DefaultOptions(id, null);
        if (options.InitialMembers is null && !joining)
        {
            options = WithMembers(options, Members);
        }
        var sm = new RecordingStateMachine();
        ITransport transport = Network.CreateTransport(id, SharedWaitSource);
        if (WrapTransport is not null)
        {
            transport = WrapTransport(transport);
        }
        var node = new RaftNode<ulong>(options, storage, transport, sm);
        Nodes[id] = node;
        StateMachines[id] = sm;
        BeforeStart?.Invoke(node);
        node.Start();
        return node;
    }

    public async Task StopAsync(ulong id)
    {
        await Nodes[id].StopAsync().WaitAsync(Timeout);
        Nodes.Remove(id);
        StateMachines.Remove(id);
    }

    /// <summary>Waits until one running node leads and every running node knows it; returns it.</summary>
    public async Task<RaftNode<ulong>> WaitForLeaderAsync()
    {
        RaftNode<ulong>? leader = null;
        await Eventually(() =>
        {
            leader = null;
            foreach (RaftNode<ulong> n in Running)
            {
                if (n.IsLeader)
                {
                    leader = leader is null ? n : null;
                    if (leader is null)
                    {
                        return false;
                    }
                }
            }
            if (leader is null)
            {
                return false;
            }
            foreach (RaftNode<ulong> n in Running)
            {
                if (n.Leader != leader.Id)
                {
                    return false;
                }
            }
            return true;
        }, "a leader known to every running node");
        return leader!;
    }

    /// <summary>Waits until every running node has applied as far as <paramref name="index"/>.</summary>
    public Task WaitForAppliedAsync(ulong index) =>
        Eventually(() => Running.All(n => n.AppliedIndex >= index), $"every node applied {index}");

    /// <summary>Waits until every running node's state machine matches and has applied the same index.</summary>
    public Task WaitForConvergenceAsync() => Eventually(() =>
    {
        var states = StateMachines.Values.Select(s => s.State).Distinct().Count();
        var applied = Running.Select(n => n.AppliedIndex).Distinct().Count();
        return states == 1 && applied == 1;
    }, "identical state machines");

    /// <summary>Proposes every id to the current leader, all in flight at once, retrying those that fail, until all are acknowledged.</summary>
    public async Task<List<ProposeResult<ulong>>> ProposeAllAsync(IReadOnlyList<ulong> ids)
    {
        var acked = new List<ProposeResult<ulong>>(ids.Count);
        List<ulong> todo = [.. ids];
        for (int round = 0; todo.Count > 0; round++)
        {
            Assert.True(round < 50, $"{todo.Count} proposals still failing after {round} rounds");
            RaftNode<ulong> leader = await WaitForLeaderAsync();
            var inFlight = new Task<ProposeResult<ulong>>[todo.Count];
            for (int i = 0; i < todo.Count; i++)
            {
                inFlight[i] = leader.ProposeAsync(RecordingStateMachine.Payload(todo[i])).AsTask();
            }
            ProposeResult<ulong>[] results = await Task.WhenAll(inFlight).WaitAsync(Timeout);
            List<ulong> retry = [];
            for (int i = 0; i < results.Length; i++)
            {
                if (results[i].IsOk)
                {
                    acked.Add(results[i]);
                }
                else
                {
                    retry.Add(todo[i]);
                }
            }
            todo = retry;
        }
        return acked;
    }

    public static async Task Eventually(Func<bool> condition, string what)
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (!condition())
        {
            if (cts.IsCancellationRequested)
            {
                Assert.Fail($"timed out waiting for {what}");
            }
            await Task.Delay(5);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (RaftNode<ulong> n in Nodes.Values)
        {
            await n.DisposeAsync().AsTask().WaitAsync(Timeout);
        }
        Nodes.Clear();
    }

    private static RaftNodeOptions WithMembers(RaftNodeOptions o, ulong[] members) => new()
    {
        Raft = o.Raft,
        TickInterval = o.TickInterval,
        Time = o.Time,
        IdleStrategy = o.IdleStrategy,
        Runner = o.Runner,
        RunContinuationsInline = o.RunContinuationsInline,
        InitialMembers = members,
        Snapshots = o.Snapshots,
        MaxQueuedRequests = o.MaxQueuedRequests,
        MaxQueuedInboundBatches = o.MaxQueuedInboundBatches,
        ReadTimeoutTicks = o.ReadTimeoutTicks,
        TransferTimeoutTicks = o.TransferTimeoutTicks,
        MaxPooledRequests = o.MaxPooledRequests,
    };
}
