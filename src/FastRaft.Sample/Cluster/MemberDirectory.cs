using System.Net;
using FastRaft.Protocol;

namespace FastRaft.Sample.Cluster;

/// <summary>
/// What a node knows of the cluster's membership as applied so far: the voters, the learners,
/// the ids removed (never to be reused, as etcd does: a removed node's old incarnation may have
/// voted in the current term), and the Raft addresses of members added at run time (members
/// started with <c>--init</c> are known from <c>--peers</c>). Replicated: it changes only by
/// applying configuration changes or restoring a snapshot, so it is the same on every replica
/// at the same index. Thread-safe.
/// </summary>
public sealed class MemberDirectory
{
    private readonly Lock _gate = new();
    private readonly SortedSet<ulong> _voters = [];
    private readonly SortedSet<ulong> _learners = [];
    private readonly SortedSet<ulong> _removed = [];
    private readonly SortedDictionary<ulong, IPEndPoint> _addresses = [];

    /// <summary>The voters as of the last applied change.</summary>
    public ulong[] Voters
    {
        get
        {
            lock (_gate)
            {
                return [.. _voters];
            }
        }
    }

    /// <summary>The learners as of the last applied change.</summary>
    public ulong[] Learners
    {
        get
        {
            lock (_gate)
            {
                return [.. _learners];
            }
        }
    }

    /// <summary>The ids removed from the cluster so far.</summary>
    public ulong[] Removed
    {
        get
        {
            lock (_gate)
            {
                return [.. _removed];
            }
        }
    }

    /// <summary>The run-time-added members' Raft addresses.</summary>
    public IReadOnlyList<KeyValuePair<ulong, IPEndPoint>> Addresses
    {
        get
        {
            lock (_gate)
            {
                return [.. _addresses];
            }
        }
    }

    public bool IsVoter(ulong id)
    {
        lock (_gate)
        {
            return _voters.Contains(id);
        }
    }

    public bool IsLearner(ulong id)
    {
        lock (_gate)
        {
            return _learners.Contains(id);
        }
    }

    public bool WasRemoved(ulong id)
    {
        lock (_gate)
        {
            return _removed.Contains(id);
        }
    }

    /// <summary>A member's Raft address learned from its configuration change, or null.</summary>
    public IPEndPoint? AddressOf(ulong id)
    {
        lock (_gate)
        {
            return _addresses.GetValueOrDefault(id);
        }
    }

    /// <summary>
    /// Takes on <paramref name="confState"/>, recording <paramref name="address"/> for
    /// <paramref name="changed"/> when given, and members that left as removed; forgets addresses
    /// of non-members.
    /// </summary>
    internal void Apply(ConfState confState, ulong changed, IPEndPoint? address)
    {
        lock (_gate)
        {
            ulong[] before = [.. _voters, .. _learners];
            Replace(_voters, confState.Voters, confState.VotersOutgoing);
            Replace(_learners, confState.Learners, confState.LearnersNext);
            if (address is not null && changed != 0)
            {
                _addresses[changed] = address;
            }
            foreach (ulong id in before)
            {
                if (!_voters.Contains(id) && !_learners.Contains(id))
                {
                    _removed.Add(id);
                }
            }
            foreach (ulong id in _addresses.Keys.ToArray())
            {
                if (!_voters.Contains(id) && !_learners.Contains(id))
                {
                    _addresses.Remove(id);
                }
            }
        }
    }

    /// <summary>Replaces everything (a snapshot restore).</summary>
    internal void Reset(IEnumerable<ulong> voters, IEnumerable<ulong> learners, IEnumerable<ulong> removed, IEnumerable<KeyValuePair<ulong, IPEndPoint>> addresses)
    {
        lock (_gate)
        {
            _removed.Clear();
            _removed.UnionWith(removed);
            _voters.Clear();
            _voters.UnionWith(voters);
            _learners.Clear();
            _learners.UnionWith(learners);
            _addresses.Clear();
            foreach ((ulong id, IPEndPoint address) in addresses)
            {
                _addresses[id] = address;
            }
        }
    }

    private static void Replace(SortedSet<ulong> set, ulong[] a, ulong[] b)
    {
        set.Clear();
        set.UnionWith(a);
        set.UnionWith(b);
    }
}
