using System.Net;
using System.Security.Cryptography;
using FastRaft.Hosting;
using FastRaft.Hosting.Agents;
using FastRaft.Hosting.Groups;
using FastRaft.Hosting.InMemory;
using FastRaft.Storage;
using FastRaft.Transport.Udp;

namespace FastRaft.LoadTest.Targets.Groups;

/// <summary>
/// Many Raft groups in this process: one <see cref="RaftGroupHost"/> per node (three by
/// default), each holding one replica of every group, so the nodes are processes as a multi-group
/// deployment has them, only sharing this one. Each group is a lane of the load: client
/// <c>c</c> proposes to group <c>c % groups + 1</c>, through that group's leader.
/// </summary>
public sealed class FastRaftGroupsTarget : ILoadTarget
{
    /// <summary>The fewest entries between a group's snapshots, however many groups share the budget.</summary>
    private const ulong MinSnapshotEntries = 2_000;

    private readonly TargetSettings _settings;
    private readonly FastRaftTargetOptions _options;
    private readonly List<RaftGroupHost> _hosts = [];
    private readonly List<MemoryStorage> _storages = [];
    private readonly List<UdpTransport> _udp = [];

    // [group index][node index]
    private RaftNode<long>[][] _replicas = [];
    private RaftNode<long>?[] _leaders = [];
    private readonly Func<ProposeResult<long>, ProposalOutcome>[] _maps;

    public FastRaftGroupsTarget(TargetSettings settings, FastRaftTargetOptions options)
    {
        _settings = settings;
        _options = settings.FastRaftMaxInflightMsgs is int inflight ? options with { MaxInflightMsgs = inflight } : options;
        _maps = new Func<ProposeResult<long>, ProposalOutcome>[settings.Groups];
        for (int g = 0; g < _maps.Length; g++)
        {
            int group = g;
            _maps[g] = result => Map(group, result);
        }
    }

    public int Lanes => _settings.Groups;

    public string Setup =>
        $"FastRaft {_settings.Groups} groups × {_settings.Nodes} replicas on {_settings.Nodes} RaftGroupHosts ({_settings.GroupRunnerThreads} runner thread(s) each), " +
        $"{TransportSetup}, MemoryStorage (snapshot every {SnapshotEvery:N0} entries per group); leaders {(_settings.SpreadLeaders ? "spread over the nodes" : "where elected")}; " +
        $"tick {_options.TickInterval.TotalMilliseconds:0} ms, election {_options.ElectionTick} ticks, heartbeat {_options.HeartbeatTick} ticks, " +
        $"MaxSizePerMsg {_options.MaxSizePerMsg} B, MaxInflightMsgs {_options.MaxInflightMsgs}, pre-vote and check-quorum on, " +
        (_settings.FastRaftInlineCompletions ? "completions inline on the runner thread" : "completions on the thread pool");

    private string TransportSetup => _settings.GroupTransport switch
    {
        GroupTransport.InMemory => "one in-memory transport per node shared by its groups (GroupTransportHub)",
        GroupTransport.Udp => "one keyed UDP transport per node on 127.0.0.1 shared by its groups (GroupTransportHub)",
        _ => "one in-memory network per group",
    };

    /// <summary>Every group's replicas, by group index then node index (for tests and diagnostics).</summary>
    public IReadOnlyList<IReadOnlyList<RaftNode<long>>> Replicas => _replicas;

    private ulong SnapshotEvery => Math.Max(MinSnapshotEntries, _options.Snapshots.EveryEntries / (ulong)_settings.Groups);

