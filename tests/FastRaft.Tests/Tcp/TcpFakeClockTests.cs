using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using FastRaft.Protocol;
using FastRaft.Tests.Udp;
using FastRaft.Transport.Tcp;
using Microsoft.Extensions.Time.Testing;

namespace FastRaft.Tests.Tcp;

/// <summary>
/// The TCP transport's deadlines with receive tasks (handshake, idle, redial backoff) follow
/// <see cref="TcpTransportOptions.Time"/>: each is an hour long here and passes when a
/// <see cref="FakeTimeProvider"/> is advanced, within seconds of wall time. The clock is advanced
/// a step at a time until the outcome shows, because the transport's tasks create their timers
/// asynchronously (a timer created after an advance starts from the clock's new time).
/// </summary>
public sealed class TcpFakeClockTests : IDisposable
{
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly FakeTimeProvider _clock = new();
    private readonly RecordingSink _sink = new();
    private TcpTransport? _transport;

    private TcpTransport Start(IPEndPoint peer, TimeSpan? idleTimeout = null)
    {
        _transport = new TcpTransport(new TcpTransportOptions
        {
            LocalId = 1,
            ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            Peers = new Dictionary<ulong, IPEndPoint> { [2] = peer },
            ClusterKey = _key,
            ReceiveTasks = true,
            HandshakeTimeout = Hour,
            FrameTimeout = Hour,
            IdleTimeout = idleTimeout ?? Timeout.InfiniteTimeSpan,
            MinReconnectDelay = Hour,
            MaxReconnectDelay = 2 * Hour,
            Time = _clock,
        });
        _transport.StartPumped(_sink);
        return _transport;
    }

    /// <summary>Advances the fake clock by <paramref name="step"/> until <paramref name="done"/> (bounded in wall time).</summary>
    private bool AdvanceUntil(Func<bool> done, TimeSpan step) => Wait.Until(() =>
    {
        if (done())
        {
            return true;
        }
        _clock.Advance(step);
        return done();
    });

    [Fact]
    public async Task A_connection_that_never_completes_its_handshake_is_refused_when_the_clock_passes_the_handshake_timeout()
    {
        TcpTransport listener = Start(new IPEndPoint(IPAddress.Loopback, 9));
        using Socket silent = await TcpTestPeers.ConnectAsync(listener.LocalEndPoint!);

        Assert.True(AdvanceUntil(() => listener.Counters.Refused(TcpRefusalReason.HandshakeTimeout) == 1, TimeSpan.FromMinutes(20)));
        Assert.Equal(0, listener.Counters.Refused(TcpRefusalReason.NotAHandshake));
    }

    [Fact]
    public async Task A_silent_peer_is_closed_as_idle_when_the_clock_passes_the_idle_timeout()
    {
        TcpTransport listener = Start(new IPEndPoint(IPAddress.Loopback, 9), idleTimeout: Hour);
        using RawKeyedPeer peer = await RawKeyedPeer.ConnectAsync(listener.LocalEndPoint!, _key, 2, 1);
        await peer.SendAsync(RawKeyedPeer.Heartbeat(2, 1));
        Assert.True(_sink.WaitFor(1));
        Assert.Equal(0, listener.Counters.Refused(TcpRefusalReason.Idle));

        Assert.True(AdvanceUntil(() => listener.Counters.Refused(TcpRefusalReason.Idle) == 1, TimeSpan.FromMinutes(20)));
        Assert.Equal(0, listener.Counters.Refused(TcpRefusalReason.SlowSender));
    }

    [Fact]
    public void A_failed_dial_is_retried_after_the_backoff_measured_on_the_clock()
    {
        IPEndPoint nobody = TcpTestPeers.FreeLoopback();
        TcpTransport dialler = Start(nobody);
        dialler.Send(RawKeyedPeer.Heartbeat(1, 2));
        dialler.Flush();
        Assert.True(Wait.Until(() => dialler.Counters.DialFailures >= 1));

        // The first retry waits MinReconnectDelay (an hour) on the fake clock.
        Assert.True(AdvanceUntil(() => dialler.Counters.DialFailures >= 2, TimeSpan.FromMinutes(20)));
    }

    public void Dispose() => _transport?.Dispose();
}
