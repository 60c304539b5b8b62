using FastRaft.Hosting.Agents;

namespace FastRaft.Hosting.Idle;

/// <summary>Yields the core to other ready threads when idle, but never blocks: still polls continuously.</summary>
public sealed class YieldingIdleStrategy : IIdleStrategy
{
    /// <inheritdoc />
    public void Idle(int workCount, IWaitSource waitSource, TimeSpan maxWait)
    {
        if (workCount == 0)
        {
            Thread.Yield();
        }
    }
}
