using FastRaft.Core;
using FastRaft.Core.Log;
using FastRaft.Core.Logging;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage;
using static FastRaft.Tests.Log.LogFixtures;

namespace FastRaft.Tests.Log;

/// <summary>etcd's log_test.go cases about conflicts, appending, committing and stabilizing.</summary>
public class RaftLogAppendTests
{
    private static RaftLog NewLog(IStorage? storage = null, RaftLogger? logger = null, ulong maxApplyingEntsSize = ulong.MaxValue) =>
        new(storage ?? new MemoryStorage(), logger ?? RaftLogger.Null, maxApplyingEntsSize);

    private static Entry[] All(RaftLog log)
    {
        var buffer = new EntryBuffer();
        Assert.Equal(StorageStatus.Ok, log.Entries(1, ulong.MaxValue, buffer));
        return ToArray(buffer);
    }

    public static TheoryData<ulong, ulong[], ulong> FindConflictCases => new()
    {
        // no conflict, empty ents
        { 1, [], 0 },
        // no conflict
        { 1, [1, 2, 3], 0 },
        { 2, [2, 3], 0 },
        { 3, [3], 0 },
        // no conflict, but has new entries
        { 1, [1, 2, 3, 4, 4], 4 },
        { 2, [2, 3, 4, 5], 4 },
        { 3, [3, 4, 4], 4 },
        { 4, [4, 4], 4 },
        // conflicts with existing entries
        { 1, [4, 4], 1 },
        { 2, [1, 4, 4], 2 },
        { 3, [1, 2, 4, 4], 3 },
    };

    [Theory]
    [MemberData(nameof(FindConflictCases))]
    public void FindConflict(ulong first, ulong[] terms, ulong wconflict)
    {
        RaftLog log = NewLog();
        log.Append(Terms(1, 1, 2, 3));
        Assert.Equal(wconflict, log.FindConflict(Terms(first, terms)));
    }

    [Fact]
    public void FindConflict_logs_a_conflict_inside_the_log()
    {
        var sink = new CapturingLogger();
        RaftLog log = NewLog(logger: sink.Front());
        log.Append(Terms(1, 1, 2, 3));
        sink.Lines.Clear();

        Assert.Equal(2UL, log.FindConflict(Terms(2, 4, 4)));
        Assert.Equal(4UL, log.FindConflict(Terms(3, 3, 4)));

        Assert.Equal(["INFO found conflict at index 2 [existing term: 2, conflicting term: 4]"], sink.Lines);
    }

    public static TheoryData<ulong, ulong, ulong[], ulong, ulong, ulong> FindConflictByTermCases => new()
    {
        // snapshot (index, term), then terms of the entries after it; query (index, term) -> want index
        // Log starts from index 1.
        { 0, 0, [2, 2, 5, 5, 5], 100, 2, 100 }, // Unavailable
        { 0, 0, [2, 2, 5, 5, 5], 5, 6, 5 },
        { 0, 0, [2, 2, 5, 5, 5], 5, 5, 5 },
        { 0, 0, [2, 2, 5, 5, 5], 5, 4, 2 },
        { 0, 0, [2, 2, 5, 5, 5], 5, 2, 2 },
        { 0, 0, [2, 2, 5, 5, 5], 5, 1, 0 },
        { 0, 0, [2, 2, 5, 5, 5], 1, 2, 1 },
        { 0, 0, [2, 2, 5, 5, 5], 1, 1, 0 },
        { 0, 0, [2, 2, 5, 5, 5], 0, 0, 0 },
        // Log with compacted entries.
        { 10, 3, [3, 3, 4, 4, 4], 30, 3, 30 }, // Unavailable
        { 10, 3, [3, 3, 4, 4, 4], 14, 9, 14 },
        { 10, 3, [3, 3, 4, 4, 4], 14, 4, 14 },
        { 10, 3, [3, 3, 4, 4, 4], 14, 3, 12 },
        { 10, 3, [3, 3, 4, 4, 4], 14, 2, 9 },
        { 10, 3, [3, 3, 4, 4, 4], 11, 5, 11 },
        { 10, 3, [3, 3, 4, 4, 4], 10, 5, 10 },
        { 10, 3, [3, 3, 4, 4, 4], 10, 3, 10 },
        { 10, 3, [3, 3, 4, 4, 4], 10, 2, 9 },
        { 10, 3, [3, 3, 4, 4, 4], 9, 2, 9 }, // Compacted
        { 10, 3, [3, 3, 4, 4, 4], 4, 2, 4 }, // Compacted
        { 10, 3, [3, 3, 4, 4, 4], 0, 0, 0 }, // Compacted
    };

    [Theory]
    [MemberData(nameof(FindConflictByTermCases))]
    public void FindConflictByTerm(ulong snapIndex, ulong snapTerm, ulong[] terms, ulong index, ulong term, ulong want)
    {
        RaftLog log = NewLog(StorageWithSnapshot(snapIndex, snapTerm));
        log.Append(Terms(snapIndex + 1, terms));

        (ulong gotIndex, ulong gotTerm) = log.FindConflictByTerm(index, term);

        Assert.Equal(want, gotIndex);
        Assert.Equal(log.ZeroTermOnOutOfBounds(gotIndex), gotTerm);
    }

