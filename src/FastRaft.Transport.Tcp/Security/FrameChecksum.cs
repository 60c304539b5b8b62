using System.Buffers.Binary;
using FastRaft.Storage.Wal;

namespace FastRaft.Transport.Tcp.Security;

/// <summary>
/// The trailer of every frame when the transport runs without authentication
/// (<see cref="TcpTransportOptions.InsecureNoAuthentication"/>): the payload's CRC-32C,
/// big-endian. It catches corruption (a bug, a broken middlebox), not forgery. Stateless.
/// </summary>
internal sealed class FrameChecksum : IFrameTrailer
{
    public const int ChecksumSize = sizeof(uint);

    public static readonly FrameChecksum Instance = new();

    public int Size => ChecksumSize;

    public void Sign(ReadOnlySpan<byte> payload, Span<byte> trailer) =>
        BinaryPrimitives.WriteUInt32BigEndian(trailer, Crc32C.Compute(payload));

    public bool Verify(ReadOnlySpan<byte> payload, ReadOnlySpan<byte> trailer) =>
        trailer.Length == ChecksumSize && BinaryPrimitives.ReadUInt32BigEndian(trailer) == Crc32C.Compute(payload);

    public void Dispose()
    {
    }
}
