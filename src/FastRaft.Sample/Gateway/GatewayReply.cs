using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Sample.Matching;
using FastRaft.Sample.Protocol;

namespace FastRaft.Sample.Gateway;

/// <summary>
/// One reply on its way to a connection, pooled: filled where the answer is known (at once, or
/// when a proposal completes), queued on the connection, written and returned to the pool by its
/// writer. A submit that must wait for its proposal waits here, in a loop this slot keeps for its
/// whole life, so waiting for a proposal allocates nothing once the slot exists.
/// </summary>
internal sealed class GatewayReply
{
    private readonly AsyncSignal _start = new(runContinuationsAsynchronously: false);
    private ValueTask<ProposeResult<CommandResult>> _pending;
    private IProposalSink? _sink;
    private Task? _loop;

    /// <summary><see cref="ClientProtocol.KindSubmit"/>, <see cref="ClientProtocol.KindQuery"/> or <see cref="ClientProtocol.KindMembership"/>.</summary>
    public byte Kind;

    /// <summary>The answer to a submit.</summary>
    public SubmitReply Submit;

    /// <summary>The request id of a query (its state is in <see cref="Body"/>).</summary>
    public ulong RequestId;

    /// <summary>A query's <see cref="ReplicaState"/> or a membership request's <see cref="MembershipReply"/>.</summary>
    public object? Body;

    /// <summary>Where the reply goes.</summary>
    public GatewayConnection? Connection;

    public void SetSubmit(in SubmitReply reply)
    {
        Kind = ClientProtocol.KindSubmit;
        Submit = reply;
        Body = null;
    }

    public void SetQuery(ulong requestId, ReplicaState state)
    {
        Kind = ClientProtocol.KindQuery;
        RequestId = requestId;
        Body = state;
    }

    public void SetMembership(MembershipReply reply)
    {
        Kind = ClientProtocol.KindMembership;
        Body = reply;
    }

    /// <summary>Waits for <paramref name="pending"/>, then hands its outcome to <paramref name="sink"/> (on the completing thread).</summary>
    public void AwaitProposal(ValueTask<ProposeResult<CommandResult>> pending, IProposalSink sink)
    {
        _pending = pending;
        _sink = sink;
        _loop ??= AwaitLoopAsync();
        _start.Set();
    }

    /// <summary>Clears what the slot refers to before it goes back to the pool.</summary>
    public void Clear()
    {
        Body = null;
        Connection = null;
        Submit = default;
    }

    private async Task AwaitLoopAsync()
    {
        while (true)
        {
            await _start.WaitAsync().ConfigureAwait(false);
            ProposeResult<CommandResult> result;
            try
            {
                result = await _pending.ConfigureAwait(false);
            }
            catch (Exception)
            {
                // Results come back as values; should that ever fail, the client still gets an answer (resend: deduplicated).
                result = new ProposeResult<CommandResult>(RequestStatus.Unknown, 0, 0, default, 0, StepResult.Ok);
            }
            _pending = default;
            IProposalSink sink = _sink!;
            _sink = null;
            sink.OnProposalCompleted(this, in result);
        }
    }
}

/// <summary>Receives a proposal's outcome for a waiting <see cref="GatewayReply"/>.</summary>
internal interface IProposalSink
{
    /// <summary>Must not throw (it runs on the completing thread, in the slot's loop).</summary>
    void OnProposalCompleted(GatewayReply reply, in ProposeResult<CommandResult> result);
}