    public async Task StartAsync(CancellationToken cancellation)
    {
        ulong[] members = new ulong[_settings.Nodes];
        for (int i = 0; i < members.Length; i++)
        {
            members[i] = (ulong)i + 1;
        }
        ITransport[]? shared = _settings.GroupTransport switch
        {
            GroupTransport.InMemory => InMemoryTransports(members),
            GroupTransport.Udp => UdpTransports(members),
            _ => null,
        };
        for (int i = 0; i < members.Length; i++)
        {
            var hostOptions = new RaftGroupHostOptions
            {
                RunnerThreads = _settings.GroupRunnerThreads,
                Name = $"node{i + 1}",
                IdleStrategy = _options.IdleStrategy,
                SpreadLeaders = _settings.SpreadLeaders,
            };
            _hosts.Add(shared is null ? new RaftGroupHost(hostOptions) : new RaftGroupHost(hostOptions, shared[i]));
        }
        // Per-group networks only: a runner thread can block on one wait source, so the
        // transports of the groups one runner drives share one signal (or input would wait for
        // the runner's backoff). The host places groups round-robin while they are only added, so
        // group g runs on runner g % runners. (A shared transport's hub does this itself.)
        int runners = _settings.GroupRunnerThreads;
        var signals = new SignalWaitSource[members.Length, runners];
        for (int i = 0; i < members.Length; i++)
        {
            for (int r = 0; r < runners; r++)
            {
                signals[i, r] = new SignalWaitSource();
            }
        }
        // The single-group targets' log budget shared by the groups, so logs reach their
        // compaction size (and memory stops growing) after as many entries in all.
        var snapshots = new SnapshotPolicy
        {
            EveryEntries = SnapshotEvery,
            KeepEntries = Math.Max(MinSnapshotEntries / 4, _options.Snapshots.KeepEntries / (ulong)_settings.Groups),
        };
        _replicas = new RaftNode<long>[_settings.Groups][];
        _leaders = new RaftNode<long>?[_settings.Groups];
        for (int g = 0; g < _settings.Groups; g++)
        {
            ulong groupId = (ulong)g + 1;
            InMemoryNetwork? network = shared is null ? new InMemoryNetwork(seed: g + 1) : null;
            _replicas[g] = new RaftNode<long>[members.Length];
            for (int i = 0; i < members.Length; i++)
            {
                var storage = new MemoryStorage();
                _storages.Add(storage);
                RaftGroupHost host = _hosts[i];
                var options = new RaftNodeOptions
                {
                    Raft = _options.RaftConfig(members[i]) with { Random = new Random(1000 * (g + 1) + i) },
                    TickInterval = _options.TickInterval,
                    InitialMembers = members,
                    Snapshots = snapshots,
                    RunContinuationsInline = _settings.FastRaftInlineCompletions,
                    Time = host.Options.Time,
                };
                IStateMachine<long> stateMachine = _options.StateMachine(members[i]);
                _replicas[g][i] = network is null
                    ? host.CreateGroup(groupId, options, storage, stateMachine)
                    : host.CreateGroup(groupId, options, storage, network.CreateTransport(members[i], signals[i, g % runners]), stateMachine);
            }
        }
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(_settings.StartTimeout);
        for (int g = 0; g < _settings.Groups; g++)
        {
            while (FindLeader(g) is null)
            {
                await Task.Delay(10, deadline.Token).ConfigureAwait(false);
            }
        }
    }

    public void WritePayload(Span<byte> destination, long sequence) => _options.PayloadWriter(destination, sequence);

    public ValueTask<ProposalOutcome> ProposeAsync(ReadOnlyMemory<byte> payload) => ProposeAsync(0, payload);

    public ValueTask<ProposalOutcome> ProposeAsync(int lane, ReadOnlyMemory<byte> payload)
    {
        RaftNode<long>? leader = _leaders[lane] ?? FindLeader(lane);
        return leader is null
            ? new ValueTask<ProposalOutcome>(ProposalOutcome.NotLeader)
            : ProposalCompletion.Of(leader.ProposeAsync(payload), _maps[lane]);
    }

