using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FastRaft.Hosting;
using FastRaft.Protocol;
using FastRaft.Sample.Gateway;
using FastRaft.Sample.Protocol;

namespace FastRaft.Sample.Cluster;

// Membership requests: checked (signature, freshness, what the change would do), then proposed
// as a configuration change on the leader. A request id seen within the replay window is
// answered from memory, not applied again: a resend after a lost reply, or a captured request
// replayed, changes nothing.
internal sealed partial class ClientEndpoint
{
    /// <summary>Membership requests remembered at once (pending or answered); more are answered Unavailable.</summary>
    public const int MaxRememberedMembershipRequests = 256;

    private static readonly long RememberTicks = 2 * (long)(MembershipAuthentication.MaxClockSkew.TotalSeconds * Stopwatch.Frequency);

    private readonly byte[]? _membershipKey;
    private readonly Lock _membershipGate = new();
    private readonly Dictionary<ulong, RememberedRequest> _membershipRequests = [];

    private void HandleMembership(ulong requestId, in MembershipRequest m, ReadOnlyMemory<byte> datagram, GatewayConnection from)
    {
        if (_membershipKey is not null)
        {
            if (m.Mac.IsEmpty || !MembershipAuthentication.Verify(_membershipKey, datagram.Span[..m.SignedLength], m.Mac.Span))
            {
                Interlocked.Increment(ref Counters.UnauthorizedCount);
                SendMembershipReply(Reply(requestId, MembershipStatus.Unauthorized, "not signed with this cluster's key"), from);
                return;
            }
            if (!MembershipAuthentication.IsFresh(m.TimestampMs, DateTimeOffset.UtcNow))
            {
                Interlocked.Increment(ref Counters.UnauthorizedCount);
                SendMembershipReply(Reply(requestId, MembershipStatus.Unauthorized,
                    $"signed more than {MembershipAuthentication.MaxClockSkew.TotalSeconds:0} s away from this node's clock (replayed, or the clocks differ)"), from);
                return;
            }
        }
        if (!_node.IsLeader)
        {
            SendMembershipReply(Reply(requestId, MembershipStatus.NotLeader, ""), from);
            return;
        }
        if (Refusal(m) is string refusal)
        {
            SendMembershipReply(Reply(requestId, MembershipStatus.Refused, refusal), from);
            return;
        }
        lock (_membershipGate)
        {
            long now = Stopwatch.GetTimestamp();
            ForgetExpired(now);
            if (_membershipRequests.TryGetValue(requestId, out RememberedRequest? seen))
            {
                // Answered: the same answer again. Pending: its answer goes to the connection that asked
                // first; this one hears "retry", and the retry finds the answer remembered.
                SendMembershipReply(seen.Reply ?? Reply(requestId, MembershipStatus.Unavailable, "this change is still being applied; retry"), from);
                return;
            }
            if (_membershipRequests.Count >= MaxRememberedMembershipRequests)
            {
                SendMembershipReply(Reply(requestId, MembershipStatus.Unavailable, "too many membership requests at once"), from);
                return;
            }
            _membershipRequests[requestId] = new RememberedRequest(now + RememberTicks);
        }
        ValueTask<MembershipResult> pending = _node.ChangeMembershipAsync(ToConfChange(m));
        _ = CompleteMembershipAsync(requestId, pending, from);
    }

    /// <summary>Why the change must not be made, judged on the membership this leader has applied; null when it may be proposed.</summary>
    private string? Refusal(in MembershipRequest m)
    {
        MemberDirectory members = _state.Members;
        switch (m.Op)
        {
            case MembershipOp.AddLearner when members.IsVoter(m.NodeId):
                // Adding a voter as a learner would demote it; a node that lost its data must not come back under its old id.
                return $"node {m.NodeId} is already a voter: a node that lost its data must join under a new id (remove the old one)";
            case MembershipOp.AddLearner when members.WasRemoved(m.NodeId):
                return $"node {m.NodeId} was removed from this cluster, and a removed id is never reused: add the node under a new id";
            case MembershipOp.AddLearner when m.Address!.AddressFamily != LocalRaftFamily:
                return $"{m.Address} is not of this cluster's address family";
            case MembershipOp.AddLearner when members.IsLearner(m.NodeId) && members.AddressOf(m.NodeId) is IPEndPoint known && !known.Equals(m.Address):
                return $"node {m.NodeId} is already a learner at {known}";
            case MembershipOp.Promote when !members.IsLearner(m.NodeId) && !members.IsVoter(m.NodeId):
                return $"node {m.NodeId} is not a member: add it (as a learner) first";
            case MembershipOp.Remove when !members.IsLearner(m.NodeId) && !members.IsVoter(m.NodeId):
                return $"node {m.NodeId} is not a member";
            default:
                return null;
        }
    }

