using System.Diagnostics;

namespace FastRaft.LoadTest.Workload;

/// <summary>The process's allocation, GC, CPU and context-switch counters at one moment; two make a window.</summary>
public readonly record struct ProcessSample(
    long Timestamp, long AllocatedBytes, int Gen0, int Gen1, int Gen2, TimeSpan GcPause, TimeSpan Cpu, long ContextSwitches)
{
    public static ProcessSample Take()
    {
        using Process self = Process.GetCurrentProcess();
        return new ProcessSample(
            Stopwatch.GetTimestamp(),
            GC.GetTotalAllocatedBytes(precise: true),
            GC.CollectionCount(0),
            GC.CollectionCount(1),
            GC.CollectionCount(2),
            GC.GetTotalPauseDuration(),
            self.TotalProcessorTime,
            ReadContextSwitches());
    }

    /// <summary>
    /// Voluntary and involuntary context switches of the process's live threads, summed from
    /// /proc/self/task/*/status (Linux); -1 where that is not available. Each hand-off between
    /// threads (a parked node thread woken, a receive thread woken) costs at least one.
    /// </summary>
    private static long ReadContextSwitches()
    {
        const string tasks = "/proc/self/task";
        if (!Directory.Exists(tasks))
        {
            return -1;
        }
        long total = 0;
        foreach (string task in Directory.EnumerateDirectories(tasks))
        {
            try
            {
                foreach (string line in File.ReadLines(Path.Combine(task, "status")))
                {
                    if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal)
                        || line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                    {
                        total += long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim(), System.Globalization.CultureInfo.InvariantCulture);
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                // The thread exited while we looked.
            }
        }
        return total;
    }
}
