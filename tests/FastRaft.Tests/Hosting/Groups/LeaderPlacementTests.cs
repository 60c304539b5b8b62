using FastRaft.Hosting;
using FastRaft.Hosting.Groups;
using FastRaft.Hosting.InMemory;
using FastRaft.Storage;

namespace FastRaft.Tests.Hosting.Groups;

/// <summary>
/// Leader placement over three hosts holding a replica of every group: leaders spread by
/// transfer after election, moves through <see cref="RaftGroupHost.TransferLeadershipAsync"/>,
/// and no ping-pong between the two. Waits are bounded polls on conditions, never timings.
/// </summary>
public class LeaderPlacementTests
{
    private static readonly ulong[] s_members = [1, 2, 3];

    [Fact]
    public void The_preferred_leader_is_the_voter_at_group_id_mod_voter_count()
    {
        Assert.Equal(2UL, LeaderPlacement.PreferredLeader(1, s_members));
        Assert.Equal(3UL, LeaderPlacement.PreferredLeader(2, s_members));
        Assert.Equal(1UL, LeaderPlacement.PreferredLeader(3, s_members));
        Assert.Equal(5UL, LeaderPlacement.PreferredLeader(7, [5]));
        Assert.Equal(0UL, LeaderPlacement.PreferredLeader(7, []));
    }

    [Fact]
    public async Task Twelve_groups_on_three_hosts_end_up_led_four_by_each_node()
    {
        await using var nodes = new PlacedGroups(spread: true);
        for (ulong g = 1; g <= 12; g++)
        {
            nodes.CreateGroup(g);
        }

        await nodes.WaitAllLedByPreferredAsync();

        for (int n = 0; n < 3; n++)
        {
            Assert.Equal(4, nodes.GroupsLedBy(n));
        }
        for (ulong g = 1; g <= 12; g++)
        {
            RaftNode<ulong> leader = nodes.Replica(g, LeaderPlacement.PreferredLeader(g, s_members));
            Assert.True((await leader.ProposeAsync(RecordingStateMachine.Payload(g))).IsOk, $"group {g}");
        }
        // The leaders got there by placement's transfers (each node's election timeouts are the
        // same in every group, so elections do not land on each group's preferred voter), and
        // every transfer begun has ended.
        await TestHostCluster.Eventually(
            () => nodes.Hosts.Sum(h => h.Placement.TransfersStarted) == nodes.Hosts.Sum(h => h.Placement.TransfersDone + h.Placement.TransfersFailed),
            "every placement transfer to end");
        Assert.True(nodes.Hosts.Sum(h => h.Placement.TransfersDone) >= 1);
    }

    [Fact]
    public async Task Over_one_shared_transport_per_host_twelve_groups_end_up_led_four_by_each_node()
    {
        await using var nodes = new PlacedGroups(spread: true, sharedNetwork: new InMemoryNetwork(seed: 12));
        for (ulong g = 1; g <= 12; g++)
        {
            nodes.CreateGroup(g);
        }

        await nodes.WaitAllLedByPreferredAsync();

        for (int n = 0; n < 3; n++)
        {
            Assert.Equal(4, nodes.GroupsLedBy(n));
        }
        // The hubs' liveness knew every node live: no placement was skipped for it.
        Assert.All(nodes.Hosts, h => Assert.Equal(0, h.Placement.SkippedNotLive));
        Assert.All(nodes.Hosts, h => Assert.Same(h.Liveness, h.Placement.Liveness));
    }

    [Fact]
    public async Task Without_spreading_no_leadership_is_transferred()
    {
        await using var nodes = new PlacedGroups(spread: false);
        for (ulong g = 1; g <= 6; g++)
        {
            nodes.CreateGroup(g);
        }
        for (ulong g = 1; g <= 6; g++)
        {
            await TestHostCluster.Eventually(() => nodes.LeaderOf(g) != 0, $"group {g} to elect a leader");
            Assert.True((await nodes.Replica(g, nodes.LeaderOf(g)).ProposeAsync(RecordingStateMachine.Payload(g))).IsOk);
        }

        Assert.All(nodes.Hosts, h => Assert.Equal(0, h.Placement.TransfersStarted));
    }

