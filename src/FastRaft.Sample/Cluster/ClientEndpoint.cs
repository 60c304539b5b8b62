using System.Buffers;
using System.Net;
using System.Net.Sockets;
using FastRaft.Hosting;
using FastRaft.Protocol;
using FastRaft.Sample.Matching;
using FastRaft.Sample.Protocol;

namespace FastRaft.Sample.Cluster;

/// <summary>
/// A node's client port: a UDP socket and a thread answering <see cref="ClientProtocol"/>
/// requests. Submits are proposed on the leader (a follower answers NotLeader with its leader's
/// id) and answered when applied; queries read the local state machine; membership requests
/// (signed with the cluster key) become configuration changes on the leader. At most
/// <see cref="MaxInFlight"/> proposals wait at once (more are answered Unavailable). Whatever
/// arrives, the port stays up: datagrams that do not parse are dropped and counted (so is a
/// parser that throws, which would be a bug), and a request whose handling throws is counted
/// too, so nothing a client sends can hurt the node.
/// </summary>
internal sealed partial class ClientEndpoint : IDisposable
{
    public const int MaxInFlight = 4096;

    private readonly Socket _socket;
    private readonly RaftNode<CommandResult> _node;
    private readonly ClusterStateMachine _state;
    private readonly Thread _thread;
    private readonly RaftTransportKind _raftTransport;
    private readonly FastRaft.Core.Logging.RaftLogger _logger;
    private volatile bool _stopping;
    private int _inFlight;

    /// <param name="bind">Where to listen.</param>
    /// <param name="node">The node requests go to.</param>
    /// <param name="state">The node's state machine, read by queries and membership checks.</param>
    /// <param name="membershipKey">The key membership requests must be signed with (<see cref="MembershipAuthentication.DeriveKey"/>); null accepts unsigned ones (a cluster without a key).</param>
    /// <exception cref="PortBindException">The port cannot be bound.</exception>
    /// <param name="raftTransport">How the node talks Raft (over TCP, nodes cannot be added at run time yet).</param>
    /// <param name="logger">Where refusals are logged.</param>
    public ClientEndpoint(IPEndPoint bind, RaftNode<CommandResult> node, ClusterStateMachine state, byte[]? membershipKey,
        RaftTransportKind raftTransport, FastRaft.Core.Logging.RaftLogger logger)
    {
        _node = node;
        _raftTransport = raftTransport;
        _logger = logger;
        _state = state;
        _membershipKey = membershipKey;
        _socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        try
        {
            _socket.ReceiveBufferSize = 1 << 20;
            _socket.Bind(bind);
        }
        catch (SocketException e)
        {
            _socket.Dispose();
            throw new PortBindException("clients", bind, e);
        }
        catch
        {
            _socket.Dispose();
            throw;
        }
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _thread = new Thread(ReceiveLoop) { IsBackground = true, Name = $"sample client port (node {node.Id})" };
    }

    public IPEndPoint LocalEndPoint { get; }

    public ClientPortCounters Counters { get; } = new();

    public void Start() => _thread.Start();

    public void Dispose()
    {
        _stopping = true;
        _socket.Dispose();
        if (_thread.IsAlive)
        {
            _thread.Join(TimeSpan.FromSeconds(5));
        }
    }

    private void ReceiveLoop()
    {
        byte[] buffer = new byte[ClientProtocol.MaxDatagramSize];
        var from = new SocketAddress(_socket.AddressFamily);
        while (!_stopping)
        {
            int n;
            try
            {
                n = _socket.ReceiveFrom(buffer, SocketFlags.None, from);
            }
            catch (SocketException) when (!_stopping)
            {
                // e.g. a reset reported for an earlier send on some platforms; keep serving.
                continue;
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                break;
            }
            try
            {
                Handle(buffer.AsMemory(0, n), from);
            }
            catch (Exception)
            {
                // A bug in handling one request must not stop the port (an uncaught exception on
                // this thread would end the process): count it and serve the next.
                Interlocked.Increment(ref Counters.HandlerFaultCount);
            }
        }
    }

