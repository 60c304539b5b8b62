using FastRaft.Sample.Client;
using FastRaft.Sample.Cluster;
using FastRaft.Sample.Matching;
using FastRaft.Sample.Protocol;
using FastRaft.Tests.Udp;
using MessagePack;

namespace FastRaft.Tests.Sample;

/// <summary>
/// The client port's parsers are total: no request, however malformed, makes them throw. Proven
/// on the parsers directly (no exception handler in the way) with the request that used to
/// abort the node and 100,000 random and mutated ones; then framed over a real connection to a
/// live node's gateway, which closes the connection on each frame that is no request, answers
/// the rest, keeps serving, and whose replicated state the garbage does not touch.
/// </summary>
public class ClientPortFuzzTests
{
    private const int Requests = 100_000;

    /// <summary>[1, 1, 1, bin32 of 2^31 bytes]: 9 bytes whose declared length overflowed an int inside the MessagePack reader.</summary>
    private static readonly byte[] SignBitBin32 = [0x94, 0x01, 0x01, 0x01, 0xC6, 0x80, 0x00, 0x00, 0x00];

    [Theory]
    [InlineData(new byte[] { 0x94, 0x01, 0x01, 0x01, 0xC6, 0x80, 0x00, 0x00, 0x00 })] // bin32, 2^31
    [InlineData(new byte[] { 0x94, 0x01, 0x01, 0x01, 0xC6, 0xFF, 0xFF, 0xFF, 0xFF })] // bin32, 2^32 - 1
    [InlineData(new byte[] { 0x94, 0x01, 0x01, 0x01, 0xC6, 0x00, 0x00, 0x00, 0x09 })] // bin32, one byte more than there is
    [InlineData(new byte[] { 0x94, 0x01, 0x02, 0x01, 0xDD, 0x80, 0x00, 0x00, 0x00 })] // query, array32 of 2^31 ids
    [InlineData(new byte[] { 0x98, 0x01, 0x03, 0x01, 0x01, 0x04, 0xDB, 0x80, 0x00, 0x00, 0x00 })] // membership, str32 of 2^31 bytes
    [InlineData(new byte[] { 0xDD, 0xFF, 0xFF, 0xFF, 0xFF })] // array32 of 2^32 - 1 elements
    [InlineData(new byte[] { 0x94, 0x01, 0x01, 0xCF, 0x01 })] // a uint64 cut short
    [InlineData(new byte[] { })]
    public void Requests_with_lengths_past_their_end_are_refused_without_an_exception(byte[] datagram)
    {
        Assert.False(ClientProtocol.TryReadRequest(datagram, out _));
        var counters = new ClientPortCounters();
        Assert.False(ClientEndpoint.TryParse(datagram, counters, out _));
        Assert.Equal((1L, 0L), (counters.Malformed, counters.ParseFaults));
    }

    [Fact]
    public void A_hundred_thousand_random_and_mutated_requests_are_each_parsed_or_refused_never_thrown()
    {
        var forge = new ClientRequestForge(20_250_610);
        var counters = new ClientPortCounters();
        int accepted = 0, submits = 0, decodable = 0;
        for (int i = 0; i < Requests; i++)
        {
            byte[] d = forge.Mutate(forge.ValidRequest());
            // No handler around this call: an exception fails the test, which is the point.
            if (!ClientProtocol.TryReadRequest(d, out ClientRequest request))
            {
                continue;
            }
            accepted++;
            switch (request.Kind)
            {
                case ClientProtocol.KindSubmit:
                    submits++;
                    var reader = new MessagePackReader(request.Command);
                    if (CommandCodec.TryRead(ref reader, out _) && reader.End)
                    {
                        decodable++;
                    }
                    break;
                case ClientProtocol.KindQuery:
                    Assert.InRange(request.ClientIds.Length, 0, ClientProtocol.MaxQueryClients);
                    break;
                default:
                    Assert.InRange(request.Membership.SignedLength, 1, d.Length);
                    Assert.True(request.Membership.Mac.IsEmpty || request.Membership.Mac.Length == MembershipAuthentication.MacSize);
                    break;
            }
        }
        // Through the endpoint's own entry point as well: everything is counted, nothing faults.
        forge = new ClientRequestForge(20_250_610);
        int parsed = 0;
        for (int i = 0; i < Requests; i++)
        {
            parsed += ClientEndpoint.TryParse(forge.Mutate(forge.ValidRequest()), counters, out _) ? 1 : 0;
        }
        Assert.Equal(accepted, parsed);
        Assert.Equal(Requests - accepted, counters.Malformed);
        Assert.Equal(0, counters.ParseFaults);
        // The mix exercised both outcomes, and mutated commands that still parse as requests.
        Assert.InRange(accepted, Requests / 10, Requests * 9 / 10);
        Assert.True(submits > decodable && decodable > 0, $"{submits} submits, {decodable} decodable");
    }

