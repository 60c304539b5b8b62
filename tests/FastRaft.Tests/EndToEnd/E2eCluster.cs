using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Hosting;
using FastRaft.Storage;
using FastRaft.Storage.Wal;
using FastRaft.Tests.Wal;
using FastRaft.Transport.Tcp;
using FastRaft.Transport.Udp;

namespace FastRaft.Tests.EndToEnd;

/// <summary>Which transport an <see cref="E2eCluster"/>'s nodes talk over.</summary>
public enum E2eNetwork
{
    /// <summary><see cref="UdpTransport"/> (the default).</summary>
    Udp,

    /// <summary><see cref="TcpTransport"/>: peers are fixed at construction, so only the bootstrap members run.</summary>
    Tcp,
}

/// <summary>How an <see cref="E2eCluster"/> is built.</summary>
internal sealed class E2eSettings
{
    /// <summary>The transport (UDP unless set).</summary>
    public E2eNetwork Network { get; init; } = E2eNetwork.Udp;

    /// <summary>Durable storage: a write-ahead log per node in a temporary directory (else MemoryStorage).</summary>
    public bool WriteAheadLog { get; init; }

    public SnapshotPolicy Snapshots { get; init; } = new();

    /// <summary>Election timeout in 10 ms ticks (heartbeats every 2).</summary>
    public int ElectionTick { get; init; } = 20;

    /// <summary>The cluster key (a fresh random one unless set).</summary>
    public byte[] ClusterKey { get; init; } = RandomNumberGenerator.GetBytes(32);

    /// <summary>Adjusts a node's UDP transport options (fault injection, sizes) before each start.</summary>
    public Func<ulong, UdpTransportOptions, UdpTransportOptions>? Transport { get; init; }

    /// <summary>TCP: the largest message a node sends or accepts (null: the transport's default).</summary>
    public int? TcpMaxMessageBytes { get; init; }

    /// <summary>TCP: each connection's send buffer (null: the transport's default).</summary>
    public long? TcpSendBufferBytes { get; init; }

    /// <summary>
    /// TCP: every connection from one node to another goes through its own <see cref="TcpFaultProxy"/>
    /// (the dialer's peer address is the proxy's), reachable as <see cref="E2eCluster.Faults"/>.
    /// </summary>
    public bool TcpFaultProxies { get; init; }

    /// <summary>TCP with proxies: each proxy's receive buffer (null: the system's).</summary>
    public int? TcpProxyReceiveBufferBytes { get; init; }
}

