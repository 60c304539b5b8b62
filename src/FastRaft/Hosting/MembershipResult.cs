using FastRaft.Core;
using FastRaft.Protocol;

namespace FastRaft.Hosting;

/// <summary>
/// The outcome of a membership change. On <see cref="RequestStatus.Ok"/> the change was committed
/// and applied here at <see cref="Index"/>, and <see cref="ConfState"/> is the resulting membership.
/// </summary>
public readonly record struct MembershipResult(
    RequestStatus Status, ulong Index, ConfState? ConfState, ulong LeaderHint, StepResult DropReason)
{
    /// <summary>Whether the change was committed and applied (<see cref="RequestStatus.Ok"/>).</summary>
    public bool IsOk => Status == RequestStatus.Ok;
}
