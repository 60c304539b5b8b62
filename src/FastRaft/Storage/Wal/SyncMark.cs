using System.Buffers.Binary;

namespace FastRaft.Storage.Wal;

/// <summary>
/// A sync mark: how far into its segment a completed data sync had reached, as recorded in one
/// of the segment's two header slots. Records before <see cref="SyncedThrough"/> were durable
/// (and may have been acknowledged), so recovery must find them intact; only what follows may be
/// a torn write. The slot with the higher <see cref="Generation"/> is the newer.
/// </summary>
internal readonly record struct SyncMark(long Generation, long SyncedThrough)
{
    private const int SyncedThroughAt = 8;
    private const int SegmentAt = 16;
    private const int ChecksumAt = 28;

    /// <summary>Writes this mark, bound to segment <paramref name="segmentSequence"/>, into a slot-sized span.</summary>
    public void Write(Span<byte> slot, long segmentSequence)
    {
        Span<byte> m = slot[..WalFormat.SyncMarkSize];
        BinaryPrimitives.WriteInt64LittleEndian(m, Generation);
        BinaryPrimitives.WriteInt64LittleEndian(m[SyncedThroughAt..], SyncedThrough);
        BinaryPrimitives.WriteInt64LittleEndian(m[SegmentAt..], segmentSequence);
        BinaryPrimitives.WriteUInt32LittleEndian(m[24..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(m[ChecksumAt..], Crc32C.Compute(m[..ChecksumAt]));
    }

    /// <summary>Reads one slot; false when it is torn, damaged, or belongs to another segment.</summary>
    public static bool TryRead(ReadOnlySpan<byte> slot, long segmentSequence, out SyncMark mark)
    {
        mark = default;
        if (slot.Length < WalFormat.SyncMarkSize
            || BinaryPrimitives.ReadUInt32LittleEndian(slot[ChecksumAt..]) != Crc32C.Compute(slot[..ChecksumAt])
            || BinaryPrimitives.ReadInt64LittleEndian(slot[SegmentAt..]) != segmentSequence
            || BinaryPrimitives.ReadUInt32LittleEndian(slot[24..]) != 0)
        {
            return false;
        }
        mark = new SyncMark(BinaryPrimitives.ReadInt64LittleEndian(slot), BinaryPrimitives.ReadInt64LittleEndian(slot[SyncedThroughAt..]));
        return mark.Generation >= 0 && mark.SyncedThrough >= WalFormat.FirstRecordOffset;
    }

    /// <summary>
    /// The newest valid mark in a segment's header area (at least <see cref="WalFormat.FirstRecordOffset"/>
    /// bytes); false when neither slot is valid.
    /// </summary>
    public static bool TryReadNewest(ReadOnlySpan<byte> headerArea, long segmentSequence, out SyncMark newest)
    {
        bool has0 = TryRead(headerArea[WalFormat.SyncMarkSlot0..], segmentSequence, out SyncMark m0);
        bool has1 = TryRead(headerArea[WalFormat.SyncMarkSlot1..], segmentSequence, out SyncMark m1);
        newest = has0 && (!has1 || m0.Generation > m1.Generation) ? m0 : m1;
        return has0 || has1;
    }
}
