using System.Buffers.Binary;
using FastRaft.Core;
using FastRaft.Protocol;

namespace FastRaft.Hosting.Requests;

/// <summary>
/// The requests the node has taken on and not yet answered, and their completion (node thread
/// only): proposals and membership changes appended as leader, by index and term, until their
/// index is applied; reads waiting for their read index (with a deadline in ticks) and then for
/// the local apply to reach it.
/// </summary>
internal sealed class RequestTracker<TResult> where TResult : struct
{
    /// <summary>Requests this node appended as leader, waiting for their index to be applied.</summary>
    private readonly PendingEntries _pending = new();

    /// <summary>Reads waiting for their read index, by request id.</summary>
    private readonly Dictionary<ulong, ReadOperation> _readsAwaitingIndex = [];

    /// <summary>When each read stops waiting for its index, oldest first (ids may already be answered).</summary>
    private readonly Queue<(ulong Id, long DeadlineTick)> _readDeadlines = new();

    /// <summary>Reads that know their index and wait for the local apply to reach it.</summary>
    private readonly List<ReadOperation> _readsAwaitingApply = [];

    private readonly byte[] _readContext = new byte[sizeof(ulong)];
    private readonly NodeCounters _counters;
    private readonly PublishedStatus _status;
    private readonly int _readTimeoutTicks;
    private ulong _nextReadId = 1;

    public RequestTracker(NodeCounters counters, PublishedStatus status, int readTimeoutTicks)
    {
        _counters = counters;
        _status = status;
        _readTimeoutTicks = readTimeoutTicks;
    }

    public bool HasPendingEntries => _pending.Count > 0;

    public bool HasReadsAwaitingApply => _readsAwaitingApply.Count > 0;

    /// <summary>Drops the arrays of empty queues (a quiet node's); they grow again on use. Allocation-free.</summary>
    public void ReleaseIdleBuffers()
    {
        _pending.ReleaseIfEmpty();
        if (_readsAwaitingApply.Count == 0)
        {
            _readsAwaitingApply.Capacity = 0;
        }
    }

    /// <summary>Whether any request taken on is still unanswered (entries to apply, reads waiting).</summary>
    public bool HasOutstanding => _pending.Count > 0 || _readsAwaitingIndex.Count > 0 || _readsAwaitingApply.Count > 0;

    /// <summary>
    /// Records a request appended at (index, term). Anything still waiting at or after that index
    /// was in an earlier term's log that this leader does not have: by leader completeness it was
    /// never committed, so it is lost.
    /// </summary>
    public void TrackAppended(ulong index, ulong term, RequestOperation op)
    {
        while (_pending.Count > 0 && _pending.Back.Index >= index)
        {
            FailRequest(_pending.PopBack().Request, RequestStatus.Lost);
        }
        _pending.PushBack(new PendingEntry(index, term, op));
    }

    /// <summary>
    /// Settles the request waiting at the index just applied: the same term means it is this
    /// node's entry, committed; another term means another leader's entry took its place.
    /// <paramref name="confState"/> is the configuration after the entry (for membership changes).
    /// </summary>
    public void OnApplied(in Entry e, TResult result, ConfState confState)
    {
        // Every index is applied in turn, so an older one left over means it was skipped somehow.
        while (_pending.Count > 0 && _pending.Front.Index < e.Index)
        {
            FailRequest(_pending.PopFront().Request, RequestStatus.Unknown);
        }
        if (_pending.Count == 0 || _pending.Front.Index != e.Index)
        {
            return;
        }
        PendingEntry p = _pending.PopFront();
        if (p.Term != e.Term)
        {
            FailRequest(p.Request, RequestStatus.Lost);
            return;
        }
        switch (p.Request)
        {
            case ProposalOperation<TResult> proposal when e.Type == EntryType.Normal:
                _counters.ProposalsCommitted++;
                proposal.Complete(ProposeResult<TResult>.Applied(e.Index, e.Term, result));
                break;
            case MembershipOperation change when e.Type != EntryType.Normal:
                change.Complete(e.Index, confState);
                break;
            case MembershipOperation change:
                // The leader replaced the change with an empty entry: its validation refused it.
                change.Fail(RequestStatus.Refused, _status.Leader);
                break;
            default:
                FailRequest(p.Request, RequestStatus.Unknown);
                break;
        }
    }

