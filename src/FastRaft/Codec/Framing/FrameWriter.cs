using System.Buffers;
using System.Buffers.Binary;
using FastRaft.Protocol;

namespace FastRaft.Codec.Framing;

/// <summary>
/// Writes framed messages (<see cref="FrameFormat"/>) to an <see cref="IBufferWriter{T}"/> such
/// as a <c>PipeWriter</c>: the encoded size is computed first, so the header goes out before the
/// message is encoded straight into the writer's memory. Many frames may be written before one
/// flush. Allocation-free.
/// </summary>
public static class FrameWriter
{
    /// <summary>Frames and writes <paramref name="m"/> under <see cref="FrameFormat.DefaultMaxPayloadBytes"/>; returns the frame's total size in bytes.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The encoded message exceeds the default frame limit (a peer would refuse it).</exception>
    public static long WriteFrame(IBufferWriter<byte> output, in Message m) => WriteFrame(output, in m, FrameFormat.DefaultMaxPayloadBytes);

    /// <summary>Frames and writes <paramref name="m"/>; returns the frame's total size in bytes.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The encoded message exceeds <paramref name="maxPayloadBytes"/> (a peer would refuse it).</exception>
    public static long WriteFrame(IBufferWriter<byte> output, in Message m, int maxPayloadBytes)
    {
        ArgumentNullException.ThrowIfNull(output);
        long size = RaftMessageCodec.EncodedSize(in m);
        if (size > maxPayloadBytes)
        {
            ThrowTooLarge(size, maxPayloadBytes);
        }
        WriteHeader(output, (uint)size);
        RaftMessageCodec.Write(output, in m);
        return FrameFormat.HeaderSize + size;
    }

    /// <summary>Frames and writes an already encoded payload.</summary>
    public static void WriteFrame(IBufferWriter<byte> output, ReadOnlySpan<byte> payload)
    {
        ArgumentNullException.ThrowIfNull(output);
        WriteHeader(output, (uint)payload.Length);
        output.Write(payload);
    }

    /// <summary>Frames and writes a payload followed by a trailer (for example a MAC) as one frame.</summary>
    public static void WriteFrame(IBufferWriter<byte> output, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> trailer)
    {
        ArgumentNullException.ThrowIfNull(output);
        WriteHeader(output, (uint)(payload.Length + trailer.Length));
        output.Write(payload);
        output.Write(trailer);
    }

    private static void WriteHeader(IBufferWriter<byte> output, uint payloadLength)
    {
        Span<byte> header = output.GetSpan(FrameFormat.HeaderSize);
        header[0] = FrameFormat.Marker;
        BinaryPrimitives.WriteUInt32BigEndian(header[FrameFormat.LengthOffset..], payloadLength);
        output.Advance(FrameFormat.HeaderSize);
    }

    private static void ThrowTooLarge(long size, int max) =>
        throw new ArgumentOutOfRangeException(nameof(size), size, $"the encoded message is {size} bytes; frames carry at most {max}");
}
