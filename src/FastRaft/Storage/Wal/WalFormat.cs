using System.Buffers.Binary;

namespace FastRaft.Storage.Wal;

/// <summary>
/// The byte layout of segment files (format version 3). All integers are little-endian.
/// </summary>
/// <remarks>
/// <para>
/// A segment is preallocated (zero-filled and synced) before it is used, and begins with a
/// 1536-byte header area of three 512-byte sectors:
/// </para>
/// <list type="bullet">
/// <item>Sector 0, written once: the fixed header (<see cref="SegmentHeader"/>): magic
/// "FRWALSEG", format version (u32), reserved (u32, zero), the segment's sequence number (u64),
/// the size it was preallocated to (u64), where the previous segment's records ended (u64; zero
/// for the first segment of a new log), the number of checkpoint records the segment begins with
/// (u32; in version 2 this field is zero and means one) and the CRC-32C of the 44 bytes before
/// it.</item>
/// <item>Sectors 1 and 2: two sync-mark slots (<see cref="SyncMark"/>), written alternately in
/// place: generation (u64), synced-through offset (u64), the segment's sequence (u64), reserved
/// (u32, zero), CRC-32C of the 28 bytes before it. A Save writes the offset its predecessor's
/// completed sync reached into the older slot, so the Save's own sync makes it durable (no sync
/// of its own); the mark therefore lags one sync behind. Separate sectors and a checksum each
/// mean a torn slot write loses at most that slot; recovery uses the valid slot with the higher
/// generation. A clean close, every snapshot (which may make an older snapshot file stale) and
/// every deletion of segments make the mark exact, with one more sync.</item>
/// </list>
/// <para>
/// Records follow from offset 1536, back to back, each a 16-byte header then its body: body
/// length (u32), record type (u8), flags (u8), two zero bytes, the body's CRC-32C (u32) and the
/// CRC-32C of the 12 header bytes before it. The header checksum makes the length trustworthy, so
/// a damaged record is never mistaken for a shorter or longer one. The segment begins with the
/// checkpoint records its header counts. The rest of the preallocated file is zero; an all-zero
/// record header marks the end of the records. A HardState record carries the log's last index
/// and term when it was written, so replay can tell that no entry before it went missing.
/// </para>
/// <para>
/// Groups (version 3): a segment may hold the records of many Raft groups
/// (<see cref="SharedWriteAheadLog"/>). Flag bit 0 (<see cref="GroupTaggedFlag"/>) marks a record
/// whose body begins with the group id (u64, never zero), followed by the body of its type; the
/// checksum covers both. An untagged record belongs to group zero, the one group of a
/// <see cref="WriteAheadLog"/>, whose records are therefore byte for byte those of version 2. A
/// segment of a shared log begins with one tagged checkpoint per group that had written anything
/// when it was started (possibly none); a single-group segment with exactly one untagged
/// checkpoint. Version 2 segments (single group, one checkpoint) are read as they are; new
/// segments are written in version 3.
/// </para>
/// <para>
/// What recovery can therefore prove (see <see cref="WriteAheadLog"/>): a file shorter than its
/// preallocated size was cut (a crash never shortens a file); a segment whose valid records end
/// before its sync mark lost synced records; a segment other than the last must end exactly where
/// the next one's header says it did. Only the bytes past the sync mark of the last segment may
/// be a torn write. Version 1 files (no sync marks) are refused.
/// </para>
/// </remarks>
internal static class WalFormat
{
    public const uint Version = 3;

    /// <summary>The oldest version this build reads: version 2 is version 3 with one group and no tags.</summary>
    public const uint OldestReadableVersion = 2;

    /// <summary>Record flag: the body begins with the group id.</summary>
    public const byte GroupTaggedFlag = 1;

    /// <summary>The group id before the body of a tagged record.</summary>
    public const int GroupIdSize = 8;

    /// <summary>The sector size the header area is laid out in: a torn write damages whole sectors, not their neighbours.</summary>
    public const int SectorSize = 512;

