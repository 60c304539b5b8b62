using FastRaft.Core.Storage;
using FastRaft.Hosting.Agents;
using FastRaft.Hosting.Groups;
using FastRaft.Storage.Wal;

namespace FastRaft.Simulation;

/// <summary>
/// One simulated server process: its machine's clock (which survives restarts), whether the
/// process runs, and the replicas of the groups it hosts (one <see cref="SimNode"/> per group,
/// each a real agent). The process is the unit of crashes, stalls, clock faults and partitions:
/// a crash takes every replica down at once, the restart recovers all of them. In a multi-group
/// run its replicas share one transport, the real <see cref="GroupTransportHub"/> (one more agent
/// of the process) over a <see cref="SimProcessTransport"/>: the process runs the hub, every
/// replica's agent, then the hub again in one duty cycle, as one runner thread runs them, so a
/// cycle's messages of all groups leave together after one sync of the shared log.
/// </summary>
internal sealed class SimServer(ulong id, SimClock clock)
{
    public ulong Id { get; } = id;

    public SimClock Clock { get; } = clock;

    /// <summary>The replicas this process hosts, by group id (retired ones stay, not running).</summary>
    public SortedDictionary<ulong, SimNode> Replicas { get; } = [];

    /// <summary>The process runs.</summary>
    public bool Up { get; private set; }

    /// <summary>Every replica it hosted was retired: the process is never started again.</summary>
    public bool Retired { get; private set; }

    /// <summary>Bumped on every start; events for an older incarnation are stale.</summary>
    public int Incarnation { get; private set; }

    /// <summary>The earliest pending duty cycle (simulation time), or long.MaxValue.</summary>
    public long WorkAt { get; set; } = long.MaxValue;

    /// <summary>The process is paused until then (it does no work; messages wait in its inbox).</summary>
    public long StalledUntil { get; set; }

    /// <summary>
    /// The group commit of the process's replicas in a multi-group run on MemoryStorage: every
    /// replica's Save marks it unsynced and the hub's one sync per cycle covers them all.
    /// </summary>
    public SimLogSync MemoryLog { get; } = new();

    /// <summary>The process's shared write-ahead log (multi-group runs with --wal), reopened after every crash.</summary>
    public SharedWriteAheadLog? SharedLog { get; private set; }

    private string? _sharedLogDirectory;

    /// <summary>What the hub syncs before its sends (multi-group runs): the shared log, or the MemoryStorages' model of one.</summary>
    public IGroupCommit Log => SharedLog is null ? MemoryLog : SharedLog;

    /// <summary>Opens the process's shared log in <paramref name="directory"/> (before any replica is added).</summary>
    public void OpenSharedLog(string directory)
    {
        _sharedLogDirectory = directory;
        SharedLog = SharedWriteAheadLog.Open(directory, SimNode.WalOptions);
    }

    /// <summary>The process transport the hub owns (multi-group runs, while up).</summary>
    public SimProcessTransport? ProcessTransport { get; private set; }

    /// <summary>The process's shared transport (multi-group runs, while up).</summary>
    public GroupTransportHub? Hub { get; private set; }

    public ManualAgentInvoker? HubInvoker { get; private set; }

    /// <summary>The wake source of this incarnation's agents (multi-group runs).</summary>
    public SimServerSignal? Signal { get; private set; }

    /// <summary>What the hubs of earlier incarnations counted (their counters die with them).</summary>
    public GroupTransportCounters? PastHubs { get; private set; }

    /// <summary>Starts the process: a new incarnation, with the shared transport when the run has groups.</summary>
    /// <param name="hubLog">What the hub syncs before sending: <see cref="Log"/>, or null for a broken hub (a sabotage).</param>
    public void Begin(Simulation sim, RaftGroupHostOptions? hubOptions, IGroupCommit? hubLog)
    {
        if (Up || Retired)
        {
            throw new InvalidOperationException($"server {Id} cannot start");
        }
        Incarnation++;
        Up = true;
        WorkAt = long.MaxValue;
        if (hubOptions is null)
        {
            return;
        }
        Signal = new SimServerSignal(sim, this, Incarnation);
        ProcessTransport = new SimProcessTransport(sim, this, Signal);
        Hub = new GroupTransportHub(ProcessTransport, hubLog, hubOptions, Signal);
        HubInvoker = new ManualAgentInvoker(Hub);
        // Starts the process transport with the hub as its sink.
        HubInvoker.Start();
    }

    /// <summary>
    /// The process stops: every replica's agent closes (failing what is outstanding), then the
    /// hub, which disposes the process transport (what waited in it is lost).
    /// </summary>
    public void Crash()
    {
        foreach (SimNode r in Replicas.Values)
        {
            r.Crash();
        }
        Stop();
        if (SharedLog is not null)
        {
            // The log is closed and recovered from its files, as the restarted process will find
            // it; recovery splits it back per group.
            SharedLog.Dispose();
            SharedLog = SharedWriteAheadLog.Open(_sharedLogDirectory!, SimNode.WalOptions);
            foreach (SimNode r in Replicas.Values)
            {
                r.Reattach(SharedLog.OpenGroup(r.Group));
            }
        }
    }

    /// <summary>The run is over: the process stops and its shared log's files are released.</summary>
    public void ShutDown()
    {
        foreach (SimNode r in Replicas.Values)
        {
            r.ShutDown();
        }
        Stop();
        SharedLog?.Dispose();
        SharedLog = null;
    }

    /// <summary>A replica was retired: once none runs any longer, the process is retired.</summary>
    public void ReplicaRetired()
    {
        foreach (SimNode r in Replicas.Values)
        {
            if (!r.Retired)
            {
                return;
            }
        }
        Stop();
        Retired = true;
    }

    private void Stop()
    {
        if (Hub is not null)
        {
            PastHubs = Sum(PastHubs, Hub.Counters);
            HubInvoker!.Close();
        }
        Hub = null;
        HubInvoker = null;
        ProcessTransport = null;
        Signal = null;
        Up = false;
        WorkAt = long.MaxValue;
        StalledUntil = 0;
    }

    /// <summary>The hub counters of every incarnation so far.</summary>
    public GroupTransportCounters? HubCounters => Hub is null ? PastHubs : Sum(PastHubs, Hub.Counters);

    private static GroupTransportCounters Sum(GroupTransportCounters? a, GroupTransportCounters b) => a is null ? b : new GroupTransportCounters
    {
        MessagesRouted = a.MessagesRouted + b.MessagesRouted,
        UnknownGroupDrops = a.UnknownGroupDrops + b.UnknownGroupDrops,
        ControlDrops = a.ControlDrops + b.ControlDrops,
        OutboundDrops = a.OutboundDrops + b.OutboundDrops,
        OutboundBatches = a.OutboundBatches + b.OutboundBatches,
        MessagesSent = a.MessagesSent + b.MessagesSent,
        Flushes = a.Flushes + b.Flushes,
        Syncs = a.Syncs + b.Syncs,
        CoalescedHeartbeats = a.CoalescedHeartbeats + b.CoalescedHeartbeats,
        HeartbeatControlMessages = a.HeartbeatControlMessages + b.HeartbeatControlMessages,
        LivenessPings = a.LivenessPings + b.LivenessPings,
    };

    public override string ToString() => Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
