using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.Membership;
using DotNextWal = DotNext.Net.Cluster.Consensus.Raft.StateMachine.WriteAheadLog;
using INoOpStateMachine = DotNext.Net.Cluster.Consensus.Raft.StateMachine.IStateMachine;

namespace FastRaft.LoadTest.Targets;

/// <summary>
/// A DotNext.Net.Cluster cluster in this process: one <see cref="RaftCluster"/> per voter over its
/// built-in TCP transport on 127.0.0.1, a static membership (cold start off), and the storage of
/// <see cref="DotNextTargetOptions"/>. Proposals are <c>ReplicateAsync</c> calls on the leader
/// with a binary log entry; they complete once the entry is committed.
/// </summary>
public sealed class DotNextTarget : ILoadTarget
{
    private readonly TargetSettings _settings;
    private readonly DotNextTargetOptions _options;
    private readonly List<RaftCluster> _nodes = [];
    private readonly List<IDisposable> _states = [];
    private string? _dataFolder;
    private volatile RaftCluster? _leader;

    public DotNextTarget(TargetSettings settings, DotNextTargetOptions options)
    {
        _settings = settings;
        _options = options;
    }

    public string Setup =>
        $"DotNext.Net.Cluster 6.12.0 {_settings.Nodes} nodes, TCP transport, " +
        (_options.Storage == DotNextStorage.ConsensusOnly ? "ConsensusOnlyState (keeps terms only, payloads not replicated)" : "WriteAheadLog with a no-op state machine") +
        $"; election {_options.LowerElectionTimeout}-{_options.UpperElectionTimeout} ms, other settings default";

    public async Task StartAsync(CancellationToken cancellation)
    {
        int[] ports = FreeLoopbackPorts(_settings.Nodes);
        if (_options.Storage == DotNextStorage.WriteAheadLog)
        {
            _dataFolder = _settings.NewDataFolder("dotnext-wal");
        }
        for (int i = 0; i < ports.Length; i++)
        {
            var configuration = new RaftCluster.TcpConfiguration(new IPEndPoint(IPAddress.Loopback, ports[i]))
            {
                ColdStart = false,
                LowerElectionTimeout = _options.LowerElectionTimeout,
                UpperElectionTimeout = _options.UpperElectionTimeout,
                // null: DotNext keeps a static in-memory membership, filled in below.
                ConfigurationStorage = null,
            };
            if (configuration.ConfigurationStorage is not InMemoryClusterConfigurationStorage<EndPoint> membership)
            {
                throw new InvalidOperationException("DotNext did not create its in-memory membership storage");
            }
            InMemoryClusterConfigurationStorage<EndPoint>.Builder builder = membership.CreateInitialConfigurationBuilder();
            foreach (int port in ports)
            {
                builder.Add(new IPEndPoint(IPAddress.Loopback, port));
            }
            builder.Build();

            IPersistentState state = CreateState(i);
            _states.Add((IDisposable)state);
            _nodes.Add(new RaftCluster(configuration) { AuditTrail = state });
        }
        foreach (RaftCluster node in _nodes)
        {
            await node.StartAsync(cancellation).ConfigureAwait(false);
        }
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(_settings.StartTimeout);
        while (FindLeader() is null)
        {
            await Task.Delay(10, deadline.Token).ConfigureAwait(false);
        }
    }

    public void WritePayload(Span<byte> destination, long sequence) => _options.PayloadWriter(destination, sequence);

    public IReadOnlyDictionary<string, long> Counters() => new Dictionary<string, long>();

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    public async ValueTask<ProposalOutcome> ProposeAsync(ReadOnlyMemory<byte> payload)
    {
        RaftCluster? leader = _leader ?? FindLeader();
        if (leader is null)
        {
            return ProposalOutcome.NotLeader;
        }
        try
        {
            await leader.ReplicateAsync(payload).ConfigureAwait(false);
            return ProposalOutcome.Committed;
        }
        catch (NotLeaderException)
        {
            _leader = null;
            return ProposalOutcome.NotLeader;
        }
        catch (Exception ex) when (ex is OperationCanceledException or QuorumUnreachableException or LeaderOperationException)
        {
            return ProposalOutcome.Lost;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return ProposalOutcome.Error;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (RaftCluster node in _nodes)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await node.StopAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                _settings.Log.WriteLine($"  DotNext node {node.LocalMemberAddress} did not stop cleanly: {ex.Message}");
            }
            node.Dispose();
        }
        _nodes.Clear();
        foreach (IDisposable state in _states)
        {
            if (state is IAsyncDisposable asyncState)
            {
                await asyncState.DisposeAsync().ConfigureAwait(false);
            }
            else
            {
                state.Dispose();
            }
        }
        _states.Clear();
        if (_dataFolder is not null)
        {
            FastRaftTarget.TryDelete(_dataFolder);
        }
    }

    private IPersistentState CreateState(int node)
    {
        if (_dataFolder is null)
        {
            return new ConsensusOnlyState();
        }
        var options = new DotNextWal.Options { Location = Path.Combine(_dataFolder, $"node-{node + 1}") };
        return new DotNextWal(options, INoOpStateMachine.CreateNoOp(_options.SnapshotEvery));
    }

    private RaftCluster? FindLeader()
    {
        foreach (RaftCluster node in _nodes)
        {
            // Cancelled unless this node leads and has committed its first entry of the term.
            if (!node.LeadershipToken.IsCancellationRequested)
            {
                _leader = node;
                return node;
            }
        }
        return null;
    }

    /// <summary>Ports the OS hands out now (a port could be taken again before DotNext binds it; unlikely on loopback).</summary>
    private static int[] FreeLoopbackPorts(int count)
    {
        var listeners = new TcpListener[count];
        var ports = new int[count];
        try
        {
            for (int i = 0; i < count; i++)
            {
                listeners[i] = new TcpListener(IPAddress.Loopback, 0);
                listeners[i].Start();
                ports[i] = ((IPEndPoint)listeners[i].LocalEndpoint).Port;
            }
        }
        finally
        {
            foreach (TcpListener? l in listeners)
            {
                l?.Stop();
            }
        }
        return ports;
    }
}
