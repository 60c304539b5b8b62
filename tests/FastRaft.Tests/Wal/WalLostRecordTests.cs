using System.Buffers.Binary;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage.Wal;
using static FastRaft.Tests.Wal.WalAssert;
using static FastRaft.Tests.Wal.WalFileSurgery;

namespace FastRaft.Tests.Wal;

/// <summary>
/// Synced records lost outside the last segment's tail: cut or zeroed older segments, deleted
/// segments, entries missing before a persisted hard state, a snapshot file made stale by a lost
/// record. Each is a <see cref="WalCorruptionException"/> naming the file that lost the records.
/// </summary>
public class WalLostRecordTests
{
    private static readonly WalOptions Small = new() { SegmentSize = 4096, PrepareSegmentsInBackground = false };

    /// <summary>Entries 1..150, each Saved alone with a hard state committing the one before: several 4 KiB segments.</summary>
    private static string[] WriteSegments(string directory)
    {
        using (WriteAheadLog wal = WriteAheadLog.Open(directory, Small))
        {
            for (ulong i = 1; i <= 150; i++)
            {
                Assert.Equal(StorageStatus.Ok, wal.Save(new HardState(1, 1, i - 1), [Payload(1, i, 30, 1)], null, true));
            }
            Assert.True(wal.Statistics.SegmentCount >= 4, $"{wal.Statistics.SegmentCount} segments");
        }
        return [.. Directory.GetFiles(directory, "*.wal").Order(StringComparer.Ordinal)];
    }

    [Fact]
    public void Corruption_is_logged_as_an_error_before_the_exception()
    {
        using var pristine = new TempWalDirectory(memoryBacked: true);
        string[] segments = WriteSegments(pristine.Path);
        using TempWalDirectory dir = pristine.Clone();
        File.Delete(Path.Combine(dir.Path, Path.GetFileName(segments[1])));
        var log = new Log.CapturingLogger(Microsoft.Extensions.Logging.LogLevel.Information);

        WalCorruptionException e = Assert.Throws<WalCorruptionException>(
            () => WriteAheadLog.Open(dir.Path, new WalOptions { SegmentSize = 4096, PrepareSegmentsInBackground = false, Logger = log }));

        string line = Assert.Single(log.Lines);
        Assert.StartsWith("ERROR write-ahead log ", line, StringComparison.Ordinal);
        Assert.Contains(e.Message, line, StringComparison.Ordinal);
        Assert.Equal([FastRaft.Core.Logging.RaftLogEvents.WalCorruption], log.Events);
    }

