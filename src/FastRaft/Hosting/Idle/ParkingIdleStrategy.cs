namespace FastRaft.Hosting.Idle;

/// <summary>
/// Backs off when idle: a few spins, a few yields, then parks until <see cref="Wake"/> or the next
/// tick. The wake signal is re-armed at the start of every cycle, so work queued after the node
/// last looked always ends the park (no lost wake-ups), and producers only pay for a signal when
/// it is not already set. Nothing needs disposing: the event's OS handle is never created (its
/// WaitHandle is not exposed), and a wake may safely arrive after the node stopped.
/// </summary>
public sealed class ParkingIdleStrategy : IIdleStrategy
{
    private readonly ManualResetEventSlim _signal = new(false, 1);
    private readonly int _maxSpins;
    private readonly int _maxYields;
    private int _idleCycles;
    private long _parks;

    /// <param name="maxSpins">Idle cycles that spin before yielding.</param>
    /// <param name="maxYields">Idle cycles that yield before parking.</param>
    public ParkingIdleStrategy(int maxSpins = 10, int maxYields = 2)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxSpins);
        ArgumentOutOfRangeException.ThrowIfNegative(maxYields);
        _maxSpins = maxSpins;
        _maxYields = maxYields;
    }

    /// <summary>How many times the thread parked.</summary>
    public long Parks => Volatile.Read(ref _parks);

    public void BeginCycle()
    {
        if (_signal.IsSet)
        {
            _signal.Reset();
        }
    }

    public void Idle(int workCount, TimeSpan maxWait)
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
            Thread.SpinWait(1 << Math.Min(n, 6));
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
        // Round up: a wait shorter than the deadline would only wake to find nothing due.
        double ms = Math.Ceiling(maxWait.TotalMilliseconds);
        _parks++;
        _signal.Wait(ms >= int.MaxValue ? int.MaxValue : (int)ms);
    }

    public void Wake()
    {
        if (!_signal.IsSet)
        {
            _signal.Set();
        }
    }
}
