using System.Threading.Tasks.Sources;

namespace FastRaft.LoadTest.Targets.Gateway;

/// <summary>
/// One request of a <see cref="GatewayLoadConnection"/> awaiting its reply: the source of the
/// <see cref="ValueTask{TResult}"/> the workload awaits, reused for the connection's life (it goes
/// back to the connection's free list when its result is read). Its index in the connection's
/// table and its generation make the wire request id, so a reply finds it without a search and a
/// reply that is not for its current use is recognised. Completion runs the awaiting
/// continuation inline, on the thread that read the reply.
/// </summary>
internal sealed class GatewayRequest : IValueTaskSource<ProposalOutcome>
{
    private readonly GatewayLoadConnection _owner;
    private ManualResetValueTaskSourceCore<ProposalOutcome> _core;

    public GatewayRequest(GatewayLoadConnection owner, int index)
    {
        _owner = owner;
        Index = index;
        _core.RunContinuationsAsynchronously = false;
    }

    /// <summary>Where the request sits in its connection's table (the low half of its request id).</summary>
    public int Index { get; }

    /// <summary>Bumped at every use (the high half of its request id).</summary>
    public uint Generation { get; private set; }

    /// <summary>Sent and not yet answered. Set under the connection's lock, cleared by the receiving loop.</summary>
    public bool Armed { get; private set; }

    /// <summary>The wire request id of the current use.</summary>
    public ulong RequestId => ((ulong)Generation << 32) | (uint)Index;

    /// <summary>The task the workload awaits for the current use.</summary>
    public ValueTask<ProposalOutcome> Task => new(this, _core.Version);

    /// <summary>Takes the request for a new send (under the connection's lock).</summary>
    public void Arm()
    {
        Generation++;
        Armed = true;
    }

    /// <summary>Ends the current use with <paramref name="outcome"/>; false when it was not armed.</summary>
    public bool TryComplete(ProposalOutcome outcome)
    {
        if (!Armed)
        {
            return false;
        }
        Armed = false;
        _core.SetResult(outcome);
        return true;
    }

    public ProposalOutcome GetResult(short token)
    {
        ProposalOutcome outcome = _core.GetResult(token);
        _core.Reset();
        _owner.Return(this);
        return outcome;
    }

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
