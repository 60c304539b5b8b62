using FastRaft.Core;
using FastRaft.Core.Logging;
using FastRaft.Hosting;
using FastRaft.Hosting.Groups;
using FastRaft.Protocol;
using FastRaft.Simulation.Linearizability;
using FastRaft.Storage;

namespace FastRaft.Simulation;

/// <summary>
/// One deterministic run: a cluster of node agents (the real host, each on a manual invoker and
/// a clock derived from the simulated time), their network, clients and an operator, all driven
/// by one event queue in simulated time and one random source seeded from the seed. Nothing
/// reads a real clock, starts a thread or iterates a hash-ordered collection, so a seed replays
/// exactly. The run has a faulty phase (faults and membership changes) and a calm
/// phase (network healed, nodes restarted) in which the cluster must recover; the invariants
/// are checked after every step and the client history at the end.
/// </summary>
public sealed partial class Simulation
{
    /// <summary>
    /// Pending events beyond which a run fails as a message storm, before it exhausts memory.
    /// Healthy runs have a few hundred pending; a catch-up under heavy reordering has reached
    /// tens of thousands.
    /// </summary>
    private const int MaxPendingEvents = 200_000;

    private readonly SimRandom _rng;
    private readonly Scenario _s;
    private readonly Trace _trace;
    /// <summary>The server processes, by node id.</summary>
    private readonly SortedDictionary<ulong, SimServer> _servers = [];

    /// <summary>The Raft groups every server may host (one, with id 0, in a single-group run).</summary>
    private readonly SimGroup[] _groups;
    private readonly Network _net;
    private readonly PriorityQueue<SimEvent, (long Time, long Seq)> _queue = new();
    private readonly long[] _delays = new long[2];
    private long _eventSeq;
    private int _peakPending;
    private ulong _fingerprint = Fnv.Offset;
    private long _now;
    private long _steps;
    private bool _calm;

    /// <summary>The run is over: sends, wakes and client completions are ignored while the agents close.</summary>
    private bool _finished;
    private ulong[] _initialVoters = [];
    private int _crashes;
    private int _confChanges;
    private int _snapshotsRestored;

    /// <summary>Messages with a group id no server runs, injected by the stray-message fault.</summary>
    private int _strayMessages;

    private readonly SimulationOptions _options;

    /// <summary>The simulated time, for the nodes' clocks (one delegate for all of them).</summary>
    private readonly Func<long> _clockSource;

    /// <summary>The directory of the nodes' write-ahead logs (deleted at the end), or null on MemoryStorage.</summary>
    private readonly string? _walRoot;

    public Simulation(ulong seed, SimulationOptions? options = null, TextWriter? trace = null)
    {
        _options = options ?? SimulationOptions.Default;
        _rng = new SimRandom(seed);
        _s = Scenario.Draw(seed, _rng, _options.FaultyDuration);
        _trace = new Trace(trace);
        _net = new Network(_s, _rng);
        // Only a run that asks for drawn group counts draws one: a single-group run draws what it always did.
        int groups = _options.Groups > 0 ? _options.Groups : (int)_rng.Between(2, 4);
        _groups = new SimGroup[groups];
        for (int g = 0; g < groups; g++)
        {
            _groups[g] = new SimGroup(g, groups == 1 ? 0UL : (ulong)g + 1, _s.Clients);
        }
        _quiesceTicks = _options.Quiesce && groups > 1 ? QuiesceTicks(_s) : 0;
        _clockSource = () => _now;
        if (_options.WriteAheadLog)
        {
            // tmpfs when there is one: the log's syncs cost nothing there, its code runs all the same.
            string root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
            _walRoot = Path.Combine(root, $"fastraft-sim-{Environment.ProcessId}-{seed}-{Guid.NewGuid():N}");
        }
    }

    public Scenario Scenario => _s;

    /// <summary>Groups per server: more than one means a shared transport per server and per-group checks.</summary>
    private bool MultiGroup => _groups.Length > 1;

