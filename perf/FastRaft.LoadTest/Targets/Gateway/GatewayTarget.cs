using System.Diagnostics;
using System.Net;
using FastRaft.Sample.Cluster;
using FastRaft.Sample.Gateway;

namespace FastRaft.LoadTest.Targets.Gateway;

/// <summary>
/// The sample as a whole under load: its <see cref="LocalCluster"/> (3 nodes of the replicated
/// matching engine, in this process, Raft over UDP or TCP, in-memory logs) driven through the
/// leader's TCP client gateway by <see cref="TargetSettings.GatewayConnections"/> connections,
/// each with a client id of its own. A proposal is one limit order (<see cref="GatewayOrders"/>)
/// sent on a connection and committed when the reply says the engine accepted it; the payload
/// the workload writes is not used. A proposal made while a connection delivers replies (a
/// closed-loop client going again) stays on that connection, so the clients spread evenly and
/// each batch of replies is answered with one send; any other proposal takes the next open
/// connection in turn. A leader change is not followed: its NotLeader answers count as failures.
/// </summary>
public sealed class GatewayTarget : ILoadTarget
{
    /// <summary>Proposals the sample's gateway lets wait at once node-wide (its ClientEndpoint.MaxInFlight); more are answered Unavailable.</summary>
    public const int GatewayMaxWaitingProposals = 4096;

    /// <summary>Connections opened at once while connecting.</summary>
    private const int ConnectConcurrency = 64;

    private readonly TargetSettings _settings;
    private readonly RaftTransportKind _transport;
    private readonly int _connectionCount;
    private LocalCluster? _cluster;
    private SampleNode? _leader;
    private GatewayLoadConnection[] _connections = [];
    private int _next;

