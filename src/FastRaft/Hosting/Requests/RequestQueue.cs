using FastRaft.Core;
using FastRaft.Hosting.Agents;
using FastRaft.Protocol;

namespace FastRaft.Hosting.Requests;

/// <summary>
/// The way in for requests from any thread: builds the request (pooled for proposals and reads),
/// queues it for the node thread and wakes the node. Requests that cannot be queued (stopping, not
/// leader, queue full) fail at once without touching the node.
/// </summary>
internal sealed class RequestQueue<TResult> where TResult : struct
{
    private const int InitialRingCapacity = 16;

    private readonly MpscRing<RequestOperation> _ring;
    private readonly OperationPool<ProposalOperation<TResult>> _proposalPool;
    private readonly OperationPool<ReadOperation> _readPool;
    private readonly IWaitSource _wake;
    private readonly PublishedStatus _status;
    private readonly NodeCounters _counters;
    private readonly bool _inline;
    private volatile bool _stopping;

    public RequestQueue(RaftNodeOptions options, IWaitSource wake, PublishedStatus status, NodeCounters counters)
    {
        // A node may be one of many mostly idle groups: its ring starts small (it doubles when it
        // fills, so a busy node grows it a few times and allocates nothing after).
        _ring = new MpscRing<RequestOperation>(InitialRingCapacity, options.MaxQueuedRequests);
        _proposalPool = new OperationPool<ProposalOperation<TResult>>(options.MaxPooledRequests);
        _readPool = new OperationPool<ReadOperation>(options.MaxPooledRequests);
        _inline = options.RunContinuationsInline;
        _wake = wake;
        _status = status;
        _counters = counters;
    }

    /// <summary>Whether requests complete inline on the node thread.</summary>
    public bool RunContinuationsInline => _inline;

    public bool IsStopping => _stopping;

    /// <summary>Whether no request waits for the node thread (a hint: other threads may be adding).</summary>
    public bool IsEmpty => _ring.Count == 0;

    /// <summary>Requests queued now (a hint: producers may be adding; one being added already counts).</summary>
    public int Count => _ring.Count;

    public ValueTask<ProposeResult<TResult>> ProposeAsync(ReadOnlyMemory<byte> data)
    {
        if (_stopping)
        {
            return FailedProposal(RequestStatus.ShuttingDown, 0);
        }
        if (_status.Role != NodeRole.Leader)
        {
            return FailedProposal(RequestStatus.NotLeader, _status.Leader);
        }
        ProposalOperation<TResult> op = _proposalPool.TryRent() ?? new ProposalOperation<TResult>(_proposalPool, _inline);
        op.SetPayload(data.Span);
        short version = op.Version;
        RequestStatus queued = Enqueue(op);
        if (queued != RequestStatus.Ok)
        {
            op.ReturnUnused();
            return FailedProposal(queued, 0);
        }
        return new ValueTask<ProposeResult<TResult>>(op, version);
    }

    public ValueTask<ReadResult> ReadIndexAsync()
    {
        if (_stopping)
        {
            return new ValueTask<ReadResult>(new ReadResult(RequestStatus.ShuttingDown, 0, 0));
        }
        ReadOperation op = _readPool.TryRent() ?? new ReadOperation(_readPool, _inline);
        short version = op.Version;
        RequestStatus queued = Enqueue(op);
        if (queued != RequestStatus.Ok)
        {
            op.ReturnUnused();
            return new ValueTask<ReadResult>(new ReadResult(queued, 0, 0));
        }
        return new ValueTask<ReadResult>(op, version);
    }

    public ValueTask<MembershipResult> ChangeMembershipAsync(IConfChange change)
    {
        var op = new MembershipOperation(change, _inline);
        SubmitRare(op);
        return new ValueTask<MembershipResult>(op.Task);
    }

    public ValueTask<TransferResult> TransferLeadershipAsync(ulong target)
    {
        var op = new TransferOperation(target, _inline);
        SubmitRare(op);
        return new ValueTask<TransferResult>(op.Task);
    }

    /// <summary>Moves up to <paramref name="destination"/>.Length requests out, oldest first (node thread).</summary>
    public int Drain(Span<RequestOperation> destination) => _ring.Drain(destination);

    /// <summary>From now on requests fail as ShuttingDown without being queued (any thread).</summary>
    public void StopAccepting() => _stopping = true;

    /// <summary>Refuses every later request and fails those still queued (node thread, at shutdown).</summary>
    public void Close(RequestTracker<TResult> tracker)
    {
        _stopping = true;
        // Closing first means no request can be queued behind the final drain.
        _ring.Close();
        Span<RequestOperation> scratch = new RequestOperation[64];
        int n;
        while ((n = _ring.Drain(scratch)) > 0)
        {
            for (int i = 0; i < n; i++)
            {
                tracker.FailRequest(scratch[i], RequestStatus.ShuttingDown);
                scratch[i] = null!;
            }
        }
    }

    private ValueTask<ProposeResult<TResult>> FailedProposal(RequestStatus status, ulong leaderHint)
    {
        Interlocked.Increment(ref _counters.ProposalsFailed);
        return new(ProposeResult<TResult>.Failed(status, leaderHint, StepResult.Ok));
    }

    private RequestStatus Enqueue(RequestOperation op)
    {
        switch (_ring.TryEnqueue(op))
        {
            case EnqueueResult.Ok:
                _wake.Wake();
                return RequestStatus.Ok;
            case EnqueueResult.Full:
                return RequestStatus.Overloaded;
            default:
                return RequestStatus.ShuttingDown;
        }
    }

    private void SubmitRare(RequestOperation op)
    {
        RequestStatus queued = _stopping ? RequestStatus.ShuttingDown : Enqueue(op);
        if (queued != RequestStatus.Ok)
        {
            op.Fail(queued);
        }
    }
}
