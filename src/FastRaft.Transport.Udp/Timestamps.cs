namespace FastRaft.Transport.Udp;

/// <summary>
/// Durations as differences of <see cref="TimeProvider.GetTimestamp"/> values, so that every
/// timeout is compared against the clock the transport was given (a test's manual one included).
/// </summary>
internal static class Timestamps
{
    /// <summary>
    /// The longest duration used: beyond any sensible timeout, and small enough that a timestamp
    /// plus a few of them cannot overflow.
    /// </summary>
    private const long Longest = long.MaxValue / 8;

    /// <summary><paramref name="span"/> in timestamp units of <paramref name="time"/> (at least 1 when positive).</summary>
    public static long From(TimeSpan span, TimeProvider time)
    {
        if (span <= TimeSpan.Zero)
        {
            return 0;
        }
        // Exact in integers (no rounding of 0.05 s to one unit less than 50 ms).
        Int128 units = (Int128)span.Ticks * time.TimestampFrequency / TimeSpan.TicksPerSecond;
        return units >= Longest ? Longest : Math.Max(1, (long)units);
    }

    /// <summary>How long <paramref name="bytes"/> take at <paramref name="bytesPerSecond"/>, in timestamp units of <paramref name="time"/>.</summary>
    public static long ForBytes(long bytes, long bytesPerSecond, TimeProvider time)
    {
        Int128 units = (Int128)bytes * time.TimestampFrequency / bytesPerSecond;
        return units >= Longest ? Longest : (long)units;
    }
}
