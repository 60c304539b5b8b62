using System.Globalization;
using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage.Wal;
using static FastRaft.Tests.Wal.WalAssert;

namespace FastRaft.Tests.Wal;

/// <summary>
/// Recovery: torn tails (after a crash) are cut and reported, damage before the tail is refused
/// with the file and offset. Losses of synced records that only the sync marks and segment
/// headers reveal are in <see cref="WalSyncMarkTests"/> and <see cref="WalLostRecordTests"/>.
/// </summary>
public class WalRecoveryTests
{
    private static readonly WalOptions Options = new() { SegmentSize = 64 * 1024, PrepareSegmentsInBackground = false };
    private static readonly HardState Hs = new(2, 1, 5);

    /// <summary>
    /// A single-voter log bootstrapped at index 1, entries 2..10 with a hard state, then entry 11
    /// alone: the last record of the log. Closed cleanly, so every record is known to be synced.
    /// </summary>
    private static (Entry[] Before, Entry Last) WriteLog(string directory)
    {
        using WriteAheadLog wal = WriteAheadLog.Open(directory, Options);
        return WriteRecords(wal);
    }

    /// <summary>
    /// The same log as a crash right after the last Save leaves it (copied while the log is
    /// open): its sync mark lags one sync, covering entries 2..10 and the hard state but not
    /// entry 11, whose record is at (<paramref name="offset"/>, <paramref name="size"/>).
    /// </summary>
    private static TempWalDirectory CrashImage(TempWalDirectory dir, out Entry[] before, out Entry last, out string path, out long offset, out long size)
    {
        using WriteAheadLog wal = WriteAheadLog.Open(dir.Path, Options);
        (before, last) = WriteRecords(wal);
        Assert.True(wal.TryLocate(11, out path, out offset, out size));
        TempWalDirectory image = dir.Clone();
        path = Path.Combine(image.Path, Path.GetFileName(path));
        return image;
    }

    private static (Entry[] Before, Entry Last) WriteRecords(WriteAheadLog wal)
    {
        Assert.Equal(StorageStatus.Ok, wal.ApplySnapshot(new Snapshot(AppliedState.Encode(0, 0, 1), new SnapshotMetadata(new ConfState { Voters = [1] }, 1, 1))));
        Entry[] before = Payloads(2, 9, 2, 40);
        Entry last = Payload(2, 11, 40, 9);
        Assert.Equal(StorageStatus.Ok, wal.Save(Hs, before, null, true));
        Assert.Equal(StorageStatus.Ok, wal.Save(default, [last], null, true));
        return (before, last);
    }

    private static (string Path, long Offset, long Size) Locate(string directory, ulong index)
    {
        using WriteAheadLog wal = WriteAheadLog.Open(directory, Options);
        Assert.True(wal.TryLocate(index, out string path, out long offset, out long size));
        return (path, offset, size);
    }

    [Fact]
    public void A_last_record_torn_by_a_crash_at_every_byte_recovers_exactly_the_records_before_it_and_the_node_restarts()
    {
        using var written = new TempWalDirectory(memoryBacked: true);
        using TempWalDirectory pristine = CrashImage(written, out Entry[] before, out Entry last, out string lastPath, out long offset, out long size);
        string segmentName = Path.GetFileName(lastPath);

        for (long cut = 0; cut < size; cut++)
        {
            // The record's tail never reached the disk: the preallocated zeros remain. (A file
            // ending inside the record is not something a crash leaves: see WalSyncMarkTests.)
            using TempWalDirectory dir = pristine.Clone();
            string segment = Path.Combine(dir.Path, segmentName);
            WalFileSurgery.Zero(segment, offset + cut, offset + size);

            using (var node = new WalNodeDriver(1, dir.Path, Options))
            {
                WalRecoveryReport report = node.Wal.Recovery;
                Assert.Equal(10UL, node.Wal.LastIndex());
                Assert.Equal(before, Stored(node.Wal));
                Assert.Equal(Hs, node.Wal.HardState);
                Assert.Equal(offset, report.SyncedThrough);
                if (cut == 0)
                {
                    Assert.Null(report.TornTail);
                }
                else
                {
                    Assert.NotNull(report.TornTail);
                    Assert.Equal(segment, report.TornTail.SegmentPath);
                    Assert.Equal(offset, report.TornTail.Offset);
                    Assert.Contains("torn", report.ToString(), StringComparison.Ordinal);
                }

                // The node restarts on what is left and keeps going.
                node.TickUntilLeader();
                node.Propose(last.Data.ToArray());
                Assert.Equal(12UL, node.Wal.LastIndex());
                Assert.Equal(12UL, node.AppliedIndex);
            }

            // What the node wrote after the repair reads back cleanly.
            using WriteAheadLog reopened = WriteAheadLog.Open(dir.Path, Options);
            Assert.Null(reopened.Recovery.TornTail);
            Assert.Equal(12UL, reopened.LastIndex());
            Assert.Equal(last.Data.ToArray(), Stored(reopened)[^1].Data.ToArray());
        }
    }

