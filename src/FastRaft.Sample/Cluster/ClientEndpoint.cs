using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using FastRaft.Hosting;
using FastRaft.Protocol;
using FastRaft.Sample.Gateway;
using FastRaft.Sample.Matching;
using FastRaft.Sample.Protocol;
using Microsoft.Extensions.Logging;

namespace FastRaft.Sample.Cluster;

/// <summary>
/// A node's client port: a TCP gateway. Clients keep a connection and pipeline
/// <see cref="ClientProtocol"/> requests on it, one per frame (<see cref="FastRaft.Codec.Framing.FrameFormat"/>),
/// and get one reply frame per request, in the order they complete. Submits are proposed on the
/// leader (a follower answers NotLeader with its leader's id) and answered when applied; queries
/// read the local state machine; membership requests (signed with the cluster key) become
/// configuration changes on the leader. At most <see cref="MaxInFlight"/> proposals wait at once
/// node-wide (more are answered Unavailable), and each connection is read only while it has
/// fewer than <see cref="ClientGatewayOptions.MaxInFlightPerConnection"/> requests unanswered.
/// Whatever arrives, the gateway stays up: a connection sending garbage, an oversize or
/// never-completed frame, or a request that does not parse is closed, counted and logged with
/// its reason and address; connections beyond the limit are closed at once, likewise.
/// </summary>
internal sealed partial class ClientEndpoint : IGatewayHost, IProposalSink, IDisposable
{
    public const int MaxInFlight = 4096;

    /// <summary>Reply slots kept for reuse.</summary>
    private const int PooledReplies = 8192;

    /// <summary>How often connections are checked against their read and write deadlines.</summary>
    private static readonly TimeSpan SweepInterval = TimeSpan.FromMilliseconds(200);

    private readonly Socket _listener;
    private readonly RaftNode<CommandResult> _node;
    private readonly ClusterStateMachine _state;
    private readonly ILogger _logger;
    private readonly Func<ulong, IPEndPoint?>? _clientAddressOf;
    private readonly ConcurrentDictionary<long, GatewayConnection> _connections = new();
    private readonly BoundedQueue<GatewayReply> _replyPool = new(PooledReplies);
    private readonly CancellationTokenSource _stopping = new();
    private readonly long _frameTicks;
    private readonly long _writeTicks;
    private Timer? _sweep;
    private Task _accepting = Task.CompletedTask;
    private long _nextConnectionId;
    private int _inFlight;

    /// <param name="bind">Where to listen.</param>
    /// <param name="node">The node requests go to.</param>
    /// <param name="state">The node's state machine, read by queries and membership checks.</param>
    /// <param name="membershipKey">The key membership requests must be signed with (<see cref="MembershipAuthentication.DeriveKey"/>); null accepts unsigned ones (a cluster without a key).</param>
    /// <param name="logger">Where refused connections are logged (one line each, with the reason and the client's address).</param>
    /// <param name="options">The gateway's limits (null: the defaults).</param>
    /// <exception cref="PortBindException">The port cannot be bound.</exception>
    public ClientEndpoint(IPEndPoint bind, RaftNode<CommandResult> node, ClusterStateMachine state, byte[]? membershipKey,
        ILogger logger, ClientGatewayOptions? options = null, Func<ulong, IPEndPoint?>? clientAddressOf = null)
    {
        _clientAddressOf = clientAddressOf;
        Options = options ?? ClientGatewayOptions.Default;
        Options.Validate();
        _node = node;
        _state = state;
        _membershipKey = membershipKey;
        _logger = logger;
        _frameTicks = (long)(Options.FrameReadTimeout.TotalSeconds * Stopwatch.Frequency);
        _writeTicks = (long)(Options.ReplyWriteTimeout.TotalSeconds * Stopwatch.Frequency);
        _listener = new Socket(bind.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            _listener.Bind(bind);
            _listener.Listen(1024);
        }
        catch (SocketException e)
        {
            _listener.Dispose();
            throw new PortBindException("clients", bind, e, "TCP");
        }
        catch
        {
            _listener.Dispose();
            throw;
        }
        LocalEndPoint = (IPEndPoint)_listener.LocalEndPoint!;
    }

