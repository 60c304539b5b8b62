using FastRaft.Core.Storage;
using FastRaft.Protocol;

namespace FastRaft.Storage.Wal;

/// <summary>Snapshots: written to their own files, referenced by a record, older ones deleted once the new one is durable.</summary>
public sealed partial class WriteAheadLog
{
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

    /// <summary>
    /// Once a new snapshot's record is durable: the sync mark is made exact (so losing that record
    /// later is corruption, not a torn tail: an older snapshot file it made stale is about to go),
    /// then older snapshot files and dead segments go.
    /// </summary>
    private void AfterSnapshotDurable()
    {
        MakeSyncMarkExact();
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
}
