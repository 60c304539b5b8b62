using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage;
using static FastRaft.Tests.Log.LogFixtures;

namespace FastRaft.Tests.Storage;

/// <summary>etcd's storage_test.go cases, with failures as results, plus payload ownership and allocation.</summary>
public class MemoryStorageTests
{
    /// <summary>etcd's <c>MemoryStorage{ents: index(3).terms(3, 4, 5)}</c>: dummy (3, 3), then 4 and 5.</summary>
    private static MemoryStorage Storage345()
    {
        MemoryStorage s = StorageWithSnapshot(3, 3);
        Assert.Equal(StorageStatus.Ok, s.Append(Terms(4, 4, 5)));
        return s;
    }

    private static Entry[] Stored(MemoryStorage s)
    {
        var dest = new EntryBuffer();
        if (s.LastIndex() >= s.FirstIndex())
        {
            Assert.Equal(StorageStatus.Ok, s.Entries(s.FirstIndex(), s.LastIndex() + 1, ulong.MaxValue, dest));
        }
        return ToArray(dest);
    }

    public static TheoryData<ulong, StorageStatus, ulong> TermCases => new()
    {
        { 2, StorageStatus.Compacted, 0 },
        { 3, StorageStatus.Ok, 3 },
        { 4, StorageStatus.Ok, 4 },
        { 5, StorageStatus.Ok, 5 },
        { 6, StorageStatus.Unavailable, 0 },
    };

    [Theory]
    [MemberData(nameof(TermCases))]
    public void Term(ulong i, StorageStatus wstatus, ulong wterm)
    {
        MemoryStorage s = Storage345();
        Assert.Equal(wstatus, s.Term(i, out ulong term));
        Assert.Equal(wterm, term);
    }

    private static readonly Entry[] Ents3456 = Terms(3, 3, 4, 5, 6);

    public static TheoryData<ulong, ulong, ulong, StorageStatus, ulong[]> EntriesCases => new()
    {
        // lo, hi, maxSize -> status, terms of the entries returned from index lo
        { 2, 6, ulong.MaxValue, StorageStatus.Compacted, [] },
        { 3, 4, ulong.MaxValue, StorageStatus.Compacted, [] },
        { 4, 5, ulong.MaxValue, StorageStatus.Ok, [4] },
        { 4, 6, ulong.MaxValue, StorageStatus.Ok, [4, 5] },
        { 4, 7, ulong.MaxValue, StorageStatus.Ok, [4, 5, 6] },
        // even if maxsize is zero, the first entry should be returned
        { 4, 7, 0, StorageStatus.Ok, [4] },
        // limit to 2
        { 4, 7, Ents3456[1].Size + Ents3456[2].Size, StorageStatus.Ok, [4, 5] },
        { 4, 7, Ents3456[1].Size + Ents3456[2].Size + Ents3456[3].Size / 2, StorageStatus.Ok, [4, 5] },
        { 4, 7, Ents3456[1].Size + Ents3456[2].Size + Ents3456[3].Size - 1, StorageStatus.Ok, [4, 5] },
        // all
        { 4, 7, Ents3456[1].Size + Ents3456[2].Size + Ents3456[3].Size, StorageStatus.Ok, [4, 5, 6] },
        // past the last index: a result, where etcd panics
        { 4, 8, ulong.MaxValue, StorageStatus.Unavailable, [] },
        { 5, 4, ulong.MaxValue, StorageStatus.Unavailable, [] },
    };

    [Theory]
    [MemberData(nameof(EntriesCases))]
    public void Entries(ulong lo, ulong hi, ulong maxSize, StorageStatus wstatus, ulong[] wterms)
    {
        MemoryStorage s = StorageWithSnapshot(3, 3);
        Assert.Equal(StorageStatus.Ok, s.Append(Ents3456.AsSpan(1)));
        var dest = new EntryBuffer();

        Assert.Equal(wstatus, s.Entries(lo, hi, maxSize, dest));
        Assert.Equal(Terms(lo, wterms), ToArray(dest));
    }

    [Fact]
    public void Entries_of_a_storage_with_only_the_dummy_entry_are_unavailable()
    {
        var s = new MemoryStorage();
        Assert.Equal(StorageStatus.Unavailable, s.Entries(1, 1, ulong.MaxValue, new EntryBuffer()));
    }

