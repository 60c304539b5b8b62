using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage.Wal;
using static FastRaft.Tests.Log.LogFixtures;
using static FastRaft.Tests.Wal.WalAssert;

namespace FastRaft.Tests.Wal;

/// <summary>
/// The WAL answers like MemoryStorage (etcd's storage_test.go cases), both right after the
/// writes and after closing and reopening the log.
/// </summary>
public sealed class WalStorageSemanticsTests : IDisposable
{
    private TempWalDirectory _dir = new();
    private WriteAheadLog _wal;

    public WalStorageSemanticsTests() => _wal = _dir.Open();

    public void Dispose()
    {
        _wal.Dispose();
        _dir.Dispose();
    }

    /// <summary>etcd's <c>index(3).terms(3, 4, 5)</c>: dummy (3, 3), then 4 and 5.</summary>
    private void Setup345()
    {
        Assert.Equal(StorageStatus.Ok, _wal.ApplySnapshot(Snap(3, 3)));
        Assert.Equal(StorageStatus.Ok, _wal.Save(default, Terms(4, 4, 5), null, true));
    }

    private void Reopen()
    {
        _wal.Dispose();
        _wal = _dir.Open();
    }

    public static TheoryData<bool> Restarts => new() { false, true };

    [Theory]
    [MemberData(nameof(Restarts))]
    public void Term(bool restart)
    {
        Setup345();
        if (restart)
        {
            Reopen();
        }
        Assert.Equal(StorageStatus.Compacted, _wal.Term(2, out _));
        Assert.Equal(StorageStatus.Ok, _wal.Term(3, out ulong t3));
        Assert.Equal(StorageStatus.Ok, _wal.Term(5, out ulong t5));
        Assert.Equal(StorageStatus.Unavailable, _wal.Term(6, out _));
        Assert.Equal((3UL, 5UL), (t3, t5));
    }

    public static TheoryData<ulong, ulong, ulong, StorageStatus, ulong[]> EntriesCases
    {
        get
        {
            Entry[] e = Terms(3, 3, 4, 5, 6);
            return new()
            {
                { 2, 6, ulong.MaxValue, StorageStatus.Compacted, [] },
                { 3, 4, ulong.MaxValue, StorageStatus.Compacted, [] },
                { 4, 5, ulong.MaxValue, StorageStatus.Ok, [4] },
                { 4, 7, ulong.MaxValue, StorageStatus.Ok, [4, 5, 6] },
                { 4, 7, 0, StorageStatus.Ok, [4] },
                { 4, 7, e[1].Size + e[2].Size, StorageStatus.Ok, [4, 5] },
                { 4, 7, e[1].Size + e[2].Size + e[3].Size - 1, StorageStatus.Ok, [4, 5] },
                { 4, 7, e[1].Size + e[2].Size + e[3].Size, StorageStatus.Ok, [4, 5, 6] },
                { 4, 8, ulong.MaxValue, StorageStatus.Unavailable, [] },
                { 5, 4, ulong.MaxValue, StorageStatus.Unavailable, [] },
                { 5, 5, ulong.MaxValue, StorageStatus.Ok, [] },
            };
        }
    }

    [Theory]
    [MemberData(nameof(EntriesCases))]
    public void Entries(ulong lo, ulong hi, ulong maxSize, StorageStatus wstatus, ulong[] wterms)
    {
        Assert.Equal(StorageStatus.Ok, _wal.ApplySnapshot(Snap(3, 3)));
        Assert.Equal(StorageStatus.Ok, _wal.Save(default, Terms(4, 4, 5, 6), null, true));
        foreach (bool restart in new[] { false, true })
        {
            if (restart)
            {
                Reopen();
            }
            var dest = new EntryBuffer();
            Assert.Equal(wstatus, _wal.Entries(lo, hi, maxSize, dest));
            Assert.Equal(Terms(lo, wterms), dest.Span.ToArray());
        }
    }

    [Fact]
    public void Entries_of_a_new_log_are_unavailable()
    {
        Assert.Equal(StorageStatus.Unavailable, _wal.Entries(1, 1, ulong.MaxValue, new EntryBuffer()));
        Assert.Equal(1UL, _wal.FirstIndex());
        Assert.Equal(0UL, _wal.LastIndex());
    }

    [Theory]
    [InlineData(2UL, StorageStatus.Compacted, 3UL, 3UL, 3)]
    [InlineData(3UL, StorageStatus.Compacted, 3UL, 3UL, 3)]
    [InlineData(4UL, StorageStatus.Ok, 4UL, 4UL, 2)]
    [InlineData(5UL, StorageStatus.Ok, 5UL, 5UL, 1)]
    [InlineData(6UL, StorageStatus.Unavailable, 3UL, 3UL, 3)]
    public void Compact(ulong i, StorageStatus wstatus, ulong windex, ulong wterm, int wlen)
    {
        Setup345();
        Assert.Equal(wstatus, _wal.Compact(i));
        foreach (bool restart in new[] { false, true })
        {
            if (restart)
            {
                Reopen();
            }
            Assert.Equal(windex, _wal.FirstIndex() - 1);
            Assert.Equal(StorageStatus.Ok, _wal.Term(windex, out ulong term));
            Assert.Equal(wterm, term);
            Assert.Equal(wlen, (int)(_wal.LastIndex() - windex + 1));
        }
    }

