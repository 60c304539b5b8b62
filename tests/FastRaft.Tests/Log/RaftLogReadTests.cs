using FastRaft.Core;
using FastRaft.Core.Log;
using FastRaft.Core.Logging;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage;
using static FastRaft.Tests.Log.LogFixtures;

namespace FastRaft.Tests.Log;

/// <summary>etcd's log_test.go cases about terms, slices, bounds, compaction and restore.</summary>
public class RaftLogReadTests
{
    private static RaftLog NewLog(IStorage storage, RaftLogger? logger = null) => new(storage, logger ?? RaftLogger.Null);

    [Fact]
    public void Compaction_side_effects()
    {
        // 750 entries in stable storage and 250 unstable.
        var storage = new MemoryStorage();
        Assert.Equal(StorageStatus.Ok, storage.Append(TermRange(1, 1, 751)));
        RaftLog log = NewLog(storage);
        log.Append(TermRange(751, 751, 1001));

        Assert.True(log.TryCommit(log.LastIndex(), log.LastTerm()));
        log.AppliedTo(log.Committed, 0);

        Assert.Equal(StorageStatus.Ok, storage.Compact(500));
        Assert.Equal(1000UL, log.LastIndex());
        for (ulong j = 500; j <= log.LastIndex(); j++)
        {
            Assert.Equal(StorageStatus.Ok, log.Term(j, out ulong term));
            Assert.Equal(j, term);
            Assert.True(log.MatchTerm(j, j));
        }

        EntrySegments unstable = log.NextUnstableEnts();
        Assert.Equal(250, unstable.Length);
        Assert.Equal(751UL, unstable[0].Index);

        ulong prev = log.LastIndex();
        log.Append([new Entry(prev + 1, prev + 1)]);
        Assert.Equal(prev + 1, log.LastIndex());

        var ents = new EntryBuffer();
        Assert.Equal(StorageStatus.Ok, log.Entries(log.LastIndex(), ulong.MaxValue, ents));
        Assert.Equal(1, ents.Count);
    }

    public static TheoryData<ulong[], int[], bool> CompactionCases => new()
    {
        // compactions of a 1000-entry log -> entries left after each, all allowed
        // out of upper bound
        { [1001], [-1], false },
        { [300, 500, 800, 900], [700, 500, 200, 100], true },
        // out of lower bound
        { [300, 299], [700, -1], false },
    };

    [Theory]
    [MemberData(nameof(CompactionCases))]
    public void Compaction(ulong[] compact, int[] wleft, bool wallow)
    {
        var storage = new MemoryStorage();
        Assert.Equal(StorageStatus.Ok, storage.Append(TermRange(1, 1, 1001)));
        RaftLog log = NewLog(storage);
        log.AppliedTo(log.Committed, 0);

        for (int j = 0; j < compact.Length; j++)
        {
            StorageStatus status = storage.Compact(compact[j]);
            if (status != StorageStatus.Ok)
            {
                Assert.False(wallow);
                Assert.Equal(-1, wleft[j]);
                continue;
            }
            var all = new EntryBuffer();
            log.AllEntries(all);
            Assert.Equal(wleft[j], all.Count);
        }
    }

    [Fact]
    public void Log_restore_from_storage_snapshot()
    {
        RaftLog log = NewLog(StorageWithSnapshot(1000, 1000));

        var all = new EntryBuffer();
        log.AllEntries(all);
        Assert.Equal(0, all.Count);
        Assert.Equal(1001UL, log.FirstIndex());
        Assert.Equal(1000UL, log.Committed);
        Assert.Equal(1000UL, log.Applied);
        Assert.Equal(1001UL, log.Unstable.Offset);
        Assert.Equal(StorageStatus.Ok, log.Term(1000, out ulong term));
        Assert.Equal(1000UL, term);
    }

    [Fact]
    public void Restore_logs_the_state_it_replaces()
    {
        var sink = new CapturingLogger();
        RaftLog log = NewLog(new MemoryStorage(), sink.Front());

        log.Restore(Snap(4, 1));

        Assert.Equal(
            ["INFO log [committed=0, applied=0, applying=0, unstable.offset=1, unstable.offsetInProgress=1, len(unstable.Entries)=0] starts to restore snapshot [index: 4, term: 1]"],
            sink.Lines);
        Assert.Equal(4UL, log.Committed);
        Assert.Equal(5UL, log.FirstIndex());
        Assert.Equal(4UL, log.LastIndex());
        Assert.Equal((4UL, 1UL), log.Tip());
    }