    /// <summary>Runner threads' Readys and messages summed over every replica; leaders per node.</summary>
    public IReadOnlyDictionary<string, long> Counters()
    {
        var c = new Dictionary<string, long>();
        foreach (RaftNode<long>[] group in _replicas)
        {
            foreach (RaftNode<long> node in group)
            {
                RaftNodeCounters n = node.Counters;
                Add(c, "node.readys", n.Readys);
                Add(c, "node.loopIterations", n.LoopIterations);
                Add(c, "node.messagesSent", n.MessagesSent);
                Add(c, "node.messagesReceived", n.MessagesReceived);
                Add(c, "node.messagesDropped", n.MessagesDropped);
                Add(c, "node.snapshotsCreated", n.SnapshotsCreated);
            }
        }
        foreach (RaftGroupHost host in _hosts)
        {
            if (host.TransportCounters is GroupTransportCounters t)
            {
                Add(c, "hub.messagesSent", t.MessagesSent);
                Add(c, "hub.flushes", t.Flushes);
                Add(c, "hub.coalescedHeartbeats", t.CoalescedHeartbeats);
                Add(c, "hub.unknownGroupDrops", t.UnknownGroupDrops);
                Add(c, "hub.outboundDrops", t.OutboundDrops);
            }
        }
        foreach (UdpTransport u in _udp)
        {
            Add(c, "udp.datagramsSent", u.Counters.DatagramsSent);
            Add(c, "udp.dropped", u.Counters.DroppedTotal);
        }
        return c;
    }

    /// <summary>How many groups each node leads now (index = node id - 1).</summary>
    public int[] LeadersPerNode()
    {
        var counts = new int[_settings.Nodes];
        foreach (RaftNode<long>[] group in _replicas)
        {
            for (int i = 0; i < group.Length; i++)
            {
                if (group[i].IsLeader)
                {
                    counts[i]++;
                }
            }
        }
        return counts;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (RaftGroupHost host in _hosts)
        {
            try
            {
                await host.DisposeAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            }
            catch (TimeoutException ex)
            {
                _settings.Log.WriteLine($"  {host.Options.Name} did not stop cleanly: {ex.Message}");
            }
        }
        _hosts.Clear();
        foreach (MemoryStorage storage in _storages)
        {
            storage.Dispose();
        }
        _storages.Clear();
        _udp.Clear();
    }

    private ProposalOutcome Map(int group, ProposeResult<long> result)
    {
        switch (result.Status)
        {
            case RequestStatus.Ok:
                return ProposalOutcome.Committed;
            case RequestStatus.NotLeader:
                _leaders[group] = null;
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

    private static ITransport[] InMemoryTransports(ulong[] members)
    {
        var network = new InMemoryNetwork();
        var transports = new ITransport[members.Length];
        for (int i = 0; i < members.Length; i++)
        {
            transports[i] = network.CreateTransport(members[i]);
        }
        return transports;
    }

    /// <summary>Authenticated as deployed: one fresh cluster key shared by the run's nodes.</summary>
    private ITransport[] UdpTransports(ulong[] members)
    {
        byte[] clusterKey = RandomNumberGenerator.GetBytes(32);
        for (int i = 0; i < members.Length; i++)
        {
            _udp.Add(new UdpTransport(new UdpTransportOptions
            {
                LocalId = members[i],
                ClusterId = 0x10AD,
                Bind = new IPEndPoint(IPAddress.Loopback, 0),
                ClusterKey = clusterKey,
            }));
        }
        for (int i = 0; i < _udp.Count; i++)
        {
            for (int j = 0; j < _udp.Count; j++)
            {
                if (i != j)
                {
                    _udp[i].SetPeer(members[j], _udp[j].LocalEndPoint);
                }
            }
        }
        return [.. _udp];
    }

    private RaftNode<long>? FindLeader(int group)
    {
        foreach (RaftNode<long> node in _replicas[group])
        {
            if (node.IsLeader)
            {
                Volatile.Write(ref _leaders[group], node);
                return node;
            }
        }
        return null;
    }

    private static void Add(Dictionary<string, long> counters, string name, long value) =>
        counters[name] = counters.GetValueOrDefault(name) + value;
}