    public const int FixedHeaderSize = 48;

    /// <summary>The two sync-mark slots, one per sector.</summary>
    public const int SyncMarkSlot0 = SectorSize;
    public const int SyncMarkSlot1 = 2 * SectorSize;
    public const int SyncMarkSize = 32;

    /// <summary>Where the first record (the checkpoint) begins: after the header area.</summary>
    public const int FirstRecordOffset = 3 * SectorSize;

    public const int RecordHeaderSize = 16;

    /// <summary>Term, index and type before an entry's payload.</summary>
    public const int EntryFixedSize = 17;

    /// <summary>Term, vote, commit (also embedded in a checkpoint).</summary>
    public const int HardStateSize = 24;

    /// <summary>A HardState record's body: the hard state, then the log's last index and its term when it was written.</summary>
    public const int HardStateRecordBodySize = HardStateSize + 16;

    /// <summary>Index and term: the body of a Compact record.</summary>
    public const int IndexTermSize = 16;

    /// <summary>The largest body a record may have (a payload must fit an array).</summary>
    public const int MaxBodyLength = int.MaxValue - 1024;

    public static ReadOnlySpan<byte> SegmentMagic => "FRWALSEG"u8;

    /// <summary>The size on disk of an entry record with a payload of <paramref name="payloadLength"/> bytes (of group <paramref name="groupId"/>).</summary>
    public static long EntryRecordSize(int payloadLength, ulong groupId = 0) => RecordHeaderSize + GroupPrefix(groupId) + EntryFixedSize + (long)payloadLength;

    /// <summary>The bytes a group id adds to a record's body: none for group zero, which is untagged.</summary>
    public static int GroupPrefix(ulong groupId) => groupId == 0 ? 0 : GroupIdSize;

    /// <summary>The file offset of sync-mark slot <paramref name="generation"/> mod 2.</summary>
    public static int SyncMarkSlotOffset(long generation) => (generation & 1) == 0 ? SyncMarkSlot0 : SyncMarkSlot1;

    /// <summary>Fills the header of a record whose body is already in place after it.</summary>
    public static void WriteRecordHeader(Span<byte> header, WalRecordType type, ReadOnlySpan<byte> body, bool tagged = false)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)body.Length);
        header[4] = (byte)type;
        header[5] = tagged ? GroupTaggedFlag : (byte)0;
        header[6] = 0;
        header[7] = 0;
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], Crc32C.Compute(body));
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], Crc32C.Compute(header[..12]));
    }

    /// <summary>
    /// Reads a record header. False when its checksum fails or it describes no valid record
    /// (unknown type, nonzero reserved bytes, impossible length).
    /// </summary>
    public static bool TryReadRecordHeader(ReadOnlySpan<byte> header, out WalRecordType type, out int bodyLength, out uint bodyCrc) =>
        TryReadRecordHeader(header, out type, out bodyLength, out bodyCrc, out _);

    /// <summary>As above, also telling whether the body begins with a group id.</summary>
    public static bool TryReadRecordHeader(ReadOnlySpan<byte> header, out WalRecordType type, out int bodyLength, out uint bodyCrc, out bool tagged)
    {
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(header);
        type = (WalRecordType)header[4];
        bodyCrc = BinaryPrimitives.ReadUInt32LittleEndian(header[8..]);
        bodyLength = (int)Math.Min(length, int.MaxValue);
        tagged = header[5] == GroupTaggedFlag;
        return BinaryPrimitives.ReadUInt32LittleEndian(header[12..]) == Crc32C.Compute(header[..12])
            && header[5] <= GroupTaggedFlag && header[6] == 0 && header[7] == 0
            && (!tagged || length >= GroupIdSize)
            && type is >= WalRecordType.Checkpoint and <= WalRecordType.Compact
            && length <= MaxBodyLength;
    }

    /// <summary>True when every byte of <paramref name="span"/> is zero.</summary>
    public static bool IsZero(ReadOnlySpan<byte> span) => !span.ContainsAnyExcept((byte)0);
}
