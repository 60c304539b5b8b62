namespace FastRaft.LoadTest.Targets;

/// <summary>
/// A replicated log under load: a cluster started in this process that commits proposals. The
/// workload calls <see cref="ProposeAsync"/> from many threads at once; it must never throw
/// (failures are outcomes) and must not keep the payload's memory beyond the returned task.
/// </summary>
public interface ILoadTarget : IAsyncDisposable
{
    /// <summary>One line on how the target is set up (transport, storage, timeouts), for the reports.</summary>
    string Setup { get; }

    /// <summary>Starts the cluster; returns once a leader accepts proposals.</summary>
    Task StartAsync(CancellationToken cancellation);

    /// <summary>Fills a proposal's payload (the buffer has the configured payload size).</summary>
    void WritePayload(Span<byte> destination, long sequence);

    /// <summary>
    /// The target's own counters now (messages, datagrams, Readys...), by name; the runner reports
    /// their change over each measured window. Empty when the target has none.
    /// </summary>
    IReadOnlyDictionary<string, long> Counters();

    /// <summary>Proposes <paramref name="payload"/> through the current leader; completes when it is committed, or why not.</summary>
    ValueTask<ProposalOutcome> ProposeAsync(ReadOnlyMemory<byte> payload);

    /// <summary>
    /// Independent replicated logs the target spreads load over (Raft groups); 1 for a single
    /// group. Workloads send client <c>c</c>'s proposals to lane <c>c % Lanes</c> and the meter
    /// keeps a latency histogram per lane when there is more than one.
    /// </summary>
    int Lanes => 1;

    /// <summary>Proposes <paramref name="payload"/> to lane <paramref name="lane"/> (0 ≤ lane &lt; <see cref="Lanes"/>).</summary>
    ValueTask<ProposalOutcome> ProposeAsync(int lane, ReadOnlyMemory<byte> payload) => ProposeAsync(payload);
}

/// <summary>How one proposal ended.</summary>
public enum ProposalOutcome
{
    /// <summary>Committed (and, where the target has a state machine, applied on the leader).</summary>
    Committed = 0,

    /// <summary>No leader was known, or the node asked was no longer the leader.</summary>
    NotLeader,

    /// <summary>The leader refused it without appending it (queue full, proposal dropped).</summary>
    Rejected,

    /// <summary>It was appended but its fate is unknown or it was overwritten (leader change).</summary>
    Lost,

    /// <summary>Any other failure (timeout, transport error, shutdown, an exception).</summary>
    Error,
}
