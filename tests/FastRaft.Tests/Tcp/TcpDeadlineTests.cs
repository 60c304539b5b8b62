using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using FastRaft.Codec.Framing;
using FastRaft.Tests.Udp;
using FastRaft.Transport.Tcp;
using FastRaft.Transport.Tcp.Security;

namespace FastRaft.Tests.Tcp;

/// <summary>
/// What a connection does after its handshake that is not a stream of good frames — a frame that
/// stalls or trickles, silence (with the idle timeout on), a half-close, a cut frame, garbage,
/// an oversized header, a wrong MAC, a forged sender — each closes (or, for a forged sender,
/// drops) under its own counted reason, and a good peer still gets through afterwards.
/// </summary>
public sealed class TcpDeadlineTests : IDisposable
{
    private readonly byte[] _key = RandomNumberGenerator.GetBytes(32);
    private readonly RecordingSink _sink = new();
    private TcpTransport? _listener;

    private TcpTransport Listen(bool receiveTasks, TimeSpan? frameTimeout = null, TimeSpan? idleTimeout = null)
    {
        _listener = new TcpTransport(new TcpTransportOptions
        {
            LocalId = 1,
            ListenEndPoint = new IPEndPoint(IPAddress.Loopback, 0),
            Peers = new Dictionary<ulong, IPEndPoint> { [2] = new IPEndPoint(IPAddress.Loopback, 9), [3] = new IPEndPoint(IPAddress.Loopback, 9) },
            ClusterKey = _key,
            FrameTimeout = frameTimeout ?? TimeSpan.FromSeconds(5),
            IdleTimeout = idleTimeout ?? Timeout.InfiniteTimeSpan,
            ReceiveTasks = receiveTasks,
        });
        _listener.StartPumped(_sink);
        return _listener;
    }

    private Task<RawKeyedPeer> Dial(TcpTransport listener, ulong id) => RawKeyedPeer.ConnectAsync(listener.LocalEndPoint!, _key, id, 1);

    /// <summary>A fresh peer (node 3) connects and gets a message delivered.</summary>
    private async Task AssertAGoodPeerGetsThrough(TcpTransport listener)
    {
        long before = _sink.Count;
        using RawKeyedPeer good = await Dial(listener, 3);
        await good.SendAsync(RawKeyedPeer.Heartbeat(3, 1));
        Assert.True(_sink.WaitFor(before + 1), "a good peer got nothing through");
    }

