using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage.Wal;
using static FastRaft.Tests.Wal.WalAssert;
using static FastRaft.Tests.Wal.WalFileSurgery;

namespace FastRaft.Tests.Wal;

/// <summary>
/// The last segment's sync mark: records before it were synced and must be intact (a cut or
/// damage there is corruption naming the segment and offset); only the write after it can be
/// torn by a crash. A segment shorter than it was preallocated was cut, whatever the offset.
/// </summary>
public class WalSyncMarkTests
{
    private static readonly WalOptions Options = new() { SegmentSize = 64 * 1024, PrepareSegmentsInBackground = false };

    /// <summary>
    /// A log in one segment, bootstrapped at 1, with twelve Saves of one to four entries and a
    /// hard state each (the last Save: three entries and the hard state), as a crash right after
    /// the last Save leaves it: the copy is taken while the log is open.
    /// </summary>
    private static TempWalDirectory CrashedLog(TempWalDirectory written, out Entry[] entries, out Dictionary<ulong, long> offsets)
    {
        using WriteAheadLog wal = WriteAheadLog.Open(written.Path, Options);
        Assert.Equal(StorageStatus.Ok, wal.ApplySnapshot(new Snapshot(new byte[] { 7 }, new SnapshotMetadata(new ConfState { Voters = [1] }, 1, 1))));
        var all = new List<Entry>();
        ulong next = 2;
        for (int save = 0; save < 12; save++)
        {
            int count = save == 11 ? 3 : 1 + (save % 4);
            Entry[] batch = Payloads(next, count, 2, 20 + (save * 13 % 50), (byte)save);
            next += (ulong)count;
            Assert.Equal(StorageStatus.Ok, wal.Save(new HardState(2, 1, next - 1), batch, null, true));
            all.AddRange(batch);
        }
        entries = [.. all];
        offsets = [];
        foreach (Entry e in entries)
        {
            Assert.True(wal.TryLocate(e.Index, out _, out long offset, out _));
            offsets[e.Index] = offset;
        }
        return written.Clone();
    }

    private static string OnlySegment(TempWalDirectory dir) => Assert.Single(dir.Files("*.wal"));

