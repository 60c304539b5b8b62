using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using FastRaft.Core.Logging;
using FastRaft.Protocol;

namespace FastRaft.Core.Log;

/// <summary>
/// etcd's unstable: log entries and an optional snapshot not yet written to storage. It hands
/// them out for persistence (<see cref="NextEntries"/>, <see cref="NextSnapshot"/>), keeps them
/// visible to the log while the writes are in progress, and forgets them once they are stable.
/// The entries are kept in a ring (<see cref="EntryRing"/>): entry <c>k</c> has log index
/// <see cref="Offset"/> + k; the offset may be below the storage's last index, meaning the next
/// storage write truncates the stored log.
/// </summary>
/// <remarks>
/// Payloads are copied into an owned <see cref="PayloadArena"/> on append, so nothing refers to
/// a caller's buffer. Ranges come out as <see cref="EntrySegments"/> (two pieces where the ring
/// wraps). Those of <see cref="NextEntries"/> are handed out: they stay readable for two calls of
/// <see cref="AdvanceEpoch"/> (the node calls it once per Ready), like the payload bytes they point
/// at. Those of <see cref="Slice"/> and <see cref="Entries"/> are valid until the next mutating
/// call. Arguments to <see cref="TruncateAndAppend"/> must not be views of this log's own ring.
/// </remarks>
internal sealed class Unstable
{
    private readonly RaftLogger _logger;
    private readonly PayloadArena _arena;
    private readonly EntryRing _ring = new();

    public Unstable(RaftLogger logger, ulong offset, PayloadArena? arena = null)
    {
        _logger = logger;
        _arena = arena ?? new PayloadArena();
        Offset = offset;
        OffsetInProgress = offset;
    }

    /// <summary>The incoming snapshot not yet stable, if any.</summary>
    public Snapshot? Snapshot { get; private set; }

    /// <summary>The log index of the first entry held.</summary>
    public ulong Offset { get; private set; }

    /// <summary>
    /// Whether the snapshot is being written to storage. Normally moved by
    /// <see cref="AcceptInProgress"/> and <see cref="Restore"/>; settable so tests can build states.
    /// </summary>
    public bool SnapshotInProgress { get; set; }

    /// <summary>
    /// Entries below this index (exclusive, like <see cref="Offset"/>) are being written to
    /// storage. Invariant: <see cref="Offset"/> &lt;= OffsetInProgress. Normally moved by
    /// <see cref="AcceptInProgress"/>, <see cref="StableTo"/> and appends; settable so tests can
    /// build states.
    /// </summary>
    public ulong OffsetInProgress { get; set; }

    /// <summary>The number of entries held.</summary>
    public int Count => _ring.Count;

    /// <summary>All entries held (etcd's u.entries), to be read before the next mutating call.</summary>
    public EntrySegments Entries => _ring.Segments(0, _ring.Count);

    public PayloadArena Arena => _arena;

    // The last entry this log saw become stable (it left through StableTo): the storage holds it
    // until this log rewrites it (a truncation from at or before it, a snapshot), which clears
    // it. Valid when _stableTipIndex != 0. See TryGetStableTerm.
    private ulong _stableTipIndex;
    private ulong _stableTipTerm;

    /// <summary>The index of the first possible entry, known only when there is a snapshot.</summary>
    public bool TryGetFirstIndex(out ulong i)
    {
        if (Snapshot is not null)
        {
            i = Snapshot.Metadata.Index + 1;
            return true;
        }
        i = 0;
        return false;
    }

    /// <summary>The last index, when there is at least one entry or a snapshot.</summary>
    public bool TryGetLastIndex(out ulong i)
    {
        if (_ring.Count != 0)
        {
            i = Offset + (ulong)_ring.Count - 1;
            return true;
        }
        if (Snapshot is not null)
        {
            i = Snapshot.Metadata.Index;
            return true;
        }
        i = 0;
        return false;
    }

