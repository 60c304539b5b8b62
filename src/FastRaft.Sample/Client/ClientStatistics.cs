namespace FastRaft.Sample.Client;

/// <summary>What an <see cref="OrderClient"/> has seen so far; written by its loop, readable from any thread.</summary>
public sealed class ClientStatistics
{
    internal long AckedCount;
    internal long PlacedCount;
    internal long CancelledCount;
    internal long CancelMissedCount;
    internal long RejectedCount;
    internal long TradesCount;
    internal long VolumeCount;
    internal long DuplicateCount;
    internal long RedirectCount;
    internal long TimeoutCount;
    internal long RetryCount;
    internal long UnavailableCount;
    internal long BadRequestCount;
    internal long LongestGapTicks;
    internal long ConnectCount;
    internal long ConnectFailureCount;
    internal long DisconnectCount;

    /// <summary>Connections opened to nodes' gateways.</summary>
    public long Connects => Interlocked.Read(ref ConnectCount);

    /// <summary>Connection attempts that failed (the node was down or unreachable).</summary>
    public long ConnectFailures => Interlocked.Read(ref ConnectFailureCount);

    /// <summary>Connections found closed (by the node, or broken); what was outstanding on them was resent.</summary>
    public long Disconnects => Interlocked.Read(ref DisconnectCount);

    /// <summary>Commands answered Ok (each session's sequence numbers, once each).</summary>
    public long Acked => Interlocked.Read(ref AckedCount);

    /// <summary>Orders placed (acknowledged as accepted).</summary>
    public long Placed => Interlocked.Read(ref PlacedCount);

    /// <summary>Cancels that removed a resting order.</summary>
    public long Cancelled => Interlocked.Read(ref CancelledCount);

    /// <summary>Cancels that came too late: the order had traded away already (rejected as UnknownOrder).</summary>
    public long CancelsMissed => Interlocked.Read(ref CancelMissedCount);

    /// <summary>Other rejected commands (the flow sends a few invalid orders on purpose).</summary>
    public long Rejected => Interlocked.Read(ref RejectedCount);

    /// <summary>Trades made by the acknowledged orders.</summary>
    public long Trades => Interlocked.Read(ref TradesCount);

    /// <summary>Quantity filled by the acknowledged orders.</summary>
    public long Volume => Interlocked.Read(ref VolumeCount);

    /// <summary>Acknowledgements that were the stored answer to a resend (the command had been applied already).</summary>
    public long Duplicates => Interlocked.Read(ref DuplicateCount);

    /// <summary>NotLeader answers (the client then follows the hint or tries another node).</summary>
    public long Redirects => Interlocked.Read(ref RedirectCount);

    /// <summary>Requests resent because no answer came in time (a dead node, a lost datagram).</summary>
    public long Timeouts => Interlocked.Read(ref TimeoutCount);

    /// <summary>Proposals lost to a leader change, resent at once.</summary>
    public long Retries => Interlocked.Read(ref RetryCount);

    /// <summary>Unavailable answers (no quorum, overloaded, stopping).</summary>
    public long Unavailable => Interlocked.Read(ref UnavailableCount);

    /// <summary>Commands a node refused as malformed (never expected from this client).</summary>
    public long BadRequests => Interlocked.Read(ref BadRequestCount);

    /// <summary>The longest time between two acknowledgements while the flow ran.</summary>
    public TimeSpan LongestGap => TimeSpan.FromTicks(Interlocked.Read(ref LongestGapTicks));
}

/// <summary>How one client session ended.</summary>
/// <param name="ClientId">The session's client id.</param>
/// <param name="Acked">Commands acknowledged.</param>
/// <param name="LastAckedSequence">The last acknowledged sequence number.</param>
/// <param name="Unresolved">A command was still unanswered when the client gave up draining: it may or may not have been applied.</param>
public readonly record struct SessionOutcome(ulong ClientId, long Acked, ulong LastAckedSequence, bool Unresolved);
