using System.Threading.Tasks.Sources;
using FastRaft.Core;

namespace FastRaft.Hosting.Requests;

/// <summary>A pooled linearizable read: waits for its read index, then for the local apply to reach it.</summary>
internal sealed class ReadOperation : RequestOperation, IValueTaskSource<ReadResult>
{
    private readonly OperationPool<ReadOperation> _pool;
    private ManualResetValueTaskSourceCore<ReadResult> _core;

    /// <param name="pool">The pool this operation returns itself to once its result is read.</param>
    /// <param name="runContinuationsInline">Run the awaiting caller's continuation on the completing (node) thread.</param>
    public ReadOperation(OperationPool<ReadOperation> pool, bool runContinuationsInline)
    {
        _pool = pool;
        _core.RunContinuationsAsynchronously = !runContinuationsInline;
    }

    public override RequestKind Kind => RequestKind.Read;

    public short Version => _core.Version;

    /// <summary>The id carried as the ReadIndex request context (node thread only).</summary>
    public ulong RequestId { get; set; }

    /// <summary>The index the read must wait for once the leader answered (node thread only).</summary>
    public ulong ReadIndex { get; set; }

    public void Complete(ulong readIndex) => _core.SetResult(new ReadResult(RequestStatus.Ok, readIndex, 0));

    public override void Fail(RequestStatus status, ulong leaderHint = 0, StepResult dropReason = StepResult.Ok) =>
        _core.SetResult(new ReadResult(status, 0, leaderHint));

    public void ReturnUnused() => Recycle();

    public ReadResult GetResult(short token)
    {
        ReadResult result = _core.GetResult(token);
        Recycle();
        return result;
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private void Recycle()
    {
        _core.Reset();
        RequestId = 0;
        ReadIndex = 0;
        _pool.Return(this);
    }
}
