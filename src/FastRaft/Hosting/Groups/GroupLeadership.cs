using FastRaft.Protocol;

namespace FastRaft.Hosting.Groups;

/// <summary>
/// Leader placement for one group's replica on this host. When the replica wins an election and
/// is not the group's preferred voter (<see cref="LeaderPlacement.PreferredLeader"/>), it asks
/// its node to transfer leadership there; the core first brings the preferred voter's log up to
/// date, then tells it to campaign (etcd's transfer), and the node gives up after its transfer
/// timeout. No ping-pong: a replica acts at most once per term it leads, never when it was handed
/// leadership on purpose (it received MsgTimeoutNow: a move through
/// <see cref="RaftGroupHost.TransferLeadershipAsync"/> is kept), and not when the preferred
/// voter's node is not live (after a grace of a few liveness intervals, for a peer not heard
/// from yet at start-up).
/// </summary>
internal sealed class GroupLeadership(ulong groupId, ulong localId, GroupTransportWatch watch, LeaderPlacement placement)
{
    private Func<ulong, ValueTask<TransferResult>>? _transfer;
    private Func<ulong, bool>? _leadsInTerm;

    // Node thread only: the last term this replica led and made its placement decision in.
    private ulong _decidedTerm;

    /// <summary>The group's voters as this replica knows them, sorted.</summary>
    public ulong[] Voters => watch.Voters;

    /// <summary>Connects to the group's node (before it starts); with <paramref name="spread"/>, elections won here are placed.</summary>
    public void Attach<TResult>(RaftNode<TResult> node, bool spread)
        where TResult : struct
    {
        _transfer = node.TransferLeadershipAsync;
        _leadsInTerm = term => node.IsLeader && node.Term == term;
        if (spread)
        {
            node.LeadershipChanged += OnLeadershipChanged;
        }
    }

    /// <summary>Asks this replica's node (which must lead) to hand leadership to <paramref name="target"/>.</summary>
    public ValueTask<TransferResult> TransferAsync(ulong target) => _transfer!(target);

    /// <summary>On the node thread, so quick: it only issues the transfer request.</summary>
    private void OnLeadershipChanged(LeadershipChange change)
    {
        if (change.Role != NodeRole.Leader || change.Term <= _decidedTerm)
        {
            return;
        }
        _decidedTerm = change.Term;
        ulong preferred = LeaderPlacement.PreferredLeader(groupId, watch.Voters);
        if (preferred == 0 || preferred == localId)
        {
            return;
        }
        // A MsgTimeoutNow sent in the previous term made this replica campaign: someone chose it.
        if (watch.HandedOverTerm + 1 == change.Term)
        {
            placement.CountKeptHandedOver();
            return;
        }
        if (placement.Liveness is INodeLiveness liveness && !liveness.IsLive(preferred))
        {
            // Right after start-up a peer may not have been heard from yet: wait a little for it
            // (off the node thread) before giving up on this term.
            _ = TransferOnceLiveAsync(liveness, preferred, change.Term);
            return;
        }
        placement.CountStarted();
        _ = ObserveAsync(_transfer!(preferred));
    }

    private async Task TransferOnceLiveAsync(INodeLiveness liveness, ulong preferred, ulong term)
    {
        for (int i = 0; i < placement.LivenessChecks; i++)
        {
            await Task.Delay(placement.LivenessCheckInterval).ConfigureAwait(false);
            if (!_leadsInTerm!(term))
            {
                return;
            }
            if (liveness.IsLive(preferred))
            {
                placement.CountStarted();
                await ObserveAsync(_transfer!(preferred)).ConfigureAwait(false);
                return;
            }
        }
        placement.CountSkippedNotLive();
    }

    private async Task ObserveAsync(ValueTask<TransferResult> transfer)
    {
        TransferResult result = await transfer.ConfigureAwait(false);
        placement.CountEnded(result.IsOk);
    }
}