    [Theory]
    [InlineData(4UL, StorageStatus.Ok, 4UL)]
    [InlineData(5UL, StorageStatus.Ok, 5UL)]
    [InlineData(3UL, StorageStatus.SnapOutOfDate, 0UL)]
    [InlineData(6UL, StorageStatus.Unavailable, 0UL)]
    public void CreateSnapshot(ulong i, StorageStatus wstatus, ulong wterm)
    {
        Setup345();
        var cs = new ConfState { Voters = [1, 2, 3] };
        byte[] data = "data"u8.ToArray();

        Assert.Equal(wstatus, _wal.CreateSnapshot(i, cs, data, out Snapshot snap));

        if (wstatus != StorageStatus.Ok)
        {
            Assert.True(snap.IsEmpty);
            return;
        }
        Assert.Equal(Snap(i, wterm, cs, data), snap);
        Reopen();
        Assert.Equal(StorageStatus.Ok, _wal.Snapshot(out Snapshot current));
        Assert.Equal(snap, current);
        Assert.Equal(cs, _wal.ConfState);
        Assert.Single(_dir.Files("*.snap"));
    }

    [Fact]
    public void CreateSnapshot_before_the_dummy_entry_is_Compacted()
    {
        Setup345();
        Assert.Equal(StorageStatus.Ok, _wal.Compact(5));
        Assert.Equal(StorageStatus.Compacted, _wal.CreateSnapshot(4, null, default, out _));
    }

    [Theory]
    [InlineData(1UL, new ulong[] { 1, 2 }, new ulong[] { 3, 4, 5 })]
    [InlineData(3UL, new ulong[] { 3, 4, 5 }, new ulong[] { 3, 4, 5 })]
    [InlineData(3UL, new ulong[] { 3, 6, 6 }, new ulong[] { 3, 6, 6 })]
    [InlineData(3UL, new ulong[] { 3, 4, 5, 5 }, new ulong[] { 3, 4, 5, 5 })]
    [InlineData(2UL, new ulong[] { 3, 3, 5 }, new ulong[] { 3, 5 })]
    [InlineData(4UL, new ulong[] { 5 }, new ulong[] { 3, 5 })]
    [InlineData(6UL, new ulong[] { 5 }, new ulong[] { 3, 4, 5, 5 })]
    public void Append_through_Save(ulong first, ulong[] terms, ulong[] wterms)
    {
        Setup345();
        Assert.Equal(StorageStatus.Ok, _wal.Save(default, Terms(first, terms), null, true));
        foreach (bool restart in new[] { false, true })
        {
            if (restart)
            {
                Reopen();
            }
            Assert.Equal(3UL, _wal.FirstIndex() - 1);
            Assert.Equal(StorageStatus.Ok, _wal.Term(3, out ulong dummyTerm));
            Assert.Equal(wterms[0], dummyTerm);
            Assert.Equal(Terms(4, wterms[1..]), Stored(_wal));
        }
    }

    [Theory]
    [InlineData(1UL, new ulong[] { 1, 2 }, new ulong[] { 3, 4, 5 })]
    [InlineData(2UL, new ulong[] { 3, 3, 5 }, new ulong[] { 3, 5 })]
    [InlineData(3UL, new ulong[] { 3, 6, 6 }, new ulong[] { 3, 6, 6 })]
    [InlineData(3UL, new ulong[] { 3, 4, 5, 5 }, new ulong[] { 3, 4, 5, 5 })]
    [InlineData(6UL, new ulong[] { 5, 6 }, new ulong[] { 3, 4, 5, 5, 6 })]
    public void A_run_in_two_pieces_is_saved_like_one_whatever_the_cut(ulong first, ulong[] terms, ulong[] wterms)
    {
        // A Ready's entries wrap around the unstable log's ring: every cut must store the same.
        Entry[] ents = Terms(first, terms);
        for (int cut = 0; cut <= ents.Length; cut++)
        {
            _wal.Dispose();
            _dir.Dispose();
            _dir = new TempWalDirectory();
            _wal = _dir.Open();
            Setup345();
            var pieces = new EntrySegments(ents.AsMemory(0, cut), ents.AsMemory(cut));

            Assert.Equal(StorageStatus.Ok, _wal.Save(default, pieces, null, true));
            Reopen();

            Assert.Equal(StorageStatus.Ok, _wal.Term(3, out ulong dummyTerm));
            Assert.Equal(wterms[0], dummyTerm);
            Assert.Equal(Terms(4, wterms[1..]), Stored(_wal));
        }
    }

