using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using FastRaft.Codec.Framing;
using FastRaft.Tests.Udp;
using FastRaft.Transport.Tcp;
using FastRaft.Transport.Tcp.Security;
using Microsoft.Extensions.Logging;

namespace FastRaft.Tests.Tcp;

/// <summary>Every refusal is logged once, as a warning naming the remote address and the reason; a flood is summarised; a disabled logger is never written to.</summary>
public sealed class TcpLoggingTests : IDisposable
{
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private TcpTransport? _listener;

    private TcpTransport Listen(ILogger log, int maxInbound = 64)
    {
        _listener = new TcpTransport(new TcpTransportOptions
        {
            LocalId = 1,
            ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            Peers = new Dictionary<ulong, IPEndPoint> { [2] = new IPEndPoint(IPAddress.Loopback, 9) },
            ClusterKey = _key,
            FrameTimeout = TimeSpan.FromMilliseconds(300),
            MaxInboundConnections = maxInbound,
            Logger = log,
        });
        _listener.StartPumped(new RecordingSink());
        return _listener;
    }

    private static void AssertLoggedOnce(ConcurrentLogger log, EndPoint from, TcpRefusalReason reason)
    {
        string tag = TcpTransportMetrics.TagOf(reason);
        List<string> lines = [.. log.Warnings().Where(w => w.Contains($"from {from}", StringComparison.Ordinal))];
        string line = Assert.Single(lines);
        Assert.Contains($": {tag}", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_refusal_is_logged_once_as_a_warning_with_the_remote_address_and_the_reason()
    {
        var log = new ConcurrentLogger();
        TcpTransport listener = Listen(log);
        IPEndPoint at = listener.LocalEndPoint!;

        // Garbage instead of a handshake.
        using (Socket garbage = await TcpTestPeers.ConnectAsync(at))
        {
            await garbage.SendAsync(Enumerable.Repeat((byte)0xEE, 64).ToArray());
            Assert.True(Wait.Until(() => listener.Counters.Refused(TcpRefusalReason.NotAHandshake) == 1));
            AssertLoggedOnce(log, garbage.LocalEndPoint!, TcpRefusalReason.NotAHandshake);
        }

        // A dialler without the cluster key: its proof is wrong.
        using (Socket wrongKey = await TcpTestPeers.ConnectAsync(at))
        {
            byte[] hello = new byte[HandshakeFormat.HelloSize];
            new DialerHandshake(RandomNumberGenerator.GetBytes(32), 2, 1).WriteHello(hello);
            await wrongKey.SendAsync(hello);
            byte[] proof = new byte[HandshakeFormat.ProofMessageSize];
            proof[0] = 0x46; proof[1] = 0x52; proof[2] = 0x54; proof[3] = 0x31;
            await wrongKey.SendAsync(proof);
            Assert.True(Wait.Until(() => listener.Counters.Refused(TcpRefusalReason.BadProof) == 1));
            AssertLoggedOnce(log, wrongKey.LocalEndPoint!, TcpRefusalReason.BadProof);
        }

        // A frame that stalls, after a good one.
        using (RawKeyedPeer slow = await RawKeyedPeer.ConnectAsync(at, _key, 2, 1))
        {
            await slow.SendAsync(RawKeyedPeer.Heartbeat(2, 1));
            await slow.SendRawAsync([FrameFormat.Marker, 0, 0, 1, 0, 7]);
            Assert.True(Wait.Until(() => listener.Counters.Refused(TcpRefusalReason.SlowSender) == 1));
            AssertLoggedOnce(log, slow.Socket.LocalEndPoint!, TcpRefusalReason.SlowSender);
        }

        // Messages under another node's name: dropped, logged once for the connection.
        using (RawKeyedPeer forger = await RawKeyedPeer.ConnectAsync(at, _key, 2, 1))
        {
            for (int i = 0; i < 3; i++)
            {
                await forger.SendAsync(RawKeyedPeer.Heartbeat(5, 1));
            }
            Assert.True(Wait.Until(() => listener.Counters.Refused(TcpRefusalReason.ForgedSender) == 3));
            string line = Assert.Single(log.Warnings(), w => w.Contains(forger.Socket.LocalEndPoint!.ToString()!, StringComparison.Ordinal));
            Assert.Contains("forged_sender", line, StringComparison.Ordinal);
            Assert.Contains("node 5", line, StringComparison.Ordinal);
        }

        Assert.Equal(4, log.Warnings().Count);
    }

    [Fact]
    public async Task A_connection_flood_is_counted_in_full_and_logged_in_summary()
    {
        var log = new ConcurrentLogger();
        TcpTransport listener = Listen(log, maxInbound: 1);
        var sockets = new List<Socket>();
        try
        {
            for (int i = 0; i < 21; i++)
            {
                sockets.Add(await TcpTestPeers.ConnectAsync(listener.LocalEndPoint!));
            }
            Assert.True(Wait.Until(() => listener.Counters.ConnectionsRefused == 20), $"{listener.Counters.ConnectionsRefused} refused");
            List<string> lines = [.. log.Warnings().Where(w => w.Contains("too_many_connections", StringComparison.Ordinal))];
            Assert.NotEmpty(lines);
            Assert.True(lines.Count < 20, $"{lines.Count} lines for 20 refusals");
        }
        finally
        {
            foreach (Socket s in sockets)
            {
                s.Dispose();
            }
        }
    }

    /// <summary>A logger that is asked, says no, and counts any write it gets anyway.</summary>
    private sealed class SilentLogger : ILogger
    {
        public long Asked;
        public long Written;

        public bool IsEnabled(LogLevel logLevel)
        {
            Interlocked.Increment(ref Asked);
            return false;
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Interlocked.Increment(ref Written);
    }

    [Fact]
    public async Task A_disabled_logger_is_asked_but_never_written_to()
    {
        var sink = new SilentLogger();
        TcpTransport listener = Listen(sink);
        using (Socket garbage = await TcpTestPeers.ConnectAsync(listener.LocalEndPoint!))
        {
            await garbage.SendAsync(Enumerable.Repeat((byte)0xEE, 64).ToArray());
        }
        using (RawKeyedPeer forger = await RawKeyedPeer.ConnectAsync(listener.LocalEndPoint!, _key, 2, 1))
        {
            await forger.SendAsync(RawKeyedPeer.Heartbeat(5, 1));
            Assert.True(Wait.Until(() => listener.Counters.Refused(TcpRefusalReason.NotAHandshake) == 1 && listener.Counters.ForgedSenders == 1));
        }
        Assert.True(Interlocked.Read(ref sink.Asked) >= 2);
        Assert.Equal(0, Interlocked.Read(ref sink.Written));
    }

    public void Dispose() => _listener?.Dispose();
}
