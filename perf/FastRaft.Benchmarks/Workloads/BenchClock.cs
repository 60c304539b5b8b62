namespace FastRaft.Benchmarks.Workloads;

/// <summary>
/// A clock that moves only when told to (100 ns timestamp units): the agents of a workload tick
/// while it elects a leader, then time stands still, so nothing but the measured work (no
/// heartbeats, no elections) happens in the measured loops, and runs repeat.
/// </summary>
public sealed class BenchClock : TimeProvider
{
    private long _now = TimeSpan.TicksPerDay;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Volatile.Read(ref _now);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _now, by.Ticks);
}
