using System.Buffers;
using System.IO.Pipelines;
using FastRaft.Codec;
using FastRaft.Codec.Framing;
using FastRaft.Core;
using FastRaft.Protocol;
using FastRaft.Transport.Tcp.Security;
using FastRaft.Transport.Tcp.Snapshots;

namespace FastRaft.Transport.Tcp;

/// <summary>What <see cref="AuthenticatedFrameChannel.TryReadMessage"/> found.</summary>
internal enum ChannelReadStatus
{
    /// <summary>A message was read and authenticated.</summary>
    Message,

    /// <summary>No whole frame is buffered: read more.</summary>
    NeedMore,

    /// <summary>The stream is not frames, or a frame is above the bound: close the connection.</summary>
    BadFrame,

    /// <summary>A frame's MAC is wrong (forged, altered, replayed or reordered): close the connection.</summary>
    BadMac,

    /// <summary>The frame is authentic but not a message: close the connection.</summary>
    BadMessage,

    /// <summary>A frame header announced more than the channel's bound (refused before its payload is buffered): close the connection.</summary>
    TooLarge,

    /// <summary>Without authentication: a frame's checksum is wrong (corrupted): close the connection.</summary>
    BadChecksum,

    /// <summary>
    /// An authentic frame of a snapshot transfer (its payload starts with a transfer kind, not a
    /// message): read it from <see cref="AuthenticatedFrameChannel.TransferPayload"/>.
    /// </summary>
    TransferFrame,
}

/// <summary>
/// Messages over a connection after its handshake: each frame is the encoded message followed by
/// a trailer that depends on how the connection is secured — its <see cref="FrameAuthenticator"/>
/// MAC (the cluster key), nothing (<see cref="OverTls"/>: TLS under the pipes authenticates every
/// byte), or a CRC-32C (<see cref="Insecure"/>, without authentication). Sending batches frames
/// until <see cref="Flush"/> and pauses under the pipe's backpressure (<see cref="FrameStreamWriter"/>);
/// receiving cuts frames in place (<see cref="FrameStreamReader"/>). One thread sends and one
/// receives; each half is allocation-free in steady state.
/// </summary>
internal sealed class AuthenticatedFrameChannel : IDisposable
{
    private readonly FrameStreamWriter _writer;
    private readonly FrameStreamReader _reader;
    private readonly IFrameTrailer? _sendTrailer;
    private readonly IFrameTrailer? _receiveTrailer;
    private readonly int _trailerSize;
    private readonly FramePayloadDecoder _decoder = new();
    // ArrayBufferWriter, not CommunityToolkit's ArrayPoolBufferWriter: ResetWrittenCount per frame
    // costs nothing, where the toolkit's Clear() zeroes the bytes written.
    private readonly ArrayBufferWriter<byte> _encoded = new(4096);
    private readonly byte[] _trailerScratch;
    private byte[] _verifyScratch = new byte[4096];
    private readonly int _maxMessageBytes;

    /// <summary>A channel whose frames carry a MAC each, with the session keys of the key handshake.</summary>
    public AuthenticatedFrameChannel(PipeReader input, PipeWriter output, FrameAuthenticator sendMac, FrameAuthenticator receiveMac, int maxMessageBytes = FrameFormat.DefaultMaxPayloadBytes)
        : this(input, output, (IFrameTrailer)sendMac ?? throw new ArgumentNullException(nameof(sendMac)),
            (IFrameTrailer)receiveMac ?? throw new ArgumentNullException(nameof(receiveMac)), maxMessageBytes)
    {
    }

    private AuthenticatedFrameChannel(PipeReader input, PipeWriter output, IFrameTrailer? sendTrailer, IFrameTrailer? receiveTrailer, int maxMessageBytes)
    {
        _trailerSize = sendTrailer?.Size ?? 0;
        _maxMessageBytes = maxMessageBytes;
        _writer = new FrameStreamWriter(output, maxMessageBytes + _trailerSize);
        _reader = new FrameStreamReader(input, maxMessageBytes + _trailerSize);
        _sendTrailer = sendTrailer;
        _receiveTrailer = receiveTrailer;
        _trailerScratch = new byte[_trailerSize];
    }

    /// <summary>
    /// A channel over pipes on a mutually authenticated TLS stream: frames carry no trailer, since
    /// TLS already authenticates (and orders) every byte.
    /// </summary>
    public static AuthenticatedFrameChannel OverTls(PipeReader input, PipeWriter output, int maxMessageBytes = FrameFormat.DefaultMaxPayloadBytes) =>
        new(input, output, (IFrameTrailer?)null, null, maxMessageBytes);

    /// <summary>
    /// A channel without authentication (<see cref="TcpTransportOptions.InsecureNoAuthentication"/>):
    /// frames carry a CRC-32C that catches corruption, not forgery.
    /// </summary>
    public static AuthenticatedFrameChannel Insecure(PipeReader input, PipeWriter output, int maxMessageBytes = FrameFormat.DefaultMaxPayloadBytes) =>
        new(input, output, FrameChecksum.Instance, FrameChecksum.Instance, maxMessageBytes);

    /// <summary>The sending half, for its pause and close state and pending bytes.</summary>
    public FrameStreamWriter Writer => _writer;

    /// <summary>The receiving half, to wait for bytes (<c>ReadAsync</c>/<c>TryRead</c>) and give frames back (<c>AdvanceToNext</c>).</summary>
    public FrameStreamReader Reader => _reader;

