namespace FastRaft.Core;

/// <summary>
/// How many peer messages a node refused, by reason (one property per Refused*
/// <see cref="StepResult"/>): a point-in-time copy, each count read atomically.
/// </summary>
public readonly record struct RefusalCounts
{
    /// <summary><see cref="StepResult.RefusedTermTooHigh"/>.</summary>
    public long TermTooHigh { get; init; }

    /// <summary><see cref="StepResult.RefusedMissingTerm"/>.</summary>
    public long MissingTerm { get; init; }

    /// <summary><see cref="StepResult.RefusedFromSelf"/>.</summary>
    public long FromSelf { get; init; }

    /// <summary><see cref="StepResult.RefusedIndexTooHigh"/>.</summary>
    public long IndexTooHigh { get; init; }

    /// <summary><see cref="StepResult.RefusedInconsistentTerms"/>.</summary>
    public long InconsistentTerms { get; init; }

    /// <summary><see cref="StepResult.RefusedEntriesNotContiguous"/>.</summary>
    public long EntriesNotContiguous { get; init; }

    /// <summary><see cref="StepResult.RefusedUnknownType"/>.</summary>
    public long UnknownType { get; init; }

    /// <summary><see cref="StepResult.RefusedMalformedConfChange"/>.</summary>
    public long MalformedConfChange { get; init; }

    /// <summary><see cref="StepResult.RefusedCommitBeyondLog"/>.</summary>
    public long CommitBeyondLog { get; init; }

    /// <summary><see cref="StepResult.RefusedAckBeyondLog"/>.</summary>
    public long AckBeyondLog { get; init; }

    /// <summary><see cref="StepResult.RefusedReadAckBeyondQueue"/>.</summary>
    public long ReadAckBeyondQueue { get; init; }

    /// <summary><see cref="StepResult.RefusedEmptyProposal"/>.</summary>
    public long EmptyProposal { get; init; }

    /// <summary><see cref="StepResult.RefusedInvalidSnapshot"/>.</summary>
    public long InvalidSnapshot { get; init; }

    /// <summary>Every refusal, whatever the reason.</summary>
    public long Total => TermTooHigh + MissingTerm + FromSelf + IndexTooHigh + InconsistentTerms
        + EntriesNotContiguous + UnknownType + MalformedConfChange + CommitBeyondLog + AckBeyondLog
        + ReadAckBeyondQueue + EmptyProposal + InvalidSnapshot;

    /// <summary>The count for one refusal reason; 0 for a result that is not a refusal.</summary>
    public long this[StepResult reason] => reason switch
    {
        StepResult.RefusedTermTooHigh => TermTooHigh,
        StepResult.RefusedMissingTerm => MissingTerm,
        StepResult.RefusedFromSelf => FromSelf,
        StepResult.RefusedIndexTooHigh => IndexTooHigh,
        StepResult.RefusedInconsistentTerms => InconsistentTerms,
        StepResult.RefusedEntriesNotContiguous => EntriesNotContiguous,
        StepResult.RefusedUnknownType => UnknownType,
        StepResult.RefusedMalformedConfChange => MalformedConfChange,
        StepResult.RefusedCommitBeyondLog => CommitBeyondLog,
        StepResult.RefusedAckBeyondLog => AckBeyondLog,
        StepResult.RefusedReadAckBeyondQueue => ReadAckBeyondQueue,
        StepResult.RefusedEmptyProposal => EmptyProposal,
        StepResult.RefusedInvalidSnapshot => InvalidSnapshot,
        _ => 0,
    };
}

/// <summary>
/// The counters behind <see cref="RefusalCounts"/>: one per refusal reason, bumped by the one
/// thread that steps the node and readable from any thread. Counting allocates nothing.
/// </summary>
internal sealed class RefusalTally
{
    private const StepResult First = StepResult.RefusedTermTooHigh;
    private const int Reasons = StepResult.RefusedInvalidSnapshot - First + 1;

    private readonly long[] _counts = new long[Reasons];

    /// <summary>Counts one refusal; results that are not refusals are ignored.</summary>
    public void Add(StepResult r)
    {
        if (r.IsRefused())
        {
            _counts[r - First]++;
        }
    }

    public RefusalCounts Snapshot() => new()
    {
        TermTooHigh = Read(StepResult.RefusedTermTooHigh),
        MissingTerm = Read(StepResult.RefusedMissingTerm),
        FromSelf = Read(StepResult.RefusedFromSelf),
        IndexTooHigh = Read(StepResult.RefusedIndexTooHigh),
        InconsistentTerms = Read(StepResult.RefusedInconsistentTerms),
        EntriesNotContiguous = Read(StepResult.RefusedEntriesNotContiguous),
        UnknownType = Read(StepResult.RefusedUnknownType),
        MalformedConfChange = Read(StepResult.RefusedMalformedConfChange),
        CommitBeyondLog = Read(StepResult.RefusedCommitBeyondLog),
        AckBeyondLog = Read(StepResult.RefusedAckBeyondLog),
        ReadAckBeyondQueue = Read(StepResult.RefusedReadAckBeyondQueue),
        EmptyProposal = Read(StepResult.RefusedEmptyProposal),
        InvalidSnapshot = Read(StepResult.RefusedInvalidSnapshot),
    };

    private long Read(StepResult r) => Volatile.Read(ref _counts[r - First]);
}
