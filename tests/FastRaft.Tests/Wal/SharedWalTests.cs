using System.Globalization;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage.Wal;
using static FastRaft.Tests.Wal.WalAssert;
using static FastRaft.Tests.Wal.WalFileSurgery;

namespace FastRaft.Tests.Wal;

/// <summary>
/// The shared log: group commit across groups, groups written from several threads, per-group
/// compaction freeing segments only when no group needs them, and recovery of interleaved
/// groups (torn tails inside one group's batch, damage in another group's record).
/// </summary>
public class SharedWalTests
{
    private static readonly WalOptions Options = new() { SegmentSize = 64 * 1024, PrepareSegmentsInBackground = false };

    [Fact]
    public void Saves_only_write_and_one_SyncWrites_makes_every_groups_writes_durable()
    {
        using var dir = new TempWalDirectory();
        using SharedWriteAheadLog log = SharedWriteAheadLog.Open(dir.Path, Options);
        Assert.True(log.Recovery.CreatedNew);
        Assert.Empty(log.RecoveredGroups);
        long syncs = log.Statistics.Syncs;

        for (ulong g = 1; g <= 5; g++)
        {
            Assert.Equal(StorageStatus.Ok, log.OpenGroup(g).Save(new HardState(1, 1, 0), Payloads(1, 10, 1, 16, (byte)g), null, mustSync: true));
        }
        Assert.Equal(syncs, log.Statistics.Syncs);
        Assert.True(log.HasUnsyncedWrites);

        log.SyncWrites();
        Assert.Equal(syncs + 1, log.Statistics.Syncs);
        Assert.False(log.HasUnsyncedWrites);

        // Nothing new: no sync.
        log.SyncWrites();
        Assert.Equal(syncs + 1, log.Statistics.Syncs);
        Assert.Same(log.OpenGroup(3), log.OpenGroup(3));
        Assert.Throws<ArgumentOutOfRangeException>(() => log.OpenGroup(0));
    }

    [Fact]
    public void Groups_written_from_several_threads_with_concurrent_syncs_all_recover()
    {
        using var dir = new TempWalDirectory(memoryBacked: true);
        const int Threads = 4, GroupsPerThread = 5, Batches = 200;
        var options = new WalOptions { SegmentSize = 256 * 1024 };
        using (SharedWriteAheadLog log = SharedWriteAheadLog.Open(dir.Path, options))
        {
            var workers = new Thread[Threads];
            Exception? failure = null;
            for (int t = 0; t < Threads; t++)
            {
                int thread = t;
                workers[t] = new Thread(() =>
                {
                    try
                    {
                        var next = new ulong[GroupsPerThread];
                        Array.Fill(next, 1UL);
                        for (int b = 0; b < Batches; b++)
                        {
                            for (int k = 0; k < GroupsPerThread; k++)
                            {
                                ulong group = (ulong)(thread * GroupsPerThread + k + 1);
                                WalGroup g = log.OpenGroup(group);
                                Entry[] ents = Payloads(next[k], 1 + (b % 4), 1, 24, (byte)group);
                                Check(g.Save(new HardState(1, 1, next[k] - 1), ents, null, true));
                                next[k] += (ulong)ents.Length;
                                g.AdvanceEpoch();
                            }
                            // Each runner syncs its cycle; concurrent syncs share.
                            log.SyncWrites();
                        }
                    }
                    catch (Exception e)
                    {
                        failure = e;
                    }
                });
                workers[t].Start();
            }
            foreach (Thread w in workers)
            {
                w.Join();
            }
            Assert.Null(failure);
            Assert.False(log.HasUnsyncedWrites);
            Assert.True(log.Statistics.SegmentsCreated > 1);
        }

        using SharedWriteAheadLog reopened = SharedWriteAheadLog.Open(dir.Path, options);
        Assert.Equal(Threads * GroupsPerThread, reopened.RecoveredGroups.Count);
        for (ulong group = 1; group <= Threads * GroupsPerThread; group++)
        {
            WalGroup g = reopened.OpenGroup(group);
            Entry[] stored = Stored(g);
            Assert.Equal(Batches * 2.5, stored.Length);
            Assert.Equal(Payloads(1, stored.Length, 1, 24, (byte)group), stored);
            Assert.Equal(new HardState(1, 1, (ulong)stored.Length - 4), g.HardState);
        }
    }

