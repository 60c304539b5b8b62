using System.Diagnostics;
using System.Diagnostics.Metrics;
using FastRaft.Core;
using FastRaft.Core.Logging;
using FastRaft.Core.Storage;
using FastRaft.Hosting.Idle;
using FastRaft.Hosting.Requests;
using FastRaft.Protocol;

namespace FastRaft.Hosting;

/// <summary>
/// A running Raft node: one <see cref="RawNode"/> driven by one dedicated thread in a duty cycle
/// (inbound messages, requests, ticks, then Ready: persist → send → apply → Advance), with an
/// idle strategy for when there is nothing to do. Every public member is thread-safe; the state
/// machine, the storage writes and the transport's Send/Flush only ever run on the node thread.
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
public sealed partial class RaftNode<TResult> : IAsyncDisposable where TResult : struct
{
    private const int StateNew = 0;
    private const int StateRunning = 1;
    private const int StateStopped = 2;

    private readonly RaftNodeOptions _options;
    private readonly RawNode _raw;
    private readonly IRaftStorage _storage;
    private readonly ITransport _transport;
    private readonly IStateMachine<TResult> _stateMachine;
    private readonly RaftLogger _log;
    private readonly IIdleStrategy _idle;
    private readonly NodeSink _sink;
    private readonly NodeCounters _counters = new();
    private readonly long _tickInterval;
    private readonly int _readTimeoutTicks;
    private readonly int _transferTimeoutTicks;

    private readonly MpscRing<RequestOperation> _requests;
    private readonly MpscRing<InboundBatch> _inbound;
    private readonly MpscRing<PeerReport> _reports;
    private readonly OperationPool<ProposalOperation<TResult>> _proposalPool;
    private readonly OperationPool<ReadOperation> _readPool;

    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _state;
    private volatile bool _stopRequested;
    private Exception? _fault;
    private Thread? _thread;
    private Meter? _meter;

    // Published by the node thread for readers on any thread.
    private ulong _leader;
    private ulong _term;
    private int _role;
    private ulong _applied;
    private ulong _commit;

    /// <summary>
    /// Builds the node from its storage (a brand-new node bootstraps from
    /// <see cref="RaftNodeOptions.InitialMembers"/> when the storage is empty). Nothing runs until
    /// <see cref="Start"/>. Throws <see cref="ArgumentException"/> on an invalid configuration.
    /// </summary>
    public RaftNode(RaftNodeOptions options, IRaftStorage storage, ITransport transport, IStateMachine<TResult> stateMachine)
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
        RaftConfig config = options.Raft;
        if (transport.LocalId != config.Id)
        {
            throw new ArgumentException($"transport is for node {transport.LocalId:x}, config for node {config.Id:x}", nameof(transport));
        }
        if (storage.Snapshot(out Snapshot snapshot) != StorageStatus.Ok)
        {
            throw new ArgumentException("the storage cannot produce its snapshot to restore the state machine from", nameof(storage));
        }
        storage.InitialState(out HardState hardState, out ConfState confState);

        _options = options;
        _storage = storage;
        _transport = transport;
        _stateMachine = stateMachine;
        _log = config.Logger;
        config.Storage = storage;
        config.Applied = snapshot.Metadata.Index;
        ApplyHostDefaults(config, transport);
        _raw = new RawNode(config);
        if (options.InitialMembers is { Count: > 0 } members && storage.LastIndex() == 0 && snapshot.IsEmpty)
        {
            string? error = _raw.Bootstrap(members.ToArray());
            if (error is not null)
            {
                throw new ArgumentException(error, nameof(options));
            }
        }

        _startSnapshot = snapshot;
        _confState = confState;
        _appliedIndex = snapshot.Metadata.Index;
        _snapshotIndex = snapshot.Metadata.Index;
        _applied = _appliedIndex;
        _term = hardState.Term;
        _commit = hardState.Commit;
        _role = (int)StateType.StateFollower;