    [Fact]
    public void LastIndex_follows_appends()
    {
        MemoryStorage s = Storage345();
        Assert.Equal(5UL, s.LastIndex());

        Assert.Equal(StorageStatus.Ok, s.Append(Terms(6, 5)));
        Assert.Equal(6UL, s.LastIndex());
    }

    [Fact]
    public void FirstIndex_follows_compaction()
    {
        MemoryStorage s = Storage345();
        Assert.Equal(4UL, s.FirstIndex());

        Assert.Equal(StorageStatus.Ok, s.Compact(4));
        Assert.Equal(5UL, s.FirstIndex());
    }

    public static TheoryData<ulong, StorageStatus, ulong, ulong, int> CompactCases => new()
    {
        // compact index -> status, dummy index, dummy term, entries including the dummy
        { 2, StorageStatus.Compacted, 3, 3, 3 },
        { 3, StorageStatus.Compacted, 3, 3, 3 },
        { 4, StorageStatus.Ok, 4, 4, 2 },
        { 5, StorageStatus.Ok, 5, 5, 1 },
        // past the last index: a result, where etcd panics
        { 6, StorageStatus.Unavailable, 3, 3, 3 },
    };

    [Theory]
    [MemberData(nameof(CompactCases))]
    public void Compact(ulong i, StorageStatus wstatus, ulong windex, ulong wterm, int wlen)
    {
        MemoryStorage s = Storage345();

        Assert.Equal(wstatus, s.Compact(i));

        Assert.Equal(windex, s.FirstIndex() - 1);
        Assert.Equal(StorageStatus.Ok, s.Term(windex, out ulong term));
        Assert.Equal(wterm, term);
        Assert.Equal(wlen, (int)(s.LastIndex() - windex + 1));
    }

    [Fact]
    public void Compact_keeps_later_payloads_and_drops_the_new_dummys()
    {
        MemoryStorage s = StorageWithSnapshot(3, 3);
        Assert.Equal(StorageStatus.Ok, s.Append([WithData(4, 4, "four"), WithData(4, 5, "five"), WithData(4, 6, "six")]));

        Assert.Equal(StorageStatus.Ok, s.Compact(5));

        Assert.Equal([WithData(4, 6, "six")], Stored(s));
        Assert.Equal(StorageStatus.Ok, s.Term(5, out ulong term));
        Assert.Equal(4UL, term);
    }

    public static TheoryData<ulong, StorageStatus, ulong> CreateSnapshotCases => new()
    {
        // index -> status, snapshot term
        { 4, StorageStatus.Ok, 4 },
        { 5, StorageStatus.Ok, 5 },
        { 3, StorageStatus.SnapOutOfDate, 0 },
        // past the last index: a result, where etcd panics
        { 6, StorageStatus.Unavailable, 0 },
    };

    [Theory]
    [MemberData(nameof(CreateSnapshotCases))]
    public void CreateSnapshot(ulong i, StorageStatus wstatus, ulong wterm)
    {
        MemoryStorage s = Storage345();
        var cs = new ConfState { Voters = [1, 2, 3] };
        byte[] data = "data"u8.ToArray();

        Assert.Equal(wstatus, s.CreateSnapshot(i, cs, data, out Snapshot snap));

        if (wstatus == StorageStatus.Ok)
        {
            Assert.Equal(Snap(i, wterm, cs, data), snap);
            Assert.Equal(StorageStatus.Ok, s.Snapshot(out Snapshot current));
            Assert.Same(snap, current);
            Assert.Equal(cs, s.ConfState);
        }
        else
        {
            Assert.True(snap.IsEmpty);
        }
    }

    [Fact]
    public void CreateSnapshot_without_a_configuration_keeps_the_current_one()
    {
        var cs = new ConfState { Voters = [1, 2] };
        var s = new MemoryStorage();
        Assert.Equal(StorageStatus.Ok, s.ApplySnapshot(Snap(3, 3, cs)));
        Assert.Equal(StorageStatus.Ok, s.Append(Terms(4, 4)));

        Assert.Equal(StorageStatus.Ok, s.CreateSnapshot(4, null, ReadOnlyMemory<byte>.Empty, out Snapshot snap));

        Assert.Same(cs, snap.Metadata.ConfState);
    }

