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

    /// <summary>
    /// The nodes store their state in the real write-ahead log (a directory per node, under
    /// /dev/shm when it exists, deleted at the end) instead of a MemoryStorage; a crash closes the
    /// log and the restart recovers it from its files. The sabotages of storage do not apply.
    /// </summary>
    public bool WriteAheadLog { get; init; }

    /// <summary>
    /// Keep etcd's immediate step-down of a leader that removed itself (RaftConfig.StepDownAfterCatchUp
    /// off even with StepDownOnRemoval), to watch the wedge it can cause (see the README).
    /// </summary>
    public bool ImmediateStepDown { get; init; }

    /// <summary>Also trace every message a node sends (a trace shows deliveries, drops and losses otherwise).</summary>
    public bool TraceSends { get; init; }

    /// <summary>A deliberate host bug (tests of the checks only).</summary>
    public Sabotage Sabotage { get; init; }

    /// <summary>The group the sabotage applies to in a multi-group run (0: every group).</summary>
    public ulong SabotageGroup { get; init; }

    /// <summary>
    /// Raft groups per server: 1 (the default) is the single-group simulation, unchanged; more
    /// gives every server a replica of each group, one shared transport per server (messages
    /// carry their group id) and per-group checks; 0 draws 2..4 per seed.
    /// </summary>
    public int Groups { get; init; } = 1;

    /// <summary>
    /// Multi-group runs only: the agents quiesce when idle (RaftNodeOptions.QuiesceAfterTicks, with
    /// each server's simulated node liveness), and after recovery a quiet phase takes the server
    /// leading the most quiesced groups away and requires every group with a live majority to
    /// elect again within a bound.
    /// </summary>
    public bool Quiesce { get; init; }
}

/// <summary>
/// Deliberate host bugs, to show that the simulation's checks catch them (used by the tests;
/// never on by default).
/// </summary>
public enum Sabotage
{
    None,

    /// <summary>Gets are answered from the contacted node's state at once, without ReadIndex.</summary>
    ServeReadsLocally,

    /// <summary>A received snapshot is persisted but the state machine is not restored from it.</summary>
    IgnoreSnapshots,

    /// <summary>A restarted node has lost the last few entries it acknowledged (writes never synced).</summary>
    AcknowledgeBeforePersisting,

    /// <summary>Multi-group runs: the servers' hubs are given no shared log to sync, so messages leave before the writes they depend on are durable.</summary>
    UnsyncedHub,

    /// <summary>With quiescence: the agents' node liveness says every node lives, so a quiesced follower never notices its leader's death.</summary>
    DeafLiveness,
}
