using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Simulation.Kv;
using FastRaft.Storage;

namespace FastRaft.Simulation;

/// <summary>
/// One simulated server: a RawNode over a MemoryStorage (the durable part) and a key-value
/// state machine with its applied index and configuration (the volatile part, rebuilt from the
/// latest snapshot on restart, as a real server would).
/// </summary>
internal sealed class SimNode
{
    private readonly Scenario _scenario;
    private readonly SimRandom _rng;

    public SimNode(ulong id, Scenario scenario, SimRandom rng, MemoryStorage storage)
    {
        Id = id;
        _scenario = scenario;
        _rng = rng;
        Storage = storage;
        Kv = new KvStore(scenario.Keys, scenario.Clients);
        Conf = ConfState.Empty;
    }

    public ulong Id { get; }

    /// <summary>The durable state; replaced by a copy of itself when the node restarts.</summary>
    public MemoryStorage Storage { get; private set; }

    /// <summary>The running node, or null while crashed or retired.</summary>
    public RawNode? Raft { get; private set; }

    public bool Up => Raft is not null;

    /// <summary>Retired nodes were removed from the cluster and are never started again.</summary>
    public bool Retired { get; private set; }

    /// <summary>Bumped on every start; events for an older incarnation are stale.</summary>
    public int Incarnation { get; private set; }

    public KvStore Kv { get; set; }

    public ConfState Conf { get; set; }

    public ulong Applied { get; set; }

    /// <summary>The commit index of the last Ready of this incarnation (the durable one at start).</summary>
    public ulong LastCommit { get; set; }

    public ulong SnapshotIndex { get; set; }

    public long TickPeriod { get; set; }

    public bool ReadyScheduled { get; set; }

    /// <summary>Client writes proposed through this node, by (client, seq), waiting to be applied here.</summary>
    public SortedDictionary<(int Client, ulong Seq), PendingOp> PendingWrites { get; } = [];

    /// <summary>Client reads waiting for their read index, by request context.</summary>
    public SortedDictionary<ulong, PendingOp> PendingReads { get; } = [];

    /// <summary>Reads whose index is known, waiting for the node to apply up to it.</summary>
    public List<(ulong Index, PendingOp Op)> ReadsAwaitingApply { get; } = [];

    /// <summary>Starts (or restarts) the node from its durable state.</summary>
    public void Start(Sabotage sabotage = Sabotage.None)
    {
        if (Raft is not null || Retired)
        {
            throw new InvalidOperationException($"node {Id} cannot start");
        }
        Storage = StorageCopy.DurableCopy(Storage, Incarnation == 0 ? Sabotage.None : sabotage);
        Storage.Snapshot(out Snapshot snap);
        Kv = KvStore.Decode(snap.Data.Span, _scenario.Keys, _scenario.Clients);
        Conf = snap.Metadata.ConfState;
        Applied = snap.Metadata.Index;
        SnapshotIndex = snap.Metadata.Index;
        Storage.InitialState(out HardState hs, out _);
        LastCommit = hs.Commit;
        Incarnation++;
        ReadyScheduled = false;
        Raft = new RawNode(new RaftConfig
        {
            Id = Id,
            ElectionTick = _scenario.ElectionTick,
            HeartbeatTick = _scenario.HeartbeatTick,
            Storage = Storage,
            Applied = Applied,
            MaxSizePerMsg = _scenario.MaxSizePerMsg,
            MaxInflightMsgs = _scenario.MaxInflightMsgs,
            MaxUncommittedEntriesSize = _scenario.MaxUncommittedEntriesSize,
            CheckQuorum = _scenario.CheckQuorum,
            PreVote = _scenario.PreVote,
            ReadOnlyOption = _scenario.ReadOnlyOption,
            StepDownOnRemoval = _scenario.StepDownOnRemoval,
            // With etcd's immediate step-down a self-removing leader can wedge a joint change (seed 5200).
            StepDownAfterCatchUp = _scenario.StepDownOnRemoval,
            Random = _rng,
        });
    }

    /// <summary>Stops the process: everything not in storage is lost.</summary>
    public void Crash()
    {
        Raft = null;
        PendingWrites.Clear();
        PendingReads.Clear();
        ReadsAwaitingApply.Clear();
    }

    public void Retire()
    {
        Crash();
        Retired = true;
    }

    /// <summary>A brand-new member of the initial configuration: storage holding a snapshot of the configuration.</summary>
    public static MemoryStorage InitialStorage(ulong[] voters)
    {
        var storage = new MemoryStorage();
        var snap = new Snapshot(ReadOnlyMemory<byte>.Empty, new SnapshotMetadata(new ConfState { Voters = voters }, 1, 1));
        if (storage.ApplySnapshot(snap) != StorageStatus.Ok)
        {
            throw new InvalidOperationException("could not seed the initial storage");
        }
        return storage;
    }
}

/// <summary>A client operation in flight at a node.</summary>
internal sealed class PendingOp(int client, ulong seq)
{
    public int Client { get; } = client;
    public ulong Seq { get; } = seq;

    /// <summary>A read answered by the leader with a MsgReadIndexResp (rather than locally).</summary>
    public bool AnsweredRemotely { get; set; }

    /// <summary>
    /// A lease read answered by a leader that had already been superseded by a leader of a
    /// later term: etcd's lease can outlive leadership (see the README), so such a read may be stale.
    /// </summary>
    public bool Superseded { get; set; }
}