    public static TheoryData<ulong, ulong[], ulong[]> AppendCases => new()
    {
        // append (first, terms) -> terms stored from index 3 (the dummy included)
        { 1, [1, 2], [3, 4, 5] },
        { 3, [3, 4, 5], [3, 4, 5] },
        { 3, [3, 6, 6], [3, 6, 6] },
        { 3, [3, 4, 5, 5], [3, 4, 5, 5] },
        // Truncate incoming entries, truncate the existing entries and append.
        { 2, [3, 3, 5], [3, 5] },
        // Truncate the existing entries and append.
        { 4, [5], [3, 5] },
        // Direct append.
        { 6, [5], [3, 4, 5, 5] },
    };

    [Theory]
    [MemberData(nameof(AppendCases))]
    public void Append(ulong first, ulong[] terms, ulong[] wterms)
    {
        MemoryStorage s = Storage345();

        Assert.Equal(StorageStatus.Ok, s.Append(Terms(first, terms)));

        Assert.Equal(3UL, s.FirstIndex() - 1);
        Assert.Equal(StorageStatus.Ok, s.Term(3, out ulong dummyTerm));
        Assert.Equal(wterms[0], dummyTerm);
        Assert.Equal(Terms(4, wterms[1..]), Stored(s));
    }

    [Theory]
    [MemberData(nameof(AppendCases))]
    public void Save_of_a_run_in_two_pieces_stores_what_Append_stores_whatever_the_cut(ulong first, ulong[] terms, ulong[] wterms)
    {
        // A Ready's entries wrap around the unstable log's ring: every cut must store the same.
        Entry[] ents = Terms(first, terms);
        for (int cut = 0; cut <= ents.Length; cut++)
        {
            MemoryStorage s = Storage345();

            Assert.Equal(StorageStatus.Ok, s.Save(default, new EntrySegments(ents.AsMemory(0, cut), ents.AsMemory(cut)), null, false));

            Assert.Equal(StorageStatus.Ok, s.Term(3, out ulong dummyTerm));
            Assert.Equal(wterms[0], dummyTerm);
            Assert.Equal(Terms(4, wterms[1..]), Stored(s));
        }
    }

    [Fact]
    public void Save_whose_first_piece_leaves_a_gap_stores_nothing()
    {
        MemoryStorage s = Storage345();

        Assert.Equal(StorageStatus.OutOfOrder, s.Save(default, new EntrySegments(Terms(7, 5), Terms(8, 5)), null, false));

        Assert.Equal(Terms(4, 4, 5), Stored(s));
    }

    [Fact]
    public void Append_with_a_gap_returns_OutOfOrder_instead_of_panicking()
    {
        MemoryStorage s = Storage345();

        Assert.Equal(StorageStatus.OutOfOrder, s.Append(Terms(7, 5)));

        Assert.Equal(5UL, s.LastIndex());
        Assert.Equal(Terms(4, 4, 5), Stored(s));
    }

    [Fact]
    public void Append_of_nothing_is_ok()
    {
        MemoryStorage s = Storage345();
        Assert.Equal(StorageStatus.Ok, s.Append([]));
        Assert.Equal(5UL, s.LastIndex());
    }

    [Fact]
    public void Apply_snapshot_normal_case()
    {
        var cs = new ConfState { Voters = [1, 2, 3] };
        var s = new MemoryStorage();
        Assert.Equal(StorageStatus.Ok, s.Append(Terms(1, 1, 1)));

        Assert.Equal(StorageStatus.Ok, s.ApplySnapshot(Snap(4, 4, cs, "data"u8.ToArray())));

        Assert.Equal(5UL, s.FirstIndex());
        Assert.Equal(4UL, s.LastIndex());
        Assert.Equal(StorageStatus.Ok, s.Term(4, out ulong term));
        Assert.Equal(4UL, term);
        Assert.Equal(StorageStatus.Ok, s.InitialState(out _, out ConfState got));
        Assert.Same(cs, got);
    }

