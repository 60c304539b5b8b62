using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Hosting.Agents;
using FastRaft.Protocol;
using FastRaft.Simulation.Kv;
using FastRaft.Core.Storage;
using FastRaft.Storage;
using FastRaft.Storage.Wal;

namespace FastRaft.Simulation;

/// <summary>
/// One replica of one group on a simulated server (in a single-group run: the server's only
/// one): a real <see cref="RaftNodeAgent{TResult}"/> driven one duty cycle at a
/// time by a <see cref="ManualAgentInvoker"/>, over its storage (the durable part, which survives
/// crashes: a MemoryStorage copied on restart, or a real write-ahead log in a directory, closed at
/// the crash and recovered from its files), a simulated transport (its own, or its view of the
/// server's shared one) and the key-value state machine
/// (the volatile part, rebuilt by the agent from the latest snapshot on restart, as a real server
/// would be). The clock belongs to the machine (<see cref="SimServer"/>) and survives restarts.
/// </summary>
internal sealed class SimNode
{
    /// <summary>Where the replica's write-ahead log lives, or null for a MemoryStorage.</summary>
    private readonly string? _walDirectory;

    /// <summary>The storage is the group's view of its server's shared log (the server reopens it after a crash).</summary>
    private readonly bool _sharedLog;

    /// <param name="sharedStorage">The group's view of the server's shared log, or null for storage of its own.</param>
    public SimNode(SimServer server, SimGroup group, Scenario scenario, string? walDirectory, IRaftStorage? sharedStorage = null)
    {
        Server = server;
        GroupState = group;
        Scenario = scenario;
        _walDirectory = walDirectory;
        _sharedLog = sharedStorage is not null;
        Storage = sharedStorage ?? (walDirectory is null ? new MemoryStorage() : OpenWal(walDirectory));
        Kv = new KvStore(scenario.Keys, scenario.Clients);
        Conf = ConfState.Empty;
    }

    /// <summary>The node id: the server's (every replica of a process has the process's id).</summary>
    public ulong Id => Server.Id;

    public SimServer Server { get; }

    /// <summary>The group this replica belongs to.</summary>
    public SimGroup GroupState { get; }

    /// <summary>The group id (0 in a single-group run).</summary>
    public ulong Group => GroupState.Id;

    public Scenario Scenario { get; }

    public SimClock Clock => Server.Clock;

    /// <summary>
    /// The durable state: a MemoryStorage replaced by a copy of itself when the node restarts, or
    /// a write-ahead log reopened (recovered from its files) when the node crashes. While the node
    /// is down it holds what survived the crash.
    /// </summary>
    public IRaftStorage Storage { get; private set; }

    /// <summary>The commit index the storage holds durably.</summary>
    public ulong DurableCommit
    {
        get
        {
            Storage.InitialState(out HardState hs, out _);
            return hs.Commit;
        }
    }

    /// <summary>The running agent, or null while crashed or retired.</summary>
    public RaftNodeAgent<bool>? Agent { get; private set; }

    public ManualAgentInvoker? Invoker { get; private set; }

    /// <summary>The replica's transport: its own (single-group runs) or its view of the server's hub.</summary>
    public ITransport? Transport { get; private set; }

    /// <summary>The replica's own simulated transport in a single-group run (null with a hub).</summary>
    public SimTransport? OwnTransport => Transport as SimTransport;

    /// <summary>The running agent's core, for read-only status checks.</summary>
    public RawNode? Raw => Agent?.RawNode;

    public bool Up => Agent is not null;

    /// <summary>Retired replicas were removed from their group and are never started again.</summary>
    public bool Retired { get; private set; }

    /// <summary>The server's incarnation (events for an older one are stale).</summary>
    public int Incarnation => Server.Incarnation;

    public KvStore Kv { get; set; }

    /// <summary>The configuration as of <see cref="Applied"/>.</summary>
    public ConfState Conf { get; set; }

    /// <summary>The last index applied to (or restored into) the state machine, as the simulation saw it.</summary>
    public ulong Applied { get; set; }

    /// <summary>The commit index of the last save of this incarnation (the durable one at start).</summary>
    public ulong LastCommit { get; set; }

    /// <summary>A snapshot received from a leader and just saved: the state machine restores it next.</summary>
    public SnapshotMetadata? ReceivedSnapshot { get; set; }

    /// <summary>A lease read answer from a superseded leader reached this node during the current duty cycle.</summary>
    public bool StaleReadAnswer { get; set; }

    /// <summary>The node was a superseded leader when the current duty cycle began.</summary>
    public bool CycleStartedStale { get; set; }

    /// <summary>Membership changes and transfers asked of this node, to trace their outcome.</summary>
    public List<(string What, ValueTask<MembershipResult> Change)> Changes { get; } = [];

    public List<(string What, ValueTask<TransferResult> Transfer)> Transfers { get; } = [];

    /// <summary>Started at least once (a restart recovers what the previous incarnation stored).</summary>
    public bool Started { get; private set; }

