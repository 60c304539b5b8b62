using FastRaft.Hosting.Agents;

namespace FastRaft.Hosting.Idle;

/// <summary>Never gives up the core or blocks: lowest latency, one core fully used per runner thread.</summary>
public sealed class BusySpinIdleStrategy : IIdleStrategy
{
    /// <inheritdoc />
    public void Idle(int workCount, IWaitSource waitSource, TimeSpan maxWait)
    {
        if (workCount == 0)
        {
            Thread.SpinWait(1);
        }
    }
}