    [Fact]
    public void Any_bit_flipped_in_a_record_before_the_tail_fails_the_open_naming_the_file_and_offset()
    {
        using var dir = new TempWalDirectory();
        WriteLog(dir.Path);
        (string path, long offset, long size) = Locate(dir.Path, 6);
        byte[] original = File.ReadAllBytes(path);

        for (long bit = 0; bit < size * 8; bit++)
        {
            byte[] damaged = (byte[])original.Clone();
            damaged[offset + bit / 8] ^= (byte)(1 << (int)(bit % 8));
            File.WriteAllBytes(path, damaged);

            WalCorruptionException e = Assert.Throws<WalCorruptionException>(() => WriteAheadLog.Open(dir.Path, Options));

            Assert.Equal(path, e.FilePath);
            Assert.Equal(offset, e.Offset);
            Assert.Contains(path, e.Message, StringComparison.Ordinal);
            Assert.Contains("offset " + offset.ToString(CultureInfo.InvariantCulture), e.Message, StringComparison.Ordinal);
        }

        // Nothing was changed by the failed opens.
        File.WriteAllBytes(path, original);
        using WriteAheadLog wal = WriteAheadLog.Open(dir.Path, Options);
        Assert.Null(wal.Recovery.TornTail);
        Assert.Equal(11UL, wal.LastIndex());
    }

    [Theory]
    [InlineData(0L, 0L)]
    [InlineData(13L, 0L)]
    [InlineData(30L, 0L)]
    [InlineData(WalFormat.FirstRecordOffset + 8L, WalFormat.FirstRecordOffset)]
    public void Damage_in_the_segment_header_or_checkpoint_is_corruption(long at, long wantOffset)
    {
        using var dir = new TempWalDirectory();
        WriteLog(dir.Path);
        string path = dir.Files("*.wal")[0];
        Flip(path, at);

        WalCorruptionException e = Assert.Throws<WalCorruptionException>(() => WriteAheadLog.Open(dir.Path, Options));

        Assert.Equal(path, e.FilePath);
        Assert.Equal(wantOffset, e.Offset);
    }

    [Fact]
    public void Damage_at_the_end_of_an_older_segment_is_corruption_not_a_torn_tail()
    {
        using var dir = new TempWalDirectory(memoryBacked: true);
        var small = new WalOptions { SegmentSize = 4096, PrepareSegmentsInBackground = false };
        ulong lastInFirst;
        using (WriteAheadLog wal = WriteAheadLog.Open(dir.Path, small))
        {
            for (ulong i = 1; i <= 200; i++)
            {
                Assert.Equal(StorageStatus.Ok, wal.Save(new HardState(1, 1, i - 1), [Payload(1, i, 30, 1)], null, true));
            }
            Assert.True(wal.Statistics.SegmentCount > 2);
            lastInFirst = 1;
            while (wal.TryLocate(lastInFirst + 1, out string p, out _, out _) && p == dir.Files("*.wal").Min())
            {
                lastInFirst++;
            }
        }
        (string path, long offset, long size) = Locate(dir.Path, lastInFirst);
        Flip(path, offset + size - 1);

        WalCorruptionException e = Assert.Throws<WalCorruptionException>(() => WriteAheadLog.Open(dir.Path, small));
        Assert.Equal(path, e.FilePath);
    }

    [Fact]
    public void After_a_crash_a_damaged_last_record_is_indistinguishable_from_a_torn_one_and_is_cut()
    {
        using var written = new TempWalDirectory();
        using TempWalDirectory dir = CrashImage(written, out Entry[] before, out _, out string path, out long offset, out long size);
        WalFileSurgery.Flip(path, offset + size - 1);

        using WriteAheadLog wal = WriteAheadLog.Open(dir.Path, Options);

        Assert.Equal(offset, wal.Recovery.TornTail?.Offset);
        Assert.Equal(size, wal.Recovery.TornTail?.DiscardedBytes);
        Assert.Equal(before, Stored(wal));
    }

