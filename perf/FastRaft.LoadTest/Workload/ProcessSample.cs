using System.Diagnostics;
using System.Runtime.InteropServices;

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
    /// Voluntary and involuntary context switches of the whole process so far, exited threads
    /// included (getrusage on Linux); -1 elsewhere. Each hand-off to a sleeping thread costs at
    /// least one; so does each sched_yield that lets another thread run.
    /// </summary>
    private static long ReadContextSwitches()
    {
        if (!OperatingSystem.IsLinux())
        {
            return -1;
        }
        return GetRusage(0, out RUsage usage) == 0 ? usage.VoluntarySwitches + usage.InvoluntarySwitches : -1;
    }

    /// <summary>Linux x64/arm64 struct rusage: two timevals, then fourteen longs.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct RUsage
    {
        public long UserSeconds, UserMicros, SystemSeconds, SystemMicros;
        public long MaxRss, SharedRss, DataRss, StackRss, MinorFaults, MajorFaults, Swaps, BlocksIn, BlocksOut, MessagesSent, MessagesReceived, Signals;
        public long VoluntarySwitches, InvoluntarySwitches;
    }

    [DllImport("libc", EntryPoint = "getrusage")]
    private static extern int GetRusage(int who, out RUsage usage);
}
