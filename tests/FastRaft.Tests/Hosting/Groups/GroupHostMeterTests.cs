using FastRaft.Hosting;
using FastRaft.Hosting.Groups;
using FastRaft.Hosting.InMemory;
using FastRaft.Storage;

namespace FastRaft.Tests.Hosting.Groups;

/// <summary>The host's one "FastRaft.Groups" meter, and the groups' own meters only on request.</summary>
public class GroupHostMeterTests
{
    private const string NodeMeter = "FastRaft.Node";

    /// <summary>Node ids no other test uses, so node meters of tests running alongside stay apart.</summary>
    private const ulong NodeA = 0x3E7E_0001;
    private const ulong NodeB = 0x3E7E_0002;

    /// <summary>A host name no other test uses (the host meter's tag).</summary>
    private static string UniqueName() => $"meter-{Guid.NewGuid():N}"[..14];

    private static RaftGroupHost PerGroupTransportHost(string name, bool publishGroupMeters = false) =>
        new(new RaftGroupHostOptions { RunnerThreads = 2, Name = name, PublishGroupMeters = publishGroupMeters });

    /// <summary>A single-voter group on a network of its own (its options ask for a node meter unless told otherwise).</summary>
    private static RaftNode<ulong> SingleVoterGroup(RaftGroupHost host, ulong groupId, ulong nodeId = NodeA, bool publishMeter = true)
    {
        var network = new InMemoryNetwork(seed: (int)groupId);
        RaftNodeOptions options = TestHostCluster.DefaultOptions(nodeId, [nodeId]) with { PublishMeter = publishMeter };
        return host.CreateGroup(groupId, options, new MemoryStorage(), network.CreateTransport(nodeId), new RecordingStateMachine());
    }

    private static async Task CommitAsync(RaftNode<ulong> node, int count)
    {
        await TestHostCluster.Eventually(() => node.IsLeader, "the single voter to lead");
        for (ulong i = 1; i <= (ulong)count; i++)
        {
            Assert.True((await node.ProposeAsync(RecordingStateMachine.Payload(i)).AsTask().WaitAsync(TestHostCluster.Timeout)).IsOk);
        }
    }

    [Fact]
    public async Task A_host_publishes_one_meter_tagged_with_its_name_and_its_groups_publish_none_by_default()
    {
        string name = UniqueName();
        using var hostMeter = new MeterRecorder(RaftGroupHost.MeterName, RaftGroupHost.HostTag, name);
        using var nodeMeters = new MeterRecorder(NodeMeter, "raft.node_id", NodeA);
        await using RaftGroupHost host = PerGroupTransportHost(name);

        RaftNode<ulong>[] nodes = [SingleVoterGroup(host, 1), SingleVoterGroup(host, 2), SingleVoterGroup(host, 3)];
        foreach (RaftNode<ulong> node in nodes)
        {
            await CommitAsync(node, 1);
        }
        IReadOnlyDictionary<string, long> values = hostMeter.Collect();

        Assert.Equal(0, nodeMeters.Published);
        Assert.True(hostMeter.Published > 0);
        Assert.Equal(name, hostMeter.MeterTags![RaftGroupHost.HostTag]);
        Assert.False(hostMeter.MeterTags.ContainsKey(RaftGroupHost.NodeIdTag), "per-group transports: no process node id");
        Assert.Equal(3, values["fastraft.groups.count"]);
        Assert.Equal(3, values["fastraft.groups.leaders"]);
        Assert.Equal(0, values["fastraft.groups.quiesced"]);
        Assert.Equal(3, values["raft.proposals.committed"]);
        Assert.False(values.ContainsKey("fastraft.groups.transport.messages.routed"), "no shared transport, no transport instruments");
        Assert.All(nodes, n => Assert.Equal(1, n.Counters.ProposalsCommitted));
    }

    [Fact]
    public async Task Groups_publish_their_own_node_meter_only_when_the_host_and_the_group_both_ask()
    {
        using var asked = new MeterRecorder(NodeMeter, "raft.node_id", NodeA);
        using var declined = new MeterRecorder(NodeMeter, "raft.node_id", NodeB);
        await using RaftGroupHost host = PerGroupTransportHost(UniqueName(), publishGroupMeters: true);

        RaftNode<ulong> publishing = SingleVoterGroup(host, 1, NodeA);
        SingleVoterGroup(host, 2, NodeB, publishMeter: false);
        await CommitAsync(publishing, 2);

        Assert.True(asked.Published > 0, "the group's node meter was not published");
        Assert.Equal(2, asked.Collect()["raft.proposals.committed"]);
        Assert.Equal(0, declined.Published);
    }

