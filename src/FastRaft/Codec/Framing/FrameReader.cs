using System.Buffers;
using System.Buffers.Binary;

namespace FastRaft.Codec.Framing;

/// <summary>
/// Cuts frames (<see cref="FrameFormat"/>) off the front of a <see cref="ReadOnlySequence{T}"/>
/// in place, as a <c>PipeReader</c> loop needs: the payload is a slice of the sequence (no copy),
/// a header split across segments included. Stateless and allocation-free.
/// </summary>
public static class FrameReader
{
    /// <summary>
    /// Reads the frame at the start of <paramref name="buffer"/>. On <see cref="FrameStatus.Complete"/>
    /// <paramref name="payload"/> is the frame's payload and <paramref name="buffer"/> starts after
    /// it; otherwise <paramref name="buffer"/> is unchanged. A reader loop advances its
    /// <c>PipeReader</c> to <c>buffer.Start</c> (consumed) and <c>buffer.End</c> (examined) so that
    /// an incomplete frame waits for more data. <see cref="FrameStatus.TooLarge"/> is reported from
    /// the header alone, before the payload is buffered.
    /// </summary>
    public static FrameStatus TryReadFrame(ref ReadOnlySequence<byte> buffer, int maxPayloadBytes, out ReadOnlySequence<byte> payload)
    {
        payload = default;
        if (buffer.IsEmpty)
        {
            return FrameStatus.Incomplete;
        }
        ReadOnlySpan<byte> first = buffer.FirstSpan;
        if (first[0] != FrameFormat.Marker)
        {
            return FrameStatus.BadMarker;
        }
        if (buffer.Length < FrameFormat.HeaderSize)
        {
            return FrameStatus.Incomplete;
        }
        uint length = first.Length >= FrameFormat.HeaderSize
            ? BinaryPrimitives.ReadUInt32BigEndian(first[FrameFormat.LengthOffset..])
            : ReadSplitLength(buffer);
        if (length > (uint)maxPayloadBytes)
        {
            return FrameStatus.TooLarge;
        }
        long frameLength = FrameFormat.HeaderSize + (long)length;
        if (buffer.Length < frameLength)
        {
            return FrameStatus.Incomplete;
        }
        payload = buffer.Slice(FrameFormat.HeaderSize, length);
        buffer = buffer.Slice(payload.End);
        return FrameStatus.Complete;
    }

    /// <summary>The header's length when the header spans segments (rare: copied into 4 stack bytes).</summary>
    private static uint ReadSplitLength(in ReadOnlySequence<byte> buffer)
    {
        Span<byte> length = stackalloc byte[sizeof(uint)];
        buffer.Slice(FrameFormat.LengthOffset, sizeof(uint)).CopyTo(length);
        return BinaryPrimitives.ReadUInt32BigEndian(length);
    }
}
