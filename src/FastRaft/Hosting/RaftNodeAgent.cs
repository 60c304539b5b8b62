using System.Diagnostics.Metrics;
using FastRaft.Core;
using FastRaft.Core.Logging;
using FastRaft.Core.Storage;
using FastRaft.Hosting.Agents;
using FastRaft.Hosting.Applying;
using FastRaft.Hosting.Inbound;
using FastRaft.Hosting.Requests;
using FastRaft.Protocol;

namespace FastRaft.Hosting;

/// <summary>
/// A Raft node as an agent: one <see cref="RawNode"/> and everything that makes it a running node,
/// advanced one duty cycle per <see cref="DoWork"/> by whichever runner owns it: an
/// <see cref="AgentRunner"/> (a thread of its own, what <see cref="RaftNode{TResult}"/> uses by
/// default), a <see cref="CompositeAgentRunner"/> (one thread for many nodes) or a
/// <see cref="ManualAgentInvoker"/> (tests, simulations, benchmarks). It has no thread and reads no
/// clock: time is the runner's <c>now</c>, from <see cref="RaftNodeOptions.Time"/>.
/// </summary>
/// <remarks>
/// <para>
/// A duty cycle: poll the transport (what it delivers is stepped at once, on this thread); step
/// what threaded transports queued; hand delivery reports to the core; carry out queued requests
/// (consecutive proposals in one MsgProp); tick when the tick interval has passed (like Go's ticker:
/// the phase is kept and ticks the runner was too late for are dropped); then a Ready, in etcd's
/// order: persist, send, apply (completing requests), Advance; then the snapshot policy.
/// </para>
/// <para>
/// The request methods, the status properties, <see cref="RequestStop"/> and the
/// <see cref="IWaitSource.Wake"/> they use are thread-safe; the <see cref="IAgent"/> methods, the
/// state machine, the storage writes and the transport's Send/Flush/Poll run on the runner's thread
/// only. The agent owns the transport (it starts it and disposes it on close) but not the storage.
/// </para>
/// </remarks>
public sealed partial class RaftNodeAgent<TResult> : IAgent where TResult : struct
{
    private readonly RaftConfig _config;
    private readonly RawNode _raw;
    private readonly IRaftStorage _storage;
    private readonly ITransport _transport;
    private readonly RaftLogger _log;
    private readonly NodeCounters _counters = new();
    private readonly PublishedStatus _status = new();
    private readonly IWaitSource _waitSource;
    private readonly long _tickInterval;
    private readonly bool _continuationsInline;
    private readonly bool _publishMeter;

    private readonly RequestQueue<TResult> _requests;
    private readonly RequestTracker<TResult> _tracker;
    private readonly RequestDispatcher<TResult> _dispatcher;
    private readonly LeadershipTransfers _transfers;
    private readonly SnapshotScheduler<TResult> _snapshots;
    private readonly CommittedApplier<TResult> _applier;
    private readonly InboundStepper _stepper;
    private readonly NodeInbox _inbox;

    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _stopRequested;
    private Exception? _fault;
    private int _opened;
    private int _closed;
    private Meter? _meter;

