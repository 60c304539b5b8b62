using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using FastRaft.Core.Storage;
using FastRaft.Sample.Protocol;
using FastRaft.Storage;
using FastRaft.Storage.Wal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastRaft.Sample.Cluster;

/// <summary>
/// Several <see cref="SampleNode"/>s in one process on 127.0.0.1, on ports the OS picks, with a
/// cluster key of their own (authenticated like a real cluster), talking Raft over UDP or TCP.
/// Each node's storage (memory, or a write-ahead log under a directory) outlives the node, so a
/// stopped node can be restarted and resume. Over TCP the Raft ports are picked before the nodes
/// start (the TCP transport's peers are fixed at construction), and nodes cannot join.
/// </summary>
public sealed class LocalCluster : IAsyncDisposable
{
    private readonly Dictionary<ulong, IRaftStorage> _storages = [];
    private readonly Dictionary<ulong, SampleNode> _running = [];
    private readonly Dictionary<ulong, IPEndPoint> _raftEndPoints = [];
    private readonly Dictionary<ulong, IPEndPoint> _clientEndPoints = [];
    private readonly ILogger _logger;
    private readonly Gateway.ClientGatewayOptions? _gateway;

    // Nodes started empty to be added at run time: they must never bootstrap, even when restarted empty.
    private readonly HashSet<ulong> _joiners = [];

    /// <summary>Opens the nodes' storage (nothing runs until <see cref="StartAll"/>).</summary>
    /// <param name="size">Number of voters.</param>
    /// <param name="dataDirectory">Null for memory; otherwise each node's write-ahead log goes to <c>node-ID</c> under it.</param>
    /// <param name="logger">Where the consensus core logs.</param>
    /// <param name="clusterKey">The cluster key; null makes a new random one.</param>
    /// <param name="transport">How the nodes talk Raft to each other.</param>
    /// <param name="gateway">The limits of every node's client gateway (null: the defaults).</param>
    public LocalCluster(int size, string? dataDirectory, ILogger? logger = null, byte[]? clusterKey = null, RaftTransportKind transport = RaftTransportKind.Udp,
        Gateway.ClientGatewayOptions? gateway = null)
    {
        _gateway = gateway;
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        _logger = logger ?? NullLogger.Instance;
        Transport = transport;
        ClusterKey = clusterKey ?? RandomNumberGenerator.GetBytes(RaftSettings.ClusterKeySize);
        Members = [.. Enumerable.Range(1, size).Select(i => (ulong)i)];
        try
        {
            foreach (ulong id in Members)
            {
                _storages[id] = dataDirectory is null
                    ? new MemoryStorage()
                    : WriteAheadLog.Open(Path.Combine(dataDirectory, $"node-{id}"), new WalOptions { SegmentSize = 8 << 20, Logger = _logger });
            }
            RefusePartialLoss(dataDirectory);
        }
        catch
        {
            DisposeStorages();
            throw;
        }
    }

    public IReadOnlyList<ulong> Members { get; }

    /// <summary>How the nodes talk Raft to each other.</summary>
    public RaftTransportKind Transport { get; }

    /// <summary>
    /// The nodes bootstrap when their storage is empty, which is right only when all of them are
    /// new: a node whose log is gone while the others' remain would come back under its old id
    /// having forgotten its term and vote.
    /// </summary>
    private void RefusePartialLoss(string? dataDirectory)
    {
        ulong[] empty = [.. _storages.Where(s => s.Value.LastIndex() == 0).Select(s => s.Key).Order()];
        if (dataDirectory is not null && empty.Length > 0 && empty.Length < _storages.Count)
        {
            ulong kept = _storages.Keys.Except(empty).Min();
            throw new IOException($"data directory {dataDirectory}: node-{empty[0]} holds no log while node-{kept} does; a node must not come back without its data "
                + $"(it would forget its term and vote): delete {dataDirectory} to start a new demo cluster");
        }
    }

    /// <summary>The key every node authenticates with (a node added to this cluster needs it too).</summary>
    public byte[] ClusterKey { get; }

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
        if (Transport == RaftTransportKind.Tcp)
        {
            // Every node's TCP peers are fixed when it is built: all Raft ports are known first.
            int[] ports = FreeTcpPorts(Members.Count);
            for (int i = 0; i < Members.Count; i++)
            {
                _raftEndPoints[Members[i]] = new IPEndPoint(IPAddress.Loopback, ports[i]);
            }
            foreach (ulong id in Members)
            {
                Create(id, _raftEndPoints[id], new IPEndPoint(IPAddress.Loopback, 0));
            }
        }
        else
        {
            foreach (ulong id in Members)
            {
                Create(id, new IPEndPoint(IPAddress.Loopback, 0), new IPEndPoint(IPAddress.Loopback, 0));
            }
        }
        foreach (SampleNode n in _running.Values)
        {
            foreach ((ulong peer, IPEndPoint endPoint) in _raftEndPoints)
            {
                if (peer != n.Id && Transport == RaftTransportKind.Udp)
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

    /// <summary>
    /// Starts a new node <paramref name="id"/> on empty memory storage with no configuration (as
    /// <c>--join</c> does): it knows the running nodes' addresses and waits for a membership
    /// change to add it; the members learn its address from that change.
    /// </summary>
    public SampleNode Join(ulong id)
    {
        if (_storages.ContainsKey(id))
        {
            throw new InvalidOperationException($"node {id} exists");
        }
        _storages[id] = new MemoryStorage();
        _joiners.Add(id);
        // Over TCP the members dial the address the membership change carries: a fixed port.
        IPEndPoint raft = new(IPAddress.Loopback, Transport == RaftTransportKind.Tcp ? FreeTcpPorts(1)[0] : 0);
        SampleNode node = Create(id, raft, new IPEndPoint(IPAddress.Loopback, 0));
        Leadership.OnStarted(id);
        node.Start();
        return node;
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
        catch (PortBindException) when (Transport == RaftTransportKind.Udp)
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
        var config = new NodeConfig(id, _joiners.Contains(id) ? null : Members, raft, client, peers, RaftSettings.Instruments, ClusterKey)
        {
            Transport = Transport,
            ClientAddressOf = ClientAddressOf,
        };
        SampleNode node = SampleNode.Create(config, _storages[id], _logger, _gateway);
        node.Raft.LeadershipChanged += change => Leadership.OnChange(id, change);
        _running[id] = node;
        _raftEndPoints[id] = node.RaftEndPoint;
        lock (_clientEndPoints)
        {
            _clientEndPoints[id] = node.ClientEndPoint;
        }
        return node;
    }

    /// <summary>A node's client gateway as this cluster knows it (read from the nodes' threads).</summary>
    private IPEndPoint? ClientAddressOf(ulong id)
    {
        lock (_clientEndPoints)
        {
            return _clientEndPoints.GetValueOrDefault(id);
        }
    }

    /// <summary>Ports free for TCP on 127.0.0.1 right now (bound together, then released).</summary>
    private static int[] FreeTcpPorts(int count)
    {
        var sockets = new List<Socket>();
        try
        {
            for (int i = 0; i < count; i++)
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                sockets.Add(s);
                s.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            }
            return [.. sockets.Select(s => ((IPEndPoint)s.LocalEndPoint!).Port)];
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }
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
