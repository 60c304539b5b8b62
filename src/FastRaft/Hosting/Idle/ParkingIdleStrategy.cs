using FastRaft.Hosting.Agents;

namespace FastRaft.Hosting.Idle;

/// <summary>
/// The default: after work, spins a few idle cycles (a few microseconds in all, so a reply that is
/// about to arrive costs no wake-up), optionally yields a few, then blocks on the agent's wait
/// source until input arrives, a producer wakes it, or the deadline (the next tick) comes. An idle
/// node therefore uses no CPU between ticks.
/// </summary>
public sealed class ParkingIdleStrategy : IIdleStrategy
{
    /// <summary>The longest spin of one idle cycle (spins double from 1 up to this).</summary>
    private const int MaxSpinIterations = 64;

    private readonly int _maxSpins;
    private readonly int _maxYields;
    private int _idleCycles;
    private long _parks;

    /// <param name="maxSpins">Idle cycles that spin before yielding or blocking (each spins twice as long as the last, up to 64 iterations).</param>
    /// <param name="maxYields">Idle cycles that yield the core before blocking.</param>
    public ParkingIdleStrategy(int maxSpins = 8, int maxYields = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxSpins);
        ArgumentOutOfRangeException.ThrowIfNegative(maxYields);
        _maxSpins = maxSpins;
        _maxYields = maxYields;
    }

    /// <summary>How many times the thread blocked on its wait source.</summary>
    public long Parks => Volatile.Read(ref _parks);

    /// <inheritdoc />
    public void Idle(int workCount, IWaitSource waitSource, TimeSpan maxWait)
    {
        if (workCount > 0)
        {
            _idleCycles = 0;
            return;
        }
        int n = _idleCycles;
        if (n < int.MaxValue)
        {
            _idleCycles = n + 1;
        }
        if (n < _maxSpins)
        {
            Thread.SpinWait(Math.Min(1 << Math.Min(n, 30), MaxSpinIterations));
            return;
        }
        if (n < _maxSpins + _maxYields)
        {
            Thread.Yield();
            return;
        }
        if (maxWait <= TimeSpan.Zero)
        {
            return;
        }
        Interlocked.Increment(ref _parks);
        waitSource.Wait(maxWait);
    }
}
