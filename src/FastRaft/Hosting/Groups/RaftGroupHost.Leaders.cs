namespace FastRaft.Hosting.Groups;

/// <summary>Leader placement and moves (see <see cref="RaftGroupHostOptions.SpreadLeaders"/>).</summary>
public sealed partial class RaftGroupHost
{
    private readonly LeaderPlacement _placement = new();

    /// <summary>The host's leader placement: its counters, and the liveness it consults (for tests).</summary>
    internal LeaderPlacement Placement => _placement;

    /// <summary>
    /// Moves group <paramref name="groupId"/>'s leadership to the voter <paramref name="toNodeId"/>:
    /// call it on the host whose replica leads the group (elsewhere it completes at once with
    /// <see cref="RequestStatus.NotLeader"/> and the leader this replica knows). The leader first
    /// brings the target's log up to date, then hands over; the result is <see cref="RequestStatus.Ok"/>
    /// once this replica sees the target leading, or <see cref="RequestStatus.TimedOut"/> after the
    /// node's transfer timeout. A group moved this way stays where it was moved: leader placement
    /// never undoes a handover.
    /// </summary>
    /// <param name="groupId">A group of this host.</param>
    /// <param name="toNodeId">A voter of the group (as this replica knows its configuration).</param>
    /// <returns>How the transfer ended (the node's <see cref="RaftNode{TResult}.TransferLeadershipAsync"/>).</returns>
    /// <exception cref="ArgumentException">The host has no group <paramref name="groupId"/>, or <paramref name="toNodeId"/> is not one of its voters (the message names the voters).</exception>
    public ValueTask<TransferResult> TransferLeadershipAsync(ulong groupId, ulong toNodeId)
    {
        if (!_groups.TryGetValue(groupId, out HostedGroup? group) || group.Leadership is not GroupLeadership leadership)
        {
            throw new ArgumentException($"group {groupId} is not in this host", nameof(groupId));
        }
        ulong[] voters = leadership.Voters;
        if (Array.IndexOf(voters, toNodeId) < 0)
        {
            throw new ArgumentException(
                $"node {toNodeId} is not a voter of group {groupId} (voters: {string.Join(", ", voters)}); leadership can only move to a voter",
                nameof(toNodeId));
        }
        return leadership.TransferAsync(toNodeId);
    }

    /// <summary>Puts a placement watch between group <paramref name="groupId"/>'s node and its transport (before the node is built).</summary>
    private GroupLeadership WatchLeadership(ulong groupId, ulong localId, ref ITransport transport)
    {
        // The shared transport's hub knows which nodes are live (null for per-group transports).
        _placement.Liveness = Liveness;
        _placement.LivenessCheckInterval = Options.LivenessInterval;
        // A few liveness timeouts: long enough for a peer that just started to be heard from.
        _placement.LivenessChecks = Math.Max(1, (int)(3 * Options.LivenessTimeout / Options.LivenessInterval));
        var watch = new GroupTransportWatch(transport);
        transport = watch;
        return new GroupLeadership(groupId, localId, watch, _placement);
    }
}
