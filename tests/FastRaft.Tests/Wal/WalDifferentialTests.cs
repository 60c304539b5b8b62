using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage;
using FastRaft.Storage.Wal;
using static FastRaft.Tests.Wal.WalAssert;

namespace FastRaft.Tests.Wal;

/// <summary>
/// Random interleavings of Save (appends, conflicting tails, hard states, snapshots), Compact,
/// CreateSnapshot, reads and restarts, checked step by step against MemoryStorage. Tiny
/// segments and a tiny cache make every path run: rollovers, segment deletion, and entries
/// read back from disk.
/// </summary>
public class WalDifferentialTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Behaves_like_MemoryStorage_across_restarts(int seed)
    {
        using var dir = new TempWalDirectory(memoryBacked: true);
        var options = new WalOptions { SegmentSize = 4096, CacheBytes = 1024, PayloadChunkSize = 512 };
        var rng = new Random(seed);
        var mem = new MemoryStorage(payloadChunkSize: 512);
        WriteAheadLog wal = dir.Open(options);
        try
        {
            long created = 0, deleted = 0, diskReads = 0;
            void Tally(WalStatistics st)
            {
                created += st.SegmentsCreated;
                deleted += st.SegmentsDeleted;
                diskReads += st.EntriesReadFromDisk;
            }
            ulong term = 1;
            var hs = default(HardState);
            for (int step = 0; step < 300; step++)
            {
                int op = rng.Next(100);
                if (op < 55)
                {
                    ulong first = mem.FirstIndex();
                    ulong last = mem.LastIndex();
                    ulong lo = rng.Next(4) == 0 ? first + (ulong)rng.Next(0, (int)Math.Min(last - first + 2, 5)) - Math.Min(first, 2) : last + 1;
                    lo = Math.Max(lo, 1);
                    if (rng.Next(5) == 0)
                    {
                        term++;
                    }
                    Entry[] ents = Payloads(lo, rng.Next(0, 12), term, rng.Next(0, 300), (byte)step);
                    if (rng.Next(3) == 0)
                    {
                        hs = new HardState(Math.Max(hs.Term, term), (ulong)rng.Next(0, 3), Math.Min(hs.Commit + (ulong)rng.Next(0, 3), mem.LastIndex()));
                    }
                    bool mustSync = rng.Next(2) == 0;
                    Assert.Equal(mem.Save(hs, ents, null, mustSync), wal.Save(hs, ents, null, mustSync));
                }
                else if (op < 65)
                {
                    ulong c = mem.FirstIndex() - 1 + (ulong)rng.Next(0, (int)(mem.LastIndex() - mem.FirstIndex() + 3));
                    Assert.Equal(mem.Compact(c), wal.Compact(c));
                }
                else if (op < 72)
                {
                    ulong i = mem.FirstIndex() - 1 + (ulong)rng.Next(0, (int)(mem.LastIndex() - mem.FirstIndex() + 3));
                    ConfState? cs = rng.Next(2) == 0 ? null : new ConfState { Voters = [1, (ulong)step + 2] };
                    byte[] data = new byte[rng.Next(0, 100)];
                    rng.NextBytes(data);
                    Assert.Equal(mem.CreateSnapshot(i, cs, data, out _), wal.CreateSnapshot(i, cs, data, out _));
                }
                else if (op < 75)
                {
                    mem.Snapshot(out Snapshot current);
                    ulong index = current.Metadata.Index + (ulong)rng.Next(-1, 20);
                    term = Math.Max(term, current.Metadata.Term) + (ulong)rng.Next(0, 2);
                    Snapshot snap = new(new byte[] { 1, 2, (byte)step }, new SnapshotMetadata(new ConfState { Voters = [1, 2, 3] }, index, term));
                    hs = new HardState(Math.Max(hs.Term, term), hs.Vote, index);
                    Entry[] after = rng.Next(2) == 0 ? Payloads(index + 1, rng.Next(0, 4), term, 20) : [];
                    Assert.Equal(mem.Save(hs, after, snap, true), wal.Save(hs, after, snap, true));
                }
                else if (op < 80)
                {
                    Tally(wal.Statistics);
                    wal.Dispose();
                    wal = dir.Open(options);
                    Assert.Null(wal.Recovery.TornTail);
                }
                else
                {
                    ulong lo = mem.FirstIndex() - 1 + (ulong)rng.Next(0, (int)(mem.LastIndex() - mem.FirstIndex() + 3));
                    ulong hi = lo + (ulong)rng.Next(0, 12);
                    ulong maxSize = rng.Next(3) == 0 ? ulong.MaxValue : (ulong)rng.Next(0, 2000);
                    var em = new EntryBuffer();
                    var ew = new EntryBuffer();
                    Assert.Equal(mem.Entries(lo, hi, maxSize, em), wal.Entries(lo, hi, maxSize, ew));
                    Assert.Equal(em.Span.ToArray(), ew.Span.ToArray());
                }
                mem.AdvanceEpoch();
                wal.AdvanceEpoch();
                SameState(mem, wal);
            }
            Tally(wal.Statistics);
            wal.Dispose();
            wal = dir.Open(options);
            SameState(mem, wal);
            Tally(wal.Statistics);
            Assert.True(created > 5, $"the run should roll over segments ({created} created)");
            Assert.True(deleted > 3, $"compaction should delete segments ({deleted} deleted)");
            Assert.True(diskReads > 100, $"reads should go to disk past the cache ({diskReads} entries read back)");
            Assert.True(wal.Statistics.SegmentCount < 8, $"{wal.Statistics.SegmentCount} segments left");
            Assert.Single(dir.Files("*.snap"));
        }
        finally
        {
            wal.Dispose();
        }
    }
}
