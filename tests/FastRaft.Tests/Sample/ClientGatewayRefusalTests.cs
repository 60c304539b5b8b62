using System.Diagnostics;
using System.Net.Sockets;
using FastRaft.Codec.Framing;
using FastRaft.Sample.Client;
using FastRaft.Sample.Cluster;
using FastRaft.Sample.Gateway;
using FastRaft.Sample.Matching;
using FastRaft.Sample.Protocol;
using FastRaft.Tests.Udp;

namespace FastRaft.Tests.Sample;

/// <summary>
/// Bad input at a live node's client gateway: each case is closed and counted under its own
/// reason, and a good client is served right after. One node per test, so counts are exact.
/// </summary>
public sealed class ClientGatewayRefusalTests : IAsyncLifetime
{
    private const int ConnectionLimit = 40;
    private static readonly TimeSpan FrameTimeout = TimeSpan.FromMilliseconds(300);

    private readonly StringWriter _log = new();
    private readonly LocalCluster _cluster;

    public ClientGatewayRefusalTests()
    {
        var logger = new FastRaft.Sample.Logging.TextWriterLogger(TextWriter.Synchronized(_log), Microsoft.Extensions.Logging.LogLevel.Warning);
        _cluster = new LocalCluster(1, null, logger, gateway: new ClientGatewayOptions
        {
            FrameReadTimeout = FrameTimeout,
            MaxConnections = ConnectionLimit,
        });
    }

    private SampleNode Node => _cluster.Running.Single();

    private ClientPortCounters Counters => Node.ClientPort;

