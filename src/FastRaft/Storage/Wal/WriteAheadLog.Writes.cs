using System.Diagnostics;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using Microsoft.Win32.SafeHandles;

namespace FastRaft.Storage.Wal;

public sealed partial class WriteAheadLog
{
    private const int HardStateRecordSize = WalFormat.RecordHeaderSize + WalFormat.HardStateSize;
    private const int CompactRecordSize = WalFormat.RecordHeaderSize + WalFormat.IndexTermSize;

    /// <summary>
    /// Persists one Ready: the snapshot (when not null and not empty), then the entries, then the
    /// hard state (when not empty and changed), with <see cref="MemoryStorage"/>'s rules for
    /// entries (those at or before the dummy are ignored, those at or before the last index
    /// replace the tail, a gap is OutOfOrder and nothing of the entries is written). On disk the
    /// hard state follows the entries, so a torn batch never leaves a commit index past the log.
    /// </summary>
    /// <remarks>
    /// One data sync covers the whole batch. It happens when <paramref name="mustSync"/> is set,
    /// and also whenever the batch holds entries, a snapshot or a new term or vote, whatever the
    /// flag says; a batch that only moves the commit index is written without a sync, and an
    /// empty one does nothing.
    /// </remarks>
    public StorageStatus Save(HardState hardState, ReadOnlySpan<Entry> entries, Snapshot? snapshot, bool mustSync)
    {
        lock (_gate)
        {
            ThrowIfUnusable();
            try
            {
                return SaveLocked(hardState, entries, snapshot, mustSync);
            }
            catch (Exception e) when (IsIoFailure(e))
            {
                throw Fail(e);
            }
        }
    }

    /// <summary>
    /// Replaces the whole log with <paramref name="snapshot"/>, durably. SnapOutOfDate when it is
    /// not newer than the current snapshot (a snapshot at index 0 carrying only a configuration is
    /// accepted while there is none, for bootstrapping).
    /// </summary>
    public StorageStatus ApplySnapshot(Snapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        lock (_gate)
        {
            ThrowIfUnusable();
            try
            {
                StorageStatus st = ApplySnapshotLocked(snapshot);
                if (st == StorageStatus.Ok)
                {
                    SyncNow();
                    AfterSnapshotDurable();
                }
                return st;
            }
            catch (Exception e) when (IsIoFailure(e))
            {
                throw Fail(e);
            }
        }
    }

    /// <summary>
    /// Records a snapshot at <paramref name="index"/> with <paramref name="data"/> (written to a
    /// snapshot file; the returned snapshot holds the caller's memory) and configuration
    /// <paramref name="confState"/> (the current one when null), durably. SnapOutOfDate when not
    /// newer than the current snapshot; Unavailable past the last index; Compacted before the
    /// dummy entry (its term is gone).
    /// </summary>
    public StorageStatus CreateSnapshot(ulong index, ConfState? confState, ReadOnlyMemory<byte> data, out Snapshot snapshot)
    {
        lock (_gate)
        {
            ThrowIfUnusable();
            snapshot = Protocol.Snapshot.Empty;
            if (index <= _snapshot.Metadata.Index)
            {
                return StorageStatus.SnapOutOfDate;
            }
            if (index > _index.LastIndex)
            {
                return StorageStatus.Unavailable;
            }
            if (index < _index.DummyIndex)
            {
                return StorageStatus.Compacted;
            }
            ulong term = index == _index.DummyIndex ? _index.DummyTerm : _index.At(index).Entry.Term;
            var created = new Snapshot(data, new SnapshotMetadata(confState ?? _confState, index, term));
            try
            {
                SnapshotFile.Write(_directory, created);
                EnsureRoom(SnapshotRecordSize(created.Metadata));
                _buffer.AppendSnapshot(WalRecordType.SnapshotCreated, created.Metadata);
                WriteBuffer();
                _snapshot = created;
                _hasSnapshotFile = true;
                _confState = created.Metadata.ConfState;
                SyncNow();
                AfterSnapshotDurable();
            }
            catch (Exception e) when (IsIoFailure(e))
            {
                throw Fail(e);
            }
            snapshot = created;
            return StorageStatus.Ok;
        }
    }