    public static TheoryData<long, ulong, bool> IsUpToDateCases => new()
    {
        // last index relative to ours (3), term -> up to date
        // greater term, ignore lastIndex
        { -1, 4, true },
        { 0, 4, true },
        { 1, 4, true },
        // smaller term, ignore lastIndex
        { -1, 2, false },
        { 0, 2, false },
        { 1, 2, false },
        // equal term, equal or larger lastIndex wins
        { -1, 3, false },
        { 0, 3, true },
        { 1, 3, true },
    };

    [Theory]
    [MemberData(nameof(IsUpToDateCases))]
    public void IsUpToDate(long delta, ulong term, bool wUpToDate)
    {
        RaftLog log = NewLog();
        log.Append(Terms(1, 1, 2, 3));
        Assert.Equal(wUpToDate, log.IsUpToDate((ulong)((long)log.LastIndex() + delta), term));
    }

    public static TheoryData<ulong, ulong[], ulong, ulong[], ulong> AppendCases => new()
    {
        // append (first, terms) -> last index, entries from 1, unstable offset
        { 3, [], 2, [1, 2], 3 },
        { 3, [2], 3, [1, 2, 2], 3 },
        // conflicts with index 1
        { 1, [2], 1, [2], 1 },
        // conflicts with index 2
        { 2, [3, 3], 3, [1, 3, 3], 2 },
    };

    [Theory]
    [MemberData(nameof(AppendCases))]
    public void Append(ulong first, ulong[] terms, ulong windex, ulong[] wterms, ulong wunstable)
    {
        var storage = new MemoryStorage();
        Assert.Equal(StorageStatus.Ok, storage.Append(Terms(1, 1, 2)));
        RaftLog log = NewLog(storage);

        Assert.Equal(windex, log.Append(Terms(first, terms)));
        Assert.Equal(Terms(1, wterms), All(log));
        Assert.Equal(wunstable, log.Unstable.Offset);
    }

    [Fact]
    public void Append_before_the_commit_index_panics()
    {
        RaftLog log = NewLog();
        log.Append(Terms(1, 1, 1, 1));
        log.CommitTo(2);

        RaftPanicException e = Assert.Throws<RaftPanicException>(() => log.Append(Terms(2, 2)));
        Assert.Equal("after(1) is out of range [committed(2)]", e.Message);
    }

    public static TheoryData<ulong, ulong, ulong, ulong, ulong[], ulong, bool, ulong, bool> TryAppendCases => new()
    {
        // prev (term, index), committed, ents (first, terms) -> lastNewIndex, appended, committed, panics
        // not match: term is different
        { 2, 3, 3, 4, [4], 0, false, 1, false },
        // not match: index out of bound
        { 3, 4, 3, 5, [4], 0, false, 1, false },
        // match with the last existing entry
        { 3, 3, 3, 4, [], 3, true, 3, false },
        { 3, 3, 4, 4, [], 3, true, 3, false }, // do not increase commit higher than lastnewi
        { 3, 3, 2, 4, [], 3, true, 2, false }, // commit up to the commit in the message
        { 3, 3, 0, 4, [], 3, true, 1, false }, // commit do not decrease
        { 0, 0, 3, 1, [], 0, true, 1, false }, // commit do not decrease
        { 3, 3, 3, 4, [4], 4, true, 3, false },
        { 3, 3, 4, 4, [4], 4, true, 4, false },
        { 3, 3, 5, 4, [4], 4, true, 4, false }, // do not increase commit higher than lastnewi
        { 3, 3, 5, 4, [4, 4], 5, true, 5, false },
        // match with the entry in the middle
        { 2, 2, 3, 3, [4], 3, true, 3, false },
        { 1, 1, 3, 2, [4], 2, true, 2, false },
        { 0, 0, 3, 1, [4], 1, true, 1, true }, // conflict with existing committed entry
        { 1, 1, 3, 2, [4, 4], 3, true, 3, false },
    };

    [Theory]
    [MemberData(nameof(TryAppendCases))]
    public void TryAppend(ulong prevTerm, ulong prevIndex, ulong committed, ulong first, ulong[] terms,
        ulong wlasti, bool wappend, ulong wcommit, bool wpanic)
    {
        RaftLog log = NewLog();
        log.Append(Terms(1, 1, 2, 3));
        log.Committed = 1;
        Entry[] ents = Terms(first, terms);

        if (wpanic)
        {
            RaftPanicException e = Assert.Throws<RaftPanicException>(() => log.TryAppend(prevIndex, prevTerm, committed, ents, out _));
            Assert.Equal("entry 1 conflict with committed entry [committed(1)]", e.Message);
            return;
        }
        bool appended = log.TryAppend(prevIndex, prevTerm, committed, ents, out ulong lasti);

        Assert.Equal(wlasti, lasti);
        Assert.Equal(wappend, appended);
        Assert.Equal(wcommit, log.Committed);
        if (appended && ents.Length != 0)
        {
            var got = new EntryBuffer();
            ulong last = log.LastIndex();
            Assert.Equal(StorageStatus.Ok, log.Slice(last - (ulong)ents.Length + 1, last + 1, ulong.MaxValue, got));
            Assert.Equal(ents, ToArray(got));
        }
    }

