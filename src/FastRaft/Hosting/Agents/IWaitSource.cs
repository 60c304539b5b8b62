namespace FastRaft.Hosting.Agents;

/// <summary>
/// Something a node thread can block on when idle and that other threads can wake: a polled
/// transport's socket readiness plus a wake signal, or a plain signal. One waiter (the runner's
/// thread); any number of wakers.
/// </summary>
public interface IWaitSource
{
    /// <summary>
    /// Blocks until input may be available, <see cref="Wake"/> was called since the last wait
    /// returned, or <paramref name="timeout"/> passes. May return early (spuriously); never later
    /// than the timeout by more than the OS's timer slack.
    /// </summary>
    void Wait(TimeSpan timeout);

    /// <summary>Makes the current or next <see cref="Wait"/> return (any thread; cheap when the waiter is not blocked).</summary>
    void Wake();
}
