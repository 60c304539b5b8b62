using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage.Wal;

namespace FastRaft.WalCrashChild;

/// <summary>
/// Appends batches to a WAL as fast as it can until it is killed, like a node under load: each
/// run is a new term, now and then the unreported tail is rewritten at a newer term (a new
/// leader's conflicting entries), and every so often a snapshot is taken and the log compacted,
/// which deletes segments; each compaction is announced before it is made. After each Save that synced, prints the durable last index.
/// Entries reported durable are never rewritten afterwards.
/// </summary>
public static class CrashWriter
{
    public static readonly WalOptions Options = new() { SegmentSize = 64 * 1024, CacheBytes = 64 * 1024 };

    public static int Run(string directory, int seed)
    {
        var rng = new Random(seed);
        using WriteAheadLog wal = WriteAheadLog.Open(directory, Options);
        ulong last = wal.LastIndex();
        Check(wal.Term(last, out ulong lastTerm));
        ulong term = Math.Max(lastTerm, wal.HardState.Term) + 1;
        ulong reported = last;
        Console.Out.WriteLine(CrashProtocol.Opened(wal.FirstIndex(), last));
        for (long batch = 1; ; batch++)
        {
            Entry[] ents = Batch(last + 1, rng.Next(1, 64), term);
            Check(wal.Save(new HardState(term, 1, reported), ents, null, mustSync: true));
            last = ents[^1].Index;
            if (rng.Next(6) == 0)
            {
                // Rewrite part of what was written since the last report, at a newer term.
                term++;
                ulong from = reported + 1 + (ulong)rng.Next(0, (int)(last - reported));
                Entry[] rewrite = Batch(from, rng.Next(1, 40), term);
                Check(wal.Save(new HardState(term, 1, reported), rewrite, null, mustSync: true));
                last = rewrite[^1].Index;
            }
            Console.Out.WriteLine(CrashProtocol.Durable(last, term));
            reported = last;
            if (batch % 40 == 0 && last > 300)
            {
                StorageStatus st = wal.CreateSnapshot(last - 100, null, BitConverter.GetBytes(last - 100), out _);
                if (st is not (StorageStatus.Ok or StorageStatus.SnapOutOfDate))
                {
                    Check(st);
                }
            }
            if (batch % 10 == 0 && last > 300)
            {
                // Strictly increasing: every report moves last past the previous one.
                Console.Out.WriteLine(CrashProtocol.Compacting(last - 200));
                Check(wal.Compact(last - 200));
            }
            wal.AdvanceEpoch();
        }
    }

    private static Entry[] Batch(ulong first, int count, ulong term)
    {
        var ents = new Entry[count];
        for (int k = 0; k < count; k++)
        {
            ulong index = first + (ulong)k;
            ents[k] = new Entry(term, index, EntryType.Normal, CrashPayload.For(index, term));
        }
        return ents;
    }

    private static void Check(StorageStatus st)
    {
        if (st != StorageStatus.Ok)
        {
            throw new InvalidOperationException($"storage answered {st}");
        }
    }
}
