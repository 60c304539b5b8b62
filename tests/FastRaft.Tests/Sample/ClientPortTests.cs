using System.Buffers;
using System.Net;
using System.Net.Sockets;
using FastRaft.Sample.Client;
using FastRaft.Sample.Cluster;
using FastRaft.Sample.Matching;
using FastRaft.Sample.Protocol;
using FastRaft.Tests.Udp;
using MessagePack;

namespace FastRaft.Tests.Sample;

/// <summary>A node's client port, spoken to datagram by datagram on an in-process cluster.</summary>
public sealed class ClientPortTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    private readonly LocalCluster _cluster = new(3, null);
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

    public Task InitializeAsync()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _socket.ReceiveTimeout = 2000;
        _cluster.StartAll();
        Assert.True(Wait.Until(() => _cluster.Leader is not null && _cluster.Running.All(n => n.Raft.Leader == _cluster.Leader.Id), Timeout), "no leader");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _socket.Dispose();
        await _cluster.DisposeAsync().AsTask().WaitAsync(Timeout);
    }

    private SampleNode Leader => _cluster.Leader!;

    private SampleNode Follower => _cluster.Running.First(n => !n.Raft.IsLeader);

    private SubmitReply Submit(SampleNode node, ulong requestId, ReadOnlySpan<byte> command)
    {
        var request = new ArrayBufferWriter<byte>();
        ClientProtocol.WriteSubmit(request, requestId, command);
        _socket.SendTo(request.WrittenSpan, node.ClientEndPoint);
        return ReceiveSubmitReply(requestId);
    }

    private SubmitReply ReceiveSubmitReply(ulong requestId)
    {
        byte[] buffer = new byte[ClientProtocol.MaxDatagramSize];
        while (true)
        {
            int n = _socket.Receive(buffer);
            var reader = new MessagePackReader(buffer.AsMemory(0, n));
            Assert.True(ClientProtocol.TryReadReplyHeader(ref reader, out byte kind, out ulong id, out int fields));
            if (id != requestId)
            {
                continue;
            }
            Assert.Equal(ClientProtocol.KindSubmit, kind);
            Assert.True(ClientProtocol.TryReadSubmitReply(ref reader, id, fields, out SubmitReply reply));
            return reply;
        }
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
    public void Garbage_commands_are_refused_before_the_log_and_garbage_datagrams_are_dropped()
    {
        SubmitReply reply = Submit(Leader, 9, [0xc1, 0x00, 0x13]);
        Assert.Equal(SubmitStatus.BadRequest, reply.Status);
        Assert.Equal(CommandResult.Rejected(RejectReason.Malformed), reply.Result);

        var random = new Random(17);
        byte[] junk = new byte[300];
        for (int i = 0; i < 500; i++)
        {
            int n = random.Next(1, junk.Length);
            random.NextBytes(junk.AsSpan(0, n));
            _socket.SendTo(junk.AsSpan(0, n), Leader.ClientEndPoint);
        }
        // A valid request behind the junk is still served, and the junk was counted.
        SubmitReply ok = Submit(Leader, 10, CommandCodec.Encode(OrderCommand.Limit(44, 1, 2, Side.Sell, 12_000, 3)));
        Assert.Equal(SubmitStatus.Ok, ok.Status);
        Assert.True(Wait.Until(() => Leader.ClientDatagramsDropped >= 490, Timeout), $"dropped {Leader.ClientDatagramsDropped}");
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
