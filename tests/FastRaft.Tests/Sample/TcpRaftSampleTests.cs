using System.Net;
using FastRaft.Sample.Client;
using FastRaft.Sample.Cluster;
using FastRaft.Sample.Protocol;
using FastRaft.Tests.Udp;

namespace FastRaft.Tests.Sample;

/// <summary>The sample's nodes talking Raft over the TCP transport, in-process.</summary>
[Trait("Category", "Integration")]
public class TcpRaftSampleTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_tcp_cluster_elects_takes_orders_and_converges_to_identical_replicas()
    {
        await using var cluster = new LocalCluster(3, null, transport: RaftTransportKind.Tcp);
        cluster.StartAll();
        Assert.True(Wait.Until(() => cluster.Converged(), Timeout), "no leader over TCP");
        Assert.All(cluster.Running, n => Assert.Equal(RaftTransportKind.Tcp, n.Transport));
        Assert.All(cluster.Running, n => Assert.Null(n.UdpCounters));

        using var client = new OrderClient(new OrderClientOptions { Nodes = cluster.ClientEndPoints, Instruments = RaftSettings.Instruments, Sessions = 4 });
        Assert.True(client.Run(TimeSpan.FromMilliseconds(500)));
        Assert.True(client.Statistics.Acked > 0);
        Assert.True(Wait.Until(() => cluster.Converged(), Timeout));
        CheckResult check = ClusterCheck.Verify(cluster.ReadStates(client.ClientIds), client.Outcomes, 3);
        Assert.True(check.Passed, string.Join("\n", check.Problems));
        // The messages went over authenticated TCP connections, none refused.
        Assert.All(cluster.Running, n => Assert.True(n.TcpCounters!.MessagesReceived > 0 && n.TcpCounters.BadFrames == 0));
    }

    [Fact]
    public async Task A_node_joins_a_tcp_cluster_as_a_learner_found_through_the_member_directory_then_becomes_a_voter()
    {
        await using var cluster = new LocalCluster(3, null, transport: RaftTransportKind.Tcp);
        cluster.StartAll();
        Assert.True(Wait.Until(() => cluster.Converged(), Timeout), "no leader over TCP");
        SampleNode joiner = cluster.Join(4);

        using var admin = new MembershipClient(cluster.ClientEndPoints, cluster.ClusterKey);
        Assert.True(admin.TryChange(MembershipOp.AddLearner, 4, joiner.RaftEndPoint, Timeout, out MembershipReply? added));
        Assert.Equal(MembershipStatus.Ok, added!.Status);
        // The members dial node 4 at the address the change carried; it catches up over TCP.
        Assert.True(Wait.Until(() => joiner.Raft.AppliedIndex >= added.Index, Timeout), "the learner did not catch up over TCP");
        Assert.True(admin.TryChange(MembershipOp.Promote, 4, null, Timeout, out MembershipReply? promoted));
        Assert.Equal(MembershipStatus.Ok, promoted!.Status);
        Assert.Equal([1UL, 2UL, 3UL, 4UL], promoted.Voters);
        Assert.True(Wait.Until(() => cluster.Converged(), Timeout), "the four nodes did not converge");
        Assert.True(joiner.TcpCounters!.MessagesReceived > 0 && joiner.TcpCounters.BadFrames == 0);
    }
}