    [Fact]
    public void Apply_snapshot_out_of_date()
    {
        var cs = new ConfState { Voters = [1, 2, 3] };
        var s = new MemoryStorage();
        Assert.Equal(StorageStatus.Ok, s.ApplySnapshot(Snap(4, 4, cs)));

        Assert.Equal(StorageStatus.SnapOutOfDate, s.ApplySnapshot(Snap(3, 3, cs)));
        Assert.Equal(StorageStatus.SnapOutOfDate, s.ApplySnapshot(Snap(4, 4, cs)));
        Assert.Equal(4UL, s.LastIndex());
    }

    [Fact]
    public void Apply_snapshot_bootstrap_with_configuration_only()
    {
        var cs = new ConfState { Voters = [1, 2, 3] };
        var s = new MemoryStorage();

        Assert.Equal(StorageStatus.Ok, s.ApplySnapshot(Snap(0, 0, cs)));

        Assert.Equal(StorageStatus.Ok, s.InitialState(out HardState hs, out ConfState got));
        Assert.True(hs.IsEmpty);
        Assert.Same(cs, got);
        Assert.Equal(1UL, s.FirstIndex());
        Assert.Equal(0UL, s.LastIndex());
    }

    [Fact]
    public void Hard_state_is_saved_and_returned()
    {
        var s = new MemoryStorage();
        var hs = new HardState(3, 2, 1);

        Assert.Equal(StorageStatus.Ok, s.SetHardState(hs));

        Assert.Equal(hs, s.HardState);
        Assert.Equal(StorageStatus.Ok, s.InitialState(out HardState got, out ConfState cs));
        Assert.Equal(hs, got);
        Assert.True(cs.IsEmpty);
    }

    [Fact]
    public void Appended_payloads_are_copies_not_the_callers_buffer()
    {
        var s = new MemoryStorage();
        byte[] buffer = "hello"u8.ToArray();

        Assert.Equal(StorageStatus.Ok, s.Append([new Entry(1, 1, EntryType.ConfChange, buffer), new Entry(1, 2)]));
        buffer[0] = (byte)'j';

        Entry[] stored = Stored(s);
        Assert.Equal("hello", Text(stored[0].Data));
        Assert.Equal(EntryType.ConfChange, stored[0].Type);
        Assert.True(stored[1].Data.IsEmpty);
    }

    [Fact]
    public void Views_read_before_compaction_or_truncation_stay_intact_for_an_epoch()
    {
        var s = new MemoryStorage(payloadChunkSize: 8);
        Assert.Equal(StorageStatus.Ok, s.Append([WithData(1, 1, "aaaaaaaa"), WithData(1, 2, "bbbbbbbb"), WithData(1, 3, "cccccccc")]));
        Entry[] before = Stored(s);

        Assert.Equal(StorageStatus.Ok, s.Compact(2));
        Assert.Equal(StorageStatus.Ok, s.Append([WithData(2, 3, "dddddddd")]));
        s.AdvanceEpoch();
        Assert.Equal(StorageStatus.Ok, s.Append([WithData(2, 4, "eeeeeeee"), WithData(2, 5, "ffffffff")]));

        Assert.Equal("aaaaaaaa", Text(before[0].Data));
        Assert.Equal("bbbbbbbb", Text(before[1].Data));
        Assert.Equal("cccccccc", Text(before[2].Data));
        Assert.Equal(["dddddddd", "eeeeeeee", "ffffffff"], Array.ConvertAll(Stored(s), e => Text(e.Data)));
    }

    [Fact]
    public void Append_entries_compact_and_advance_allocate_nothing_once_warm()
    {
        var s = new MemoryStorage();
        var batch = new Entry[8];
        byte[] payload = new byte[200];
        var dest = new EntryBuffer(64);
        ulong next = 1;

        void Cycle(int n)
        {
            for (int k = 0; k < n; k++)
            {
                for (int j = 0; j < batch.Length; j++)
                {
                    batch[j] = new Entry(2, next + (ulong)j, EntryType.Normal, payload);
                }
                Ok(s.Append(batch));
                next += (ulong)batch.Length;
                // A follower rewrites its last two entries now and then.
                if (k % 7 == 0)
                {
                    Ok(s.Append(batch.AsSpan(batch.Length - 2)));
                }
                dest.Clear();
                Ok(s.Entries(next - 8, next, 1024, dest));
                Ok(s.Compact(next - 4));
                s.AdvanceEpoch();
            }
        }

        Cycle(2000);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Cycle(5000);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
