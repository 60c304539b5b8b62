using System.Text;

namespace FastRaft.Core.Tracker;

/// <summary>
/// The leader's view of one follower (etcd's Progress): how much of its log is known to match,
/// what to send next, and how sending is throttled. The state transitions are driven by the raft
/// core; this class keeps their bookkeeping consistent.
/// </summary>
internal sealed class Progress(Inflights inflights)
{
    private ulong _sentCommit;

    /// <summary>Highest index known to match the leader's log. Never regresses.</summary>
    public ulong Match { get; set; }

    /// <summary>Next index to send. Invariant: Match &lt; Next; in StateSnapshot, Next == PendingSnapshot + 1.</summary>
    public ulong Next { get; set; }

    /// <summary>Highest commit index sent to the follower (etcd's sentCommit).</summary>
    public ulong SentCommit { get => _sentCommit; init => _sentCommit = value; }

    public ProgressState State { get; set; }

    /// <summary>In StateSnapshot, the leader's last index when it decided the snapshot was needed.</summary>
    public ulong PendingSnapshot { get; set; }

    /// <summary>Whether the follower was heard from recently (reset each election timeout under CheckQuorum).</summary>
    public bool RecentActive { get; set; }

    /// <summary>
    /// Appends are throttled: in StateProbe after a probe, in StateReplicate when the inflights
    /// window filled up. Cleared by a heartbeat response or an accepted append.
    /// </summary>
    public bool MsgAppFlowPaused { get; set; }

    /// <summary>Leader ticks spent in StateSnapshot waiting for the snapshot's status (see RaftConfig.SnapshotStatusTimeoutTicks).</summary>
    public int SnapshotWaitTicks { get; set; }

    /// <summary>The appends in flight; only used in StateReplicate.</summary>
    public Inflights Inflights { get; set; } = inflights ?? throw new ArgumentNullException(nameof(inflights));

    public bool IsLearner { get; set; }

    /// <summary>
    /// Starts tracking afresh for a new term (etcd replaces the Progress in reset): probing from
    /// <paramref name="next"/>, nothing sent, not recently active; the learner flag is kept.
    /// </summary>
    public void ResetForNewTerm(ulong match, ulong next)
    {
        Match = match;
        Next = next;
        _sentCommit = 0;
        RecentActive = false;
        ResetState(ProgressState.Probe);
    }

    /// <summary>Moves to <paramref name="state"/>, clearing the pause flag, the pending snapshot and the inflights.</summary>
    public void ResetState(ProgressState state)
    {
        MsgAppFlowPaused = false;
        PendingSnapshot = 0;
        State = state;
        Inflights.Reset();
    }

    /// <summary>
    /// Enters StateProbe, resuming from Match+1, or after the pending snapshot when coming from
    /// StateSnapshot (the snapshot is known to have been delivered).
    /// </summary>
    public void BecomeProbe()
    {
        if (State == ProgressState.Snapshot)
        {
            ulong pendingSnapshot = PendingSnapshot;
            ResetState(ProgressState.Probe);
            Next = Math.Max(Match + 1, pendingSnapshot + 1);
        }
        else
        {
            ResetState(ProgressState.Probe);
            Next = Match + 1;
        }
        _sentCommit = Math.Min(_sentCommit, Next - 1);
    }

    /// <summary>Enters StateReplicate, resuming from Match+1.</summary>
    public void BecomeReplicate()
    {
        ResetState(ProgressState.Replicate);
        Next = Match + 1;
    }

    /// <summary>Enters StateSnapshot for a snapshot at index <paramref name="snapshoti"/>.</summary>
    public void BecomeSnapshot(ulong snapshoti)
    {
        ResetState(ProgressState.Snapshot);
        SnapshotWaitTicks = 0;
        PendingSnapshot = snapshoti;
        Next = snapshoti + 1;
        _sentCommit = snapshoti;
    }

