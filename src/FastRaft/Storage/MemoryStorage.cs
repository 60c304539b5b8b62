using FastRaft.Core.Storage;
using FastRaft.Protocol;

namespace FastRaft.Storage;

/// <summary>
/// An in-memory <see cref="IStorage"/> with etcd's MemoryStorage semantics: the log starts with
/// a dummy entry at the snapshot position, so the term of FirstIndex()-1 stays answerable. Every
/// failure is a <see cref="StorageStatus"/>, never an exception.
/// </summary>
/// <remarks>
/// Payloads are copied on <see cref="Append"/> into an owned arena; entries read through
/// <see cref="Entries"/> point into it. Those views stay readable after compaction or truncation
/// until the host has called <see cref="AdvanceEpoch"/> twice (it calls it once per Ready), the
/// same lifetime as a Ready's. Snapshots are immutable and held by reference. All members are
/// safe to call from several threads.
/// </remarks>
public sealed class MemoryStorage : IRaftStorage
{
    /// <summary>The default size, in bytes, of the pooled chunks that hold entry payloads (64 KiB).</summary>
    public const int DefaultPayloadChunkSize = 64 * 1024;

    private readonly Lock _gate = new();
    private readonly PayloadArena _arena;

    // _ents[0] is the dummy entry at the snapshot position; _ents[k] has index _ents[0].Index + k.
    private readonly EntryWindow _ents = new();

    // FirstIndex() and LastIndex() as of the last change, published under the gate and read
    // without it: the node asks for them several times per Ready, and each answer is one value
    // that was current at some instant, exactly what taking the lock would give.
    private ulong _firstIndex;
    private ulong _lastIndex;

    private HardState _hardState;
    private Snapshot _snapshot = Protocol.Snapshot.Empty;

    /// <summary>An empty storage: no entries, empty hard state, no snapshot.</summary>
    /// <param name="payloadChunkSize">Size in bytes of each chunk of the payload arena; a payload larger than a chunk gets a chunk of its own.</param>
    public MemoryStorage(int payloadChunkSize = DefaultPayloadChunkSize)
    {
        _arena = new PayloadArena(payloadChunkSize);
        _ents.Add(new Entry(0, 0), _arena.Tail);
        PublishBounds();
    }

    /// <summary>The last hard state saved with <see cref="SetHardState"/>.</summary>
    public HardState HardState
    {
        get
        {
            lock (_gate)
            {
                return _hardState;
            }
        }
    }

    /// <summary>
    /// The configuration <see cref="InitialState"/> returns: that of the latest snapshot applied
    /// with <see cref="ApplySnapshot"/> or created with <see cref="CreateSnapshot"/>.
    /// </summary>
    public ConfState ConfState
    {
        get
        {
            lock (_gate)
            {
                return _snapshot.Metadata.ConfState;
            }
        }
    }

    /// <inheritdoc />
    public StorageStatus InitialState(out HardState hardState, out ConfState confState)
    {
        lock (_gate)
        {
            hardState = _hardState;
            confState = _snapshot.Metadata.ConfState;
            return StorageStatus.Ok;
        }
    }

    /// <summary>
    /// Applies one Ready's writes in order, under one acquisition of the lock: hard state,
    /// snapshot, entries (nothing here needs syncing).
    /// </summary>
    public StorageStatus Save(HardState hardState, EntrySegments entries, Snapshot? snapshot, bool mustSync)
    {
        lock (_gate)
        {
            if (!hardState.IsEmpty)
            {
                _hardState = hardState;
            }
            if (snapshot is { IsEmpty: false })
            {
                StorageStatus st = ApplySnapshotLocked(snapshot);
                if (st != StorageStatus.Ok)
                {
                    return st;
                }
            }
            // The second piece continues the first (a run has consecutive indexes): once the first is
            // in, the second cannot leave a gap.
            StorageStatus appended = AppendLocked(entries.First.Span);
            return appended == StorageStatus.Ok ? AppendLocked(entries.Second.Span) : appended;
        }
    }

