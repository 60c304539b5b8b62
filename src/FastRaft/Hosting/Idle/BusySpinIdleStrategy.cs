namespace FastRaft.Hosting.Idle;

/// <summary>Never gives up the core: lowest latency, one core fully used per node.</summary>
public sealed class BusySpinIdleStrategy : IIdleStrategy
{
    public void BeginCycle()
    {
    }

    public void Idle(int workCount, TimeSpan maxWait)
    {
        if (workCount == 0)
        {
            Thread.SpinWait(1);
        }
    }

    public void Wake()
    {
    }
}