    /// <summary>
    /// Builds the node from its storage (a brand-new node bootstraps from
    /// <see cref="RaftNodeOptions.InitialMembers"/> when the storage is empty). Nothing runs until a
    /// runner starts it. <paramref name="options"/>' <see cref="RaftNodeOptions.Raft"/> is copied,
    /// never changed. Throws <see cref="ArgumentException"/> on an invalid configuration.
    /// </summary>
    /// <param name="options">The node's settings: its consensus configuration, timing, limits and snapshot policy.</param>
    /// <param name="storage">Where the node persists its log, hard state and snapshots.</param>
    /// <param name="transport">How the node reaches its peers; disposed when the node closes.</param>
    /// <param name="stateMachine">The application state that committed entries are applied to, on the node thread.</param>
    /// <param name="wakeSignal">
    /// What the node waits on when its transport has no <see cref="ITransport.WaitSource"/> of its
    /// own (a threaded transport): a runner's shared signal (<see cref="IAgentRunner.WaitSource"/>),
    /// or null for a signal of the node's own.
    /// </param>
    public RaftNodeAgent(RaftNodeOptions options, IRaftStorage storage, ITransport transport, IStateMachine<TResult> stateMachine, IWaitSource? wakeSignal = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(transport);
        ArgumentNullException.ThrowIfNull(stateMachine);
        string? invalid = options.Validate();
        if (invalid is not null)
        {
            throw new ArgumentException(invalid, nameof(options));
        }
        if (transport.LocalId != options.Raft.Id)
        {
            throw new ArgumentException($"transport is for node {transport.LocalId:x}, config for node {options.Raft.Id:x}", nameof(transport));
        }
        if (storage.Snapshot(out Snapshot snapshot) != StorageStatus.Ok)
        {
            throw new ArgumentException("the storage cannot produce its snapshot to restore the state machine from", nameof(storage));
        }
        storage.InitialState(out HardState hardState, out ConfState confState);

        _log = RaftLogger.For(options.Logger ?? options.Raft.Logger);
        _config = HostConfig.Effective(options.Raft, storage, snapshot.Metadata.Index, transport, _log);
        _raw = new RawNode(_config);
        if (options.InitialMembers is { Count: > 0 } members && storage.LastIndex() == 0 && snapshot.IsEmpty)
        {
            _raw.Bootstrap(members.ToArray());
        }
        _storage = storage;
        _transport = transport;
        Time = options.Time;
        _tickInterval = HostConfig.TimestampUnits(options.TickInterval, Time);
        _continuationsInline = options.RunContinuationsInline;
        _publishMeter = options.PublishMeter;
        _waitSource = transport.WaitSource ?? wakeSignal ?? new SignalWaitSource();
        _status.Term = hardState.Term;
        _status.Commit = hardState.Commit;

        int electionTick = _config.ElectionTick;
        _requests = new RequestQueue<TResult>(options, _waitSource, _status, _counters);
        _tracker = new RequestTracker<TResult>(_counters, _status, options.ReadTimeoutTicks > 0 ? options.ReadTimeoutTicks : 2 * electionTick);
        _transfers = new LeadershipTransfers(_status, options.TransferTimeoutTicks > 0 ? options.TransferTimeoutTicks : 2 * electionTick);
        _dispatcher = new RequestDispatcher<TResult>(
            _raw, _config.MaxUncommittedEntriesSize, _requests, _tracker, new MembershipOperations<TResult>(_raw, _tracker), _transfers, _counters);
        _snapshots = new SnapshotScheduler<TResult>(_raw.Id, options.Snapshots, storage, stateMachine, _counters, _log, snapshot.Metadata.Index);
        _applier = new CommittedApplier<TResult>(_raw, stateMachine, transport, _tracker, _snapshots, _counters, _status, snapshot, confState);
        _stepper = new InboundStepper(_raw, _applier, _counters, _log);
        _inbox = new NodeInbox(_stepper, _raw, _waitSource, _counters, options.MaxQueuedInboundBatches);
        InitQuiescence(options);
    }

    /// <summary>This node's id in the cluster.</summary>
    public ulong Id => _raw.Id;

    /// <summary>
    /// The node's core, for tests and the simulation, on the runner's thread between duty cycles:
    /// to observe it (status, progress, HasReady) and, in core behaviour tests run through the
    /// agent, to drive it the way etcd's raft tests do (campaign, propose, step a forged message);
    /// the next duty cycle handles the Ready that produces.
    /// </summary>
    internal RawNode RawNode => _raw;

    /// <inheritdoc />
    public string Name => $"raft-node-{Id:x}";

    /// <summary>The clock the node's time comes from (<see cref="RaftNodeOptions.Time"/>).</summary>
    public TimeProvider Time { get; }

    /// <summary>The transport's wait source, or the node's own signal when the transport has none.</summary>
    public IWaitSource WaitSource => _waitSource;

    /// <summary>
    /// The consensus configuration the node runs with: <see cref="RaftNodeOptions.Raft"/>
    /// with the host's defaults and the core's filled in.
    /// </summary>
    public RaftConfig Config => _config;

    /// <summary>The leader this node knows of, or 0.</summary>
    public ulong Leader => _status.Leader;

    /// <summary>This node's current term.</summary>
    public ulong Term => _status.Term;

    /// <summary>This node's role.</summary>
    public NodeRole Role => _status.Role;

    /// <summary>Whether this node is the leader as of its last duty cycle (a hint: leadership may have moved since).</summary>
    public bool IsLeader => _status.Role == NodeRole.Leader;

    /// <summary>The index of the last entry applied to the state machine.</summary>
    public ulong AppliedIndex => _status.Applied;

    /// <summary>The commit index as last persisted.</summary>
    public ulong CommitIndex => _status.Commit;

