using System.Buffers.Binary;
using FastRaft.Protocol;

namespace FastRaft.Storage.Wal;

/// <summary>
/// Encodes records back to back into a reusable buffer that is then written with one call.
/// Grows when a batch needs more room and keeps its size, so steady-state batches allocate
/// nothing. Each Append returns the record's offset in the buffer.
/// </summary>
/// <remarks>
/// A buffer writes the records of one group: with <paramref name="groupId"/> zero (the single
/// group of a <see cref="WriteAheadLog"/>) records are untagged, as in format version 2; any other
/// id tags each record and puts the id before its body (see <see cref="WalFormat"/>).
/// </remarks>
internal sealed class WalWriteBuffer(int capacity = 64 * 1024, ulong groupId = 0)
{
    private byte[] _buffer = new byte[Math.Max(capacity, 256)];

    public int Length { get; private set; }

    public ReadOnlySpan<byte> Written => _buffer.AsSpan(0, Length);

    public void Clear() => Length = 0;

    /// <summary>
    /// A segment's header area (only at the start of an empty buffer): the fixed header, zeros
    /// where the sync marks go (<see cref="PlaceSyncMark"/> fills them once the first records are in).
    /// </summary>
    public void AppendSegmentHeader(in SegmentHeader header)
    {
        Span<byte> area = Reserve(WalFormat.FirstRecordOffset);
        area.Clear();
        header.Write(area);
    }

    /// <summary>Writes <paramref name="mark"/> into its slot of the header area at the start of the buffer.</summary>
    public void PlaceSyncMark(in SyncMark mark, long segmentSequence) =>
        mark.Write(_buffer.AsSpan(WalFormat.SyncMarkSlotOffset(mark.Generation), WalFormat.SyncMarkSize), segmentSequence);

    public int AppendEntry(in Entry e)
    {
        int start = Length;
        Span<byte> body = ReserveRecord(WalFormat.EntryFixedSize + e.Data.Length, groupId);
        BinaryPrimitives.WriteUInt64LittleEndian(body, e.Term);
        BinaryPrimitives.WriteUInt64LittleEndian(body[8..], e.Index);
        body[16] = (byte)e.Type;
        e.Data.Span.CopyTo(body[WalFormat.EntryFixedSize..]);
        Seal(start, WalRecordType.Entry, groupId);
        return start;
    }

    /// <summary>A hard state, with the log's last index and term after the records before it.</summary>
    public int AppendHardState(HardState hs, ulong lastIndex, ulong lastTerm)
    {
        int start = Length;
        Span<byte> body = ReserveRecord(WalFormat.HardStateRecordBodySize, groupId);
        WriteHardState(body, hs);
        BinaryPrimitives.WriteUInt64LittleEndian(body[WalFormat.HardStateSize..], lastIndex);
        BinaryPrimitives.WriteUInt64LittleEndian(body[(WalFormat.HardStateSize + 8)..], lastTerm);
        Seal(start, WalRecordType.HardState, groupId);
        return start;
    }

    public int AppendConfState(ConfState cs)
    {
        int start = Length;
        Span<byte> body = ReserveRecord(ConfStateCodec.Size(cs), groupId);
        ConfStateCodec.Write(body, cs);
        Seal(start, WalRecordType.ConfState, groupId);
        return start;
    }

    /// <summary>A SnapshotApplied or SnapshotCreated record: index, term, configuration.</summary>
    public int AppendSnapshot(WalRecordType type, SnapshotMetadata metadata)
    {
        int start = Length;
        Span<byte> body = ReserveRecord(WalFormat.IndexTermSize + ConfStateCodec.Size(metadata.ConfState), groupId);
        BinaryPrimitives.WriteUInt64LittleEndian(body, metadata.Index);
        BinaryPrimitives.WriteUInt64LittleEndian(body[8..], metadata.Term);
        ConfStateCodec.Write(body[WalFormat.IndexTermSize..], metadata.ConfState);
        Seal(start, type, groupId);
        return start;
    }

    public int AppendCompact(ulong index, ulong term)
    {
        int start = Length;
        Span<byte> body = ReserveRecord(WalFormat.IndexTermSize, groupId);
        BinaryPrimitives.WriteUInt64LittleEndian(body, index);
        BinaryPrimitives.WriteUInt64LittleEndian(body[8..], term);
        Seal(start, WalRecordType.Compact, groupId);
        return start;
    }

    /// <summary>The checkpoint of group <paramref name="checkpointGroup"/> (a segment's start holds one per group).</summary>
    public int AppendCheckpoint(in WalCheckpoint c, ulong checkpointGroup)
    {
        int start = Length;
        Span<byte> body = ReserveRecord(WalRecordReader.CheckpointFixedSize + ConfStateCodec.Size(c.ConfState), checkpointGroup);
        WriteHardState(body, c.HardState);
        body[24] = c.HasSnapshot ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt64LittleEndian(body[25..], c.SnapshotIndex);
        BinaryPrimitives.WriteUInt64LittleEndian(body[33..], c.SnapshotTerm);
        BinaryPrimitives.WriteUInt64LittleEndian(body[41..], c.DummyIndex);
        BinaryPrimitives.WriteUInt64LittleEndian(body[49..], c.DummyTerm);
        BinaryPrimitives.WriteUInt64LittleEndian(body[57..], c.LastIndex);
        BinaryPrimitives.WriteUInt64LittleEndian(body[65..], c.LastTerm);
        ConfStateCodec.Write(body[WalRecordReader.CheckpointFixedSize..], c.ConfState);
        Seal(start, WalRecordType.Checkpoint, checkpointGroup);
        return start;
    }

    private static void WriteHardState(Span<byte> body, HardState hs)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(body, hs.Term);
        BinaryPrimitives.WriteUInt64LittleEndian(body[8..], hs.Vote);
        BinaryPrimitives.WriteUInt64LittleEndian(body[16..], hs.Commit);
    }

    /// <summary>
    /// Reserves a record with a body of <paramref name="bodyLength"/> bytes after the group id
    /// (none for group zero); returns that part of the body, to be filled before <see cref="Seal"/>.
    /// </summary>
    private Span<byte> ReserveRecord(int bodyLength, ulong group)
    {
        int prefix = group == 0 ? 0 : WalFormat.GroupIdSize;
        Span<byte> record = Reserve(WalFormat.RecordHeaderSize + prefix + bodyLength);
        if (prefix != 0)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(record[WalFormat.RecordHeaderSize..], group);
        }
        return record[(WalFormat.RecordHeaderSize + prefix)..];
    }

    /// <summary>Fills the header of the record that starts at <paramref name="start"/> and runs to the end of the buffer.</summary>
    private void Seal(int start, WalRecordType type, ulong group)
    {
        Span<byte> record = _buffer.AsSpan(start, Length - start);
        WalFormat.WriteRecordHeader(record, type, record[WalFormat.RecordHeaderSize..], tagged: group != 0);
    }

    private Span<byte> Reserve(int n)
    {
        if (_buffer.Length - Length < n)
        {
            Grow(n);
        }
        Span<byte> span = _buffer.AsSpan(Length, n);
        Length += n;
        return span;
    }

    private void Grow(int n)
    {
        long needed = (long)Length + n;
        if (needed > Array.MaxLength)
        {
            throw new InvalidOperationException("a write batch cannot exceed the largest array");
        }
        var next = new byte[(int)Math.Min(Array.MaxLength, Math.Max(needed, 2L * _buffer.Length))];
        _buffer.AsSpan(0, Length).CopyTo(next);
        _buffer = next;
    }
}