    /// <summary>Runs one seed; never throws for a failed check, which is reported in the result.</summary>
    public static SimulationResult RunSeed(ulong seed, SimulationOptions? options = null, TextWriter? trace = null) =>
        new Simulation(seed, options, trace).Run();

    public SimulationResult Run()
    {
        _trace.Line($"seed {_s.Seed}: {_s}{(_walRoot is null ? "" : " storage=wal")}{(MultiGroup ? $" groups={_groups.Length}" : "")}{(Quiescing ? $" quiesce={_quiesceTicks}" : "")}");
        string? invariant = null, detail = null;
        LinearizabilityResult? lin = null;
        try
        {
            Setup();
            Loop();
            lin = CheckHistory();
        }
        catch (InvariantViolation v)
        {
            invariant = v.Invariant;
            detail = v.Detail;
        }
        catch (RaftPanicException p)
        {
            invariant = "core panic";
            detail = p.Message;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Anything else thrown by the core or the host is a failure of this seed, reported
            // like the others so that a campaign goes on.
            invariant = "crash";
            detail = e.ToString();
        }
        if (invariant is not null)
        {
            _trace.Line($"VIOLATION {invariant}: {detail}");
        }
        var result = new SimulationResult
        {
            Seed = _s.Seed,
            Scenario = _s,
            Invariant = invariant,
            Detail = detail,
            Steps = _steps,
            Time = _now,
            Groups = _groups.Length,
            OperationsPerGroup = Array.ConvertAll(_groups, static g => g.History.Count),
            Operations = Sum(static g => g.History.Count),
            UnknownOperations = Sum(CountUnknown),
            NeverAppliedUnknown = Sum(static g => g.NeverAppliedUnknown),
            SupersededLeaseReads = Sum(static g => g.SupersededLeaseReads),
            Leaders = Sum(static g => g.Invariants.LeadersSeen),
            Committed = SumCommitted(),
            UnknownGroupDrops = (int)SumHubs(static c => c.UnknownGroupDrops),
            StrayMessages = _strayMessages,
            LogSyncs = SumHubs(static c => c.Syncs),
            CoalescedHeartbeats = SumHubs(static c => c.CoalescedHeartbeats),
            LivenessPings = SumHubs(static c => c.LivenessPings),
            QuiesceTicks = _quiesceTicks,
            QuiescedGroupsAtFault = _quiescedGroupsAtFault,
            QuiescedLeaderLosses = _quiescedLeaderLosses,
            ReElectionTime = _reElection,
            Crashes = _crashes,
            ConfChanges = _confChanges,
            SnapshotsRestored = _snapshotsRestored,
            Fingerprint = Fnv.Mix(_fingerprint, (ulong)_rng.Draws),
            Linearizability = lin,
            CheckerSteps = _checkerSteps,
            PeakPendingEvents = _peakPending,
            ResolvedUnknownOutcomes = Array.Exists(_groups, static g => g.RefinedHistory),
        };
        ShutDown();
        return result;
    }

    private int Sum(Func<SimGroup, int> of)
    {
        int total = 0;
        foreach (SimGroup g in _groups)
        {
            total += of(g);
        }
        return total;
    }

    private ulong SumCommitted()
    {
        ulong total = 0;
        foreach (SimGroup g in _groups)
        {
            total += g.Invariants.MaxCommitted;
        }
        return total;
    }

    /// <summary>A sum over every server's hubs (every incarnation), 0 in a single-group run.</summary>
    private long SumHubs(Func<GroupTransportCounters, long> of)
    {
        long total = 0;
        foreach (SimServer s in _servers.Values)
        {
            if (s.HubCounters is { } c)
            {
                total += of(c);
            }
        }
        return total;
    }

