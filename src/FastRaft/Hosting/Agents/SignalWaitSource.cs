namespace FastRaft.Hosting.Agents;

/// <summary>
/// A wake signal to block on: the <see cref="IWaitSource"/> of an agent whose input arrives
/// through queues (a threaded transport's deliveries, requests from other threads). A wake that
/// finds the waiter running costs one compare-and-swap and no system call; only a wake that finds
/// it blocked signals the event. No wake is lost: one that comes while the waiter runs makes its
/// next <see cref="Wait"/> return at once. Nothing needs disposing (the event's OS handle is never
/// created), so a wake may safely come after the waiter is gone.
/// </summary>
public sealed class SignalWaitSource : IWaitSource
{
    /// <summary>The waiter is not blocked and no wake is pending.</summary>
    private const int Running = 0;

    /// <summary>The waiter is blocked in <see cref="Wait"/>, or about to block.</summary>
    private const int Waiting = 1;

    /// <summary>A wake is pending: the current or next <see cref="Wait"/> returns at once.</summary>
    private const int Woken = 2;

    private readonly ManualResetEventSlim _event = new(false, spinCount: 1);
    private int _state;
    private long _blocks;
    private long _signals;

    /// <summary>How many times <see cref="Wait"/> blocked (it returns at once when a wake is pending).</summary>
    public long Blocks => Volatile.Read(ref _blocks);

    /// <summary>How many wakes found the waiter blocked and signalled it (the others cost no system call).</summary>
    public long Signals => Volatile.Read(ref _signals);

    /// <inheritdoc />
    public void Wait(TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero)
        {
            // Not blocking: whatever was pending is seen by the cycle that follows.
            Volatile.Write(ref _state, Running);
            return;
        }
        // A wake that signalled a wait which had already timed out can leave the event set. While
        // the state is Running no waker sets it (wakers only mark Woken), so clearing it here is safe;
        // at worst a late Set makes this wait return early once, which a wait may do.
        if (_event.IsSet)
        {
            _event.Reset();
        }
        if (Interlocked.CompareExchange(ref _state, Waiting, Running) != Running)
        {
            // Woken while running: consume the wake instead of blocking.
            Volatile.Write(ref _state, Running);
            return;
        }
        _blocks++;
        _event.Wait(ToMilliseconds(timeout));
        Interlocked.Exchange(ref _state, Running);
    }

    /// <inheritdoc />
    public void Wake()
    {
        int state = Volatile.Read(ref _state);
        while (state != Woken)
        {
            int seen = Interlocked.CompareExchange(ref _state, Woken, state);
            if (seen == state)
            {
                if (state == Waiting)
                {
                    Interlocked.Increment(ref _signals);
                    _event.Set();
                }
                return;
            }
            state = seen;
        }
    }

    /// <summary>Rounded up: a wait that ends before its deadline only wakes to find nothing due.</summary>
    internal static int ToMilliseconds(TimeSpan timeout)
    {
        double ms = Math.Ceiling(timeout.TotalMilliseconds);
        return ms >= int.MaxValue ? Timeout.Infinite : (int)ms;
    }
}
