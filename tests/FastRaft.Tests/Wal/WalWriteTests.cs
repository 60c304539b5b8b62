using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage.Wal;
using static FastRaft.Tests.Wal.WalAssert;

namespace FastRaft.Tests.Wal;

/// <summary>Group commit, sync policy, segments and the entry cache.</summary>
public class WalWriteTests
{
    [Fact]
    public void A_Save_with_entries_and_hard_state_costs_exactly_one_sync()
    {
        using var dir = new TempWalDirectory();
        using WriteAheadLog wal = dir.Open();
        long syncs = wal.Statistics.Syncs;

        Assert.Equal(StorageStatus.Ok, wal.Save(new HardState(1, 1, 0), Payloads(1, 256, 1, 16), null, true));
        Assert.Equal(syncs + 1, wal.Statistics.Syncs);

        Assert.Equal(StorageStatus.Ok, wal.Save(new HardState(1, 1, 256), Payloads(257, 3, 1, 16), null, true));
        Assert.Equal(syncs + 2, wal.Statistics.Syncs);
    }

    [Fact]
    public void Nothing_durable_changed_means_no_sync()
    {
        using var dir = new TempWalDirectory();
        using (WriteAheadLog wal = dir.Open())
        {
            Assert.Equal(StorageStatus.Ok, wal.Save(new HardState(1, 1, 0), Payloads(1, 4, 1, 16), null, true));
            WalStatistics before = wal.Statistics;

            // Nothing at all, even when asked to sync.
            Assert.Equal(StorageStatus.Ok, wal.Save(default, [], null, true));
            // The same hard state again.
            Assert.Equal(StorageStatus.Ok, wal.Save(new HardState(1, 1, 0), [], null, false));
            Assert.Equal(before, wal.Statistics);

            // Only the commit index moved: written, not synced.
            Assert.Equal(StorageStatus.Ok, wal.Save(new HardState(1, 1, 3), [], null, false));
            Assert.Equal(before.Syncs, wal.Statistics.Syncs);
            Assert.True(wal.Statistics.BytesWritten > before.BytesWritten);
        }
        using WriteAheadLog reopened = dir.Open();
        Assert.Equal(new HardState(1, 1, 3), reopened.HardState);
    }

    [Fact]
    public void Entries_or_a_new_vote_are_synced_even_when_the_caller_says_not_to()
    {
        using var dir = new TempWalDirectory();
        using WriteAheadLog wal = dir.Open();
        long syncs = wal.Statistics.Syncs;

        Assert.Equal(StorageStatus.Ok, wal.Save(default, Payloads(1, 1, 1, 16), null, false));
        Assert.Equal(syncs + 1, wal.Statistics.Syncs);
        Assert.Equal(StorageStatus.Ok, wal.Save(new HardState(2, 3, 0), [], null, false));
        Assert.Equal(syncs + 2, wal.Statistics.Syncs);
    }

    [Fact]
    public void Interval_policy_defers_syncs_until_asked_or_disposed()
    {
        using var dir = new TempWalDirectory();
        var options = new WalOptions { SegmentSize = 64 * 1024, SyncPolicy = WalSyncPolicy.Interval, SyncInterval = TimeSpan.FromHours(1) };
        using (WriteAheadLog wal = dir.Open(options))
        {
            long syncs = wal.Statistics.Syncs;
            for (ulong i = 1; i <= 10; i++)
            {
                Assert.Equal(StorageStatus.Ok, wal.Save(new HardState(1, 1, i - 1), [Payload(1, i, 16, 0)], null, true));
            }
            Assert.Equal(syncs, wal.Statistics.Syncs);

            wal.Sync();
            Assert.Equal(syncs + 1, wal.Statistics.Syncs);
            Assert.Equal(StorageStatus.Ok, wal.Save(default, [Payload(1, 11, 16, 0)], null, true));
        }
        using WriteAheadLog reopened = dir.Open(options);
        Assert.Equal(11UL, reopened.LastIndex());
    }

