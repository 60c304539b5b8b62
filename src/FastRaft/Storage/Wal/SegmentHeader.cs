using System.Buffers.Binary;
namespace FastRaft.Storage.Wal;

/// <summary>
/// A segment's fixed header (sector 0 of the file, written once when the segment is created):
/// its sequence number, the size it was preallocated to, and where the previous segment's
/// records ended (zero when there was none). See <see cref="WalFormat"/> for the layout.
/// </summary>
/// <remarks>
/// <see cref="CheckpointCount"/>: how many checkpoint records begin the segment (one per group
/// of a shared log; one in a single-group log and in every version 2 segment).
/// </remarks>
internal readonly record struct SegmentHeader(long Sequence, long PreallocatedSize, long PreviousSegmentEnd, int CheckpointCount = 1)
{
    private const int VersionAt = 8;
    private const int SequenceAt = 16;
    private const int PreallocatedSizeAt = 24;
    private const int PreviousEndAt = 32;
    private const int CheckpointCountAt = 40;
    private const int ChecksumAt = 44;

    public void Write(Span<byte> destination)
    {
        Span<byte> h = destination[..WalFormat.FixedHeaderSize];
        h.Clear();
        WalFormat.SegmentMagic.CopyTo(h);
        BinaryPrimitives.WriteUInt32LittleEndian(h[VersionAt..], WalFormat.Version);
        BinaryPrimitives.WriteInt64LittleEndian(h[SequenceAt..], Sequence);
        BinaryPrimitives.WriteInt64LittleEndian(h[PreallocatedSizeAt..], PreallocatedSize);
        BinaryPrimitives.WriteInt64LittleEndian(h[PreviousEndAt..], PreviousSegmentEnd);
        BinaryPrimitives.WriteInt32LittleEndian(h[CheckpointCountAt..], CheckpointCount);
        BinaryPrimitives.WriteUInt32LittleEndian(h[ChecksumAt..], Crc32C.Compute(h[..ChecksumAt]));
    }

    /// <summary>
    /// Reads and checks the header of the segment named <paramref name="expectedSequence"/>;
    /// false with the reason when it is unusable. The version is checked before the checksum so
    /// that a file of another format version says so.
    /// </summary>
    public static bool TryRead(ReadOnlySpan<byte> h, long expectedSequence, out SegmentHeader header, out string problem)
    {
        header = default;
        problem = "";
        if (h.Length < WalFormat.FixedHeaderSize)
        {
            problem = "segment shorter than its header";
            return false;
        }
        if (!h[..8].SequenceEqual(WalFormat.SegmentMagic))
        {
            problem = "not a segment file (bad magic)";
            return false;
        }
        uint version = BinaryPrimitives.ReadUInt32LittleEndian(h[VersionAt..]);
        if (version is < WalFormat.OldestReadableVersion or > WalFormat.Version)
        {
            problem = $"unsupported segment format version {version} (this build reads versions {WalFormat.OldestReadableVersion} and {WalFormat.Version}; there is no upgrade from older versions)";
            return false;
        }
        if (BinaryPrimitives.ReadUInt32LittleEndian(h[ChecksumAt..]) != Crc32C.Compute(h[..ChecksumAt]))
        {
            problem = "segment header checksum mismatch";
            return false;
        }
        int checkpoints = BinaryPrimitives.ReadInt32LittleEndian(h[CheckpointCountAt..]);
        if (version == 2)
        {
            // Version 2: one group, one checkpoint; the field was reserved (zero).
            checkpoints = checkpoints == 0 ? 1 : -1;
        }
        header = new SegmentHeader(
            BinaryPrimitives.ReadInt64LittleEndian(h[SequenceAt..]),
            BinaryPrimitives.ReadInt64LittleEndian(h[PreallocatedSizeAt..]),
            BinaryPrimitives.ReadInt64LittleEndian(h[PreviousEndAt..]),
            checkpoints);
        if (header.Sequence != expectedSequence)
        {
            problem = $"segment header says sequence {header.Sequence}, its name says {expectedSequence}";
            return false;
        }
        if (header.PreallocatedSize < WalFormat.FirstRecordOffset || header.PreviousSegmentEnd < 0 || header.CheckpointCount < 0)
        {
            problem = "segment header holds impossible sizes";
            return false;
        }
        return true;
    }
}
