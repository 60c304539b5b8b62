using System.Net;
using FastRaft.Hosting;
using FastRaft.Hosting.Agents;
using FastRaft.Hosting.Groups;
using FastRaft.Hosting.InMemory;
using FastRaft.Protocol;
using FastRaft.Storage;
using FastRaft.Tests.Tcp;
using FastRaft.Tests.Udp;
using FastRaft.Transport.Tcp;
using FastRaft.Transport.Udp;

namespace FastRaft.Tests.Hosting.Groups;

/// <summary>Three hosts, one transport each, many groups over it: in memory, over UDP and over TCP.</summary>
public class SharedTransportHostTests
{
    private const int Groups = 8;

    private static readonly ulong[] AllGroups = [.. Enumerable.Range(1, Groups).Select(g => (ulong)g)];

    private static async Task EveryGroupElectsAndCommits(SharedTransportHosts hosts)
    {
        foreach (ulong g in AllGroups)
        {
            hosts.CreateGroup(g);
        }
        await hosts.CommitEverywhereAsync(AllGroups, first: 1, count: 10, total: 10);
        foreach (RaftGroupHost host in hosts.Hosts)
        {
            GroupTransportCounters c = host.TransportCounters!;
            Assert.Equal(Groups, host.GroupCount);
            Assert.True(c.MessagesRouted > 0 && c.MessagesSent > 0 && c.Flushes > 0, "the hub carried the groups' traffic");
            Assert.Equal(0, c.ControlDrops);
            Assert.Equal(0, c.OutboundDrops);
        }
    }

