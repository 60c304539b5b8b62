using FastRaft.Hosting.Agents;

namespace FastRaft.Hosting.Idle;

/// <summary>
/// What a runner's thread does after a duty cycle (Aeron's idle strategies). Work resets the
/// strategy's backoff; a cycle without work idles one step: spin, yield, or block on the agent's
/// <see cref="IWaitSource"/> (its transport's readiness or a wake from a producer) until the
/// agent's deadline. Only the runner's thread calls it.
/// </summary>
public interface IIdleStrategy
{
    /// <summary>
    /// Called after each duty cycle with the work it did. When <paramref name="workCount"/> is 0,
    /// idles for at most <paramref name="maxWait"/> (the time to the agent's next deadline),
    /// returning early when <paramref name="waitSource"/> is woken.
    /// </summary>
    void Idle(int workCount, IWaitSource waitSource, TimeSpan maxWait);
}