    [Fact]
    public void A_segment_is_kept_while_any_group_needs_it_and_freed_once_every_group_compacted_past_it()
    {
        using var dir = new TempWalDirectory(memoryBacked: true);
        var options = new WalOptions { SegmentSize = 8192, PrepareSegmentsInBackground = false };
        const int Groups = 8;
        var last = new ulong[Groups + 1];
        using (SharedWriteAheadLog log = SharedWriteAheadLog.Open(dir.Path, options))
        {
            for (int round = 0; round < 60; round++)
            {
                for (ulong g = 1; g <= Groups; g++)
                {
                    Check(log.OpenGroup(g).Save(new HardState(1, 1, last[g]), Payloads(last[g] + 1, 2, 1, 30, (byte)g), null, true));
                    last[g] += 2;
                }
                log.SyncWrites();
            }
            int segments = log.Statistics.SegmentCount;
            Assert.True(segments >= 6, $"{segments} segments");
            string oldest = dir.Files("*.wal").Min(StringComparer.Ordinal)!;

            // Half the groups compact everything: the others still need every segment.
            for (ulong g = 1; g <= Groups / 2; g++)
            {
                Check(log.OpenGroup(g).Compact(last[g]));
            }
            Assert.Equal(segments, log.Statistics.SegmentCount);
            Assert.True(File.Exists(oldest));

            // The others compact half their log: only the segments before that point go.
            for (ulong g = Groups / 2 + 1; g <= Groups; g++)
            {
                Check(log.OpenGroup(g).Compact(last[g] / 2));
            }
            int afterHalf = log.Statistics.SegmentCount;
            Assert.True(afterHalf < segments && afterHalf > 1, $"{afterHalf} of {segments} segments left");
            Assert.False(File.Exists(oldest));

            // One group holding back keeps the segments holding its live entries.
            for (ulong g = Groups / 2 + 1; g < Groups; g++)
            {
                Check(log.OpenGroup(g).Compact(last[g]));
            }
            Assert.Equal(afterHalf, log.Statistics.SegmentCount);

            // ... until it compacts too (by a snapshot, as a node does).
            Check(log.OpenGroup(Groups).CreateSnapshot(last[Groups], new ConfState { Voters = [1] }, new byte[] { 9 }, out _));
            Check(log.OpenGroup(Groups).Compact(last[Groups]));
            Assert.Equal(1, log.Statistics.SegmentCount);
        }

        using SharedWriteAheadLog reopened = SharedWriteAheadLog.Open(dir.Path, options);
        Assert.Equal(Groups, reopened.RecoveredGroups.Count);
        for (ulong g = 1; g <= Groups; g++)
        {
            WalGroup group = reopened.OpenGroup(g);
            Assert.Equal(last[g] + 1, group.FirstIndex());
            Assert.Equal(last[g], group.LastIndex());
            Assert.Equal(new HardState(1, 1, last[g] - 2), group.HardState);
            Assert.Equal(StorageStatus.Ok, group.Term(last[g], out ulong term));
            Assert.Equal(1UL, term);
        }
        Assert.Equal(StorageStatus.Ok, reopened.OpenGroup(Groups).Snapshot(out Snapshot snap));
        Assert.Equal(last[Groups], snap.Metadata.Index);
        Assert.Equal([1UL], snap.Metadata.ConfState.Voters);
        Assert.Equal(SnapshotFile.FileName(Groups, last[Groups], 1), Path.GetFileName(Assert.Single(dir.Files("*.snap"))));
    }

    /// <summary>
    /// Groups 1..3 interleaved in one segment, the last write group 2's batch of five entries and
    /// a hard state, copied while the log is open (a crash right after that write, before a sync).
    /// </summary>
    private static TempWalDirectory CrashInsideOneGroupsBatch(TempWalDirectory written, out long batchStart, out long batchEnd, out Entry[] lastBatch)
    {
        using SharedWriteAheadLog log = SharedWriteAheadLog.Open(written.Path, Options);
        for (ulong round = 0; round < 4; round++)
        {
            for (ulong g = 1; g <= 3; g++)
            {
                Check(log.OpenGroup(g).Save(new HardState(1, 1, round * 3), Payloads(round * 3 + 1, 3, 1, 20 + (int)g, (byte)g), null, true));
            }
            log.SyncWrites();
        }
        lastBatch = Payloads(13, 5, 1, 40, 2);
        Check(log.OpenGroup(2).Save(new HardState(1, 1, 12), lastBatch, null, true));
        Assert.True(log.OpenGroup(2).TryLocate(13, out _, out batchStart, out _));
        Assert.True(log.OpenGroup(2).TryLocate(17, out _, out long lastOffset, out long lastSize));
        batchEnd = lastOffset + lastSize + WalFormat.RecordHeaderSize + WalFormat.GroupIdSize + WalFormat.HardStateRecordBodySize;
        return written.Clone();
    }

