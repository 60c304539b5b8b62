using System.Diagnostics;
using FastRaft.Hosting;
using FastRaft.Transport.Tcp;
using FastRaft.Transport.Udp;
using Xunit.Abstractions;

namespace FastRaft.Tests.EndToEnd;

/// <summary>Three RaftNode hosts over UDP or TCP on 127.0.0.1: replication, the loss of the leader, and a restart.</summary>
[Trait("Category", "Integration")]
[Collection(nameof(EndToEndCollection))]
public class ClusterTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(E2eNetwork.Udp)]
    [InlineData(E2eNetwork.Tcp)]
    public async Task Three_hosts_replicate_ten_thousand_entries_survive_the_loss_of_the_leader_and_the_restarted_node_catches_up(E2eNetwork network)
    {
        await using var cluster = new E2eCluster(3, new E2eSettings { Network = network });
        cluster.StartAll();
        RaftNode<ulong> first = await cluster.WaitForLeaderAsync();

        var bulk = new LedgerClient(cluster, clientId: 1);
        var clock = Stopwatch.StartNew();
        await bulk.RunAsync(10_000, concurrency: 256);
        TimeSpan committed = clock.Elapsed;
        Assert.Equal(10_000, bulk.Acknowledged.Count);
        await cluster.WaitForConvergenceAsync();
        // Informational only (no timing assertions): the figures of this run.
        output.WriteLine($"{network}: 10,000 proposals acknowledged in {committed.TotalMilliseconds:F0} ms ({10_000 / committed.TotalSeconds:F0}/s, 256 in flight); {cluster.Describe()}");
        LedgerChecks.AssertExactlyAcknowledged(cluster, bulk);
        if (network == E2eNetwork.Udp)
        {
            foreach (UdpTransport t in cluster.Transports.Values)
            {
                // The host sized appends to travel whole: no entry went through a chunked transfer.
                Assert.Equal(0, t.Counters.TransfersStarted);
                Assert.True(t.Counters.MessagesSent > t.Counters.MessageDatagramsSent, "messages share datagrams");
            }
        }
        else
        {
            foreach (TcpTransport t in cluster.TcpTransports.Values)
            {
                // One dialled connection per peer carried everything: nothing refused, nothing malformed.
                Assert.Equal(2, t.Counters.Connects);
                Assert.Equal(0, t.Counters.BadFrames + t.Counters.ForgedSenders + t.Counters.HandshakesRefused);
                Assert.True(t.Counters.MessagesReceived > 0);
            }
        }

        // The leader goes away; the other two elect a new one and take proposals.
        RaftNode<ulong> old = cluster.CurrentLeader()!;
        await cluster.StopAsync(old.Id);
        RaftNode<ulong> next = await cluster.WaitForLeaderAsync();
        Assert.NotEqual(old.Id, next.Id);
        Assert.True(next.Term > first.Term);
        var later = new LedgerClient(cluster, clientId: 2);
        await later.RunAsync(1_000, concurrency: 64);

        // The old leader comes back on its storage and catches up with everything.
        cluster.Start(old.Id);
        await cluster.WaitForConvergenceAsync();
        Assert.Equal(3, cluster.Nodes.Count);
        LedgerChecks.AssertExactlyAcknowledged(cluster, bulk, later);
        Assert.Equal(11_000, cluster.StateMachines[old.Id].State.Count);
        if (network == E2eNetwork.Tcp)
        {
            // The restarted node listens on its old port: a survivor redialled it there (their first
            // connections to it broke when it stopped), and it dialled afresh itself.
            long survivorConnects = cluster.Members.Where(id => id != old.Id).Sum(id => cluster.TcpTransports[id].Counters.Connects);
            Assert.True(survivorConnects >= 5, cluster.Describe());
            Assert.True(cluster.TcpTransports[old.Id].Counters.Connects >= 1, cluster.Describe());
        }
    }
}
