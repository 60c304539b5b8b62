using FastRaft.Core.Storage;
using FastRaft.Protocol;

namespace FastRaft.Storage.Wal;

/// <summary>The write operations of the storage contract, and the Save batch.</summary>
public sealed partial class WriteAheadLog
{
    private const int HardStateRecordSize = WalFormat.RecordHeaderSize + WalFormat.HardStateRecordBodySize;
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
    public StorageStatus Save(HardState hardState, EntrySegments entries, Snapshot? snapshot, bool mustSync)
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
                _buffer.AppendHardState(hardState, _index.LastIndex, _index.LastTerm);
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

    private void AppendEntries(EntrySegments ents)
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