    [Fact]
    public void Mutated_replies_are_each_parsed_or_refused_never_thrown()
    {
        var forge = new ClientRequestForge(77);
        int accepted = 0;
        const int Count = 30_000;
        for (int i = 0; i < Count; i++)
        {
            byte[] d = forge.Mutate(forge.ValidReply());
            var reader = new MessagePackReader(d);
            if (!ClientProtocol.TryReadReplyHeader(ref reader, out byte kind, out ulong id, out int fields))
            {
                continue;
            }
            bool ok = kind switch
            {
                ClientProtocol.KindSubmit => ClientProtocol.TryReadSubmitReply(ref reader, id, fields, out _),
                ClientProtocol.KindQuery => ClientProtocol.TryReadQueryReply(ref reader, fields, out _),
                _ => ClientProtocol.TryReadMembershipReply(ref reader, id, fields, out _),
            };
            accepted += ok ? 1 : 0;
        }
        Assert.InRange(accepted, Count / 10, Count * 9 / 10);
    }

    [Fact]
    public async Task A_burst_of_garbage_at_a_live_client_gateway_is_counted_and_changes_nothing()
    {
        await using var cluster = new LocalCluster(3, null);
        cluster.StartAll();
        // Settled: the leader's own first entry is applied everywhere (before it, the bootstrap's
        // configuration entries leave the engine at index 0 and the state still moves).
        Assert.True(Wait.Until(() => cluster.Converged() && cluster.Leader!.StateMachine.LastIndex == cluster.Leader.Raft.CommitIndex,
            TimeSpan.FromSeconds(15)), "no leader");
        SampleNode leader = cluster.Leader!;
        SampleNode follower = cluster.Running.First(n => n != leader);
        (ulong indexBefore, byte[] hashBefore) = leader.StateMachine.HashState();

        using (ClientConnection first = GatewayExchange.Connect(leader.ClientEndPoint))
        {
            first.Queue(SignBitBin32);
            Assert.True(first.Flush());
            Assert.True(GatewayExchange.WaitClosed(first), "a frame that is no request left the connection open");
        }
        Assert.True(Wait.Until(() => leader.ClientPort.Malformed == 1), "the 9-byte request was not counted");

        // Garbage only: a mutation that is still a submit of a valid command would be a real order.
        // A frame that is not a request closes its connection; one that is gets its answer.
        var forge = new ClientRequestForge(4242);
        var refused = new Dictionary<SampleNode, long> { [leader] = 1, [follower] = 0 };
        var answered = new Dictionary<SampleNode, long> { [leader] = 0, [follower] = 0 };
        var connections = new Dictionary<SampleNode, ClientConnection>();
        try
        {
            for (int i = 0; i < 2_000; i++)
            {
                SampleNode target = i % 3 == 2 ? follower : leader;
                byte[] d = forge.Mutate(forge.ValidRequest());
                bool isRequest = ClientProtocol.TryReadRequest(d, out ClientRequest r);
                if (isRequest && r.Kind == ClientProtocol.KindSubmit && CommandCodec.TryDecode(r.Command, out _))
                {
                    continue;
                }
                if (!connections.TryGetValue(target, out ClientConnection? c))
                {
                    connections[target] = c = GatewayExchange.Connect(target.ClientEndPoint);
                }
                c.Queue(d);
                Assert.True(c.Flush());
                if (isRequest)
                {
                    GatewayExchange.Receive(c);
                    answered[target]++;
                }
                else
                {
                    Assert.True(GatewayExchange.WaitClosed(c), "a frame that is no request left the connection open");
                    c.Dispose();
                    connections.Remove(target);
                    refused[target]++;
                }
            }
        }
        finally
        {
            foreach (ClientConnection c in connections.Values)
            {
                c.Dispose();
            }
        }
        foreach (SampleNode n in refused.Keys)
        {
            ClientPortCounters c = n.ClientPort;
            Assert.True(Wait.Until(() => n.ClientPort.Malformed == refused[n]), $"node {n.Id}: {n.ClientPort.Malformed} malformed of {refused[n]} refused");
            Assert.True(refused[n] > 100 && answered[n] > 100, $"node {n.Id}: {refused[n]} refused, {answered[n]} answered");
            Assert.True(c.Unauthorized > 0, $"node {n.Id}: no membership request was refused");
            Assert.Equal((0L, 0L), (c.ParseFaults, c.HandlerFaults));
            Assert.Null(n.Raft.Fault);
        }

        // Nothing reached the log or the membership.
        Assert.True(Wait.Until(() => cluster.Converged(), TimeSpan.FromSeconds(15)));
        (ulong indexAfter, byte[] hashAfter) = leader.StateMachine.HashState();
        Assert.Equal(indexBefore, indexAfter);
        Assert.Equal(hashBefore, hashAfter);
        foreach (SampleNode n in cluster.Running)
        {
            Assert.Equal([1UL, 2UL, 3UL], n.Members.Voters);
            Assert.Empty(n.Members.Learners);
            Assert.Equal(hashBefore, n.StateMachine.HashState().Hash);
        }

        // And the gateway still serves a real client.
        using var client = new OrderClient(new OrderClientOptions { Nodes = cluster.ClientEndPoints, Instruments = RaftSettings.Instruments, Sessions = 4 });
        Assert.True(client.Run(TimeSpan.FromMilliseconds(300)));
        Assert.True(client.Statistics.Acked > 0);
        Assert.True(Wait.Until(() => cluster.Converged(), TimeSpan.FromSeconds(15)));
        CheckResult check = ClusterCheck.Verify(cluster.ReadStates(client.ClientIds), client.Outcomes, 3);
        Assert.True(check.Passed, string.Join("\n", check.Problems));
        Assert.Equal(0, client.Statistics.BadRequests);
    }
}
