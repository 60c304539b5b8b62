using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Hosting.Agents;
using FastRaft.Protocol;

namespace FastRaft.Hosting;

/// <summary>
/// A running Raft node: a <see cref="RaftNodeAgent{TResult}"/> and the runner that drives it, on
/// a thread of its own by default (<see cref="AgentRunner"/>), or on a shared runner given in
/// <see cref="RaftNodeOptions.Runner"/>. Every public member is thread-safe; the state machine,
/// the storage writes and the transport's Send/Flush/Poll only ever run on the node's thread.
/// </summary>
/// <remarks>
/// <para>
/// Requests complete through pooled awaitables and never hang: each ends applied or with a typed
/// <see cref="RequestStatus"/>, and stopping the node fails whatever is still outstanding. The
/// host owns the transport (it starts and disposes it) but not the storage, which a restarted
/// host may reuse.
/// </para>
/// <para>
/// A restarted host rebuilds the state machine from the storage's snapshot and replays the
/// committed log after it, configuration changes included (<see cref="RaftConfig.Applied"/> is
/// the snapshot's index). The storage's configuration must therefore be the snapshot's, which is
/// what <c>MemoryStorage</c> and <c>WriteAheadLog</c> keep as long as nothing else writes it: do
/// not call <c>WriteAheadLog.SetConfState</c> under this host (it is for hosts whose state
/// machine is durable and that restart with Applied past the snapshot).
/// </para>
/// <para>
/// The transport is told of every configuration the node takes on
/// (<see cref="ITransport.OnConfigurationChanged"/>), so a transport that addresses peers by id
/// can reach a node added at run time.
/// </para>
/// </remarks>
public sealed class RaftNode<TResult> : IAsyncDisposable where TResult : struct
{
    private const int StateNew = 0;
    private const int StateRunning = 1;
    private const int StateStopped = 2;

    private readonly RaftNodeOptions _options;
    private readonly RaftNodeAgent<TResult> _agent;
    private int _state;