    public static TheoryData<ulong, ulong, bool, bool> OutOfBoundsCases => new()
    {
        // lo, hi relative to the first index (101) of a log holding 100 entries -> panics, compacted
        { 99, 102, false, true },
        { 100, 102, false, true },
        { 101, 101, false, false },
        { 151, 151, false, false },
        { 200, 200, false, false },
        { 201, 201, false, false },
        { 201, 202, true, false },
        { 202, 202, true, false },
    };

    [Theory]
    [MemberData(nameof(OutOfBoundsCases))]
    public void Slice_bounds(ulong lo, ulong hi, bool wpanic, bool wcompacted)
    {
        RaftLog log = NewLog(StorageWithSnapshot(100, 0));
        log.Append(TermRange(101, 101, 201));
        var dest = new EntryBuffer();

        if (wpanic)
        {
            RaftPanicException e = Assert.Throws<RaftPanicException>(() => log.Slice(lo, hi, ulong.MaxValue, dest));
            Assert.Equal($"slice[{lo},{hi}) out of bound [101,200]", e.Message);
            return;
        }
        StorageStatus status = log.Slice(lo, hi, ulong.MaxValue, dest);
        Assert.Equal(wcompacted ? StorageStatus.Compacted : StorageStatus.Ok, status);
        Assert.Equal(wcompacted ? 0 : (int)(hi - lo), dest.Count);
    }

    [Fact]
    public void Slice_with_inverted_bounds_panics()
    {
        RaftLog log = NewLog(new MemoryStorage());
        log.Append(Terms(1, 1, 1));

        RaftPanicException e = Assert.Throws<RaftPanicException>(() => log.Slice(2, 1, ulong.MaxValue, new EntryBuffer()));
        Assert.Equal("invalid slice 2 > 1", e.Message);
    }

    public static TheoryData<ulong, StorageStatus, ulong> TermCases => new()
    {
        { 99, StorageStatus.Compacted, 0 },
        { 100, StorageStatus.Ok, 1 },
        { 150, StorageStatus.Ok, 50 },
        { 199, StorageStatus.Ok, 99 },
        { 200, StorageStatus.Unavailable, 0 },
    };

    [Theory]
    [MemberData(nameof(TermCases))]
    public void Term(ulong index, StorageStatus wstatus, ulong wterm)
    {
        RaftLog log = NewLog(StorageWithSnapshot(100, 1));
        log.Append(TermRange(101, 1, 100));

        Assert.Equal(wstatus, log.Term(index, out ulong term));
        Assert.Equal(wterm, term);
        Assert.Equal(wterm, log.ZeroTermOnOutOfBounds(index));
    }

    public static TheoryData<ulong, StorageStatus, ulong> TermWithUnstableSnapshotCases => new()
    {
        // cannot get term from storage
        { 100, StorageStatus.Compacted, 0 },
        // cannot get term from the gap between storage ents and unstable snapshot
        { 101, StorageStatus.Compacted, 0 },
        { 104, StorageStatus.Compacted, 0 },
        // get term from unstable snapshot index
        { 105, StorageStatus.Ok, 1 },
        // the log beyond the unstable snapshot is empty
        { 106, StorageStatus.Unavailable, 0 },
    };

    [Theory]
    [MemberData(nameof(TermWithUnstableSnapshotCases))]
    public void Term_with_unstable_snapshot(ulong index, StorageStatus wstatus, ulong wterm)
    {
        RaftLog log = NewLog(StorageWithSnapshot(100, 1));
        log.Restore(Snap(105, 1));

        Assert.Equal(wstatus, log.Term(index, out ulong term));
        Assert.Equal(wterm, term);
    }

    private const ulong SliceOffset = 100;
    private const ulong SliceLast = 200;
    private const ulong SliceHalf = 150;
    private static readonly ulong HalfSize = new Entry(SliceHalf, SliceHalf).Size;

