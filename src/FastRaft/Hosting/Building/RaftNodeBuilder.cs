using FastRaft.Core.Logging;
using FastRaft.Core.Storage;
using FastRaft.Hosting.Agents;
using FastRaft.Storage;
using FastRaft.Storage.Wal;
using Microsoft.Extensions.Logging;

namespace FastRaft.Hosting.Building;

/// <summary>
/// Wires a <see cref="RaftNode{TResult}"/> from its parts so that they agree: the node id is given
/// once (<see cref="ForNode"/>) and the transport is built for that id and the node's clock; the
/// size of append messages follows from the transport (see <see cref="RaftNodeOptions.Raft"/>);
/// the storage is in memory unless a write-ahead log directory or a storage of the caller's is
/// given. <see cref="Build"/> checks everything once and names what is missing or inconsistent.
/// </summary>
/// <remarks>
/// Defaults: ticks of 10 ms, an election after 20 ticks without a leader (200-400 ms, randomized),
/// heartbeats every 2 ticks, pre-vote and check-quorum on. Transports add their own
/// <c>Use…Transport</c> extension methods (FastRaft.Transport.Udp, FastRaft.Transport.Tcp);
/// any other <see cref="ITransport"/> is given through <see cref="UseTransport"/>.
/// </remarks>
/// <typeparam name="TResult">What the state machine's Apply produces for each entry.</typeparam>
public sealed partial class RaftNodeBuilder<TResult> where TResult : struct
{
    /// <summary>The tick interval when none is given.</summary>
    public static readonly TimeSpan DefaultTickInterval = TimeSpan.FromMilliseconds(10);

    /// <summary>Ticks without a leader before a follower campaigns, when not given.</summary>
    public const int DefaultElectionTicks = 20;

    /// <summary>Ticks between a leader's heartbeats, when not given.</summary>
    public const int DefaultHeartbeatTicks = 2;

    private IStateMachine<TResult>? _stateMachine;
    private Func<RaftTransportContext, ITransport>? _transportFactory;
    private IRaftStorage? _storage;
    private string? _walDirectory;
    private WalOptions? _walOptions;
    private IReadOnlyList<ulong>? _initialMembers;
    private bool _join;
    private TimeSpan _tickInterval = DefaultTickInterval;
    private int _electionTicks = DefaultElectionTicks;
    private int _heartbeatTicks = DefaultHeartbeatTicks;
    private bool _preVote = true;
    private bool _checkQuorum = true;
    private TimeProvider _time = TimeProvider.System;
    private SnapshotPolicy _snapshots = new();
    private bool _continuationsInline;
    private IAgentRunner? _runner;
    private ILoggerFactory? _loggers;
    private bool _requireExistingLog;
    private bool _built;

    private RaftNodeBuilder(ulong nodeId) => NodeId = nodeId;

    /// <summary>Starts a builder for the node with id <paramref name="nodeId"/> (non-zero): the only place the id is given.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="nodeId"/> is 0.</exception>
    public static RaftNodeBuilder<TResult> ForNode(ulong nodeId)
    {
        ArgumentOutOfRangeException.ThrowIfZero(nodeId);
        return new RaftNodeBuilder<TResult>(nodeId);
    }

    /// <summary>The id of the node being built.</summary>
    public ulong NodeId { get; }

    /// <summary>The application's replicated state (required).</summary>
    public RaftNodeBuilder<TResult> WithStateMachine(IStateMachine<TResult> stateMachine)
    {
        ArgumentNullException.ThrowIfNull(stateMachine);
        _stateMachine = stateMachine;
        return this;
    }

    /// <summary>
    /// How the node reaches its peers (required): <paramref name="factory"/> is called once, by
    /// <see cref="Build"/>, with the node's id and clock, and must return a transport for that id.
    /// The node owns the transport from then on (it starts it, and disposes it when it stops).
    /// </summary>
    public RaftNodeBuilder<TResult> UseTransport(Func<RaftTransportContext, ITransport> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        _transportFactory = factory;
        return this;
    }

    /// <summary>
    /// Keeps the log in memory (the default): the node has no durable identity, so it must not be
    /// restarted under the same id; it joins as a new member or bootstraps a new cluster.
    /// </summary>
    public RaftNodeBuilder<TResult> WithMemoryStorage()
    {
        _storage = null;
        _walDirectory = null;
        _walOptions = null;
        return this;
    }

    /// <summary>
    /// Keeps the log in a write-ahead log in <paramref name="directory"/> (created if missing),
    /// opened by <see cref="Build"/>. A node restarted on the same directory resumes its log, term
    /// and vote. The node owns the log and closes it when it stops.
    /// </summary>
    public RaftNodeBuilder<TResult> WithWriteAheadLog(string directory, WalOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        _storage = null;
        _walDirectory = directory;
        _walOptions = options;
        return this;
    }

