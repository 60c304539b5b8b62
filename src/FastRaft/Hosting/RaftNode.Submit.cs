using System.Buffers.Binary;
using FastRaft.Core;
using FastRaft.Hosting.Requests;
using FastRaft.Protocol;

namespace FastRaft.Hosting;

// Carrying out requests on the node thread.
public sealed partial class RaftNode<TResult>
{
    /// <summary>Requests this node appended as leader, waiting for their index to be applied.</summary>
    private readonly PendingEntries _pending = new();

    /// <summary>Reads waiting for their read index, by request id.</summary>
    private readonly Dictionary<ulong, ReadOperation> _readsAwaitingIndex = [];

    /// <summary>When each read stops waiting for its index, oldest first (ids may already be answered).</summary>
    private readonly Queue<(ulong Id, long DeadlineTick)> _readDeadlines = new();

    /// <summary>Reads that know their index and wait for the local apply to reach it.</summary>
    private readonly List<ReadOperation> _readsAwaitingApply = [];

    private readonly List<TransferOperation> _transfers = [];
    private readonly byte[] _readContext = new byte[sizeof(ulong)];

    /// <summary>The entries of a run of proposals stepped together (views of the requests' payloads; cleared after).</summary>
    private readonly Entry[] _proposalEntries = new Entry[MaxRequestsPerCycle];
    private ulong _nextReadId = 1;

    private void Submit(RequestOperation op)
    {
        switch (op.Kind)
        {
            case RequestKind.Propose:
                SubmitProposal((ProposalOperation<TResult>)op);
                break;
            case RequestKind.Read:
                SubmitRead((ReadOperation)op);
                break;
            case RequestKind.Membership:
                SubmitMembership((MembershipOperation)op);
                break;
            case RequestKind.Transfer:
                SubmitTransfer((TransferOperation)op);
                break;
        }
    }

    private void SubmitProposal(ProposalOperation<TResult> op)
    {
        BasicStatus st = _raw.BasicStatus();
        if (st.SoftState.RaftState != StateType.StateLeader)
        {
            FailProposal(op, RequestStatus.NotLeader, st.SoftState.Lead);
            return;
        }
        StepResult r = _raw.Propose(op.Payload, out ulong index);
        if (r != StepResult.Ok)
        {
            _counters.ProposalsDropped++;
            FailProposal(op, RequestStatus.Dropped, st.SoftState.Lead, r);
            return;
        }
        _counters.ProposalsAccepted++;
        TrackAppended(index, st.HardState.Term, op);
    }

    /// <summary>
    /// Proposes the run of proposals at <paramref name="start"/> in the request scratch in as few
    /// MsgProps as the uncommitted-size limit allows: the leader appends each group together and
    /// replicates it in one append message per follower, where proposing one by one costs an
    /// append message and an acknowledgement per entry and follower.
    /// </summary>
    private void SubmitProposals(int start, int count)
    {
        // A group never carries more payload than the limit, so the core accepts or refuses a
        // group exactly when it would accept or refuse each of its proposals alone (an empty
        // uncommitted tail accepts any one proposal, but must not let a group past the limit).
        ulong limit = _options.Raft.MaxUncommittedEntriesSize == 0 ? ulong.MaxValue : _options.Raft.MaxUncommittedEntriesSize;
        int end = start + count;
        int groupStart = start;
        ulong groupBytes = 0;
        for (int i = start; i < end; i++)
        {
            ulong bytes = (ulong)((ProposalOperation<TResult>)_requestScratch[i]).Payload.Length;
            if (i > groupStart && groupBytes + bytes > limit)
            {
                SubmitProposalGroup(groupStart, i - groupStart);
                groupStart = i;
                groupBytes = 0;
            }
            groupBytes += bytes;
        }
        if (end > groupStart)
        {
            SubmitProposalGroup(groupStart, end - groupStart);
        }
    }

    /// <summary>
    /// Proposes a group of proposals as one MsgProp. A group the core refuses whole (a leader
    /// transfer, the limit with entries already uncommitted) is proposed one by one instead, so
    /// each proposal gets the answer it would have got alone.
    /// </summary>
    private void SubmitProposalGroup(int start, int count)
    {
        if (count == 1)
        {
            SubmitProposal((ProposalOperation<TResult>)_requestScratch[start]);
            return;
        }
        BasicStatus st = _raw.BasicStatus();
        if (st.SoftState.RaftState != StateType.StateLeader)
        {
            for (int i = start; i < start + count; i++)
            {
                FailProposal((ProposalOperation<TResult>)_requestScratch[i], RequestStatus.NotLeader, st.SoftState.Lead);
            }
            return;
        }
        for (int i = 0; i < count; i++)
        {
            _proposalEntries[i] = new Entry(0, 0, EntryType.EntryNormal, ((ProposalOperation<TResult>)_requestScratch[start + i]).Payload);
        }
        StepResult r = _raw.Step(new Message { Type = MessageType.MsgProp, From = Id, Entries = _proposalEntries.AsMemory(0, count) });
        _proposalEntries.AsSpan(0, count).Clear();
        if (r != StepResult.Ok)
        {
            for (int i = start; i < start + count; i++)
            {
                SubmitProposal((ProposalOperation<TResult>)_requestScratch[i]);
            }
            return;
        }
        // A leader appends a proposal's entries as the last ones of its log, in order.
        ulong first = _raw.LastIndex - (ulong)count + 1;
        _counters.ProposalsAccepted += count;
        for (int i = 0; i < count; i++)
        {
            TrackAppended(first + (ulong)i, st.HardState.Term, _requestScratch[start + i]);
        }
    }

