using System.Diagnostics.CodeAnalysis;

namespace FastRaft.Hosting;

/// <summary>
/// A state machine's verdict on a snapshot's data (<see cref="IStateMachine{TResult}.ValidateSnapshot"/>):
/// restorable, or not and why.
/// </summary>
public readonly struct SnapshotValidationResult
{
    private SnapshotValidationResult(string failureReason) => FailureReason = failureReason;

    /// <summary>The data can be restored.</summary>
    public static SnapshotValidationResult Success => default;

    /// <summary>The data cannot be restored, for <paramref name="reason"/> (logged by the node).</summary>
    public static SnapshotValidationResult Fail(string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        return new SnapshotValidationResult(reason);
    }

    /// <summary>Whether the data can be restored; when false, <see cref="FailureReason"/> says why.</summary>
    [MemberNotNullWhen(false, nameof(FailureReason))]
    public bool Succeeded => FailureReason is null;

    /// <summary>Why the data cannot be restored; null on success.</summary>
    public string? FailureReason { get; }

    /// <summary>"restorable", or "not restorable: " followed by the reason.</summary>
    public override string ToString() => Succeeded ? "restorable" : $"not restorable: {FailureReason}";
}
