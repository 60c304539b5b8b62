using FastRaft.Sample.Client;
using FastRaft.Sample.Cluster;
using FastRaft.Sample.Matching;
using FastRaft.Sample.Protocol;
using FastRaft.Tests.Udp;

namespace FastRaft.Tests.Sample;

/// <summary>A node's client gateway, spoken to request by request on an in-process cluster.</summary>
public sealed class ClientPortTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private readonly LocalCluster _cluster = new(3, null);
    private readonly Dictionary<ulong, ClientConnection> _connections = [];

    public Task InitializeAsync()
    {
        _cluster.StartAll();
        Assert.True(Wait.Until(() => _cluster.Leader is not null && _cluster.Running.All(n => n.Raft.Leader == _cluster.Leader.Id), Timeout), "no leader");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (ClientConnection c in _connections.Values)
        {
            c.Dispose();
        }
        await _cluster.DisposeAsync().AsTask().WaitAsync(Timeout);
    }

    private SampleNode Leader => _cluster.Leader!;

    private SampleNode Follower => _cluster.Running.First(n => !n.Raft.IsLeader);

    private SubmitReply Submit(SampleNode node, ulong requestId, ReadOnlySpan<byte> command)
    {
        if (!_connections.TryGetValue(node.Id, out ClientConnection? c))
        {
            _connections[node.Id] = c = GatewayExchange.Connect(node.ClientEndPoint);
        }
        return GatewayExchange.Submit(c, requestId, command);
    }

    [Fact]
    public void The_leader_applies_a_command_and_a_resend_gets_the_same_answer_without_a_second_effect()
    {
        byte[] order = CommandCodec.Encode(OrderCommand.Limit(42, 1, 1, Side.Buy, 10_000, 5));
        SubmitReply first = Submit(Leader, 1, order);
        Assert.Equal(SubmitStatus.Ok, first.Status);
        Assert.Equal(Leader.Id, first.NodeId);
        Assert.Equal((ResultCode.Accepted, 5L, false), (first.Result.Code, first.Result.Resting, first.Result.Duplicate));
        Assert.True(first.Index > 0 && first.Term > 0);

        SubmitReply again = Submit(Leader, 2, order);
        Assert.Equal(SubmitStatus.Ok, again.Status);
        Assert.Equal(first.Result with { Duplicate = true }, again.Result);
        Assert.True(again.Index > first.Index);
        Assert.True(Leader.StateMachine.TryGetClient(42, out ClientRecord rec));
        Assert.Equal(1, rec.Applied);
        Assert.Equal(1, Leader.StateMachine.RestingOrders);
    }

    [Fact]
    public void A_follower_answers_not_leader_with_the_leaders_id()
    {
        SubmitReply reply = Submit(Follower, 7, CommandCodec.Encode(OrderCommand.Market(43, 1, 1, Side.Sell, 1)));
        Assert.Equal((SubmitStatus.NotLeader, Leader.Id, Follower.Id), (reply.Status, reply.LeaderHint, reply.NodeId));
        Assert.False(Follower.StateMachine.TryGetClient(43, out _));
    }

    [Fact]
    public void Garbage_commands_are_refused_before_the_log_and_garbage_connections_are_closed_and_counted()
    {
        SubmitReply reply = Submit(Leader, 9, [0xc1, 0x00, 0x13]);
        Assert.Equal(SubmitStatus.BadRequest, reply.Status);
        Assert.Equal(CommandResult.Rejected(RejectReason.Malformed), reply.Result);

        var random = new Random(17);
        byte[] junk = new byte[300];
        for (int i = 0; i < 50; i++)
        {
            int n = random.Next(1, junk.Length);
            random.NextBytes(junk.AsSpan(0, n));
            junk[0] = (byte)(junk[0] == FastRaft.Codec.Framing.FrameFormat.Marker ? 0 : junk[0]);
            // Raw bytes with no frame around them: the gateway closes the connection.
            using System.Net.Sockets.Socket raw = GatewayExchange.RawConnect(Leader.ClientEndPoint);
            raw.Send(junk.AsSpan(0, n));
            Assert.True(GatewayExchange.ClosedByPeer(raw), "the connection stayed open");
        }
        // A valid request after the junk is still served, and the junk was counted.
        SubmitReply ok = Submit(Leader, 10, CommandCodec.Encode(OrderCommand.Limit(44, 1, 2, Side.Sell, 12_000, 3)));
        Assert.Equal(SubmitStatus.Ok, ok.Status);
        Assert.True(Wait.Until(() => Leader.ClientPort.Garbage >= 50, Timeout), $"garbage {Leader.ClientPort.Garbage}");
        Assert.True(Leader.ClientPortDropped >= 50);
        Assert.Null(Leader.Raft.Fault);
    }

    [Fact]
    public void An_invalid_order_goes_through_the_log_and_is_rejected_the_same_on_every_replica()
    {
        SubmitReply reply = Submit(Leader, 11, CommandCodec.Encode(OrderCommand.Limit(45, 1, 99, Side.Buy, 100, -3)));
        Assert.Equal(SubmitStatus.Ok, reply.Status);
        Assert.Equal(CommandResult.Rejected(RejectReason.UnknownInstrument), reply.Result);
        Assert.True(Wait.Until(() => _cluster.Running.All(n => n.StateMachine.TryGetClient(45, out ClientRecord r) && r.LastResult == reply.Result), Timeout));
    }

    [Fact]
    public void A_query_reports_the_replica_and_the_clients_asked_for()
    {
        Submit(Leader, 12, CommandCodec.Encode(OrderCommand.Limit(46, 3, 1, Side.Buy, 9_990, 1)));
        Assert.True(Wait.Until(() => _cluster.Converged(), Timeout));
        ReplicaState? state = ClusterQuery.Query(Follower.ClientEndPoint, [46, 47], TimeSpan.FromSeconds(2));
        Assert.NotNull(state);
        Assert.Equal((Follower.Id, "follower", Leader.Id), (state.NodeId, state.Role, state.Leader));
        Assert.Equal([new ClientState(46, 3, 1), new ClientState(47, 0, 0)], state.Clients);
        Assert.Equal(Leader.StateMachine.HashState().Hash, state.StateHash);
        Assert.Equal(1, state.Statistics.OrdersAccepted);
    }

    [Fact]
    public void An_order_client_follows_the_leader_from_a_follower_and_acknowledges_every_command()
    {
        // The client starts knowing no leader: it finds it by rotation and NotLeader hints.
        using var client = new OrderClient(new OrderClientOptions
        {
            Nodes = _cluster.ClientEndPoints,
            Instruments = RaftSettings.Instruments,
            Sessions = 4,
        });
        Assert.True(client.Run(TimeSpan.FromMilliseconds(500)));
        Assert.True(client.Statistics.Acked > 0);
        Assert.Equal(Leader.Id, client.Leader);
        Assert.True(Wait.Until(() => _cluster.Converged(), Timeout));
        CheckResult check = ClusterCheck.Verify(_cluster.ReadStates(client.ClientIds), client.Outcomes, 3);
        Assert.True(check.Passed, string.Join("\n", check.Problems));
        Assert.Equal(client.Statistics.Acked, client.Outcomes.Sum(o => o.Acked));
    }
}
