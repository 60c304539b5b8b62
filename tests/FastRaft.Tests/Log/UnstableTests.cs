using FastRaft.Core.Log;
using FastRaft.Core.Logging;
using FastRaft.Protocol;
using static FastRaft.Tests.Log.LogFixtures;

namespace FastRaft.Tests.Log;

/// <summary>etcd's log_unstable_test.go cases, plus the window and payload ownership rules.</summary>
public class UnstableTests
{
    private const ulong NoSnap = 0;

    /// <summary>
    /// An unstable log holding entries with <paramref name="terms"/> from <paramref name="offset"/>,
    /// and a snapshot at (<paramref name="snapIndex"/>, <paramref name="snapTerm"/>) unless snapIndex is 0.
    /// </summary>
    private static Unstable Make(ulong offset, ulong[] terms, ulong snapIndex = NoSnap, ulong snapTerm = 1, RaftLogger? logger = null)
    {
        var u = new Unstable(logger ?? RaftLogger.Null, offset);
        if (snapIndex != NoSnap)
        {
            u.Restore(Snap(snapIndex, snapTerm));
            Assert.Equal(offset, u.Offset);
        }
        u.TruncateAndAppend(Terms(offset, terms));
        return u;
    }

    public static TheoryData<ulong[], ulong, ulong, bool, ulong> TryGetFirstIndexCases => new()
    {
        // no snapshot
        { [1], 5, NoSnap, false, 0 },
        { [], 0, NoSnap, false, 0 },
        // has snapshot
        { [1], 5, 4, true, 5 },
        { [], 5, 4, true, 5 },
    };

    [Theory]
    [MemberData(nameof(TryGetFirstIndexCases))]
    public void TryGetFirstIndex(ulong[] terms, ulong offset, ulong snap, bool wok, ulong windex)
    {
        Unstable u = Make(offset, terms, snap);
        Assert.Equal(wok, u.TryGetFirstIndex(out ulong index));
        Assert.Equal(windex, index);
    }

    public static TheoryData<ulong[], ulong, ulong, bool, ulong> TryGetLastIndexCases => new()
    {
        // last in entries
        { [1], 5, NoSnap, true, 5 },
        { [1], 5, 4, true, 5 },
        // last in snapshot
        { [], 5, 4, true, 4 },
        // empty unstable
        { [], 0, NoSnap, false, 0 },
    };

    [Theory]
    [MemberData(nameof(TryGetLastIndexCases))]
    public void TryGetLastIndex(ulong[] terms, ulong offset, ulong snap, bool wok, ulong windex)
    {
        Unstable u = Make(offset, terms, snap);
        Assert.Equal(wok, u.TryGetLastIndex(out ulong index));
        Assert.Equal(windex, index);
    }

    public static TheoryData<ulong[], ulong, ulong, ulong, bool, ulong> TryGetTermCases => new()
    {
        // term from entries
        { [1], 5, NoSnap, 5, true, 1 },
        { [1], 5, NoSnap, 6, false, 0 },
        { [1], 5, NoSnap, 4, false, 0 },
        { [1], 5, 4, 5, true, 1 },
        { [1], 5, 4, 6, false, 0 },
        // term from snapshot
        { [1], 5, 4, 4, true, 1 },
        { [1], 5, 4, 3, false, 0 },
        { [], 5, 4, 5, false, 0 },
        { [], 5, 4, 4, true, 1 },
        { [], 0, NoSnap, 5, false, 0 },
    };

    [Theory]
    [MemberData(nameof(TryGetTermCases))]
    public void TryGetTerm(ulong[] terms, ulong offset, ulong snap, ulong index, bool wok, ulong wterm)
    {
        Unstable u = Make(offset, terms, snap);
        Assert.Equal(wok, u.TryGetTerm(index, out ulong term));
        Assert.Equal(wterm, term);
    }

    [Fact]
    public void Restore_replaces_entries_and_snapshot()
    {
        Unstable u = Make(5, [1], snapIndex: 4);
        u.OffsetInProgress = 6;
        u.SnapshotInProgress = true;
        Snapshot s = Snap(6, 2);

        u.Restore(s);

        Assert.Equal(7UL, u.Offset);
        Assert.Equal(7UL, u.OffsetInProgress);
        Assert.Equal(0, u.Count);
        Assert.Same(s, u.Snapshot);
        Assert.False(u.SnapshotInProgress);
    }

