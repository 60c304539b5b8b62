namespace FastRaft.Hosting.Groups;

/// <summary>
/// What a <see cref="RaftGroupHost"/>'s shared transport hub has done since it started (a
/// snapshot; read <see cref="RaftGroupHost.TransportCounters"/> again for newer values).
/// </summary>
public sealed class GroupTransportCounters
{
    /// <summary>Inbound messages handed to their group (heartbeats fanned out of a control message included).</summary>
    public long MessagesRouted { get; init; }

    /// <summary>Inbound messages for a group id this host does not run (or no longer runs): dropped.</summary>
    public long UnknownGroupDrops { get; init; }

    /// <summary>Inbound group-0 (control) messages that were malformed or of a kind this hub does not understand: dropped.</summary>
    public long ControlDrops { get; init; }

    /// <summary>Outbound messages dropped because the hub's queue was full or the hub had stopped (as a network would drop them).</summary>
    public long OutboundDrops { get; init; }

    /// <summary>Batches the groups handed to the hub (one per group flush).</summary>
    public long OutboundBatches { get; init; }

    /// <summary>Messages handed to the process transport (a control message counts once).</summary>
    public long MessagesSent { get; init; }

    /// <summary>Flushes of the process transport: at most one per hub cycle, whatever the number of groups.</summary>
    public long Flushes { get; init; }

    /// <summary>Shared-log syncs the hub made before sending (<c>IGroupCommit.SyncWrites</c>).</summary>
    public long Syncs { get; init; }

    /// <summary>Heartbeats and heartbeat responses that travelled inside a coalesced control message instead of alone.</summary>
    public long CoalescedHeartbeats { get; init; }

    /// <summary>Coalesced heartbeat control messages sent.</summary>
    public long HeartbeatControlMessages { get; init; }

    /// <summary>Liveness pings sent.</summary>
    public long LivenessPings { get; init; }
}

/// <summary>The hub's live counts (written by the hub's thread and by delivering transport threads).</summary>
internal sealed class HubCounters
{
    public long MessagesRouted;
    public long UnknownGroupDrops;
    public long ControlDrops;
    public long OutboundDrops;
    public long OutboundBatches;
    public long MessagesSent;
    public long Flushes;
    public long Syncs;
    public long CoalescedHeartbeats;
    public long HeartbeatControlMessages;
    public long LivenessPings;

    public GroupTransportCounters Snapshot() => new()
    {
        MessagesRouted = Interlocked.Read(ref MessagesRouted),
        UnknownGroupDrops = Interlocked.Read(ref UnknownGroupDrops),
        ControlDrops = Interlocked.Read(ref ControlDrops),
        OutboundDrops = Interlocked.Read(ref OutboundDrops),
        OutboundBatches = Interlocked.Read(ref OutboundBatches),
        MessagesSent = Interlocked.Read(ref MessagesSent),
        Flushes = Interlocked.Read(ref Flushes),
        Syncs = Interlocked.Read(ref Syncs),
        CoalescedHeartbeats = Interlocked.Read(ref CoalescedHeartbeats),
        HeartbeatControlMessages = Interlocked.Read(ref HeartbeatControlMessages),
        LivenessPings = Interlocked.Read(ref LivenessPings),
    };
}