    private AddressFamily LocalRaftFamily => LocalEndPoint.AddressFamily;

    private static ConfChange ToConfChange(in MembershipRequest m) => m.Op switch
    {
        MembershipOp.AddLearner => new ConfChange(ConfChangeType.AddLearnerNode, m.NodeId, MemberAddress.Encode(m.Address!)),
        MembershipOp.Promote => new ConfChange(ConfChangeType.AddNode, m.NodeId),
        _ => new ConfChange(ConfChangeType.RemoveNode, m.NodeId),
    };

    private async Task CompleteMembershipAsync(ulong requestId, ValueTask<MembershipResult> pending, GatewayConnection to)
    {
        MembershipReply reply;
        try
        {
            MembershipResult r = await pending.ConfigureAwait(false);
            reply = r.Status switch
            {
                RequestStatus.Ok => new MembershipReply(requestId, _node.Id, MembershipStatus.Ok, _node.Leader, r.Index,
                    [.. r.ConfState!.Voters.Order()], [.. r.ConfState.Learners.Order()], ""),
                RequestStatus.NotLeader or RequestStatus.ShuttingDown => Reply(requestId, MembershipStatus.NotLeader, "", r.LeaderHint),
                // Refusal() already turned away every change that can never succeed; what the core refuses now is
                // transient (a change still being applied, or a new leader that has not applied its first entry).
                RequestStatus.Refused => Reply(requestId, MembershipStatus.Unavailable,
                    "another membership change is still being applied; retry", r.LeaderHint),
                _ => Reply(requestId, MembershipStatus.Unavailable, $"the change did not go through ({r.Status}); retry", r.LeaderHint),
            };
        }
        catch (Exception)
        {
            // Results come back as values; should that ever fail, the request must not stay pending forever.
            reply = Reply(requestId, MembershipStatus.Unavailable, "the change failed on this node; retry");
        }
        lock (_membershipGate)
        {
            if (reply.Status == MembershipStatus.Ok)
            {
                _membershipRequests[requestId] = new RememberedRequest(Stopwatch.GetTimestamp() + RememberTicks) { Reply = reply };
            }
            else
            {
                // Nothing changed: a resend may try again.
                _membershipRequests.Remove(requestId);
            }
        }
        SendMembershipReply(reply, to);
    }

    private MembershipReply Reply(ulong requestId, MembershipStatus status, string detail, ulong leaderHint = ulong.MaxValue) =>
        new(requestId, _node.Id, status, leaderHint == ulong.MaxValue ? _node.Leader : leaderHint, 0, [], [], detail);

    private void ForgetExpired(long now)
    {
        if (_membershipRequests.Count == 0)
        {
            return;
        }
        foreach ((ulong id, RememberedRequest r) in _membershipRequests.ToArray())
        {
            if (r.ExpiresAt <= now && r.Reply is not null)
            {
                _membershipRequests.Remove(id);
            }
        }
    }

    private void SendMembershipReply(MembershipReply reply, GatewayConnection to)
    {
        GatewayReply slot = RentReply();
        slot.SetMembership(reply);
        Send(slot, to);
    }

    /// <summary>A membership request id seen recently: pending until <see cref="Reply"/> is set.</summary>
    private sealed record RememberedRequest(long ExpiresAt)
    {
        public MembershipReply? Reply { get; init; }
    }
}
