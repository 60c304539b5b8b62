using FastRaft.Core;
using FastRaft.Protocol;

namespace FastRaft.Hosting.Requests;

/// <summary>A membership change (rare, so not pooled): completes when the change is applied here.</summary>
internal sealed class MembershipOperation(IConfChange change, bool runContinuationsInline) : RequestOperation
{
    private readonly TaskCompletionSource<MembershipResult> _done = new(runContinuationsInline ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously);

    public override RequestKind Kind => RequestKind.Membership;

    public IConfChange Change { get; } = change;

    public Task<MembershipResult> Task => _done.Task;

    public void Complete(ulong index, ConfState confState) =>
        _done.TrySetResult(new MembershipResult(RequestStatus.Ok, index, confState, 0, StepResult.Ok));

    public override void Fail(RequestStatus status, ulong leaderHint = 0, StepResult dropReason = StepResult.Ok) =>
        _done.TrySetResult(new MembershipResult(status, 0, null, leaderHint, dropReason));
}
