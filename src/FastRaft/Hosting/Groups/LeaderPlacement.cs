namespace FastRaft.Hosting.Groups;

/// <summary>
/// Where a host wants its groups' leaders (<see cref="RaftGroupHostOptions.SpreadLeaders"/>):
/// each group prefers one voter, chosen by its id from its sorted voters, so the leaders of many
/// groups with the same members fall evenly on the nodes, and every replica of a group computes
/// the same preference without talking. Also the host's placement counters.
/// </summary>
internal sealed class LeaderPlacement
{
    private long _transfersStarted;
    private long _transfersDone;
    private long _transfersFailed;
    private long _skippedNotLive;
    private long _keptHandedOver;

    /// <summary>When set, a preferred voter whose node is not live is not asked to lead.</summary>
    public INodeLiveness? Liveness { get; set; }

    /// <summary>How often a leader whose preferred voter is not live looks again.</summary>
    public TimeSpan LivenessCheckInterval { get; set; } = TimeSpan.FromMilliseconds(30);

    /// <summary>How many times it looks before giving up on the term.</summary>
    public int LivenessChecks { get; set; } = 10;

    /// <summary>Transfers to a preferred voter begun after an election.</summary>
    public long TransfersStarted => Interlocked.Read(ref _transfersStarted);

    /// <summary>Of those, the ones that ended with the preferred voter leading.</summary>
    public long TransfersDone => Interlocked.Read(ref _transfersDone);

    /// <summary>Of those, the ones that did not (timed out, leadership lost, shut down).</summary>
    public long TransfersFailed => Interlocked.Read(ref _transfersFailed);

    /// <summary>Elections won here where the preferred voter's node stayed not live, so it was not asked.</summary>
    public long SkippedNotLive => Interlocked.Read(ref _skippedNotLive);

    /// <summary>Elections won here after leadership was handed over on purpose (kept, not spread).</summary>
    public long KeptHandedOver => Interlocked.Read(ref _keptHandedOver);

    /// <summary>
    /// The voter group <paramref name="groupId"/> prefers as leader: the one at position
    /// <c>groupId mod count</c> of its <paramref name="sortedVoters"/>; 0 when it has none.
    /// </summary>
    public static ulong PreferredLeader(ulong groupId, ReadOnlySpan<ulong> sortedVoters) =>
        sortedVoters.IsEmpty ? 0 : sortedVoters[(int)(groupId % (ulong)sortedVoters.Length)];

    internal void CountStarted() => Interlocked.Increment(ref _transfersStarted);

    internal void CountEnded(bool done) => Interlocked.Increment(ref done ? ref _transfersDone : ref _transfersFailed);

    internal void CountSkippedNotLive() => Interlocked.Increment(ref _skippedNotLive);

    internal void CountKeptHandedOver() => Interlocked.Increment(ref _keptHandedOver);
}
