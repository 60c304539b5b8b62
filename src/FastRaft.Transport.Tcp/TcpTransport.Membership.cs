using System.Diagnostics.CodeAnalysis;
using System.Net;
using FastRaft.Protocol;

namespace FastRaft.Transport.Tcp;

public sealed partial class TcpTransport
{
    /// <summary>How long a member the address book could not place waits before it is looked up again.</summary>
    private static readonly TimeSpan LookupRetryDelay = TimeSpan.FromMilliseconds(100);

    /// <summary>The members of the last configuration reported, this node excluded (node thread).</summary>
    private HashSet<ulong> _configMembers = [];

    /// <summary>Members that left a configuration: never dialled or accepted again (node thread).</summary>
    private readonly HashSet<ulong> _retired = [];

    /// <summary>Members without an address yet, and when to ask the address book again (node thread).</summary>
    private readonly Dictionary<ulong, long> _unresolved = [];

    /// <summary>
    /// Keeps the peers in step with the node's configuration (node thread, before anything is
    /// sent under it): a new member is dialled at its address in <see cref="TcpTransportOptions.Peers"/>
    /// or, failing that, <see cref="TcpTransportOptions.AddressBook"/> (asked again at most every
    /// 100 ms while it has no answer); a member that left is disconnected and from then on neither
    /// dialled nor accepted. Peers listed by hand that were never members are left alone.
    /// </summary>
    public void OnConfigurationChanged(ConfState confState)
    {
        ArgumentNullException.ThrowIfNull(confState);
        var next = new HashSet<ulong>();
        AddMembers(next, confState.Voters);
        AddMembers(next, confState.VotersOutgoing);
        AddMembers(next, confState.Learners);
        AddMembers(next, confState.LearnersNext);
        _unresolved.Clear();
        foreach (ulong id in next)
        {
            _retired.Remove(id);
            if (!_peers.ContainsKey(id))
            {
                TryAddPeer(id);
            }
        }
        foreach (ulong id in _configMembers)
        {
            if (!next.Contains(id))
            {
                _retired.Add(id);
                if (_peers.Remove(id, out OutboundPeer? gone))
                {
                    gone.Close();
                }
            }
        }
        _configMembers = next;
        PublishAccepted();
    }

    /// <summary>For a message to a member not dialled yet: asks the address book again, unless it was asked recently (node thread).</summary>
    private bool TryResolveMember(ulong id, [NotNullWhen(true)] out OutboundPeer? peer)
    {
        peer = null;
        if (!_configMembers.Contains(id)
            || (_unresolved.TryGetValue(id, out long retryAt) && _options.Time.GetTimestamp() < retryAt))
        {
            return false;
        }
        return TryAddPeer(id) && _peers.TryGetValue(id, out peer);
    }

    private bool TryAddPeer(ulong id)
    {
        IPEndPoint? endPoint = _options.Peers.TryGetValue(id, out IPEndPoint? listed) ? listed : _options.AddressBook?.Invoke(id);
        if (endPoint is null)
        {
            _unresolved[id] = _options.Time.GetTimestamp() + ToTimestampTicks(LookupRetryDelay);
            return false;
        }
        _unresolved.Remove(id);
        _peers[id] = new OutboundPeer(this, id, endPoint);
        return true;
    }

    /// <summary>Who may connect: the peers listed and the configuration's members, less those that left (read by accepting threads).</summary>
    private void PublishAccepted()
    {
        var accepted = new HashSet<ulong>(_options.Peers.Keys);
        accepted.UnionWith(_configMembers);
        accepted.ExceptWith(_retired);
        _accepted.Replace(accepted);
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