    [Fact]
    public void Two_pieces_that_do_not_continue_each_other_are_OutOfOrder_and_write_nothing()
    {
        Setup345();
        long written = _wal.Statistics.BytesWritten;

        var pieces = new EntrySegments(Terms(6, 5, 5), Terms(9, 5));

        Assert.Equal(StorageStatus.OutOfOrder, _wal.Save(default, pieces, null, true));
        Assert.Equal(written, _wal.Statistics.BytesWritten);
        Assert.Equal(Terms(4, 4, 5), Stored(_wal));
    }

    [Fact]
    public void A_gap_or_non_consecutive_entries_are_OutOfOrder_and_write_nothing()
    {
        Setup345();
        long written = _wal.Statistics.BytesWritten;

        Assert.Equal(StorageStatus.OutOfOrder, _wal.Save(default, Terms(7, 5), null, true));
        Assert.Equal(StorageStatus.OutOfOrder, _wal.Save(default, [new Entry(5, 6), new Entry(5, 8)], null, true));

        Assert.Equal(written, _wal.Statistics.BytesWritten);
        Assert.Equal(Terms(4, 4, 5), Stored(_wal));
    }

    [Fact]
    public void Apply_snapshot_replaces_the_log_and_survives_restart()
    {
        var cs = new ConfState { Voters = [1, 2, 3], Learners = [4], AutoLeave = true };
        Assert.Equal(StorageStatus.Ok, _wal.Save(new HardState(1, 1, 0), Terms(1, 1, 1), null, true));

        Assert.Equal(StorageStatus.Ok, _wal.ApplySnapshot(Snap(4, 4, cs, "data"u8.ToArray())));
        Reopen();

        Assert.Equal(5UL, _wal.FirstIndex());
        Assert.Equal(4UL, _wal.LastIndex());
        Assert.Equal(StorageStatus.Ok, _wal.Term(4, out ulong term));
        Assert.Equal(4UL, term);
        Assert.Equal(StorageStatus.Ok, _wal.InitialState(out HardState hs, out ConfState got));
        Assert.Equal(new HardState(1, 1, 0), hs);
        Assert.Equal(cs, got);
        Assert.Equal(StorageStatus.Ok, _wal.Snapshot(out Snapshot snap));
        Assert.Equal(Snap(4, 4, cs, "data"u8.ToArray()), snap);
    }

    [Fact]
    public void Apply_snapshot_out_of_date()
    {
        var cs = new ConfState { Voters = [1, 2, 3] };
        Assert.Equal(StorageStatus.Ok, _wal.ApplySnapshot(Snap(4, 4, cs)));

        Assert.Equal(StorageStatus.SnapOutOfDate, _wal.ApplySnapshot(Snap(3, 3, cs)));
        Assert.Equal(StorageStatus.SnapOutOfDate, _wal.ApplySnapshot(Snap(4, 4, cs)));
        Assert.Equal(StorageStatus.SnapOutOfDate, _wal.Save(new HardState(5, 0, 4), [], Snap(4, 4, cs), true));
        Assert.Equal(4UL, _wal.LastIndex());
        Assert.Equal(new HardState(5, 0, 4), _wal.HardState);
    }

    [Fact]
    public void Bootstrap_with_a_configuration_only_snapshot_survives_restart()
    {
        var cs = new ConfState { Voters = [1, 2, 3] };
        Assert.Equal(StorageStatus.Ok, _wal.ApplySnapshot(Snap(0, 0, cs)));
        Reopen();

        Assert.Equal(StorageStatus.Ok, _wal.InitialState(out HardState hs, out ConfState got));
        Assert.True(hs.IsEmpty);
        Assert.Equal(cs, got);
        Assert.Equal(1UL, _wal.FirstIndex());
        Assert.Equal(0UL, _wal.LastIndex());
    }

    [Fact]
    public void Hard_state_conf_state_and_payloads_survive_restart()
    {
        var hs = new HardState(3, 2, 1);
        var cs = new ConfState { Voters = [1, 2], VotersOutgoing = [1, 2, 3], LearnersNext = [3] };
        Entry[] ents = [new Entry(3, 1, EntryType.ConfChange, "hello"u8.ToArray()), new Entry(3, 2), WithData(3, 3, "three")];

        Assert.Equal(StorageStatus.Ok, _wal.Save(hs, ents, null, true));
        Assert.Equal(StorageStatus.Ok, _wal.SetConfState(cs));
        Reopen();

        Assert.Equal(StorageStatus.Ok, _wal.InitialState(out HardState ghs, out ConfState gcs));
        Assert.Equal(hs, ghs);
        Assert.Equal(cs, gcs);
        Assert.Equal(ents, Stored(_wal));
    }

    [Fact]
    public void Saved_payloads_are_copies_not_the_callers_buffer()
    {
        byte[] buffer = "hello"u8.ToArray();
        Assert.Equal(StorageStatus.Ok, _wal.Save(default, [new Entry(1, 1, EntryType.Normal, buffer)], null, true));
        buffer[0] = (byte)'j';

        Assert.Equal("hello", Text(Stored(_wal)[0].Data));
    }
}
