using System.Collections.Concurrent;
using FastRaft.Hosting;
using FastRaft.Hosting.Agents;
using FastRaft.Hosting.Groups;
using FastRaft.Hosting.InMemory;
using FastRaft.Protocol;
using FastRaft.Storage;

namespace FastRaft.Tests.Hosting.Groups;

public class RaftGroupHostTests
{
    private const int Groups = 8;
    private const int RunnersPerHost = 2;

    [Fact]
    public async Task Eight_groups_of_three_replicas_elect_and_commit_on_two_threads_per_host()
    {
        await using var nodes = new ThreeHosts();
        for (ulong g = 1; g <= Groups; g++)
        {
            nodes.CreateGroup(g);
        }

        for (ulong g = 1; g <= Groups; g++)
        {
            await nodes.ProposeAsync(g, first: 1, count: 20);
        }
        for (ulong g = 1; g <= Groups; g++)
        {
            await nodes.WaitAppliedEverywhereAsync(g, 20);
        }

        foreach (RaftGroupHost host in nodes.Hosts)
        {
            Assert.Equal(Groups, host.GroupCount);
            // Exactly the configured runners, the groups spread evenly over them.
            Assert.Equal(RunnersPerHost, host.Runners.Count);
            Assert.All(host.Runners, r => Assert.Equal(Groups / RunnersPerHost, r.AgentCount));
        }
        for (int n = 0; n < 3; n++)
        {
            // Every replica of a host applied on one of that host's two runner threads, and both were used.
            Assert.Equal(new[] { $"node{n + 1}-0", $"node{n + 1}-1" }, nodes.ApplyThreadsOfHost(n).Order());
        }
    }

    [Fact]
    public async Task Removing_a_group_stops_it_frees_its_id_and_the_others_keep_committing()
    {
        await using var nodes = new ThreeHosts();
        for (ulong g = 1; g <= Groups; g++)
        {
            nodes.CreateGroup(g);
        }
        for (ulong g = 1; g <= Groups; g++)
        {
            await nodes.ProposeAsync(g, first: 1, count: 5);
        }
        for (ulong g = 1; g <= Groups; g++)
        {
            await nodes.WaitAppliedEverywhereAsync(g, 5);
        }
        // Group 4 runs on runner 1 (placement alternates while the loads are equal): its
        // replacement must go back there, not to the next runner in turn.
        const ulong removed = 4;
        ThreeHosts.Group group = nodes.GroupsById[removed];
        int[] runnerLoads = [.. nodes.Hosts[0].Runners.Select(r => r.AgentCount)];

        foreach (RaftGroupHost host in nodes.Hosts)
        {
            Assert.True(await host.RemoveGroupAsync(removed).WaitAsync(TestHostCluster.Timeout));
        }

        Assert.All(group.Nodes, n => Assert.True(n.Completion.IsCompleted));
        Assert.Equal(RequestStatus.ShuttingDown, (await group.Nodes[0].ProposeAsync(RecordingStateMachine.Payload(99))).Status);
        foreach (RaftGroupHost host in nodes.Hosts)
        {
            Assert.False(host.TryGetGroup(removed, out _));
            Assert.Equal(Groups - 1, host.GroupCount);
            Assert.False(await host.RemoveGroupAsync(removed));
            Assert.True(host.TryGetGroup(removed + 1, out IRaftGroup? other));
            Assert.Equal(removed + 1, other.GroupId);
        }
        await TestHostCluster.Eventually(
            () => nodes.Hosts[0].Runners.Sum(r => r.AgentCount) == Groups - 1, "the removed group's agent to leave its runner");

        for (ulong g = 1; g <= Groups; g++)
        {
            if (g != removed)
            {
                await nodes.ProposeAsync(g, first: 6, count: 10);
            }
        }
        for (ulong g = 1; g <= Groups; g++)
        {
            if (g != removed)
            {
                await nodes.WaitAppliedEverywhereAsync(g, 15);
            }
        }
        Assert.All(group.StateMachines, sm => Assert.Equal(5, sm.IdCount));

        // The id is free again, and the new group fills the runner the removed one left.
        ThreeHosts.Group again = nodes.CreateGroup(removed);
        await nodes.ProposeAsync(removed, first: 1, count: 3);
        await nodes.WaitAppliedEverywhereAsync(removed, 3);
        Assert.Equal(runnerLoads, nodes.Hosts[0].Runners.Select(r => r.AgentCount));
        Assert.NotSame(group.Nodes[0], again.Nodes[0]);
    }

    [Fact]
    public async Task A_duplicate_group_id_is_refused_and_named()
    {
        await using var nodes = new ThreeHosts();
        nodes.CreateGroup(5);
        RaftGroupHost host = nodes.Hosts[0];
        var network = new InMemoryNetwork();
        using InMemoryTransport transport = network.CreateTransport(1);

        var duplicate = Assert.Throws<ArgumentException>(() => host.CreateGroup(
            5, TestHostCluster.DefaultOptions(1, [1, 2, 3]), new MemoryStorage(), transport, new RecordingStateMachine()));
        Assert.Contains("group 5", duplicate.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => host.CreateGroup(
            0, TestHostCluster.DefaultOptions(1, [1, 2, 3]), new MemoryStorage(), transport, new RecordingStateMachine()));
        Assert.Throws<ArgumentException>(() => host.CreateGroup(
            6, TestHostCluster.DefaultOptions(1, [1, 2, 3]) with { Runner = new CompositeAgentRunner() }, new MemoryStorage(), transport, new RecordingStateMachine()));

        Assert.Equal(1, host.GroupCount);
        Assert.False(host.TryGetGroup(6, out _));
        Assert.False(network.IsConnected(1)); // the refused transport was never started
        Assert.True(host.TryGetGroup(5, out IRaftGroup? existing));
        Assert.Same(nodes.GroupsById[5].Nodes[0], ((HostedGroup<ulong>)existing).Node);
    }