    /// <summary>The term of entry <paramref name="i"/>, when this log knows it.</summary>
    public bool TryGetTerm(ulong i, out ulong term)
    {
        if (i < Offset)
        {
            if (Snapshot is not null && Snapshot.Metadata.Index == i)
            {
                term = Snapshot.Metadata.Term;
                return true;
            }
            term = 0;
            return false;
        }
        if (!TryGetLastIndex(out ulong last) || i > last)
        {
            term = 0;
            return false;
        }
        term = _ring[(int)(i - Offset)].Term;
        return true;
    }

    /// <summary>
    /// The term of entry <paramref name="i"/> when it is the last entry that left this log for
    /// stable storage, so far unchanged: the entry the leader's next append and the follower's
    /// log-matching check ask about, answered without a storage call. The caller must have
    /// checked that <paramref name="i"/> is within the log's bounds.
    /// </summary>
    public bool TryGetStableTerm(ulong i, out ulong term)
    {
        term = _stableTipTerm;
        return i == _stableTipIndex && i != 0;
    }

    /// <summary>The entries not already being written to storage, handed out (see the remarks).</summary>
    public EntrySegments NextEntries()
    {
        int inProgress = (int)(OffsetInProgress - Offset);
        if (_ring.Count == inProgress)
        {
            return default;
        }
        return _ring.HandOut(inProgress, _ring.Count - inProgress);
    }

    /// <summary>Whether there are entries not already being written to storage.</summary>
    public bool HasNextEntries => Offset + (ulong)_ring.Count > OffsetInProgress;

    /// <summary>The snapshot, if there is one not already being written to storage.</summary>
    public Snapshot? NextSnapshot() => Snapshot is null || SnapshotInProgress ? null : Snapshot;

    /// <summary>
    /// Marks every entry and the snapshot as being written: they are no longer returned by
    /// <see cref="NextEntries"/> / <see cref="NextSnapshot"/>; later additions are.
    /// </summary>
    public void AcceptInProgress()
    {
        if (_ring.Count > 0)
        {
            OffsetInProgress = _ring.Last.Index + 1;
        }
        if (Snapshot is not null)
        {
            SnapshotInProgress = true;
        }
    }

