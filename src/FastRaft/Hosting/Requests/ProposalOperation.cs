using System.Numerics;
using System.Threading.Tasks.Sources;
using FastRaft.Core;

namespace FastRaft.Hosting.Requests;

/// <summary>
/// A pooled proposal: the payload copy and the awaitable completion. It returns itself to its
/// pool when the awaiting caller reads the result, so a proposal allocates nothing once warm.
/// </summary>
internal sealed class ProposalOperation<TResult> : RequestOperation, IValueTaskSource<ProposeResult<TResult>>
    where TResult : struct
{
    /// <summary>Payload buffers above this size are not kept when the operation goes back to the pool.</summary>
    private const int MaxRetainedPayload = 64 * 1024;

    private readonly OperationPool<ProposalOperation<TResult>> _pool;
    private ManualResetValueTaskSourceCore<ProposeResult<TResult>> _core;
    private byte[] _payload = [];
    private int _length;

    /// <param name="pool">The pool this operation returns itself to once its result is read.</param>
    /// <param name="runContinuationsInline">Run the awaiting caller's continuation on the completing (node) thread.</param>
    public ProposalOperation(OperationPool<ProposalOperation<TResult>> pool, bool runContinuationsInline)
    {
        _pool = pool;
        _core.RunContinuationsAsynchronously = !runContinuationsInline;
    }

    public override RequestKind Kind => RequestKind.Propose;

    public short Version => _core.Version;

    /// <summary>The proposal's own copy of the payload (the core copies it again when proposing).</summary>
    public ReadOnlyMemory<byte> Payload => new(_payload, 0, _length);

    /// <summary>Copies the caller's payload so the caller may reuse its buffer at once.</summary>
    public void SetPayload(ReadOnlySpan<byte> data)
    {
        if (_payload.Length < data.Length)
        {
            _payload = new byte[BitOperations.RoundUpToPowerOf2((uint)data.Length)];
        }
        data.CopyTo(_payload);
        _length = data.Length;
    }

    public void Complete(in ProposeResult<TResult> result) => _core.SetResult(result);

    public override void Fail(RequestStatus status, ulong leaderHint = 0, StepResult dropReason = StepResult.Ok) =>
        _core.SetResult(ProposeResult<TResult>.Failed(status, leaderHint, dropReason));

    /// <summary>Puts back an operation that was never handed to a caller.</summary>
    public void ReturnUnused() => Recycle();

    public ProposeResult<TResult> GetResult(short token)
    {
        ProposeResult<TResult> result = _core.GetResult(token);
        Recycle();
        return result;
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private void Recycle()
    {
        _core.Reset();
        _length = 0;
        if (_payload.Length > MaxRetainedPayload)
        {
            _payload = [];
        }
        _pool.Return(this);
    }
}
