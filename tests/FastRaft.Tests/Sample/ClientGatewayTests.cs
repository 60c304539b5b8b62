using System.Net;
using System.Net.Sockets;
using FastRaft.Sample.Client;
using FastRaft.Sample.Cluster;
using FastRaft.Sample.Matching;
using FastRaft.Sample.Protocol;
using FastRaft.Tests.Udp;
using MessagePack;

namespace FastRaft.Tests.Sample;

/// <summary>The client gateway under load: pipelining, redirects, a lost leader, many connections.</summary>
[Trait("Category", "Integration")]
public class ClientGatewayTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private static async Task<LocalCluster> StartedClusterAsync(int size)
    {
        var cluster = new LocalCluster(size, null);
        cluster.StartAll();
        if (!Wait.Until(() => cluster.Converged(), Timeout))
        {
            await cluster.DisposeAsync();
            Assert.Fail("no leader");
        }
        return cluster;
    }

    private static SubmitReply ReadSubmitReply(byte[] payload)
    {
        var reader = new MessagePackReader(payload);
        Assert.True(ClientProtocol.TryReadReplyHeader(ref reader, out byte kind, out ulong id, out int fields));
        Assert.Equal(ClientProtocol.KindSubmit, kind);
        Assert.True(ClientProtocol.TryReadSubmitReply(ref reader, id, fields, out SubmitReply reply));
        return reply;
    }

    private static byte[] Order(ulong clientId, ulong sequence) =>
        CommandCodec.Encode(OrderCommand.Limit(clientId, sequence, 1, Side.Buy, 9_000 + (long)(clientId % 100), 1));

    [Fact]
    public async Task A_thousand_requests_pipelined_on_one_connection_are_each_answered_once_and_applied_once()
    {
        await using LocalCluster cluster = await StartedClusterAsync(3);
        SampleNode leader = cluster.Leader!;
        const int Requests = 1_000;
        using ClientConnection c = GatewayExchange.Connect(leader.ClientEndPoint);
        // All sent before any reply is read: far more than the gateway reads ahead per connection.
        for (int i = 1; i <= Requests; i++)
        {
            c.Queue(GatewayExchange.SubmitRequest((ulong)i, Order(1_000 + (ulong)i, 1)));
        }
        Assert.True(c.Flush());
        var seen = new HashSet<ulong>();
        var indexes = new HashSet<ulong>();
        for (int i = 0; i < Requests; i++)
        {
            SubmitReply reply = ReadSubmitReply(GatewayExchange.Receive(c));
            Assert.Equal(SubmitStatus.Ok, reply.Status);
            Assert.True(seen.Add(reply.RequestId), $"request {reply.RequestId} answered twice");
            Assert.True(indexes.Add(reply.Index), $"index {reply.Index} reported twice");
        }
        Assert.Equal(Requests, seen.Count);
        Assert.True(Wait.Until(() => cluster.Converged(), Timeout));
        foreach (SampleNode n in cluster.Running)
        {
            for (ulong client = 1_001; client <= 1_000 + Requests; client++)
            {
                Assert.True(n.StateMachine.TryGetClient(client, out ClientRecord r) && r.Applied == 1, $"node {n.Id}: client {client}");
            }
        }
        Assert.Equal(0, leader.ClientPort.Dropped);
    }

    [Fact]
    public async Task Not_leader_names_the_leader_whose_gateway_then_takes_the_same_request()
    {
        await using LocalCluster cluster = await StartedClusterAsync(3);
        SampleNode leader = cluster.Leader!;
        SampleNode follower = cluster.Running.First(n => n != leader);
        byte[] order = Order(77, 1);
        using ClientConnection atFollower = GatewayExchange.Connect(follower.ClientEndPoint);
        SubmitReply redirect = GatewayExchange.Submit(atFollower, 1, order);
        Assert.Equal((SubmitStatus.NotLeader, follower.Id, leader.Id), (redirect.Status, redirect.NodeId, redirect.LeaderHint));
        // The answer carries the leader's gateway address: a client can move without knowing it.
        Assert.Equal(leader.ClientEndPoint, redirect.LeaderAddress);

        using ClientConnection atLeader = GatewayExchange.Connect(redirect.LeaderAddress!);
        SubmitReply ok = GatewayExchange.Submit(atLeader, 2, order);
        Assert.Equal((SubmitStatus.Ok, leader.Id), (ok.Status, ok.NodeId));
        Assert.False(follower.StateMachine.TryGetClient(78, out _));
    }

    [Fact]
    public async Task A_client_that_knows_only_a_follower_reaches_the_leader_by_the_address_in_NotLeader()
    {
        await using LocalCluster cluster = await StartedClusterAsync(3);
        SampleNode follower = cluster.Running.First(n => n.Id != cluster.Leader!.Id);
        var onlyFollower = new Dictionary<ulong, IPEndPoint> { [follower.Id] = follower.ClientEndPoint };
        using var client = new OrderClient(new OrderClientOptions { Nodes = onlyFollower, Instruments = RaftSettings.Instruments, Sessions = 4 });
        Assert.True(client.Run(TimeSpan.FromMilliseconds(800)), "orders left unanswered");
        Assert.True(client.Statistics.Acked > 0, "no order acknowledged");
        Assert.Equal(cluster.Leader!.Id, client.Leader);
    }

    [Fact]
    public async Task A_leader_stopped_under_load_moves_the_client_and_every_acknowledged_order_is_on_every_replica()
    {
        await using LocalCluster cluster = await StartedClusterAsync(3);
        using var client = new OrderClient(new OrderClientOptions { Nodes = cluster.ClientEndPoints, Instruments = RaftSettings.Instruments, Sessions = 16 });
        Task<bool> run = Task.Factory.StartNew(() => client.Run(TimeSpan.FromSeconds(3)), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Assert.True(Wait.Until(() => client.Statistics.Acked > 200, Timeout), "no orders acknowledged");
        SampleNode leader = cluster.Leader!;
        long ackedBefore = client.Statistics.Acked;
        await cluster.StopAsync(leader.Id);
        Assert.True(await run.WaitAsync(TimeSpan.FromSeconds(60)), "orders left unanswered");
        Assert.True(client.Statistics.Acked > ackedBefore, "no order acknowledged after the leader stopped");
        Assert.True(client.Statistics.Disconnects >= 1, "the client never saw its connection to the stopped leader close");
        Assert.NotEqual(leader.Id, client.Leader);

        cluster.Restart(leader.Id);
        Assert.True(Wait.Until(() => cluster.Converged(), Timeout), "the replicas did not converge");
        CheckResult check = ClusterCheck.Verify(cluster.ReadStates(client.ClientIds), client.Outcomes, 3);
        Assert.True(check.Passed, string.Join("\n", check.Problems));
        Assert.Equal(3, cluster.ReadStates(client.ClientIds).Count);
    }

    [Fact]
    public async Task A_thousand_connections_at_once_each_pipelining_three_orders_are_all_answered()
    {
        await using LocalCluster cluster = await StartedClusterAsync(1);
        SampleNode node = cluster.Leader!;
        const int Connections = 1_000;
        const int PerConnection = 3;
        var open = new List<ClientConnection>(Connections);
        try
        {
            for (int i = 0; i < Connections; i++)
            {
                ClientConnection c = GatewayExchange.Connect(node.ClientEndPoint);
                open.Add(c);
                for (int k = 0; k < PerConnection; k++)
                {
                    ulong id = (ulong)(i * PerConnection + k + 1);
                    c.Queue(GatewayExchange.SubmitRequest(id, Order(10_000 + id, 1)));
                }
                Assert.True(c.Flush());
            }
            Assert.True(Wait.Until(() => node.ClientPort.ConnectionsOpen == Connections, Timeout), $"{node.ClientPort.ConnectionsOpen} open");
            int answered = 0;
            for (int i = 0; i < Connections; i++)
            {
                var ids = new HashSet<ulong>();
                for (int k = 0; k < PerConnection; k++)
                {
                    SubmitReply reply = ReadSubmitReply(GatewayExchange.Receive(open[i]));
                    Assert.Equal(SubmitStatus.Ok, reply.Status);
                    Assert.InRange(reply.RequestId, (ulong)(i * PerConnection + 1), (ulong)((i + 1) * PerConnection));
                    Assert.True(ids.Add(reply.RequestId));
                    answered++;
                }
            }
            Assert.Equal(Connections * PerConnection, answered);
        }
        finally
        {
            open.ForEach(c => c.Dispose());
        }
        Assert.True(Wait.Until(() => node.ClientPort.ConnectionsOpen == 0, Timeout), $"{node.ClientPort.ConnectionsOpen} still open");
        Assert.Equal(Connections, node.ClientPort.ClientCloses + node.ClientPort.ConnectionErrors);
        Assert.Equal(0, node.ClientPort.Dropped);
    }
}
