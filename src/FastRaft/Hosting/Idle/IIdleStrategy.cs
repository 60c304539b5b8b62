namespace FastRaft.Hosting.Idle;

/// <summary>
/// What the node thread does when a duty cycle found no work (Aeron's idle strategies). The node
/// calls <see cref="BeginCycle"/> before looking for work and <see cref="Idle"/> after; producers
/// on other threads call <see cref="Wake"/> after queueing work, which ends a park early.
/// </summary>
public interface IIdleStrategy
{
    /// <summary>The node thread is about to look for work (a parking strategy re-arms its signal here).</summary>
    void BeginCycle();

    /// <summary>
    /// Called after each duty cycle with the amount of work it did; when zero, idles for at most
    /// <paramref name="maxWait"/> (the time until the next tick is due).
    /// </summary>
    void Idle(int workCount, TimeSpan maxWait);

    /// <summary>Work was queued for the node (any thread).</summary>
    void Wake();
}
