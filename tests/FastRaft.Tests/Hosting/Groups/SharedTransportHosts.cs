using FastRaft.Hosting;
using FastRaft.Hosting.Groups;
using FastRaft.Storage;

namespace FastRaft.Tests.Hosting.Groups;

/// <summary>
/// Three hosts (nodes 1-3), each with ONE transport shared by all its groups (the transport
/// <c>transportFor</c> builds for the node), each holding one replica of every group created.
/// </summary>
internal sealed class SharedTransportHosts : IAsyncDisposable
{
    public SharedTransportHosts(
        Func<ulong, ITransport> transportFor,
        int runnersPerHost = 2,
        Func<ulong, RaftNodeOptions, RaftNodeOptions>? configure = null,
        Func<ulong, FastRaft.Core.Storage.IGroupCommit>? sharedLogFor = null,
        bool dedicatedTransportRunner = false,
        string name = "shared")
    {
        _configure = configure;
        Hosts = [.. Enumerable.Range(1, 3).Select(n =>
        {
            var options = new RaftGroupHostOptions { RunnerThreads = runnersPerHost, DedicatedTransportRunner = dedicatedTransportRunner, Name = $"{name}{n}" };
            return sharedLogFor is null
                ? new RaftGroupHost(options, transportFor((ulong)n))
                : new RaftGroupHost(options, transportFor((ulong)n), sharedLogFor((ulong)n));
        })];
    }

    private readonly Func<ulong, RaftNodeOptions, RaftNodeOptions>? _configure;

    public RaftGroupHost[] Hosts { get; }

    public Dictionary<ulong, List<RaftNode<ulong>>> Nodes { get; } = [];

    public Dictionary<ulong, List<RecordingStateMachine>> StateMachines { get; } = [];

    /// <summary>Creates group <paramref name="groupId"/> on the hosts of <paramref name="on"/> (default: all three), members 1-3.</summary>
    public void CreateGroup(ulong groupId, params ulong[] on)
    {
        var nodes = new List<RaftNode<ulong>>();
        var machines = new List<RecordingStateMachine>();
        foreach (ulong n in on.Length == 0 ? [1UL, 2, 3] : on)
        {
            var sm = new RecordingStateMachine();
            RaftNodeOptions options = TestHostCluster.DefaultOptions(n, [1, 2, 3]);
            options = _configure?.Invoke(n, options) ?? options;
            nodes.Add(Hosts[n - 1].CreateGroup(groupId, options, new MemoryStorage(), sm));
            machines.Add(sm);
        }
        Nodes[groupId] = nodes;
        StateMachines[groupId] = machines;
    }

    /// <summary>Proposes ids first..first+count-1 to the group's leader, retrying until each is acknowledged.</summary>
    public async Task ProposeAsync(ulong groupId, ulong first, int count)
    {
        using var cts = new CancellationTokenSource(TestHostCluster.Timeout);
        for (ulong id = first; id < first + (ulong)count; id++)
        {
            while (true)
            {
                Assert.False(cts.IsCancellationRequested, $"group {groupId}: proposal {id} not acknowledged in time");
                RaftNode<ulong>? leader = Nodes[groupId].FirstOrDefault(n => n.IsLeader);
                if (leader is not null && (await leader.ProposeAsync(RecordingStateMachine.Payload(id))).IsOk)
                {
                    break;
                }
                await Task.Delay(5);
            }
        }
    }

    public Task WaitAppliedEverywhereAsync(ulong groupId, int ids) => TestHostCluster.Eventually(
        () => StateMachines[groupId].All(sm => sm.IdCount == ids),
        $"group {groupId}: {ids} entries applied on every replica");

    /// <summary>Every group proposes <paramref name="count"/> entries and each is applied on every replica.</summary>
    public async Task CommitEverywhereAsync(IEnumerable<ulong> groups, ulong first, int count, int total)
    {
        await Task.WhenAll(groups.Select(g => ProposeAsync(g, first, count)));
        foreach (ulong g in groups)
        {
            await WaitAppliedEverywhereAsync(g, total);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (RaftGroupHost host in Hosts)
        {
            await host.DisposeAsync();
        }
    }
}