    [Fact]
    public void Cutting_or_zeroing_the_end_of_an_older_segment_is_corruption_naming_that_segment()
    {
        using var pristine = new TempWalDirectory(memoryBacked: true);
        string[] segments = WriteSegments(pristine.Path);
        string name = Path.GetFileName(segments[1]);
        string next = Path.GetFileName(segments[2]);
        List<long> starts = RecordStarts(segments[1]);
        long end = RecordsEnd(segments[1]);

        // Zeroed from a record boundary: every record left is valid, but the next segment's
        // header says where this one ended.
        using (TempWalDirectory dir = pristine.Clone())
        {
            string damaged = Path.Combine(dir.Path, name);
            ZeroFrom(damaged, starts[^2]);
            WalCorruptionException e = Assert.Throws<WalCorruptionException>(() => WriteAheadLog.Open(dir.Path, Small));
            Assert.Equal(damaged, e.FilePath);
            Assert.Equal(starts[^2], e.Offset);
            Assert.Contains($"{next}, started once this segment was complete and synced, records that they reached offset {end}", e.Reason, StringComparison.Ordinal);
        }

        // Zeroed inside a record: not a torn tail in a segment that is not the last.
        using (TempWalDirectory dir = pristine.Clone())
        {
            string damaged = Path.Combine(dir.Path, name);
            ZeroFrom(damaged, starts[^1] + 5);
            WalCorruptionException e = Assert.Throws<WalCorruptionException>(() => WriteAheadLog.Open(dir.Path, Small));
            Assert.Equal(damaged, e.FilePath);
            Assert.Equal(starts[^1], e.Offset);
        }

        // Truncated, at a record boundary or inside one.
        foreach (long cut in new[] { starts[^1], starts[^1] + 9, end })
        {
            using TempWalDirectory dir = pristine.Clone();
            string damaged = Path.Combine(dir.Path, name);
            CutAt(damaged, cut);
            WalCorruptionException e = Assert.Throws<WalCorruptionException>(() => WriteAheadLog.Open(dir.Path, Small));
            Assert.Equal(damaged, e.FilePath);
            Assert.Equal(cut, e.Offset);
            Assert.Contains("preallocated", e.Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Deleting_the_oldest_segment_while_its_entries_are_live_is_corruption_naming_it_but_the_logs_own_deletions_reopen()
    {
        using var dir = new TempWalDirectory(memoryBacked: true);
        string[] segments = WriteSegments(dir.Path);

        using (TempWalDirectory copy = dir.Clone())
        {
            string deleted = Path.Combine(copy.Path, Path.GetFileName(segments[0]));
            File.Delete(deleted);
            WalCorruptionException e = Assert.Throws<WalCorruptionException>(() => WriteAheadLog.Open(copy.Path, Small));
            Assert.Equal(deleted, e.FilePath);
            Assert.Contains(Path.GetFileName(segments[0]) + " is missing", e.Reason, StringComparison.Ordinal);
        }

        // The log deletes segments itself once a compaction made them dead: that reopens.
        TempWalDirectory crashed;
        using (WriteAheadLog wal = WriteAheadLog.Open(dir.Path, Small))
        {
            Assert.Equal(StorageStatus.Ok, wal.Compact(120));
            Assert.True(wal.Statistics.SegmentsDeleted >= 2);
            crashed = dir.Clone();
        }
        Assert.False(File.Exists(segments[0]));

        // The compaction's record was covered by the sync mark before the deletions: losing it
        // (here after a crash, with no clean close to make the mark exact) blames its segment.
        using (crashed)
        {
            string last = Path.Combine(crashed.Path, Path.GetFileName(segments[^1]));
            long compaction = Assert.Single(RecordsOfType(last, WalRecordType.Compact));
            ZeroFrom(last, compaction);
            WalCorruptionException e = Assert.Throws<WalCorruptionException>(() => WriteAheadLog.Open(crashed.Path, Small));
            Assert.Equal(last, e.FilePath);
            Assert.Equal(compaction, e.Offset);
        }

        using WriteAheadLog reopened = WriteAheadLog.Open(dir.Path, Small);
        Assert.Equal(121UL, reopened.FirstIndex());
        Assert.Equal(Payloads(121, 30, 1, 30, 1), Stored(reopened));
    }

    [Fact]
    public void Entries_missing_before_a_persisted_hard_state_are_corruption_naming_the_file_even_when_every_record_left_is_valid()
    {
        using var dir = new TempWalDirectory();
        var options = new WalOptions { SegmentSize = 64 * 1024, PrepareSegmentsInBackground = false };
        long from, to;
        using (WriteAheadLog wal = WriteAheadLog.Open(dir.Path, options))
        {
            Assert.Equal(StorageStatus.Ok, wal.ApplySnapshot(new Snapshot(new byte[] { 1 }, new SnapshotMetadata(new ConfState { Voters = [1] }, 1, 1))));
            Assert.Equal(StorageStatus.Ok, wal.Save(new HardState(2, 1, 5), Payloads(2, 9, 2, 40), null, true));
            Assert.Equal(StorageStatus.Ok, wal.Save(new HardState(2, 1, 14), Payloads(11, 4, 2, 40), null, true));
            Assert.True(wal.TryLocate(11, out _, out from, out _));
            Assert.True(wal.TryLocate(14, out _, out long last, out long size));
            to = last + size;
        }
        string segment = Assert.Single(dir.Files("*.wal"));
        // Entries 11..14 taken out of the middle: the hard state that committed them follows entry 10.
        Splice(segment, from, to);

        WalCorruptionException e = Assert.Throws<WalCorruptionException>(() => WriteAheadLog.Open(dir.Path, options));

        Assert.Equal(segment, e.FilePath);
        Assert.Equal(from, e.Offset);
        Assert.Contains("commit 14", e.Reason, StringComparison.Ordinal);
        Assert.Contains("log ended at entry 14", e.Reason, StringComparison.Ordinal);
        Assert.Contains("end at entry 10", e.Reason, StringComparison.Ordinal);
    }

    /// <summary>
    /// A log bootstrapped with snapshot S1 (index 1) whose later snapshot S2 (index 100) is
    /// recorded at the end of the last segment: S1's file was deleted once S2's record was synced.
    /// As a crash right after CreateSnapshot leaves it (copied while open): only the snapshot
    /// made the sync mark cover S2's record.
    /// </summary>
    private static TempWalDirectory CrashAfterSecondSnapshot(TempWalDirectory written, out string[] segments, out string oldSnapshot, out string newSnapshot)
    {
        TempWalDirectory image;
        using (WriteAheadLog wal = WriteAheadLog.Open(written.Path, Small))
        {
            Assert.Equal(StorageStatus.Ok, wal.ApplySnapshot(new Snapshot(new byte[] { 1 }, new SnapshotMetadata(new ConfState { Voters = [1] }, 1, 1))));
            for (ulong i = 2; i <= 120; i++)
            {
                Assert.Equal(StorageStatus.Ok, wal.Save(new HardState(1, 1, i - 1), [Payload(1, i, 30, 1)], null, true));
            }
            Assert.Equal(StorageStatus.Ok, wal.CreateSnapshot(100, null, new byte[] { 2 }, out _));
            image = written.Clone();
        }
        segments = [.. Directory.GetFiles(image.Path, "*.wal").Order(StringComparer.Ordinal)];
        Assert.True(segments.Length >= 3);
        Assert.Single(RecordsOfType(segments[^1], WalRecordType.SnapshotCreated));
        oldSnapshot = SnapshotFile.FileName(1, 1);
        newSnapshot = Path.GetFileName(Assert.Single(Directory.GetFiles(image.Path, "*.snap")));
        return image;
    }

    [Fact]
    public void Losing_the_record_of_a_newer_snapshot_blames_the_segment_not_the_older_snapshot_file_it_made_stale()
    {
        using var written = new TempWalDirectory(memoryBacked: true);
        using TempWalDirectory pristine = CrashAfterSecondSnapshot(written, out string[] segments, out string oldSnapshot, out string newSnapshot);
        Assert.Equal(SnapshotFile.FileName(100, 1), newSnapshot);
        string last = Path.GetFileName(segments[^1]);
        long snapshotRecord = Assert.Single(RecordsOfType(segments[^1], WalRecordType.SnapshotCreated));

        // The last segment zeroed or truncated at the snapshot's record.
        foreach (bool truncate in new[] { false, true })
        {
            using TempWalDirectory dir = pristine.Clone();
            string damaged = Path.Combine(dir.Path, last);
            if (truncate)
            {
                CutAt(damaged, snapshotRecord);
            }
            else
            {
                ZeroFrom(damaged, snapshotRecord);
            }
            WalCorruptionException e = Assert.Throws<WalCorruptionException>(() => WriteAheadLog.Open(dir.Path, Small));
            Assert.Equal(damaged, e.FilePath);
            Assert.Equal(snapshotRecord, e.Offset);
        }

        // The last segment deleted: the segment left at the end is where records are missing.
        using (TempWalDirectory dir = pristine.Clone())
        {
            File.Delete(Path.Combine(dir.Path, last));
            string nowLast = Path.Combine(dir.Path, Path.GetFileName(segments[^2]));
            WalCorruptionException e = Assert.Throws<WalCorruptionException>(() => WriteAheadLog.Open(dir.Path, Small));
            Assert.Equal(nowLast, e.FilePath);
            Assert.Equal(RecordsEnd(nowLast), e.Offset);
            Assert.Contains($"refer to snapshot {oldSnapshot}, which is gone, while the newer snapshot file {newSnapshot} is present", e.Reason, StringComparison.Ordinal);
        }

        // Whereas a snapshot file deleted on its own is blamed on itself.
        using (TempWalDirectory dir = pristine.Clone())
        {
            string snapshot = Path.Combine(dir.Path, newSnapshot);
            File.Delete(snapshot);
            WalCorruptionException e = Assert.Throws<WalCorruptionException>(() => WriteAheadLog.Open(dir.Path, Small));
            Assert.Equal(snapshot, e.FilePath);
        }
    }

    [Fact]
    public void A_snapshot_file_without_any_segment_is_blamed_on_the_missing_segments()
    {
        using var written = new TempWalDirectory(memoryBacked: true);
        using TempWalDirectory dir = CrashAfterSecondSnapshot(written, out string[] segments, out _, out string snapshot);
        foreach (string s in segments)
        {
            File.Delete(s);
        }

        WalCorruptionException e = Assert.Throws<WalCorruptionException>(() => WriteAheadLog.Open(dir.Path, Small));

        Assert.Equal(dir.Path, e.FilePath);
        Assert.Contains($"no log segment is left but snapshot file {snapshot} is present", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_segment_of_the_previous_format_version_is_refused_saying_so()
    {
        using var dir = new TempWalDirectory();
        using (WriteAheadLog wal = WriteAheadLog.Open(dir.Path, Small))
        {
            Assert.Equal(StorageStatus.Ok, wal.Save(new HardState(1, 1, 0), Payloads(1, 3, 1, 10), null, true));
        }
        string segment = Assert.Single(dir.Files("*.wal"));
        byte[] bytes = File.ReadAllBytes(segment);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), 1);
        File.WriteAllBytes(segment, bytes);

        WalCorruptionException e = Assert.Throws<WalCorruptionException>(() => WriteAheadLog.Open(dir.Path, Small));

        Assert.Equal(segment, e.FilePath);
        Assert.Equal(0, e.Offset);
        Assert.Contains("unsupported segment format version 1 (this build reads versions 2 and 3", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_log_of_format_version_2_opens_and_continues_in_version_3_segments()
    {
        using var dir = new TempWalDirectory();
        using (WriteAheadLog wal = WriteAheadLog.Open(dir.Path, Small))
        {
            Assert.Equal(StorageStatus.Ok, wal.Save(new HardState(1, 1, 0), Payloads(1, 3, 1, 10), null, true));
        }
        // What the previous build wrote: version 2, the checkpoint-count field reserved (zero).
        string segment = Assert.Single(dir.Files("*.wal"));
        byte[] bytes = File.ReadAllBytes(segment);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(8), 2);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(40), 0);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(44), Crc32C.Compute(bytes.AsSpan(0, 44)));
        File.WriteAllBytes(segment, bytes);

        using (WriteAheadLog wal = WriteAheadLog.Open(dir.Path, Small))
        {
            Assert.Equal(Payloads(1, 3, 1, 10), Stored(wal));
            for (ulong i = 4; i <= 150; i++)
            {
                Assert.Equal(StorageStatus.Ok, wal.Save(new HardState(1, 1, i - 1), [Payload(1, i, 30, 1)], null, true));
            }
            Assert.True(wal.Statistics.SegmentCount > 1);
        }
        using WriteAheadLog reopened = WriteAheadLog.Open(dir.Path, Small);
        Assert.Equal(150UL, reopened.LastIndex());
        Assert.Equal(new HardState(1, 1, 149), reopened.HardState);
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(File.ReadAllBytes(segment).AsSpan(8)));
    }

    [Fact]
    public void CreatedNew_and_Exists_tell_a_new_log_from_an_existing_one()
    {
        using var root = new TempWalDirectory();
        string path = Path.Combine(root.Path, "node-1");
        Assert.False(WriteAheadLog.Exists(path));

        using (WriteAheadLog wal = WriteAheadLog.Open(path, Small))
        {
            Assert.True(wal.CreatedNew);
            Assert.True(wal.Recovery.CreatedNew);
            Assert.Equal(StorageStatus.Ok, wal.Save(new HardState(1, 1, 0), Payloads(1, 1, 1, 10), null, true));
        }
        Assert.True(WriteAheadLog.Exists(path));
        using (WriteAheadLog wal = WriteAheadLog.Open(path, Small))
        {
            Assert.False(wal.CreatedNew);
            Assert.Equal(1UL, wal.LastIndex());
        }

        // Leftovers of a creation interrupted before any segment was in place are no log.
        string interrupted = Path.Combine(root.Path, "node-2");
        Directory.CreateDirectory(interrupted);
        File.WriteAllBytes(Path.Combine(interrupted, SegmentFile.TempFileName(1)), new byte[16]);
        Assert.False(WriteAheadLog.Exists(interrupted));
        using (WriteAheadLog wal = WriteAheadLog.Open(interrupted, Small))
        {
            Assert.True(wal.CreatedNew);
        }

        // A damaged log still exists: a node must not start afresh over it.
        string damaged = Path.Combine(root.Path, "node-3");
        Directory.CreateDirectory(damaged);
        File.WriteAllBytes(Path.Combine(damaged, SegmentFile.FileName(7)), new byte[3]);
        Assert.True(WriteAheadLog.Exists(damaged));
        Assert.Throws<WalCorruptionException>(() => WriteAheadLog.Open(damaged, Small));
    }
}
