using FastRaft.Core.Logging;
using FastRaft.Core.Storage;
using FastRaft.Protocol;

namespace FastRaft.Core.Log;

/// <summary>
/// etcd's raftLog: the application's stable storage plus the <see cref="Core.Log.Unstable"/>
/// tail, with the commit and apply cursors. Reads that return entries append them to a
/// caller-supplied <see cref="EntryBuffer"/>; expected conditions (compacted, unavailable) are
/// <see cref="StorageStatus"/> values, invariant violations panic with etcd's texts.
/// </summary>
internal sealed partial class RaftLog
{
    private readonly RaftLogger _logger;

    // Limit on the bytes handed out by NextCommittedEnts and not yet acknowledged by AppliedTo.
    private readonly ulong _maxApplyingEntsSize;

    public RaftLog(IStorage storage, RaftLogger logger, ulong maxApplyingEntsSize = ulong.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(logger);
        Storage = storage;
        _logger = logger;
        _maxApplyingEntsSize = maxApplyingEntsSize;
        ulong firstIndex = storage.FirstIndex();
        ulong lastIndex = storage.LastIndex();
        Unstable = new Unstable(logger, lastIndex + 1);
        // Start at the last compaction point: everything before it is committed and applied.
        Committed = firstIndex - 1;
        Applying = firstIndex - 1;
        Applied = firstIndex - 1;
    }

    /// <summary>All stable entries since the last snapshot.</summary>
    public IStorage Storage { get; }

    /// <summary>Entries and snapshot not yet written to storage.</summary>
    public Unstable Unstable { get; }

    /// <summary>
    /// The highest index known to be stable on a quorum. Settable for the node's state loading
    /// (etcd assigns it directly there); otherwise moved by <see cref="CommitTo"/>.
    /// </summary>
    public ulong Committed { get; set; }

    /// <summary>The highest index handed to the application to apply. Applied &lt;= Applying &lt;= Committed.</summary>
    public ulong Applying { get; private set; }

    /// <summary>The highest index the application has applied. Applied &lt;= Committed.</summary>
    public ulong Applied { get; private set; }

    /// <summary>Bytes handed out for applying and not yet acknowledged.</summary>
    public ulong ApplyingEntsSize { get; private set; }

    /// <summary>
    /// Whether handing out committed entries is paused until enough are acknowledged as applied.
    /// Settable so tests can build states.
    /// </summary>
    public bool ApplyingEntsPaused { get; set; }

    public ulong MaxApplyingEntsSize => _maxApplyingEntsSize;

    public override string ToString() =>
        $"committed={Committed}, applied={Applied}, applying={Applying}, unstable.offset={Unstable.Offset}, unstable.offsetInProgress={Unstable.OffsetInProgress}, len(unstable.Entries)={Unstable.Count}";

    /// <summary>
    /// Appends <paramref name="ents"/> after (<paramref name="index"/>, <paramref name="logTerm"/>)
    /// when this log has that entry, cutting off any conflicting suffix, and commits up to
    /// min(<paramref name="committed"/>, last new index). False when the entry does not match.
    /// </summary>
    public bool TryAppend(ulong index, ulong logTerm, ulong committed, ReadOnlySpan<Entry> ents, out ulong lastNewIndex)
    {
        if (!MatchTerm(index, logTerm))
        {
            lastNewIndex = 0;
            return false;
        }
        lastNewIndex = index + (ulong)ents.Length;
        ulong ci = FindConflict(ents);
        if (ci != 0)
        {
            if (ci <= Committed)
            {
                PanicConflictWithCommitted(ci);
            }
            ulong offset = index + 1;
            if (ci - offset > (ulong)ents.Length)
            {
                PanicConflictOutOfRange(ci - offset, ents.Length);
            }
            Append(ents[(int)(ci - offset)..]);
        }
        CommitTo(Math.Min(committed, lastNewIndex));
        return true;
    }

