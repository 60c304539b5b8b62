using System.Diagnostics;
using Microsoft.Win32.SafeHandles;

namespace FastRaft.Storage.Wal;

/// <summary>Segments: writing a group's batch, syncing, rolling over, and deleting what compaction made dead.</summary>
internal sealed partial class WalStore
{
    /// <summary>
    /// Appends <paramref name="batch"/> (one group's encoded records) to the active segment,
    /// rolling over first when it would overfill it, and publishes the group's state after the
    /// batch (<paramref name="after"/>), atomically with the write so that a rollover by another
    /// group never writes a checkpoint that disagrees with the records before it. Returns where
    /// the batch's first byte went. <paramref name="resetsLog"/>: the batch holds an applied
    /// snapshot (older segments are dead for this group).
    /// </summary>
    public void Write(WalGroup group, ReadOnlySpan<byte> batch, in WalCheckpoint after, bool resetsLog, out long segment, out long offset)
    {
        lock (_gate)
        {
            ThrowIfUnusable();
            try
            {
                EnsureRoom(batch.Length);
                segment = Active.Sequence;
                offset = _writeOffset;
                WriteBytes(batch);
            }
            catch (Exception e) when (IsIoFailure(e))
            {
                throw Fail(e);
            }
            group.Published = after;
            group.InLog = true;
            if (resetsLog)
            {
                group.ResetSegment = segment;
            }
        }
    }

    /// <summary>The open handle of segment <paramref name="sequence"/>, which holds a live record of the caller's group (so it is not deleted while read).</summary>
    public SafeFileHandle SegmentHandle(long sequence, out string path)
    {
        lock (_gate)
        {
            ThrowIfUnusable();
            SegmentFile s = SegmentOf(sequence);
            path = s.Path;
            return s.Handle;
        }
    }

    /// <summary>The single log's sync after a Save that needs one, under its <see cref="WalSyncPolicy"/>.</summary>
    public void SyncIfDue()
    {
        lock (_gate)
        {
            ThrowIfUnusable();
            if (!_unsynced
                || (Options.SyncPolicy == WalSyncPolicy.Interval && Options.Time.GetElapsedTime(_lastSyncTimestamp) < Options.SyncInterval))
            {
                return;
            }
            try
            {
                SyncNow();
            }
            catch (Exception e) when (IsIoFailure(e))
            {
                throw Fail(e);
            }
        }
    }

    /// <summary>
    /// Makes every write completed before the call durable with one data sync, run outside the
    /// log's gate so that groups keep writing meanwhile; callers that arrive during a sync wait
    /// for it and return at once when it covered their writes. A failure poisons the log.
    /// </summary>
    public void SyncWrites()
    {
        long target = Volatile.Read(ref _writes);
        lock (_syncGate)
        {
            SafeFileHandle handle;
            long end, sequence, writes;
            bool added = false;
            lock (_gate)
            {
                ThrowIfUnusable();
                if (!_unsynced || _writesSynced >= target)
                {
                    return;
                }
                handle = Active.Handle;
                sequence = Active.Sequence;
                end = _writeOffset;
                writes = _writes;
                // Keeps the handle open even if the segment is deleted meanwhile.
                handle.DangerousAddRef(ref added);
            }
            try
            {
                DurableIo.SyncData(handle);
            }
            catch (Exception e) when (IsIoFailure(e))
            {
                throw FailUnlocked(e);
            }
            finally
            {
                if (added)
                {
                    handle.DangerousRelease();
                }
            }
            lock (_gate)
            {
                _syncs++;
                _lastSyncTimestamp = Options.Time.GetTimestamp();
                _writesSynced = Math.Max(_writesSynced, writes);
                if (_segments.Count > 0 && Active.Sequence == sequence)
                {
                    _syncedEnd = Math.Max(_syncedEnd, end);
                    _unsynced = _writes != writes;
                }
            }
        }
    }

    /// <summary>Makes everything written durable now (snapshots, configuration records, the single log's Sync).</summary>
    public void Sync()
    {
        lock (_gate)
        {
            ThrowIfUnusable();
            try
            {
                SyncNow();
            }
            catch (Exception e) when (IsIoFailure(e))
            {
                throw Fail(e);
            }
        }
    }

    /// <summary>
    /// Once a group's new snapshot record is written: synced with an exact sync mark (losing that
    /// record later is corruption, not a torn tail: an older snapshot file it made stale is about
    /// to go), then the group's older snapshot files and the dead segments go.
    /// </summary>
    public void AfterSnapshotWritten(WalGroup group, string currentSnapshotFile)
    {
        lock (_gate)
        {
            ThrowIfUnusable();
            try
            {
                MakeSyncMarkExact();
                if (DeleteSnapshotFilesOf(group.GroupId, currentSnapshotFile) > 0)
                {
                    DurableIo.SyncDirectory(_directory);
                }
                DeleteObsoleteSegments();
            }
            catch (Exception e) when (IsIoFailure(e))
            {
                throw Fail(e);
            }
        }
    }

