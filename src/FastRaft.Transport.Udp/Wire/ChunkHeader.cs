using System.Buffers.Binary;

namespace FastRaft.Transport.Udp.Wire;

/// <summary>
/// Follows the datagram header in a <see cref="DatagramKind.Chunk"/>: which transfer, the whole
/// message's length, the nominal chunk size (every chunk but the last carries exactly that many
/// bytes), and this chunk's index out of the count.
/// </summary>
internal readonly record struct ChunkHeader(ulong TransferId, int TotalLength, int ChunkSize, int Index, int Count)
{
    public const int Size = 24;

    public int Offset => Index * ChunkSize;

    /// <summary>The number of data bytes chunk <see cref="Index"/> carries.</summary>
    public int ExpectedLength => Index == Count - 1 ? TotalLength - Offset : ChunkSize;

    public static int CountFor(int totalLength, int chunkSize) => (int)(((long)totalLength + chunkSize - 1) / chunkSize);

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination, TransferId);
        BinaryPrimitives.WriteInt32LittleEndian(destination[8..], TotalLength);
        BinaryPrimitives.WriteInt32LittleEndian(destination[12..], ChunkSize);
        BinaryPrimitives.WriteInt32LittleEndian(destination[16..], Index);
        BinaryPrimitives.WriteInt32LittleEndian(destination[20..], Count);
    }

    /// <summary>
    /// Reads a chunk header and checks that it is self-consistent and that the data after it is as
    /// long as it announces; false for anything else (the caller drops the datagram).
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> body, out ChunkHeader header)
    {
        header = default;
        if (body.Length < Size)
        {
            return false;
        }
        var h = new ChunkHeader(
            BinaryPrimitives.ReadUInt64LittleEndian(body),
            BinaryPrimitives.ReadInt32LittleEndian(body[8..]),
            BinaryPrimitives.ReadInt32LittleEndian(body[12..]),
            BinaryPrimitives.ReadInt32LittleEndian(body[16..]),
            BinaryPrimitives.ReadInt32LittleEndian(body[20..]));
        if (h.TotalLength <= 0 || h.ChunkSize <= 0 || h.Index < 0 || h.Index >= h.Count
            || h.Count != CountFor(h.TotalLength, h.ChunkSize)
            || body.Length - Size != h.ExpectedLength)
        {
            return false;
        }
        header = h;
        return true;
    }
}

/// <summary>
/// Follows the datagram header in a <see cref="DatagramKind.ChunkAck"/>: how many distinct chunks
/// the receiver holds, the lowest index it still lacks, and which of the 64 chunks from that index
/// on it holds (bit i: chunk <see cref="FirstMissing"/> + i), so the sender can resend exactly the
/// lost ones.
/// </summary>
internal readonly record struct ChunkAck(ulong TransferId, int Received, ChunkAckStatus Status, int FirstMissing = 0, ulong HeldMask = 0)
{
    public const int Size = 25;

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination, TransferId);
        BinaryPrimitives.WriteInt32LittleEndian(destination[8..], Received);
        destination[12] = (byte)Status;
        BinaryPrimitives.WriteInt32LittleEndian(destination[13..], FirstMissing);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[17..], HeldMask);
    }

    public static bool TryRead(ReadOnlySpan<byte> body, out ChunkAck ack)
    {
        ack = default;
        if (body.Length != Size)
        {
            return false;
        }
        var status = (ChunkAckStatus)body[12];
        int received = BinaryPrimitives.ReadInt32LittleEndian(body[8..]);
        int firstMissing = BinaryPrimitives.ReadInt32LittleEndian(body[13..]);
        if (status is not (ChunkAckStatus.InProgress or ChunkAckStatus.Delivered or ChunkAckStatus.Refused) || received < 0 || firstMissing < 0)
        {
            return false;
        }
        ack = new ChunkAck(BinaryPrimitives.ReadUInt64LittleEndian(body), received, status, firstMissing, BinaryPrimitives.ReadUInt64LittleEndian(body[17..]));
        return true;
    }
}