/// <summary>
/// RaftNode hosts over real UDP or TCP sockets on 127.0.0.1, each with a <see cref="LedgerStateMachine"/>
/// (fresh per start) and storage that outlives restarts. A node restarts on its old port, so peers
/// keep its address. UDP: every transport's address book is the cluster's table of endpoints, so a
/// node added at run time is found through the configuration alone. TCP: a transport's peers are
/// fixed when it is built, so every bootstrap member's port is chosen before the first start (and
/// a node cannot join at run time). The RaftConfig leaves MaxSizePerMsg and
/// SnapshotStatusTimeoutTicks at 0: the host's defaults are under test too.
/// </summary>
internal sealed class E2eCluster : IAsyncDisposable
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    private readonly E2eSettings _settings;
    private readonly ConcurrentDictionary<ulong, IPEndPoint> _endpoints = new();
    private readonly Dictionary<ulong, TempWalDirectory> _directories = [];

    public E2eCluster(int voters, E2eSettings? settings = null)
    {
        _settings = settings ?? new E2eSettings();
        Members = [.. Enumerable.Range(1, voters).Select(i => (ulong)i)];
        if (_settings.Network == E2eNetwork.Tcp)
        {
            foreach (ulong id in Members)
            {
                _endpoints[id] = new IPEndPoint(IPAddress.Loopback, FreeTcpPort());
            }
            if (_settings.TcpFaultProxies)
            {
                Faults = new TcpFaultNetwork(Members, id => _endpoints[id], _settings.TcpProxyReceiveBufferBytes);
            }
        }
    }

    /// <summary>The proxies between the nodes (TCP with <see cref="E2eSettings.TcpFaultProxies"/>), else null.</summary>
    public TcpFaultNetwork? Faults { get; }

    /// <summary>The bootstrap voters.</summary>
    public ulong[] Members { get; }

    public ConcurrentDictionary<ulong, RaftNode<ulong>> Nodes { get; } = new();

    public ConcurrentDictionary<ulong, LedgerStateMachine> StateMachines { get; } = new();

    /// <summary>The running nodes' UDP transports (empty over TCP).</summary>
    public ConcurrentDictionary<ulong, UdpTransport> Transports { get; } = new();

    /// <summary>The running nodes' TCP transports (empty over UDP).</summary>
    public ConcurrentDictionary<ulong, TcpTransport> TcpTransports { get; } = new();

    public Dictionary<ulong, IRaftStorage> Storages { get; } = [];

    /// <summary>Address book lookups, as (asking node, looked-up node).</summary>
    public ConcurrentQueue<(ulong Node, ulong Peer)> AddressLookups { get; } = new();

    public IEnumerable<RaftNode<ulong>> Running => Nodes.Values;

    public RaftNodeOptions Options(ulong id, bool joining) => new()
    {
        Raft = new RaftConfig
        {
            Id = id,
            ElectionTick = _settings.ElectionTick,
            HeartbeatTick = 2,
            MaxInflightMsgs = 256,
            PreVote = true,
            CheckQuorum = true,
            Random = new Random(31 + (int)id),
        },
        TickInterval = TimeSpan.FromMilliseconds(10),
        InitialMembers = joining ? null : Members,
        Snapshots = _settings.Snapshots,
    };

    public void StartAll() => Start(Members, joining: false);

    /// <summary>Starts (or restarts, on its old storage and port) node <paramref name="id"/>; a joining node starts empty, without bootstrapping.</summary>
    public RaftNode<ulong> Start(ulong id, bool joining = false)
    {
        Start([id], joining);
        return Nodes[id];
    }

    /// <summary>
    /// Starts several nodes: their sockets are bound first and each learns the others' endpoints,
    /// as a deployment's static configuration would list the initial members.
    /// </summary>
    public void Start(IReadOnlyList<ulong> ids, bool joining)
    {
        if (_settings.Network == E2eNetwork.Tcp)
        {
            foreach (ulong id in ids)
            {
                Assert.False(Nodes.ContainsKey(id), $"node {id} is running");
                Assert.True(!joining && Members.Contains(id), $"node {id}: over TCP only the bootstrap members run (peers are fixed when a transport is built)");
                StartTcpNode(id);
            }
            return;
        }
        var transports = new List<UdpTransport>();
        try
        {
            foreach (ulong id in ids)
            {
                Assert.False(Nodes.ContainsKey(id), $"node {id} is running");
                transports.Add(NewTransport(id));
            }
            foreach (UdpTransport t in transports)
            {
                foreach ((ulong peer, IPEndPoint ep) in _endpoints)
                {
                    if (peer != t.LocalId)
                    {
                        t.SetPeer(peer, ep);
                    }
                }
            }
        }
        catch
        {
            transports.ForEach(t => t.Dispose());
            throw;
        }
        for (int i = 0; i < ids.Count; i++)
        {
            StartNode(ids[i], transports[i], joining);
        }
    }

    private void StartNode(ulong id, UdpTransport transport, bool joining)
    {
        IRaftStorage storage = StorageFor(id);
        var sm = new LedgerStateMachine();
        RaftNode<ulong> node;
        try
        {
            node = new RaftNode<ulong>(Options(id, joining), storage, transport, sm);
        }
        catch
        {
            transport.Dispose();
            throw;
        }
        StateMachines[id] = sm;
        Transports[id] = transport;
        Nodes[id] = node;
        node.Start();
    }

    /// <summary>
    /// Starts a member over TCP on its own port. The listener binds when the node starts; should
    /// the port still be held (a connection of the previous run closing), the start is retried
    /// for a while with a new node and transport (a node whose start failed is closed).
    /// </summary>
    private void StartTcpNode(ulong id)
    {
        IRaftStorage storage = StorageFor(id);
        for (int attempt = 1; ; attempt++)
        {
            var transport = new TcpTransport(TcpOptions(id));
            var sm = new LedgerStateMachine();
            var node = new RaftNode<ulong>(Options(id, joining: false), storage, transport, sm);
            try
            {
                node.Start();
            }
            catch (InvalidOperationException e) when (e.InnerException is SocketException && attempt < 50)
            {
                Thread.Sleep(100);
                continue;
            }
            StateMachines[id] = sm;
            TcpTransports[id] = transport;
            Nodes[id] = node;
            return;
        }
    }

    private TcpTransportOptions TcpOptions(ulong id)
    {
        var peers = new Dictionary<ulong, IPEndPoint>();
        foreach (ulong peer in Members)
        {
            if (peer != id)
            {
                peers[peer] = Faults is null ? _endpoints[peer] : Faults.Link(id, peer).EndPoint;
            }
        }
        var defaults = new TcpTransportOptions { LocalId = id, ListenEndPoint = _endpoints[id], Peers = peers, ClusterKey = _settings.ClusterKey };
        return new TcpTransportOptions
        {
            LocalId = id,
            ListenEndPoint = _endpoints[id],
            Peers = peers,
            ClusterKey = _settings.ClusterKey,
            MaxMessageBytes = _settings.TcpMaxMessageBytes ?? defaults.MaxMessageBytes,
            SendBufferBytes = _settings.TcpSendBufferBytes ?? defaults.SendBufferBytes,
        };
    }

    private static int FreeTcpPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    public async Task StopAsync(ulong id)
    {
        if (Nodes.TryRemove(id, out RaftNode<ulong>? node))
        {
            await node.StopAsync().WaitAsync(Timeout);
        }
    }

    /// <summary>
    /// Stops every running node at once, reopens the write-ahead logs (as a new process would),
    /// and starts every node that has storage, stopped ones included.
    /// </summary>
    public async Task RestartAllAsync()
    {
        await Task.WhenAll(Nodes.Keys.ToArray().Select(StopAsync));
        ulong[] ids = [.. Storages.Keys.Order()];
        foreach (ulong id in ids)
        {
            if (Storages[id] is WriteAheadLog wal)
            {
                wal.Dispose();
                Storages.Remove(id);
            }
        }
        Start([.. ids.Where(Members.Contains)], joining: false);
        Start([.. ids.Where(id => !Members.Contains(id))], joining: true);
    }

    /// <summary>The running leader of the highest term, or null.</summary>
    public RaftNode<ulong>? CurrentLeader()
    {
        RaftNode<ulong>? leader = null;
        foreach (RaftNode<ulong> n in Nodes.Values)
        {
            if (n.IsLeader && (leader is null || n.Term > leader.Term))
            {
                leader = n;
            }
        }
        return leader;
    }

    /// <summary>Waits until one running node leads and every running node knows it; returns it.</summary>
    public async Task<RaftNode<ulong>> WaitForLeaderAsync()
    {
        RaftNode<ulong>? leader = null;
        await Eventually(() =>
        {
            leader = CurrentLeader();
            return leader is not null && Running.All(n => n.Leader == leader.Id && n.Term == leader.Term);
        }, "a leader known to every running node");
        return leader!;
    }

    /// <summary>Waits until every running node has applied the same index and holds the same ledger.</summary>
    public Task WaitForConvergenceAsync() => Eventually(() =>
    {
        var applied = Running.Select(n => n.AppliedIndex).Distinct().Count();
        var states = Nodes.Keys.Select(id => StateMachines[id].State).Distinct().Count();
        return applied == 1 && states == 1;
    }, () => "identical ledgers: " + Describe());

    public string Describe() => string.Join("; ", Nodes.Keys.Order().Select(id =>
    {
        RaftNode<ulong> n = Nodes[id];
        string fault = n.Fault is null ? "" : $" FAULT {n.Fault.GetType().Name}: {n.Fault.Message}";
        return $"node {id} {n.Role} term {n.Term} commit {n.CommitIndex} applied {n.AppliedIndex} ledger {StateMachines[id].State.Count} ({DescribeTransport(id)}){fault}";
    })) + (Faults is null ? "" : "; " + Faults.Describe());

    private string DescribeTransport(ulong id)
    {
        if (TcpTransports.TryGetValue(id, out TcpTransport? tcp))
        {
            TcpTransportCounters c = tcp.Counters;
            return $"tcp sent {c.MessagesSent}, received {c.MessagesReceived}, dropped {c.MessagesDropped}, connects {c.Connects}, dial failures {c.DialFailures}, "
                + $"handshakes refused {c.HandshakesRefused}, bad frames {c.BadFrames}";
        }
        UdpTransportCounters t = Transports[id].Counters;
        return $"transfers {t.TransfersStarted}/{t.TransfersCompleted}/{t.TransfersFailed}, reassemblies {t.ReassembliesStarted}/{t.ReassembliesCompleted}, drops {t.DroppedTotal}";
    }

    public static Task Eventually(Func<bool> condition, string what) => Eventually(condition, () => what);

    public static async Task Eventually(Func<bool> condition, Func<string> what)
    {
        using var cts = new CancellationTokenSource(Timeout);
        while (!condition())
        {
            if (cts.IsCancellationRequested)
            {
                Assert.Fail($"timed out waiting for {what()}");
            }
            await Task.Delay(5);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Task.WhenAll(Nodes.Keys.ToArray().Select(StopAsync));
        }
        finally
        {
            if (Faults is not null)
            {
                await Faults.DisposeAsync();
            }
            foreach (IRaftStorage s in Storages.Values)
            {
                s.Dispose();
            }
            Storages.Clear();
            foreach (TempWalDirectory d in _directories.Values)
            {
                d.Dispose();
            }
        }
    }

    private IRaftStorage StorageFor(ulong id)
    {
        if (Storages.TryGetValue(id, out IRaftStorage? storage))
        {
            return storage;
        }
        if (_settings.WriteAheadLog)
        {
            if (!_directories.TryGetValue(id, out TempWalDirectory? dir))
            {
                dir = new TempWalDirectory();
                _directories[id] = dir;
            }
            storage = dir.Open(new WalOptions { SegmentSize = 1024 * 1024 });
        }
        else
        {
            storage = new MemoryStorage();
        }
        Storages[id] = storage;
        return storage;
    }

    private UdpTransport NewTransport(ulong id)
    {
        UdpTransportOptions o = TransportOptions(id, _endpoints.TryGetValue(id, out IPEndPoint? old) ? old : new IPEndPoint(IPAddress.Loopback, 0));
        UdpTransport transport;
        try
        {
            transport = new UdpTransport(o);
        }
        catch (SocketException) when (old is not null)
        {
            // The old port was taken meanwhile: take another and tell the running peers.
            transport = new UdpTransport(TransportOptions(id, new IPEndPoint(IPAddress.Loopback, 0)));
            foreach ((ulong other, UdpTransport t) in Transports)
            {
                if (other != id && Nodes.ContainsKey(other))
                {
                    t.SetPeer(id, transport.LocalEndPoint);
                }
            }
        }
        _endpoints[id] = transport.LocalEndPoint;
        return transport;
    }

    private UdpTransportOptions TransportOptions(ulong id, IPEndPoint bind)
    {
        var o = new UdpTransportOptions
        {
            LocalId = id,
            ClusterId = 9,
            Bind = bind,
            ClusterKey = _settings.ClusterKey,
            AddressBook = peer =>
            {
                AddressLookups.Enqueue((id, peer));
                return _endpoints.TryGetValue(peer, out IPEndPoint? ep) ? ep : null;
            },
        };
        foreach ((ulong peer, IPEndPoint ep) in _endpoints)
        {
            if (peer != id)
            {
                o.Peers[peer] = ep;
            }
        }
        return _settings.Transport?.Invoke(id, o) ?? o;
    }
}