    /// <summary>
    /// Discards the entries before <paramref name="compactIndex"/>, which becomes the dummy entry,
    /// and deletes the segments that hold nothing live any more. Compacted when not past the
    /// current dummy; Unavailable when past the last index.
    /// </summary>
    public StorageStatus Compact(ulong compactIndex)
    {
        lock (_gate)
        {
            ThrowIfUnusable();
            if (compactIndex <= _index.DummyIndex)
            {
                return StorageStatus.Compacted;
            }
            if (compactIndex > _index.LastIndex)
            {
                return StorageStatus.Unavailable;
            }
            try
            {
                ulong term = _index.At(compactIndex).Entry.Term;
                EnsureRoom(CompactRecordSize);
                _buffer.AppendCompact(compactIndex, term);
                WriteBuffer();
                _index.CompactTo(compactIndex, term);
                DeleteObsoleteSegments();
            }
            catch (Exception e) when (IsIoFailure(e))
            {
                throw Fail(e);
            }
            return StorageStatus.Ok;
        }
    }

    /// <summary>
    /// Durably records the configuration <see cref="InitialState"/> returns from now on (for
    /// hosts that restart with <c>RaftConfig.Applied</c> past the snapshot: the configuration must
    /// then match the applied index). Snapshots also set it.
    /// </summary>
    public StorageStatus SetConfState(ConfState confState)
    {
        ArgumentNullException.ThrowIfNull(confState);
        lock (_gate)
        {
            ThrowIfUnusable();
            try
            {
                EnsureRoom(WalFormat.RecordHeaderSize + ConfStateCodec.Size(confState));
                _buffer.AppendConfState(confState);
                WriteBuffer();
                _confState = confState;
                SyncNow();
            }
            catch (Exception e) when (IsIoFailure(e))
            {
                throw Fail(e);
            }
            return StorageStatus.Ok;
        }
    }

    /// <summary>Makes everything written so far durable (useful under <see cref="WalSyncPolicy.Interval"/>).</summary>
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
    /// Marks a Ready boundary: payload memory released (evicted, compacted, truncated, or read
    /// back from disk) two boundaries ago may be reused. The host calls it once per Ready.
    /// </summary>
    public void AdvanceEpoch()
    {
        lock (_gate)
        {
            _index.AdvanceEpoch();
            _readArena.ReleaseAll();
            _readArena.AdvanceEpoch();
        }
    }

    private StorageStatus SaveLocked(HardState hardState, ReadOnlySpan<Entry> entries, Snapshot? snapshot, bool mustSync)
    {
        bool sync = mustSync;
        bool appliedSnapshot = false;
        StorageStatus status = StorageStatus.Ok;
        if (snapshot is { IsEmpty: false })
        {
            status = ApplySnapshotLocked(snapshot);
            appliedSnapshot = status == StorageStatus.Ok;
        }
        ReadOnlySpan<Entry> ents = default;
        if (status == StorageStatus.Ok)
        {
            status = SelectNewEntries(entries, out ents);
        }
        bool writeHardState = !hardState.IsEmpty && hardState != _hardState;
        long size = writeHardState ? HardStateRecordSize : 0;
        foreach (ref readonly Entry e in ents)
        {
            size += WalFormat.EntryRecordSize(e.Data.Length);
        }
        if (size > WalFormat.MaxBodyLength)
        {
            ThrowBatchTooLarge(size);
        }
        if (size > 0)
        {
            EnsureRoom(size);
            if (!ents.IsEmpty)
            {
                AppendEntries(ents);
                sync = true;
            }
            if (writeHardState)
            {
                sync |= hardState.Term != _hardState.Term || hardState.Vote != _hardState.Vote;
                _buffer.AppendHardState(hardState);
                _hardState = hardState;
            }
            WriteBuffer();
        }
        if (appliedSnapshot)
        {
            SyncNow();
            AfterSnapshotDurable();
        }
        else if (sync)
        {
            SyncIfDue();
        }
        return status;
    }

