namespace FastRaft.Simulation;

/// <summary>
/// One simulated server process: its machine's clock (which survives restarts), whether the
/// process runs, and the replicas of the groups it hosts (one <see cref="SimNode"/> per group,
/// each a real agent). The process is the unit of crashes, stalls, clock faults and partitions:
/// a crash takes every replica down at once, the restart recovers all of them. In a multi-group
/// run its replicas share one transport (<see cref="SimHub"/>): the process runs all its agents
/// in one duty cycle, as a runner thread does, and its messages leave together at the end of it.
/// </summary>
internal sealed class SimServer(ulong id, SimClock clock)
{
    public ulong Id { get; } = id;

    public SimClock Clock { get; } = clock;

    /// <summary>The replicas this process hosts, by group id (retired ones stay, not running).</summary>
    public SortedDictionary<ulong, SimNode> Replicas { get; } = [];

    /// <summary>The process runs.</summary>
    public bool Up { get; private set; }

    /// <summary>Every replica it hosted was retired: the process is never started again.</summary>
    public bool Retired { get; private set; }

    /// <summary>Bumped on every start; events for an older incarnation are stale.</summary>
    public int Incarnation { get; private set; }

    /// <summary>The earliest pending duty cycle (simulation time), or long.MaxValue.</summary>
    public long WorkAt { get; set; } = long.MaxValue;

    /// <summary>The process is paused until then (it does no work; messages wait in its inbox).</summary>
    public long StalledUntil { get; set; }

    /// <summary>The group commit of the process's replicas (multi-group runs: one sync per cycle covers every group's writes).</summary>
    public SimLogSync LogSync { get; } = new();

    /// <summary>Which nodes this process hears from (runs with quiescence only).</summary>
    public SimNodeLiveness? Liveness { get; set; }

    /// <summary>The process's shared transport in a multi-group run (null in a single-group run or while down).</summary>
    public SimHub? Hub { get; private set; }

    /// <summary>Starts the process: a new incarnation, a fresh shared transport when the run has groups.</summary>
    public void Begin(SimHub? hub)
    {
        if (Up || Retired)
        {
            throw new InvalidOperationException($"server {Id} cannot start");
        }
        Incarnation++;
        Up = true;
        Liveness?.Reset();
        WorkAt = long.MaxValue;
        Hub = hub;
    }

    /// <summary>
    /// The process stops: every replica's agent closes (failing what is outstanding), and what
    /// waited in the shared transport is lost.
    /// </summary>
    public void Crash()
    {
        foreach (SimNode r in Replicas.Values)
        {
            r.Crash();
        }
        Stop();
    }

    /// <summary>A replica was retired: once none runs any longer, the process is retired.</summary>
    public void ReplicaRetired()
    {
        foreach (SimNode r in Replicas.Values)
        {
            if (!r.Retired)
            {
                return;
            }
        }
        Stop();
        Retired = true;
    }

    private void Stop()
    {
        Hub?.Dispose();
        Hub = null;
        Up = false;
        WorkAt = long.MaxValue;
        StalledUntil = 0;
    }

    public override string ToString() => Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