    /// <summary>
    /// Refuses to build unless the write-ahead log directory already holds a log: for every start
    /// after a node's first. A node whose data was lost must not come back under its old id with
    /// an empty log (it would have forgotten its term and vote, and with initial members it would
    /// bootstrap a second cluster); this turns that into a clear error instead.
    /// </summary>
    public RaftNodeBuilder<TResult> RequireExistingLog(bool require = true)
    {
        _requireExistingLog = require;
        return this;
    }

    /// <summary>
    /// Uses a storage of the caller's, which stays the caller's: the node neither opens nor
    /// disposes it (so a restarted node can be built on it again).
    /// </summary>
    public RaftNodeBuilder<TResult> WithStorage(IRaftStorage storage)
    {
        ArgumentNullException.ThrowIfNull(storage);
        _storage = storage;
        _walDirectory = null;
        _walOptions = null;
        return this;
    }

    /// <summary>
    /// The voters of a brand-new cluster, this node among them: used to bootstrap when the storage
    /// is empty, ignored when it already holds a log (a restart). Every initial member must be
    /// given the same list. Exclusive with <see cref="JoinExistingCluster"/>.
    /// </summary>
    public RaftNodeBuilder<TResult> WithInitialMembers(params IReadOnlyList<ulong> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        _initialMembers = [.. members];
        return this;
    }

    /// <summary>
    /// The node joins a running cluster: it starts empty and waits until the leader adds it
    /// (<see cref="RaftNode{TResult}.AddLearnerAsync"/> or <see cref="RaftNode{TResult}.AddVoterAsync"/>
    /// on a member). Exclusive with <see cref="WithInitialMembers"/>.
    /// </summary>
    public RaftNodeBuilder<TResult> JoinExistingCluster()
    {
        _join = true;
        return this;
    }

    /// <summary>Time per logical tick (default 10 ms); election and heartbeat timeouts are counted in ticks.</summary>
    public RaftNodeBuilder<TResult> WithTickInterval(TimeSpan interval)
    {
        _tickInterval = interval;
        return this;
    }

    /// <summary>
    /// Ticks without a leader before a follower campaigns (randomized between this and twice
    /// this), and ticks between a leader's heartbeats; the first must exceed the second.
    /// </summary>
    public RaftNodeBuilder<TResult> WithTimeouts(int electionTicks, int heartbeatTicks)
    {
        _electionTicks = electionTicks;
        _heartbeatTicks = heartbeatTicks;
        return this;
    }

    /// <summary>
    /// Pre-vote (a partitioned node does not disrupt the cluster when it comes back) and
    /// check-quorum (a leader that lost its quorum steps down); both on by default.
    /// </summary>
    public RaftNodeBuilder<TResult> WithPreVoteAndCheckQuorum(bool preVote, bool checkQuorum)
    {
        _preVote = preVote;
        _checkQuorum = checkQuorum;
        return this;
    }

    /// <summary>The clock the node and its transport follow (default <see cref="TimeProvider.System"/>).</summary>
    public RaftNodeBuilder<TResult> WithTimeProvider(TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        return this;
    }

    /// <summary>When to snapshot the state machine and compact the log (default: never).</summary>
    public RaftNodeBuilder<TResult> WithSnapshotPolicy(SnapshotPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        _snapshots = policy;
        return this;
    }

    /// <summary>
    /// Runs the continuations of awaited requests on the node thread (see
    /// <see cref="RaftNodeOptions.RunContinuationsInline"/>, and its warnings); default false.
    /// </summary>
    public RaftNodeBuilder<TResult> RunContinuationsInline(bool inline = true)
    {
        _continuationsInline = inline;
        return this;
    }

    /// <summary>Runs the node on a shared runner (e.g. a <see cref="CompositeAgentRunner"/>) instead of a thread of its own.</summary>
    public RaftNodeBuilder<TResult> WithRunner(IAgentRunner runner)
    {
        ArgumentNullException.ThrowIfNull(runner);
        _runner = runner;
        return this;
    }

    /// <summary>
    /// Logs every part through <paramref name="loggers"/> under its documented category: the core
    /// (<see cref="RaftLogCategories.Raft"/>), the host (<see cref="RaftLogCategories.Node"/>), a
    /// write-ahead log opened with default options (<see cref="RaftLogCategories.Wal"/>; options
    /// given to <see cref="WithWriteAheadLog"/> keep their own logger) and the transports built by
    /// <c>UseUdpTransport</c>/<c>UseTcpTransport</c> (<see cref="RaftTransportContext.CreateLogger"/>).
    /// Default: nothing is logged.
    /// </summary>
    public RaftNodeBuilder<TResult> WithLogging(ILoggerFactory loggers)
    {
        ArgumentNullException.ThrowIfNull(loggers);
        _loggers = loggers;
        return this;
    }

    private bool OwnsStorage => _storage is null;

    private ILogger? CreateLogger(string category) => _loggers?.CreateLogger(category);

    private IRaftStorage OpenStorage() =>
        _storage ?? (_walDirectory is null
            ? new MemoryStorage()
            : WriteAheadLog.Open(_walDirectory, _walOptions ?? new WalOptions { Logger = CreateLogger(RaftLogCategories.Wal), Time = _time }));
}