    [Fact]
    public void Zeroing_the_last_segment_from_any_offset_behind_its_sync_mark_is_corruption_naming_it_and_where_the_records_end()
    {
        using var written = new TempWalDirectory(memoryBacked: true);
        using TempWalDirectory image = CrashedLog(written, out Entry[] entries, out Dictionary<ulong, long> offsets);
        string segment = OnlySegment(image);
        (SyncMark mark, _) = NewestMark(segment, 1);
        List<long> starts = RecordStarts(segment);
        // The mark lags one sync: it ends where the last Save's first entry begins.
        Assert.Equal(offsets[entries[^3].Index], mark.SyncedThrough);

        var cuts = new List<long>();
        for (long cut = starts[1]; cut < mark.SyncedThrough; cut += 7)
        {
            // (Zeroing bytes that are already zero up to the mark damages nothing behind it.)
            if (FirstChangedByZeroing(segment, cut) < mark.SyncedThrough)
            {
                cuts.Add(cut);
            }
        }
        cuts.Add(LastDataByteBefore(segment, mark.SyncedThrough));
        Assert.True(cuts.Count > 100, $"{cuts.Count} cuts");

        foreach (long cut in cuts)
        {
            using TempWalDirectory dir = image.Clone();
            string damaged = OnlySegment(dir);
            ZeroFrom(damaged, cut);

            WalCorruptionException e = Assert.Throws<WalCorruptionException>(() => WriteAheadLog.Open(dir.Path, Options));

            Assert.Equal(damaged, e.FilePath);
            Assert.Equal(RecordHolding(starts, FirstChangedByZeroing(segment, cut)), e.Offset);
            Assert.Contains($"a completed sync had reached offset {mark.SyncedThrough}", e.Reason, StringComparison.Ordinal);
            Assert.Contains(damaged, e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Truncating_the_last_segment_anywhere_is_corruption_naming_it_even_inside_the_last_write()
    {
        using var written = new TempWalDirectory(memoryBacked: true);
        using TempWalDirectory image = CrashedLog(written, out _, out _);
        string segment = OnlySegment(image);
        long end = RecordsEnd(segment);

        for (long cut = WalFormat.FixedHeaderSize; cut < end + 64; cut += 5)
        {
            using TempWalDirectory dir = image.Clone();
            string damaged = OnlySegment(dir);
            CutAt(damaged, cut);

            WalCorruptionException e = Assert.Throws<WalCorruptionException>(() => WriteAheadLog.Open(dir.Path, Options));

            Assert.Equal(damaged, e.FilePath);
            Assert.Equal(cut, e.Offset);
            Assert.Contains("preallocated to 65536 bytes", e.Reason, StringComparison.Ordinal);
        }

        // Shorter than the fixed header: nothing about the file can be trusted.
        using TempWalDirectory stub = image.Clone();
        CutAt(OnlySegment(stub), 20);
        WalCorruptionException shortHeader = Assert.Throws<WalCorruptionException>(() => WriteAheadLog.Open(stub.Path, Options));
        Assert.Equal(OnlySegment(stub), shortHeader.FilePath);
        Assert.Equal(0, shortHeader.Offset);
    }

    [Fact]
    public void Zeroing_inside_the_last_write_after_the_sync_mark_recovers_the_records_before_it_and_reports_a_torn_record()
    {
        using var written = new TempWalDirectory(memoryBacked: true);
        using TempWalDirectory image = CrashedLog(written, out Entry[] entries, out Dictionary<ulong, long> offsets);
        string segment = OnlySegment(image);
        (SyncMark mark, _) = NewestMark(segment, 1);
        List<long> starts = RecordStarts(segment);
        long end = RecordsEnd(segment);

        for (long cut = mark.SyncedThrough; cut < end; cut++)
        {
            using TempWalDirectory dir = image.Clone();
            string damaged = OnlySegment(dir);
            ZeroFrom(damaged, cut);
            long changed = FirstChangedByZeroing(segment, cut);
            long record = changed >= end ? end : RecordHolding(starts, changed);

            using WriteAheadLog wal = WriteAheadLog.Open(dir.Path, Options);

            Entry[] kept = [.. entries.Where(e => offsets[e.Index] < record)];
            Assert.Equal(kept, Stored(wal));
            Assert.Equal(mark.SyncedThrough, wal.Recovery.SyncedThrough);
            if (changed == record || record == end)
            {
                // Cut on a record boundary: the write simply ended there.
                Assert.Null(wal.Recovery.TornTail);
            }
            else
            {
                Assert.Equal(damaged, wal.Recovery.TornTail?.SegmentPath);
                Assert.Equal(record, wal.Recovery.TornTail?.Offset);
            }
            // The hard state is the last Save's last record: lost with it.
            Assert.Equal(new HardState(2, 1, record == end ? entries[^1].Index : entries[^4].Index), wal.HardState);
        }
    }

    [Fact]
    public void A_zeroed_range_followed_by_valid_records_is_corruption_before_and_after_the_sync_mark()
    {
        using var written = new TempWalDirectory(memoryBacked: true);
        using TempWalDirectory image = CrashedLog(written, out Entry[] entries, out Dictionary<ulong, long> offsets);
        string segment = OnlySegment(image);
        (SyncMark mark, _) = NewestMark(segment, 1);
        List<long> starts = RecordStarts(segment);
        int inLastWrite = starts.IndexOf(offsets[entries[^2].Index]);
        Assert.True(starts[inLastWrite] > mark.SyncedThrough);

        foreach ((int first, int count) in new[] { (3, 1), (5, 4), (inLastWrite, 1) })
        {
            using TempWalDirectory dir = image.Clone();
            string damaged = OnlySegment(dir);
            Zero(damaged, starts[first], starts[first + count]);

            WalCorruptionException e = Assert.Throws<WalCorruptionException>(() => WriteAheadLog.Open(dir.Path, Options));

            Assert.Equal(damaged, e.FilePath);
            Assert.Equal(starts[first], e.Offset);
            Assert.Contains("data after the end-of-records marker", e.Reason, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_torn_sync_mark_slot_falls_back_to_the_other_slot_which_still_guards_what_it_covers()
    {
        using var written = new TempWalDirectory(memoryBacked: true);
        using TempWalDirectory image = CrashedLog(written, out Entry[] entries, out _);
        string segment = OnlySegment(image);
        (SyncMark newest, int newestSlot) = NewestMark(segment, 1);
        SyncMark older = Assert.NotNull(Mark(segment, 1, 1 - newestSlot));
        Assert.Equal(newest.Generation - 1, older.Generation);
        Assert.True(older.SyncedThrough < newest.SyncedThrough);
        long newestAt = newestSlot == 0 ? WalFormat.SyncMarkSlot0 : WalFormat.SyncMarkSlot1;

        // The newest slot's write was torn: the older one is used and the log opens whole.
        for (int at = 0; at < WalFormat.SyncMarkSize; at += 3)
        {
            using TempWalDirectory dir = image.Clone();
            Flip(OnlySegment(dir), newestAt + at);
            using WriteAheadLog wal = WriteAheadLog.Open(dir.Path, Options);
            Assert.Equal(older.SyncedThrough, wal.Recovery.SyncedThrough);
            Assert.Null(wal.Recovery.TornTail);
            Assert.Equal(entries, Stored(wal));
        }

        // ...and the older mark still refuses a cut behind it.
        using (TempWalDirectory dir = image.Clone())
        {
            string damaged = OnlySegment(dir);
            Flip(damaged, newestAt + 9);
            ZeroFrom(damaged, LastDataByteBefore(segment, older.SyncedThrough));
            WalCorruptionException e = Assert.Throws<WalCorruptionException>(() => WriteAheadLog.Open(dir.Path, Options));
            Assert.Equal(damaged, e.FilePath);
            Assert.Contains($"a completed sync had reached offset {older.SyncedThrough}", e.Reason, StringComparison.Ordinal);
        }

        // Both slots damaged: how far the synced records reach is unknown, and that is not guessed.
        using (TempWalDirectory dir = image.Clone())
        {
            string damaged = OnlySegment(dir);
            Flip(damaged, WalFormat.SyncMarkSlot0 + 4);
            Flip(damaged, WalFormat.SyncMarkSlot1 + 12);
            WalCorruptionException e = Assert.Throws<WalCorruptionException>(() => WriteAheadLog.Open(dir.Path, Options));
            Assert.Equal(damaged, e.FilePath);
            Assert.Equal(WalFormat.SyncMarkSlot0, e.Offset);
        }
    }

    [Fact]
    public void A_snapshot_makes_the_mark_cover_its_record_at_once_so_losing_it_after_a_crash_is_corruption()
    {
        using var written = new TempWalDirectory(memoryBacked: true);
        TempWalDirectory image;
        using (WriteAheadLog wal = WriteAheadLog.Open(written.Path, Options))
        {
            Assert.Equal(StorageStatus.Ok, wal.Save(new HardState(1, 1, 3), Payloads(1, 5, 1, 30), null, true));
            // A follower receives a snapshot from the leader (and would acknowledge it).
            var snapshot = new Snapshot(new byte[] { 9 }, new SnapshotMetadata(new ConfState { Voters = [1, 2, 3] }, 50, 2));
            Assert.Equal(StorageStatus.Ok, wal.Save(new HardState(2, 0, 50), [], snapshot, true));
            image = written.Clone();
        }
        using (image)
        {
            string segment = OnlySegment(image);
            long record = Assert.Single(RecordsOfType(segment, WalRecordType.SnapshotApplied));
            ZeroFrom(segment, record);

            WalCorruptionException e = Assert.Throws<WalCorruptionException>(() => WriteAheadLog.Open(image.Path, Options));

            Assert.Equal(segment, e.FilePath);
            Assert.Equal(record, e.Offset);
        }
    }

    [Fact]
    public void Saves_keep_the_mark_one_sync_behind_and_a_clean_close_makes_it_exact_without_extra_syncs_per_Save()
    {
        using var dir = new TempWalDirectory(memoryBacked: true);
        string segment;
        long endAfterFirst;
        using (WriteAheadLog wal = WriteAheadLog.Open(dir.Path, Options))
        {
            segment = OnlySegment(dir);
            Assert.Equal(StorageStatus.Ok, wal.Save(new HardState(1, 1, 0), Payloads(1, 5, 1, 30), null, true));
            endAfterFirst = RecordsEnd(segment);
            long syncs = wal.Statistics.Syncs;
            Assert.Equal(StorageStatus.Ok, wal.Save(new HardState(1, 1, 5), Payloads(6, 5, 1, 30), null, true));

            Assert.Equal(syncs + 1, wal.Statistics.Syncs);
            Assert.Equal(endAfterFirst, NewestMark(segment, 1).Mark.SyncedThrough);
        }
        Assert.Equal(RecordsEnd(segment), NewestMark(segment, 1).Mark.SyncedThrough);
    }
}
