namespace FastRaft.LoadTest.Targets;

/// <summary>Where the nodes of a DotNext.Net.Cluster cluster keep their log.</summary>
public enum DotNextStorage
{
    /// <summary>
    /// <c>ConsensusOnlyState</c>: DotNext's in-memory state. It keeps only the terms of uncommitted
    /// entries, so payloads are neither stored nor sent to followers.
    /// </summary>
    ConsensusOnly,

    /// <summary><c>StateMachine.WriteAheadLog</c> with a no-op state machine (it flushes on every commit).</summary>
    WriteAheadLog,
}

/// <summary>A DotNext.Net.Cluster cluster's setup over its TCP transport.</summary>
public sealed class DotNextTargetOptions
{
    public DotNextStorage Storage { get; init; } = DotNextStorage.ConsensusOnly;

    /// <summary>Election timeout range in milliseconds (FastRaft's targets use 300 ms).</summary>
    public int LowerElectionTimeout { get; init; } = 300;

    public int UpperElectionTimeout { get; init; } = 600;

    /// <summary>The no-op state machine squashes this many entries into a snapshot (FastRaft's targets snapshot every 100,000).</summary>
    public long SnapshotEvery { get; init; } = 100_000;

    /// <summary>Fills proposals (default: <see cref="Payloads.WriteSequence"/>).</summary>
    public PayloadWriter PayloadWriter { get; init; } = Payloads.WriteSequence;
}
