using System.Net;
using System.Security.Cryptography;
using FastRaft.Hosting;
using FastRaft.Hosting.Groups;
using FastRaft.Sample.Matching;
using FastRaft.Storage;
using FastRaft.Transport.Udp;
using Microsoft.Extensions.Logging;

namespace FastRaft.Sample.Cluster;

/// <summary>
/// The sample's multi-group cluster (<c>--instruments N</c>): three nodes in this process, each a
/// <see cref="RaftGroupHost"/> over ONE keyed UDP transport on 127.0.0.1 shared by all its groups,
/// and one Raft group per instrument with a replica on every node (group id = instrument id),
/// each replica a <see cref="MatchingStateMachine"/> trading only its instrument. Leaders are
/// spread over the nodes (<see cref="RaftGroupHostOptions.SpreadLeaders"/>). Logs are in memory.
/// </summary>
internal sealed class InstrumentGroups : IAsyncDisposable
{
    private readonly List<RaftGroupHost> _hosts = [];
    private readonly List<UdpTransport> _transports = [];

    /// <param name="instruments">One group per instrument; ids from 1.</param>
    public InstrumentGroups(IReadOnlyList<Instrument> instruments, ILogger logger, int nodes = 3)
    {
        Instruments = instruments;
        Members = [.. Enumerable.Range(1, nodes).Select(n => (ulong)n)];
        byte[] clusterKey = RandomNumberGenerator.GetBytes(RaftSettings.ClusterKeySize);
        var noPeers = new Dictionary<ulong, IPEndPoint>();
        foreach (ulong id in Members)
        {
            _transports.Add(new UdpTransport(RaftSettings.Transport(id, new IPEndPoint(IPAddress.Loopback, 0), noPeers, clusterKey)));
        }
        foreach (UdpTransport t in _transports)
        {
            foreach (UdpTransport other in _transports)
            {
                if (other != t)
                {
                    t.SetPeer(other.LocalId, other.LocalEndPoint);
                }
            }
        }
        ulong maxSizePerMsg = RaftSettings.MaxSizePerMsg(_transports[0]);
        Replicas = new Replica[instruments.Count][];
        for (int n = 0; n < Members.Count; n++)
        {
            var host = new RaftGroupHost(
                new RaftGroupHostOptions { RunnerThreads = RunnerThreads(nodes), Name = $"node{Members[n]}", SpreadLeaders = true },
                _transports[n]);
            _hosts.Add(host);
        }
        for (int g = 0; g < instruments.Count; g++)
        {
            Replicas[g] = new Replica[Members.Count];
            for (int n = 0; n < Members.Count; n++)
            {
                var stateMachine = new MatchingStateMachine([instruments[g]]);
                RaftNode<CommandResult> node = _hosts[n].CreateGroup(
                    (ulong)instruments[g].Id, RaftSettings.Node(Members[n], Members, maxSizePerMsg, logger), new MemoryStorage(), stateMachine);
                Replicas[g][n] = new Replica(node, stateMachine);
            }
        }
    }

    public IReadOnlyList<Instrument> Instruments { get; }

    public IReadOnlyList<ulong> Members { get; }

    /// <summary>Every group's replicas: [instrument index][node index].</summary>
    public Replica[][] Replicas { get; }

    /// <summary>The node hosts (node id = index + 1).</summary>
    public IReadOnlyList<RaftGroupHost> Hosts => _hosts;

    /// <summary>The raft ports the nodes bound.</summary>
    public IReadOnlyList<IPEndPoint> RaftEndPoints => [.. _transports.Select(t => t.LocalEndPoint)];

    /// <summary>The replica of instrument index <paramref name="group"/> that leads it, or null.</summary>
    public Replica? LeaderOf(int group)
    {
        foreach (Replica r in Replicas[group])
        {
            if (r.Node.IsLeader)
            {
                return r;
            }
        }
        return null;
    }

    /// <summary>Groups each node leads now (index = node id - 1).</summary>
    public int[] LeadersPerNode()
    {
        var counts = new int[Members.Count];
        foreach (Replica[] group in Replicas)
        {
            for (int n = 0; n < group.Length; n++)
            {
                if (group[n].Node.IsLeader)
                {
                    counts[n]++;
                }
            }
        }
        return counts;
    }

    /// <summary>Every group has one leader that all its replicas follow, at its preferred node (leaders spread).</summary>
    public bool LeadersSettled()
    {
        for (int g = 0; g < Replicas.Length; g++)
        {
            Replica? leader = LeaderOf(g);
            if (leader is null || leader.Node.Id != PreferredLeader(g) || Replicas[g].Any(r => r.Node.Leader != leader.Node.Id))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The node group <paramref name="group"/> prefers as leader (the host's placement rule: voter at group id mod voters).</summary>
    public ulong PreferredLeader(int group) => Members[(int)((ulong)Instruments[group].Id % (ulong)Members.Count)];

    /// <summary>True once every replica of group <paramref name="group"/> applied the same index, equal to the leader's commit.</summary>
    public bool Converged(int group)
    {
        Replica? leader = LeaderOf(group);
        if (leader is null)
        {
            return false;
        }
        ulong applied = leader.StateMachine.LastIndex;
        foreach (Replica r in Replicas[group])
        {
            if (r.Node.Leader != leader.Node.Id || r.StateMachine.LastIndex != applied || r.Node.AppliedIndex != r.Node.CommitIndex
                || r.Node.CommitIndex != leader.Node.CommitIndex)
            {
                return false;
            }
        }
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (RaftGroupHost host in _hosts)
        {
            await host.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static int RunnerThreads(int nodes) => Math.Max(1, Environment.ProcessorCount / nodes);

    /// <summary>One replica of one group.</summary>
    public sealed record Replica(RaftNode<CommandResult> Node, MatchingStateMachine StateMachine);
}