    /// <summary>
    /// Accounts for an append of <paramref name="entries"/> entries (<paramref name="bytes"/> in
    /// total) starting at Next. Only valid in StateProbe or StateReplicate.
    /// </summary>
    public void SentEntries(int entries, ulong bytes)
    {
        switch (State)
        {
            case ProgressState.Replicate:
                if (entries > 0)
                {
                    Next += (ulong)entries;
                    Inflights.Add(Next - 1, bytes);
                }
                // A full window turns this append into a probe: wait for an answer.
                MsgAppFlowPaused = Inflights.Full;
                break;
            case ProgressState.Probe:
                // Only non-empty appends pause the probe (etcd's behaviour).
                if (entries > 0)
                {
                    MsgAppFlowPaused = true;
                }
                break;
            default:
                TrackerThrow.Panic($"sending append in unhandled state {EtcdStateText.Of(State)}");
                break;
        }
    }

    /// <summary>
    /// Whether sending commit index <paramref name="index"/> could advance the follower's commit:
    /// it is newer than what was sent, and what was sent did not already cover Next-1.
    /// </summary>
    public bool CanBumpCommit(ulong index) => index > _sentCommit && _sentCommit < Next - 1;

    /// <summary>Records that commit index <paramref name="commit"/> was sent (etcd's SentCommit).</summary>
    public void SentCommitTo(ulong commit) => _sentCommit = commit;

    /// <summary>
    /// Handles an append acknowledged up to <paramref name="n"/>. Returns false for a stale
    /// acknowledgement (at or below Match); otherwise advances Match (and Next if needed) and unpauses.
    /// </summary>
    public bool TryUpdate(ulong n)
    {
        if (n <= Match)
        {
            return false;
        }
        Match = n;
        Next = Math.Max(Next, n + 1);
        MsgAppFlowPaused = false;
        return true;
    }

    /// <summary>
    /// Handles a rejected append at index <paramref name="rejected"/> with the follower's hint.
    /// Returns false when the rejection is stale; otherwise lowers Next and unpauses.
    /// </summary>
    public bool TryDecreaseTo(ulong rejected, ulong matchHint)
    {
        if (State == ProgressState.Replicate)
        {
            // Anything at or below Match was acknowledged already: a reordered, stale rejection.
            if (rejected <= Match)
            {
                return false;
            }
            Next = Match + 1;
            _sentCommit = Math.Min(_sentCommit, Next - 1);
            return true;
        }

        // Outside StateReplicate one append is probed at a time, so only the latest one counts.
        if (Next - 1 != rejected)
        {
            return false;
        }
        Next = Math.Max(Math.Min(rejected, matchHint + 1), Match + 1);
        _sentCommit = Math.Min(_sentCommit, Next - 1);
        MsgAppFlowPaused = false;
        return true;
    }

    /// <summary>Whether appends to this follower are currently throttled.</summary>
    public bool IsPaused() => State switch
    {
        ProgressState.Probe => MsgAppFlowPaused,
        ProgressState.Replicate => MsgAppFlowPaused,
        ProgressState.Snapshot => true,
        _ => TrackerThrow.Panic<bool>("unexpected state"),
    };

    /// <summary>A copy with its own inflights.</summary>
    public Progress Clone() => new(Inflights.Clone())
    {
        Match = Match,
        Next = Next,
        SentCommit = _sentCommit,
        State = State,
        PendingSnapshot = PendingSnapshot,
        RecentActive = RecentActive,
        MsgAppFlowPaused = MsgAppFlowPaused,
        IsLearner = IsLearner,
    };

    /// <summary>etcd's format, e.g. <c>StateReplicate match=14 next=15 paused inflight=3[full]</c>.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(EtcdStateText.Of(State)).Append(" match=").Append(Match).Append(" next=").Append(Next);
        if (IsLearner)
        {
            sb.Append(" learner");
        }
        if (IsPaused())
        {
            sb.Append(" paused");
        }
        if (PendingSnapshot > 0)
        {
            sb.Append(" pendingSnap=").Append(PendingSnapshot);
        }
        if (!RecentActive)
        {
            sb.Append(" inactive");
        }
        if (Inflights.Count > 0)
        {
            sb.Append(" inflight=").Append(Inflights.Count);
            if (Inflights.Full)
            {
                sb.Append("[full]");
            }
        }
        return sb.ToString();
    }
}