    /// <summary>
    /// Builds the node from its storage (a brand-new node bootstraps from
    /// <see cref="RaftNodeOptions.InitialMembers"/> when the storage is empty). Nothing runs until
    /// <see cref="Start"/>. <paramref name="options"/>' config is copied, never changed. Throws
    /// <see cref="ArgumentException"/> on an invalid configuration.
    /// </summary>
    public RaftNode(RaftNodeOptions options, IRaftStorage storage, ITransport transport, IStateMachine<TResult> stateMachine)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _agent = new RaftNodeAgent<TResult>(options, storage, transport, stateMachine, options.Runner?.WaitSource);
    }

    /// <summary>This node's id in the cluster.</summary>
    public ulong Id => _agent.Id;

    /// <summary>The agent this node runs (for tests: its runner owns its duty cycle).</summary>
    internal RaftNodeAgent<TResult> Agent => _agent;

    /// <summary>A copy of the consensus configuration the node runs with (<see cref="RaftNodeOptions.Raft"/> with the defaults filled in).</summary>
    public RaftConfig Config => _agent.Config;

    /// <summary>The leader this node knows of, or 0.</summary>
    public ulong Leader => _agent.Leader;

    /// <summary>This node's current term.</summary>
    public ulong Term => _agent.Term;

    /// <summary>This node's role.</summary>
    public NodeRole Role => _agent.Role;

    /// <summary>Whether this node is the leader as of its last duty cycle (a hint: leadership may have moved since).</summary>
    public bool IsLeader => _agent.IsLeader;

    /// <summary>The index of the last entry applied to the state machine.</summary>
    public ulong AppliedIndex => _agent.AppliedIndex;

    /// <summary>The commit index as last persisted.</summary>
    public ulong CommitIndex => _agent.CommitIndex;

    /// <summary>The host's counters (also published as the "FastRaft.Node" meter).</summary>
    public RaftNodeCounters Counters => _agent.Counters;

    /// <summary>Completes when the node has stopped; faulted with <see cref="Fault"/> if it died.</summary>
    public Task Completion => _agent.Completion;

    /// <summary>Why the node stopped on its own (storage, state machine or core failure), or null.</summary>
    public Exception? Fault => _agent.Fault;

    /// <summary>
    /// Raised on the node thread when the term, the leader or this node's role changes. Handlers
    /// must be quick and must not block on the node (they may issue requests, not await them).
    /// </summary>
    public event Action<LeadershipChange>? LeadershipChanged
    {
        add => _agent.LeadershipChanged += value;
        remove => _agent.LeadershipChanged -= value;
    }

    /// <summary>Starts the transport, then runs the node: on its own thread, or on <see cref="RaftNodeOptions.Runner"/>.</summary>
    public void Start()
    {
        int previous = Interlocked.CompareExchange(ref _state, StateRunning, StateNew);
        if (previous != StateNew)
        {
            throw previous == StateRunning
                ? new InvalidOperationException("the node is already started")
                : new ObjectDisposedException(nameof(RaftNode<TResult>));
        }
        try
        {
            _agent.Open();
            if (_options.Runner is IAgentRunner runner)
            {
                runner.Add(_agent);
            }
            else
            {
                new AgentRunner(_agent, _options.IdleStrategy()).Start();
            }
        }
        catch
        {
            Volatile.Write(ref _state, StateStopped);
            _agent.RequestStop();
            _agent.OnClose();
            throw;
        }
    }

    /// <inheritdoc cref="RaftNodeAgent{TResult}.ProposeAsync"/>
    public ValueTask<ProposeResult<TResult>> ProposeAsync(ReadOnlyMemory<byte> data) => _agent.ProposeAsync(data);

    /// <inheritdoc cref="RaftNodeAgent{TResult}.ReadIndexAsync"/>
    public ValueTask<ReadResult> ReadIndexAsync() => _agent.ReadIndexAsync();

    /// <summary>Proposes a membership change (v1 or v2) on the leader; completes when it is applied here.</summary>
    public ValueTask<MembershipResult> ChangeMembershipAsync(IConfChange change) => _agent.ChangeMembershipAsync(change);

    /// <summary>Adds <paramref name="nodeId"/> as a voter (or promotes a learner); completes when the change is applied here.</summary>
    public ValueTask<MembershipResult> AddVoterAsync(ulong nodeId) => _agent.AddVoterAsync(nodeId);

    /// <summary>Adds <paramref name="nodeId"/> as a learner (a non-voting member that receives the log); completes when the change is applied here.</summary>
    public ValueTask<MembershipResult> AddLearnerAsync(ulong nodeId) => _agent.AddLearnerAsync(nodeId);

    /// <summary>Removes <paramref name="nodeId"/> (voter or learner); completes when the change is applied here.</summary>
    public ValueTask<MembershipResult> RemoveMemberAsync(ulong nodeId) => _agent.RemoveMemberAsync(nodeId);

    /// <inheritdoc cref="RaftNodeAgent{TResult}.TransferLeadershipAsync"/>
    public ValueTask<TransferResult> TransferLeadershipAsync(ulong target) => _agent.TransferLeadershipAsync(target);

    /// <summary>
    /// Stops the node: the thread finishes its cycle, every outstanding request fails with
    /// <see cref="RequestStatus.ShuttingDown"/>, and the transport is disposed. Returns
    /// <see cref="Completion"/>.
    /// </summary>
    public Task StopAsync()
    {
        _agent.RequestStop();
        if (Interlocked.CompareExchange(ref _state, StateStopped, StateNew) == StateNew)
        {
            // Never started: nothing runs, so close here.
            _agent.OnClose();
        }
        return _agent.Completion;
    }

    /// <summary>Stops the node (<see cref="StopAsync"/>) and waits for it to close; a fault the node died of stays in <see cref="Fault"/> and is not rethrown.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync().ConfigureAwait(false);
        }
        catch (Exception) when (_agent.Fault is not null)
        {
            // The fault stays readable through Fault and Completion; disposing does not rethrow it.
        }
    }
}