    /// <summary>Nothing to release: the memory is reclaimed by the garbage collector.</summary>
    public void Dispose() { }

    /// <summary>Replaces the saved hard state (term, vote, commit); always <see cref="StorageStatus.Ok"/>.</summary>
    public StorageStatus SetHardState(HardState st)
    {
        lock (_gate)
        {
            _hardState = st;
            return StorageStatus.Ok;
        }
    }

    /// <inheritdoc />
    public StorageStatus Entries(ulong lo, ulong hi, ulong maxSize, EntryBuffer destination)
    {
        lock (_gate)
        {
            ulong offset = _ents[0].Index;
            if (lo <= offset)
            {
                return StorageStatus.Compacted;
            }
            // etcd panics on a range past the end; here it is a result like the rest.
            if (hi > LastIndexLocked() + 1 || lo > hi)
            {
                return StorageStatus.Unavailable;
            }
            if (_ents.Count == 1)
            {
                // Only the dummy entry.
                return StorageStatus.Unavailable;
            }
            ReadOnlySpan<Entry> range = _ents.Slice((int)(lo - offset), (int)(hi - lo));
            destination.AddRange(range[..EntrySizes.LimitSize(range, maxSize)]);
            return StorageStatus.Ok;
        }
    }

    /// <inheritdoc />
    public StorageStatus Term(ulong i, out ulong term)
    {
        lock (_gate)
        {
            term = 0;
            ulong offset = _ents[0].Index;
            if (i < offset)
            {
                return StorageStatus.Compacted;
            }
            if (i - offset >= (ulong)_ents.Count)
            {
                return StorageStatus.Unavailable;
            }
            term = _ents[(int)(i - offset)].Term;
            return StorageStatus.Ok;
        }
    }

    /// <inheritdoc />
    public ulong LastIndex() => Volatile.Read(ref _lastIndex);

    /// <inheritdoc />
    public ulong FirstIndex() => Volatile.Read(ref _firstIndex);

    /// <inheritdoc />
    public StorageStatus Snapshot(out Snapshot snapshot)
    {
        lock (_gate)
        {
            snapshot = _snapshot;
            return StorageStatus.Ok;
        }
    }

    /// <summary>
    /// Replaces the whole content with <paramref name="snap"/>. SnapOutOfDate when it is not newer
    /// than the current snapshot (a snapshot at index 0 only carrying a configuration is accepted
    /// while the storage has none, for bootstrapping).
    /// </summary>
    public StorageStatus ApplySnapshot(Snapshot snap)
    {
        ArgumentNullException.ThrowIfNull(snap);
        lock (_gate)
        {
            return ApplySnapshotLocked(snap);
        }
    }

    private StorageStatus ApplySnapshotLocked(Snapshot snap)
    {
        ulong current = _snapshot.Metadata.Index;
        if (current != 0 && current >= snap.Metadata.Index)
        {
            return StorageStatus.SnapOutOfDate;
        }
        _snapshot = snap;
        _ents.Clear();
        _arena.ReleaseAll();
        _ents.Add(new Entry(snap.Metadata.Term, snap.Metadata.Index), _arena.Tail);
        PublishBounds();
        return StorageStatus.Ok;
    }