    [Fact]
    public async Task Disposing_the_host_stops_every_group_then_its_threads()
    {
        var nodes = new ThreeHosts();
        for (ulong g = 1; g <= 4; g++)
        {
            nodes.CreateGroup(g);
        }
        await nodes.ProposeAsync(1, first: 1, count: 3);

        await nodes.DisposeAsync();

        foreach (ThreeHosts.Group group in nodes.GroupsById.Values)
        {
            Assert.All(group.Nodes, n => Assert.True(n.Completion.IsCompleted));
        }
        foreach (RaftGroupHost host in nodes.Hosts)
        {
            Assert.Equal(0, host.GroupCount);
            Assert.All(host.Runners, r => Assert.True(r.Completion.IsCompletedSuccessfully));
            Assert.Throws<ObjectDisposedException>(() => host.CreateGroup(
                9, TestHostCluster.DefaultOptions(1, [1, 2, 3]), new MemoryStorage(), new InMemoryNetwork().CreateTransport(1), new RecordingStateMachine()));
        }
        Assert.Equal(RequestStatus.ShuttingDown, (await nodes.GroupsById[2].Nodes[1].ProposeAsync(RecordingStateMachine.Payload(7))).Status);
        await nodes.DisposeAsync(); // twice: nothing left to do
    }

    /// <summary>Three hosts (nodes 1-3), each holding one replica of every group; one in-memory network per group.</summary>
    private sealed class ThreeHosts : IAsyncDisposable
    {
        public ThreeHosts()
        {
            Hosts = [.. Enumerable.Range(1, 3).Select(n => new RaftGroupHost(new RaftGroupHostOptions { RunnerThreads = RunnersPerHost, Name = $"node{n}" }))];
        }

        public RaftGroupHost[] Hosts { get; }

        public Dictionary<ulong, Group> GroupsById { get; } = [];

        public Group CreateGroup(ulong groupId)
        {
            var network = new InMemoryNetwork(seed: (int)groupId);
            var group = new Group(network);
            for (ulong n = 1; n <= 3; n++)
            {
                var sm = new ThreadRecordingStateMachine();
                RaftNode<ulong> node = Hosts[n - 1].CreateGroup(
                    groupId, TestHostCluster.DefaultOptions(n, [1, 2, 3]), new MemoryStorage(), network.CreateTransport(n), sm);
                group.Nodes.Add(node);
                group.StateMachines.Add(sm);
            }
            GroupsById[groupId] = group;
            return group;
        }

        /// <summary>Proposes ids first..first+count-1 to the group's leader, retrying until each is acknowledged.</summary>
        public async Task ProposeAsync(ulong groupId, ulong first, int count)
        {
            Group group = GroupsById[groupId];
            using var cts = new CancellationTokenSource(TestHostCluster.Timeout);
            for (ulong id = first; id < first + (ulong)count; id++)
            {
                while (true)
                {
                    Assert.False(cts.IsCancellationRequested, $"group {groupId}: proposal {id} not acknowledged in time");
                    RaftNode<ulong>? leader = group.Nodes.FirstOrDefault(n => n.IsLeader);
                    if (leader is not null && (await leader.ProposeAsync(RecordingStateMachine.Payload(id))).IsOk)
                    {
                        break;
                    }
                    await Task.Delay(5);
                }
            }
        }

        public Task WaitAppliedEverywhereAsync(ulong groupId, int ids) => TestHostCluster.Eventually(
            () => GroupsById[groupId].StateMachines.All(sm => sm.IdCount == ids),
            $"group {groupId}: {ids} entries applied on every replica");

        public HashSet<string> ApplyThreadsOfHost(int host)
        {
            var names = new HashSet<string>();
            foreach (Group g in GroupsById.Values)
            {
                names.UnionWith(g.StateMachines[host].Threads.Keys);
            }
            return names;
        }

        public async ValueTask DisposeAsync()
        {
            foreach (RaftGroupHost host in Hosts)
            {
                await host.DisposeAsync();
            }
        }

        internal sealed class Group(InMemoryNetwork network)
        {
            public InMemoryNetwork Network { get; } = network;

            public List<RaftNode<ulong>> Nodes { get; } = [];

            public List<ThreadRecordingStateMachine> StateMachines { get; } = [];
        }
    }

    /// <summary>A <see cref="RecordingStateMachine"/> that also notes the name of every thread that applied to it.</summary>
    internal sealed class ThreadRecordingStateMachine : IStateMachine<ulong>
    {
        private readonly RecordingStateMachine _inner = new();

        public ConcurrentDictionary<string, bool> Threads { get; } = new();

        public int IdCount => _inner.IdCount;

        public void Apply(ReadOnlySpan<Entry> entries, Span<ulong> results)
        {
            Threads[Thread.CurrentThread.Name ?? "?"] = true;
            _inner.Apply(entries, results);
        }

        public void SaveSnapshot(Stream destination) => _inner.SaveSnapshot(destination);

        public void RestoreSnapshot(Stream source) => _inner.RestoreSnapshot(source);
    }
}