    private void SubmitMembership(MembershipOperation op)
    {
        BasicStatus st = _raw.BasicStatus();
        if (st.SoftState.RaftState != StateType.StateLeader)
        {
            op.Fail(RequestStatus.NotLeader, st.SoftState.Lead);
            return;
        }
        StepResult r = _raw.ProposeConfChange(op.Change);
        if (r != StepResult.Ok)
        {
            op.Fail(RequestStatus.Dropped, st.SoftState.Lead, r);
            return;
        }
        // A leader appends a proposal as its last entry.
        TrackAppended(_raw.LastIndex, st.HardState.Term, op);
    }

    /// <summary>
    /// Records a request appended at (index, term). Anything still waiting at or after that index
    /// was in an earlier term's log that this leader does not have: by leader completeness it was
    /// never committed, so it is lost.
    /// </summary>
    private void TrackAppended(ulong index, ulong term, RequestOperation op)
    {
        while (_pending.Count > 0 && _pending.Back.Index >= index)
        {
            FailRequest(_pending.PopBack().Request, RequestStatus.Lost);
        }
        _pending.PushBack(new PendingEntry(index, term, op));
    }

    private void SubmitRead(ReadOperation op)
    {
        BasicStatus st = _raw.BasicStatus();
        if (st.SoftState.Lead == LocalIds.None)
        {
            // The core drops a read nobody can answer; fail it now rather than let it time out.
            op.Fail(RequestStatus.NotLeader);
            return;
        }
        ulong id = _nextReadId++;
        op.RequestId = id;
        _readsAwaitingIndex.Add(id, op);
        _readDeadlines.Enqueue((id, _tickCount + _readTimeoutTicks));
        BinaryPrimitives.WriteUInt64LittleEndian(_readContext, id);
        // The core copies the context, so one buffer serves every read.
        _raw.ReadIndex(_readContext);
    }

    private void SubmitTransfer(TransferOperation op)
    {
        BasicStatus st = _raw.BasicStatus();
        if (st.SoftState.RaftState != StateType.StateLeader)
        {
            op.Fail(RequestStatus.NotLeader, st.SoftState.Lead);
            return;
        }
        if (op.Target == Id)
        {
            op.Complete(Id);
            return;
        }
        op.DeadlineTick = _tickCount + _transferTimeoutTicks;
        _transfers.Add(op);
        _raw.TransferLeader(op.Target);
    }

    /// <summary>Answers reads whose index the core found (in a Ready).</summary>
    private void OnReadStates(ReadOnlySpan<ReadState> states)
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
            if (rs.Index <= _appliedIndex)
            {
                CompleteRead(op);
            }
            else
            {
                _readsAwaitingApply.Add(op);
            }
        }
    }

    private void CompleteAppliedReads()
    {
        for (int i = _readsAwaitingApply.Count - 1; i >= 0; i--)
        {
            ReadOperation op = _readsAwaitingApply[i];
            if (op.ReadIndex <= _appliedIndex)
            {
                _readsAwaitingApply[i] = _readsAwaitingApply[^1];
                _readsAwaitingApply.RemoveAt(_readsAwaitingApply.Count - 1);
                CompleteRead(op);
            }
        }
    }

    private void CompleteRead(ReadOperation op)
    {
        _counters.ReadsCompleted++;
        op.Complete(op.ReadIndex);
    }

    /// <summary>Fails reads that got no read index in time (the request or its answer may have been lost).</summary>
    private void ExpireReads()
    {
        while (_readDeadlines.Count > 0 && _readDeadlines.Peek().DeadlineTick <= _tickCount)
        {
            ulong id = _readDeadlines.Dequeue().Id;
            if (_readsAwaitingIndex.Remove(id, out ReadOperation? op))
            {
                op.Fail(RequestStatus.TimedOut, Leader);
            }
        }
    }

    private void ExpireTransfers()
    {
        for (int i = _transfers.Count - 1; i >= 0; i--)
        {
            TransferOperation op = _transfers[i];
            if (op.DeadlineTick <= _tickCount)
            {
                _transfers.RemoveAt(i);
                op.Fail(RequestStatus.TimedOut, Leader);
            }
        }
    }

    private void CompleteTransfers(ulong leader)
    {
        for (int i = _transfers.Count - 1; i >= 0; i--)
        {
            TransferOperation op = _transfers[i];
            if (op.Target == leader)
            {
                _transfers.RemoveAt(i);
                op.Complete(leader);
            }
        }
    }

    private void FailProposal(ProposalOperation<TResult> op, RequestStatus status, ulong leaderHint, StepResult reason = StepResult.Ok)
    {
        Interlocked.Increment(ref _counters.ProposalsFailed);
        op.Fail(status, leaderHint, reason);
    }

    private void FailRequest(RequestOperation op, RequestStatus status)
    {
        if (op.Kind == RequestKind.Propose)
        {
            Interlocked.Increment(ref _counters.ProposalsFailed);
        }
        op.Fail(status, Leader);
    }
}