    /// <summary>A snapshot jumped the log to <paramref name="index"/>: requests at or below it have an unknown fate.</summary>
    public void FailUpTo(ulong index)
    {
        while (_pending.Count > 0 && _pending.Front.Index <= index)
        {
            FailRequest(_pending.PopFront().Request, RequestStatus.Unknown);
        }
    }

    /// <summary>Asks the core for a read index, carrying the read's id as the request context.</summary>
    public void StartRead(ReadOperation op, RawNode raw, long tick)
    {
        if (raw.BasicStatus().SoftState.Lead == LocalIds.None)
        {
            // The core drops a read nobody can answer; fail it now rather than let it time out.
            op.Fail(RequestStatus.NotLeader);
            return;
        }
        ulong id = _nextReadId++;
        op.RequestId = id;
        _readsAwaitingIndex.Add(id, op);
        _readDeadlines.Enqueue((id, tick + _readTimeoutTicks));
        BinaryPrimitives.WriteUInt64LittleEndian(_readContext, id);
        // The core copies the context, so one buffer serves every read.
        raw.ReadIndex(_readContext);
    }

    /// <summary>Answers reads whose index the core found (in a Ready).</summary>
    public void OnReadStates(ReadOnlySpan<ReadState> states, ulong applied)
    {
        foreach (ref readonly ReadState rs in states)
        {
            if (rs.RequestCtx.Length != sizeof(ulong))
            {
                continue;
            }
            ulong id = BinaryPrimitives.ReadUInt64LittleEndian(rs.RequestCtx.Span);
            if (!_readsAwaitingIndex.Remove(id, out ReadOperation? op))
            {
                continue;
            }
            op.ReadIndex = rs.Index;
            if (rs.Index <= applied)
            {
                CompleteRead(op);
            }
            else
            {
                _readsAwaitingApply.Add(op);
            }
        }
    }

    public void CompleteAppliedReads(ulong applied)
    {
        for (int i = _readsAwaitingApply.Count - 1; i >= 0; i--)
        {
            ReadOperation op = _readsAwaitingApply[i];
            if (op.ReadIndex <= applied)
            {
                _readsAwaitingApply[i] = _readsAwaitingApply[^1];
                _readsAwaitingApply.RemoveAt(_readsAwaitingApply.Count - 1);
                CompleteRead(op);
            }
        }
    }

    /// <summary>Fails reads that got no read index in time (the request or its answer may have been lost).</summary>
    public void ExpireReads(long tick)
    {
        while (_readDeadlines.Count > 0 && _readDeadlines.Peek().DeadlineTick <= tick)
        {
            ulong id = _readDeadlines.Dequeue().Id;
            if (_readsAwaitingIndex.Remove(id, out ReadOperation? op))
            {
                op.Fail(RequestStatus.TimedOut, _status.Leader);
            }
        }
    }

    public void FailProposal(ProposalOperation<TResult> op, RequestStatus status, ulong leaderHint, StepResult reason = StepResult.Ok)
    {
        Interlocked.Increment(ref _counters.ProposalsFailed);
        op.Fail(status, leaderHint, reason);
    }

    public void FailRequest(RequestOperation op, RequestStatus status)
    {
        if (op.Kind == RequestKind.Propose)
        {
            Interlocked.Increment(ref _counters.ProposalsFailed);
        }
        op.Fail(status, _status.Leader);
    }

    /// <summary>Fails everything still outstanding (at shutdown).</summary>
    public void FailAll(RequestStatus status)
    {
        while (_pending.Count > 0)
        {
            FailRequest(_pending.PopFront().Request, status);
        }
        foreach (ReadOperation op in _readsAwaitingIndex.Values)
        {
            op.Fail(status);
        }
        _readsAwaitingIndex.Clear();
        _readDeadlines.Clear();
        foreach (ReadOperation op in _readsAwaitingApply)
        {
            op.Fail(status);
        }
        _readsAwaitingApply.Clear();
    }

    private void CompleteRead(ReadOperation op)
    {
        _counters.ReadsCompleted++;
        op.Complete(op.ReadIndex);
    }
}
