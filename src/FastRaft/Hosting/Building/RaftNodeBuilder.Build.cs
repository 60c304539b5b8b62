using FastRaft.Core;
using FastRaft.Core.Logging;
using FastRaft.Core.Storage;
using FastRaft.Storage.Wal;

namespace FastRaft.Hosting.Building;

// Build: every check first, then storage, transport and node, undoing what was made if a step fails.
public sealed partial class RaftNodeBuilder<TResult>
{
    /// <summary>
    /// Checks the settings, opens the storage, builds the transport for this node and returns the
    /// node, not yet started (<see cref="RaftNode{TResult}.Start"/>). Callable once per builder.
    /// </summary>
    /// <exception cref="InvalidOperationException">Something required is missing, the builder was already built, or the transport factory returned nothing or a transport for another node.</exception>
    /// <exception cref="ArgumentException">A setting is invalid or inconsistent (the message names it).</exception>
    public RaftNode<TResult> Build()
    {
        IStateMachine<TResult> stateMachine = CheckSettings(out Func<RaftTransportContext, ITransport> transportFactory);
        _built = true;
        IRaftStorage storage = OpenStorage();
        ITransport? transport = null;
        try
        {
            transport = transportFactory(new RaftTransportContext(NodeId, _time, _initialMembers, _loggers))
                ?? throw new InvalidOperationException($"node {NodeId}: the transport factory returned null");
            if (transport.LocalId != NodeId)
            {
                throw new InvalidOperationException(
                    $"node {NodeId}: the transport factory returned a transport for node {transport.LocalId}; build it for RaftTransportContext.NodeId");
            }
            var node = new RaftNode<TResult>(NodeOptions(), storage, transport, stateMachine);
            node.Agent.OwnsStorage = OwnsStorage;
            return node;
        }
        catch
        {
            transport?.Dispose();
            if (OwnsStorage)
            {
                storage.Dispose();
            }
            throw;
        }
    }

    private IStateMachine<TResult> CheckSettings(out Func<RaftTransportContext, ITransport> transportFactory)
    {
        if (_built)
        {
            throw new InvalidOperationException($"node {NodeId}: Build was already called on this builder (each node needs a builder of its own)");
        }
        IStateMachine<TResult> stateMachine = _stateMachine
            ?? throw new InvalidOperationException($"node {NodeId}: no state machine: call WithStateMachine(...) before Build()");
        transportFactory = _transportFactory
            ?? throw new InvalidOperationException(
                $"node {NodeId}: no transport: call UseUdpTransport(...), UseTcpTransport(...) or UseTransport(...) before Build()");
        CheckMembership();
        CheckExistingLog();
        if (_tickInterval <= TimeSpan.Zero)
        {
            throw new ArgumentException($"node {NodeId}: the tick interval must be positive (was {_tickInterval})");
        }
        if (_heartbeatTicks <= 0 || _electionTicks <= _heartbeatTicks)
        {
            throw new ArgumentException(
                $"node {NodeId}: the election timeout ({_electionTicks} ticks) must exceed the heartbeat interval ({_heartbeatTicks} ticks), which must be at least 1");
        }
        return stateMachine;
    }

    private void CheckExistingLog()
    {
        if (!_requireExistingLog)
        {
            return;
        }
        if (_walDirectory is null)
        {
            throw new InvalidOperationException($"node {NodeId}: RequireExistingLog() needs WithWriteAheadLog(directory)");
        }
        if (!WriteAheadLog.Exists(_walDirectory))
        {
            throw new InvalidOperationException(
                $"node {NodeId}: no write-ahead log in '{_walDirectory}', and an existing one is required: if this is the node's first start, start it once without requiring one; if its data was lost, it must not return under id {NodeId} (remove it from the cluster and add a new node)");
        }
    }

    private void CheckMembership()
    {
        if (_join == (_initialMembers is not null))
        {
            throw new InvalidOperationException(_join
                ? $"node {NodeId}: both WithInitialMembers(...) and JoinExistingCluster() were called: a node either bootstraps a new cluster or joins one"
                : $"node {NodeId}: no membership: call WithInitialMembers(...) to start a new cluster (or restart a member from its storage), or JoinExistingCluster() for a node the leader will add");
        }
        if (_initialMembers is null)
        {
            return;
        }
        var seen = new HashSet<ulong>();
        foreach (ulong member in _initialMembers)
        {
            if (member == 0 || !seen.Add(member))
            {
                throw new ArgumentException($"node {NodeId}: initial member ids must be non-zero and distinct (got [{string.Join(", ", _initialMembers)}])");
            }
        }
        if (!seen.Contains(NodeId))
        {
            throw new ArgumentException(
                $"node {NodeId}: the initial members [{string.Join(", ", _initialMembers)}] do not include this node; a node that is not a member joins with JoinExistingCluster()");
        }
    }

    private RaftNodeOptions NodeOptions() => new()
    {
        // MaxSizePerMsg stays 0: the host sizes appends from the transport's whole-message size.
        Raft = new RaftConfig
        {
            Id = NodeId,
            ElectionTick = _electionTicks,
            HeartbeatTick = _heartbeatTicks,
            PreVote = _preVote,
            CheckQuorum = _checkQuorum,
            Logger = CreateLogger(RaftLogCategories.Raft),
        },
        Logger = CreateLogger(RaftLogCategories.Node),
        TickInterval = _tickInterval,
        Time = _time,
        InitialMembers = _initialMembers,
        Snapshots = _snapshots,
        RunContinuationsInline = _continuationsInline,
        Runner = _runner,
    };
}
