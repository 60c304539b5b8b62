namespace FastRaft.Simulation;

/// <summary>
/// One node's clock, derived from the simulation's virtual time: it runs at its own rate (a node
/// whose tick period is P simulation units sees one tick interval pass every P units) and may leap
/// ahead. The node's agent reads this clock only; it moves only when the simulation's time does,
/// so a run stays a function of its seed. Integer arithmetic throughout: the timestamp frequency
/// is divisible by every tick period the simulation uses, so conversions are exact.
/// </summary>
internal sealed class SimClock : TimeProvider
{
    /// <summary>Timestamp units per second; one second is the agents' tick interval. Divisible by 1..16.</summary>
    public const long Frequency = 720_720;

    /// <summary>The tick interval the agents are configured with: one second of this clock.</summary>
    public static readonly TimeSpan TickInterval = TimeSpan.FromSeconds(1);

    private static readonly DateTimeOffset Epoch = new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly Func<long> _now;
    private long _localAnchor;
    private long _globalAnchor;

    /// <param name="now">The simulated time.</param>
    /// <param name="period">Simulation time units per tick interval.</param>
    /// <param name="offset">The clock's reading now.</param>
    public SimClock(Func<long> now, long period, long offset)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);
        _now = now;
        Period = period;
        _localAnchor = offset;
        _globalAnchor = now();
    }

    /// <summary>Simulation time units per tick interval of this clock.</summary>
    public long Period { get; private set; }

    public override long TimestampFrequency => Frequency;

    public override long GetTimestamp() => LocalAt(_now());

    public override DateTimeOffset GetUtcNow() => Epoch.AddTicks((long)((Int128)GetTimestamp() * TimeSpan.TicksPerSecond / Frequency));

    /// <summary>The agents set no timers; a call would mean something reads time behind the simulation's back.</summary>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        throw new NotSupportedException("a simulated node's clock has no timers");

    /// <summary>This clock's reading at simulation time <paramref name="global"/>.</summary>
    public long LocalAt(long global) => _localAnchor + ((global - _globalAnchor) * Frequency / Period);

    /// <summary>The earliest simulation time, not before now, at which this clock reads at least <paramref name="local"/>.</summary>
    public long GlobalWhen(long local)
    {
        long now = _now();
        long behind = local - LocalAt(now);
        if (behind <= 0)
        {
            return now;
        }
        long at = _globalAnchor + (((local - _localAnchor) * Period) + Frequency - 1) / Frequency;
        return Math.Max(at, now);
    }

    /// <summary>From now on the clock runs at one tick interval per <paramref name="period"/> units.</summary>
    public void SetPeriod(long period)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(period, 1);
        Reanchor(0);
        Period = period;
    }

    /// <summary>The clock jumps ahead by <paramref name="intervals"/> tick intervals at once.</summary>
    public void Leap(long intervals) => Reanchor(intervals * Frequency);

    private void Reanchor(long jump)
    {
        long now = _now();
        _localAnchor = LocalAt(now) + jump;
        _globalAnchor = now;
    }
}
