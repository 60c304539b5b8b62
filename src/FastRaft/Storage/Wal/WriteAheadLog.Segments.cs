using System.Diagnostics;
using Microsoft.Win32.SafeHandles;

namespace FastRaft.Storage.Wal;

/// <summary>Segments: writing the batch buffer, syncing, rolling over, and deleting what compaction made dead.</summary>
public sealed partial class WriteAheadLog
{
    /// <summary>
    /// Deletes the oldest segments when replay can start after them: at a segment that began
    /// when the log ended at or before today's dummy entry (every live entry was written after),
    /// or at the one holding the latest applied snapshot (which resets the log). The records
    /// that make this safe are synced first, and the sync mark made exact, so that losing them
    /// later can never pass for a torn write.
    /// </summary>
    private void DeleteObsoleteSegments()
    {
        int keepFrom = 0;
        for (int k = 1; k < _segments.Count; k++)
        {
            SegmentFile s = _segments[k];
            if (s.Sequence <= _resetSegment || s.StartLastIndex <= _index.DummyIndex)
            {
                keepFrom = k;
            }
        }
        if (keepFrom == 0)
        {
            return;
        }
        MakeSyncMarkExact();
        for (int k = 0; k < keepFrom; k++)
        {
            // Oldest first, each deletion durable before the next: whatever a crash leaves is a
            // run of consecutive segments, never one with a hole.
            SegmentFile s = _segments[k];
            s.Dispose();
            File.Delete(s.Path);
            DurableIo.SyncDirectory(_directory);
            _segmentsDeleted++;
        }
        _segments.RemoveRange(0, keepFrom);
    }

    /// <summary>Rolls over to a new segment when <paramref name="size"/> more bytes would overfill the active one.</summary>
    private void EnsureRoom(long size)
    {
        Debug.Assert(_buffer.Length == 0);
        if (_writeOffset + size <= _options.SegmentSize || _writeOffset == _firstRecordEnd)
        {
            return;
        }
        // The old segment is complete on disk before a newer one exists: recovery relies on
        // every segment but the last being whole.
        SyncNow();
        CreateSegment(Active.Sequence + 1);
    }

    /// <summary>
    /// Starts segment <paramref name="sequence"/>: header area (recording where the previous
    /// segment's records end, and both sync marks at the end of the checkpoint) and checkpoint
    /// into a prepared zero-filled file, synced, renamed into place, directory synced.
    /// </summary>
    private void CreateSegment(long sequence)
    {
        SafeFileHandle handle = _preparer.Take(sequence, out string tempPath);
        try
        {
            long previousEnd = _segments.Count == 0 ? 0 : _writeOffset;
            _buffer.AppendSegmentHeader(new SegmentHeader(sequence, _preparer.SegmentSize, previousEnd));
            _buffer.AppendCheckpoint(CurrentCheckpoint());
            long end = _buffer.Length;
            var mark = new SyncMark(1, end);
            _buffer.PlaceSyncMark(new SyncMark(0, end), sequence);
            _buffer.PlaceSyncMark(mark, sequence);
            RandomAccess.Write(handle, _buffer.Written, 0);
            _buffer.Clear();
            DurableIo.SyncData(handle);
            string path = Path.Combine(_directory, SegmentFile.FileName(sequence));
            File.Move(tempPath, path);
            DurableIo.SyncDirectory(_directory);
            _segments.Add(new SegmentFile(sequence, path, handle, _index.LastIndex));
            _writeOffset = end;
            _firstRecordEnd = end;
            _syncedEnd = end;
            _mark = mark;
            _unsynced = false;
            _segmentsCreated++;
        }
        catch
        {
            _buffer.Clear();
            handle.Dispose();
            throw;
        }
        _preparer.Start(sequence + 1);
    }

    private WalCheckpoint CurrentCheckpoint() => new(
        _hardState,
        _confState,
        _hasSnapshotFile,
        _snapshot.Metadata.Index,
        _snapshot.Metadata.Term,
        _index.DummyIndex,
        _index.DummyTerm,
        _index.LastIndex,
        _index.LastTerm);

    private void WriteBuffer()
    {
        ReadOnlySpan<byte> bytes = _buffer.Written;
        RandomAccess.Write(Active.Handle, bytes, _writeOffset);
        _writeOffset += bytes.Length;
        _bytesWritten += bytes.Length;
        _unsynced = true;
        _buffer.Clear();
        if (_mark.SyncedThrough != _syncedEnd)
        {
            WriteSyncMark();
        }
    }

    /// <summary>
    /// Records in the older header slot how far the last completed sync reached. Not synced
    /// here: the next sync (which this write's records need anyway) covers it.
    /// </summary>
    private void WriteSyncMark()
    {
        var mark = new SyncMark(_mark.Generation + 1, _syncedEnd);
        Span<byte> slot = stackalloc byte[WalFormat.SyncMarkSize];
        mark.Write(slot, Active.Sequence);
        RandomAccess.Write(Active.Handle, slot, WalFormat.SyncMarkSlotOffset(mark.Generation));
        _mark = mark;
        _unsynced = true;
    }

    /// <summary>
    /// Syncs, then makes the sync mark say exactly where the records end (one more sync when it
    /// lagged). Before anything is deleted on the strength of the records, and at a clean close:
    /// from then on losing any of them is corruption, never a torn tail.
    /// </summary>
    private void MakeSyncMarkExact()
    {
        SyncNow();
        if (_mark.SyncedThrough == _syncedEnd)
        {
            return;
        }
        WriteSyncMark();
        SyncNow();
    }

    private void SyncIfDue()
    {
        if (!_unsynced)
        {
            return;
        }
        if (_options.SyncPolicy == WalSyncPolicy.Interval && _options.Time.GetElapsedTime(_lastSyncTimestamp) < _options.SyncInterval)
        {
            return;
        }
        SyncNow();
    }

    private void SyncNow()
    {
        if (!_unsynced)
        {
            return;
        }
        DurableIo.SyncData(Active.Handle);
        _syncedEnd = _writeOffset;
        _unsynced = false;
        _syncs++;
        _lastSyncTimestamp = _options.Time.GetTimestamp();
    }
}
