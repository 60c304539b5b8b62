using System.Buffers.Binary;
using FastRaft.Storage.Wal;

namespace FastRaft.Transport.Udp.Wire;

/// <summary>
/// The trailer of a datagram sent without a cluster key: a CRC-32C of everything before it
/// (little-endian). It catches corruption and line noise, not forgery: anyone can compute it.
/// </summary>
internal static class DatagramChecksum
{
    public const int Size = sizeof(uint);

    /// <summary>Writes the checksum of <paramref name="datagram"/>[..<paramref name="end"/>] right after it; returns the new length.</summary>
    public static int Append(Span<byte> datagram, int end)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(datagram[end..], Crc32C.Compute(datagram[..end]));
        return end + Size;
    }

    /// <summary>Whether <paramref name="datagram"/> ends with the checksum of what precedes it.</summary>
    public static bool Verify(ReadOnlySpan<byte> datagram)
    {
        int end = datagram.Length - Size;
        return end >= 0 && BinaryPrimitives.ReadUInt32LittleEndian(datagram[end..]) == Crc32C.Compute(datagram[..end]);
    }
}