    public Task InitializeAsync()
    {
        _cluster.StartAll();
        Assert.True(Wait.Until(() => _cluster.Converged(), GatewayExchange.Timeout), "no leader");
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    /// <summary>Sends <paramref name="bytes"/> on a plain socket and checks that the gateway closes it.</summary>
    private void SendAndExpectClose(byte[] bytes, bool shutdownSend = false)
    {
        using Socket raw = GatewayExchange.RawConnect(Node.ClientEndPoint);
        raw.Send(bytes);
        if (shutdownSend)
        {
            raw.Shutdown(SocketShutdown.Send);
        }
        Assert.True(GatewayExchange.ClosedByPeer(raw), "the gateway kept the connection open");
    }

    /// <summary>
    /// Each refusal was counted and logged once, with its reason and the client's address; nothing
    /// else was refused; and the node still serves a good client.
    /// </summary>
    private void AssertStillServing(GatewayRefusal reason, long count)
    {
        Assert.True(Wait.Until(() => Counters.Refused(reason) == count, GatewayExchange.Timeout), $"{reason}: {Counters.Refused(reason)} counted, {count} expected");
        Assert.Equal(count, Counters.RefusedConnections);
        string[] logged = [.. _log.ToString().Split('\n').Where(l => l.Contains("client gateway of node 1: closed the connection from 127.0.0.1:", StringComparison.Ordinal))];
        Assert.Equal(count, logged.Length);
        Assert.All(logged, l => Assert.EndsWith($"({reason})", l.TrimEnd(), StringComparison.Ordinal));
        using ClientConnection c = GatewayExchange.Connect(Node.ClientEndPoint);
        SubmitReply reply = GatewayExchange.Submit(c, 1, CommandCodec.Encode(OrderCommand.Limit(5, 1, 1, Side.Buy, 10_000, 1)));
        Assert.Equal(SubmitStatus.Ok, reply.Status);
        Assert.Null(Node.Raft.Fault);
    }

    [Fact]
    public void Garbage_bytes_close_the_connection()
    {
        SendAndExpectClose([0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08]);
        AssertStillServing(GatewayRefusal.Garbage, 1);
    }

    [Fact]
    public void A_frame_header_announcing_more_than_the_maximum_closes_the_connection_before_the_payload()
    {
        SendAndExpectClose([FrameFormat.Marker, 0x7F, 0xFF, 0xFF, 0xFF]);
        AssertStillServing(GatewayRefusal.OversizeFrame, 1);
        Assert.Equal(ClientProtocol.MaxMessageSize, Node.GatewayOptions.MaxFrameBytes);
    }

    [Fact]
    public void A_well_framed_payload_that_is_no_request_closes_the_connection()
    {
        using ClientConnection c = GatewayExchange.Connect(Node.ClientEndPoint);
        c.Queue([0x93, 0x01, 0x02, 0x03]);
        Assert.True(c.Flush());
        Assert.True(GatewayExchange.WaitClosed(c));
        AssertStillServing(GatewayRefusal.MalformedRequest, 1);
        Assert.Equal(1, Counters.Malformed);
    }

    [Fact]
    public void A_sender_that_never_completes_its_frame_is_closed_at_the_read_deadline()
    {
        using Socket raw = GatewayExchange.RawConnect(Node.ClientEndPoint);
        // A header for 100 bytes, then a trickle that keeps the connection busy but never completes the
        // frame. Paced so the trickle lasts about 30 s (100 times the deadline): the gateway's sweep
        // runs on a thread-pool timer, which a loaded full test run has been seen to delay by 9 s.
        raw.Send([FrameFormat.Marker, 0, 0, 0, 100, 0x94, 0x01, 0x01]);
        var clock = Stopwatch.StartNew();
        bool closed = false;
        for (int sent = 3; sent < 99 && !closed; sent++)
        {
            try
            {
                raw.Send([0x00]);
                closed = raw.Poll(320_000, SelectMode.SelectRead) && GatewayExchange.ClosedByPeer(raw);
            }
            catch (SocketException)
            {
                closed = true;
            }
        }
        Assert.True(closed, $"still open after {clock.Elapsed}");
        AssertStillServing(GatewayRefusal.SlowFrame, 1);
    }

    [Fact]
    public void A_connection_flood_beyond_the_limit_is_closed_at_once_and_the_connections_within_it_keep_working()
    {
        var kept = new List<ClientConnection>();
        try
        {
            for (int i = 0; i < ConnectionLimit; i++)
            {
                kept.Add(GatewayExchange.Connect(Node.ClientEndPoint));
            }
            Assert.True(Wait.Until(() => Counters.ConnectionsOpen == ConnectionLimit, GatewayExchange.Timeout));
            const int Flood = 60;
            for (int i = 0; i < Flood; i++)
            {
                using Socket extra = GatewayExchange.RawConnect(Node.ClientEndPoint);
                Assert.True(GatewayExchange.ClosedByPeer(extra), "a connection beyond the limit stayed open");
            }
            Assert.True(Wait.Until(() => Counters.TooManyConnections == Flood, GatewayExchange.Timeout), $"{Counters.TooManyConnections} refused");
            Assert.Equal(ConnectionLimit, Counters.ConnectionsOpen);
            ulong requestId = 100;
            foreach (ClientConnection c in kept)
            {
                ulong id = requestId++;
                SubmitReply reply = GatewayExchange.Submit(c, id, CommandCodec.Encode(OrderCommand.Limit(id, 1, 1, Side.Buy, 10_000, 1)));
                Assert.Equal(SubmitStatus.Ok, reply.Status);
            }
            Assert.Equal(Flood, Counters.RefusedConnections);
        }
        finally
        {
            kept.ForEach(c => c.Dispose());
        }
        Assert.True(Wait.Until(() => Counters.ConnectionsOpen == 0, GatewayExchange.Timeout));
        AssertStillServing(GatewayRefusal.TooManyConnections, 60);
    }

    [Fact]
    public void A_half_closed_connection_gets_every_outstanding_reply_then_the_close()
    {
        const int Requests = 300;
        using ClientConnection c = GatewayExchange.Connect(Node.ClientEndPoint);
        for (int i = 1; i <= Requests; i++)
        {
            c.Queue(GatewayExchange.SubmitRequest((ulong)i, CommandCodec.Encode(OrderCommand.Limit(500 + (ulong)i, 1, 2, Side.Sell, 20_000, 1))));
        }
        Assert.True(c.Flush());
        c.ShutdownSend();
        var replies = new List<byte[]>();
        Assert.True(GatewayExchange.WaitClosed(c, replies), "the gateway never closed the half-closed connection");
        Assert.Equal(Requests, replies.Count);
        Assert.True(Wait.Until(() => Counters.ClientCloses == 1, GatewayExchange.Timeout));
        AssertStillServing(GatewayRefusal.None, 0);
        for (ulong client = 501; client <= 500 + Requests; client++)
        {
            Assert.True(Node.StateMachine.TryGetClient(client, out ClientRecord r) && r.Applied == 1);
        }
    }

    [Fact]
    public void A_stream_that_ends_inside_a_frame_is_closed_as_cut()
    {
        SendAndExpectClose([FrameFormat.Marker, 0, 0, 0, 100, 0x94, 0x01], shutdownSend: true);
        AssertStillServing(GatewayRefusal.CutFrame, 1);
    }
}
