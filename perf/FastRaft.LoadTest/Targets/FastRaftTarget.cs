using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using FastRaft.Core.Storage;
using FastRaft.Hosting;
using FastRaft.Hosting.Idle;
using FastRaft.Hosting.InMemory;
using FastRaft.Storage;
using FastRaft.Storage.Wal;
using FastRaft.Transport.Tcp;
using FastRaft.Transport.Udp;

namespace FastRaft.LoadTest.Targets;

/// <summary>
/// A FastRaft cluster in this process: one <see cref="RaftNode{TResult}"/> per voter over the
/// transport and storage of <see cref="FastRaftTargetOptions"/>. Proposals go to the node that
/// leads; a NotLeader answer makes the next proposal look for the leader again.
/// </summary>
public sealed class FastRaftTarget : ILoadTarget
{
    private readonly TargetSettings _settings;
    private readonly FastRaftTargetOptions _options;
    private readonly List<RaftNode<long>> _nodes = [];
    private readonly List<IRaftStorage> _storages = [];
    private readonly List<UdpTransport> _udp = [];
    private readonly List<TcpTransport> _tcp = [];
    private readonly List<ParkingIdleStrategy> _idlers = [];
    private string? _dataFolder;
    private readonly Func<ProposeResult<long>, ProposalOutcome> _map;
    private volatile RaftNode<long>? _leader;

    public FastRaftTarget(TargetSettings settings, FastRaftTargetOptions options)
    {
        _settings = settings;
        _options = settings.FastRaftMaxInflightMsgs is int inflight ? options with { MaxInflightMsgs = inflight } : options;
        _map = Map;
    }

    public string Setup =>
        $"FastRaft {_settings.Nodes} nodes, {_options.Transport} transport, {_options.Storage} storage; " +
        $"tick {_options.TickInterval.TotalMilliseconds:0} ms, election {_options.ElectionTick} ticks, heartbeat {_options.HeartbeatTick} ticks, " +
        $"MaxSizePerMsg {_options.MaxSizePerMsg} B, MaxInflightMsgs {_options.MaxInflightMsgs}, pre-vote and check-quorum on, parking idle strategy, " +
        (_settings.FastRaftInlineCompletions ? "completions inline on the node thread" : "completions on the thread pool");

    /// <summary>The running nodes (for tests and diagnostics).</summary>
    public IReadOnlyList<RaftNode<long>> Nodes => _nodes;

    public async Task StartAsync(CancellationToken cancellation)
    {
        ulong[] members = new ulong[_settings.Nodes];
        for (int i = 0; i < members.Length; i++)
        {
            members[i] = (ulong)i + 1;
        }
        if (_options.Storage == FastRaftStorage.WriteAheadLog)
        {
            _dataFolder = _settings.NewDataFolder("fastraft-wal");
        }
        ITransport[] transports = CreateTransports(members);
        for (int i = 0; i < members.Length; i++)
        {
            ulong id = members[i];
            IRaftStorage storage = _dataFolder is null
                ? new MemoryStorage()
                : WriteAheadLog.Open(Path.Combine(_dataFolder, $"node-{id}"));
            _storages.Add(storage);
            var options = new RaftNodeOptions
            {
                Raft = _options.RaftConfig(id),
                TickInterval = _options.TickInterval,
                InitialMembers = members,
                Snapshots = _options.Snapshots,
                IdleStrategy = () => Track(_options.IdleStrategy()),
                RunContinuationsInline = _settings.FastRaftInlineCompletions,
            };
            _nodes.Add(new RaftNode<long>(options, storage, transports[i], _options.StateMachine(id)));
        }
        foreach (RaftNode<long> node in _nodes)
        {
            node.Start();
        }
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(_settings.StartTimeout);
        while (FindLeader() is null)
        {
            await Task.Delay(10, deadline.Token).ConfigureAwait(false);
        }
    }

    public void WritePayload(Span<byte> destination, long sequence) => _options.PayloadWriter(destination, sequence);

    /// <summary>Host counters summed over the nodes (and the leader's own Readys), UDP or TCP transport counters, idle parks.</summary>
    public IReadOnlyDictionary<string, long> Counters()
    {
        var c = new Dictionary<string, long>();
        RaftNode<long>? leader = _leader;
        foreach (RaftNode<long> node in _nodes)
        {
            RaftNodeCounters n = node.Counters;
            Add(c, "node.readys", n.Readys);
            Add(c, "node.loopIterations", n.LoopIterations);
            Add(c, "node.messagesSent", n.MessagesSent);
            Add(c, "node.messagesReceived", n.MessagesReceived);
            Add(c, "node.messagesDropped", n.MessagesDropped);
            Add(c, "node.snapshotsCreated", n.SnapshotsCreated);
            Add(c, "node.snapshotsRestored", n.SnapshotsRestored);
            if (ReferenceEquals(node, leader))
            {
                Add(c, "leader.readys", n.Readys);
                Add(c, "leader.loopIterations", n.LoopIterations);
            }
        }
        foreach (UdpTransport t in _udp)
        {
            UdpTransportCounters u = t.Counters;
            Add(c, "udp.datagramsSent", u.DatagramsSent);
            Add(c, "udp.datagramsReceived", u.DatagramsReceived);
            Add(c, "udp.bytesSent", u.BytesSent);
            Add(c, "udp.dropped", u.DroppedTotal);
            Add(c, "udp.receiveLoopAllocatedBytes", u.ReceiveLoopAllocatedBytes);
            Add(c, "udp.overflowBatches", u.OverflowBatches);
        }
        foreach (TcpTransport t in _tcp)
        {
            TcpTransportCounters u = t.Counters;
            Add(c, "tcp.messagesSent", u.MessagesSent);
            Add(c, "tcp.messagesReceived", u.MessagesReceived);
            Add(c, "tcp.dropped", u.MessagesDropped);
            Add(c, "tcp.connects", u.Connects);
            Add(c, "tcp.badFrames", u.BadFrames);
        }
        lock (_idlers)
        {
            foreach (ParkingIdleStrategy idle in _idlers)
            {
                Add(c, "idle.parks", idle.Parks);
            }
        }
        return c;
    }

