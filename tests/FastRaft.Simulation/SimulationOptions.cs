namespace FastRaft.Simulation;

/// <summary>How a run is shaped beyond what its seed draws.</summary>
public sealed record SimulationOptions
{
    public static readonly SimulationOptions Default = new();

    /// <summary>Length of the faulty phase, in time units (a node ticks about every 10).</summary>
    public long FaultyDuration { get; init; } = 3000;

    /// <summary>
    /// Keep lease reads answered by a superseded leader in the checked history. They may be
    /// stale by design (etcd's lease outlives leadership), so this exposes that anomaly.
    /// </summary>
    public bool StrictLeaseReads { get; init; }
}
