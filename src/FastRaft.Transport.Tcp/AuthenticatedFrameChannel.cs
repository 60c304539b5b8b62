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
public enum ChannelReadStatus
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

    /// <summary>
    /// An authentic frame of a snapshot transfer (its payload starts with a transfer kind, not a
    /// message): read it from <see cref="AuthenticatedFrameChannel.TransferPayload"/>.
    /// </summary>
    TransferFrame,
}

/// <summary>
/// Messages over an authenticated connection, after the handshake: each frame is the encoded
/// message followed by its <see cref="FrameAuthenticator"/> MAC. Sending batches frames until
/// <see cref="Flush"/> and pauses under the pipe's backpressure (<see cref="FrameStreamWriter"/>);
/// receiving cuts frames in place (<see cref="FrameStreamReader"/>). One thread sends and one
/// receives; each half is allocation-free in steady state.
/// </summary>
public sealed class AuthenticatedFrameChannel : IDisposable
{
    private readonly FrameStreamWriter _writer;
    private readonly FrameStreamReader _reader;
    private readonly FrameAuthenticator _sendMac;
    private readonly FrameAuthenticator _receiveMac;
    private readonly FramePayloadDecoder _decoder = new();
    private readonly ArrayBufferWriter<byte> _encoded = new(4096);
    private readonly byte[] _macScratch = new byte[FrameAuthenticator.MacSize];
    private byte[] _verifyScratch = new byte[4096];
    private readonly int _maxMessageBytes;

    public AuthenticatedFrameChannel(PipeReader input, PipeWriter output, FrameAuthenticator sendMac, FrameAuthenticator receiveMac, int maxMessageBytes = FrameFormat.DefaultMaxPayloadBytes)
    {
        ArgumentNullException.ThrowIfNull(sendMac);
        ArgumentNullException.ThrowIfNull(receiveMac);
        _maxMessageBytes = maxMessageBytes;
        _writer = new FrameStreamWriter(output, maxMessageBytes + FrameAuthenticator.MacSize);
        _reader = new FrameStreamReader(input, maxMessageBytes + FrameAuthenticator.MacSize);
        _sendMac = sendMac;
        _receiveMac = receiveMac;
    }

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
        // Encoded into scratch first: the MAC needs the bytes in one span, and a PipeWriter may
        // hand the encoder several; the frame is then one copy into the pipe.
        _encoded.ResetWrittenCount();
        RaftMessageCodec.Write(_encoded, in m);
        _sendMac.Sign(_encoded.WrittenSpan, _macScratch);
        return _writer.TryWrite(_encoded.WrittenSpan, _macScratch);
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
        _sendMac.Sign(payload, _macScratch);
        return _writer.TryWrite(payload, _macScratch);
    }

    /// <summary>Hands the buffered frames to the pipe (never waits).</summary>
    public void Flush() => _writer.Flush();

    /// <summary>
    /// The next buffered message, authenticated; its views are valid until
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
                return ChannelReadStatus.BadFrame;
            default:
                error = "the stream is not FastRaft frames";
                return ChannelReadStatus.BadFrame;
        }
        if (frame.Length < FrameAuthenticator.MacSize)
        {
            error = "a frame too short to carry its MAC";
            return ChannelReadStatus.BadFrame;
        }
        ReadOnlySequence<byte> payload = frame.Slice(0, frame.Length - FrameAuthenticator.MacSize);
        Span<byte> mac = stackalloc byte[FrameAuthenticator.MacSize];
        frame.Slice(payload.End).CopyTo(mac);
        if (!_receiveMac.Verify(Contiguous(payload), mac))
        {
            error = "a frame's MAC is wrong";
            return ChannelReadStatus.BadMac;
        }
        if (!payload.IsEmpty && SnapshotTransferFormat.IsTransferFrame(FirstByte(payload)))
        {
            TransferPayload = payload;
            return ChannelReadStatus.TransferFrame;
        }
        if (!_decoder.TryDecode(payload, entries, out m, out error))
        {
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

    public void Dispose()
    {
        _sendMac.Dispose();
        _receiveMac.Dispose();
    }
}
