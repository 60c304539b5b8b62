using FastRaft.Core;
using FastRaft.Protocol;

namespace FastRaft.Simulation;

// Quiescence (--quiesce, multi-group runs): the agents stop ticking when their group is idle
// (RaftNodeOptions.QuiesceAfterTicks) and a quiesced follower learns of its leader's death from its
// process's node liveness: the server's GroupTransportHub, which hears every message and pings
// every peer node every two ticks, and counts a node dead after an election timeout of silence. After the calm phase has recovered, a quiet phase proves that quiesced groups still
// elect: clients stop, the groups quiesce, the server leading the most groups crashes or is
// isolated for good, and every group that keeps a live majority of voters must have a leader on
// another server within a bound.
public sealed partial class Simulation
{
    /// <summary>Ticks of idleness before an agent quiesces in this run (0: the scenario's ticks allow none).</summary>
    private int _quiesceTicks;

    private bool _clientsPaused;
    private bool _quietPhaseStarted;
    private bool _stop;
    private SimServer? _quietVictim;
    private bool _quietVictimCrashed;
    private long _quietFaultAt;
    private int _quiescedGroupsAtFault;
    private int _quiescedLeaderLosses;
    private long _reElection = -1;

    /// <summary>The groups whose leader was on the server the quiet phase took away.</summary>
    private readonly List<SimGroup> _orphaned = [];

    private bool Quiescing => _quiesceTicks > 0;

    /// <summary>
    /// The quiescence the agents get: the fewest ticks the host allows (2 × HeartbeatTick), when
    /// that is at most ElectionTick / 2; scenarios with a longer heartbeat run without.
    /// </summary>
    private static int QuiesceTicks(Scenario s) => 2 * s.HeartbeatTick <= s.ElectionTick / 2 ? 2 * s.HeartbeatTick : 0;

    /// <summary>How long a node stays live without being heard from (the hub's timeout): one election timeout at the base tick rate.</summary>
    private long LivenessTimeout => _s.ElectionTick * Scenario.BaseTickPeriod;

    /// <summary>Every group recovered: with quiescence, the quiet phase begins (clients stop, the groups go idle).</summary>
    private bool BeginQuietPhase()
    {
        if (!Quiescing || _quietPhaseStarted)
        {
            return false;
        }
        _quietPhaseStarted = true;
        _clientsPaused = true;
        long wait = 4L * _s.ElectionTick * Scenario.BaseTickPeriod;
        _trace.Line($"{_now} quiet phase: clients stop; the leaders' node fails at {_now + wait}");
        Schedule(_now + wait, new SimEvent { Kind = EventKind.QuietFault });
        return true;
    }

    /// <summary>The server that leads the most groups (the lowest id among equals) crashes or is isolated, and stays so.</summary>
    private void QuietFault()
    {
        var leads = new SortedDictionary<ulong, int>();
        foreach (SimGroup g in _groups)
        {
            if (CurrentLeader(g) is ulong lead)
            {
                leads[lead] = leads.GetValueOrDefault(lead) + 1;
            }
        }
        ulong victimId = 0;
        int most = 0;
        foreach ((ulong id, int count) in leads)
        {
            if (count > most)
            {
                (victimId, most) = (id, count);
            }
        }
        if (victimId == 0)
        {
            Invariants.Fail("liveness", "no group has a leader after the calm phase recovered");
        }
        SimServer victim = _servers[victimId];
        foreach (SimGroup g in _groups)
        {
            bool quiet = IsQuiesced(g);
            _quiescedGroupsAtFault += quiet ? 1 : 0;
            if (CurrentLeader(g) == victimId)
            {
                _orphaned.Add(g);
                _quiescedLeaderLosses += quiet ? 1 : 0;
            }
        }
        _quietVictim = victim;
        _quietVictimCrashed = _rng.Chance(0.5);
        _quietFaultAt = _now;
        _trace.Line($"{_now} quiet phase: {_quiescedGroupsAtFault} of {_groups.Length} groups quiesced; node {victimId}, leader of {most}, {(_quietVictimCrashed ? "crashes" : "is isolated")}");
        if (_quietVictimCrashed)
        {
            foreach (SimNode r in victim.Replicas.Values)
            {
                GiveUpAt(r);
            }
            victim.Crash();
            _crashes++;
        }
        else
        {
            _net.Isolated = victimId;
        }
        Schedule(_now + 10, new SimEvent { Kind = EventKind.QuietCheck });
    }

