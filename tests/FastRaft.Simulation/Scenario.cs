using System.Globalization;
using System.Text;
using FastRaft.Core;

namespace FastRaft.Simulation;

/// <summary>
/// Everything a seed decides before the run starts: cluster shape, Raft options, fault rates
/// and workload. Drawn from the run's single random source, so the seed alone determines it.
/// Time is in simulation units; a node ticks about every <see cref="BaseTickPeriod"/> units.
/// </summary>
public sealed class Scenario
{
    public const long BaseTickPeriod = 10;

    public ulong Seed { get; init; }
    public int Voters { get; init; }
    public bool PreVote { get; init; }
    public bool CheckQuorum { get; init; }
    public ReadOnlyOption ReadOnlyOption { get; init; }
    public bool StepDownOnRemoval { get; init; }
    public int ElectionTick { get; init; }
    public int HeartbeatTick { get; init; }
    public ulong MaxSizePerMsg { get; init; }
    public int MaxInflightMsgs { get; init; }
    public ulong MaxUncommittedEntriesSize { get; init; }

    /// <summary>How far a node's tick period may stray from the base period (uneven clocks).</summary>
    public long TickSkew { get; init; }

    public long MinDelay { get; init; }
    public long MaxDelay { get; init; }
    public double DropRate { get; init; }
    public double DuplicateRate { get; init; }

    /// <summary>Chance that a message is held back much longer than usual (reordering).</summary>
    public double LongDelayRate { get; init; }

    /// <summary>Mean time between faults (partitions, crashes, transfers, ...).</summary>
    public long MeanFaultInterval { get; init; }

    /// <summary>Mean time between membership changes; 0 disables them.</summary>
    public long MeanConfChangeInterval { get; init; }

    /// <summary>A node snapshots and compacts once this many entries were applied since its last snapshot.</summary>
    public ulong SnapshotEvery { get; init; }

    /// <summary>Entries kept before the snapshot index when compacting.</summary>
    public ulong CompactionLag { get; init; }

    public int Keys { get; init; }
    public int Clients { get; init; }
    public long ClientThinkTime { get; init; }
    public long ClientTimeout { get; init; }

    /// <summary>Length of the faulty part of the run; a calm phase follows.</summary>
    public long FaultyDuration { get; init; }

    /// <summary>The longest the calm phase may last: the cluster must have recovered by then.</summary>
    public long CalmDuration { get; init; }

    /// <summary>At most this many nodes may ever exist (initial voters plus joiners).</summary>
    public int MaxNodes { get; init; }

    /// <summary>
    /// The agents run request continuations inline (RaftNodeOptions.RunContinuationsInline): a
    /// client learns its outcome inside the duty cycle that completes it, and sometimes issues its
    /// next operation right there, which the agent carries out in the same cycle.
    /// </summary>
    public bool ContinuationsInline { get; init; }

    public static Scenario Draw(ulong seed, SimRandom r, long faultyDuration)
    {
        bool checkQuorum = r.Chance(0.5);
        int voters = r.Chance(0.5) ? 3 : 5;
        return new Scenario
        {
            Seed = seed,
            Voters = voters,
            PreVote = r.Chance(0.5),
            CheckQuorum = checkQuorum,
            ReadOnlyOption = checkQuorum && r.Chance(0.5) ? ReadOnlyOption.LeaseBased : ReadOnlyOption.Safe,
            StepDownOnRemoval = r.Chance(0.5),
            ElectionTick = r.Chance(0.7) ? 10 : 20,
            HeartbeatTick = r.Chance(0.7) ? 1 : 3,
            MaxSizePerMsg = r.Pick<ulong>([100, 1024, ulong.MaxValue]),
            MaxInflightMsgs = r.Pick([1, 4, 256]),
            MaxUncommittedEntriesSize = r.Chance(0.2) ? 512UL : 0UL,
            TickSkew = r.Pick<long>([0, 1, 3]),
            MinDelay = 1,
            MaxDelay = r.Pick<long>([2, 5, 12]),
            DropRate = r.Pick([0.0, 0.01, 0.05, 0.15]),
            DuplicateRate = r.Pick([0.0, 0.02, 0.1]),
            LongDelayRate = r.Pick([0.0, 0.02, 0.08]),
            MeanFaultInterval = r.Pick<long>([150, 400, 1000]),
            MeanConfChangeInterval = r.Chance(0.6) ? r.Pick<long>([300, 800]) : 0,
            SnapshotEvery = r.Pick<ulong>([4, 15, 1_000_000]),
            CompactionLag = r.Pick<ulong>([0, 3]),
            Keys = r.Pick([1, 2, 3]),
            Clients = r.Pick([2, 3, 5]),
            ClientThinkTime = r.Pick<long>([5, 30]),
            ClientTimeout = r.Pick<long>([150, 400]),
            FaultyDuration = faultyDuration,
            CalmDuration = 10_000,
            MaxNodes = voters + 4,
            ContinuationsInline = r.Chance(0.5),
        };
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        CultureInfo c = CultureInfo.InvariantCulture;
        sb.Append(c, $"voters={Voters} prevote={PreVote} checkquorum={CheckQuorum} readonly={ReadOnlyOption} stepdownonremoval={StepDownOnRemoval}");
        sb.Append(c, $" election={ElectionTick} heartbeat={HeartbeatTick} maxsize={(MaxSizePerMsg == ulong.MaxValue ? "inf" : MaxSizePerMsg.ToString(c))}");
        sb.Append(c, $" inflight={MaxInflightMsgs} maxuncommitted={MaxUncommittedEntriesSize} tickskew={TickSkew} delay={MinDelay}..{MaxDelay}");
        sb.Append(c, $" drop={DropRate} dup={DuplicateRate} longdelay={LongDelayRate} faultevery={MeanFaultInterval} confchangeevery={MeanConfChangeInterval}");
        sb.Append(c, $" snapshotevery={SnapshotEvery} lag={CompactionLag} keys={Keys} clients={Clients} think={ClientThinkTime} timeout={ClientTimeout} inline={ContinuationsInline}");
        sb.Append(c, $" faulty={FaultyDuration} calm={CalmDuration}");
        return sb.ToString();
    }
}
