using FastRaft.Hosting.Idle;

namespace FastRaft.Hosting.Groups;

/// <summary>How a <see cref="RaftGroupHost"/> runs its groups.</summary>
public sealed class RaftGroupHostOptions
{
    /// <summary>
    /// Runner threads the host drives every group on (default: one per core). Each thread runs
    /// its share of the groups one duty cycle after another, so this, not the number of groups,
    /// bounds the threads. At least 1.
    /// </summary>
    public int RunnerThreads { get; init; } = Environment.ProcessorCount;

    /// <summary>
    /// With a shared transport and more than one runner: runner 0 carries only the transport hub
    /// and the groups go to the others. Every wake of the hub (each peer's liveness pings, each
    /// inbound batch) then stops making a runner look over its groups for input: for thousands of
    /// mostly idle groups this cuts the idle cost several times over. Under steady load it adds a
    /// thread hop to every message, which costs throughput on few cores (see README, "Many Raft
    /// groups in one process"). Default false.
    /// </summary>
    public bool DedicatedTransportRunner { get; init; }

    /// <summary>Builds the idle strategy of each runner thread (default: <see cref="ParkingIdleStrategy"/>).</summary>
    public Func<IIdleStrategy> IdleStrategy { get; init; } = static () => new ParkingIdleStrategy();

    /// <summary>
    /// The clock of every group of the host: a group's <see cref="RaftNodeOptions.Time"/> must be
    /// this one (default <see cref="TimeProvider.System"/>).
    /// </summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;

    /// <summary>
    /// With a shared transport: how often the host sends a liveness ping to every peer node, whatever
    /// the groups send (default 30 ms, three default ticks). Positive.
    /// </summary>
    public TimeSpan LivenessInterval { get; init; } = TimeSpan.FromMilliseconds(30);

    /// <summary>
    /// With a shared transport: a peer node heard from (any message) within this long is live
    /// (<see cref="RaftGroupHost.Liveness"/>; default 100 ms, a default election timeout). Must
    /// exceed <see cref="LivenessInterval"/>.
    /// </summary>
    public TimeSpan LivenessTimeout { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Whether each group publishes its own "FastRaft.Node" meter (default false). A host may run
    /// thousands of groups: a meter per group holds about 3.5 KB of instruments per replica (most
    /// of an idle group's heap) and gives an exporter a series per instrument and group. The host
    /// publishes its own meter instead (<see cref="RaftGroupHost.MeterName"/>), with the groups'
    /// counts summed. When true, a group publishes its meter if its own
    /// <see cref="RaftNodeOptions.PublishMeter"/> is true too; either way each group's
    /// <see cref="RaftNode{TResult}.Counters"/> stays available.
    /// </summary>
    public bool PublishGroupMeters { get; init; }

    /// <summary>
    /// The runner threads' name prefix (threads are named prefix-0, prefix-1, ...), also the
    /// host meter's <see cref="RaftGroupHost.HostTag"/> tag.
    /// </summary>
    public string Name { get; init; } = "raft-groups";

    /// <summary>
    /// Spreads the groups' leaders over the nodes (default false). Each group prefers one voter:
    /// the one at position <c>groupId mod voterCount</c> of its voters sorted by id, so groups
    /// with the same members are led evenly by every node. A replica of this host that wins an
    /// election and is not its group's preferred voter transfers leadership there (the preferred
    /// voter is first brought up to date) at most once per term; it keeps leadership it was handed
    /// on purpose (<see cref="RaftGroupHost.TransferLeadershipAsync"/>), and does not try when
    /// the preferred voter's node is known not to be live. Every host of a group should use the
    /// same setting.
    /// </summary>
    public bool SpreadLeaders { get; init; }
}