    [Fact]
    public void A_tear_anywhere_inside_one_groups_batch_cuts_that_batch_and_leaves_every_other_group_whole()
    {
        using var written = new TempWalDirectory(memoryBacked: true);
        using TempWalDirectory image = CrashInsideOneGroupsBatch(written, out long batchStart, out long batchEnd, out Entry[] lastBatch);
        string segmentName = Path.GetFileName(Assert.Single(image.Files("*.wal")));
        Assert.Equal(batchEnd, RecordsEnd(Path.Combine(image.Path, segmentName)));
        List<long> starts = RecordStarts(Path.Combine(image.Path, segmentName));

        for (long cut = batchStart; cut < batchEnd; cut += 3)
        {
            using TempWalDirectory dir = image.Clone();
            string segment = Path.Combine(dir.Path, segmentName);
            ZeroFrom(segment, cut);
            long changed = FirstChangedByZeroing(Path.Combine(image.Path, segmentName), cut);
            long record = changed >= batchEnd ? batchEnd : RecordHolding(starts, changed);

            using SharedWriteAheadLog log = SharedWriteAheadLog.Open(dir.Path, Options);

            Assert.Equal([1UL, 2UL, 3UL], log.RecoveredGroups);
            foreach (ulong g in new ulong[] { 1, 3 })
            {
                Assert.Equal(Payloads(1, 12, 1, 20 + (int)g, (byte)g), Stored(log.OpenGroup(g)));
                Assert.Equal(new HardState(1, 1, 9), log.OpenGroup(g).HardState);
            }
            WalGroup torn = log.OpenGroup(2);
            Entry[] kept = [.. Payloads(1, 12, 1, 22, 2), .. lastBatch.Where((e, k) => starts.IndexOf(record) > starts.IndexOf(batchStart) + k || record == batchEnd)];
            Assert.Equal(kept, Stored(torn));
            Assert.Equal(new HardState(1, 1, record == batchEnd ? 12UL : 9UL), torn.HardState);
            if (changed != record && record != batchEnd)
            {
                Assert.Equal(segment, log.Recovery.TornTail?.SegmentPath);
                Assert.Equal(record, log.Recovery.TornTail?.Offset);
            }
        }
    }

    [Fact]
    public void A_bit_flipped_in_another_groups_record_before_the_tail_fails_the_open_naming_the_segment_and_offset()
    {
        using var written = new TempWalDirectory(memoryBacked: true);
        using TempWalDirectory image = CrashInsideOneGroupsBatch(written, out _, out _, out _);
        string segmentName = Path.GetFileName(Assert.Single(image.Files("*.wal")));
        long offset, size;
        using (TempWalDirectory probe = image.Clone())
        using (SharedWriteAheadLog log = SharedWriteAheadLog.Open(probe.Path, Options))
        {
            // Group 3's entry 5: synced, with records of groups 1 and 2 after it.
            Assert.True(log.OpenGroup(3).TryLocate(5, out _, out offset, out size));
        }
        byte[] original = File.ReadAllBytes(Path.Combine(image.Path, segmentName));

        for (long bit = 0; bit < size * 8; bit += 5)
        {
            using TempWalDirectory dir = image.Clone();
            string segment = Path.Combine(dir.Path, segmentName);
            byte[] damaged = (byte[])original.Clone();
            damaged[offset + bit / 8] ^= (byte)(1 << (int)(bit % 8));
            File.WriteAllBytes(segment, damaged);

            WalCorruptionException e = Assert.Throws<WalCorruptionException>(() => SharedWriteAheadLog.Open(dir.Path, Options));

            Assert.Equal(segment, e.FilePath);
            Assert.Equal(offset, e.Offset);
            Assert.Contains("offset " + offset.ToString(CultureInfo.InvariantCulture), e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_shared_log_and_a_single_group_log_refuse_to_open_as_each_other()
    {
        using var single = new TempWalDirectory();
        using (WriteAheadLog wal = single.Open())
        {
            Check(wal.Save(new HardState(1, 1, 0), Payloads(1, 2, 1, 8), null, true));
        }
        WalException e1 = Assert.Throws<WalException>(() => SharedWriteAheadLog.Open(single.Path, Options));
        Assert.Contains("single-group log", e1.Message, StringComparison.Ordinal);

        using var shared = new TempWalDirectory();
        using (SharedWriteAheadLog log = SharedWriteAheadLog.Open(shared.Path, Options))
        {
            Check(log.OpenGroup(42).Save(new HardState(1, 1, 0), Payloads(1, 2, 1, 8), null, true));
        }
        WalException e2 = Assert.Throws<WalException>(() => WriteAheadLog.Open(shared.Path, Options));
        Assert.Contains("shared log holding group 42", e2.Message, StringComparison.Ordinal);

        // Both still open as what they are.
        using WriteAheadLog reopenedSingle = single.Open();
        Assert.Equal(2UL, reopenedSingle.LastIndex());
        using SharedWriteAheadLog reopenedShared = SharedWriteAheadLog.Open(shared.Path, Options);
        Assert.Equal([42UL], reopenedShared.RecoveredGroups);
    }

    private static void Check(StorageStatus status) => Assert.Equal(StorageStatus.Ok, status);
}
