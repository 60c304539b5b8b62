using System.Net;
using FastRaft.Sample.Client;
using FastRaft.Sample.Cluster;
using FastRaft.Sample.Protocol;
using FastRaft.Tests.Udp;

namespace FastRaft.Tests.Sample;

/// <summary>The sample's nodes talking Raft over the TCP transport, in-process.</summary>
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
    public async Task Adding_a_node_to_a_tcp_cluster_is_refused_with_the_reason_and_joining_is_not_offered()
    {
        await using var cluster = new LocalCluster(3, null, transport: RaftTransportKind.Tcp);
        cluster.StartAll();
        Assert.True(Wait.Until(() => cluster.Converged(), Timeout), "no leader over TCP");
        Assert.Throws<NotSupportedException>(() => cluster.Join(4));

        using var admin = new MembershipClient(cluster.ClientEndPoints, cluster.ClusterKey);
        Assert.True(admin.TryChange(MembershipOp.AddLearner, 4, new IPEndPoint(IPAddress.Loopback, 39_999), Timeout, out MembershipReply? reply));
        Assert.Equal(MembershipStatus.Refused, reply!.Status);
        Assert.Contains("Raft runs over TCP here", reply.Detail, StringComparison.Ordinal);
        Assert.All(cluster.Running, n => Assert.Empty(n.Members.Learners));
    }
}