    /// <summary>Appends to the unstable log (cutting off anything at or after the first new index); returns the last index.</summary>
    public ulong Append(ReadOnlySpan<Entry> ents)
    {
        if (ents.IsEmpty)
        {
            return LastIndex();
        }
        ulong after = ents[0].Index - 1;
        if (after < Committed)
        {
            PanicAppendBeforeCommitted(after);
        }
        Unstable.TruncateAndAppend(ents);
        return LastIndex();
    }

    /// <summary>
    /// The index of the first of <paramref name="ents"/> whose term differs from this log's entry
    /// at that index, or that this log does not have; 0 when this log already has them all.
    /// </summary>
    public ulong FindConflict(ReadOnlySpan<Entry> ents)
    {
        foreach (ref readonly Entry ne in ents)
        {
            if (!MatchTerm(ne.Index, ne.Term))
            {
                if (ne.Index <= LastIndex())
                {
                    _logger.Info($"found conflict at index {ne.Index} [existing term: {ZeroTermOnOutOfBounds(ne.Index)}, conflicting term: {ne.Term}]");
                }
                return ne.Index;
            }
        }
        return 0;
    }

    /// <summary>
    /// The largest index &lt;= <paramref name="index"/> whose term is &lt;= <paramref name="term"/>
    /// or unknown (compacted or not yet stored), with that term (0 when unknown): where this log
    /// probably stops matching another whose entry at <paramref name="index"/> has <paramref name="term"/>.
    /// </summary>
    public (ulong Index, ulong Term) FindConflictByTerm(ulong index, ulong term)
    {
        for (; index > 0; index--)
        {
            if (Term(index, out ulong ourTerm) != StorageStatus.Ok)
            {
                // Unknown: assume a possible match.
                return (index, 0);
            }
            if (ourTerm <= term)
            {
                return (index, ourTerm);
            }
        }
        return (0, 0);
    }

    /// <summary>Entries to write to stable storage that are not already being written (handed out until two Ready boundaries pass).</summary>
    public EntrySegments NextUnstableEnts() => Unstable.NextEntries();

    public bool HasNextUnstableEnts() => Unstable.HasNextEntries;

    public bool HasNextOrInProgressUnstableEnts() => Unstable.Count > 0;

    /// <summary>
    /// Appends to <paramref name="dest"/> the committed entries ready to apply (from the unstable
    /// log too when <paramref name="allowUnstable"/>), within the outstanding applying size limit.
    /// </summary>
    public void NextCommittedEnts(bool allowUnstable, EntryBuffer dest)
    {
        if (ApplyingEntsPaused || HasNextOrInProgressSnapshot())
        {
            // Paused by the size limit, or a snapshot must be applied first.
            return;
        }
        ulong lo = Applying + 1;
        ulong hi = MaxAppliableIndex(allowUnstable) + 1;
        if (lo >= hi)
        {
            return;
        }
        ulong maxSize = _maxApplyingEntsSize - ApplyingEntsSize;
        if (maxSize == 0)
        {
            PanicApplyingSize(maxSize);
        }
        StorageStatus status = Slice(lo, hi, maxSize, dest);
        if (status != StorageStatus.Ok)
        {
            PanicUnappliedEntries(status);
        }
    }

    /// <summary>Whether <see cref="NextCommittedEnts"/> would return anything (without reading entries).</summary>
    public bool HasNextCommittedEnts(bool allowUnstable)
    {
        if (ApplyingEntsPaused || HasNextOrInProgressSnapshot())
        {
            // No committed entries while a snapshot is pending: which comes first would be unclear.
            return false;
        }
        return Applying + 1 < MaxAppliableIndex(allowUnstable) + 1;
    }

    /// <summary>The highest committed index that may be applied; only stable entries unless <paramref name="allowUnstable"/>.</summary>
    public ulong MaxAppliableIndex(bool allowUnstable)
    {
        ulong hi = Committed;
        if (!allowUnstable)
        {
            hi = Math.Min(hi, Unstable.Offset - 1);
        }
        return hi;
    }

