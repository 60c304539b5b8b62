using System.Buffers.Binary;

namespace FastRaft.Transport.Udp.Wire;

/// <summary>
/// The fixed header every datagram starts with (little-endian, see UDP-FORMAT.md):
/// magic, version, kind, flags, a reserved byte, cluster id, sender id, receiver id, sequence.
/// </summary>
internal readonly record struct DatagramHeader(
    DatagramKind Kind,
    DatagramFlags Flags,
    ulong ClusterId,
    ulong Sender,
    ulong Receiver,
    ulong Sequence)
{
    /// <summary>"FRdg": FastRaft datagram.</summary>
    public const uint Magic = 0x67_64_52_46;

    /// <summary>2: the CRC-32C trailer of unauthenticated datagrams and the message checksum in chunk headers.</summary>
    public const byte Version = 2;

    public const int Size = 40;

    private const int MagicOffset = 0;
    private const int VersionOffset = 4;
    private const int KindOffset = 5;
    private const int FlagsOffset = 6;
    private const int ClusterOffset = 8;
    private const int SenderOffset = 16;
    private const int ReceiverOffset = 24;
    private const int SequenceOffset = 32;

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(destination[MagicOffset..], Magic);
        destination[VersionOffset] = Version;
        destination[KindOffset] = (byte)Kind;
        destination[FlagsOffset] = (byte)Flags;
        destination[FlagsOffset + 1] = 0;
        BinaryPrimitives.WriteUInt64LittleEndian(destination[ClusterOffset..], ClusterId);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[SenderOffset..], Sender);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[ReceiverOffset..], Receiver);
        BinaryPrimitives.WriteUInt64LittleEndian(destination[SequenceOffset..], Sequence);
    }

    /// <summary>
    /// Reads the header and checks what can be checked without configuration (length, magic,
    /// version, kind, known flag bits). Which trailer the flags must announce depends on the
    /// receiver's key and is checked by the caller. Returns the reason to drop the datagram, or <see cref="DropReason.None"/>.
    /// </summary>
    public static DropReason TryRead(ReadOnlySpan<byte> datagram, out DatagramHeader header)
    {
        header = default;
        if (datagram.Length < Size)
        {
            return DropReason.Truncated;
        }
        if (BinaryPrimitives.ReadUInt32LittleEndian(datagram[MagicOffset..]) != Magic)
        {
            return DropReason.BadMagic;
        }
        if (datagram[VersionOffset] != Version)
        {
            return DropReason.UnsupportedVersion;
        }
        var kind = (DatagramKind)datagram[KindOffset];
        if (kind is not (DatagramKind.Messages or DatagramKind.Chunk or DatagramKind.ChunkAck))
        {
            return DropReason.UnknownKind;
        }
        var flags = (DatagramFlags)datagram[FlagsOffset];
        if ((flags & ~(DatagramFlags.Authenticated | DatagramFlags.Checksummed)) != 0 || datagram[FlagsOffset + 1] != 0)
        {
            return DropReason.Malformed;
        }
        header = new DatagramHeader(
            kind,
            flags,
            BinaryPrimitives.ReadUInt64LittleEndian(datagram[ClusterOffset..]),
            BinaryPrimitives.ReadUInt64LittleEndian(datagram[SenderOffset..]),
            BinaryPrimitives.ReadUInt64LittleEndian(datagram[ReceiverOffset..]),
            BinaryPrimitives.ReadUInt64LittleEndian(datagram[SequenceOffset..]));
        return DropReason.None;
    }
}