    private static byte[] FrameHeader(int payloadLength) =>
        [FrameFormat.Marker, (byte)(payloadLength >> 24), (byte)(payloadLength >> 16), (byte)(payloadLength >> 8), (byte)payloadLength];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_frame_that_stalls_after_its_first_bytes_is_cut_off_as_a_slow_sender(bool receiveTasks)
    {
        TcpTransport listener = Listen(receiveTasks, frameTimeout: TimeSpan.FromMilliseconds(300));
        using RawKeyedPeer slow = await Dial(listener, 2);
        await slow.SendAsync(RawKeyedPeer.Heartbeat(2, 1));
        Assert.True(_sink.WaitFor(1));
        await slow.SendRawAsync([.. FrameHeader(200), .. new byte[20]]);

        Assert.True(Wait.Until(() => listener.Counters.Refused(TcpRefusalReason.SlowSender) == 1), "the stalled frame was not cut off");
        Assert.True(await TcpTestPeers.ClosedByPeerAsync(slow.Socket));
        await AssertAGoodPeerGetsThrough(listener);
        Assert.Equal(0, listener.Counters.BadFrames);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_frame_trickled_a_byte_at_a_time_is_cut_off_although_bytes_keep_coming(bool receiveTasks)
    {
        TcpTransport listener = Listen(receiveTasks, frameTimeout: TimeSpan.FromMilliseconds(400));
        using RawKeyedPeer trickler = await Dial(listener, 2);
        const int FrameLength = 2_000;
        await trickler.SendRawAsync(FrameHeader(FrameLength));
        int sent = 0;
        try
        {
            // One byte per 20 ms would take 40 s to finish the frame; each byte resets no clock.
            while (sent < FrameLength && listener.Counters.Refused(TcpRefusalReason.SlowSender) == 0)
            {
                await trickler.SendRawAsync([0]);
                sent++;
                await Task.Delay(20);
            }
        }
        catch (SocketException)
        {
            // The listener closed the connection under us.
        }
        Assert.True(Wait.Until(() => listener.Counters.Refused(TcpRefusalReason.SlowSender) == 1), $"the trickled frame was not cut off ({sent} bytes sent)");
        Assert.True(sent < FrameLength);
        Assert.True(await TcpTestPeers.ClosedByPeerAsync(trickler.Socket));
        await AssertAGoodPeerGetsThrough(listener);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task With_the_idle_timeout_on_a_connection_that_falls_silent_is_closed(bool receiveTasks)
    {
        TcpTransport listener = Listen(receiveTasks, idleTimeout: TimeSpan.FromMilliseconds(300));
        using RawKeyedPeer silent = await Dial(listener, 2);
        await silent.SendAsync(RawKeyedPeer.Heartbeat(2, 1));
        Assert.True(_sink.WaitFor(1));

        Assert.True(Wait.Until(() => listener.Counters.Refused(TcpRefusalReason.Idle) == 1), "the silent connection was not closed");
        Assert.True(await TcpTestPeers.ClosedByPeerAsync(silent.Socket));
        Assert.Equal(0, listener.Counters.Refused(TcpRefusalReason.SlowSender));
        await AssertAGoodPeerGetsThrough(listener);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_peer_that_half_closes_gets_its_connection_closed_cleanly_and_counted_after_its_messages(bool receiveTasks)
    {
        TcpTransport listener = Listen(receiveTasks);
        using RawKeyedPeer peer = await Dial(listener, 2);
        for (ulong i = 1; i <= 3; i++)
        {
            Assert.True(peer.Channel.TryWrite(RawKeyedPeer.Heartbeat(2, 1, commit: i)));
        }
        peer.Channel.Flush();
        await peer.Channel.Writer.WaitUntilResumedAsync();
        peer.Socket.Shutdown(SocketShutdown.Send);

        Assert.True(Wait.Until(() => listener.Counters.Refused(TcpRefusalReason.PeerClosed) == 1), "the half-closed connection was not counted");
        Assert.True(await TcpTestPeers.ClosedByPeerAsync(peer.Socket));
        Assert.Equal([1UL, 2UL, 3UL], _sink.Messages().Select(m => m.Commit));
        Assert.Equal(0, listener.Counters.BadFrames);
        await AssertAGoodPeerGetsThrough(listener);
    }

    public enum BadStream
    {
        Garbage,
        OversizedHeader,
        WrongMac,
        CutFrame,
    }

    [Theory]
    [InlineData(BadStream.Garbage, TcpRefusalReason.BadFrame, false)]
    [InlineData(BadStream.OversizedHeader, TcpRefusalReason.Oversize, false)]
    [InlineData(BadStream.WrongMac, TcpRefusalReason.BadMac, false)]
    [InlineData(BadStream.CutFrame, TcpRefusalReason.TruncatedFrame, false)]
    [InlineData(BadStream.Garbage, TcpRefusalReason.BadFrame, true)]
    [InlineData(BadStream.OversizedHeader, TcpRefusalReason.Oversize, true)]
    [InlineData(BadStream.WrongMac, TcpRefusalReason.BadMac, true)]
    [InlineData(BadStream.CutFrame, TcpRefusalReason.TruncatedFrame, true)]
    public async Task A_bad_stream_after_the_handshake_is_closed_under_its_own_reason(BadStream kind, TcpRefusalReason expected, bool receiveTasks)
    {
        TcpTransport listener = Listen(receiveTasks);
        using RawKeyedPeer peer = await Dial(listener, 2);
        await peer.SendAsync(RawKeyedPeer.Heartbeat(2, 1));
        Assert.True(_sink.WaitFor(1));
        switch (kind)
        {
            case BadStream.Garbage:
                await peer.SendRawAsync([0x01, 0x02, 0x03, 0x04, 0x05, 0x06]);
                break;
            case BadStream.OversizedHeader:
                await peer.SendRawAsync(FrameHeader(FrameFormat.DefaultMaxPayloadBytes + 64));
                break;
            case BadStream.WrongMac:
                using (var forger = new AuthenticatedFrameChannel(new System.IO.Pipelines.Pipe().Reader, peer.Output,
                    new FrameAuthenticator(RandomNumberGenerator.GetBytes(32)), new FrameAuthenticator(RandomNumberGenerator.GetBytes(32))))
                {
                    Assert.True(forger.TryWrite(RawKeyedPeer.Heartbeat(2, 1)));
                    forger.Flush();
                    await forger.Writer.WaitUntilResumedAsync();
                }
                break;
            default:
                await peer.SendRawAsync([.. FrameHeader(100), .. new byte[40]]);
                peer.Socket.Shutdown(SocketShutdown.Send);
                break;
        }
        Assert.True(Wait.Until(() => listener.Counters.Refused(expected) == 1), $"not refused as {expected}");
        Assert.True(await TcpTestPeers.ClosedByPeerAsync(peer.Socket));
        Assert.Equal(1, listener.Counters.BadFrames);
        Assert.Equal(1, _sink.Count);
        await AssertAGoodPeerGetsThrough(listener);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_message_claiming_another_sender_is_dropped_and_counted_while_the_connection_goes_on(bool receiveTasks)
    {
        TcpTransport listener = Listen(receiveTasks);
        using RawKeyedPeer peer = await Dial(listener, 2);
        await peer.SendAsync(RawKeyedPeer.Heartbeat(3, 1, commit: 1)); // claims to be node 3
        await peer.SendAsync(RawKeyedPeer.Heartbeat(2, 1, commit: 2));
        Assert.True(_sink.WaitFor(1));
        Assert.Equal(1, listener.Counters.Refused(TcpRefusalReason.ForgedSender));
        Assert.Equal([2UL], _sink.Messages().Select(m => m.Commit));
    }

    public void Dispose() => _listener?.Dispose();
}