    public static TheoryData<ulong, ulong[]> NextEntriesCases => new()
    {
        { 5, [5, 6] }, // nothing in progress
        { 6, [6] }, // partially in progress
        { 7, [] }, // everything in progress
    };

    [Theory]
    [MemberData(nameof(NextEntriesCases))]
    public void NextEntries(ulong offsetInProgress, ulong[] windexes)
    {
        Unstable u = Make(5, [1, 1]);
        u.OffsetInProgress = offsetInProgress;

        EntrySegments next = u.NextEntries();

        Assert.Equal(windexes.Length, next.Length);
        for (int k = 0; k < next.Length; k++)
        {
            Assert.Equal(windexes[k], next[k].Index);
        }
    }

    [Fact]
    public void NextSnapshot_only_when_not_in_progress()
    {
        var none = new Unstable(RaftLogger.Null, 5);
        Assert.Null(none.NextSnapshot());

        Unstable u = Make(5, [], snapIndex: 4);
        Assert.Same(u.Snapshot, u.NextSnapshot());

        u.SnapshotInProgress = true;
        Assert.Null(u.NextSnapshot());
    }

    public static TheoryData<ulong[], bool, ulong, bool, ulong, bool> AcceptInProgressCases => new()
    {
        { [], false, 5, false, 5, false }, // no entries
        { [1], false, 5, false, 6, false }, // entries not in progress
        { [1, 1], false, 5, false, 7, false },
        { [1, 1], false, 6, false, 7, false }, // in progress to the first entry
        { [1, 1], false, 7, false, 7, false }, // in progress to the second entry
        // with snapshot
        { [], true, 5, false, 5, true },
        { [1], true, 5, false, 6, true },
        { [1, 1], true, 5, false, 7, true },
        { [1, 1], true, 6, false, 7, true },
        { [1, 1], true, 7, false, 7, true },
        { [], true, 5, true, 5, true }, // snapshot already in progress
        { [1], true, 5, true, 6, true },
        { [1, 1], true, 5, true, 7, true },
        { [1, 1], true, 6, true, 7, true },
        { [1, 1], true, 7, true, 7, true },
    };

    [Theory]
    [MemberData(nameof(AcceptInProgressCases))]
    public void AcceptInProgress(ulong[] terms, bool snap, ulong offsetInProgress, bool snapInProgress, ulong woffsetInProgress, bool wsnapInProgress)
    {
        Unstable u = Make(5, terms, snap ? 4UL : NoSnap);
        u.OffsetInProgress = offsetInProgress;
        u.SnapshotInProgress = snapInProgress;

        u.AcceptInProgress();

        Assert.Equal(woffsetInProgress, u.OffsetInProgress);
        Assert.Equal(wsnapInProgress, u.SnapshotInProgress);
        Assert.True(u.NextEntries().IsEmpty);
    }

    public static TheoryData<ulong, ulong[], ulong, ulong, ulong, ulong, ulong, ulong, ulong, int> StableToCases => new()
    {
        // offset, terms, offsetInProgress, snapIndex, snapTerm, index, term -> offset, offsetInProgress, len
        { 0, [], 0, NoSnap, 0, 5, 1, 0, 0, 0 },
        { 5, [1], 6, NoSnap, 0, 5, 1, 6, 6, 0 }, // stable to the first entry
        { 5, [1, 1], 6, NoSnap, 0, 5, 1, 6, 6, 1 }, // stable to the first entry
        { 5, [1, 1], 7, NoSnap, 0, 5, 1, 6, 7, 1 }, // stable to the first entry and in-progress ahead
        { 6, [2], 7, NoSnap, 0, 6, 1, 6, 7, 1 }, // term mismatch
        { 5, [1], 6, NoSnap, 0, 4, 1, 5, 6, 1 }, // stable to old entry
        { 5, [1], 6, NoSnap, 0, 4, 2, 5, 6, 1 }, // stable to old entry
        // with snapshot
        { 5, [1], 6, 4, 1, 5, 1, 6, 6, 0 }, // stable to the first entry
        { 5, [1, 1], 6, 4, 1, 5, 1, 6, 6, 1 }, // stable to the first entry
        { 5, [1, 1], 7, 4, 1, 5, 1, 6, 7, 1 }, // stable to the first entry and in-progress ahead
        { 6, [2], 7, 5, 1, 6, 1, 6, 7, 1 }, // term mismatch
        { 5, [1], 6, 4, 1, 4, 1, 5, 6, 1 }, // stable to snapshot
        { 5, [2], 6, 4, 2, 4, 1, 5, 6, 1 }, // stable to old entry
    };