    /// <summary>The node's counters (also published as the "FastRaft.Node" meter once started).</summary>
    public RaftNodeCounters Counters => _counters.Snapshot();

    /// <summary>The live counters themselves (for a group host's meter, which reads them at collection time).</summary>
    internal NodeCounters LiveCounters => _counters;

    /// <summary>Completes when the node has closed; faulted with <see cref="Fault"/> if it died.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Why the node stopped on its own (storage, state machine or core failure), or null.</summary>
    public Exception? Fault => Volatile.Read(ref _fault);

    /// <summary>
    /// Raised on the node thread when the term, the leader or this node's role changes. Handlers
    /// must be quick and must not block on the node (they may issue requests, not await them).
    /// </summary>
    public event Action<LeadershipChange>? LeadershipChanged;

    /// <summary>
    /// Proposes <paramref name="data"/> (copied at once: the caller may reuse its buffer). Completes
    /// when the entry is committed and applied here, with its index and the state machine's result,
    /// or with the reason it failed. Only the leader accepts proposals. Allocates nothing once warm;
    /// await the result exactly once.
    /// </summary>
    public ValueTask<ProposeResult<TResult>> ProposeAsync(ReadOnlyMemory<byte> data) => _requests.ProposeAsync(data);

    /// <summary>
    /// A linearizable read barrier (etcd's ReadIndex): completes once this node has applied every
    /// write committed before the call, after which reading the local state machine is
    /// linearizable. Works on followers too (the leader is asked for the read index).
    /// </summary>
    public ValueTask<ReadResult> ReadIndexAsync() => _requests.ReadIndexAsync();

    /// <summary>Proposes a membership change (v1 or v2) on the leader; completes when it is applied here.</summary>
    public ValueTask<MembershipResult> ChangeMembershipAsync(IConfChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return _requests.ChangeMembershipAsync(change);
    }

    /// <summary>Adds <paramref name="nodeId"/> as a voter (or promotes a learner); completes when the change is applied here.</summary>
    public ValueTask<MembershipResult> AddVoterAsync(ulong nodeId) =>
        ChangeMembershipAsync(new ConfChange(ConfChangeType.AddNode, nodeId));

    /// <summary>Adds <paramref name="nodeId"/> as a learner (a non-voting member that receives the log); completes when the change is applied here.</summary>
    public ValueTask<MembershipResult> AddLearnerAsync(ulong nodeId) =>
        ChangeMembershipAsync(new ConfChange(ConfChangeType.AddLearnerNode, nodeId));

    /// <summary>Removes <paramref name="nodeId"/> (voter or learner); completes when the change is applied here.</summary>
    public ValueTask<MembershipResult> RemoveMemberAsync(ulong nodeId) =>
        ChangeMembershipAsync(new ConfChange(ConfChangeType.RemoveNode, nodeId));

    /// <summary>
    /// Asks this node (the leader) to hand leadership to <paramref name="target"/>; completes when
    /// this node sees the target leading, or TimedOut after the transfer timeout.
    /// </summary>
    public ValueTask<TransferResult> TransferLeadershipAsync(ulong target) => _requests.TransferLeadershipAsync(target);

    /// <summary>
    /// Asks the node to stop (any thread): new requests fail as ShuttingDown at once, and the
    /// agent is done (<see cref="IsDone"/>), so its runner closes it: everything outstanding then
    /// fails as ShuttingDown, the transport is disposed and <see cref="Completion"/> completes.
    /// </summary>
    public void RequestStop()
    {
        _stopRequested = true;
        _requests.StopAccepting();
        _inbox.StopAccepting();
        _waitSource.Wake();
    }

    /// <summary>
    /// Starts the transport (with this node's sink) and the meter, once; the first duty cycle does
    /// it when not done before. A host calls it ahead to see a transport's failure to start at once.
    /// </summary>
    internal void Open()
    {
        if (Interlocked.Exchange(ref _opened, 1) != 0)
        {
            return;
        }
        if (_publishMeter)
        {
            _meter = _counters.CreateMeter(Id, () => (long)CommitIndex, () => (long)AppliedIndex, () => (long)Term);
        }
        _transport.Start(_inbox);
    }

    /// <summary>Records why the node stopped on its own and asks it to stop.</summary>
    private void Die(Exception ex)
    {
        Volatile.Write(ref _fault, ex);
        _log.Error(RaftLogEvents.NodeFaulted, $"node {Id:x} stopped on a fault: {ex}");
        RequestStop();
    }
}
