using System.Diagnostics.CodeAnalysis;
using FastRaft.Core;

namespace FastRaft.Hosting;

/// <summary>A failed request, for callers that prefer exceptions to checking a result's status.</summary>
public sealed class RaftRequestException : Exception
{
    /// <summary>The failure of a request, with a message that says what happened.</summary>
    /// <param name="status">How the request ended (any value but <see cref="RequestStatus.Ok"/>).</param>
    /// <param name="leaderHint">For <see cref="RequestStatus.NotLeader"/>: the leader this node knows of, or 0.</param>
    /// <param name="dropReason">For <see cref="RequestStatus.Dropped"/>: the core's reason.</param>
    public RaftRequestException(RequestStatus status, ulong leaderHint, StepResult dropReason)
        : base(Describe(status, leaderHint, dropReason))
    {
        Status = status;
        LeaderHint = leaderHint;
        DropReason = dropReason;
    }

    /// <summary>A failed request with no status details (<see cref="Status"/> is its default).</summary>
    public RaftRequestException()
    {
    }

    /// <summary>A failed request described by <paramref name="message"/>, with no status details.</summary>
    /// <param name="message">What went wrong.</param>
    public RaftRequestException(string message) : base(message)
    {
    }

    /// <summary>A failed request described by <paramref name="message"/>, caused by <paramref name="innerException"/>.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The exception that caused the failure.</param>
    public RaftRequestException(string message, Exception innerException) : base(message, innerException)
    {
    }

    /// <summary>How the request ended.</summary>
    public RequestStatus Status { get; }

    /// <summary>For <see cref="RequestStatus.NotLeader"/>: the leader this node knows of (send the request there), or 0 when none is known.</summary>
    public ulong LeaderHint { get; }

    /// <summary>For <see cref="RequestStatus.Dropped"/>: why the core dropped the proposal; <see cref="StepResult.Ok"/> otherwise.</summary>
    public StepResult DropReason { get; }

    [DoesNotReturn]
    internal static void Throw(RequestStatus status, ulong leaderHint, StepResult dropReason) =>
        throw new RaftRequestException(status, leaderHint, dropReason);

    private static string Describe(RequestStatus status, ulong leaderHint, StepResult dropReason) => status switch
    {
        RequestStatus.NotLeader when leaderHint != 0 => $"not the leader; the leader is {leaderHint:x}",
        RequestStatus.NotLeader => "not the leader, and no leader is known",
        RequestStatus.Dropped => $"proposal dropped: {dropReason}",
        RequestStatus.Lost => "the entry was overwritten by another leader's entry",
        RequestStatus.Unknown => "the node skipped the entry with a snapshot; whether it committed is unknown",
        RequestStatus.Refused => "the leader refused the membership change",
        RequestStatus.TimedOut => "no answer within the deadline",
        RequestStatus.Overloaded => "the node's request queue is full",
        RequestStatus.ShuttingDown => "the node is shutting down",
        _ => status.ToString(),
    };
}
