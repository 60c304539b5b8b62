using FastRaft.Core;
using FastRaft.Protocol;

namespace FastRaft.Simulation;

// Faults: partitions (symmetric, one-way, isolation), crashes and restarts, leader transfers,
// stalled processes, clocks that change rate or leap ahead.
public sealed partial class Simulation
{
    private readonly List<ulong> _scratchIds = [];

    private void InjectFault()
    {
        if (_calm)
        {
            return;
        }
        int roll = _rng.Next(100);
        switch (roll)
        {
            case < 18:
                SymmetricPartition();
                break;
            case < 28:
                OneWayPartition();
                break;
            case < 36:
                IsolateNode();
                break;
            case < 48:
                _trace.Line($"{_now} fault: heal partitions");
                _net.Heal();
                break;
            case < 64:
                CrashNode();
                break;
            case < 76:
                TransferLeadership();
                break;
            case < 84:
                Stall();
                break;
            case < 90:
                ChangeTickRate();
                break;
            default:
                ClockLeap();
                break;
        }
        if (MultiGroup && _rng.Chance(0.2))
        {
            StrayMessage();
        }
    }

    /// <summary>The servers not retired.</summary>
    private List<ulong> LiveIds()
    {
        _scratchIds.Clear();
        foreach ((ulong id, SimServer n) in _servers)
        {
            if (!n.Retired)
            {
                _scratchIds.Add(id);
            }
        }
        return _scratchIds;
    }

    /// <summary>The servers whose replica of <paramref name="g"/> is not retired.</summary>
    private List<ulong> LiveIds(SimGroup g)
    {
        _scratchIds.Clear();
        foreach ((ulong id, SimNode n) in g.Nodes)
        {
            if (!n.Retired)
            {
                _scratchIds.Add(id);
            }
        }
        return _scratchIds;
    }

    /// <summary>The group a fault aimed at a group's leader picks (no draw in a single-group run).</summary>
    private SimGroup PickGroup() => MultiGroup ? _groups[_rng.Next(_groups.Length)] : _groups[0];

    /// <summary>
    /// A message naming a group no server runs (a misrouted or forged datagram, a group already
    /// removed everywhere) reaches a server through the network: its shared transport must drop
    /// and count it, never hand it to a group.
    /// </summary>
    private void StrayMessage()
    {
        List<ulong> ids = LiveIds();
        if (ids.Count < 2)
        {
            return;
        }
        ulong from = _rng.Pick(ids);
        ulong to = _rng.Pick(ids);
        var m = new Message
        {
            Type = _rng.Pick([MessageType.Heartbeat, MessageType.Append, MessageType.Vote]),
            From = from,
            To = to,
            Term = (ulong)_rng.Between(1, 1000),
            Index = (ulong)_rng.Between(0, 1000),
            Commit = (ulong)_rng.Between(0, 1000),
            GroupId = (ulong)_groups.Length + (ulong)_rng.Between(1, 1000),
        };
        _strayMessages++;
        _trace.Line($"{_now} fault: stray message {Describe(m)}");
        Transmit(m);
    }

    private void Shuffle(List<ulong> ids)
    {
        for (int i = ids.Count - 1; i > 0; i--)
        {
            int j = _rng.Next(i + 1);
            (ids[i], ids[j]) = (ids[j], ids[i]);
        }
    }

    private void SymmetricPartition()
    {
        List<ulong> ids = LiveIds();
        if (ids.Count < 2)
        {
            return;
        }
        Shuffle(ids);
        int cut = 1 + _rng.Next(ids.Count - 1);
        for (int i = 0; i < cut; i++)
        {
            for (int j = cut; j < ids.Count; j++)
            {
                _net.BlockBothWays(ids[i], ids[j]);
            }
        }
        ScheduleHeal();
        _trace.Line($"{_now} fault: partition, now blocked {_net.Describe()}");
    }

    private void OneWayPartition()
    {
        List<ulong> ids = LiveIds();
        if (ids.Count < 2)
        {
            return;
        }
        Shuffle(ids);
        ulong a = ids[0];
        if (_rng.Chance(0.5))
        {
            // a can no longer send to anyone (or hear from anyone), but the other way works.
            bool outbound = _rng.Chance(0.5);
            for (int i = 1; i < ids.Count; i++)
            {
                if (outbound)
                {
                    _net.BlockOneWay(a, ids[i]);
                }
                else
                {
                    _net.BlockOneWay(ids[i], a);
                }
            }
        }
        else
        {
            _net.BlockOneWay(a, ids[1]);
        }
        ScheduleHeal();
        _trace.Line($"{_now} fault: one-way partition, now blocked {_net.Describe()}");
    }

    private void IsolateNode()
    {
        List<ulong> ids = LiveIds();
        if (ids.Count < 2)
        {
            return;
        }
        // Prefer isolating a leader (of some group): the interesting case.
        ulong victim = CurrentLeader(PickGroup()) ?? _rng.Pick(ids);
        foreach (ulong other in ids)
        {
            _net.BlockBothWays(victim, other);
        }
        ScheduleHeal();
        _trace.Line($"{_now} fault: isolate {victim}, now blocked {_net.Describe()}");
    }

    private void ScheduleHeal() =>
        Schedule(_now + _rng.Between(100, 1200), new SimEvent { Kind = EventKind.HealPartitions });