        _idle = options.IdleStrategy();
        _sink = new NodeSink(this);
        _tickInterval = Math.Max(1, (long)(options.TickInterval.TotalSeconds * Stopwatch.Frequency));
        _readTimeoutTicks = options.ReadTimeoutTicks > 0 ? options.ReadTimeoutTicks : 2 * config.ElectionTick;
        _transferTimeoutTicks = options.TransferTimeoutTicks > 0 ? options.TransferTimeoutTicks : 2 * config.ElectionTick;
        _requests = new MpscRing<RequestOperation>(1024, options.MaxQueuedRequests);
        _inbound = new MpscRing<InboundBatch>(64, options.MaxQueuedInboundBatches);
        _reports = new MpscRing<PeerReport>(64, 4096);
        _proposalPool = new OperationPool<ProposalOperation<TResult>>(options.MaxPooledRequests);
        _readPool = new OperationPool<ReadOperation>(options.MaxPooledRequests);
    }

    public ulong Id => _raw.Id;

    /// <summary>The leader this node knows of, or 0.</summary>
    public ulong Leader => Volatile.Read(ref _leader);

    /// <summary>This node's current term.</summary>
    public ulong Term => Volatile.Read(ref _term);

    /// <summary>This node's role.</summary>
    public StateType Role => (StateType)Volatile.Read(ref _role);

    public bool IsLeader => Role == StateType.StateLeader;

    /// <summary>The index of the last entry applied to the state machine.</summary>
    public ulong AppliedIndex => Volatile.Read(ref _applied);

    /// <summary>The commit index as last persisted.</summary>
    public ulong CommitIndex => Volatile.Read(ref _commit);

    /// <summary>The host's counters (also published as the "FastRaft.Node" meter).</summary>
    public RaftNodeCounters Counters => _counters.Snapshot();

    /// <summary>Completes when the node thread has stopped; faulted with <see cref="Fault"/> if it died.</summary>
    public Task Completion => _completion.Task;

    /// <summary>Why the node stopped on its own (storage, state machine or core failure), or null.</summary>
    public Exception? Fault => Volatile.Read(ref _fault);

    /// <summary>
    /// Raised on the node thread when the term, the leader or this node's role changes. Handlers
    /// must be quick and must not block on the node (they may issue requests, not await them).
    /// </summary>
    public event Action<LeadershipChange>? LeadershipChanged;

    /// <summary>Starts the transport and the node thread.</summary>
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
            _meter = _counters.CreateMeter(Id, () => (long)CommitIndex, () => (long)AppliedIndex, () => (long)Term);
            _transport.Start(_sink);
            _thread = new Thread(Run) { IsBackground = true, Name = $"raft-node-{Id:x}" };
            _thread.Start();
        }
        catch
        {
            _stopRequested = true;
            Volatile.Write(ref _state, StateStopped);
            ShutDown();
            _completion.TrySetResult();
            throw;
        }
    }

    /// <summary>
    /// Proposes <paramref name="data"/> (copied at once: the caller may reuse its buffer). Completes
    /// when the entry is committed and applied here, with its index and the state machine's result,
    /// or with the reason it failed. Only the leader accepts proposals. Allocates nothing once warm;
    /// await the result exactly once.
    /// </summary>
    public ValueTask<ProposeResult<TResult>> ProposeAsync(ReadOnlyMemory<byte> data)
    {
        if (_stopRequested)
        {
            return FailedProposal(RequestStatus.ShuttingDown, 0);
        }
        if (Role != StateType.StateLeader)
        {
            return FailedProposal(RequestStatus.NotLeader, Leader);
        }
        ProposalOperation<TResult> op = _proposalPool.TryRent() ?? new ProposalOperation<TResult>(_proposalPool);
        op.SetPayload(data.Span);
        short version = op.Version;
        RequestStatus queued = Enqueue(op);
        if (queued != RequestStatus.Ok)
        {
            op.ReturnUnused();
            return FailedProposal(queued, 0);
        }
        return new ValueTask<ProposeResult<TResult>>(op, version);
    }

    /// <summary>
    /// A linearizable read barrier (etcd's ReadIndex): completes once this node has applied every
    /// write committed before the call, after which reading the local state machine is
    /// linearizable. Works on followers too (the leader is asked for the read index).
    /// </summary>
    public ValueTask<ReadResult> ReadIndexAsync()
    {
        if (_stopRequested)
        {
            return new ValueTask<ReadResult>(new ReadResult(RequestStatus.ShuttingDown, 0, 0));
        }
        ReadOperation op = _readPool.TryRent() ?? new ReadOperation(_readPool);
        short version = op.Version;
        RequestStatus queued = Enqueue(op);
        if (queued != RequestStatus.Ok)
        {
            op.ReturnUnused();
            return new ValueTask<ReadResult>(new ReadResult(queued, 0, 0));
        }
        return new ValueTask<ReadResult>(op, version);
    }

    /// <summary>Proposes a membership change (v1 or v2) on the leader; completes when it is applied here.</summary>
    public ValueTask<MembershipResult> ChangeMembershipAsync(IConfChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        var op = new MembershipOperation(change);
        SubmitRare(op);
        return new ValueTask<MembershipResult>(op.Task);
    }

    public ValueTask<MembershipResult> AddVoterAsync(ulong nodeId) =>
        ChangeMembershipAsync(new ConfChange(ConfChangeType.ConfChangeAddNode, nodeId));

    public ValueTask<MembershipResult> AddLearnerAsync(ulong nodeId) =>
        ChangeMembershipAsync(new ConfChange(ConfChangeType.ConfChangeAddLearnerNode, nodeId));

    public ValueTask<MembershipResult> RemoveMemberAsync(ulong nodeId) =>
        ChangeMembershipAsync(new ConfChange(ConfChangeType.ConfChangeRemoveNode, nodeId));

    /// <summary>
    /// Asks this node (the leader) to hand leadership to <paramref name="target"/>; completes when
    /// this node sees the target leading, or TimedOut after the transfer timeout.
    /// </summary>
    public ValueTask<TransferResult> TransferLeadershipAsync(ulong target)
    {
        var op = new TransferOperation(target);
        SubmitRare(op);
        return new ValueTask<TransferResult>(op.Task);
    }

    /// <summary>
    /// Stops the node: the thread finishes its cycle, every outstanding request fails with
    /// <see cref="RequestStatus.ShuttingDown"/>, and the transport is disposed. Returns
    /// <see cref="Completion"/>.
    /// </summary>
    public Task StopAsync()
    {
        _stopRequested = true;
        if (Interlocked.CompareExchange(ref _state, StateStopped, StateNew) == StateNew)
        {
            // Never started: nothing runs, so shut down here.
            ShutDown();
            _completion.TrySetResult();
            return _completion.Task;
        }
        _idle.Wake();
        return _completion.Task;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync().ConfigureAwait(false);
        }
        catch (Exception) when (_fault is not null)
        {
            // The fault stays readable through Fault and Completion; disposing does not rethrow it.
        }
    }

    /// <summary>
    /// Fills what a host needs and the config leaves at 0: appends sized for the transport, a
    /// batch of committed entries sized for applying, and a bound on waiting for a snapshot's
    /// status, as a safety net should a transport's report never arrive (see <see cref="RaftNodeOptions.Raft"/>).
    /// </summary>
    private void ApplyHostDefaults(RaftConfig config, ITransport transport)
    {
        int whole = transport.MaxWholeMessageSize;
        if (config.MaxSizePerMsg == 0)
        {
            ulong size = whole > 0 ? (ulong)whole / 2 : RaftNodeOptions.DefaultMaxSizePerMsg;
            config.MaxSizePerMsg = config.MaxInflightBytes > 0 ? Math.Min(size, config.MaxInflightBytes) : size;
        }
        else if (whole > 0 && config.MaxSizePerMsg != ulong.MaxValue && config.MaxSizePerMsg >= (ulong)whole)
        {
            _log.Warning($"node {config.Id:x}: MaxSizePerMsg {config.MaxSizePerMsg} is not below the transport's whole-message size {whole}: appends will be split");
        }
        if (config.MaxCommittedSizePerReady == 0)
        {
            // Applying is local: a small message size for the network must not throttle it.
            config.MaxCommittedSizePerReady = Math.Max(config.MaxSizePerMsg, RaftNodeOptions.DefaultMaxSizePerMsg);
        }
        if (config.SnapshotStatusTimeoutTicks == 0)
        {
            config.SnapshotStatusTimeoutTicks = 2 * config.ElectionTick;
        }
    }

    private ValueTask<ProposeResult<TResult>> FailedProposal(RequestStatus status, ulong leaderHint)
    {
        Interlocked.Increment(ref _counters.ProposalsFailed);
        return new(ProposeResult<TResult>.Failed(status, leaderHint, StepResult.Ok));
    }

    private RequestStatus Enqueue(RequestOperation op)
    {
        switch (_requests.TryEnqueue(op))
        {
            case EnqueueResult.Ok:
                _idle.Wake();
                return RequestStatus.Ok;
            case EnqueueResult.Full:
                return RequestStatus.Overloaded;
            default:
                return RequestStatus.ShuttingDown;
        }
    }

    private void SubmitRare(RequestOperation op)
    {
        RequestStatus queued = _stopRequested ? RequestStatus.ShuttingDown : Enqueue(op);
        if (queued != RequestStatus.Ok)
        {
            op.Fail(queued);
        }
    }
}
