namespace FastRaft.Core;

/// <summary>
/// Upper bounds on the terms and indexes a node accepts, so that no arithmetic on them
/// (<c>Term + 1</c>, <c>Index + 1</c>, an index plus an entry count) can ever wrap around.
/// </summary>
/// <remarks>
/// A term grows by one per election and an index by one per entry: even at a million of
/// either per second, reaching 2^62 takes about 146,000 years, so no honest cluster gets
/// near these bounds. A value above them can only come from a faulty or hostile peer or from
/// corrupted storage; such a message is refused (<see cref="StepResult.RefusedTermTooHigh"/>,
/// <see cref="StepResult.RefusedIndexTooHigh"/>) and such storage refused when a node is built.
/// A node at <see cref="MaxTerm"/> does not campaign (it would need the next term); it can still
/// follow, or lead if it already does.
/// </remarks>
public static class RaftLimits
{
    /// <summary>The highest term a node takes on or accepts from a peer.</summary>
    public const ulong MaxTerm = 1UL << 62;

    /// <summary>The highest log index a node accepts from a peer.</summary>
    public const ulong MaxIndex = 1UL << 62;
}