    public static TheoryData<ulong, ulong, ulong, ulong, ulong> SliceCases => new()
    {
        // lo, hi, limit -> entries [from, to) (from == to == 0: compacted)
        // Compacted.
        { SliceOffset - 1, SliceOffset + 1, ulong.MaxValue, 0, 0 },
        { SliceOffset, SliceOffset + 1, ulong.MaxValue, 0, 0 },
        // No limit.
        { SliceOffset + 1, SliceOffset + 1, ulong.MaxValue, SliceOffset + 1, SliceOffset + 1 },
        { SliceOffset + 1, SliceHalf - 1, ulong.MaxValue, SliceOffset + 1, SliceHalf - 1 },
        { SliceOffset + 1, SliceHalf, ulong.MaxValue, SliceOffset + 1, SliceHalf },
        { SliceOffset + 1, SliceHalf + 1, ulong.MaxValue, SliceOffset + 1, SliceHalf + 1 },
        { SliceOffset + 1, SliceLast, ulong.MaxValue, SliceOffset + 1, SliceLast },
        { SliceHalf - 1, SliceHalf, ulong.MaxValue, SliceHalf - 1, SliceHalf },
        { SliceHalf - 1, SliceHalf + 1, ulong.MaxValue, SliceHalf - 1, SliceHalf + 1 },
        { SliceHalf - 1, SliceLast, ulong.MaxValue, SliceHalf - 1, SliceLast },
        { SliceHalf, SliceHalf + 1, ulong.MaxValue, SliceHalf, SliceHalf + 1 },
        { SliceHalf, SliceLast, ulong.MaxValue, SliceHalf, SliceLast },
        { SliceLast - 1, SliceLast, ulong.MaxValue, SliceLast - 1, SliceLast },
        // At least one entry is always returned.
        { SliceOffset + 1, SliceLast, 0, SliceOffset + 1, SliceOffset + 2 },
        { SliceHalf - 1, SliceHalf + 1, 0, SliceHalf - 1, SliceHalf },
        { SliceHalf, SliceLast, 0, SliceHalf, SliceHalf + 1 },
        { SliceHalf + 1, SliceLast, 0, SliceHalf + 1, SliceHalf + 2 },
        // Low limit.
        { SliceOffset + 1, SliceLast, HalfSize - 1, SliceOffset + 1, SliceOffset + 2 },
        { SliceHalf - 1, SliceHalf + 1, HalfSize - 1, SliceHalf - 1, SliceHalf },
        { SliceHalf, SliceLast, HalfSize - 1, SliceHalf, SliceHalf + 1 },
        // Just enough for one.
        { SliceOffset + 1, SliceLast, HalfSize, SliceOffset + 1, SliceOffset + 2 },
        { SliceHalf - 1, SliceHalf + 1, HalfSize, SliceHalf - 1, SliceHalf },
        { SliceHalf, SliceLast, HalfSize, SliceHalf, SliceHalf + 1 },
        // Not enough for two.
        { SliceOffset + 1, SliceLast, HalfSize + 1, SliceOffset + 1, SliceOffset + 2 },
        { SliceHalf - 1, SliceHalf + 1, HalfSize + 1, SliceHalf - 1, SliceHalf },
        { SliceHalf, SliceLast, HalfSize + 1, SliceHalf, SliceHalf + 1 },
        // Enough for two.
        { SliceOffset + 1, SliceLast, HalfSize * 2, SliceOffset + 1, SliceOffset + 3 },
        { SliceHalf - 2, SliceHalf + 1, HalfSize * 2, SliceHalf - 2, SliceHalf },
        { SliceHalf - 1, SliceHalf + 1, HalfSize * 2, SliceHalf - 1, SliceHalf + 1 },
        { SliceHalf, SliceLast, HalfSize * 2, SliceHalf, SliceHalf + 2 },
        // Not enough for three.
        { SliceHalf - 2, SliceHalf + 1, HalfSize * 3 - 1, SliceHalf - 2, SliceHalf },
        // Enough for three.
        { SliceHalf - 1, SliceHalf + 2, HalfSize * 3, SliceHalf - 1, SliceHalf + 2 },
    };