    [Theory]
    [MemberData(nameof(StableToCases))]
    public void StableTo(ulong offset, ulong[] terms, ulong offsetInProgress, ulong snapIndex, ulong snapTerm,
        ulong index, ulong term, ulong woffset, ulong woffsetInProgress, int wlen)
    {
        Unstable u = Make(offset, terms, snapIndex, snapTerm);
        u.OffsetInProgress = offsetInProgress;

        u.StableTo(index, term);

        Assert.Equal(woffset, u.Offset);
        Assert.Equal(woffsetInProgress, u.OffsetInProgress);
        Assert.Equal(wlen, u.Count);
    }

    [Fact]
    public void StableTo_logs_why_it_ignores_an_entry()
    {
        var sink = new CapturingLogger();
        Unstable u = Make(5, [2], snapIndex: 4, snapTerm: 2, logger: sink.Front());

        u.StableTo(9, 2);
        u.StableTo(4, 2);
        u.StableTo(5, 1);

        Assert.Equal(
            [
                "INFO entry at index 9 missing from unstable log; ignoring",
                "INFO entry at index 4 matched unstable snapshot; ignoring",
                "INFO entry at (index,term)=(5,1) mismatched with entry at (5,2) in unstable log; ignoring",
            ],
            sink.Lines);
    }

    public static TheoryData<ulong[], ulong, ulong, ulong[], ulong, ulong, ulong, ulong[], string?> TruncateAndAppendCases => new()
    {
        // terms from 5, offsetInProgress, append (from, terms) -> offset, offsetInProgress, entries (from, terms), log line
        // append to the end
        { [1], 5, 6, [1, 1], 5, 5, 5, [1, 1, 1], null },
        { [1], 6, 6, [1, 1], 5, 6, 5, [1, 1, 1], null },
        // replace the unstable entries
        { [1], 5, 5, [2, 2], 5, 5, 5, [2, 2], "INFO replace the unstable entries from index 5" },
        { [1], 5, 4, [2, 2, 2], 4, 4, 4, [2, 2, 2], "INFO replace the unstable entries from index 4" },
        { [1], 6, 5, [2, 2], 5, 5, 5, [2, 2], "INFO replace the unstable entries from index 5" },
        // truncate the existing entries and append
        { [1, 1, 1], 5, 6, [2], 5, 5, 5, [1, 2], "INFO truncate the unstable entries before index 6" },
        { [1, 1, 1], 5, 7, [2, 2], 5, 5, 5, [1, 1, 2, 2], "INFO truncate the unstable entries before index 7" },
        { [1, 1, 1], 6, 6, [2], 5, 6, 5, [1, 2], "INFO truncate the unstable entries before index 6" },
        { [1, 1, 1], 7, 6, [2], 5, 6, 5, [1, 2], "INFO truncate the unstable entries before index 6" },
    };

    [Theory]
    [MemberData(nameof(TruncateAndAppendCases))]
    public void TruncateAndAppend(ulong[] terms, ulong offsetInProgress, ulong appendFrom, ulong[] appendTerms,
        ulong woffset, ulong woffsetInProgress, ulong wfrom, ulong[] wterms, string? wlog)
    {
        var sink = new CapturingLogger();
        Unstable u = Make(5, terms, logger: sink.Front());
        u.OffsetInProgress = offsetInProgress;

        u.TruncateAndAppend(Terms(appendFrom, appendTerms));

        Assert.Equal(woffset, u.Offset);
        Assert.Equal(woffsetInProgress, u.OffsetInProgress);
        Assert.Equal(Terms(wfrom, wterms), u.Entries.ToArray());
        Assert.Equal(wlog is null ? Array.Empty<string>() : new[] { wlog }, sink.Lines);
    }

