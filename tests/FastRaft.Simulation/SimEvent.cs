using FastRaft.Protocol;

namespace FastRaft.Simulation;

internal enum EventKind
{
    /// <summary>A message reaches its destination's inbox (or is lost on the way).</summary>
    Deliver,

    /// <summary>A node's agent runs a duty cycle (its next tick is due, or input or a request woke it).</summary>
    Work,
    ClientAct,
    ClientTimeout,
    Fault,
    HealPartitions,
    ConfChange,
    Restart,
    Retire,
    SnapshotStatus,
    Unreachable,
    Calm,
    CheckRecovered,

    /// <summary>The quiet phase's fault: the server leading the most groups crashes or is isolated.</summary>
    QuietFault,

    /// <summary>Whether every group with a live majority has elected a leader since the quiet fault.</summary>
    QuietCheck,
}

/// <summary>Something that happens at a point of simulated time. Node events name the incarnation they belong to.</summary>
internal sealed class SimEvent
{
    public EventKind Kind { get; init; }

    /// <summary>The node the event happens at (for a delivery: the sender is Message.From).</summary>
    public ulong Node { get; init; }

    public int Incarnation { get; init; }

    public Message Message { get; init; }

    /// <summary>The other node (snapshot status, unreachable reports).</summary>
    public ulong Peer { get; init; }

    public bool Failure { get; init; }

    /// <summary>
    /// The group (index in the run's list) of a client, membership or replica event (0 in a
    /// single-group run); -1 for a delivery report to a multi-group server's process transport.
    /// </summary>
    public int Group { get; init; }

    public int Client { get; init; }

    public ulong Seq { get; init; }
}