    public Snapshot? NextUnstableSnapshot() => Unstable.NextSnapshot();

    public bool HasNextUnstableSnapshot() => Unstable.NextSnapshot() is not null;

    public bool HasNextOrInProgressSnapshot() => Unstable.Snapshot is not null;

    public StorageStatus Snapshot(out Snapshot snapshot)
    {
        if (Unstable.Snapshot is not null)
        {
            snapshot = Unstable.Snapshot;
            return StorageStatus.Ok;
        }
        return Storage.Snapshot(out snapshot);
    }

    public ulong FirstIndex() => Unstable.TryGetFirstIndex(out ulong i) ? i : Storage.FirstIndex();

    public ulong LastIndex() => Unstable.TryGetLastIndex(out ulong i) ? i : Storage.LastIndex();

    /// <summary>Raises the commit index (never lowers it).</summary>
    public void CommitTo(ulong tocommit)
    {
        if (Committed < tocommit)
        {
            if (LastIndex() < tocommit)
            {
                PanicCommitOutOfRange(tocommit);
            }
            Committed = tocommit;
        }
    }

    /// <summary>The application applied up to <paramref name="i"/>, entries of <paramref name="size"/> bytes.</summary>
    public void AppliedTo(ulong i, ulong size)
    {
        if (Committed < i || i < Applied)
        {
            PanicAppliedOutOfRange(i);
        }
        Applied = i;
        Applying = Math.Max(Applying, i);
        // Saturating: wrong accounting by the caller must not wrap around.
        ApplyingEntsSize = ApplyingEntsSize > size ? ApplyingEntsSize - size : 0;
        ApplyingEntsPaused = ApplyingEntsSize >= _maxApplyingEntsSize;
    }

    /// <summary>Entries up to <paramref name="i"/>, of <paramref name="size"/> bytes, were handed to the application.</summary>
    public void AcceptApplying(ulong i, ulong size, bool allowUnstable)
    {
        if (Committed < i)
        {
            PanicApplyingOutOfRange(i);
        }
        Applying = i;
        ApplyingEntsSize += size;
        // Pause when the limit is reached, or when the last hand-out was cut short by the limit
        // (it stopped before the highest appliable index), so the next entry would exceed it.
        ApplyingEntsPaused = ApplyingEntsSize >= _maxApplyingEntsSize || i < MaxAppliableIndex(allowUnstable);
    }

    public void StableTo(ulong i, ulong t) => Unstable.StableTo(i, t);

    public void StableSnapTo(ulong i) => Unstable.StableSnapTo(i);

    /// <summary>The application started persisting the current unstable entries and snapshot.</summary>
    public void AcceptUnstable() => Unstable.AcceptInProgress();

    public ulong LastTerm() => Tip().Term;

    /// <summary>The index and term of the last entry.</summary>
    public (ulong Index, ulong Term) Tip()
    {
        ulong index = LastIndex();
        StorageStatus status = Term(index, out ulong term);
        if (status != StorageStatus.Ok)
        {
            PanicLastTerm(status);
        }
        return (index, term);
    }

    /// <summary>
    /// The term of entry <paramref name="i"/>, answerable for [FirstIndex()-1, LastIndex()]:
    /// Compacted below, Unavailable above.
    /// </summary>
    public StorageStatus Term(ulong i, out ulong term)
    {
        // The unstable log first: a hit there is in range without asking the storage.
        if (Unstable.TryGetTerm(i, out term))
        {
            return StorageStatus.Ok;
        }
        // The term of FirstIndex()-1 stays known after compaction, for matching appends.
        if (i + 1 < FirstIndex())
        {
            return StorageStatus.Compacted;
        }
        if (i > LastIndex())
        {
            return StorageStatus.Unavailable;
        }
        if (Unstable.TryGetStableTerm(i, out term))
        {
            return StorageStatus.Ok;
        }
        StorageStatus status = Storage.Term(i, out term);
        if (status is StorageStatus.Ok or StorageStatus.Compacted or StorageStatus.Unavailable)
        {
            return status;
        }
        PanicUnexpected(status);
        return status;
    }

