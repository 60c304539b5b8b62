using System.Buffers.Binary;
using FastRaft.Protocol;

namespace FastRaft.Storage.Wal;

/// <summary>
/// Encodes records back to back into a reusable buffer that is then written with one call.
/// Grows when a batch needs more room and keeps its size, so steady-state batches allocate
/// nothing. Each Append returns the record's offset in the buffer.
/// </summary>
internal sealed class WalWriteBuffer(int capacity = 64 * 1024)
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
        Span<byte> record = Reserve(WalFormat.RecordHeaderSize + WalFormat.EntryFixedSize + e.Data.Length);
        Span<byte> body = record[WalFormat.RecordHeaderSize..];
        BinaryPrimitives.WriteUInt64LittleEndian(body, e.Term);
        BinaryPrimitives.WriteUInt64LittleEndian(body[8..], e.Index);
        body[16] = (byte)e.Type;
        e.Data.Span.CopyTo(body[WalFormat.EntryFixedSize..]);
        WalFormat.WriteRecordHeader(record, WalRecordType.Entry, body);
        return start;
    }

    /// <summary>A hard state, with the log's last index and term after the records before it.</summary>
    public int AppendHardState(HardState hs, ulong lastIndex, ulong lastTerm)
    {
        int start = Length;
        Span<byte> record = Reserve(WalFormat.RecordHeaderSize + WalFormat.HardStateRecordBodySize);
        Span<byte> body = record[WalFormat.RecordHeaderSize..];
        WriteHardState(body, hs);
        BinaryPrimitives.WriteUInt64LittleEndian(body[WalFormat.HardStateSize..], lastIndex);
        BinaryPrimitives.WriteUInt64LittleEndian(body[(WalFormat.HardStateSize + 8)..], lastTerm);
        WalFormat.WriteRecordHeader(record, WalRecordType.HardState, body);
        return start;
    }

    public int AppendConfState(ConfState cs)
    {
        int start = Length;
        Span<byte> record = Reserve(WalFormat.RecordHeaderSize + ConfStateCodec.Size(cs));
        Span<byte> body = record[WalFormat.RecordHeaderSize..];
        ConfStateCodec.Write(body, cs);
        WalFormat.WriteRecordHeader(record, WalRecordType.ConfState, body);
        return start;
    }

    /// <summary>A SnapshotApplied or SnapshotCreated record: index, term, configuration.</summary>
    public int AppendSnapshot(WalRecordType type, SnapshotMetadata metadata)
    {
        int start = Length;
        Span<byte> record = Reserve(WalFormat.RecordHeaderSize + WalFormat.IndexTermSize + ConfStateCodec.Size(metadata.ConfState));
        Span<byte> body = record[WalFormat.RecordHeaderSize..];
        BinaryPrimitives.WriteUInt64LittleEndian(body, metadata.Index);
        BinaryPrimitives.WriteUInt64LittleEndian(body[8..], metadata.Term);
        ConfStateCodec.Write(body[WalFormat.IndexTermSize..], metadata.ConfState);
        WalFormat.WriteRecordHeader(record, type, body);
        return start;
    }

    public int AppendCompact(ulong index, ulong term)
    {
        int start = Length;
        Span<byte> record = Reserve(WalFormat.RecordHeaderSize + WalFormat.IndexTermSize);
        Span<byte> body = record[WalFormat.RecordHeaderSize..];
        BinaryPrimitives.WriteUInt64LittleEndian(body, index);
        BinaryPrimitives.WriteUInt64LittleEndian(body[8..], term);
        WalFormat.WriteRecordHeader(record, WalRecordType.Compact, body);
        return start;
    }

    public int AppendCheckpoint(in WalCheckpoint c)
    {
        int start = Length;
        Span<byte> record = Reserve(WalFormat.RecordHeaderSize + WalRecordReader.CheckpointFixedSize + ConfStateCodec.Size(c.ConfState));
        Span<byte> body = record[WalFormat.RecordHeaderSize..];
        WriteHardState(body, c.HardState);
        body[24] = c.HasSnapshot ? (byte)1 : (byte)0;
        BinaryPrimitives.WriteUInt64LittleEndian(body[25..], c.SnapshotIndex);
        BinaryPrimitives.WriteUInt64LittleEndian(body[33..], c.SnapshotTerm);
        BinaryPrimitives.WriteUInt64LittleEndian(body[41..], c.DummyIndex);
        BinaryPrimitives.WriteUInt64LittleEndian(body[49..], c.DummyTerm);
        BinaryPrimitives.WriteUInt64LittleEndian(body[57..], c.LastIndex);
        BinaryPrimitives.WriteUInt64LittleEndian(body[65..], c.LastTerm);
        ConfStateCodec.Write(body[WalRecordReader.CheckpointFixedSize..], c.ConfState);
        WalFormat.WriteRecordHeader(record, WalRecordType.Checkpoint, body);
        return start;
    }

    private static void WriteHardState(Span<byte> body, HardState hs)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(body, hs.Term);
        BinaryPrimitives.WriteUInt64LittleEndian(body[8..], hs.Vote);
        BinaryPrimitives.WriteUInt64LittleEndian(body[16..], hs.Commit);
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