    [Theory]
    [MemberData(nameof(SliceCases))]
    public void Slice(ulong lo, ulong hi, ulong limit, ulong wfrom, ulong wto)
    {
        MemoryStorage storage = StorageWithSnapshot(SliceOffset, 0);
        Assert.Equal(StorageStatus.Ok, storage.Append(TermRange(SliceOffset + 1, SliceOffset + 1, SliceHalf)));
        RaftLog log = NewLog(storage);
        log.Append(TermRange(SliceHalf, SliceHalf, SliceLast));
        var dest = new EntryBuffer();

        StorageStatus status = log.Slice(lo, hi, limit, dest);

        Assert.Equal(lo <= SliceOffset ? StorageStatus.Compacted : StorageStatus.Ok, status);
        Assert.Equal(TermRange(wfrom, wfrom, wto), ToArray(dest));
    }

    [Fact]
    public void Slice_appends_after_what_the_buffer_holds_and_limits_only_its_own_part()
    {
        MemoryStorage storage = StorageWithSnapshot(SliceOffset, 0);
        Assert.Equal(StorageStatus.Ok, storage.Append(TermRange(SliceOffset + 1, SliceOffset + 1, SliceHalf)));
        RaftLog log = NewLog(storage);
        log.Append(TermRange(SliceHalf, SliceHalf, SliceLast));
        var dest = new EntryBuffer();
        dest.Add(new Entry(7, 7));

        Assert.Equal(StorageStatus.Ok, log.Slice(SliceHalf - 1, SliceHalf + 2, HalfSize * 2, dest));

        Assert.Equal([new Entry(7, 7), .. TermRange(SliceHalf - 1, SliceHalf - 1, SliceHalf + 1)], ToArray(dest));
    }

    [Fact]
    public void Snapshot_restored_ahead_of_storage_answers_compacted_for_older_indexes()
    {
        // Storage: entries 1..50 after a snapshot at 0. Unstable: 51..60. Then a snapshot at 100
        // is restored into the unstable log but not yet into storage; an outdated MsgApp for
        // index 60 must be answered without a crash.
        var storage = new MemoryStorage();
        Assert.Equal(StorageStatus.Ok, storage.Append(TermRange(1, 1, 51)));
        RaftLog log = NewLog(storage);
        log.Append(TermRange(51, 51, 61));
        Assert.Equal(60UL, log.LastIndex());

        log.Restore(Snap(100, 70));

        Assert.Equal(StorageStatus.Compacted, log.Term(60, out ulong term));
        Assert.Equal(0UL, term);
        Assert.False(log.MatchTerm(60, 60));
        Assert.Equal(0UL, log.ZeroTermOnOutOfBounds(60));
        Assert.False(log.TryAppend(60, 60, 61, Terms(61, 60), out ulong lastNew));
        Assert.Equal(0UL, lastNew);
        Assert.Equal((60UL, 0UL), log.FindConflictByTerm(60, 60));
        Assert.Equal(100UL, log.Committed);
        Assert.Equal((100UL, 70UL), log.Tip());
        Assert.Equal(StorageStatus.Compacted, log.Slice(60, 61, ulong.MaxValue, new EntryBuffer()));
    }

    [Fact]
    public void Entries_past_the_last_index_are_empty()
    {
        RaftLog log = NewLog(new MemoryStorage());
        log.Append(Terms(1, 1, 1));
        var dest = new EntryBuffer();

        Assert.Equal(StorageStatus.Ok, log.Entries(3, ulong.MaxValue, dest));
        Assert.Equal(0, dest.Count);
    }

    [Fact]
    public void Entry_sizes_sum_encoded_and_payload_sizes()
    {
        Entry[] ents = [WithData(1, 1, "abc"), new Entry(1, 2), WithData(300, 2000, "")];

        Assert.Equal(ents[0].Size + ents[1].Size + ents[2].Size, EntrySizes.EntsSize(ents));
        Assert.Equal(3UL, EntrySizes.PayloadsSize(ents));
        Assert.Equal(1, EntrySizes.LimitSize(ents, 0));
        Assert.Equal(2, EntrySizes.LimitSize(ents, ents[0].Size + ents[1].Size));
        Assert.Equal(3, EntrySizes.LimitSize(ents, ulong.MaxValue));
        Assert.Equal(0, EntrySizes.LimitSize([], 0));
    }
}
