using System.Runtime.InteropServices;

namespace FastRaft.LoadTest.Workload;

/// <summary>
/// Sleeps for sub-millisecond spans: clock_nanosleep on Linux (about 50-100 us of overshoot),
/// Thread.Sleep elsewhere (millisecond granularity).
/// </summary>
internal static class PreciseSleep
{
    private const int ClockMonotonic = 1;

    public static void For(TimeSpan span)
    {
        if (span <= TimeSpan.Zero)
        {
            return;
        }
        if (OperatingSystem.IsLinux())
        {
            long nanos = span.Ticks * 100;
            var request = new TimeSpec { Seconds = nanos / 1_000_000_000, Nanoseconds = nanos % 1_000_000_000 };
            _ = ClockNanosleep(ClockMonotonic, 0, ref request, IntPtr.Zero);
            return;
        }
        Thread.Sleep(span < TimeSpan.FromMilliseconds(1) ? TimeSpan.Zero : span);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_nanosleep")]
    private static extern int ClockNanosleep(int clock, int flags, ref TimeSpec request, IntPtr remaining);
}
