using FastRaft.Core.Storage;
using FastRaft.Protocol;

namespace FastRaft.Storage.Wal;

/// <summary>Snapshots: written to their own files, referenced by a record, older ones deleted once the new one is durable.</summary>
public sealed partial class WalGroup
{
    /// <summary>
    /// Replaces the group's whole log with <paramref name="snapshot"/>, durably. SnapOutOfDate
    /// when it is not newer than the current snapshot (a snapshot at index 0 carrying only a
    /// configuration is accepted while there is none, for bootstrapping).
    /// </summary>
    public StorageStatus ApplySnapshot(Snapshot snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        lock (_gate)
        {
            _store.ThrowIfUnusable();
            try
            {
                StorageStatus st = ApplySnapshotLocked(snapshot);
                if (st == StorageStatus.Ok)
                {
                    _store.AfterSnapshotWritten(this, CurrentSnapshotFile!);
                }
                return st;
            }
            catch (Exception e) when (WalStore.IsIoFailure(e))
            {
                throw _store.FailUnlocked(e);
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
            _store.ThrowIfUnusable();
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
                SnapshotFile.Write(_store.Directory, GroupId, created);
                _buffer.AppendSnapshot(WalRecordType.SnapshotCreated, created.Metadata);
                Write(CurrentCheckpoint() with { HasSnapshot = true, SnapshotIndex = index, SnapshotTerm = term, ConfState = created.Metadata.ConfState },
                    resetsLog: false, out _, out _);
                _snapshot = created;
                _hasSnapshotFile = true;
                _confState = created.Metadata.ConfState;
                _store.AfterSnapshotWritten(this, CurrentSnapshotFile!);
            }
            catch (Exception e) when (WalStore.IsIoFailure(e))
            {
                throw _store.FailUnlocked(e);
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
        SnapshotMetadata m = snapshot.Metadata;
        SnapshotFile.Write(_store.Directory, GroupId, snapshot);
        _buffer.AppendSnapshot(WalRecordType.SnapshotApplied, m);
        Write(new WalCheckpoint(_hardState, m.ConfState, true, m.Index, m.Term, m.Index, m.Term, m.Index, m.Term), resetsLog: true, out _, out _);
        _index.Reset(m.Index, m.Term);
        _snapshot = snapshot;
        _hasSnapshotFile = true;
        _confState = m.ConfState;
        return StorageStatus.Ok;
    }
}