    [Fact]
    public async Task A_moved_leader_stays_where_it_was_moved()
    {
        await using var nodes = new PlacedGroups(spread: true);
        for (ulong g = 1; g <= 3; g++)
        {
            nodes.CreateGroup(g);
        }
        await nodes.WaitAllLedByPreferredAsync();
        // Group 1 prefers node 2; move it to node 3.
        RaftGroupHost from = nodes.Hosts[1], to = nodes.Hosts[2];
        long startedBefore = to.Placement.TransfersStarted;

        TransferResult moved = await from.TransferLeadershipAsync(1, 3).AsTask().WaitAsync(TestHostCluster.Timeout);

        Assert.True(moved.IsOk, moved.ToString());
        Assert.Equal(3UL, moved.Leader);
        // Node 3 won the election it was handed and kept it: its placement saw the handover and
        // started no transfer back to the preferred node.
        await TestHostCluster.Eventually(() => to.Placement.KeptHandedOver >= 1, "node 3 to keep the leadership it was handed");
        Assert.Equal(startedBefore, to.Placement.TransfersStarted);
        Assert.True((await nodes.Replica(1, 3).ProposeAsync(RecordingStateMachine.Payload(11))).IsOk);
        Assert.True(nodes.Replica(1, 3).IsLeader);

        // Asked of a replica that does not lead, the move names the leader.
        TransferResult notLeader = await nodes.Hosts[0].TransferLeadershipAsync(1, 2).AsTask().WaitAsync(TestHostCluster.Timeout);
        Assert.Equal(RequestStatus.NotLeader, notLeader.Status);
        Assert.Equal(3UL, notLeader.Leader);
    }

    [Fact]
    public async Task Moving_to_a_node_that_is_not_a_voter_or_an_unknown_group_is_refused_and_named()
    {
        await using var nodes = new PlacedGroups(spread: true);
        nodes.CreateGroup(1);
        await nodes.WaitAllLedByPreferredAsync();
        RaftGroupHost leaderHost = nodes.Hosts[1];

        var notVoter = Assert.Throws<ArgumentException>(() => leaderHost.TransferLeadershipAsync(1, 7));
        Assert.Contains("node 7 is not a voter of group 1 (voters: 1, 2, 3)", notVoter.Message);
        Assert.Equal("toNodeId", notVoter.ParamName);
        var unknown = Assert.Throws<ArgumentException>(() => leaderHost.TransferLeadershipAsync(9, 1));
        Assert.Contains("group 9", unknown.Message);
        Assert.Equal(2UL, nodes.LeaderOf(1));
    }

    /// <summary>Three hosts (nodes 1-3), each holding one replica of every group; one in-memory network per group.</summary>
    /// <param name="spread">The hosts' <see cref="RaftGroupHostOptions.SpreadLeaders"/>.</param>
    /// <param name="sharedNetwork">When given, each host has one transport on it shared by its groups; otherwise each group has a network of its own.</param>
    private sealed class PlacedGroups(bool spread, InMemoryNetwork? sharedNetwork = null) : IAsyncDisposable
    {
        private readonly Dictionary<ulong, List<RaftNode<ulong>>> _groups = [];

        public RaftGroupHost[] Hosts { get; } = [.. s_members.Select(n => NewHost(n, spread, sharedNetwork))];

        public void CreateGroup(ulong groupId)
        {
            var network = new InMemoryNetwork(seed: (int)groupId);
            var replicas = new List<RaftNode<ulong>>();
            foreach (ulong n in s_members)
            {
                RaftNodeOptions options = TestHostCluster.DefaultOptions(n, s_members);
                replicas.Add(sharedNetwork is null
                    ? Hosts[n - 1].CreateGroup(groupId, options, new MemoryStorage(), network.CreateTransport(n), new RecordingStateMachine())
                    : Hosts[n - 1].CreateGroup(groupId, options, new MemoryStorage(), new RecordingStateMachine()));
            }
            _groups[groupId] = replicas;
        }

        private static RaftGroupHost NewHost(ulong node, bool spread, InMemoryNetwork? sharedNetwork)
        {
            var options = new RaftGroupHostOptions { RunnerThreads = 1, Name = $"node{node}", SpreadLeaders = spread };
            return sharedNetwork is null ? new RaftGroupHost(options) : new RaftGroupHost(options, sharedNetwork.CreateTransport(node));
        }

        public RaftNode<ulong> Replica(ulong groupId, ulong nodeId) => _groups[groupId][(int)nodeId - 1];

        /// <summary>The node every replica of the group names as leader, and which leads; 0 while they disagree.</summary>
        public ulong LeaderOf(ulong groupId)
        {
            List<RaftNode<ulong>> replicas = _groups[groupId];
            ulong leader = replicas[0].Leader;
            return leader != 0 && replicas.All(r => r.Leader == leader) && replicas[(int)leader - 1].IsLeader ? leader : 0;
        }

        public int GroupsLedBy(int hostIndex) => _groups.Values.Count(replicas => replicas[hostIndex].IsLeader);

        public Task WaitAllLedByPreferredAsync() => TestHostCluster.Eventually(
            () => _groups.Keys.All(g => LeaderOf(g) == LeaderPlacement.PreferredLeader(g, s_members)),
            "every group led by its preferred voter, as all its replicas know");

        public async ValueTask DisposeAsync()
        {
            foreach (RaftGroupHost host in Hosts)
            {
                await host.DisposeAsync();
            }
        }
    }
}