    public static TheoryData<ulong, ulong> CommitToCases => new()
    {
        { 3, 3 },
        { 1, 2 }, // never decrease
    };

    [Theory]
    [MemberData(nameof(CommitToCases))]
    public void CommitTo(ulong commit, ulong wcommit)
    {
        RaftLog log = NewLog();
        log.Append(Terms(1, 1, 2, 3));
        log.Committed = 2;

        log.CommitTo(commit);

        Assert.Equal(wcommit, log.Committed);
    }

    [Fact]
    public void CommitTo_past_the_last_index_panics()
    {
        RaftLog log = NewLog();
        log.Append(Terms(1, 1, 2, 3));

        RaftPanicException e = Assert.Throws<RaftPanicException>(() => log.CommitTo(4));
        Assert.Equal("tocommit(4) is out of range [lastIndex(3)]. Was the raft log corrupted, truncated, or lost?", e.Message);
    }

    public static TheoryData<ulong, ulong, ulong> StableToCases => new()
    {
        { 1, 1, 2 },
        { 2, 2, 3 },
        { 2, 1, 1 }, // bad term
        { 3, 1, 1 }, // bad index
    };

    [Theory]
    [MemberData(nameof(StableToCases))]
    public void StableTo(ulong stablei, ulong stablet, ulong wunstable)
    {
        RaftLog log = NewLog();
        log.Append(Terms(1, 1, 2));
        log.StableTo(stablei, stablet);
        Assert.Equal(wunstable, log.Unstable.Offset);
    }

    public static TheoryData<ulong, ulong, bool, ulong> StableToWithSnapCases => new()
    {
        // stable (index, term), whether an entry (6, 2) was appended -> unstable offset; snapshot is (5, 2)
        { 6, 2, false, 6 },
        { 5, 2, false, 6 },
        { 4, 2, false, 6 },
        { 6, 3, false, 6 },
        { 5, 3, false, 6 },
        { 4, 3, false, 6 },
        { 6, 2, true, 7 },
        { 5, 2, true, 6 },
        { 4, 2, true, 6 },
        { 6, 3, true, 6 },
        { 5, 3, true, 6 },
        { 4, 3, true, 6 },
    };

    [Theory]
    [MemberData(nameof(StableToWithSnapCases))]
    public void StableToWithSnap(ulong stablei, ulong stablet, bool newEntry, ulong wunstable)
    {
        RaftLog log = NewLog(StorageWithSnapshot(5, 2));
        if (newEntry)
        {
            log.Append(Terms(6, 2));
        }
        log.StableTo(stablei, stablet);
        Assert.Equal(wunstable, log.Unstable.Offset);
    }

    public static TheoryData<ulong, ulong[]> NextUnstableEntsCases => new()
    {
        // first unstable index -> expected unstable entries (indexes)
        { 3, [] },
        { 1, [1, 2] },
    };

    [Theory]
    [MemberData(nameof(NextUnstableEntsCases))]
    public void NextUnstableEnts(ulong unstable, ulong[] windexes)
    {
        Entry[] previous = Terms(1, 1, 2);
        var storage = new MemoryStorage();
        Assert.Equal(StorageStatus.Ok, storage.Append(previous.AsSpan(0, (int)unstable - 1)));
        RaftLog log = NewLog(storage);
        log.Append(previous.AsSpan((int)unstable - 1));

        // The span is a view of the window: copy it before StableTo changes the window.
        Entry[] ents = log.NextUnstableEnts().ToArray();
        if (ents.Length > 0)
        {
            log.StableTo(ents[^1].Index, ents[^1].Term);
        }

        Assert.Equal(windexes, Array.ConvertAll(ents, e => e.Index));
        Assert.Equal(3UL, log.Unstable.Offset);
        Assert.False(log.HasNextUnstableEnts());
    }

    [Fact]
    public void AcceptUnstable_marks_entries_in_progress_without_forgetting_them()
    {
        RaftLog log = NewLog();
        log.Append(Terms(1, 1, 1));

        Assert.True(log.HasNextUnstableEnts());
        log.AcceptUnstable();

        Assert.False(log.HasNextUnstableEnts());
        Assert.True(log.HasNextOrInProgressUnstableEnts());
        Assert.Equal(2UL, log.LastIndex());

        log.StableTo(2, 1);
        Assert.False(log.HasNextOrInProgressUnstableEnts());
    }
}