    [Fact]
    public async Task Eight_groups_over_one_in_memory_transport_per_host_elect_and_commit_on_every_replica()
    {
        var network = new InMemoryNetwork(seed: 3);
        await using var hosts = new SharedTransportHosts(id => network.CreateTransport(id));
        await EveryGroupElectsAndCommits(hosts);
        // One transport per host joined the network, not one per group.
        Assert.Equal(3, Enumerable.Range(1, 3).Count(n => network.IsConnected((ulong)n)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task With_a_dedicated_transport_runner_runner_0_carries_only_the_hub_and_the_groups_still_commit(bool dedicated)
    {
        var network = new InMemoryNetwork(seed: 11);
        await using var hosts = new SharedTransportHosts(id => network.CreateTransport(id), runnersPerHost: 3, dedicatedTransportRunner: dedicated);
        await EveryGroupElectsAndCommits(hosts);
        foreach (RaftGroupHost host in hosts.Hosts)
        {
            // Runner 0 holds the hub, plus its share of the groups unless it is dedicated
            // (8 groups over 3 runners, least loaded first: 3, 3, 2; over 2 runners: 4, 4).
            int onRunner0 = host.Runners[0].AgentCount - 1;
            Assert.Equal(dedicated ? 0 : 3, onRunner0);
            Assert.Equal(Groups, host.Runners[1].AgentCount + host.Runners[2].AgentCount + onRunner0);
            // Every group wakes its runner through an input mark of its own (so an idle group is not
            // asked on wakes meant for others); the hub is not marked.
            Assert.Equal(onRunner0, host.Runners[0].MarkedAgentCount);
            Assert.Equal(host.Runners[1].AgentCount, host.Runners[1].MarkedAgentCount);
            Assert.Equal(host.Runners[2].AgentCount, host.Runners[2].MarkedAgentCount);
        }
    }

    [Fact]
    public async Task A_group_that_fails_to_start_gives_its_input_mark_back_and_a_removed_one_too()
    {
        var network = new InMemoryNetwork(seed: 13);
        await using var host = new RaftGroupHost(new RaftGroupHostOptions { RunnerThreads = 1, Name = "marks" }, network.CreateTransport(1));
        CompositeAgentRunner runner = host.Runners[0];
        RaftNodeOptions options = TestHostCluster.DefaultOptions(1, [1]);
        host.CreateGroup(1, options, new MemoryStorage(), new RecordingStateMachine());
        Assert.Equal(1, runner.MarksInUse);

        // The core refuses a heartbeat interval that is not below the election timeout: the node is never built.
        RaftNodeOptions invalid = options with { Raft = options.Raft with { ElectionTick = 1, HeartbeatTick = 1 } };
        Assert.ThrowsAny<ArgumentException>(() => host.CreateGroup(2, invalid, new MemoryStorage(), new RecordingStateMachine()));
        Assert.Equal(1, runner.MarksInUse);
        Assert.Equal(1, host.GroupCount);

        Assert.True(await host.RemoveGroupAsync(1));
        await TestHostCluster.Eventually(() => runner.MarksInUse == 0, "the removed group's mark to come back");
    }

    [Fact]
    public async Task Groups_that_quiesce_take_the_hosts_liveness_go_quiet_on_every_replica_and_wake_for_a_proposal()
    {
        var network = new InMemoryNetwork(seed: 5);
        // No Liveness given: the shared-transport host supplies its hub's.
        await using var hosts = new SharedTransportHosts(id => network.CreateTransport(id), configure: (_, o) => o with { QuiesceAfterTicks = 4 });
        ulong[] groups = [1, 2, 3, 4];
        foreach (ulong g in groups)
        {
            hosts.CreateGroup(g);
        }
        await hosts.CommitEverywhereAsync(groups, first: 1, count: 5, total: 5);
        await TestHostCluster.Eventually(
            () => hosts.Nodes.Values.All(replicas => replicas.All(n => n.Counters.Quiesces > 0)),
            "every replica of every group quiesced");
        long wakes = hosts.Nodes[2].Sum(n => n.Counters.Wakes);

        await hosts.CommitEverywhereAsync([2], first: 6, count: 3, total: 8);

        Assert.True(hosts.Nodes[2].Sum(n => n.Counters.Wakes) > wakes, "the proposal did not wake group 2");
    }

    [Fact]
    public async Task Eight_groups_over_one_keyed_udp_transport_per_host_elect_and_commit_on_every_replica()
    {
        var transports = new Dictionary<ulong, UdpTransport>();
        for (ulong id = 1; id <= 3; id++)
        {
            transports[id] = new UdpTransport(UdpGroup.Options(id));
        }
        foreach ((ulong id, UdpTransport t) in transports)
        {
            foreach ((ulong other, UdpTransport o) in transports)
            {
                if (other != id)
                {
                    t.SetPeer(other, o.LocalEndPoint);
                }
            }
        }
        await using var hosts = new SharedTransportHosts(
            id => transports[id],
            configure: (_, o) => o with { Raft = o.Raft with { MaxSizePerMsg = 0 } });
        await EveryGroupElectsAndCommits(hosts);
        Assert.All(transports.Values, t => Assert.True(t.IsAuthenticated));
        Assert.All(transports.Values, t => Assert.Equal(0, t.Counters.DroppedTotal));
    }

    [Fact]
    public async Task Eight_groups_over_one_tcp_transport_per_host_elect_and_commit_on_every_replica()
    {
        var addresses = new Dictionary<ulong, IPEndPoint>();
        for (ulong id = 1; id <= 3; id++)
        {
            addresses[id] = TcpTestPeers.FreeLoopback();
        }
        byte[] key = UdpGroup.TestKey;
        await using var hosts = new SharedTransportHosts(id => new TcpTransport(new TcpTransportOptions
        {
            LocalId = id,
            ListenEndPoint = addresses[id],
            Peers = addresses.Where(kv => kv.Key != id).ToDictionary(kv => kv.Key, kv => kv.Value),
            ClusterKey = key,
        }));
        await EveryGroupElectsAndCommits(hosts);
    }

    [Fact]
    public async Task With_a_shared_log_each_host_syncs_it_before_its_groups_messages_leave()
    {
        var network = new InMemoryNetwork(seed: 9);
        var logs = new Dictionary<ulong, AlwaysUnsyncedLog>();
        await using var hosts = new SharedTransportHosts(
            id => network.CreateTransport(id), sharedLogFor: id => logs[id] = new AlwaysUnsyncedLog());
        await EveryGroupElectsAndCommits(hosts);
        await hosts.DisposeAsync(); // the hubs stop: the counts stay still
        for (ulong n = 1; n <= 3; n++)
        {
            // Every cycle that sent the groups' messages synced first (the log always has unsynced writes).
            long syncs = hosts.Hosts[n - 1].TransportCounters!.Syncs;
            Assert.True(syncs > 0);
            Assert.Equal(syncs, logs[n].Syncs);
        }
    }

    /// <summary>A shared log that always has writes to sync, and counts the syncs (from the hub's thread).</summary>
    private sealed class AlwaysUnsyncedLog : FastRaft.Core.Storage.IGroupCommit
    {
        private long _syncs;

        public long Syncs => Interlocked.Read(ref _syncs);

        public bool HasUnsyncedWrites => true;

        public void SyncWrites() => Interlocked.Increment(ref _syncs);
    }

    [Fact]
    public async Task Messages_for_a_group_a_host_does_not_run_are_counted_drops_and_the_other_groups_carry_on()
    {
        var network = new InMemoryNetwork(seed: 5);
        await using var hosts = new SharedTransportHosts(id => network.CreateTransport(id), runnersPerHost: 1);
        foreach (ulong g in AllGroups)
        {
            hosts.CreateGroup(g);
        }
        // Group 99 runs on hosts 1 and 2 only: a majority of its three members, so it still commits,
        // and everything its replicas send to node 3 arrives at a host that does not know it.
        hosts.CreateGroup(99, 1, 2);
        await hosts.CommitEverywhereAsync([.. AllGroups, 99], first: 1, count: 5, total: 5);

        await TestHostCluster.Eventually(() => hosts.Hosts[2].TransportCounters!.UnknownGroupDrops > 0, "host 3 to count group 99's messages as unknown");
        Assert.Equal(0, hosts.Hosts[0].TransportCounters!.ControlDrops);

        // Removing a group unregisters it: its peers' messages for it become unknown-group drops too.
        Assert.True(await hosts.Hosts[1].RemoveGroupAsync(3));
        long before = hosts.Hosts[1].TransportCounters!.UnknownGroupDrops;
        await TestHostCluster.Eventually(
            () => hosts.Hosts[1].TransportCounters!.UnknownGroupDrops > before, "host 2 to drop messages for the group it removed");
        hosts.Nodes[3].RemoveAt(1);
        hosts.StateMachines[3].RemoveAt(1);
        await hosts.CommitEverywhereAsync([1, 2, 3, 4], first: 6, count: 5, total: 10);
    }

    [Fact]
    public async Task A_shared_transport_host_refuses_a_node_id_other_than_the_transports_and_the_per_group_overload()
    {
        var network = new InMemoryNetwork();
        await using var shared = new RaftGroupHost(new RaftGroupHostOptions { RunnerThreads = 1 }, network.CreateTransport(1));
        var wrongId = Assert.Throws<ArgumentException>(() => shared.CreateGroup(
            1, TestHostCluster.DefaultOptions(2, [1, 2, 3]), new MemoryStorage(), new RecordingStateMachine()));
        Assert.Contains("node 1", wrongId.Message);
        Assert.Throws<InvalidOperationException>(() => shared.CreateGroup(
            1, TestHostCluster.DefaultOptions(1, [1, 2, 3]), new MemoryStorage(), network.CreateTransport(7), new RecordingStateMachine()));
        Assert.Equal(0, shared.GroupCount);
        Assert.NotNull(shared.Liveness);
        Assert.NotNull(shared.TransportCounters);

        await using var perGroup = new RaftGroupHost(new RaftGroupHostOptions { RunnerThreads = 1 });
        Assert.Throws<InvalidOperationException>(() => perGroup.CreateGroup(
            1, TestHostCluster.DefaultOptions(1, [1, 2, 3]), new MemoryStorage(), new RecordingStateMachine()));
        Assert.Null(perGroup.Liveness);
        Assert.Null(perGroup.TransportCounters);
    }

    [Fact]
    public async Task Disposing_a_shared_transport_host_disposes_its_transport()
    {
        var network = new InMemoryNetwork();
        var host = new RaftGroupHost(new RaftGroupHostOptions { RunnerThreads = 2 }, network.CreateTransport(1));
        host.CreateGroup(1, TestHostCluster.DefaultOptions(1, [1]), new MemoryStorage(), new RecordingStateMachine());
        Assert.True(network.IsConnected(1));
        await host.DisposeAsync();
        Assert.False(network.IsConnected(1));
    }

    [Fact]
    public async Task A_single_voter_group_commits_through_a_shared_transport_host()
    {
        var network = new InMemoryNetwork();
        await using var host = new RaftGroupHost(new RaftGroupHostOptions { RunnerThreads = 2 }, network.CreateTransport(1));
        var sm = new RecordingStateMachine();
        RaftNode<ulong> node = host.CreateGroup(4, TestHostCluster.DefaultOptions(1, [1]), new MemoryStorage(), sm);
        await TestHostCluster.Eventually(() => node.IsLeader, "the single voter to lead");
        Assert.True((await node.ProposeAsync(RecordingStateMachine.Payload(1))).IsOk);
        Assert.Equal(1, sm.IdCount);
    }
}
