using System.Net;
using System.Net.Sockets;
using FastRaft.Core.Logging;
using FastRaft.Core.Storage;
using FastRaft.Sample.Protocol;
using FastRaft.Storage;
using FastRaft.Storage.Wal;

namespace FastRaft.Sample.Cluster;

/// <summary>
/// Several <see cref="SampleNode"/>s in one process on 127.0.0.1, on ports the OS picks. Each
/// node's storage (memory, or a write-ahead log under a directory) outlives the node, so a
/// stopped node can be restarted and resume.
/// </summary>
public sealed class LocalCluster : IAsyncDisposable
{
    private readonly Dictionary<ulong, IRaftStorage> _storages = [];
    private readonly Dictionary<ulong, SampleNode> _running = [];
    private readonly Dictionary<ulong, IPEndPoint> _raftEndPoints = [];
    private readonly Dictionary<ulong, IPEndPoint> _clientEndPoints = [];
    private readonly RaftLogger _logger;

    /// <summary>Opens the nodes' storage (nothing runs until <see cref="StartAll"/>).</summary>
    /// <param name="size">Number of voters.</param>
    /// <param name="dataDirectory">Null for memory; otherwise each node's write-ahead log goes to <c>node-ID</c> under it.</param>
    /// <param name="logger">Where the consensus core logs.</param>
    public LocalCluster(int size, string? dataDirectory, RaftLogger? logger = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        _logger = logger ?? RaftLogger.Null;
        Members = [.. Enumerable.Range(1, size).Select(i => (ulong)i)];
        try
        {
            foreach (ulong id in Members)
            {
                _storages[id] = dataDirectory is null
                    ? new MemoryStorage()
                    : WriteAheadLog.Open(Path.Combine(dataDirectory, $"node-{id}"), new WalOptions { SegmentSize = 8 << 20, Logger = _logger });
            }
        }
        catch
        {
            DisposeStorages();
            throw;
        }
    }

    public IReadOnlyList<ulong> Members { get; }

    public LeaderTracker Leadership { get; } = new();

    /// <summary>The running nodes.</summary>
    public IReadOnlyCollection<SampleNode> Running => _running.Values;

    /// <summary>Every node's client-protocol address (stopped nodes keep theirs).</summary>
    public IReadOnlyDictionary<ulong, IPEndPoint> ClientEndPoints => _clientEndPoints;

    public IReadOnlyDictionary<ulong, IPEndPoint> RaftEndPoints => _raftEndPoints;

    public IRaftStorage Storage(ulong id) => _storages[id];

    /// <summary>The running node that leads, if exactly one claims to.</summary>
    public SampleNode? Leader
    {
        get
        {
            SampleNode? leader = null;
            foreach (SampleNode n in _running.Values)
            {
                if (n.Raft.IsLeader)
                {
                    if (leader is not null)
                    {
                        return null;
                    }
                    leader = n;
                }
            }
            return leader;
        }
    }

    /// <summary>Binds every node, tells each the others' addresses, then starts them all.</summary>
    public void StartAll()
    {
        foreach (ulong id in Members)
        {
            Create(id, new IPEndPoint(IPAddress.Loopback, 0), new IPEndPoint(IPAddress.Loopback, 0));
        }
        foreach (SampleNode n in _running.Values)
        {
            foreach ((ulong peer, IPEndPoint endPoint) in _raftEndPoints)
            {
                if (peer != n.Id)
                {
                    n.SetPeer(peer, endPoint);
                }
            }
        }
        foreach (SampleNode n in _running.Values)
        {
            Leadership.OnStarted(n.Id);
            n.Start();
        }
    }

    /// <summary>Stops node <paramref name="id"/> (its storage stays).</summary>
    public async Task StopAsync(ulong id)
    {
        if (_running.Remove(id, out SampleNode? node))
        {
            Leadership.OnStopped(id);
            await node.StopAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Starts a stopped node again on its storage, on its old ports when they are still free.</summary>
    public SampleNode Restart(ulong id)
    {
        if (_running.ContainsKey(id))
        {
            throw new InvalidOperationException($"node {id} is running");
        }
        SampleNode node;
        try
        {
            node = Create(id, _raftEndPoints[id], _clientEndPoints[id]);
        }
        catch (SocketException)
        {
            // Someone took a port meanwhile: take new ones and tell the others.
            node = Create(id, new IPEndPoint(IPAddress.Loopback, 0), new IPEndPoint(IPAddress.Loopback, 0));
            foreach (SampleNode other in _running.Values)
            {
                if (other.Id != id)
                {
                    other.SetPeer(id, node.RaftEndPoint);
                }
            }
        }
        Leadership.OnStarted(id);
        node.Start();
        return node;
    }

    /// <summary>Each running node's replica state with the records of <paramref name="clientIds"/>.</summary>
    public IReadOnlyList<ReplicaState> ReadStates(IReadOnlyList<ulong> clientIds)
    {
        ulong[] ids = [.. clientIds];
        return [.. _running.Values.OrderBy(n => n.Id).Select(n => ClientEndpoint.ReadState(n.Raft, n.StateMachine, ids))];
    }

    /// <summary>
    /// True once every running node has applied the same index, equal to its commit index, and a
    /// leader leads them all (nothing is in flight any more).
    /// </summary>
    public bool Converged()
    {
        SampleNode? leader = Leader;
        if (leader is null || _running.Count == 0)
        {
            return false;
        }
        ulong applied = leader.StateMachine.LastIndex;
        foreach (SampleNode n in _running.Values)
        {
            if (n.Raft.Leader != leader.Id || n.StateMachine.LastIndex != applied || n.Raft.AppliedIndex != n.Raft.CommitIndex
                || n.Raft.CommitIndex != leader.Raft.CommitIndex)
            {
                return false;
            }
        }
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (ulong id in _running.Keys.ToArray())
        {
            await StopAsync(id).ConfigureAwait(false);
        }
        DisposeStorages();
    }

    private SampleNode Create(ulong id, IPEndPoint raft, IPEndPoint client)
    {
        var peers = new Dictionary<ulong, IPEndPoint>();
        foreach ((ulong peer, IPEndPoint endPoint) in _raftEndPoints)
        {
            if (peer != id)
            {
                peers[peer] = endPoint;
            }
        }
        var config = new NodeConfig(id, Members, raft, client, peers, RaftSettings.Instruments);
        SampleNode node = SampleNode.Create(config, _storages[id], _logger);
        node.Raft.LeadershipChanged += change => Leadership.OnChange(id, change);
        _running[id] = node;
        _raftEndPoints[id] = node.RaftEndPoint;
        _clientEndPoints[id] = node.ClientEndPoint;
        return node;
    }

    private void DisposeStorages()
    {
        foreach (IRaftStorage s in _storages.Values)
        {
            s.Dispose();
        }
        _storages.Clear();
    }
}
