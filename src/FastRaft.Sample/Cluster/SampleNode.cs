using System.Net;
using System.Net.Sockets;
using FastRaft.Core.Storage;
using FastRaft.Hosting;
using FastRaft.Sample.Matching;
using FastRaft.Sample.Protocol;
using FastRaft.Transport.Tcp;
using FastRaft.Transport.Udp;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FastRaft.Sample.Cluster;

/// <summary>
/// One running node of the sample: a <see cref="RaftNode{TResult}"/> over a
/// <see cref="UdpTransport"/> or a <see cref="TcpTransport"/> (<see cref="NodeConfig.Transport"/>)
/// applying to a <see cref="ClusterStateMachine"/> (the matching engine and the member
/// directory), plus its client port. The storage is the caller's (it outlives a stop, so a
/// restarted node resumes from it).
/// </summary>
public sealed class SampleNode : IAsyncDisposable
{
    private readonly UdpTransport? _udp;
    private readonly TcpTransport? _tcp;
    private readonly ClientEndpoint _clients;
    private int _stopped;

    private SampleNode(NodeConfig config, UdpTransport? udp, TcpTransport? tcp, RaftNode<CommandResult> raft, ClusterStateMachine state, ClientEndpoint clients)
    {
        Config = config;
        _udp = udp;
        _tcp = tcp;
        Raft = raft;
        State = state;
        _clients = clients;
    }

    public NodeConfig Config { get; }

    public ulong Id => Config.Id;

    public RaftNode<CommandResult> Raft { get; }

    /// <summary>The replicated state: matching engine and member directory.</summary>
    public ClusterStateMachine State { get; }

    /// <summary>The matching engine's state machine.</summary>
    public MatchingStateMachine StateMachine => State.Matching;

    /// <summary>The membership this node has applied, with the addresses of members added at run time.</summary>
    public MemberDirectory Members => State.Members;

    /// <summary>The bound Raft address (with the port picked when bound to port 0).</summary>
    public IPEndPoint RaftEndPoint => _udp?.LocalEndPoint ?? _tcp!.LocalEndPoint ?? Config.RaftBind;

    /// <summary>How this node talks Raft to its peers.</summary>
    public RaftTransportKind Transport => Config.Transport;

    public IPEndPoint ClientEndPoint => _clients.LocalEndPoint;

    /// <summary>The UDP transport's counters (null over TCP).</summary>
    public UdpTransportCounters? UdpCounters => _udp?.Counters;

    /// <summary>The TCP transport's counters (null over UDP).</summary>
    public TcpTransportCounters? TcpCounters => _tcp?.Counters;

    /// <summary>What the client port received and refused.</summary>
    public ClientPortCounters ClientPort => _clients.Counters;

    /// <summary>Connections and requests on the client gateway refused without effect (see <see cref="ClientPort"/>).</summary>
    public long ClientPortDropped => _clients.Counters.Dropped;

    /// <summary>The client gateway's limits.</summary>
    public Gateway.ClientGatewayOptions GatewayOptions => _clients.Options;

    /// <summary>
    /// Binds both ports and builds the node (nothing runs yet: see <see cref="Start"/>, and
    /// subscribe to the node's events before it).
    /// </summary>
    /// <exception cref="PortBindException">The Raft or the client port cannot be bound (the message names it).</exception>
    /// <exception cref="ArgumentException">A TCP node on port 0.</exception>
    /// <param name="gateway">The client gateway's limits (null: the defaults).</param>
    public static SampleNode Create(NodeConfig config, IRaftStorage storage, ILogger? logger = null, Gateway.ClientGatewayOptions? gateway = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(storage);
        var state = new ClusterStateMachine(new MatchingStateMachine(config.Instruments), storage);
        UdpTransport? udp = null;
        TcpTransport? tcp = null;
        ITransport transport;
        ulong maxSizePerMsg;
        if (config.Transport == RaftTransportKind.Tcp)
        {
            if (config.RaftBind.Port == 0)
            {
                throw new ArgumentException("a TCP node needs its Raft port given (its peers know it before it starts)", nameof(config));
            }
            // Bound when the node starts; a port in use is reported by Start.
            transport = tcp = new TcpTransport(RaftSettings.TcpTransport(config.Id, config.RaftBind, config.Peers, config.ClusterKey, state.Members.AddressOf, logger));
            maxSizePerMsg = RaftSettings.TcpMaxSizePerMsg;
        }
        else
        {
            try
            {
                transport = udp = new UdpTransport(RaftSettings.Transport(config.Id, config.RaftBind, config.Peers, config.ClusterKey, state.Members.AddressOf));
            }
            catch (SocketException e)
            {
                throw new PortBindException("Raft", config.RaftBind, e);
            }
            maxSizePerMsg = RaftSettings.MaxSizePerMsg(udp);
        }
        RaftNode<CommandResult>? raft = null;
        try
        {
            raft = new RaftNode<CommandResult>(RaftSettings.Node(config.Id, config.InitialMembers, maxSizePerMsg, logger ?? NullLogger.Instance), storage, transport, state);
            byte[]? membershipKey = config.ClusterKey is null ? null : MembershipAuthentication.DeriveKey(config.ClusterKey);
            var clients = new ClientEndpoint(config.ClientBind, raft, state, membershipKey, logger ?? NullLogger.Instance, gateway, config.ClientAddressOf);
            return new SampleNode(config, udp, tcp, raft, state, clients);
        }
        catch
        {
            if (raft is null)
            {
                transport.Dispose();
            }
            else
            {
                // A node never started disposes its transport when stopped.
                raft.StopAsync().GetAwaiter().GetResult();
            }
            throw;
        }
    }

    /// <summary>Sets (or changes) a peer's Raft address (UDP only: a TCP node learns new members from the member directory).</summary>
    /// <exception cref="NotSupportedException">The node talks Raft over TCP.</exception>
    public void SetPeer(ulong id, IPEndPoint endPoint)
    {
        if (_udp is null)
        {
            throw new NotSupportedException("a TCP node takes its peers at creation and new members from the member directory, not by hand");
        }
        _udp.SetPeer(id, endPoint);
    }

    /// <exception cref="PortBindException">The TCP Raft port cannot be bound.</exception>
    public void Start()
    {
        try
        {
            Raft.Start();
        }
        catch (InvalidOperationException e) when (_tcp is not null && e.InnerException is SocketException bind)
        {
            throw new PortBindException("Raft", Config.RaftBind, bind, "TCP");
        }
        _clients.Start();
    }

    /// <summary>Stops the client port, then the node (which disposes its transport). The storage stays open.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0)
        {
            return;
        }
        _clients.Dispose();
        try
        {
            await Raft.StopAsync().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
        }
        catch (Exception) when (Raft.Fault is not null)
        {
            // The fault stays readable through Raft.Fault.
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);
}
