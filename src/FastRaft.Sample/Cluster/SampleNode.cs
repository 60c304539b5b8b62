using System.Net;
using FastRaft.Core.Logging;
using FastRaft.Core.Storage;
using FastRaft.Hosting;
using FastRaft.Sample.Matching;
using FastRaft.Transport.Udp;

namespace FastRaft.Sample.Cluster;

/// <summary>
/// One running node of the sample: a <see cref="RaftNode{TResult}"/> over a
/// <see cref="UdpTransport"/> applying to a <see cref="MatchingStateMachine"/>, plus its client
/// port. The storage is the caller's (it outlives a stop, so a restarted node resumes from it).
/// </summary>
public sealed class SampleNode : IAsyncDisposable
{
    private readonly UdpTransport _transport;
    private readonly ClientEndpoint _clients;
    private int _stopped;

    private SampleNode(NodeConfig config, UdpTransport transport, RaftNode<CommandResult> raft, MatchingStateMachine stateMachine, ClientEndpoint clients)
    {
        Config = config;
        _transport = transport;
        Raft = raft;
        StateMachine = stateMachine;
        _clients = clients;
    }

    public NodeConfig Config { get; }

    public ulong Id => Config.Id;

    public RaftNode<CommandResult> Raft { get; }

    public MatchingStateMachine StateMachine { get; }

    /// <summary>The bound Raft address (with the port picked when bound to port 0).</summary>
    public IPEndPoint RaftEndPoint => _transport.LocalEndPoint;

    public IPEndPoint ClientEndPoint => _clients.LocalEndPoint;

    public UdpTransportCounters TransportCounters => _transport.Counters;

    /// <summary>Datagrams on the client port that were not requests.</summary>
    public long ClientDatagramsDropped => _clients.Dropped;

    /// <summary>
    /// Binds both ports and builds the node (nothing runs yet: see <see cref="Start"/>, and
    /// subscribe to the node's events before it).
    /// </summary>
    public static SampleNode Create(NodeConfig config, IRaftStorage storage, RaftLogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(storage);
        var transport = new UdpTransport(RaftSettings.Transport(config.Id, config.RaftBind, config.Peers));
        RaftNode<CommandResult>? raft = null;
        try
        {
            var stateMachine = new MatchingStateMachine(config.Instruments);
            raft = new RaftNode<CommandResult>(RaftSettings.Node(config.Id, config.Members, transport, logger ?? RaftLogger.Null), storage, transport, stateMachine);
            var clients = new ClientEndpoint(config.ClientBind, raft, stateMachine);
            return new SampleNode(config, transport, raft, stateMachine, clients);
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

    /// <summary>Sets (or changes) a peer's Raft address.</summary>
    public void SetPeer(ulong id, IPEndPoint endPoint) => _transport.SetPeer(id, endPoint);

    public void Start()
    {
        Raft.Start();
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