    /// <summary>After a group's compaction record: deletes the segments no group needs any more.</summary>
    public void AfterCompaction()
    {
        lock (_gate)
        {
            ThrowIfUnusable();
            try
            {
                DeleteObsoleteSegments();
            }
            catch (Exception e) when (IsIoFailure(e))
            {
                throw Fail(e);
            }
        }
    }

    /// <summary>Deletes group <paramref name="group"/>'s snapshot files but <paramref name="keep"/>; returns how many.</summary>
    private int DeleteSnapshotFilesOf(ulong group, string keep)
    {
        int deleted = 0;
        foreach (string path in System.IO.Directory.EnumerateFiles(_directory, "*" + SnapshotFile.Extension))
        {
            string name = Path.GetFileName(path);
            if (name != keep && SnapshotFile.TryParseName(name, out ulong g, out _, out _) && g == group)
            {
                File.Delete(path);
                deleted++;
            }
        }
        return deleted;
    }

    /// <summary>
    /// Deletes the oldest segments when replay can start after them: at a segment where, for
    /// every group, the group's log then ended at or before its dummy entry today (every live
    /// entry was written after), or the group's latest applied snapshot is in it or later (which
    /// reset the group's log), or the group had written nothing yet. The records that make this
    /// safe are synced first, and the sync mark made exact, so that losing them later can never
    /// pass for a torn write.
    /// </summary>
    private void DeleteObsoleteSegments()
    {
        int keepFrom = 0;
        for (int k = 1; k < _segments.Count; k++)
        {
            if (ReplayCanStartAt(_segments[k]))
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

    private bool ReplayCanStartAt(SegmentFile s)
    {
        foreach (WalGroup g in _groupList)
        {
            if (!g.InLog || s.Sequence <= g.ResetSegment || !s.StartLastIndex.TryGetValue(g.GroupId, out ulong started))
            {
                continue;
            }
            if (started > g.Published.DummyIndex)
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>Rolls over to a new segment when <paramref name="size"/> more bytes would overfill the active one.</summary>
    private void EnsureRoom(long size)
    {
        if (_writeOffset + size <= Options.SegmentSize || _writeOffset == _firstRecordEnd)
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
    /// segment's records end, how many checkpoints follow, and both sync marks at the end of the
    /// checkpoints) and one checkpoint per group in the log, into a prepared zero-filled file,
    /// synced, renamed into place, directory synced.
    /// </summary>
    private void CreateSegment(long sequence)
    {
        SafeFileHandle handle = _preparer.Take(sequence, out string tempPath);
        WalWriteBuffer buffer = _headerBuffer;
        try
        {
            long previousEnd = _segments.Count == 0 ? 0 : _writeOffset;
            int checkpoints = 0;
            foreach (WalGroup g in _groupList)
            {
                checkpoints += g.InLog ? 1 : 0;
            }
            if (!Shared)
            {
                // The single group always has its checkpoint, written or not.
                GroupLocked(0).InLog = true;
                checkpoints = 1;
            }
            buffer.AppendSegmentHeader(new SegmentHeader(sequence, _preparer.SegmentSize, previousEnd, checkpoints));
            var file = new SegmentFile(sequence, Path.Combine(_directory, SegmentFile.FileName(sequence)), handle);
            foreach (WalGroup g in _groupList)
            {
                if (g.InLog)
                {
                    buffer.AppendCheckpoint(g.Published, g.GroupId);
                    file.StartLastIndex[g.GroupId] = g.Published.LastIndex;
                }
            }
            long end = buffer.Length;
            var mark = new SyncMark(1, end);
            buffer.PlaceSyncMark(new SyncMark(0, end), sequence);
            buffer.PlaceSyncMark(mark, sequence);
            RandomAccess.Write(handle, buffer.Written, 0);
            buffer.Clear();
            DurableIo.SyncData(handle);
            File.Move(tempPath, file.Path);
            DurableIo.SyncDirectory(_directory);
            _segments.Add(file);
            _writeOffset = end;
            _firstRecordEnd = end;
            _syncedEnd = end;
            _mark = mark;
            _unsynced = false;
            _writesSynced = _writes;
            _segmentsCreated++;
        }
        catch
        {
            buffer.Clear();
            handle.Dispose();
            throw;
        }
        _preparer.Start(sequence + 1);
    }

    private void WriteBytes(ReadOnlySpan<byte> bytes)
    {
        RandomAccess.Write(Active.Handle, bytes, _writeOffset);
        _writeOffset += bytes.Length;
        _bytesWritten += bytes.Length;
        _writes++;
        _unsynced = true;
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

    private void SyncNow()
    {
        Debug.Assert(_gate.IsHeldByCurrentThread);
        if (!_unsynced)
        {
            return;
        }
        DurableIo.SyncData(Active.Handle);
        _syncedEnd = _writeOffset;
        _unsynced = false;
        _writesSynced = _writes;
        _syncs++;
        _lastSyncTimestamp = Options.Time.GetTimestamp();
    }
}
