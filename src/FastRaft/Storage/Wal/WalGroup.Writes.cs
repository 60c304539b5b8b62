using FastRaft.Core.Storage;
using FastRaft.Protocol;

namespace FastRaft.Storage.Wal;

/// <summary>The write operations of the storage contract, and the Save batch.</summary>
public sealed partial class WalGroup
{
    private int HardStateRecordSize => WalFormat.RecordHeaderSize + WalFormat.GroupPrefix(GroupId) + WalFormat.HardStateRecordBodySize;

    /// <summary>
    /// Writes one Ready: the snapshot (when not null and not empty), then the entries, then the
    /// hard state (when not empty and changed), with <see cref="MemoryStorage"/>'s rules for
    /// entries (those at or before the dummy are ignored, those at or before the last index
    /// replace the tail, a gap is OutOfOrder and nothing of the entries is written). On disk the
    /// hard state follows the entries, so a torn batch never leaves a commit index past the log.
    /// </summary>
    /// <remarks>
    /// In a shared log nothing is synced here (<paramref name="mustSync"/> is the caller's
    /// business: <see cref="SharedWriteAheadLog.SyncWrites"/>), except a snapshot, which is made
    /// durable before older snapshot files are deleted. Entries and hard state are encoded
    /// outside the log's lock, then appended to the shared segment with one write.
    /// </remarks>
    public StorageStatus Save(HardState hardState, EntrySegments entries, Snapshot? snapshot, bool mustSync)
    {
        lock (_gate)
        {
            _store.ThrowIfUnusable();
            try
            {
                return SaveLocked(hardState, entries, snapshot, mustSync);
            }
            catch (Exception e) when (WalStore.IsIoFailure(e))
            {
                throw _store.FailUnlocked(e);
            }
            finally
            {
                _buffer.Clear();
            }
        }
    }

    /// <summary>
    /// Discards the entries before <paramref name="compactIndex"/>, which becomes the dummy entry,
    /// and deletes the segments that hold nothing live of any group any more. Compacted when not
    /// past the current dummy; Unavailable when past the last index.
    /// </summary>
    public StorageStatus Compact(ulong compactIndex)
    {
        lock (_gate)
        {
            _store.ThrowIfUnusable();
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
                _buffer.AppendCompact(compactIndex, term);
                Write(CurrentCheckpoint() with { DummyIndex = compactIndex, DummyTerm = term }, resetsLog: false, out _, out _);
                _index.CompactTo(compactIndex, term);
                _store.AfterCompaction();
            }
            catch (Exception e) when (WalStore.IsIoFailure(e))
            {
                throw _store.FailUnlocked(e);
            }
            finally
            {
                _buffer.Clear();
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
            _store.ThrowIfUnusable();
            try
            {
                _buffer.AppendConfState(confState);
                Write(CurrentCheckpoint() with { ConfState = confState }, resetsLog: false, out _, out _);
                _confState = confState;
                _store.Sync();
            }
            catch (Exception e) when (WalStore.IsIoFailure(e))
            {
                throw _store.FailUnlocked(e);
            }
            finally
            {
                _buffer.Clear();
            }
            return StorageStatus.Ok;
        }
    }

    private StorageStatus SaveLocked(HardState hardState, EntrySegments entries, Snapshot? snapshot, bool mustSync)
    {
        bool sync = mustSync;
        bool appliedSnapshot = false;
        StorageStatus status = StorageStatus.Ok;
        if (snapshot is { IsEmpty: false })
        {
            status = ApplySnapshotLocked(snapshot);
            appliedSnapshot = status == StorageStatus.Ok;
        }
        EntrySegments ents = default;
        if (status == StorageStatus.Ok)
        {
            status = SelectNewEntries(entries, out ents);
        }
        bool writeHardState = !hardState.IsEmpty && hardState != _hardState;
        long size = writeHardState ? HardStateRecordSize : 0;
        foreach (ref readonly Entry e in ents)
        {
            size += WalFormat.EntryRecordSize(e.Data.Length, GroupId);
        }
        if (size > WalFormat.MaxBodyLength)
        {
            ThrowBatchTooLarge(size);
        }
        if (size > 0)
        {
            ulong lastIndex = _index.LastIndex;
            ulong lastTerm = _index.LastTerm;
            foreach (ref readonly Entry e in ents)
            {
                _buffer.AppendEntry(e);
                lastIndex = e.Index;
                lastTerm = e.Term;
            }
            if (writeHardState)
            {
                sync |= hardState.Term != _hardState.Term || hardState.Vote != _hardState.Vote;
                _buffer.AppendHardState(hardState, lastIndex, lastTerm);
            }
            Write(CurrentCheckpoint() with { HardState = writeHardState ? hardState : _hardState, LastIndex = lastIndex, LastTerm = lastTerm },
                resetsLog: false, out long segment, out long offset);
            if (!ents.IsEmpty)
            {
                IndexWritten(ents, segment, offset);
                sync = true;
            }
            if (writeHardState)
            {
                _hardState = hardState;
            }
        }
        if (appliedSnapshot)
        {
            _store.AfterSnapshotWritten(this, CurrentSnapshotFile!);
        }
        else if (sync && !_store.Shared)
        {
            _store.SyncIfDue();
        }
        return status;
    }

    /// <summary>Appends the buffer's records to the log, publishing <paramref name="after"/>, and empties the buffer.</summary>
    private void Write(in WalCheckpoint after, bool resetsLog, out long segment, out long offset)
    {
        try
        {
            _store.Write(this, _buffer.Written, after, resetsLog, out segment, out offset);
        }
        finally
        {
            _buffer.Clear();
        }
    }

    /// <summary>Indexes entries just written back to back from <paramref name="offset"/> of <paramref name="segment"/>.</summary>
    private void IndexWritten(EntrySegments ents, long segment, long offset)
    {
        ulong first = ents[0].Index;
        if (first <= _index.LastIndex)
        {
            _index.TruncateAfter(first - 1);
        }
        long at = offset;
        foreach (ref readonly Entry e in ents)
        {
            _index.Append(e.Term, e.Index, e.Type, e.Data.Span, segment, at);
            at += WalFormat.EntryRecordSize(e.Data.Length, GroupId);
        }
    }

    /// <summary>The part of <paramref name="entries"/> to write, with MemoryStorage.Append's rules (plus: indexes must be consecutive).</summary>
    private StorageStatus SelectNewEntries(EntrySegments entries, out EntrySegments selected)
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
            entries = entries.Slice((int)(first - start));
            start = first;
        }
        if (start > _index.LastIndex + 1)
        {
            return StorageStatus.OutOfOrder;
        }
        ulong expected = start;
        foreach (ref readonly Entry e in entries)
        {
            if (e.Index != expected)
            {
                return StorageStatus.OutOfOrder;
            }
            expected++;
        }
        selected = entries;
        return StorageStatus.Ok;
    }

    [System.Diagnostics.CodeAnalysis.DoesNotReturn]
    private static void ThrowBatchTooLarge(long size) =>
        throw new ArgumentException($"a Save of {size} bytes exceeds the largest write batch ({WalFormat.MaxBodyLength} bytes)");
}
