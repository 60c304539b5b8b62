namespace FastRaft.Hosting.Agents;

/// <summary>Converts a wait source's timeout to what <c>Socket.Poll</c>/<c>Socket.Select</c> take.</summary>
internal static class PollTimeout
{
    /// <summary>
    /// Microseconds, -1 for infinite, rounded up to whole milliseconds, which is what poll()
    /// counts (the runtime truncates): a shorter wait would not wait at all.
    /// </summary>
    public static int ToMicros(TimeSpan timeout)
    {
        if (timeout == Timeout.InfiniteTimeSpan)
        {
            return -1;
        }
        if (timeout <= TimeSpan.Zero)
        {
            return 0;
        }
        const int LongestMillis = int.MaxValue / 1000;
        double millis = Math.Ceiling(timeout.TotalMilliseconds);
        return (millis >= LongestMillis ? LongestMillis : (int)millis) * 1000;
    }
}
