using FastRaft.Core;

namespace FastRaft.Hosting;

/// <summary>
/// The outcome of a proposal: on <see cref="RequestStatus.Ok"/> the entry's position and the state
/// machine's result for it; otherwise why it failed.
/// </summary>
/// <param name="Status">How the proposal ended.</param>
/// <param name="Index">The entry's log index (0 when it never reached the log).</param>
/// <param name="Term">The entry's term (0 when it never reached the log).</param>
/// <param name="Value">What the state machine returned for the entry (default unless Ok).</param>
/// <param name="LeaderHint">For <see cref="RequestStatus.NotLeader"/>: the leader this node knows of, or 0.</param>
/// <param name="DropReason">For <see cref="RequestStatus.Dropped"/>: the core's reason.</param>
public readonly record struct ProposeResult<TResult>(
    RequestStatus Status, ulong Index, ulong Term, TResult Value, ulong LeaderHint, StepResult DropReason)
    where TResult : struct
{
    /// <summary>Whether the entry was committed and applied (<see cref="RequestStatus.Ok"/>); then <see cref="Value"/> holds the state machine's result.</summary>
    public bool IsOk => Status == RequestStatus.Ok;

    /// <summary>The state machine's result, or a <see cref="RaftRequestException"/> describing the failure.</summary>
    public TResult GetValueOrThrow()
    {
        if (Status != RequestStatus.Ok)
        {
            RaftRequestException.Throw(Status, LeaderHint, DropReason);
        }
        return Value;
    }

    internal static ProposeResult<TResult> Applied(ulong index, ulong term, TResult value) =>
        new(RequestStatus.Ok, index, term, value, 0, StepResult.Ok);

    internal static ProposeResult<TResult> Failed(RequestStatus status, ulong leaderHint, StepResult reason) =>
        new(status, 0, 0, default, leaderHint, reason);
}