    /// <summary>
    /// Entries up to (<paramref name="i"/>, <paramref name="t"/>) were written to stable storage:
    /// forget them. Ignored when that entry is not here, or is here with another term (the log
    /// was rewritten while the write was in progress).
    /// </summary>
    public void StableTo(ulong i, ulong t)
    {
        if (!TryGetTerm(i, out ulong gt) || i < Offset || gt != t)
        {
            IgnoreStableTo(i, t);
            return;
        }
        int num = (int)(i + 1 - Offset);
        _stableTipIndex = i;
        _stableTipTerm = t;
        long stableEnd = _ring.EndOf(num - 1);
        _ring.DropFront(num);
        _arena.ReleaseBefore(stableEnd);
        Offset = i + 1;
        OffsetInProgress = Math.Max(OffsetInProgress, Offset);
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void IgnoreStableTo(ulong i, ulong t)
    {
        if (!TryGetTerm(i, out ulong gt))
        {
            _logger.Info($"entry at index {i} missing from unstable log; ignoring");
        }
        else if (i < Offset)
        {
            _logger.Info($"entry at index {i} matched unstable snapshot; ignoring");
        }
        else
        {
            _logger.Info($"entry at (index,term)=({i},{t}) mismatched with entry at ({i},{gt}) in unstable log; ignoring");
        }
    }

    /// <summary>The snapshot at index <paramref name="i"/> was written to storage: forget it.</summary>
    public void StableSnapTo(ulong i)
    {
        if (Snapshot is not null && Snapshot.Metadata.Index == i)
        {
            Snapshot = null;
            SnapshotInProgress = false;
        }
    }

    /// <summary>Replaces everything with snapshot <paramref name="s"/>.</summary>
    public void Restore(Snapshot s)
    {
        Offset = s.Metadata.Index + 1;
        OffsetInProgress = Offset;
        _stableTipIndex = 0;
        DropAll();
        Snapshot = s;
        SnapshotInProgress = false;
    }

    /// <summary>
    /// Appends <paramref name="ents"/> (consecutive indexes), first cutting off whatever this log
    /// holds at or after their first index. Payloads are copied into the arena.
    /// </summary>
    public void TruncateAndAppend(ReadOnlySpan<Entry> ents)
    {
        if (ents.IsEmpty)
        {
            return;
        }
        ulong fromIndex = ents[0].Index;
        if (fromIndex <= _stableTipIndex)
        {
            // The stored entry will be overwritten.
            _stableTipIndex = 0;
        }
        if (fromIndex != Offset + (ulong)_ring.Count)
        {
            // Not directly after the last entry: cut first.
            CutFrom(fromIndex);
        }
        AppendCopies(ents);
    }

    /// <summary>Drops whatever this log holds at or after <paramref name="fromIndex"/> (a conflicting suffix).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private void CutFrom(ulong fromIndex)
    {
        if (fromIndex <= Offset)
        {
            _logger.Info($"replace the unstable entries from index {fromIndex}");
            DropAll();
            Offset = fromIndex;
            OffsetInProgress = Offset;
        }
        else
        {
            _logger.Info($"truncate the unstable entries before index {fromIndex}");
            MustCheckOutOfBounds(Offset, fromIndex);
            int keep = (int)(fromIndex - Offset);
            _arena.TruncateTo(_ring.EndOf(keep - 1));
            _ring.Truncate(keep);
            // Only the in-progress entries before fromIndex are still in progress.
            OffsetInProgress = Math.Min(OffsetInProgress, fromIndex);
        }
    }

    /// <summary>The entries with indexes in [<paramref name="lo"/>, <paramref name="hi"/>), which must all be here.</summary>
    public EntrySegments Slice(ulong lo, ulong hi)
    {
        MustCheckOutOfBounds(lo, hi);
        return _ring.Segments((int)(lo - Offset), (int)(hi - lo));
    }

    /// <summary>
    /// The entries with indexes in [<paramref name="lo"/>, <paramref name="hi"/>), which must all
    /// be here, handed out like <see cref="NextEntries"/> (for a message built now and sent with
    /// the next Ready).
    /// </summary>
    public EntrySegments HandOut(ulong lo, ulong hi)
    {
        MustCheckOutOfBounds(lo, hi);
        return _ring.HandOut((int)(lo - Offset), (int)(hi - lo));
    }

    /// <summary>
    /// The Ready boundary, for the ring and the payload arena: what was dropped two boundaries
    /// ago may be written again (see <see cref="PayloadArena.AdvanceEpoch"/>).
    /// </summary>
    public void AdvanceEpoch()
    {
        _ring.AdvanceEpoch();
        _arena.AdvanceEpoch();
    }

    /// <summary>Whether the ring holds an array or the arena a chunk (tests of <see cref="ReleaseBuffersIfEmpty"/>).</summary>
    public bool HoldsBuffers => _ring.Capacity != 0 || _arena.LiveChunkCount + _arena.PendingChunkCount + _arena.FreeChunkCount != 0;

    /// <summary>
    /// When nothing is unstable, drops the ring's arrays and the arena's chunks (a quiet node's;
    /// the next append allocates anew). Views handed out keep what they point at alive.
    /// </summary>
    public void ReleaseBuffersIfEmpty()
    {
        if (_ring.Count == 0 && Snapshot is null)
        {
            _ring.ReleaseArrays();
            _arena.DropChunks();
        }
    }

    private void AppendCopies(ReadOnlySpan<Entry> ents) => _ring.AppendCopies(ents, _arena);

    private void DropAll()
    {
        _ring.Clear();
        _arena.ReleaseAll();
    }

    // Offset <= lo <= hi <= Offset + Count.
    private void MustCheckOutOfBounds(ulong lo, ulong hi)
    {
        if (lo > hi)
        {
            PanicInvertedSlice(lo, hi);
        }
        ulong upper = Offset + (ulong)_ring.Count;
        if (lo < Offset || hi > upper)
        {
            PanicOutOfBound(lo, hi, upper);
        }
    }

    [DoesNotReturn]
    private void PanicInvertedSlice(ulong lo, ulong hi) => _logger.Panic($"invalid unstable.slice {lo} > {hi}");

    [DoesNotReturn]
    private void PanicOutOfBound(ulong lo, ulong hi, ulong upper) =>
        _logger.Panic($"unstable.slice[{lo},{hi}) out of bound [{Offset},{upper}]");
}
