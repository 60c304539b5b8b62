using FastRaft.Core;
using FastRaft.Protocol;

namespace FastRaft.Hosting.Requests;

/// <summary>
/// Leadership transfers in progress (node thread only): started on the leader, completed when this
/// node sees the target leading, failed as TimedOut after the transfer timeout in ticks.
/// </summary>
internal sealed class LeadershipTransfers
{
    private readonly List<TransferOperation> _transfers = [];
    private readonly PublishedStatus _status;
    private readonly int _timeoutTicks;

    public LeadershipTransfers(PublishedStatus status, int timeoutTicks)
    {
        _status = status;
        _timeoutTicks = timeoutTicks;
    }

    /// <summary>Whether no transfer is under way.</summary>
    public bool IsEmpty => _transfers.Count == 0;

    public void Start(TransferOperation op, RawNode raw, long tick)
    {
        BasicStatus st = raw.BasicStatus();
        if (st.SoftState.Role != NodeRole.Leader)
        {
            op.Fail(RequestStatus.NotLeader, st.SoftState.Lead);
            return;
        }
        if (op.Target == raw.Id)
        {
            op.Complete(raw.Id);
            return;
        }
        op.DeadlineTick = tick + _timeoutTicks;
        _transfers.Add(op);
        raw.TransferLeader(op.Target);
    }

    /// <summary>The leader is now <paramref name="leader"/>: transfers to it are done.</summary>
    public void OnLeader(ulong leader)
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

    public void Expire(long tick)
    {
        for (int i = _transfers.Count - 1; i >= 0; i--)
        {
            TransferOperation op = _transfers[i];
            if (op.DeadlineTick <= tick)
            {
                _transfers.RemoveAt(i);
                op.Fail(RequestStatus.TimedOut, _status.Leader);
            }
        }
    }

    public void FailAll(RequestStatus status)
    {
        foreach (TransferOperation op in _transfers)
        {
            op.Fail(status);
        }
        _transfers.Clear();
    }
}
