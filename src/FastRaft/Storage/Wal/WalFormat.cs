using System.Buffers.Binary;

namespace FastRaft.Storage.Wal;

/// <summary>
/// The byte layout of segment files. All integers are little-endian.
/// </summary>
/// <remarks>
/// A segment starts with a 32-byte header: magic "FRWALSEG", format version (u32), reserved
/// (u32, zero), the segment's sequence number (u64), reserved (u32, zero) and the CRC-32C of the
/// 28 bytes before it. Records follow back to back, each a 16-byte header then its body:
/// body length (u32), record type (u8), three zero bytes, the body's CRC-32C (u32) and the
/// CRC-32C of the 12 header bytes before it. The header checksum makes the length trustworthy,
/// so a damaged record is never mistaken for a shorter or longer one. The rest of a
/// preallocated segment is zero; an all-zero record header marks the end of the records.
/// </remarks>
internal static class WalFormat
{
    public const uint Version = 1;
    public const int SegmentHeaderSize = 32;
    public const int RecordHeaderSize = 16;

    /// <summary>Term, index and type before an entry's payload.</summary>
    public const int EntryFixedSize = 17;

    public const int HardStateSize = 24;

    /// <summary>Index and term: the body of a Compact record.</summary>
    public const int IndexTermSize = 16;

    /// <summary>The largest body a record may have (a payload must fit an array).</summary>
    public const int MaxBodyLength = int.MaxValue - 1024;

    public static ReadOnlySpan<byte> SegmentMagic => "FRWALSEG"u8;

    /// <summary>The size on disk of an entry record with a payload of <paramref name="payloadLength"/> bytes.</summary>
    public static long EntryRecordSize(int payloadLength) => RecordHeaderSize + EntryFixedSize + (long)payloadLength;

    public static void WriteSegmentHeader(Span<byte> destination, long sequence)
    {
        Span<byte> h = destination[..SegmentHeaderSize];
        h.Clear();
        SegmentMagic.CopyTo(h);
        BinaryPrimitives.WriteUInt32LittleEndian(h[8..], Version);
        BinaryPrimitives.WriteInt64LittleEndian(h[16..], sequence);
        BinaryPrimitives.WriteUInt32LittleEndian(h[28..], Crc32C.Compute(h[..28]));
    }

    /// <summary>Checks a segment header; the reason it is unusable, or null.</summary>
    public static string? CheckSegmentHeader(ReadOnlySpan<byte> h, long expectedSequence)
    {
        if (h.Length < SegmentHeaderSize)
        {
            return "segment shorter than its header";
        }
        if (!h[..8].SequenceEqual(SegmentMagic))
        {
            return "not a segment file (bad magic)";
        }
        if (BinaryPrimitives.ReadUInt32LittleEndian(h[28..]) != Crc32C.Compute(h[..28]))
        {
            return "segment header checksum mismatch";
        }
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(h[8..]);
        if (version != Version)
        {
            return $"unsupported segment format version {version} (this build reads version {Version})";
        }
        long sequence = BinaryPrimitives.ReadInt64LittleEndian(h[16..]);
        if (sequence != expectedSequence)
        {
            return $"segment header says sequence {sequence}, its name says {expectedSequence}";
        }
        return null;
    }

    /// <summary>Fills the header of a record whose body is already in place after it.</summary>
    public static void WriteRecordHeader(Span<byte> header, WalRecordType type, ReadOnlySpan<byte> body)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)body.Length);
        header[4] = (byte)type;
        header[5] = 0;
        header[6] = 0;
        header[7] = 0;
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Crc32C.Compute(body));
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], Crc32C.Compute(header[..12]));
    }

    /// <summary>
    /// Reads a record header. False when its checksum fails or it describes no valid record
    /// (unknown type, nonzero reserved bytes, impossible length).
    /// </summary>
    public static bool TryReadRecordHeader(ReadOnlySpan<byte> header, out WalRecordType type, out int bodyLength, out uint bodyCrc)
    {
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(header);
        type = (WalRecordType)header[4];
        bodyCrc = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        bodyLength = (int)Math.Min(length, int.MaxValue);
        return BinaryPrimitives.ReadUInt32LittleEndian(header[12..]) == Crc32C.Compute(header[..12])
            && header[5] == 0 && header[6] == 0 && header[7] == 0
            && type is >= WalRecordType.Checkpoint and <= WalRecordType.Compact
            && length <= MaxBodyLength;
    }

    /// <summary>True when every byte of <paramref name="span"/> is zero.</summary>
    public static bool IsZero(ReadOnlySpan<byte> span) => !span.ContainsAnyExcept((byte)0);
}
