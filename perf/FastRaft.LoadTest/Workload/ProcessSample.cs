using System.Diagnostics;

namespace FastRaft.LoadTest.Workload;

/// <summary>The process's allocation, GC and CPU counters at one moment; two make a window.</summary>
public readonly record struct ProcessSample(
    long Timestamp, long AllocatedBytes, int Gen0, int Gen1, int Gen2, TimeSpan GcPause, TimeSpan Cpu)
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
            self.TotalProcessorTime);
    }
}