    [Fact]
    public void After_a_clean_close_a_damaged_last_record_is_corruption_because_it_was_synced()
    {
        using var dir = new TempWalDirectory();
        WriteLog(dir.Path);
        (string path, long offset, long size) = Locate(dir.Path, 11);
        Flip(path, offset + size - 1);

        WalCorruptionException e = Assert.Throws<WalCorruptionException>(() => WriteAheadLog.Open(dir.Path, Options));

        Assert.Equal(path, e.FilePath);
        Assert.Equal(offset, e.Offset);
        Assert.Contains("record checksum mismatch", e.Reason, StringComparison.Ordinal);
        Assert.Contains($"a completed sync had reached offset {offset + size}", e.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Data_after_the_end_of_the_records_is_corruption()
    {
        using var dir = new TempWalDirectory();
        WriteLog(dir.Path);
        (string path, long offset, long size) = Locate(dir.Path, 11);
        Flip(path, offset + size + 100);

        WalCorruptionException e = Assert.Throws<WalCorruptionException>(() => WriteAheadLog.Open(dir.Path, Options));
        Assert.Equal(offset + size, e.Offset);
    }

    [Fact]
    public void A_missing_segment_is_corruption()
    {
        using var dir = new TempWalDirectory(memoryBacked: true);
        var small = new WalOptions { SegmentSize = 4096, PrepareSegmentsInBackground = false };
        using (WriteAheadLog wal = WriteAheadLog.Open(dir.Path, small))
        {
            Assert.Equal(StorageStatus.Ok, wal.Save(new HardState(1, 1, 0), Payloads(1, 300, 1, 30), null, true));
            for (ulong i = 301; i < 400; i++)
            {
                Assert.Equal(StorageStatus.Ok, wal.Save(default, [Payload(1, i, 30, 0)], null, true));
            }
            Assert.True(wal.Statistics.SegmentCount >= 3);
        }
        string[] segments = [.. dir.Files("*.wal").Order(StringComparer.Ordinal)];
        File.Delete(segments[1]);

        WalCorruptionException e = Assert.Throws<WalCorruptionException>(() => WriteAheadLog.Open(dir.Path, small));
        // The error names the file that is gone, not the next one.
        Assert.Equal(segments[1], e.FilePath);
        Assert.Contains(Path.GetFileName(segments[1]) + " is missing", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_damaged_or_missing_snapshot_file_is_corruption()
    {
        using var dir = new TempWalDirectory();
        WriteLog(dir.Path);
        string snap = dir.Files("*.snap")[0];
        Flip(snap, 60);

        WalCorruptionException damaged = Assert.Throws<WalCorruptionException>(() => WriteAheadLog.Open(dir.Path, Options));
        Assert.Equal(snap, damaged.FilePath);

        File.Delete(snap);
        WalCorruptionException missing = Assert.Throws<WalCorruptionException>(() => WriteAheadLog.Open(dir.Path, Options));
        Assert.Equal(snap, missing.FilePath);
    }

    [Fact]
    public void Leftover_temporary_and_unreferenced_snapshot_files_are_removed()
    {
        using var dir = new TempWalDirectory();
        WriteLog(dir.Path);
        File.WriteAllBytes(Path.Combine(dir.Path, "0000000000000009.wal.tmp"), new byte[100]);
        File.WriteAllBytes(Path.Combine(dir.Path, "0000000000000005-0000000000000002.snap.tmp"), new byte[10]);
        // Written just before a crash, before the record that would have referred to it.
        File.WriteAllBytes(Path.Combine(dir.Path, "0000000000000009-0000000000000002.snap"), new byte[10]);
        File.WriteAllText(Path.Combine(dir.Path, "notes.txt"), "left alone");

        using WriteAheadLog wal = WriteAheadLog.Open(dir.Path, Options);

        Assert.Equal(2, wal.Recovery.TemporaryFilesRemoved);
        Assert.Equal(1, wal.Recovery.SnapshotFilesRemoved);
        Assert.Empty(dir.Files("*.tmp"));
        Assert.Single(dir.Files("*.snap"));
        Assert.Single(dir.Files("*.txt"));
        Assert.Equal(11UL, wal.LastIndex());
    }

    [Fact]
    public void A_second_instance_is_refused_while_the_first_holds_the_directory()
    {
        using var dir = new TempWalDirectory();
        using (WriteAheadLog first = WriteAheadLog.Open(dir.Path, Options))
        {
            WalLockedException e = Assert.Throws<WalLockedException>(() => WriteAheadLog.Open(dir.Path, Options));
            Assert.Equal(dir.Path, e.Directory);
            Assert.Contains("locked", e.Message, StringComparison.Ordinal);
        }
        using WriteAheadLog second = WriteAheadLog.Open(dir.Path, Options);
        Assert.True(second.Recovery.SegmentCount >= 1);
    }

    [Fact]
    public void The_recovery_report_is_logged()
    {
        using var written = new TempWalDirectory();
        using TempWalDirectory dir = CrashImage(written, out _, out _, out string path, out long offset, out _);
        Flip(path, offset + 20);
        var sink = new Log.CapturingLogger();

        using WriteAheadLog wal = WriteAheadLog.Open(dir.Path, new WalOptions { SegmentSize = 64 * 1024, Logger = sink });

        string line = Assert.Single(sink.Lines, l => l.StartsWith("WARN", StringComparison.Ordinal));
        Assert.Equal(FastRaft.Core.Logging.RaftLogEvents.WalRecovered, sink.Events[sink.Lines.IndexOf(line)]);
        Assert.Contains("entries [2, 10]", line, StringComparison.Ordinal);
        Assert.Contains($"torn record at offset {offset} of {path}", line, StringComparison.Ordinal);
        Assert.Contains($"after the synced records (which end at or after offset {offset})", line, StringComparison.Ordinal);
    }

    private static void Flip(string path, long at)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        f.Position = at;
        int b = f.ReadByte();
        f.Position = at;
        f.WriteByte((byte)(b ^ 0x10));
    }
}
