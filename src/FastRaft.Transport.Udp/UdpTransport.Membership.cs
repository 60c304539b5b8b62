using System.Net;
using FastRaft.Protocol;

namespace FastRaft.Transport.Udp;

public sealed partial class UdpTransport
{
    /// <summary>How long a member the address book could not place waits before it is looked up again.</summary>
    private static readonly TimeSpan LookupRetryInterval = TimeSpan.FromMilliseconds(100);

    /// <summary>The members of the last configuration the host reported, this node excluded (node thread).</summary>
    private HashSet<ulong> _members = [];
    private HashSet<ulong> _nextMembers = [];

    /// <summary>Members the address book had no endpoint for, and when to ask again (node thread).</summary>
    private readonly Dictionary<ulong, long> _unresolved = [];

    /// <summary>
    /// Keeps the peer table in step with the node's configuration (the node host calls it on its
    /// thread, before sending anything under the new configuration): a member without an endpoint
    /// is looked up in <see cref="UdpTransportOptions.AddressBook"/> (if that has no usable answer,
    /// messages to it are dropped as <see cref="DropReason.UnknownPeer"/>, and the address book is
    /// asked again when one is sent, at most every 100 ms); a node that was in the previous
    /// configuration and is not in this one is forgotten, so messages to and from it are dropped.
    /// Peers set by hand that were never members are left alone. Node thread only.
    /// </summary>
    public void OnConfigurationChanged(ConfState confState)
    {
        ArgumentNullException.ThrowIfNull(confState);
        HashSet<ulong> next = _nextMembers;
        next.Clear();
        AddMembers(next, confState.Voters);
        AddMembers(next, confState.VotersOutgoing);
        AddMembers(next, confState.Learners);
        AddMembers(next, confState.LearnersNext);
        _unresolved.Clear();
        foreach (ulong id in next)
        {
            if (!_peers.TryGet(id, out _))
            {
                Resolve(id);
            }
        }
        foreach (ulong id in _members)
        {
            if (!next.Contains(id))
            {
                _peers.Remove(id);
            }
        }
        _nextMembers = _members;
        _members = next;
    }

    /// <summary>For a message to a member with no endpoint yet: asks the address book again, unless it was asked recently (node thread).</summary>
    private bool TryResolveMember(ulong id, out Peer peer)
    {
        peer = null!;
        if (_options.AddressBook is null || !_members.Contains(id)
            || (_unresolved.TryGetValue(id, out long retryAt) && _options.Time.GetTimestamp() < retryAt))
        {
            return false;
        }
        return Resolve(id) && _peers.TryGet(id, out peer);
    }

    private bool Resolve(ulong id)
    {
        if (_options.AddressBook?.Invoke(id) is IPEndPoint endPoint && _options.PeerProblem(id, endPoint) is null)
        {
            _peers.Set(id, endPoint);
            _unresolved.Remove(id);
            return true;
        }
        _unresolved[id] = _options.Time.GetTimestamp() + Timestamps.From(LookupRetryInterval, _options.Time);
        return false;
    }

    private void AddMembers(HashSet<ulong> set, ulong[] ids)
    {
        foreach (ulong id in ids)
        {
            if (id != LocalId)
            {
                set.Add(id);
            }
        }
    }
}
