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
    /// that make this safe are synced first.
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
        SyncNow();
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
    /// Starts segment <paramref name="sequence"/>: header and checkpoint into a prepared
    /// zero-filled file, synced, renamed into place, directory synced.
    /// </summary>
    private void CreateSegment(long sequence)
    {
        SafeFileHandle handle = _preparer.Take(sequence, out string tempPath);
        try
        {
            _buffer.AppendSegmentHeader(sequence);
            _buffer.AppendCheckpoint(CurrentCheckpoint());
            RandomAccess.Write(handle, _buffer.Written, 0);
            long end = _buffer.Length;
            _buffer.Clear();
            DurableIo.SyncData(handle);
            string path = Path.Combine(_directory, SegmentFile.FileName(sequence));
            File.Move(tempPath, path);
            DurableIo.SyncDirectory(_directory);
            _segments.Add(new SegmentFile(sequence, path, handle, _index.LastIndex));
            _writeOffset = end;
            _firstRecordEnd = end;
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
    }

    private void SyncIfDue()
    {
        if (!_unsynced)
        {
            return;
        }
        if (_options.SyncPolicy == WalSyncPolicy.Interval && Stopwatch.GetElapsedTime(_lastSyncTimestamp) < _options.SyncInterval)
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
        _unsynced = false;
        _syncs++;
        _lastSyncTimestamp = Stopwatch.GetTimestamp();
    }
}