    /// <summary>
    /// Starts (or restarts) the replica from its durable state: a copy of the storage (what a crash
    /// kept), the transport given (fresh for this incarnation of the server), a fresh state
    /// machine, and a new agent. An initial voter with empty storage bootstraps <paramref name="initialVoters"/>.
    /// </summary>
    public void Start(Simulation sim, SimRandom rng, ulong[]? initialVoters, SimulationOptions simOptions, ITransport transport, int quiesceTicks)
    {
        if (Agent is not null || Retired)
        {
            throw new InvalidOperationException($"node {this} cannot start");
        }
        if (_walDirectory is null && !_sharedLog)
        {
            bool sabotaged = Started && (simOptions.SabotageGroup == 0 || simOptions.SabotageGroup == Group);
            Storage = StorageCopy.DurableCopy((MemoryStorage)Storage, sabotaged ? simOptions.Sabotage : Sabotage.None);
        }
        Started = true;
        Storage.Snapshot(out Snapshot snap);
        Kv = new KvStore(Scenario.Keys, Scenario.Clients);
        Conf = snap.Metadata.ConfState;
        Applied = snap.Metadata.Index;
        LastCommit = DurableCommit;
        ReceivedSnapshot = null;
        StaleReadAnswer = false;
        Changes.Clear();
        Transfers.Clear();
        Transport = transport;
        var options = new RaftNodeOptions
        {
            Raft = new RaftConfig
            {
                Id = Id,
                ElectionTick = Scenario.ElectionTick,
                HeartbeatTick = Scenario.HeartbeatTick,
                MaxSizePerMsg = Scenario.MaxSizePerMsg,
                MaxInflightMsgs = Scenario.MaxInflightMsgs,
                MaxUncommittedEntriesSize = Scenario.MaxUncommittedEntriesSize,
                CheckQuorum = Scenario.CheckQuorum,
                PreVote = Scenario.PreVote,
                ReadOnlyOption = Scenario.ReadOnlyOption,
                StepDownOnRemoval = Scenario.StepDownOnRemoval,
                // With etcd's immediate step-down a self-removing leader can wedge a joint change (seed 5200).
                StepDownAfterCatchUp = Scenario.StepDownOnRemoval && !simOptions.ImmediateStepDown,
                Random = rng,
            },
            TickInterval = SimClock.TickInterval,
            Time = Clock,
            InitialMembers = initialVoters,
            Snapshots = new SnapshotPolicy { EveryEntries = Scenario.SnapshotEvery, KeepEntries = Scenario.CompactionLag },
            RunContinuationsInline = Scenario.ContinuationsInline,
            // Quiescence asks the process's hub whether a leader's node still lives.
            QuiesceAfterTicks = quiesceTicks,
            Liveness = quiesceTicks == 0 ? null : simOptions.Sabotage == Sabotage.DeafLiveness ? EveryNodeLive.Instance : Server.Hub,
        };
        Agent = new RaftNodeAgent<bool>(options, new SimStorage(Storage, sim, this, Group == 0 ? null : Server.Log), transport, new SimStateMachine(sim, this));
        Invoker = new ManualAgentInvoker(Agent);
        // Restores the state machine from the stored snapshot (through the simulation's state machine).
        Invoker.Start();
    }

    /// <summary>
    /// Stops the process: the agent closes (failing what is outstanding), everything not in storage
    /// is lost. A write-ahead log is closed and recovered from its files, as the restarted process
    /// will find it.
    /// </summary>
    public void Crash()
    {
        bool wasUp = Agent is not null;
        Stop();
        if (wasUp && _walDirectory is not null)
        {
            Storage.Dispose();
            Storage = OpenWal(_walDirectory);
        }
    }

    /// <summary>The server reopened its shared log after a crash: the group's view of what recovery found.</summary>
    public void Reattach(IRaftStorage storage) => Storage = storage;

    public void Retire()
    {
        Crash();
        Retired = true;
        Server.ReplicaRetired();
    }

    /// <summary>The run is over: the agent closes and the storage's files are released (a shared log's by its server).</summary>
    public void ShutDown()
    {
        Stop();
        if (!_sharedLog)
        {
            Storage.Dispose();
        }
    }

    private void Stop()
    {
        Invoker?.Close();
        Agent = null;
        Invoker = null;
        Transport = null;
    }

    /// <summary>"3" in a single-group run, "3/g2" (node 3's replica of group 2) otherwise.</summary>
    public override string ToString() => Group == 0 ? Id.ToString(System.Globalization.CultureInfo.InvariantCulture) : $"{Id}/g{Group}";

    /// <summary>
    /// A log with small segments (rollovers happen) and a small cache (lagging followers are served
    /// from the files), prepared on the calling thread. Syncing follows an interval: a simulated
    /// crash is a process crash, which loses nothing the log wrote, and the run need not wait on
    /// the disk.
    /// </summary>

    private static WriteAheadLog OpenWal(string directory) => WriteAheadLog.Open(directory, WalOptions);

    /// <summary>The options of every simulated log (a shared log ignores the sync policy: its hub syncs it).</summary>
    internal static WalOptions WalOptions => new()
    {
        SegmentSize = 64 * 1024,
        CacheBytes = 512,
        PayloadChunkSize = 4096,
        PrepareSegmentsInBackground = false,
        SyncPolicy = WalSyncPolicy.Interval,
        SyncInterval = TimeSpan.FromHours(1),
    };
}
