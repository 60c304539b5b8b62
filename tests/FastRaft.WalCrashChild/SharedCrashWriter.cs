using System.Globalization;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage.Wal;

namespace FastRaft.WalCrashChild;

/// <summary>
/// A process with many Raft groups on one shared WAL, writing until it is killed: every cycle,
/// each group saves a small batch (its size a function of group, cycle and seed, so the parent
/// can tell what each cycle wrote), then one SyncWrites covers them all and "S cycle E" is
/// printed. Every fourth cycle a quarter of the groups compact and another quarter take a
/// snapshot and compact, so segments are deleted under the writes.
/// </summary>
public static class SharedCrashWriter
{
    public static readonly WalOptions Options = new() { SegmentSize = 256 * 1024, CacheBytes = 4 * 1024, PayloadChunkSize = 1024 };

    /// <summary>How many entries group <paramref name="group"/> appends in cycle <paramref name="cycle"/> (cycles count from 1 in each run).</summary>
    public static int BatchSize(ulong group, int cycle, int seed) => 1 + (int)((group * 7 + (ulong)cycle * 13 + (ulong)seed) % 3);

    public static string Synced(int cycle) => string.Create(CultureInfo.InvariantCulture, $"S {cycle} {CrashProtocol.End}");

    public static bool TryParseSynced(string? line, out int cycle)
    {
        cycle = 0;
        string[] parts = line?.Split(' ') ?? [];
        return parts.Length == 3 && parts[0] == "S" && parts[2] == CrashProtocol.End
            && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out cycle);
    }

    public static int Run(string directory, int seed, int groups, ulong term)
    {
        using SharedWriteAheadLog log = SharedWriteAheadLog.Open(directory, Options);
        var views = new WalGroup[groups];
        var last = new ulong[groups];
        for (int k = 0; k < groups; k++)
        {
            views[k] = log.OpenGroup((ulong)k + 1);
            last[k] = views[k].LastIndex();
        }
        Console.Out.WriteLine(CrashProtocol.Opened(1, 0));
        var batch = new List<Entry>(4);
        for (int cycle = 1; ; cycle++)
        {
            for (int k = 0; k < groups; k++)
            {
                ulong group = (ulong)k + 1;
                batch.Clear();
                int size = BatchSize(group, cycle, seed);
                for (int e = 0; e < size; e++)
                {
                    ulong index = last[k] + 1 + (ulong)e;
                    batch.Add(new Entry(term, index, EntryType.Normal, CrashPayload.For(index, term)));
                }
                Check(views[k].Save(new HardState(term, 1, last[k]), batch.ToArray(), null, mustSync: true));
                last[k] += (ulong)size;
                views[k].AdvanceEpoch();
            }
            log.SyncWrites();
            Console.Out.WriteLine(Synced(cycle));
            if (cycle % 4 == 0)
            {
                for (int k = 0; k < groups; k++)
                {
                    if (k % 4 == 1 && last[k] > 20)
                    {
                        StorageStatus st = views[k].CreateSnapshot(last[k] - 5, new ConfState { Voters = [1] }, BitConverter.GetBytes(last[k] - 5), out _);
                        if (st != StorageStatus.SnapOutOfDate)
                        {
                            Check(st);
                        }
                        Check(views[k].Compact(last[k] - 5));
                    }
                    else if (k % 4 == 0 && last[k] > 20)
                    {
                        Check(views[k].Compact(last[k] - 10));
                    }
                }
            }
        }
    }

    private static void Check(StorageStatus st)
    {
        if (st != StorageStatus.Ok)
        {
            throw new InvalidOperationException($"storage answered {st}");
        }
    }
}
