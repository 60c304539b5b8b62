using System.Buffers.Binary;

namespace FastRaft.Transport.Udp.Wire;

/// <summary>
/// Follows the datagram header in a <see cref="DatagramKind.Chunk"/>: which transfer, the whole
/// message's length, the nominal chunk size (every chunk but the last carries exactly that many
/// bytes), this chunk's index out of the count, and the CRC-32C of the whole encoded message
/// (the same in every chunk; the receiver checks the reassembled message against it).
/// </summary>
internal readonly record struct ChunkHeader(ulong TransferId, int TotalLength, int ChunkSize, int Index, int Count, uint MessageChecksum)
{
    public const int Size = 28;

    /// <summary>
    /// The smallest nominal chunk size a sender uses: what the smallest datagram leaves after the
    /// headers and the larger trailer. A smaller one is refused, so no header can make a
    /// reassembly track millions of tiny chunks.
    /// </summary>
    public const int MinChunkSize = UdpTransportOptions.MinDatagramSize - DatagramHeader.Size - Size - DatagramSealer.MaxTrailerSize;

    private const int TransferIdOffset = 0;
    private const int TotalLengthOffset = 8;
    private const int ChunkSizeOffset = 12;
    private const int IndexOffset = 16;
    private const int CountOffset = 20;
    private const int MessageChecksumOffset = 24;

    public int Offset => Index * ChunkSize;

    /// <summary>The number of data bytes chunk <see cref="Index"/> carries.</summary>
    public int ExpectedLength => Index == Count - 1 ? TotalLength - Offset : ChunkSize;

    public static int CountFor(int totalLength, int chunkSize) => (int)(((long)totalLength + chunkSize - 1) / chunkSize);

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination[TransferIdOffset..], TransferId);
        BinaryPrimitives.WriteInt32LittleEndian(destination[TotalLengthOffset..], TotalLength);
        BinaryPrimitives.WriteInt32LittleEndian(destination[ChunkSizeOffset..], ChunkSize);
        BinaryPrimitives.WriteInt32LittleEndian(destination[IndexOffset..], Index);
        BinaryPrimitives.WriteInt32LittleEndian(destination[CountOffset..], Count);
        BinaryPrimitives.WriteUInt32LittleEndian(destination[MessageChecksumOffset..], MessageChecksum);
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
            BinaryPrimitives.ReadUInt64LittleEndian(body[TransferIdOffset..]),
            BinaryPrimitives.ReadInt32LittleEndian(body[TotalLengthOffset..]),
            BinaryPrimitives.ReadInt32LittleEndian(body[ChunkSizeOffset..]),
            BinaryPrimitives.ReadInt32LittleEndian(body[IndexOffset..]),
            BinaryPrimitives.ReadInt32LittleEndian(body[CountOffset..]),
            BinaryPrimitives.ReadUInt32LittleEndian(body[MessageChecksumOffset..]));
        if (h.TotalLength <= 0 || h.ChunkSize < MinChunkSize || h.Index < 0 || h.Index >= h.Count
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

    private const int TransferIdOffset = 0;
    private const int ReceivedOffset = 8;
    private const int StatusOffset = 12;
    private const int FirstMissingOffset = 13;
    private const int HeldMaskOffset = 17;

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(destination[TransferIdOffset..], TransferId);
        BinaryPrimitives.WriteInt32LittleEndian(destination[ReceivedOffset..], Received);
        destination[StatusOffset] = (byte)Status;
        BinaryPrimitives.WriteInt32LittleEndian(destination[FirstMissingOffset..], FirstMissing);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[HeldMaskOffset..], HeldMask);
    }

    public static bool TryRead(ReadOnlySpan<byte> body, out ChunkAck ack)
    {
        ack = default;
        if (body.Length != Size)
        {
            return false;
        }
        var status = (ChunkAckStatus)body[StatusOffset];
        int received = BinaryPrimitives.ReadInt32LittleEndian(body[ReceivedOffset..]);
        int firstMissing = BinaryPrimitives.ReadInt32LittleEndian(body[FirstMissingOffset..]);
        if (status is not (ChunkAckStatus.InProgress or ChunkAckStatus.Delivered or ChunkAckStatus.Refused) || received < 0 || firstMissing < 0)
        {
            return false;
        }
        ack = new ChunkAck(BinaryPrimitives.ReadUInt64LittleEndian(body[TransferIdOffset..]), received, status, firstMissing, BinaryPrimitives.ReadUInt64LittleEndian(body[HeldMaskOffset..]));
        return true;
    }
}
