using System.Buffers.Binary;
using System.IO.Pipelines;

namespace FastRaft.Transport.Tcp.Security;

/// <summary>
/// The node id exchange that opens a connection inside TLS (the certificates authenticated it)
/// or, without authentication, in the clear. Two fixed-size messages:
/// <list type="number">
/// <item>hello, dialer → listener: magic "FRN1", version, dialer id, listener id it expects;</item>
/// <item>reply, listener → dialer: magic, listener id (only when the listener accepts the hello;
/// otherwise it closes the connection).</item>
/// </list>
/// The listener checks that the hello is addressed to it and that the dialer is a member; the
/// dialer checks that it reached the node it meant to. Cold path: once per connection.
/// </summary>
internal static class NodeIdExchange
{
    public const uint Magic = 0x46524E31; // "FRN1"
    public const byte Version = 1;

    // hello: magic(4) version(1) dialer id(8) listener id(8)
    public const int HelloMagicOffset = 0;
    public const int HelloVersionOffset = 4;
    public const int HelloDialerIdOffset = 5;
    public const int HelloListenerIdOffset = 13;
    public const int HelloSize = 21;

    // reply: magic(4) listener id(8)
    public const int ReplyMagicOffset = 0;
    public const int ReplyListenerIdOffset = 4;
    public const int ReplySize = 12;

    /// <summary>The dialer's side: sends the hello, checks the reply names <paramref name="listenerId"/>.</summary>
    public static async ValueTask<HandshakeFailure> DialAsync(PipeReader input, PipeWriter output, ulong localId, ulong listenerId, CancellationToken cancellationToken)
    {
        byte[] hello = new byte[HelloSize];
        WriteHello(hello, localId, listenerId);
        await output.WriteAsync(hello, cancellationToken).ConfigureAwait(false);
        byte[]? reply = await HandshakeExchange.ReadExactlyAsync(input, ReplySize, cancellationToken).ConfigureAwait(false);
        if (reply is null || BinaryPrimitives.ReadUInt32BigEndian(reply.AsSpan(ReplyMagicOffset)) != Magic)
        {
            return HandshakeFailure.NotAHandshake;
        }
        return BinaryPrimitives.ReadUInt64BigEndian(reply.AsSpan(ReplyListenerIdOffset)) == listenerId
            ? HandshakeFailure.None
            : HandshakeFailure.UnexpectedPeer;
    }

    /// <summary>The listener's side: reads and checks the hello, answers it. The dialer's id on success.</summary>
    public static async ValueTask<(HandshakeFailure Failure, ulong DialerId)> AcceptAsync(PipeReader input, PipeWriter output, ulong localId, IReadOnlySet<ulong> members, CancellationToken cancellationToken)
    {
        byte[]? magic = await HandshakeExchange.ReadExactlyAsync(input, sizeof(uint), cancellationToken).ConfigureAwait(false);
        if (magic is null)
        {
            return (HandshakeFailure.NotAHandshake, 0);
        }
        HandshakeFailure failure = HandshakeFormat.ClassifyOpening(magic, Magic);
        if (failure != HandshakeFailure.None)
        {
            return (failure, 0);
        }
        byte[]? rest = await HandshakeExchange.ReadExactlyAsync(input, HelloSize - sizeof(uint), cancellationToken).ConfigureAwait(false);
        if (rest is null)
        {
            return (HandshakeFailure.NotAHandshake, 0);
        }
        byte[] hello = [.. magic, .. rest];
        failure = CheckHello(hello, localId, members, out ulong dialer);
        if (failure != HandshakeFailure.None)
        {
            return (failure, 0);
        }
        byte[] reply = new byte[ReplySize];
        BinaryPrimitives.WriteUInt32BigEndian(reply.AsSpan(ReplyMagicOffset), Magic);
        BinaryPrimitives.WriteUInt64BigEndian(reply.AsSpan(ReplyListenerIdOffset), localId);
        await output.WriteAsync(reply, cancellationToken).ConfigureAwait(false);
        return (HandshakeFailure.None, dialer);
    }

    public static void WriteHello(Span<byte> hello, ulong dialerId, ulong listenerId)
    {
        BinaryPrimitives.WriteUInt32BigEndian(hello[HelloMagicOffset..], Magic);
        hello[HelloVersionOffset] = Version;
        BinaryPrimitives.WriteUInt64BigEndian(hello[HelloDialerIdOffset..], dialerId);
        BinaryPrimitives.WriteUInt64BigEndian(hello[HelloListenerIdOffset..], listenerId);
    }

    private static HandshakeFailure CheckHello(ReadOnlySpan<byte> hello, ulong localId, IReadOnlySet<ulong> members, out ulong dialer)
    {
        dialer = 0;
        if (hello[HelloVersionOffset] != Version)
        {
            return HandshakeFailure.UnsupportedVersion;
        }
        if (BinaryPrimitives.ReadUInt64BigEndian(hello[HelloListenerIdOffset..]) != localId)
        {
            return HandshakeFailure.WrongListener;
        }
        ulong id = BinaryPrimitives.ReadUInt64BigEndian(hello[HelloDialerIdOffset..]);
        if (id == localId || !members.Contains(id))
        {
            return HandshakeFailure.UnexpectedPeer;
        }
        dialer = id;
        return HandshakeFailure.None;
    }
}
