namespace FastRaft.Hosting.Idle;

/// <summary>Yields the core to other ready threads when idle; still polls continuously.</summary>
public sealed class YieldingIdleStrategy : IIdleStrategy
{
    public void BeginCycle()
    {
    }

    public void Idle(int workCount, TimeSpan maxWait)
    {
        if (workCount == 0)
        {
            Thread.Yield();
        }
    }

    public void Wake()
    {
    }
}