    public IPEndPoint LocalEndPoint { get; }

    public ClientPortCounters Counters { get; } = new();

    public ClientGatewayOptions Options { get; }

    public void Start()
    {
        _sweep = new Timer(static s => ((ClientEndpoint)s!).Sweep(), this, SweepInterval, SweepInterval);
        _accepting = AcceptLoopAsync();
    }

    public void Dispose()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }
        _stopping.Cancel();
        _sweep?.Dispose();
        _listener.Dispose();
        foreach (GatewayConnection c in _connections.Values)
        {
            c.Close(GatewayRefusal.None);
        }
        _accepting.Wait(TimeSpan.FromSeconds(5));
    }

    private async Task AcceptLoopAsync()
    {
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await _listener.AcceptAsync(_stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException && !_stopping.IsCancellationRequested)
            {
                // e.g. a connection reset before it was accepted; keep accepting.
                continue;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or OperationCanceledException)
            {
                break;
            }
            Interlocked.Increment(ref Counters.ConnectionsAcceptedCount);
            if (Interlocked.Increment(ref Counters.ConnectionsOpenCount) > Options.MaxConnections)
            {
                Interlocked.Decrement(ref Counters.ConnectionsOpenCount);
                Counters.Count(GatewayRefusal.TooManyConnections);
                LogRefusal(RemoteOf(socket), GatewayRefusal.TooManyConnections);
                socket.Dispose();
                continue;
            }
            GatewayConnection connection;
            try
            {
                connection = new GatewayConnection(this, socket, Interlocked.Increment(ref _nextConnectionId));
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
            {
                // Gone between accept and setup.
                Interlocked.Decrement(ref Counters.ConnectionsOpenCount);
                socket.Dispose();
                continue;
            }
            _connections[connection.Id] = connection;
            if (_stopping.IsCancellationRequested)
            {
                connection.Close(GatewayRefusal.None);
            }
            _ = connection.RunAsync();
        }
    }

    private void Sweep()
    {
        try
        {
            long now = Stopwatch.GetTimestamp();
            foreach (KeyValuePair<long, GatewayConnection> c in _connections)
            {
                c.Value.CheckDeadlines(now, _frameTicks, _writeTicks);
            }
        }
        catch (Exception)
        {
            // An exception on a timer thread would end the process: count it (a bug) and sweep again next time.
            Interlocked.Increment(ref Counters.HandlerFaultCount);
        }
    }

    void IGatewayHost.OnRefused(GatewayConnection connection, GatewayRefusal reason)
    {
        Counters.Count(reason);
        LogRefusal(connection.Remote, reason);
    }

    void IGatewayHost.OnClosed(GatewayConnection connection, GatewayRefusal reason)
    {
        _connections.TryRemove(connection.Id, out _);
        Interlocked.Decrement(ref Counters.ConnectionsOpenCount);
        if (reason == GatewayRefusal.None && !_stopping.IsCancellationRequested)
        {
            Interlocked.Increment(ref Counters.ClientClosesCount);
        }
    }

    private void LogRefusal(EndPoint? remote, GatewayRefusal reason)
    {
        string what = reason switch
        {
            GatewayRefusal.Garbage => "bytes that do not start a frame",
            GatewayRefusal.OversizeFrame => $"a frame header announcing more than {Options.MaxFrameBytes} bytes",
            GatewayRefusal.SlowFrame => $"a frame not completed within {Options.FrameReadTimeout.TotalSeconds:0.###} s",
            GatewayRefusal.CutFrame => "the stream ended inside a frame",
            GatewayRefusal.MalformedRequest => "a frame that is not a request of the client protocol",
            GatewayRefusal.SlowReader => $"replies left unread for {Options.ReplyWriteTimeout.TotalSeconds:0.###} s",
            GatewayRefusal.TooManyConnections => $"more than {Options.MaxConnections} connections open",
            _ => "a connection error",
        };
        string line = $"client gateway of node {_node.Id}: closed the connection from {remote?.ToString() ?? "?"}: {what} ({reason})";
        // The text as it is (not a message template: an address may hold braces).
        LogLevel level = reason == GatewayRefusal.ConnectionError ? LogLevel.Information : LogLevel.Warning;
        _logger.Log(level, default, line, null, static (text, _) => text);
    }

    private static EndPoint? RemoteOf(Socket socket)
    {
        try
        {
            return socket.RemoteEndPoint;
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return null;
        }
    }

    GatewayReply IGatewayHost.RentReply() => RentReply();

    private GatewayReply RentReply() => _replyPool.TryDequeue(out GatewayReply reply) ? reply : new GatewayReply();

    public void ReturnReply(GatewayReply reply)
    {
        reply.Clear();
        // A full pool lets the slot go (its waiting loop with it).
        _replyPool.TryEnqueue(reply);
    }

    bool IGatewayHost.TryHandle(in ClientRequest request, ReadOnlyMemory<byte> payload, GatewayConnection connection)
    {
        try
        {
            Handle(in request, payload, connection);
            return true;
        }
        catch (Exception)
        {
            // A bug in handling one request must not stop the gateway: count it and serve the next.
            Interlocked.Increment(ref Counters.HandlerFaultCount);
            return false;
        }
    }

    /// <summary>Answers one parsed request (its bytes are valid during the call only).</summary>
    private void Handle(in ClientRequest request, ReadOnlyMemory<byte> payload, GatewayConnection connection)
    {
        Interlocked.Increment(ref Counters.RequestsCount);
        switch (request.Kind)
        {
            case ClientProtocol.KindSubmit:
                Submit(request.RequestId, request.Command, connection);
                break;
            case ClientProtocol.KindQuery:
                GatewayReply reply = RentReply();
                reply.SetQuery(request.RequestId, ReadState(_node, _state.Matching, request.ClientIds));
                Send(reply, connection);
                break;
            default:
                HandleMembership(request.RequestId, request.Membership, payload, connection);
                break;
        }
    }

    /// <summary>
    /// Parses a request, counting what is dropped: false for anything that is not a request,
    /// including (should a reader ever throw) a parse that failed with an exception.
    /// </summary>
    internal static bool TryParse(ReadOnlyMemory<byte> payload, ClientPortCounters counters, out ClientRequest request)
    {
        bool parsed;
        try
        {
            parsed = ClientProtocol.TryReadRequest(payload, out request);
        }
        catch (Exception)
        {
            request = default;
            Interlocked.Increment(ref counters.ParseFaultCount);
            return false;
        }
        if (!parsed)
        {
            Interlocked.Increment(ref counters.MalformedCount);
        }
        return parsed;
    }

    private void Submit(ulong requestId, ReadOnlyMemory<byte> command, GatewayConnection connection)
    {
        if (!CommandCodec.TryDecode(command, out _))
        {
            // Garbage never reaches the log from here (the state machine would reject it too).
            SendSubmitReply(new SubmitReply(requestId, _node.Id, SubmitStatus.BadRequest, 0, 0, 0, CommandResult.Rejected(RejectReason.Malformed)), connection);
            return;
        }
        if (!_node.IsLeader)
        {
            SendSubmitReply(new SubmitReply(requestId, _node.Id, SubmitStatus.NotLeader, _node.Leader, 0, 0, default, AddressOf(_node.Leader)), connection);
            return;
        }
        if (Interlocked.Increment(ref _inFlight) > MaxInFlight)
        {
            Interlocked.Decrement(ref _inFlight);
            SendSubmitReply(new SubmitReply(requestId, _node.Id, SubmitStatus.Unavailable, _node.Leader, 0, 0, default), connection);
            return;
        }
        // The node copies the payload at once (the frame's bytes are only lent to us).
        ValueTask<ProposeResult<CommandResult>> pending = _node.ProposeAsync(command);
        GatewayReply reply = RentReply();
        reply.Connection = connection;
        reply.Submit = new SubmitReply(requestId, _node.Id, SubmitStatus.Unavailable, 0, 0, 0, default);
        if (pending.IsCompleted)
        {
            OnProposalCompleted(reply, pending.Result);
            return;
        }
        reply.AwaitProposal(pending, this);
    }

    /// <summary>A proposal's outcome (on the thread that completed it): answered on the connection that asked.</summary>
    public void OnProposalCompleted(GatewayReply reply, in ProposeResult<CommandResult> result)
    {
        Interlocked.Decrement(ref _inFlight);
        GatewayConnection connection = reply.Connection!;
        IPEndPoint? leader = result.Status is RequestStatus.NotLeader or RequestStatus.ShuttingDown ? AddressOf(result.LeaderHint) : null;
        reply.SetSubmit(ToReply(reply.Submit.RequestId, _node.Id, in result, leader));
        connection.Enqueue(reply);
    }

    /// <summary>The client gateway of node <paramref name="id"/>, when known (this node's own included).</summary>
    private IPEndPoint? AddressOf(ulong id) => id == 0 ? null : id == _node.Id ? LocalEndPoint : _clientAddressOf?.Invoke(id);

    /// <summary>Maps a proposal's outcome to what the client should do next.</summary>
    internal static SubmitReply ToReply(ulong requestId, ulong nodeId, in ProposeResult<CommandResult> r, IPEndPoint? leaderAddress = null) => r.Status switch
    {
        RequestStatus.Ok => new SubmitReply(requestId, nodeId, SubmitStatus.Ok, nodeId, r.Index, r.Term, r.Value),
        RequestStatus.NotLeader or RequestStatus.ShuttingDown => new SubmitReply(requestId, nodeId, SubmitStatus.NotLeader, r.LeaderHint, 0, 0, default, leaderAddress),
        // Never applied (Lost) or maybe applied (Unknown): resending is safe either way thanks to deduplication.
        RequestStatus.Lost or RequestStatus.Unknown => new SubmitReply(requestId, nodeId, SubmitStatus.Retry, r.LeaderHint, 0, 0, default),
        _ => new SubmitReply(requestId, nodeId, SubmitStatus.Unavailable, r.LeaderHint, 0, 0, default),
    };

    /// <summary>This replica's state, with the records of <paramref name="clientIds"/>.</summary>
    internal static ReplicaState ReadState(RaftNode<CommandResult> node, MatchingStateMachine stateMachine, ReadOnlySpan<ulong> clientIds)
    {
        (ulong lastIndex, byte[] hash) = stateMachine.HashState();
        var clients = new ClientState[clientIds.Length];
        for (int i = 0; i < clientIds.Length; i++)
        {
            clients[i] = stateMachine.TryGetClient(clientIds[i], out ClientRecord rec)
                ? new ClientState(rec.ClientId, rec.LastSequence, rec.Applied)
                : new ClientState(clientIds[i], 0, 0);
        }
        return new ReplicaState(node.Id, RoleName(node.Role), node.Term, node.Leader, node.CommitIndex, lastIndex, hash,
            stateMachine.Statistics, stateMachine.RestingOrders, clients);
    }

    internal static string RoleName(NodeRole role) => role switch
    {
        NodeRole.Leader => "leader",
        NodeRole.Candidate => "candidate",
        NodeRole.PreCandidate => "pre-candidate",
        _ => "follower",
    };

    private void SendSubmitReply(in SubmitReply submit, GatewayConnection connection)
    {
        GatewayReply reply = RentReply();
        reply.SetSubmit(in submit);
        Send(reply, connection);
    }

    private static void Send(GatewayReply reply, GatewayConnection connection)
    {
        reply.Connection = connection;
        connection.Enqueue(reply);
    }
}
