using System.Diagnostics;
using System.Globalization;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage.Wal;

namespace FastRaft.WalCrashChild;

/// <summary>
/// Group commit throughput: Saves of 256 entries of 16 bytes plus a hard state, each synced
/// (default options: 64 MiB segments, sync every batch), compacting behind so the disk use stays
/// at a couple of segments. Prints entries/s, syncs/s and Save latency percentiles.
/// </summary>
public static class GroupCommitBench
{
    private const int BatchSize = 256;
    private const int PayloadSize = 16;

    public static int Run(string parent, double seconds)
    {
        string dir = Path.Combine(parent, "fastraft-wal-bench-" + Guid.NewGuid().ToString("N"));
        try
        {
            using WriteAheadLog wal = WriteAheadLog.Open(dir);
            var batch = new Entry[BatchSize];
            byte[] payload = new byte[PayloadSize];
            ulong next = 1;

            void Save()
            {
                for (int k = 0; k < BatchSize; k++)
                {
                    batch[k] = new Entry(1, next + (ulong)k, EntryType.Normal, payload);
                }
                Check(wal.Save(new HardState(1, 1, next - 1), batch, null, mustSync: true));
                next += BatchSize;
                if ((next / BatchSize) % 64 == 0)
                {
                    Check(wal.Compact(next - 1024));
                }
                wal.AdvanceEpoch();
            }

            // Warm up: JIT, buffers, the first background segment.
            var warm = Stopwatch.StartNew();
            while (warm.Elapsed < TimeSpan.FromSeconds(1))
            {
                Save();
            }

            var latencies = new List<double>(100_000);
            long syncsBefore = wal.Statistics.Syncs;
            ulong entriesBefore = next;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                long t0 = Stopwatch.GetTimestamp();
                Save();
                latencies.Add(Stopwatch.GetElapsedTime(t0).TotalMicroseconds);
            }
            double elapsed = clock.Elapsed.TotalSeconds;
            long syncs = wal.Statistics.Syncs - syncsBefore;
            double entries = next - entriesBefore;
            latencies.Sort();
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"group commit: {BatchSize} x {PayloadSize} B entries per Save, sync every batch, {elapsed:F1} s in {dir}"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {entries / elapsed:N0} entries/s, {syncs / elapsed:N0} syncs/s, {latencies.Count} Saves"));
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  Save latency us: p50 {Percentile(latencies, 0.50):F0}, p90 {Percentile(latencies, 0.90):F0}, p99 {Percentile(latencies, 0.99):F0}, max {latencies[^1]:F0}"));
            return 0;
        }
        finally
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static double Percentile(List<double> sorted, double p) => sorted[(int)Math.Min(sorted.Count - 1, p * sorted.Count)];

    private static void Check(StorageStatus st)
    {
        if (st != StorageStatus.Ok)
        {
            throw new InvalidOperationException($"storage answered {st}");
        }
    }
}