    [Fact]
    public async Task The_summed_counters_equal_the_groups_own_and_do_not_go_down_when_a_group_is_removed()
    {
        string name = UniqueName();
        using var hostMeter = new MeterRecorder(RaftGroupHost.MeterName, RaftGroupHost.HostTag, name);
        await using RaftGroupHost host = PerGroupTransportHost(name);
        RaftNode<ulong>[] nodes = [SingleVoterGroup(host, 1), SingleVoterGroup(host, 2), SingleVoterGroup(host, 3)];
        for (int g = 0; g < nodes.Length; g++)
        {
            await CommitAsync(nodes[g], count: g + 2);
        }

        IReadOnlyDictionary<string, long> before = hostMeter.Collect();
        Assert.Equal(2 + 3 + 4, before["raft.proposals.committed"]);
        Assert.Equal(nodes.Sum(n => n.Counters.ProposalsCommitted), before["raft.proposals.committed"]);
        Assert.Equal(nodes.Sum(n => n.Counters.ProposalsAccepted), before["raft.proposals.accepted"]);
        Assert.Equal(nodes.Sum(n => n.Counters.EntriesApplied), before["raft.entries.applied"]);

        Assert.True(await host.RemoveGroupAsync(3).WaitAsync(TestHostCluster.Timeout));
        IReadOnlyDictionary<string, long> after = hostMeter.Collect();

        Assert.Equal(2, after["fastraft.groups.count"]);
        // Group 3's four proposals and its applied entries stay in the sums.
        Assert.Equal(before["raft.proposals.committed"], after["raft.proposals.committed"]);
        Assert.Equal(before["raft.entries.applied"], after["raft.entries.applied"]);
        Assert.True(after["raft.messages.sent"] >= before["raft.messages.sent"]);

        await CommitAsync(nodes[0], 1);
        Assert.Equal(before["raft.proposals.committed"] + 1, hostMeter.Collect()["raft.proposals.committed"]);
    }

    [Fact]
    public async Task With_a_shared_transport_the_host_meter_counts_leaders_quiesced_groups_and_the_hubs_traffic()
    {
        string name = UniqueName();
        var network = new InMemoryNetwork(seed: 7);
        var meters = new MeterRecorder[3];
        for (int h = 0; h < meters.Length; h++)
        {
            meters[h] = new MeterRecorder(RaftGroupHost.MeterName, RaftGroupHost.HostTag, $"{name}{h + 1}");
        }
        try
        {
            await using var hosts = new SharedTransportHosts(
                id => network.CreateTransport(id), configure: (_, o) => o with { QuiesceAfterTicks = 4 }, name: name);
            ulong[] groups = [1, 2, 3, 4, 5];
            foreach (ulong g in groups)
            {
                hosts.CreateGroup(g);
            }
            await hosts.CommitEverywhereAsync(groups, first: 1, count: 3, total: 3);

            // Once every replica is quiesced leadership holds still: each host's gauge then
            // matches the replicas it leads, and every group has one leader over the three hosts.
            await TestHostCluster.Eventually(() =>
            {
                int leaders = 0;
                for (int h = 0; h < meters.Length; h++)
                {
                    IReadOnlyDictionary<string, long> values = meters[h].Collect();
                    int ledHere = hosts.Nodes.Values.Count(replicas => replicas[h].IsLeader);
                    if (values["fastraft.groups.quiesced"] != groups.Length || values["fastraft.groups.leaders"] != ledHere)
                    {
                        return false;
                    }
                    leaders += ledHere;
                }
                return leaders == groups.Length;
            }, "every replica quiesced and each host's leaders gauge matching its leaders");

            for (int h = 0; h < meters.Length; h++)
            {
                IReadOnlyDictionary<string, long> values = meters[h].Collect();
                Assert.Equal((ulong)h + 1, meters[h].MeterTags![RaftGroupHost.NodeIdTag]);
                Assert.Equal(groups.Length, values["fastraft.groups.count"]);
                Assert.True(values["raft.quiesces"] >= groups.Length);
                Assert.True(values["fastraft.groups.transport.messages.routed"] > 0);
                Assert.True(values["fastraft.groups.transport.messages.sent"] > 0);
                Assert.True(values["fastraft.groups.transport.liveness_pings"] > 0);
                Assert.Equal(0, values["fastraft.groups.transport.drops.control"]);
                Assert.Equal(0, values["fastraft.groups.transport.drops.outbound"]);
                Assert.True(values.ContainsKey("fastraft.groups.transport.drops.unknown_group"));
            }
        }
        finally
        {
            foreach (MeterRecorder meter in meters)
            {
                meter.Dispose();
            }
        }
    }

    [Fact]
    public async Task Disposing_the_host_disposes_its_meter()
    {
        string name = UniqueName();
        using var hostMeter = new MeterRecorder(RaftGroupHost.MeterName, RaftGroupHost.HostTag, name);
        RaftGroupHost host = PerGroupTransportHost(name);
        await CommitAsync(SingleVoterGroup(host, 1), 1);
        Assert.Equal(1, hostMeter.Collect()["raft.proposals.committed"]);
        Assert.Equal(0, hostMeter.Completed);

        await host.DisposeAsync();
        long measurements = hostMeter.Measurements;

        Assert.Equal(hostMeter.Published, hostMeter.Completed);
        Assert.Empty(hostMeter.Collect());
        Assert.Equal(measurements, hostMeter.Measurements);
    }
}
