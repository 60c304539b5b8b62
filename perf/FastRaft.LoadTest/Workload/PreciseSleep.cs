using System.Runtime.InteropServices;

namespace FastRaft.LoadTest.Workload;

/// <summary>
/// Short sleeps for the open model's injector. On Linux: clock_nanosleep, after the calling
/// thread's timer slack is cut to 1 µs (the default 50 µs would make every sleep 50 µs late);
/// elsewhere Thread.Sleep, with millisecond granularity.
/// </summary>
internal static class PreciseSleep
{
    private const int ClockMonotonic = 1;
    private const int PrSetTimerSlack = 29;

    /// <summary>Asks for precise wake-ups on the calling thread (Linux); harmless elsewhere.</summary>
    public static void TightenTimerSlack()
    {
        if (OperatingSystem.IsLinux())
        {
            _ = Prctl(PrSetTimerSlack, 1000, 0, 0, 0);
        }
    }

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

    [DllImport("libc", EntryPoint = "prctl")]
    private static extern int Prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);
}