    /// <summary>Parses and answers one datagram (receive thread).</summary>
    internal void Handle(ReadOnlyMemory<byte> datagram, SocketAddress from)
    {
        if (!TryParse(datagram, Counters, out ClientRequest request))
        {
            return;
        }
        Interlocked.Increment(ref Counters.RequestsCount);
        switch (request.Kind)
        {
            case ClientProtocol.KindSubmit:
                Submit(request.RequestId, request.Command, from);
                break;
            case ClientProtocol.KindQuery:
                SendQueryReply(request.RequestId, ReadState(_node, _state.Matching, request.ClientIds), from);
                break;
            default:
                HandleMembership(request.RequestId, request.Membership, datagram, from);
                break;
        }
    }

    /// <summary>
    /// Parses a request, counting what is dropped: false for anything that is not a request,
    /// including (should a reader ever throw) a parse that failed with an exception.
    /// </summary>
    internal static bool TryParse(ReadOnlyMemory<byte> datagram, ClientPortCounters counters, out ClientRequest request)
    {
        bool parsed;
        try
        {
            parsed = ClientProtocol.TryReadRequest(datagram, out request);
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

    private void Submit(ulong requestId, ReadOnlyMemory<byte> command, SocketAddress from)
    {
        if (!CommandCodec.TryDecode(command, out _))
        {
            // Garbage never reaches the log from here (the state machine would reject it too).
            SendSubmitReply(new SubmitReply(requestId, _node.Id, SubmitStatus.BadRequest, 0, 0, 0, CommandResult.Rejected(RejectReason.Malformed)), from);
            return;
        }
        if (!_node.IsLeader)
        {
            SendSubmitReply(new SubmitReply(requestId, _node.Id, SubmitStatus.NotLeader, _node.Leader, 0, 0, default), from);
            return;
        }
        if (Interlocked.Increment(ref _inFlight) > MaxInFlight)
        {
            Interlocked.Decrement(ref _inFlight);
            SendSubmitReply(new SubmitReply(requestId, _node.Id, SubmitStatus.Unavailable, _node.Leader, 0, 0, default), from);
            return;
        }
        // The node copies the payload at once; the reply address must outlive the receive buffer.
        ValueTask<ProposeResult<CommandResult>> pending = _node.ProposeAsync(command);
        _ = CompleteAsync(requestId, pending, Copy(from));
    }

    private async Task CompleteAsync(ulong requestId, ValueTask<ProposeResult<CommandResult>> pending, SocketAddress to)
    {
        try
        {
            ProposeResult<CommandResult> r = await pending.ConfigureAwait(false);
            SendSubmitReply(ToReply(requestId, _node.Id, r), to);
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }

    /// <summary>Maps a proposal's outcome to what the client should do next.</summary>
    internal static SubmitReply ToReply(ulong requestId, ulong nodeId, in ProposeResult<CommandResult> r) => r.Status switch
    {
        RequestStatus.Ok => new SubmitReply(requestId, nodeId, SubmitStatus.Ok, nodeId, r.Index, r.Term, r.Value),
        RequestStatus.NotLeader or RequestStatus.ShuttingDown => new SubmitReply(requestId, nodeId, SubmitStatus.NotLeader, r.LeaderHint, 0, 0, default),
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

    internal static string RoleName(StateType role) => role switch
    {
        StateType.StateLeader => "leader",
        StateType.StateCandidate => "candidate",
        StateType.StatePreCandidate => "pre-candidate",
        _ => "follower",
    };

    private void SendSubmitReply(in SubmitReply reply, SocketAddress to)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        ClientProtocol.WriteSubmitReply(buffer, reply);
        Send(buffer.WrittenSpan, to);
    }

    private void SendQueryReply(ulong requestId, ReplicaState state, SocketAddress to)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        ClientProtocol.WriteQueryReply(buffer, requestId, state);
        Send(buffer.WrittenSpan, to);
    }

    private void Send(ReadOnlySpan<byte> datagram, SocketAddress to)
    {
        try
        {
            _socket.SendTo(datagram, SocketFlags.None, to);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The client resends on its timeout; a closing endpoint simply stops answering.
        }
    }

    private static SocketAddress Copy(SocketAddress address)
    {
        var copy = new SocketAddress(address.Family, address.Size);
        address.Buffer.Span.CopyTo(copy.Buffer.Span);
        return copy;
    }
}