    /// <summary>
    /// Makes a snapshot at index <paramref name="i"/> with <paramref name="data"/> (held by
    /// reference) and configuration <paramref name="cs"/> (the current one when null).
    /// SnapOutOfDate when not newer than the current snapshot; Unavailable when
    /// <paramref name="i"/> is past the last index (etcd panics there).
    /// </summary>
    public StorageStatus CreateSnapshot(ulong i, ConfState? cs, ReadOnlyMemory<byte> data, out Snapshot snap)
    {
        lock (_gate)
        {
            if (i <= _snapshot.Metadata.Index)
            {
                snap = Protocol.Snapshot.Empty;
                return StorageStatus.SnapOutOfDate;
            }
            if (i > LastIndexLocked())
            {
                snap = Protocol.Snapshot.Empty;
                return StorageStatus.Unavailable;
            }
            ulong offset = _ents[0].Index;
            var metadata = new SnapshotMetadata(cs ?? _snapshot.Metadata.ConfState, i, _ents[(int)(i - offset)].Term);
            _snapshot = new Snapshot(data, metadata);
            snap = _snapshot;
            return StorageStatus.Ok;
        }
    }

    /// <summary>
    /// Discards the entries before <paramref name="compactIndex"/>, which becomes the new dummy
    /// entry. Compacted when it is not past the current dummy; Unavailable when past the last
    /// index (etcd panics there).
    /// </summary>
    public StorageStatus Compact(ulong compactIndex)
    {
        lock (_gate)
        {
            ulong offset = _ents[0].Index;
            if (compactIndex <= offset)
            {
                return StorageStatus.Compacted;
            }
            if (compactIndex > LastIndexLocked())
            {
                return StorageStatus.Unavailable;
            }
            int i = (int)(compactIndex - offset);
            ulong term = _ents[i].Term;
            long releasedUpTo = _ents.EndOf(i);
            _ents.DropFront(i);
            // The new dummy keeps only index and term; its payload goes with the compacted ones.
            _ents.Replace(0, new Entry(term, compactIndex));
            _arena.ReleaseBefore(releasedUpTo);
            PublishBounds();
            return StorageStatus.Ok;
        }
    }

    /// <summary>
    /// Appends <paramref name="entries"/> (consecutive indexes), replacing any stored entries at or
    /// after the first of them. Entries before the first index are ignored. OutOfOrder when they
    /// would leave a gap after the last index (etcd panics "missing log entry").
    /// </summary>
    public StorageStatus Append(ReadOnlySpan<Entry> entries)
    {
        if (entries.IsEmpty)
        {
            return StorageStatus.Ok;
        }
        lock (_gate)
        {
            return AppendLocked(entries);
        }
    }

    private StorageStatus AppendLocked(ReadOnlySpan<Entry> entries)
    {
        if (entries.IsEmpty)
        {
            return StorageStatus.Ok;
        }
        ulong first = _ents[0].Index + 1;
        ulong last = entries[0].Index + (ulong)entries.Length - 1;
        if (last < first)
        {
            // Nothing new: all of them are compacted.
            return StorageStatus.Ok;
        }
        if (first > entries[0].Index)
        {
            entries = entries[(int)(first - entries[0].Index)..];
        }
        ulong offset = entries[0].Index - _ents[0].Index;
        if ((ulong)_ents.Count < offset)
        {
            return StorageStatus.OutOfOrder;
        }
        if ((ulong)_ents.Count > offset)
        {
            int keep = (int)offset;
            _arena.TruncateTo(_ents.EndOf(keep - 1));
            _ents.Truncate(keep);
        }
        _ents.AppendCopies(entries, _arena);
        PublishBounds();
        return StorageStatus.Ok;
    }

    /// <summary>
    /// Marks a Ready boundary for the payload lifetime rule: space released by compaction or
    /// truncation is reused only after two calls. The host calls it once per Ready.
    /// </summary>
    public void AdvanceEpoch()
    {
        lock (_gate)
        {
            _arena.AdvanceEpoch();
        }
    }

    private ulong LastIndexLocked() => _ents[0].Index + (ulong)_ents.Count - 1;

    /// <summary>Publishes the bounds after a change of the entries (called under the gate).</summary>
    private void PublishBounds()
    {
        ulong dummy = _ents[0].Index;
        Volatile.Write(ref _firstIndex, dummy + 1);
        Volatile.Write(ref _lastIndex, dummy + (ulong)_ents.Count - 1);
    }
}