    private void AppendEntries(ReadOnlySpan<Entry> ents)
    {
        ulong first = ents[0].Index;
        if (first <= _index.LastIndex)
        {
            _index.TruncateAfter(first - 1);
        }
        long segment = Active.Sequence;
        foreach (ref readonly Entry e in ents)
        {
            int at = _buffer.AppendEntry(e);
            _index.Append(e.Term, e.Index, e.Type, e.Data.Span, segment, _writeOffset + at);
        }
    }

    /// <summary>The part of <paramref name="entries"/> to write, with MemoryStorage.Append's rules (plus: indexes must be consecutive).</summary>
    private StorageStatus SelectNewEntries(ReadOnlySpan<Entry> entries, out ReadOnlySpan<Entry> selected)
    {
        selected = default;
        if (entries.IsEmpty)
        {
            return StorageStatus.Ok;
        }
        ulong first = _index.DummyIndex + 1;
        ulong start = entries[0].Index;
        if (start + (ulong)entries.Length - 1 < first)
        {
            // All of them are compacted.
            return StorageStatus.Ok;
        }
        if (first > start)
        {
            entries = entries[(int)(first - start)..];
            start = first;
        }
        if (start > _index.LastIndex + 1)
        {
            return StorageStatus.OutOfOrder;
        }
        for (int k = 1; k < entries.Length; k++)
        {
            if (entries[k].Index != start + (ulong)k)
            {
                return StorageStatus.OutOfOrder;
            }
        }
        selected = entries;
        return StorageStatus.Ok;
    }

    private StorageStatus ApplySnapshotLocked(Snapshot snapshot)
    {
        ulong current = _snapshot.Metadata.Index;
        if (current != 0 && current >= snapshot.Metadata.Index)
        {
            return StorageStatus.SnapOutOfDate;
        }
        SnapshotFile.Write(_directory, snapshot);
        EnsureRoom(SnapshotRecordSize(snapshot.Metadata));
        _buffer.AppendSnapshot(WalRecordType.SnapshotApplied, snapshot.Metadata);
        WriteBuffer();
        _index.Reset(snapshot.Metadata.Index, snapshot.Metadata.Term);
        _snapshot = snapshot;
        _hasSnapshotFile = true;
        _confState = snapshot.Metadata.ConfState;
        _resetSegment = Active.Sequence;
        return StorageStatus.Ok;
    }

    private static long SnapshotRecordSize(SnapshotMetadata m) =>
        WalFormat.RecordHeaderSize + WalFormat.IndexTermSize + ConfStateCodec.Size(m.ConfState);

    /// <summary>Once a new snapshot's record is durable: older snapshot files and dead segments go.</summary>
    private void AfterSnapshotDurable()
    {
        if (DeleteStaleSnapshotFiles() > 0)
        {
            DurableIo.SyncDirectory(_directory);
        }
        DeleteObsoleteSegments();
    }

    /// <summary>Deletes every snapshot file but the current one; returns how many.</summary>
    private int DeleteStaleSnapshotFiles()
    {
        string? current = _hasSnapshotFile ? SnapshotFile.FileName(_snapshot.Metadata.Index, _snapshot.Metadata.Term) : null;
        int deleted = 0;
        foreach (string path in System.IO.Directory.EnumerateFiles(_directory, "*" + SnapshotFile.Extension))
        {
            string name = Path.GetFileName(path);
            if (name != current && SnapshotFile.TryParseName(name, out _, out _))
            {
                File.Delete(path);
                deleted++;
            }
        }
        return deleted;
    }

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

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowBatchTooLarge(long size) =>
        throw new ArgumentException($"a Save of {size} bytes exceeds the largest write batch ({WalFormat.MaxBodyLength} bytes)");
}
