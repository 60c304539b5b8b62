using FastRaft.Core;
using FastRaft.Protocol;
using FastRaft.Storage.Wal;
using static FastRaft.Tests.Log.LogFixtures;

namespace FastRaft.Tests.Wal;

/// <summary>Steady state writes and cached reads allocate nothing.</summary>
[Collection(Perf.AllocationGateCollection.Name)]
public class WalAllocationTests
{
    [Fact]
    public void Save_with_sync_and_cached_Entries_reads_allocate_nothing_once_warm()
    {
        using var dir = new TempWalDirectory(memoryBacked: true);
        // Small payload chunks so the warm-up cycles the cache's chunks through release and reuse.
        using WriteAheadLog wal = dir.Open(new WalOptions { SegmentSize = 4 * 1024 * 1024, PayloadChunkSize = 1024 });
        var batch = new Entry[1];
        byte[] payload = new byte[16];
        var dest = new EntryBuffer(16);
        ulong next = 1;

        void Run(int n)
        {
            for (int k = 0; k < n; k++)
            {
                batch[0] = new Entry(1, next, EntryType.Normal, payload);
                Ok(wal.Save(new HardState(1, 1, next - 1), batch, null, mustSync: true));
                dest.Clear();
                Ok(wal.Entries(next > 3 ? next - 3 : 1, next + 1, ulong.MaxValue, dest));
                if (next % 256 == 0)
                {
                    Ok(wal.Compact(next - 128));
                }
                next++;
                wal.AdvanceEpoch();
            }
        }

        Run(2_000);
        WalStatistics before = wal.Statistics;
        long delta = AllocationCounter.Steady(() => Run(10_000));
        WalStatistics after = wal.Statistics;

        Assert.Equal(0, delta);
        // One sync per Save, for every measured block (one to three of them).
        Assert.Equal(0, (after.Syncs - before.Syncs) % 10_000);
        Assert.True(after.Syncs - before.Syncs >= 10_000);
        Assert.Equal(before.SegmentsCreated, after.SegmentsCreated);
        Assert.Equal(0, after.EntriesReadFromDisk);
    }

    [Fact]
    public void Shared_log_Saves_of_many_groups_with_one_SyncWrites_per_cycle_allocate_nothing_once_warm()
    {
        using var dir = new TempWalDirectory(memoryBacked: true);
        const int Groups = 16;
        using SharedWriteAheadLog log = SharedWriteAheadLog.Open(dir.Path, new WalOptions { SegmentSize = 64 * 1024 * 1024, PayloadChunkSize = 1024 });
        var groups = new WalGroup[Groups];
        for (int g = 0; g < Groups; g++)
        {
            groups[g] = log.OpenGroup((ulong)g + 1);
        }
        var batch = new Entry[8];
        byte[] payload = new byte[16];
        var dest = new EntryBuffer(16);
        ulong next = 1;

        void Run(int cycles)
        {
            for (int c = 0; c < cycles; c++)
            {
                for (int k = 0; k < batch.Length; k++)
                {
                    batch[k] = new Entry(1, next + (ulong)k, EntryType.Normal, payload);
                }
                foreach (WalGroup g in groups)
                {
                    Ok(g.Save(new HardState(1, 1, next - 1), batch, null, mustSync: true));
                    dest.Clear();
                    Ok(g.Entries(next, next + (ulong)batch.Length, ulong.MaxValue, dest));
                    if (next % 512 == 1 && next > 512)
                    {
                        Ok(g.Compact(next - 256));
                    }
                    g.AdvanceEpoch();
                }
                log.SyncWrites();
                next += (ulong)batch.Length;
            }
        }

        Run(300);
        WalStatistics before = log.Statistics;
        long delta = AllocationCounter.Steady(() => Run(1_000));
        WalStatistics after = log.Statistics;

        Assert.Equal(0, delta);
        // One sync per cycle, for all the groups' Saves.
        Assert.Equal(0, (after.Syncs - before.Syncs) % 1_000);
        Assert.True(after.Syncs - before.Syncs >= 1_000);
        Assert.Equal(before.SegmentsCreated, after.SegmentsCreated);
        Assert.Equal(0, after.EntriesReadFromDisk);
    }
}
