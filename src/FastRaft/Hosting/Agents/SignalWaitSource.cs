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
    // The state word: the waiter's state in the low bits, and above them the number of wakes that
    // found no wake pending (each one a transition to Woken), so that a runner can tell, with one
    // atomic operation, whether anyone woke it since it last looked (ConsumeWakes).

    /// <summary>The waiter is not blocked and no wake is pending.</summary>
    private const long Running = 0;

    /// <summary>The waiter is blocked in <see cref="Wait"/>, or about to block.</summary>
    private const long Waiting = 1;

    /// <summary>A wake is pending: the current or next <see cref="Wait"/> returns at once.</summary>
    private const long Woken = 2;

    private const long StateMask = 3;

    /// <summary>One more transition to Woken, in the bits above the state.</summary>
    private const long WakeStep = 4;

    private readonly ManualResetEventSlim _event = new(false, spinCount: 1);
    private long _word;
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
            ConsumeWakes();
            return;
        }
        // A wake that signalled a wait which had already timed out can leave the event set. While
        // the state is Running no waker sets it (wakers only mark Woken), so clearing it here is safe;
        // at worst a late Set makes this wait return early once, which a wait may do.
        if (_event.IsSet)
        {
            _event.Reset();
        }
        long word = Volatile.Read(ref _word);
        if ((word & StateMask) != Running || Interlocked.CompareExchange(ref _word, word | Waiting, word) != word)
        {
            // Woken while running (or just now): consume the wake instead of blocking.
            ConsumeWakes();
            return;
        }
        _blocks++;
        _event.Wait(ToMilliseconds(timeout));
        ConsumeWakes();
    }

    /// <inheritdoc />
    public void Wake()
    {
        long word = Volatile.Read(ref _word);
        while ((word & StateMask) != Woken)
        {
            long seen = Interlocked.CompareExchange(ref _word, (word & ~StateMask) + WakeStep + Woken, word);
            if (seen == word)
            {
                if ((word & StateMask) == Waiting)
                {
                    Interlocked.Increment(ref _signals);
                    _event.Set();
                }
                return;
            }
            word = seen;
        }
    }

    /// <summary>
    /// For the waiter, not blocked: takes any pending wake (as a zero wait does) and returns how
    /// many wakes found none pending so far. Every wake after this call changes the count, so a
    /// waiter that sees the same count at its next call knows nobody woke it in between: input
    /// whose producer wakes this source has not arrived since.
    /// </summary>
    internal long ConsumeWakes()
    {
        long word = Volatile.Read(ref _word);
        while (true)
        {
            long seen = Interlocked.CompareExchange(ref _word, word & ~StateMask, word);
            if (seen == word)
            {
                return word >> 2;
            }
            word = seen;
        }
    }

    /// <summary>Rounded up: a wait that ends before its deadline only wakes to find nothing due.</summary>
    internal static int ToMilliseconds(TimeSpan timeout)
    {
        double ms = Math.Ceiling(timeout.TotalMilliseconds);
        return ms >= int.MaxValue ? Timeout.Infinite : (int)ms;
    }
}
