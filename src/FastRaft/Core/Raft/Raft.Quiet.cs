using FastRaft.Core.Tracker;
using FastRaft.Protocol;

namespace FastRaft.Core;

// What a host that stops ticking idle groups (quiescence) asks of the core. Nothing here runs
// unless a host calls it, so a node that is never quiesced behaves exactly as etcd's.
internal sealed partial class Raft
{
    /// <summary>
    /// LeaseBased reads only: this leader stopped ticking for a while (it was quiesced), so it could
    /// not have noticed losing its quorum (CheckQuorum runs on ticks) and its lease is not trusted.
    /// Until a quorum acknowledges a heartbeat round sent after that, reads take the Safe path.
    /// </summary>
    private bool _leaseSuspect;

    /// <summary>Whether reads are confirmed by a heartbeat round (Safe, or a lease not trusted now).</summary>
    private bool ReadsUseHeartbeats => _readOnly.Option == ReadOnlyOption.Safe || _leaseSuspect;

    /// <summary>Whether any of the buffers <see cref="ReleaseIdleBuffers"/> drops is allocated.</summary>
    internal bool HoldsIdleBuffers =>
        _arenas[0].HoldsArrays || _arenas[1].HoldsArrays || _scratch.Capacity != 0
        || _pendingReadIndexMessages.Capacity != 0 || Log.Unstable.HoldsBuffers;

    /// <summary>
    /// Drops the buffers a quiet node does not need (both message arenas, scratch lists, the
    /// unstable log's ring and payload chunks, empty inflight windows); they grow again on use.
    /// The caller makes sure no Ready is outstanding or pending (the arenas are cleared).
    /// </summary>
    internal void ReleaseIdleBuffers()
    {
        _arenas[0].ReleaseArrays();
        _arenas[1].ReleaseArrays();
        _scratch.ReleaseArray();
        if (_pendingReadIndexMessages.Count == 0)
        {
            _pendingReadIndexMessages.ReleaseArray();
        }
        Log.Unstable.ReleaseBuffersIfEmpty();
        foreach (KeyValuePair<ulong, Progress> kv in Trk.Progress)
        {
            kv.Value.Inflights.ReleaseIfEmpty();
        }
    }

    /// <summary>
    /// A leader with nothing left to do: every entry committed, applied and acknowledged by every
    /// peer (voters and learners), every peer sent that commit index, no snapshot in flight, no read
    /// waiting for a quorum, no transfer, no step-down, no configuration change waiting.
    /// </summary>
    internal bool IsQuietLeader()
    {
        if (State != NodeRole.Leader || LeadTransferee != LocalIds.None || _stepDownPending
            || _readOnly.PendingCount != 0 || _pendingReadIndexMessages.Count != 0)
        {
            return false;
        }
        ulong last = Log.LastIndex();
        ulong committed = Log.Committed;
        if (committed != last || Log.Applied != committed || PendingConfIndex > committed)
        {
            return false;
        }
        foreach (KeyValuePair<ulong, Progress> kv in Trk.Progress)
        {
            Progress pr = kv.Value;
            if (pr.Match != last || pr.State == ProgressState.Snapshot || (kv.Key != Id && pr.SentCommit < committed))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>
    /// A follower with nothing left to do: it knows its leader, and its whole log is committed and
    /// applied, with no snapshot being applied.
    /// </summary>
    internal bool IsQuietFollower()
    {
        if (State != NodeRole.Follower || Lead == LocalIds.None || Log.HasNextOrInProgressSnapshot())
        {
            return false;
        }
        ulong committed = Log.Committed;
        return committed == Log.LastIndex() && Log.Applied == committed;
    }

    /// <summary>The leader is about to stop ticking: see <see cref="_leaseSuspect"/>.</summary>
    internal void SuspectLease()
    {
        if (State == NodeRole.Leader && _readOnly.Option == ReadOnlyOption.LeaseBased)
        {
            _leaseSuspect = true;
        }
    }

    /// <summary>Whether the lease is suspect (for tests).</summary>
    internal bool IsLeaseSuspect => _leaseSuspect;
}