    /// <summary>
    /// Closes every agent still running once the run is over (their meters, registered process-wide,
    /// would otherwise keep the whole run alive). Nothing of it reaches the result: the simulation no
    /// longer reacts to what closing does.
    /// </summary>
    private void ShutDown()
    {
        _finished = true;
        foreach (SimServer server in _servers.Values)
        {
            try
            {
                server.ShutDown();
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // A run that failed may leave an agent that cannot close cleanly; the result stands.
            }
        }
        if (_walRoot is not null)
        {
            try
            {
                Directory.Delete(_walRoot, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private void Setup()
    {
        _initialVoters = new ulong[_s.Voters];
        for (int i = 0; i < _s.Voters; i++)
        {
            _initialVoters[i] = (ulong)i + 1;
        }
        foreach (SimGroup g in _groups)
        {
            g.Invariants.Bootstrapped((ulong)_s.Voters);
        }
        foreach (ulong id in _initialVoters)
        {
            AddServer(id, _groups);
        }
        foreach (SimGroup g in _groups)
        {
            for (int c = 0; c < g.Clients.Length; c++)
            {
                g.Clients[c] = new SimClient(c, g);
                Schedule(_rng.Between(0, 50), new SimEvent { Kind = EventKind.ClientAct, Client = c, Group = g.Index });
            }
        }
        Schedule(NextInterval(_s.MeanFaultInterval), new SimEvent { Kind = EventKind.Fault });
        if (_s.MeanConfChangeInterval > 0)
        {
            foreach (SimGroup g in _groups)
            {
                Schedule(NextInterval(_s.MeanConfChangeInterval), new SimEvent { Kind = EventKind.ConfChange, Group = g.Index });
            }
        }
        Schedule(_s.FaultyDuration, new SimEvent { Kind = EventKind.Calm });
    }

    /// <summary>Creates and starts a server hosting a replica of each of <paramref name="groups"/>: an initial voter bootstraps, a joiner starts empty.</summary>
    private SimServer AddServer(ulong id, IEnumerable<SimGroup> groups)
    {
        // Each machine's clock runs at its own rate and shows its own time.
        long period = Scenario.BaseTickPeriod + _rng.Between(-_s.TickSkew, _s.TickSkew);
        var clock = new SimClock(_clockSource, period, _rng.Between(0, 1000) * SimClock.Frequency);
        var server = new SimServer(id, clock);
        if (MultiGroup && _walRoot is not null)
        {
            server.OpenSharedLog(Path.Combine(_walRoot, $"node-{id}"));
        }
        _servers[id] = server;
        foreach (SimGroup g in groups)
        {
            AddReplica(server, g);
        }
        StartServer(server);
        return server;
    }

    /// <summary>A replica of <paramref name="g"/> on <paramref name="server"/> (started with the server, or by the caller when it runs).</summary>
    private SimNode AddReplica(SimServer server, SimGroup g)
    {
        // A single-group node has a log of its own; a multi-group server's replicas share the server's.
        string? wal = _walRoot is null || server.SharedLog is not null ? null : Path.Combine(_walRoot, $"node-{server.Id}");
        var n = new SimNode(server, g, _s, wal, server.SharedLog?.OpenGroup(g.Id));
        server.Replicas[g.Id] = n;
        g.Nodes[server.Id] = n;
        return n;
    }

    /// <summary>Starts a server process and every replica it hosts that was not retired.</summary>
    private void StartServer(SimServer server)
    {
        server.Begin(this, MultiGroup ? HubOptions(server) : null, _options.Sabotage == Sabotage.UnsyncedHub ? null : server.Log);
        foreach (SimNode n in server.Replicas.Values)
        {
            if (!n.Retired)
            {
                StartReplica(n);
            }
        }
        // The agents' first duty cycle starts their tick phase; a little later than now, as a process starts.
        ScheduleWork(server, _now + _rng.Between(1, server.Clock.Period));
    }

    /// <summary>
    /// The hub's options: the server's clock (one tick interval is one second of it), a liveness
    /// ping every two ticks, a node dead after an election timeout without a word from it.
    /// </summary>
    private RaftGroupHostOptions HubOptions(SimServer server) => new()
    {
        Time = server.Clock,
        LivenessInterval = 2 * SimClock.TickInterval,
        LivenessTimeout = _s.ElectionTick * SimClock.TickInterval,
    };

    private void StartReplica(SimNode n)
    {
        bool initial = Array.IndexOf(_initialVoters, n.Id) >= 0;
        SimServer server = n.Server;
        ITransport transport = server.Hub is GroupTransportHub hub
            ? hub.CreateView(n.Group, server.Signal!)
            : new SimTransport(this, n, server.Incarnation);
        n.Start(this, _rng, initial ? _initialVoters : null, _options, transport, _quiesceTicks);
        ThrowIfFaulted(n);
        _trace.Line($"{_now} start node {n} (incarnation {n.Incarnation}, tick every {n.Clock.Period}, applied {n.Applied}, commit {n.LastCommit})");
    }

    private void Loop()
    {
        while (_queue.TryDequeue(out SimEvent? ev, out (long Time, long Seq) at))
        {
            _now = at.Time;
            _steps++;
            _peakPending = Math.Max(_peakPending, _queue.Count);
            if (_queue.Count > MaxPendingEvents)
            {
                // Only a host that broke its contract (see the sabotages) has been seen to do this:
                // a leader and a follower whose log is shorter than it acknowledged answer each
                // other's rejections at once, and duplicated messages multiply the exchanges.
                Invariants.Fail("message storm", $"{_queue.Count} events pending at time {_now}: messages multiply faster than they are lost");
            }
            _fingerprint = Fnv.Mix(Fnv.Mix(Fnv.Mix(_fingerprint, (ulong)_now), (ulong)ev.Kind), ev.Node);
            if (MultiGroup)
            {
                _fingerprint = Fnv.Mix(_fingerprint, (ulong)ev.Group);
            }
            if (ev.Kind == EventKind.CheckRecovered && Recovered())
            {
                if (BeginQuietPhase())
                {
                    continue;
                }
                return;
            }
            Dispatch(ev);
            AfterStep();
            if (_stop)
            {
                return;
            }
        }
    }

    /// <summary>The checks every group runs after every step.</summary>
    private void AfterStep()
    {
        foreach (SimGroup g in _groups)
        {
            g.Invariants.AfterStep();
        }
    }

    private void Dispatch(SimEvent ev)
    {
        switch (ev.Kind)
        {
            case EventKind.Deliver:
                Deliver(ev);
                break;
            case EventKind.Work:
                if (ServerOf(ev) is SimServer ws && ws.WorkAt == _now)
                {
                    ws.WorkAt = long.MaxValue;
                    Work(ws);
                }
                break;
            case EventKind.ClientAct:
                ClientAct(_groups[ev.Group].Clients[ev.Client]);
                break;
            case EventKind.ClientTimeout:
                ClientTimeout(_groups[ev.Group].Clients[ev.Client], ev.Seq);
                break;
            case EventKind.Fault:
                InjectFault();
                if (!_calm)
                {
                    Schedule(_now + NextInterval(_s.MeanFaultInterval), new SimEvent { Kind = EventKind.Fault });
                }
                break;
            case EventKind.HealPartitions:
                _trace.Line($"{_now} heal partitions");
                _net.Heal();
                break;
            case EventKind.ConfChange:
                ChangeMembership(_groups[ev.Group]);
                Schedule(_now + NextInterval(_s.MeanConfChangeInterval), new SimEvent { Kind = EventKind.ConfChange, Group = ev.Group });
                break;
            case EventKind.Restart:
                if (_servers[ev.Node] is { Up: false, Retired: false } down)
                {
                    StartServer(down);
                }
                break;
            case EventKind.Retire:
                MaybeRetire(_groups[ev.Group], _groups[ev.Group].Nodes[ev.Node]);
                break;
            case EventKind.SnapshotStatus when ev.Group < 0:
                if (ServerOf(ev) is { ProcessTransport: { } spt } ss)
                {
                    SnapshotStatus status = ev.Failure ? SnapshotStatus.Failure : SnapshotStatus.Finish;
                    _trace.Line($"{_now} node {ss.Id} report snapshot to {ev.Peer}: {status}");
                    spt.Sink.ReportSnapshot(ev.Peer, status);
                }
                break;
            case EventKind.Unreachable when ev.Group < 0:
                if (ServerOf(ev) is { ProcessTransport: { } upt } us)
                {
                    _trace.Line($"{_now} node {us.Id} report unreachable {ev.Peer}");
                    upt.Sink.ReportUnreachable(ev.Peer);
                }
                break;
            case EventKind.SnapshotStatus:
                if (ReplicaOf(ev) is SimNode sn)
                {
                    SnapshotStatus status = ev.Failure ? SnapshotStatus.Failure : SnapshotStatus.Finish;
                    _trace.Line($"{_now} node {sn.Id} report snapshot to {ev.Peer}: {status}");
                    sn.OwnTransport!.Sink.ReportSnapshot(ev.Peer, status);
                }
                break;
            case EventKind.Unreachable:
                if (ReplicaOf(ev) is SimNode un)
                {
                    _trace.Line($"{_now} node {un.Id} report unreachable {ev.Peer}");
                    un.OwnTransport!.Sink.ReportUnreachable(ev.Peer);
                }
                break;
            case EventKind.Calm:
                EnterCalm();
                break;
            case EventKind.QuietFault:
                QuietFault();
                break;
            case EventKind.QuietCheck:
                QuietCheck();
                break;
            case EventKind.CheckRecovered:
                if (_now >= _s.FaultyDuration + _s.CalmDuration)
                {
                    FailNotRecovered();
                }
                Schedule(_now + 100, new SimEvent { Kind = EventKind.CheckRecovered });
                break;
        }
    }

    /// <summary>The running server an event is for, or null when it crashed (or restarted) since.</summary>
    private SimServer? ServerOf(SimEvent ev) =>
        _servers.TryGetValue(ev.Node, out SimServer? s) && s.Up && s.Incarnation == ev.Incarnation ? s : null;

    /// <summary>The running replica an event is for, or null when its server crashed (or restarted) since, or it was retired.</summary>
    private SimNode? ReplicaOf(SimEvent ev) =>
        _groups[ev.Group].Nodes.TryGetValue(ev.Node, out SimNode? n) && n.Up && n.Incarnation == ev.Incarnation ? n : null;

    private void Schedule(long at, SimEvent ev) => _queue.Enqueue(ev, (at, _eventSeq++));

    /// <summary>A random interval with the given mean (integers only, so replays agree across platforms).</summary>
    private long NextInterval(long mean) => _rng.Between(1, 2 * mean - 1);

    private void EnterCalm()
    {
        _calm = true;
        _net.Heal();
        _net.Calm = true;
        foreach (SimGroup g in _groups)
        {
            g.CalmCommit = g.Invariants.MaxCommitted;
        }
        _trace.Line($"{_now} calm: network healed, crashed nodes restart");
        Schedule(_now + 300, new SimEvent { Kind = EventKind.CheckRecovered });
        foreach (SimServer n in _servers.Values)
        {
            if (!n.Up && !n.Retired)
            {
                StartServer(n);
            }
            n.Clock.SetPeriod(Scenario.BaseTickPeriod);
            n.StalledUntil = 0;
            if (n.Up)
            {
                // Its next tick is due sooner or later now.
                ScheduleWork(n, _now + _rng.Between(0, 2));
            }
        }
    }

    private static string Role(RawNode r)
    {
        BasicStatus st = r.BasicStatus();
        return $"{st.SoftState.Role} term {st.HardState.Term} lead {st.SoftState.Lead}";
    }
}