    private static void Add(Dictionary<string, long> counters, string name, long value) =>
        counters[name] = counters.GetValueOrDefault(name) + value;

    private IIdleStrategy Track(IIdleStrategy idle)
    {
        if (idle is ParkingIdleStrategy parking)
        {
            lock (_idlers)
            {
                _idlers.Add(parking);
            }
        }
        return idle;
    }

    public ValueTask<ProposalOutcome> ProposeAsync(ReadOnlyMemory<byte> payload)
    {
        RaftNode<long>? leader = _leader ?? FindLeader();
        return leader is null
            ? new ValueTask<ProposalOutcome>(ProposalOutcome.NotLeader)
            : ProposalCompletion.Of(leader.ProposeAsync(payload), _map);
    }

    private ProposalOutcome Map(ProposeResult<long> result)
    {
        switch (result.Status)
        {
            case RequestStatus.Ok:
                return ProposalOutcome.Committed;
            case RequestStatus.NotLeader:
                _leader = null;
                return ProposalOutcome.NotLeader;
            case RequestStatus.Dropped:
            case RequestStatus.Overloaded:
                return ProposalOutcome.Rejected;
            case RequestStatus.Lost:
            case RequestStatus.Unknown:
                return ProposalOutcome.Lost;
            default:
                return ProposalOutcome.Error;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (RaftNode<long> node in _nodes)
        {
            try
            {
                await node.StopAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or InvalidOperationException or IOException)
            {
                _settings.Log.WriteLine($"  node {node.Id} did not stop cleanly: {ex.Message}");
            }
        }
        _nodes.Clear();
        _udp.Clear();
        _tcp.Clear();
        foreach (IRaftStorage storage in _storages)
        {
            storage.Dispose();
        }
        _storages.Clear();
        if (_dataFolder is not null)
        {
            TryDelete(_dataFolder);
        }
    }

    private RaftNode<long>? FindLeader()
    {
        foreach (RaftNode<long> node in _nodes)
        {
            if (node.IsLeader)
            {
                _leader = node;
                return node;
            }
        }
        return null;
    }

    private ITransport[] CreateTransports(ulong[] members)
    {
        var transports = new ITransport[members.Length];
        if (_options.Transport == FastRaftTransport.InMemory)
        {
            var network = new InMemoryNetwork();
            for (int i = 0; i < members.Length; i++)
            {
                transports[i] = network.CreateTransport(members[i]);
            }
            return transports;
        }
        // Measured as deployed: authenticated (one fresh key shared by the run's nodes).
        byte[] clusterKey = RandomNumberGenerator.GetBytes(32);
        if (_options.Transport == FastRaftTransport.Tcp)
        {
            CreateTcpTransports(members, clusterKey, transports);
            return transports;
        }
        var udp = new UdpTransport[members.Length];
        for (int i = 0; i < members.Length; i++)
        {
            udp[i] = new UdpTransport(new UdpTransportOptions
            {
                LocalId = members[i],
                ClusterId = 0x10AD,
                Bind = new IPEndPoint(IPAddress.Loopback, 0),
                ClusterKey = clusterKey,
            });
            transports[i] = udp[i];
            _udp.Add(udp[i]);
        }
        for (int i = 0; i < udp.Length; i++)
        {
            for (int j = 0; j < udp.Length; j++)
            {
                if (i != j)
                {
                    udp[i].SetPeer(members[j], udp[j].LocalEndPoint);
                }
            }
        }
        return transports;
    }

    /// <summary>
    /// TCP peers are fixed when a transport is built, so every node's listening port is chosen
    /// first (a free loopback port each, released just before the node binds it).
    /// </summary>
    private void CreateTcpTransports(ulong[] members, byte[] clusterKey, ITransport[] transports)
    {
        var endPoints = new Dictionary<ulong, IPEndPoint>();
        foreach (ulong id in members)
        {
            endPoints[id] = new IPEndPoint(IPAddress.Loopback, FreeTcpPort());
        }
        for (int i = 0; i < members.Length; i++)
        {
            var peers = new Dictionary<ulong, IPEndPoint>(endPoints);
            peers.Remove(members[i]);
            var tcp = new TcpTransport(new TcpTransportOptions
            {
                LocalId = members[i],
                ListenEndPoint = endPoints[members[i]],
                Peers = peers,
                ClusterKey = clusterKey,
            });
            transports[i] = tcp;
            _tcp.Add(tcp);
        }
    }

    private static int FreeTcpPort()
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)probe.LocalEndPoint!).Port;
    }

    internal static void TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Left behind in the temporary folder; not worth failing a run for.
        }
    }
}
