using FastRaft.Core;
using FastRaft.Protocol;

namespace FastRaft.Hosting.Requests;

/// <summary>
/// Takes queued requests on the node thread and hands each to the core or the type that carries it
/// out. Consecutive proposals go to the core together, in as few MsgProps as the uncommitted-size
/// limit allows; anything else keeps its place in between.
/// </summary>
internal sealed class RequestDispatcher<TResult> where TResult : struct
{
    /// <summary>Requests taken per duty cycle (the rest wait for the next one).</summary>
    public const int MaxRequestsPerCycle = 256;

    /// <summary>The scratch arrays' first length: they grow (doubling) to what the queue holds, up to <see cref="MaxRequestsPerCycle"/>.</summary>
    private const int MinScratch = 8;

    // Both start empty (an idle group of thousands in a process holds none) and are cleared after
    // every use, so a quiet node can drop them.
    private RequestOperation[] _scratch = [];

    /// <summary>The entries of a run of proposals stepped together (views of the requests' payloads; cleared after).</summary>
    private Entry[] _proposalEntries = [];

    private readonly RawNode _raw;
    private readonly RequestQueue<TResult> _queue;
    private readonly RequestTracker<TResult> _tracker;
    private readonly MembershipOperations<TResult> _membership;
    private readonly LeadershipTransfers _transfers;
    private readonly NodeCounters _counters;
    private readonly ulong _uncommittedLimit;

    public RequestDispatcher(
        RawNode raw,
        ulong maxUncommittedEntriesSize,
        RequestQueue<TResult> queue,
        RequestTracker<TResult> tracker,
        MembershipOperations<TResult> membership,
        LeadershipTransfers transfers,
        NodeCounters counters)
    {
        _raw = raw;
        _queue = queue;
        _tracker = tracker;
        _membership = membership;
        _transfers = transfers;
        _counters = counters;
        _uncommittedLimit = maxUncommittedEntriesSize == 0 ? ulong.MaxValue : maxUncommittedEntriesSize;
    }

    /// <summary>Carries out the queued requests (up to <see cref="MaxRequestsPerCycle"/>); returns how many.</summary>
    public int Dispatch(long tick)
    {
        int queued = _queue.Count;
        if (queued == 0)
        {
            return 0;
        }
        if (queued > _scratch.Length && _scratch.Length < MaxRequestsPerCycle)
        {
            GrowScratch(queued);
        }
        int n = _queue.Drain(_scratch);
        int run = 0;
        for (int i = 0; i < n; i++)
        {
            RequestOperation op = _scratch[i];
            if (op.Kind == RequestKind.Propose)
            {
                run++;
                continue;
            }
            ProposeRun(i - run, run);
            run = 0;
            Dispatch(op, tick);
        }
        ProposeRun(n - run, run);
        _scratch.AsSpan(0, n).Clear();
        return n;
    }

    /// <summary>Whether the scratch arrays are allocated (tests of <see cref="ReleaseScratch"/>).</summary>
    public bool HoldsScratch => _scratch.Length != 0;

    /// <summary>Drops the (empty) scratch arrays: a quiet node's; the next request grows them anew.</summary>
    public void ReleaseScratch()
    {
        _scratch = [];
        _proposalEntries = [];
    }

    private void GrowScratch(int queued)
    {
        int size = (int)Math.Min(MaxRequestsPerCycle, System.Numerics.BitOperations.RoundUpToPowerOf2((uint)Math.Max(queued, MinScratch)));
        _scratch = new RequestOperation[size];
        _proposalEntries = new Entry[size];
    }

    private void Dispatch(RequestOperation op, long tick)
    {
        switch (op.Kind)
        {
            case RequestKind.Read:
                _tracker.StartRead((ReadOperation)op, _raw, tick);
                break;
            case RequestKind.Membership:
                _membership.Propose((MembershipOperation)op);
                break;
            case RequestKind.Transfer:
                _transfers.Start((TransferOperation)op, _raw, tick);
                break;
            default:
                Propose(Proposal(op));
                break;
        }
    }

    /// <summary>
    /// Proposes the run of proposals at <paramref name="start"/> in the scratch in groups: the
    /// leader appends each group together and replicates it in one append message per follower,
    /// where proposing one by one costs an append message and an acknowledgement per entry and
    /// follower. A group never carries more payload than the limit, so the core accepts or refuses
    /// a group exactly when it would accept or refuse each of its proposals alone (an empty
    /// uncommitted tail accepts any one proposal, but must not let a group past the limit).
    /// </summary>
    private void ProposeRun(int start, int count)
    {
        int end = start + count;
        int groupStart = start;
        ulong groupBytes = 0;
        for (int i = start; i < end; i++)
        {
            ulong bytes = (ulong)Proposal(_scratch[i]).Payload.Length;
            if (i > groupStart && groupBytes + bytes > _uncommittedLimit)
            {
                ProposeGroup(groupStart, i - groupStart);
                groupStart = i;
                groupBytes = 0;
            }
            groupBytes += bytes;
        }
        if (end > groupStart)
        {
            ProposeGroup(groupStart, end - groupStart);
        }
    }

    /// <summary>
    /// Proposes a group as one MsgProp. A group the core refuses whole (a leader transfer, the
    /// limit with entries already uncommitted) is proposed one by one instead, so each proposal
    /// gets the answer it would have got alone.
    /// </summary>
    private void ProposeGroup(int start, int count)
    {
        if (count == 1)
        {
            Propose(Proposal(_scratch[start]));
            return;
        }
        BasicStatus st = _raw.BasicStatus();
        if (st.SoftState.Role != NodeRole.Leader)
        {
            for (int i = start; i < start + count; i++)
            {
                _tracker.FailProposal(Proposal(_scratch[i]), RequestStatus.NotLeader, st.SoftState.Lead);
            }
            return;
        }
        for (int i = 0; i < count; i++)
        {
            _proposalEntries[i] = new Entry(0, 0, EntryType.Normal, Proposal(_scratch[start + i]).Payload);
        }
        StepResult r = _raw.Step(new Message { Type = MessageType.Propose, From = _raw.Id, Entries = _proposalEntries.AsMemory(0, count) });
        _proposalEntries.AsSpan(0, count).Clear();
        if (r != StepResult.Ok)
        {
            for (int i = start; i < start + count; i++)
            {
                Propose(Proposal(_scratch[i]));
            }
            return;
        }
        // A leader appends a proposal's entries as the last ones of its log, in order.
        ulong first = _raw.LastIndex - (ulong)count + 1;
        _counters.ProposalsAccepted += count;
        for (int i = 0; i < count; i++)
        {
            _tracker.TrackAppended(first + (ulong)i, st.HardState.Term, _scratch[start + i]);
        }
    }

    private void Propose(ProposalOperation<TResult> op)
    {
        BasicStatus st = _raw.BasicStatus();
        if (st.SoftState.Role != NodeRole.Leader)
        {
            _tracker.FailProposal(op, RequestStatus.NotLeader, st.SoftState.Lead);
            return;
        }
        StepResult r = _raw.Propose(op.Payload, out ulong index);
        if (r != StepResult.Ok)
        {
            _counters.ProposalsDropped++;
            _tracker.FailProposal(op, RequestStatus.Dropped, st.SoftState.Lead, r);
            return;
        }
        _counters.ProposalsAccepted++;
        _tracker.TrackAppended(index, st.HardState.Term, op);
    }

    private static ProposalOperation<TResult> Proposal(RequestOperation op) => (ProposalOperation<TResult>)op;
}