    /// <summary>Every running replica of <paramref name="g"/> is quiesced.</summary>
    private static bool IsQuiesced(SimGroup g)
    {
        bool any = false;
        foreach (SimNode n in g.Nodes.Values)
        {
            if (n.Agent is { } agent)
            {
                if (!agent.IsQuiesced)
                {
                    return false;
                }
                any = true;
            }
        }
        return any;
    }

    /// <summary>
    /// Every group that keeps a live majority must have a leader on another server within the
    /// bound: the liveness timeout, the quiesced followers' check period (an election timeout) and
    /// ten election timeouts for the election itself. That includes the groups whose leader was on
    /// the lost server and any group left leaderless before it (a leader that removed itself: its
    /// quiesced followers wake because it is no voter of theirs, though its node lives on).
    /// </summary>
    private void QuietCheck()
    {
        SimServer victim = _quietVictim!;
        long elapsed = _now - _quietFaultAt;
        long bound = LivenessTimeout + (11L * _s.ElectionTick * Scenario.BaseTickPeriod);
        foreach (SimGroup g in _groups)
        {
            if (!KeepsLiveMajority(g, victim.Id) || HasLeaderOutside(g, victim.Id))
            {
                continue;
            }
            if (elapsed > bound)
            {
                g.Fail("liveness", $"no leader {elapsed} time units after node {victim.Id} {(_quietVictimCrashed ? "crashed" : "was isolated")} (bound {bound}), with a live majority of voters; {_quiescedGroupsAtFault} groups were quiesced then");
            }
            Schedule(_now + 10, new SimEvent { Kind = EventKind.QuietCheck });
            return;
        }
        _reElection = elapsed;
        _trace.Line($"{_now} quiet phase: every group that lost its leader and kept a live majority has a leader {elapsed} time units after the fault");
        if (_quietVictimCrashed)
        {
            StartServer(victim);
        }
        else
        {
            _net.Isolated = 0;
        }
        _stop = true;
    }

    /// <summary>The voters of <paramref name="g"/>'s latest configuration (both halves when joint) keep a majority without <paramref name="lost"/>.</summary>
    private static bool KeepsLiveMajority(SimGroup g, ulong lost)
    {
        SimNode? newest = null;
        foreach (SimNode n in g.Nodes.Values)
        {
            if (n.Up && n.Id != lost && (newest is null || n.Applied > newest.Applied))
            {
                newest = n;
            }
        }
        if (newest is null)
        {
            return false;
        }
        ConfState conf = newest.Conf;
        return Majority(conf.Voters, g, lost) && (conf.VotersOutgoing.Length == 0 || Majority(conf.VotersOutgoing, g, lost));
    }

    private static bool Majority(ulong[] voters, SimGroup g, ulong lost)
    {
        int live = 0;
        foreach (ulong v in voters)
        {
            if (v != lost && g.Nodes.TryGetValue(v, out SimNode? n) && n.Up)
            {
                live++;
            }
        }
        return live > voters.Length / 2;
    }

    private static bool HasLeaderOutside(SimGroup g, ulong lost)
    {
        foreach (SimNode n in g.Nodes.Values)
        {
            if (n.Id != lost && n.Raw is RawNode raw && raw.BasicStatus().SoftState.Role == NodeRole.Leader)
            {
                return true;
            }
        }
        return false;
    }
}
