namespace FastRaft.Hosting.Agents;

/// <summary>
/// A unit of work that a runner calls over and over on one thread (Aeron's agent model). An
/// agent owns no thread and reads no clock: the runner passes the time in, taken from the
/// agent's <see cref="Time"/>. All methods are called on the runner's thread only.
/// </summary>
public interface IAgent
{
    /// <summary>For thread names and diagnostics.</summary>
    string Name { get; }

    /// <summary>The clock <see cref="DoWork"/>'s time comes from (timestamps of <see cref="TimeProvider.GetTimestamp"/>).</summary>
    TimeProvider Time { get; }

    /// <summary>What the runner's idle strategy waits on when a cycle found no work.</summary>
    IWaitSource WaitSource { get; }

    /// <summary>Called once on the runner's thread before the first <see cref="DoWork"/>.</summary>
    void OnStart();

    /// <summary>
    /// One duty cycle at time <paramref name="now"/> (a timestamp of <see cref="Time"/>). Returns
    /// how much work it did: 0 lets the runner idle until <see cref="Deadline"/>, input, or a wake.
    /// </summary>
    int DoWork(long now);

    /// <summary>The timestamp by which <see cref="DoWork"/> must run again even if nothing arrives (e.g. the next tick).</summary>
    long Deadline { get; }

    /// <summary>The agent has finished (stopped or faulted): the runner calls <see cref="OnClose"/> and drops it.</summary>
    bool IsDone { get; }

    /// <summary>Called once on the runner's thread after the last <see cref="DoWork"/> (also when the runner stops first).</summary>
    void OnClose();
}
