using System.Diagnostics.CodeAnalysis;
using FastRaft.Core;

namespace FastRaft.Hosting;

/// <summary>A failed request, for callers that prefer exceptions to checking a result's status.</summary>
public sealed class RaftRequestException : Exception
{
    public RaftRequestException(RequestStatus status, ulong leaderHint, StepResult dropReason)
        : base(Describe(status, leaderHint, dropReason))
    {
        Status = status;
        LeaderHint = leaderHint;
        DropReason = dropReason;
    }

    public RaftRequestException()
    {
    }

    public RaftRequestException(string message) : base(message)
    {
    }

    public RaftRequestException(string message, Exception innerException) : base(message, innerException)
    {
    }

    public RequestStatus Status { get; }

    public ulong LeaderHint { get; }

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