    /// <summary>Appends entries from <paramref name="i"/> to the end, within <paramref name="maxSize"/> (at least one).</summary>
    public StorageStatus Entries(ulong i, ulong maxSize, EntryBuffer dest)
    {
        ulong last = LastIndex();
        if (i > last)
        {
            return StorageStatus.Ok;
        }
        return Slice(i, last + 1, maxSize, dest);
    }

    /// <summary>
    /// The entries from <paramref name="i"/> to the end as one view of the unstable log's ring,
    /// when they are all unstable, surely fit <paramref name="maxSize"/> and do not wrap around
    /// the ring: what <see cref="Entries"/> would return, without copying. False otherwise
    /// (then <see cref="Entries"/> copies them). The view is handed out: it stays valid for the
    /// message built with it until the Ready after the one that sends it.
    /// </summary>
    public bool TryLendUnstableEntries(ulong i, ulong maxSize, out ReadOnlyMemory<Entry> ents)
    {
        ents = default;
        if (i < Unstable.Offset || !Unstable.TryGetLastIndex(out ulong last) || i > last)
        {
            return false;
        }
        EntrySegments range = Unstable.HandOut(i, last + 1);
        if (!range.IsSingleSegment || !EntrySizes.FitsSurely(range.First.Span, maxSize))
        {
            return false;
        }
        ents = range.First;
        return true;
    }

    /// <summary>Appends every entry of the log.</summary>
    public void AllEntries(EntryBuffer dest)
    {
        int start = dest.Count;
        while (true)
        {
            StorageStatus status = Entries(FirstIndex(), ulong.MaxValue, dest);
            if (status == StorageStatus.Ok)
            {
                return;
            }
            if (status != StorageStatus.Compacted)
            {
                PanicUnexpected(status);
            }
            // A compaction raced with the read: try again.
            dest.Truncate(start);
        }
    }

    /// <summary>
    /// Whether a log ending at (<paramref name="lasti"/>, <paramref name="term"/>) is at least as
    /// up to date as this one: a later last term wins; with equal terms the longer log wins.
    /// </summary>
    public bool IsUpToDate(ulong lasti, ulong term)
    {
        (ulong lastIndex, ulong lastTerm) = Tip();
        return term > lastTerm || (term == lastTerm && lasti >= lastIndex);
    }

    public bool MatchTerm(ulong i, ulong term) => Term(i, out ulong t) == StorageStatus.Ok && t == term;

    /// <summary>Commits up to <paramref name="maxIndex"/> when that entry has <paramref name="term"/>.</summary>
    public bool TryCommit(ulong maxIndex, ulong term)
    {
        // A zero term never matches: ZeroTermOnOutOfBounds answers 0 for unknown entries.
        if (maxIndex > Committed && term != 0 && ZeroTermOnOutOfBounds(maxIndex) == term)
        {
            CommitTo(maxIndex);
            return true;
        }
        return false;
    }

    /// <summary>Replaces the log with snapshot <paramref name="s"/> (not yet written to storage).</summary>
    public void Restore(Snapshot s)
    {
        _logger.Info($"log [{this}] starts to restore snapshot [index: {s.Metadata.Index}, term: {s.Metadata.Term}]");
        Committed = s.Metadata.Index;
        Unstable.Restore(s);
    }

