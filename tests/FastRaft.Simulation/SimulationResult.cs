using FastRaft.Simulation.Linearizability;

namespace FastRaft.Simulation;

/// <summary>The outcome of one seed.</summary>
public sealed record SimulationResult
{
    public required ulong Seed { get; init; }
    public required Scenario Scenario { get; init; }

    /// <summary>Null when every check passed.</summary>
    public string? Invariant { get; init; }

    public string? Detail { get; init; }

    public long Steps { get; init; }

    /// <summary>Raft groups per server in this run.</summary>
    public int Groups { get; init; } = 1;

    /// <summary>Operations in each group's checked history (one entry per group).</summary>
    public int[] OperationsPerGroup { get; init; } = [];

    /// <summary>Messages (or coalesced heartbeats) a server's hub dropped because they named a group it does not run.</summary>
    public int UnknownGroupDrops { get; init; }

    /// <summary>Messages naming a group no server runs, injected as a fault (multi-group runs).</summary>
    public int StrayMessages { get; init; }

    /// <summary>Ticks of idleness after which the agents quiesced (0: no quiescence in this run).</summary>
    public int QuiesceTicks { get; init; }

    /// <summary>Groups all of whose running replicas were quiesced when the quiet phase's fault struck.</summary>
    public int QuiescedGroupsAtFault { get; init; }

    /// <summary>Quiesced groups whose leader was on the server the quiet phase took away.</summary>
    public int QuiescedLeaderLosses { get; init; }

    /// <summary>Time from the quiet phase's fault until every group with a live majority had a leader (-1: no quiet phase).</summary>
    public long ReElectionTime { get; init; } = -1;

    /// <summary>Group heartbeats the servers' hubs folded into coalesced control messages.</summary>
    public long CoalescedHeartbeats { get; init; }

    /// <summary>Liveness pings the servers' hubs sent.</summary>
    public long LivenessPings { get; init; }

    /// <summary>Syncs of the servers' shared logs by their hubs (one per cycle that wrote and sent; multi-group runs).</summary>
    public long LogSyncs { get; init; }
    public long Time { get; init; }

    /// <summary>Operations in the checked history (completed and unknown).</summary>
    public int Operations { get; init; }

    public int UnknownOperations { get; init; }

    /// <summary>Unknown writes left out of the check because no node ever applied them.</summary>
    public int NeverAppliedUnknown { get; init; }

    /// <summary>Lease reads answered by a leader already superseded by a later term (left out unless strict).</summary>
    public int SupersededLeaseReads { get; init; }
    public int Leaders { get; init; }
    public ulong Committed { get; init; }
    public int Crashes { get; init; }
    public int ConfChanges { get; init; }
    public int SnapshotsRestored { get; init; }

    /// <summary>Hash of every event (time, kind, node) and of the number of random draws: equal for identical runs, traced or not.</summary>
    public ulong Fingerprint { get; init; }

    public LinearizabilityResult? Linearizability { get; init; }

    /// <summary>The most events ever pending at once (messages in flight, timers): how bursty the run got.</summary>
    public int PeakPendingEvents { get; init; }

    /// <summary>Search steps the linearizability checker took on this run's history.</summary>
    public long CheckerSteps { get; init; }

    /// <summary>
    /// The checker could not decide the history as recorded and it was checked again with the
    /// unknown outcomes resolved from the applies (a stricter history).
    /// </summary>
    public bool ResolvedUnknownOutcomes { get; init; }

    public bool Passed => Invariant is null;
}
