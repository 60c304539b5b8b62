using System.Buffers.Binary;

namespace FastRaft.Transport.Tcp.Snapshots;

/// <summary>
/// The frames of a snapshot transfer. A snapshot never travels as one frame: the sender opens a
/// connection of its own for it (a multi-megabyte transfer must not hold up heartbeats and
/// appends), sends a header with the message around the snapshot and the data's length, then the
/// data in pieces of at most <see cref="MaxPieceBytes"/>, then an end frame, and waits for the
/// receiver's answer. A Raft message payload starts with a MessagePack array header (0x90 and up);
/// a transfer frame starts with one of the kinds below (positive fixints), so one read loop tells
/// them apart by the first byte. Each frame is authenticated like any other on the connection.
/// </summary>
internal static class SnapshotTransferFormat
{
    /// <summary>Header: kind, the data's length (big-endian uint64), then the encoded MsgSnap with empty data.</summary>
    public const byte HeaderKind = 0x01;

    /// <summary>Piece: kind, then the next bytes of the data.</summary>
    public const byte PieceKind = 0x02;

    /// <summary>End: kind alone; the data must be complete by then.</summary>
    public const byte EndKind = 0x03;

    /// <summary>Answer (receiver to sender): kind, then <see cref="TransferAnswer"/>.</summary>
    public const byte AnswerKind = 0x04;

    public const int KindSize = 1;
    public const int LengthOffset = KindSize;
    public const int LengthSize = sizeof(ulong);
    public const int HeaderFixedSize = KindSize + LengthSize;
    public const int AnswerSize = KindSize + 1;

    /// <summary>The data carried per piece frame: with its kind byte, a piece is one 64 KiB pooled array.</summary>
    public const int MaxPieceBytes = (64 * 1024) - KindSize;

    /// <summary>Whether a frame's payload is a transfer frame rather than a Raft message.</summary>
    public static bool IsTransferFrame(byte first) => first is >= HeaderKind and <= AnswerKind;

    public static void WriteHeaderPrefix(Span<byte> destination, long dataLength)
    {
        destination[0] = HeaderKind;
        BinaryPrimitives.WriteUInt64BigEndian(destination[LengthOffset..], (ulong)dataLength);
    }

    /// <summary>The data length a header announces; false when the header is too short to hold one.</summary>
    public static bool TryReadHeaderLength(ReadOnlySpan<byte> header, out ulong dataLength)
    {
        dataLength = 0;
        if (header.Length < HeaderFixedSize || header[0] != HeaderKind)
        {
            return false;
        }
        dataLength = BinaryPrimitives.ReadUInt64BigEndian(header[LengthOffset..]);
        return true;
    }
}

/// <summary>What the receiving node did with a snapshot transfer.</summary>
internal enum TransferAnswer : byte
{
    /// <summary>Received whole and handed to the node.</summary>
    Delivered = 1,

    /// <summary>Refused (too large, over the receiver's budget, malformed, or the node's inbox was full).</summary>
    Refused = 2,
}