    /// <summary>
    /// Appends entries [<paramref name="lo"/>, <paramref name="hi"/>) to <paramref name="dest"/>:
    /// the stored part, then the unstable part, limited to <paramref name="maxSize"/> in total
    /// encoded size (but at least one entry). Compacted when lo is below the first index; nothing
    /// is appended then.
    /// </summary>
    public StorageStatus Slice(ulong lo, ulong hi, ulong maxSize, EntryBuffer dest)
    {
        StorageStatus status = MustCheckOutOfBounds(lo, hi);
        if (status != StorageStatus.Ok || lo == hi)
        {
            return status;
        }
        int start = dest.Count;
        ulong offset = Unstable.Offset;
        if (lo < offset)
        {
            ulong storedHi = Math.Min(hi, offset);
            status = Storage.Entries(lo, storedHi, maxSize, dest);
            if (status != StorageStatus.Ok)
            {
                dest.Truncate(start);
                if (status == StorageStatus.Compacted)
                {
                    return status;
                }
                PanicStorageEntries(status, lo, storedHi);
            }
            if ((ulong)(dest.Count - start) < storedHi - lo)
            {
                // The storage stopped at the size limit.
                return StorageStatus.Ok;
            }
        }
        if (hi > offset)
        {
            AppendLimited(Unstable.Slice(Math.Max(lo, offset), hi), maxSize, dest, start);
        }
        else
        {
            dest.Truncate(start + EntrySizes.LimitSize(dest.Span[start..], maxSize));
        }
        return StorageStatus.Ok;
    }

    /// <summary>The term of <paramref name="i"/>, or 0 when it is compacted or not in the log.</summary>
    public ulong ZeroTermOnOutOfBounds(ulong i)
    {
        StorageStatus status = Term(i, out ulong t);
        if (status == StorageStatus.Ok)
        {
            return t;
        }
        if (status is StorageStatus.Compacted or StorageStatus.Unavailable)
        {
            return 0;
        }
        PanicUnexpected(status);
        return 0;
    }

    /// <summary>Forwards the Ready boundary to the unstable log's payload arena.</summary>
    public void AdvanceEpoch() => Unstable.AdvanceEpoch();

    // Appends unstable entries after the stored ones already in dest[start..], keeping etcd's
    // limitSize semantics over the whole result: the first entry always, then while the running
    // total stays within maxSize.
    private static void AppendLimited(EntrySegments unstable, ulong maxSize, EntryBuffer dest, int start)
    {
        ReadOnlySpan<Entry> stored = dest.Span[start..];
        if (maxSize == ulong.MaxValue || EntrySizes.SizeBound(stored) + EntrySizes.SizeBound(unstable.First.Span) + EntrySizes.SizeBound(unstable.Second.Span) <= maxSize)
        {
            // Everything fits well within the limit (the usual case): no exact sizes needed.
            dest.AddRange(unstable);
            return;
        }
        int storedKeep = EntrySizes.LimitSize(stored, maxSize);
        if (storedKeep < stored.Length)
        {
            dest.Truncate(start + storedKeep);
            return;
        }
        int take = 0;
        ulong size = 0;
        if (stored.IsEmpty)
        {
            size = unstable[0].Size;
            take = 1;
        }
        else
        {
            size = EntrySizes.EntsSize(stored);
        }
        for (; take < unstable.Length; take++)
        {
            size += unstable[take].Size;
            if (size > maxSize)
            {
                break;
            }
        }
        dest.AddRange(unstable.Slice(0, take));
    }

    // FirstIndex() <= lo <= hi <= LastIndex() + 1.
    private StorageStatus MustCheckOutOfBounds(ulong lo, ulong hi)
    {
        if (lo > hi)
        {
            PanicInvertedSlice(lo, hi);
        }
        ulong fi = FirstIndex();
        if (lo < fi)
        {
            return StorageStatus.Compacted;
        }
        ulong length = LastIndex() + 1 - fi;
        if (hi > fi + length)
        {
            PanicSliceOutOfBound(lo, hi, fi);
        }
        return StorageStatus.Ok;
    }
}