    [Fact]
    public void Interval_policy_syncs_once_the_interval_has_passed_on_the_configured_clock()
    {
        using var dir = new TempWalDirectory();
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var options = new WalOptions { SegmentSize = 64 * 1024, SyncPolicy = WalSyncPolicy.Interval, SyncInterval = TimeSpan.FromMilliseconds(10), Time = clock };
        using WriteAheadLog wal = dir.Open(options);
        long syncs = wal.Statistics.Syncs;

        Assert.Equal(StorageStatus.Ok, wal.Save(new HardState(1, 1, 0), [Payload(1, 1, 16, 0)], null, true));
        clock.Advance(TimeSpan.FromMilliseconds(9));
        Assert.Equal(StorageStatus.Ok, wal.Save(default, [Payload(1, 2, 16, 0)], null, true));
        Assert.Equal(syncs, wal.Statistics.Syncs);

        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal(StorageStatus.Ok, wal.Save(default, [Payload(1, 3, 16, 0)], null, true));
        Assert.Equal(syncs + 1, wal.Statistics.Syncs);

        // The interval starts again from that sync.
        Assert.Equal(StorageStatus.Ok, wal.Save(default, [Payload(1, 4, 16, 0)], null, true));
        Assert.Equal(syncs + 1, wal.Statistics.Syncs);
    }

    [Fact]
    public void Segments_are_preallocated_rolled_over_and_deleted_behind_compaction()
    {
        using var dir = new TempWalDirectory();
        var options = new WalOptions { SegmentSize = 8192, PrepareSegmentsInBackground = false };
        using WriteAheadLog wal = dir.Open(options);
        Assert.Equal(8192, new FileInfo(Assert.Single(dir.Files("*.wal"))).Length);

        ulong next = 1;
        for (int batch = 0; batch < 40; batch++)
        {
            Assert.Equal(StorageStatus.Ok, wal.Save(new HardState(1, 1, next - 1), Payloads(next, 20, 1, 40), null, true));
            next += 20;
        }
        int segments = wal.Statistics.SegmentCount;
        Assert.True(segments > 5, $"{segments} segments");
        Assert.All(dir.Files("*.wal"), f => Assert.Equal(8192, new FileInfo(f).Length));

        Assert.Equal(StorageStatus.Ok, wal.Compact(next - 30));

        Assert.InRange(wal.Statistics.SegmentCount, 1, 2);
        Assert.Equal(segments - wal.Statistics.SegmentCount, wal.Statistics.SegmentsDeleted);
        Assert.Equal(wal.Statistics.SegmentCount, dir.Files("*.wal").Length);
        Assert.Equal(Payloads(next - 29, 29, 1, 40), Stored(wal));
    }

    [Fact]
    public void A_conflicting_tail_spanning_segments_is_replaced_durably()
    {
        using var dir = new TempWalDirectory();
        var options = new WalOptions { SegmentSize = 4096, PrepareSegmentsInBackground = false };
        using (WriteAheadLog wal = dir.Open(options))
        {
            for (ulong i = 1; i <= 100; i += 10)
            {
                Assert.Equal(StorageStatus.Ok, wal.Save(new HardState(1, 1, 10), Payloads(i, 10, 1, 80), null, true));
            }
            Assert.True(wal.Statistics.SegmentCount > 2);
            Assert.Equal(StorageStatus.Ok, wal.Save(new HardState(2, 2, 10), Payloads(20, 11, 2, 50, seed: 7), null, true));
        }
        Entry[] want = [.. Payloads(1, 19, 1, 80), .. Payloads(20, 11, 2, 50, seed: 7)];
        using (WriteAheadLog wal = dir.Open(options))
        {
            Assert.Equal(30UL, wal.LastIndex());
            Assert.Equal(want, Stored(wal));
            Assert.Equal(StorageStatus.Ok, wal.Compact(25));
        }
        using (WriteAheadLog wal = dir.Open(options))
        {
            Assert.Equal(26UL, wal.FirstIndex());
            Assert.Equal(StorageStatus.Ok, wal.Term(25, out ulong term));
            Assert.Equal(2UL, term);
            Assert.Equal(want[25..], Stored(wal));
        }
    }