    /// <summary>The servers running.</summary>
    private List<ulong> UpIds()
    {
        _scratchIds.Clear();
        foreach ((ulong id, SimServer n) in _servers)
        {
            if (n.Up)
            {
                _scratchIds.Add(id);
            }
        }
        return _scratchIds;
    }

    /// <summary>A server process crashes: every replica it runs goes down at once (what is not in storage is lost).</summary>
    private void CrashNode()
    {
        List<ulong> up = UpIds();
        if (up.Count == 0)
        {
            return;
        }
        SimServer victim = _servers[_rng.Pick(up)];
        foreach (SimNode r in victim.Replicas.Values)
        {
            if (r.Up)
            {
                _trace.Line($"{_now} fault: crash node {r} ({Role(r.Raw!)}), durable commit {r.DurableCommit}, last index {r.Storage.LastIndex()}");
            }
        }
        foreach (SimNode r in victim.Replicas.Values)
        {
            GiveUpAt(r);
        }
        victim.Crash();
        _crashes++;
        Schedule(_now + _rng.Between(20, 800), new SimEvent { Kind = EventKind.Restart, Node = victim.Id });
    }

    /// <summary>The node that leads <paramref name="g"/> in the highest term, if any.</summary>
    private ulong? CurrentLeader(SimGroup g)
    {
        ulong? lead = null;
        ulong term = 0;
        foreach ((ulong id, SimNode n) in g.Nodes)
        {
            if (n.Raw is RawNode r)
            {
                BasicStatus st = r.BasicStatus();
                if (st.SoftState.Role == NodeRole.Leader && st.HardState.Term >= term)
                {
                    lead = id;
                    term = st.HardState.Term;
                }
            }
        }
        return lead;
    }

    private void TransferLeadership()
    {
        SimGroup g = PickGroup();
        if (CurrentLeader(g) is not ulong lead)
        {
            return;
        }
        SimNode n = g.Nodes[lead];
        List<ulong> ids = LiveIds(g);
        ulong target = _rng.Pick(ids);
        _trace.Line($"{_now} fault: leader {n} transfers leadership to {target}");
        n.Transfers.Add(($"leader {n} transfer to {target}", n.Agent!.TransferLeadershipAsync(target)));
    }

    /// <summary>
    /// A process stops running for a while (a long GC pause, a descheduled VM): it neither ticks
    /// nor reads its inbox, which fills up. When it resumes its clock has moved on (the agent drops
    /// the ticks it missed, as Go's ticker does) and it handles everything at once, possibly as a
    /// leader that was superseded meanwhile.
    /// </summary>
    private void Stall()
    {
        List<ulong> up = UpIds();
        if (up.Count == 0)
        {
            return;
        }
        SimServer victim = _servers[_rng.Pick(up)];
        victim.StalledUntil = Math.Max(victim.StalledUntil, _now + _rng.Between(20, 40 * _s.ElectionTick));
        _trace.Line($"{_now} fault: node {victim.Id} ({Roles(victim)}) stalls until {victim.StalledUntil}");
    }

    /// <summary>The roles of a server's running replicas, for traces.</summary>
    private static string Roles(SimServer server)
    {
        var sb = new System.Text.StringBuilder();
        foreach (SimNode r in server.Replicas.Values)
        {
            if (r.Raw is RawNode raw)
            {
                if (sb.Length > 0)
                {
                    sb.Append("; ");
                }
                if (r.Group != 0)
                {
                    sb.Append('g').Append(r.Group).Append(": ");
                }
                sb.Append(Role(raw));
            }
        }
        return sb.ToString();
    }

    private void ChangeTickRate()
    {
        List<ulong> ids = LiveIds();
        if (ids.Count == 0)
        {
            return;
        }
        SimServer n = _servers[_rng.Pick(ids)];
        long skew = Math.Max(1, _s.TickSkew * 2);
        n.Clock.SetPeriod(Math.Max(2, Scenario.BaseTickPeriod + _rng.Between(-skew, skew)));
        _trace.Line($"{_now} fault: node {n.Id} now ticks every {n.Clock.Period}");
        if (n.Up && EarliestDeadline(n) is long deadline)
        {
            ScheduleWork(n, n.Clock.GlobalWhen(deadline));
        }
    }

    /// <summary>
    /// A node's clock leaps ahead by about an election timeout, one tick interval after the other,
    /// with no time for anything to arrive in between: a follower campaigns (the agent has no
    /// explicit campaign request), a leader with CheckQuorum may step down.
    /// </summary>
    private void ClockLeap()
    {
        _scratchIds.Clear();
        foreach ((ulong id, SimServer n) in _servers)
        {
            if (n.Up && _now >= n.StalledUntil)
            {
                _scratchIds.Add(id);
            }
        }
        if (_scratchIds.Count == 0)
        {
            return;
        }
        SimServer c = _servers[_rng.Pick(_scratchIds)];
        long ticks = _rng.Between(_s.ElectionTick, 2 * _s.ElectionTick);
        _trace.Line($"{_now} fault: node {c.Id} ({Roles(c)}) clock leaps {ticks} ticks ahead");
        for (long i = 0; i < ticks && c.Up; i++)
        {
            c.Clock.Leap(1);
            RunCycle(c);
            AfterStep();
        }
        _trace.Line($"{_now} node {c.Id} after the leap: {Roles(c)}");
        ScheduleWork(c, _now + _rng.Between(0, 2));
    }
}