    /// <summary>The payload of the last <see cref="ChannelReadStatus.TransferFrame"/>, valid until <c>Reader.AdvanceToNext()</c>.</summary>
    public ReadOnlySequence<byte> TransferPayload { get; private set; }

    /// <summary>Messages refused because they encode to more than the channel's bound (a peer would refuse the frame).</summary>
    public long OversizeRefused { get; private set; }

    /// <summary>
    /// Encodes, signs and buffers <paramref name="m"/>; false (nothing sent) while paused or
    /// closed, or when the message encodes to more than the channel's bound (counted in
    /// <see cref="OversizeRefused"/>): the sender reports it like any lost message.
    /// </summary>
    public bool TryWrite(in Message m)
    {
        if (_writer.IsClosed || _writer.IsPaused)
        {
            return false;
        }
        if (RaftMessageCodec.EncodedSize(in m) > _maxMessageBytes)
        {
            OversizeRefused++;
            return false;
        }
        // Encoded into scratch first: the trailer needs the bytes in one span, and a PipeWriter may
        // hand the encoder several; the frame is then one copy into the pipe.
        _encoded.ResetWrittenCount();
        RaftMessageCodec.Write(_encoded, in m);
        _sendTrailer?.Sign(_encoded.WrittenSpan, _trailerScratch);
        return _writer.TryWrite(_encoded.WrittenSpan, _trailerScratch);
    }

    /// <summary>
    /// Signs and buffers an already encoded payload as one frame (a snapshot transfer's frames);
    /// false (nothing sent) while paused or closed.
    /// </summary>
    public bool TryWriteFrame(ReadOnlySpan<byte> payload)
    {
        if (_writer.IsClosed || _writer.IsPaused)
        {
            return false;
        }
        _sendTrailer?.Sign(payload, _trailerScratch);
        return _writer.TryWrite(payload, _trailerScratch);
    }

    /// <summary>Hands the buffered frames to the pipe (never waits).</summary>
    public void Flush() => _writer.Flush();

    /// <summary>
    /// The next buffered message, checked (MAC or checksum); its views are valid until
    /// <c>Reader.AdvanceToNext()</c>. Anything but Message or NeedMore means: close the connection.
    /// </summary>
    public ChannelReadStatus TryReadMessage(EntryBuffer entries, out Message m, out string? error)
    {
        m = default;
        error = null;
        switch (_reader.TryReadFrame(out ReadOnlySequence<byte> frame))
        {
            case FrameStatus.Complete:
                break;
            case FrameStatus.Incomplete:
                return ChannelReadStatus.NeedMore;
            case FrameStatus.TooLarge:
                error = "a frame announced more than the channel's bound";
                return ChannelReadStatus.TooLarge;
            default:
                error = "the stream is not FastRaft frames";
                return ChannelReadStatus.BadFrame;
        }
        ReadOnlySequence<byte> payload = frame;
        if (_receiveTrailer is not null)
        {
            if (frame.Length < _trailerSize)
            {
                error = "a frame too short to carry its trailer";
                return ChannelReadStatus.BadFrame;
            }
            payload = frame.Slice(0, frame.Length - _trailerSize);
            if (!Verify(payload, frame.Slice(payload.End)))
            {
                if (_receiveTrailer is FrameChecksum)
                {
                    error = "a frame's checksum is wrong";
                    return ChannelReadStatus.BadChecksum;
                }
                error = "a frame's MAC is wrong";
                return ChannelReadStatus.BadMac;
            }
        }
        if (!payload.IsEmpty && SnapshotTransferFormat.IsTransferFrame(FirstByte(payload)))
        {
            TransferPayload = payload;
            return ChannelReadStatus.TransferFrame;
        }
        if (!_decoder.TryDecode(payload, entries, out m, out WireError wireError))
        {
            error = wireError.Text;
            return ChannelReadStatus.BadMessage;
        }
        return ChannelReadStatus.Message;
    }

    private static byte FirstByte(in ReadOnlySequence<byte> payload)
    {
        ReadOnlySpan<byte> first = payload.FirstSpan;
        if (!first.IsEmpty)
        {
            return first[0];
        }
        Span<byte> one = stackalloc byte[1];
        payload.Slice(0, 1).CopyTo(one);
        return one[0];
    }

    private bool Verify(in ReadOnlySequence<byte> payload, in ReadOnlySequence<byte> trailer)
    {
        Span<byte> bytes = stackalloc byte[FrameAuthenticator.MacSize];
        bytes = bytes[.._trailerSize];
        trailer.CopyTo(bytes);
        return _receiveTrailer!.Verify(Contiguous(payload), bytes);
    }

    /// <summary>The payload as one span: in place when it lies in one segment, else copied (rare).</summary>
    private ReadOnlySpan<byte> Contiguous(in ReadOnlySequence<byte> payload)
    {
        if (payload.IsSingleSegment)
        {
            return payload.FirstSpan;
        }
        int length = (int)payload.Length;
        if (_verifyScratch.Length < length)
        {
            _verifyScratch = new byte[Math.Max(length, _verifyScratch.Length * 2)];
        }
        payload.CopyTo(_verifyScratch);
        return _verifyScratch.AsSpan(0, length);
    }

    /// <summary>Releases the MAC state of both directions.</summary>
    public void Dispose()
    {
        _sendTrailer?.Dispose();
        _receiveTrailer?.Dispose();
    }
}