    [Fact]
    public void An_entry_larger_than_a_segment_gets_a_segment_of_its_own()
    {
        using var dir = new TempWalDirectory();
        var options = new WalOptions { SegmentSize = 4096, PayloadChunkSize = 1024 };
        Entry big = Payload(1, 2, 10_000, 3);
        using (WriteAheadLog wal = dir.Open(options))
        {
            Assert.Equal(StorageStatus.Ok, wal.Save(new HardState(1, 1, 0), [Payload(1, 1, 10, 1), big, Payload(1, 3, 10, 1)], null, true));
            Assert.Equal(StorageStatus.Ok, wal.Save(default, [Payload(1, 4, 10, 1)], null, true));
        }
        using WriteAheadLog reopened = dir.Open(options);
        Assert.Equal([Payload(1, 1, 10, 1), big, Payload(1, 3, 10, 1), Payload(1, 4, 10, 1)], Stored(reopened));
    }

    [Fact]
    public void Entries_past_the_cache_are_read_back_from_the_segments()
    {
        using var dir = new TempWalDirectory();
        var options = new WalOptions { SegmentSize = 16 * 1024, CacheBytes = 1000 };
        using WriteAheadLog wal = dir.Open(options);
        Entry[] ents = Payloads(1, 200, 1, 100);
        for (int i = 0; i < ents.Length; i += 25)
        {
            Assert.Equal(StorageStatus.Ok, wal.Save(new HardState(1, 1, 0), new ReadOnlyMemory<Entry>(ents, i, 25), null, true));
        }
        Assert.InRange(wal.Statistics.CachedEntries, 1, 10);

        var dest = new EntryBuffer();
        Assert.Equal(StorageStatus.Ok, wal.Entries(1, 201, ulong.MaxValue, dest));
        Assert.Equal(ents, dest.Span.ToArray());
        Assert.Equal(200 - wal.Statistics.CachedEntries, wal.Statistics.EntriesReadFromDisk);

        // A size limit stops the disk read where it stops a cached one.
        dest.Clear();
        Assert.Equal(StorageStatus.Ok, wal.Entries(10, 201, ents[9].Size + ents[10].Size, dest));
        Assert.Equal(ents[9..11], dest.Span.ToArray());
    }

    [Fact]
    public void Views_handed_out_stay_intact_until_two_epochs_after_their_release()
    {
        using var dir = new TempWalDirectory();
        var options = new WalOptions { SegmentSize = 16 * 1024, CacheBytes = 64, PayloadChunkSize = 32 };
        using WriteAheadLog wal = dir.Open(options);
        Assert.Equal(StorageStatus.Ok, wal.Save(default, Payloads(1, 6, 1, 16), null, true));
        Entry[] fromDisk = Stored(wal);
        var cached = new EntryBuffer();
        Assert.Equal(StorageStatus.Ok, wal.Entries(5, 7, ulong.MaxValue, cached));
        Entry[] snapshotOfViews = [.. fromDisk.Select(e => e with { Data = e.Data.ToArray() })];
        Entry[] cachedCopy = [.. cached.Span.ToArray().Select(e => e with { Data = e.Data.ToArray() })];

        // Evict, truncate and compact; one epoch passes; new data and reads churn the buffers.
        Assert.Equal(StorageStatus.Ok, wal.Save(default, Payloads(5, 6, 2, 16, seed: 9), null, true));
        Assert.Equal(StorageStatus.Ok, wal.Compact(6));
        wal.AdvanceEpoch();
        Assert.Equal(StorageStatus.Ok, wal.Save(default, Payloads(11, 6, 2, 16, seed: 5), null, true));
        Stored(wal);

        Assert.Equal(snapshotOfViews, fromDisk);
        Assert.Equal(cachedCopy, cached.Span.ToArray());
    }
}
