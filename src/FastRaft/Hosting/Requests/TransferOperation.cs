using FastRaft.Core;

namespace FastRaft.Hosting.Requests;

/// <summary>A leadership transfer (rare, so not pooled): completes when the target is seen leading.</summary>
internal sealed class TransferOperation(ulong target, bool runContinuationsInline) : RequestOperation
{
    private readonly TaskCompletionSource<TransferResult> _done = new(runContinuationsInline ? TaskCreationOptions.None : TaskCreationOptions.RunContinuationsAsynchronously);

    public override RequestKind Kind => RequestKind.Transfer;

    public ulong Target { get; } = target;

    /// <summary>The tick count after which the transfer is given up (node thread only).</summary>
    public long DeadlineTick { get; set; }

    public Task<TransferResult> Task => _done.Task;

    public void Complete(ulong leader) => _done.TrySetResult(new TransferResult(RequestStatus.Ok, leader));

    public override void Fail(RequestStatus status, ulong leaderHint = 0, StepResult dropReason = StepResult.Ok) =>
        _done.TrySetResult(new TransferResult(status, leaderHint));
}
