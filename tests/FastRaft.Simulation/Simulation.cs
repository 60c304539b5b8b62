using FastRaft.Core;
using FastRaft.Core.Logging;
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
    private readonly SortedDictionary<ulong, SimNode> _nodes = [];
    private readonly Network _net;
    private readonly Invariants _inv;
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
        _inv = new Invariants(_nodes);
        _clients = new SimClient[_s.Clients];
        _clockSource = () => _now;
        if (_options.WriteAheadLog)
        {
            // tmpfs when there is one: the log's syncs cost nothing there, its code runs all the same.
            string root = Directory.Exists("/dev/shm") ? "/dev/shm" : Path.GetTempPath();
            _walRoot = Path.Combine(root, $"fastraft-sim-{Environment.ProcessId}-{seed}-{Guid.NewGuid():N}");
        }
    }

    public Scenario Scenario => _s;

    /// <summary>Runs one seed; never throws for a failed check, which is reported in the result.</summary>
    public static SimulationResult RunSeed(ulong seed, SimulationOptions? options = null, TextWriter? trace = null) =>
        new Simulation(seed, options, trace).Run();

    public SimulationResult Run()
    {
        _trace.Line($"seed {_s.Seed}: {_s}{(_walRoot is null ? "" : " storage=wal")}");
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
            Operations = _history.Count,
            UnknownOperations = CountUnknown(),
            NeverAppliedUnknown = _neverAppliedUnknown,
            SupersededLeaseReads = _supersededLeaseReads,
            Leaders = _inv.LeadersSeen,
            Committed = _inv.MaxCommitted,
            Crashes = _crashes,
            ConfChanges = _confChanges,
            SnapshotsRestored = _snapshotsRestored,
            Fingerprint = Fnv.Mix(_fingerprint, (ulong)_rng.Draws),
            Linearizability = lin,
            CheckerSteps = _checkerSteps,
            PeakPendingEvents = _peakPending,
            ResolvedUnknownOutcomes = _refinedHistory,
        };
        ShutDown();
        return result;
    }

    /// <summary>
    /// Closes every agent still running once the run is over (their meters, registered process-wide,
    /// would otherwise keep the whole run alive). Nothing of it reaches the result: the simulation no
    /// longer reacts to what closing does.
    /// </summary>
    private void ShutDown()
    {
        _finished = true;
        foreach (SimNode n in _nodes.Values)
        {
            try
            {
                n.ShutDown();
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
        _inv.Bootstrapped((ulong)_s.Voters);
        foreach (ulong id in _initialVoters)
        {
            AddNode(id);
        }
        for (int c = 0; c < _clients.Length; c++)
        {
            _clients[c] = new SimClient(c);
            Schedule(_rng.Between(0, 50), new SimEvent { Kind = EventKind.ClientAct, Client = c });
        }
        Schedule(NextInterval(_s.MeanFaultInterval), new SimEvent { Kind = EventKind.Fault });
        if (_s.MeanConfChangeInterval > 0)
        {
            Schedule(NextInterval(_s.MeanConfChangeInterval), new SimEvent { Kind = EventKind.ConfChange });
        }
        Schedule(_s.FaultyDuration, new SimEvent { Kind = EventKind.Calm });
    }

    /// <summary>Creates and starts a node: an initial voter bootstraps, a joiner starts empty.</summary>
    private SimNode AddNode(ulong id)
    {
        // Each machine's clock runs at its own rate and shows its own time.
        long period = Scenario.BaseTickPeriod + _rng.Between(-_s.TickSkew, _s.TickSkew);
        var clock = new SimClock(_clockSource, period, _rng.Between(0, 1000) * SimClock.Frequency);
        var n = new SimNode(id, _s, clock, _walRoot is null ? null : Path.Combine(_walRoot, $"node-{id}"));
        _nodes[id] = n;
        StartNode(n);
        return n;
    }

    private void StartNode(SimNode n)
    {
        bool initial = Array.IndexOf(_initialVoters, n.Id) >= 0;
        n.Start(this, _rng, initial ? _initialVoters : null, _options);
        ThrowIfFaulted(n);
        _trace.Line($"{_now} start node {n.Id} (incarnation {n.Incarnation}, tick every {n.Clock.Period}, applied {n.Applied}, commit {n.LastCommit})");
        // The agent's first duty cycle starts its tick phase; a little later than now, as a process starts.
        ScheduleWork(n, _now + _rng.Between(1, n.Clock.Period));
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
            if (ev.Kind == EventKind.CheckRecovered && Recovered())
            {
                return;
            }
            Dispatch(ev);
            _inv.AfterStep();
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
                if (NodeOf(ev) is SimNode wn && wn.WorkAt == _now)
                {
                    wn.WorkAt = long.MaxValue;
                    Work(wn);
                }
                break;
            case EventKind.ClientAct:
                ClientAct(_clients[ev.Client]);
                break;
            case EventKind.ClientTimeout:
                ClientTimeout(_clients[ev.Client], ev.Seq);
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
                ChangeMembership();
                Schedule(_now + NextInterval(_s.MeanConfChangeInterval), new SimEvent { Kind = EventKind.ConfChange });
                break;
            case EventKind.Restart:
                if (_nodes[ev.Node] is { Up: false, Retired: false } down)
                {
                    StartNode(down);
                }
                break;
            case EventKind.Retire:
                MaybeRetire(_nodes[ev.Node]);
                break;
            case EventKind.SnapshotStatus:
                if (NodeOf(ev) is SimNode sn)
                {
                    SnapshotStatus status = ev.Failure ? SnapshotStatus.Failure : SnapshotStatus.Finish;
                    _trace.Line($"{_now} node {sn.Id} report snapshot to {ev.Peer}: {status}");
                    sn.Transport!.Sink.ReportSnapshot(ev.Peer, status);
                }
                break;
            case EventKind.Unreachable:
                if (NodeOf(ev) is SimNode un)
                {
                    _trace.Line($"{_now} node {un.Id} report unreachable {ev.Peer}");
                    un.Transport!.Sink.ReportUnreachable(ev.Peer);
                }
                break;
            case EventKind.Calm:
                EnterCalm();
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

    /// <summary>The running node an event is for, or null when it crashed (or restarted) since.</summary>
    private SimNode? NodeOf(SimEvent ev) =>
        _nodes.TryGetValue(ev.Node, out SimNode? n) && n.Up && n.Incarnation == ev.Incarnation ? n : null;

    private void Schedule(long at, SimEvent ev) => _queue.Enqueue(ev, (at, _eventSeq++));

    /// <summary>A random interval with the given mean (integers only, so replays agree across platforms).</summary>
    private long NextInterval(long mean) => _rng.Between(1, 2 * mean - 1);

    private void EnterCalm()
    {
        _calm = true;
        _net.Heal();
        _net.Calm = true;
        _calmCommit = _inv.MaxCommitted;
        _trace.Line($"{_now} calm: network healed, crashed nodes restart");
        Schedule(_now + 300, new SimEvent { Kind = EventKind.CheckRecovered });
        foreach (SimNode n in _nodes.Values)
        {
            if (!n.Up && !n.Retired)
            {
                StartNode(n);
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
