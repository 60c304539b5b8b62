namespace FastRaft.Tests.Udp;

/// <summary>
/// A clock that moves only when told (a tiny stand-in for a fake TimeProvider): timeouts driven by
/// it fire exactly when the test says, never because the machine was slow.
/// </summary>
internal sealed class ManualClock(long frequency = TimeSpan.TicksPerSecond) : TimeProvider
{
    private long _timestamp = 1_000_000;

    public override long TimestampFrequency => frequency;

    public override long GetTimestamp() => Interlocked.Read(ref _timestamp);

    /// <summary>Moves the clock forward by <paramref name="span"/> (rounded down to whole timestamp units, in integers).</summary>
    public void Advance(TimeSpan span) => Interlocked.Add(ref _timestamp, (long)((Int128)span.Ticks * frequency / TimeSpan.TicksPerSecond));
}