    public GatewayTarget(TargetSettings settings, RaftTransportKind transport)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.GatewayConnections, 1);
        _settings = settings;
        _transport = transport;
        _connectionCount = settings.GatewayConnections;
    }

    public string Setup =>
        $"FastRaft.Sample LocalCluster, {_settings.Nodes} nodes, Raft over {_transport}, in-memory log, matching engine, sample Raft settings " +
        $"(tick 10 ms, election 20 ticks, heartbeat 2 ticks, snapshots every 50,000 entries); {_connectionCount:N0} TCP connections to the leader's client gateway, " +
        $"one client id each, limit orders in crossing buy/sell pairs over 3 instruments (the --payload size is not used); gateway limits: " +
        $"{ClientGatewayOptions.DefaultMaxInFlightPerConnection} unanswered per connection, {GatewayMaxWaitingProposals:N0} proposals waiting node-wide";

    /// <summary>Load connections of this process still open, over every gateway target (0 once all are disposed).</summary>
    public static int LiveConnections => GatewayLoadConnection.Live;

    /// <summary>The leader driven (after start).</summary>
    public SampleNode? Leader => _leader;

    /// <summary>Connections still open.</summary>
    public int OpenConnections
    {
        get
        {
            int open = 0;
            foreach (GatewayLoadConnection c in _connections)
            {
                open += c.IsClosed ? 0 : 1;
            }
            return open;
        }
    }

    public async Task StartAsync(CancellationToken cancellation)
    {
        var gateway = new ClientGatewayOptions { MaxConnections = Math.Max(ClientGatewayOptions.DefaultMaxConnections, _connectionCount + 64) };
        _cluster = new LocalCluster(_settings.Nodes, dataDirectory: null, transport: _transport, gateway: gateway);
        _cluster.StartAll();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(_settings.StartTimeout);
        while (!_cluster.Converged())
        {
            await Task.Delay(10, deadline.Token).ConfigureAwait(false);
        }
        _leader = _cluster.Leader ?? throw new InvalidOperationException("the leader stepped down while starting");
        IPEndPoint endPoint = _leader.ClientEndPoint;
        _connections = new GatewayLoadConnection[_connectionCount];
        try
        {
            await ConnectAllAsync(endPoint, deadline.Token).ConfigureAwait(false);
        }
        finally
        {
            // A partly connected array is disposed with the target: drop the holes.
            _connections = [.. _connections.Where(c => c is not null)];
        }
        // Every connection accepted by the gateway before any load (a connection it has not accepted yet would just wait, but the count tells).
        long started = Stopwatch.GetTimestamp();
        while (_leader.ClientPort.ConnectionsOpen < _connectionCount)
        {
            await Task.Delay(10, deadline.Token).ConfigureAwait(false);
        }
        _settings.Log.WriteLine($"  {_connectionCount:N0} connections to node {_leader.Id}'s gateway at {endPoint}, accepted after {Stopwatch.GetElapsedTime(started).TotalMilliseconds:N0} ms more");
    }

    private async Task ConnectAllAsync(IPEndPoint endPoint, CancellationToken cancellation)
    {
        int next = -1;
        var workers = new Task[Math.Min(ConnectConcurrency, _connectionCount)];
        for (int w = 0; w < workers.Length; w++)
        {
            workers[w] = Task.Run(async () =>
            {
                int i;
                while ((i = Interlocked.Increment(ref next)) < _connectionCount)
                {
                    // Client ids from 1; one per connection.
                    _connections[i] = await GatewayLoadConnection.ConnectAsync(endPoint, (ulong)i + 1, RaftSettings.Instruments, cancellation).ConfigureAwait(false);
                }
            }, cancellation);
        }
        await Task.WhenAll(workers).ConfigureAwait(false);
    }

    public void WritePayload(Span<byte> destination, long sequence) => Payloads.WriteSequence(destination, sequence);

    public ValueTask<ProposalOutcome> ProposeAsync(ReadOnlyMemory<byte> payload)
    {
        GatewayLoadConnection? connection = GatewayLoadConnection.Delivering;
        if (connection is null || connection.IsClosed)
        {
            connection = NextOpen();
        }
        return connection is null ? new ValueTask<ProposalOutcome>(ProposalOutcome.Error) : connection.SubmitAsync();
    }

    /// <summary>The next open connection in turn; null when all are closed.</summary>
    private GatewayLoadConnection? NextOpen()
    {
        GatewayLoadConnection[] connections = _connections;
        for (int tries = 0; tries < connections.Length; tries++)
        {
            GatewayLoadConnection c = connections[(int)((uint)Interlocked.Increment(ref _next) % (uint)connections.Length)];
            if (!c.IsClosed)
            {
                return c;
            }
        }
        return null;
    }

    /// <summary>The load client's counters summed over its connections, the leader's gateway counters, and the nodes' host counters.</summary>
    public IReadOnlyDictionary<string, long> Counters()
    {
        var c = new Dictionary<string, long>();
        long requests = 0, sends = 0, bytesSent = 0, receives = 0, bytesReceived = 0, replies = 0, accepted = 0, engineRejected = 0, staleOrDuplicate = 0;
        long notLeader = 0, unavailable = 0, retry = 0, badRequest = 0, unmatched = 0, badReplies = 0, failedOnClose = 0;
        foreach (GatewayLoadConnection connection in _connections)
        {
            GatewayLoadCounters k = connection.Counters;
            requests += Volatile.Read(ref k.Requests);
            sends += Volatile.Read(ref k.Sends);
            bytesSent += Volatile.Read(ref k.BytesSent);
            receives += Volatile.Read(ref k.Receives);
            bytesReceived += Volatile.Read(ref k.BytesReceived);
            replies += Volatile.Read(ref k.Replies);
            accepted += Volatile.Read(ref k.Accepted);
            engineRejected += Volatile.Read(ref k.EngineRejected);
            staleOrDuplicate += Volatile.Read(ref k.EngineStaleOrDuplicate);
            notLeader += Volatile.Read(ref k.NotLeader);
            unavailable += Volatile.Read(ref k.Unavailable);
            retry += Volatile.Read(ref k.Retry);
            badRequest += Volatile.Read(ref k.BadRequest);
            unmatched += Volatile.Read(ref k.Unmatched);
            badReplies += Volatile.Read(ref k.BadReplies);
            failedOnClose += Volatile.Read(ref k.FailedOnClose);
        }
        c["client.requests"] = requests;
        c["client.sends"] = sends;
        c["client.bytesSent"] = bytesSent;
        c["client.receives"] = receives;
        c["client.bytesReceived"] = bytesReceived;
        c["client.replies"] = replies;
        c["client.accepted"] = accepted;
        c["client.engineRejected"] = engineRejected;
        c["client.engineStaleOrDuplicate"] = staleOrDuplicate;
        c["client.notLeader"] = notLeader;
        c["client.unavailable"] = unavailable;
        c["client.retry"] = retry;
        c["client.badRequest"] = badRequest;
        c["client.unmatchedReplies"] = unmatched;
        c["client.badReplies"] = badReplies;
        c["client.failedOnClose"] = failedOnClose;
        if (_leader is { } leader)
        {
            ClientPortCounters g = leader.ClientPort;
            c["gateway.requests"] = g.Requests;
            c["gateway.dropped"] = g.Dropped;
            c["gateway.connectionErrors"] = g.ConnectionErrors;
            c["leader.readys"] = leader.Raft.Counters.Readys;
            c["leader.loopIterations"] = leader.Raft.Counters.LoopIterations;
        }
        if (_cluster is { } cluster)
        {
            long readys = 0, messagesSent = 0, snapshots = 0;
            foreach (SampleNode n in cluster.Running)
            {
                readys += n.Raft.Counters.Readys;
                messagesSent += n.Raft.Counters.MessagesSent;
                snapshots += n.Raft.Counters.SnapshotsCreated;
            }
            c["node.readys"] = readys;
            c["node.messagesSent"] = messagesSent;
            c["node.snapshotsCreated"] = snapshots;
        }
        return c;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (GatewayLoadConnection c in _connections)
        {
            c.Dispose();
        }
        try
        {
            await Task.WhenAll(_connections.Select(c => c.Receiving)).WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            _settings.Log.WriteLine("  gateway load connections did not all stop within 10 s");
        }
        _connections = [];
        if (_cluster is { } cluster)
        {
            _cluster = null;
            _leader = null;
            await cluster.DisposeAsync().ConfigureAwait(false);
        }
    }
}
