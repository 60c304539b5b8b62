namespace FastRaft.Simulation;

/// <summary>A safety property failed (or the core panicked); ends the run.</summary>
public sealed class InvariantViolation(string invariant, string detail) : Exception($"{invariant}: {detail}")
{
    /// <summary>The short name of the property, e.g. "log matching".</summary>
    public string Invariant { get; } = invariant;

    public string Detail { get; } = detail;
}
