using System.Buffers;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FastRaft.Sample.Client;
using FastRaft.Sample.Protocol;
using MessagePack;

namespace FastRaft.Tests.Sample;

/// <summary>Request/reply helpers over a node's client gateway for tests.</summary>
internal static class GatewayExchange
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    public static ClientConnection Connect(IPEndPoint node) =>
        ClientConnection.TryConnect(node, Timeout) ?? throw new InvalidOperationException($"cannot connect to {node}");

    public static byte[] SubmitRequest(ulong requestId, ReadOnlySpan<byte> command)
    {
        var buffer = new ArrayBufferWriter<byte>();
        ClientProtocol.WriteSubmit(buffer, requestId, command);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Sends one submit on <paramref name="c"/> and returns its reply (other replies are skipped).</summary>
    public static SubmitReply Submit(ClientConnection c, ulong requestId, ReadOnlySpan<byte> command)
    {
        c.Queue(SubmitRequest(requestId, command));
        Assert.True(c.Flush(), "the gateway closed the connection");
        while (true)
        {
            byte[] payload = Receive(c);
            var reader = new MessagePackReader(payload);
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

    /// <summary>Sends one request and returns the membership reply to it.</summary>
    public static MembershipReply Membership(ClientConnection c, byte[] request)
    {
        c.Queue(request);
        Assert.True(c.Flush(), "the gateway closed the connection");
        byte[] payload = Receive(c);
        var reader = new MessagePackReader(payload);
        Assert.True(ClientProtocol.TryReadReplyHeader(ref reader, out byte kind, out ulong id, out int fields));
        Assert.Equal(ClientProtocol.KindMembership, kind);
        Assert.True(ClientProtocol.TryReadMembershipReply(ref reader, id, fields, out MembershipReply? reply));
        return reply!;
    }

    /// <summary>The next reply's bytes (copied); fails the test when none comes in time.</summary>
    public static byte[] Receive(ClientConnection c)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Timeout)
        {
            if (c.TryReceive(100_000, out ReadOnlyMemory<byte> payload))
            {
                return payload.ToArray();
            }
            Assert.False(c.IsClosed, "the gateway closed the connection");
        }
        throw new TimeoutException("no reply");
    }

    /// <summary>A plain TCP socket connected to <paramref name="node"/>, for sending bytes that are not frames.</summary>
    public static Socket RawConnect(IPEndPoint node)
    {
        var s = new Socket(node.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = (int)Timeout.TotalMilliseconds };
        s.Connect(node);
        return s;
    }

    /// <summary>Reads (and discards) until the peer closes or resets the connection; false on a timeout.</summary>
    public static bool ClosedByPeer(Socket s)
    {
        byte[] sink = new byte[4096];
        try
        {
            while (s.Receive(sink) > 0)
            {
            }
            return true;
        }
        catch (SocketException e)
        {
            return e.SocketErrorCode != SocketError.TimedOut;
        }
    }

    /// <summary>Reads until the gateway closes the connection; true when it did within the timeout (replies before the close are returned).</summary>
    public static bool WaitClosed(ClientConnection c, List<byte[]>? replies = null)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Timeout)
        {
            if (c.TryReceive(100_000, out ReadOnlyMemory<byte> payload))
            {
                replies?.Add(payload.ToArray());
                continue;
            }
            if (c.IsClosed)
            {
                return true;
            }
        }
        return false;
    }
}
