using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage;
using FastRaft.Storage.Wal;
using static FastRaft.Tests.Wal.WalAssert;

namespace FastRaft.Tests.Wal;

/// <summary>
/// Many groups in one shared log, each checked step by step against its own MemoryStorage while
/// random operations on random groups interleave their records in the same segments: appends,
/// conflicting tails, hard states, received and created snapshots, compactions, reads, group
/// commits and restarts. Tiny segments and caches make rollovers, segment deletion by
/// compaction and disk reads happen.
/// </summary>
public class SharedWalDifferentialTests
{
    private const int Groups = 6;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Every_group_behaves_like_MemoryStorage_across_restarts(int seed)
    {
        using var dir = new TempWalDirectory(memoryBacked: true);
        var options = new WalOptions { SegmentSize = 8192, CacheBytes = 1024, PayloadChunkSize = 512 };
        var rng = new Random(seed);
        var mems = new MemoryStorage[Groups];
        var terms = new ulong[Groups];
        var hss = new HardState[Groups];
        for (int g = 0; g < Groups; g++)
        {
            mems[g] = new MemoryStorage(payloadChunkSize: 512);
            terms[g] = 1;
        }
        SharedWriteAheadLog log = SharedWriteAheadLog.Open(dir.Path, options);
        try
        {
            long created = 0, deleted = 0, diskReads = 0;
            void Tally(WalStatistics st)
            {
                created += st.SegmentsCreated;
                deleted += st.SegmentsDeleted;
                diskReads += st.EntriesReadFromDisk;
            }
            for (int step = 0; step < 600; step++)
            {
                int g = rng.Next(Groups);
                MemoryStorage mem = mems[g];
                WalGroup wal = log.OpenGroup(GroupId(g));
                int op = rng.Next(100);
                if (op < 60)
                {
                    ulong first = mem.FirstIndex();
                    ulong last = mem.LastIndex();
                    ulong lo = rng.Next(4) == 0 ? first + (ulong)rng.Next(0, (int)Math.Min(last - first + 2, 5)) - Math.Min(first, 2) : last + 1;
                    lo = Math.Max(lo, 1);
                    if (rng.Next(5) == 0)
                    {
                        terms[g]++;
                    }
                    Entry[] ents = Payloads(lo, rng.Next(0, 12), terms[g], rng.Next(0, 200), (byte)step);
                    if (rng.Next(3) == 0)
                    {
                        hss[g] = new HardState(Math.Max(hss[g].Term, terms[g]), (ulong)rng.Next(0, 3), Math.Min(hss[g].Commit + (ulong)rng.Next(0, 3), mem.LastIndex()));
                    }
                    Assert.Equal(mem.Save(hss[g], ents, null, true), wal.Save(hss[g], ents, null, true));
                }
                else if (op < 70)
                {
                    ulong c = mem.FirstIndex() - 1 + (ulong)rng.Next(0, (int)(mem.LastIndex() - mem.FirstIndex() + 3));
                    Assert.Equal(mem.Compact(c), wal.Compact(c));
                }
                else if (op < 75)
                {
                    ulong i = mem.FirstIndex() - 1 + (ulong)rng.Next(0, (int)(mem.LastIndex() - mem.FirstIndex() + 3));
                    ConfState? cs = rng.Next(2) == 0 ? null : new ConfState { Voters = [1, (ulong)step + 2] };
                    byte[] data = new byte[rng.Next(0, 100)];
                    rng.NextBytes(data);
                    Assert.Equal(mem.CreateSnapshot(i, cs, data, out _), wal.CreateSnapshot(i, cs, data, out _));
                }
                else if (op < 77)
                {
                    mem.Snapshot(out Snapshot current);
                    ulong index = current.Metadata.Index + (ulong)rng.Next(-1, 20);
                    terms[g] = Math.Max(terms[g], current.Metadata.Term) + (ulong)rng.Next(0, 2);
                    Snapshot snap = new(new byte[] { 1, 2, (byte)step }, new SnapshotMetadata(new ConfState { Voters = [1, 2, 3] }, index, terms[g]));
                    hss[g] = new HardState(Math.Max(hss[g].Term, terms[g]), hss[g].Vote, index);
                    Entry[] after = rng.Next(2) == 0 ? Payloads(index + 1, rng.Next(0, 4), terms[g], 20) : [];
                    Assert.Equal(mem.Save(hss[g], after, snap, true), wal.Save(hss[g], after, snap, true));
                }
                else if (op < 80)
                {
                    Tally(log.Statistics);
                    log.Dispose();
                    log = SharedWriteAheadLog.Open(dir.Path, options);
                    Assert.Null(log.Recovery.TornTail);
                    CheckAll(log, mems);
                    continue;
                }
                else if (op < 85)
                {
                    log.SyncWrites();
                    Assert.False(log.HasUnsyncedWrites);
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
            Tally(log.Statistics);
            log.Dispose();
            log = SharedWriteAheadLog.Open(dir.Path, options);
            CheckAll(log, mems);
            Assert.True(created > 5, $"the run should roll over segments ({created} created)");
            Assert.True(deleted > 3, $"compaction should delete segments ({deleted} deleted)");
            Assert.True(diskReads > 50, $"reads should go to disk past the cache ({diskReads} entries read back)");
        }
        finally
        {
            log.Dispose();
        }
    }

    private static ulong GroupId(int g) => 1000 + (ulong)g * 7;

    private static void CheckAll(SharedWriteAheadLog log, MemoryStorage[] mems)
    {
        for (int g = 0; g < mems.Length; g++)
        {
            if (mems[g].LastIndex() > 0 || !mems[g].HardState.IsEmpty)
            {
                Assert.Contains(GroupId(g), log.RecoveredGroups);
            }
            SameState(mems[g], log.OpenGroup(GroupId(g)));
        }
    }
}