    [Fact]
    public void TruncateAndAppend_past_the_end_panics()
    {
        Unstable u = Make(5, [1, 1]);
        RaftPanicException e = Assert.Throws<RaftPanicException>(() => u.TruncateAndAppend(Terms(9, 1)));
        Assert.Equal("unstable.slice[5,9) out of bound [5,7]", e.Message);
    }

    [Fact]
    public void Slice_returns_the_range_and_panics_outside()
    {
        Unstable u = Make(5, [1, 2, 3]);

        Assert.Equal(Terms(6, 2, 3), u.Slice(6, 8).ToArray());
        Assert.True(u.Slice(5, 5).IsEmpty);
        Assert.Equal("invalid unstable.slice 7 > 6", Assert.Throws<RaftPanicException>(() => u.Slice(7, 6)).Message);
        Assert.Equal("unstable.slice[4,6) out of bound [5,8]", Assert.Throws<RaftPanicException>(() => u.Slice(4, 6)).Message);
        Assert.Equal("unstable.slice[5,9) out of bound [5,8]", Assert.Throws<RaftPanicException>(() => u.Slice(5, 9)).Message);
    }

    [Fact]
    public void Appended_payloads_are_copies_not_the_callers_buffer()
    {
        var u = new Unstable(RaftLogger.Null, 1);
        byte[] buffer = "hello"u8.ToArray();

        u.TruncateAndAppend([new Entry(1, 1, EntryType.Normal, buffer), new Entry(1, 2)]);
        buffer[0] = (byte)'j';

        Assert.Equal("hello", Text(u.Entries[0].Data));
        Assert.True(u.Entries[1].Data.IsEmpty);
    }

    [Fact]
    public void Stable_views_keep_their_bytes_until_two_epochs_pass()
    {
        var u = new Unstable(RaftLogger.Null, 1, new PayloadArena(chunkSize: 8));
        u.TruncateAndAppend([WithData(1, 1, "aaaaaaaa"), WithData(1, 2, "bbbbbbbb")]);
        ReadOnlyMemory<byte> first = u.Entries[0].Data;

        u.StableTo(1, 1);
        u.AdvanceEpoch();
        u.TruncateAndAppend([WithData(1, 3, "cccccccc")]);

        Assert.Equal("aaaaaaaa", Text(first));
        Assert.Equal(1, u.Arena.PendingChunkCount);
    }

    [Fact]
    public void Window_survives_many_appends_truncations_and_stabilizations()
    {
        // Compare against a plain list model through enough operations to move and grow the window.
        var u = new Unstable(RaftLogger.Null, 1, new PayloadArena(chunkSize: 64));
        var model = new List<(ulong Term, ulong Index, string Data)>();
        ulong offset = 1;
        var rng = new Random(12345);
        for (int step = 0; step < 2000; step++)
        {
            ulong next = offset + (ulong)model.Count;
            int op = rng.Next(10);
            if (op < 6)
            {
                int n = rng.Next(1, 6);
                var batch = new Entry[n];
                for (int k = 0; k < n; k++)
                {
                    string data = $"p{step}-{k}";
                    batch[k] = WithData(3, next + (ulong)k, data);
                    model.Add((3, next + (ulong)k, data));
                }
                u.TruncateAndAppend(batch);
            }
            else if (op < 8 && model.Count > 0)
            {
                int keep = rng.Next(model.Count);
                ulong from = offset + (ulong)keep;
                if (keep == 0)
                {
                    continue; // replacing from the offset is covered elsewhere
                }
                model.RemoveRange(keep, model.Count - keep);
                string data = $"t{step}";
                model.Add((4, from, data));
                u.TruncateAndAppend([WithData(4, from, data)]);
            }
            else if (model.Count > 0)
            {
                int upto = rng.Next(model.Count);
                u.StableTo(model[upto].Index, model[upto].Term);
                model.RemoveRange(0, upto + 1);
                offset += (ulong)(upto + 1);
            }
            u.AdvanceEpoch();

            Assert.Equal(offset, u.Offset);
            Assert.Equal(model.Count, u.Count);
            for (int k = 0; k < model.Count; k++)
            {
                Entry e = u.Entries[k];
                Assert.Equal(model[k].Index, e.Index);
                Assert.Equal(model[k].Term, e.Term);
                Assert.Equal(model[k].Data, Text(e.Data));
            }
        }
    }
}
