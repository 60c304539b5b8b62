using FastRaft.Core;
using FastRaft.Core.Tracker;
using FastRaft.Protocol;

namespace FastRaft.Simulation;

// The operator, per group: membership changes proposed to the group's leader while faults go on
// (adding nodes and learners, promoting, removing, demoting, joint replacements, leaving explicit
// joint configurations), and the retirement of replicas once they are out of the configuration.
// A group grows onto a server that runs but never hosted it (a replica is created there, as an
// operator creates the group on that process), or onto a new server.
public sealed partial class Simulation
{
    private ulong _lastId;

    private void ChangeMembership(SimGroup g)
    {
        if (CurrentLeader(g) is not ulong lead)
        {
            return;
        }
        SimNode leader = g.Nodes[lead];
        ConfState cs = leader.Conf;
        if (cs.VotersOutgoing.Length > 0)
        {
            if (!cs.AutoLeave)
            {
                Propose(leader, new ConfChangeV2(), "leave joint configuration");
            }
            return;
        }
        if (_calm)
        {
            return;
        }
        SimServer? host = ServerToJoin(g);
        bool canGrow = g.Nodes.Count < _s.MaxNodes && (host is not null || _servers.Count < _s.MaxNodes);
        ulong joiner = host?.Id ?? _lastId + 1;
        int roll = _rng.Next(100);
        ulong[] voters = cs.Voters;
        ulong[] learners = cs.Learners;
        if (roll < 25 && canGrow)
        {
            ulong id = Join(g, host);
            Propose(leader, Single(ConfChangeType.AddLearnerNode, id), $"add learner {id}");
        }
        else if (roll < 35 && canGrow && KeepsQuorumCaughtUp(leader, [.. voters, joiner]))
        {
            ulong id = Join(g, host);
            Propose(leader, Single(ConfChangeType.AddNode, id), $"add voter {id}");
        }
        else if (roll < 55 && learners.Length > 0)
        {
            ulong id = _rng.Pick(learners);
            if (KeepsQuorumCaughtUp(leader, [.. voters, id]))
            {
                Propose(leader, Single(ConfChangeType.AddNode, id), $"promote learner {id}");
            }
        }
        else if (roll < 70 && voters.Length > 2)
        {
            ulong id = _rng.Pick(voters);
            if (KeepsQuorumCaughtUp(leader, Without(voters, id)))
            {
                Propose(leader, Single(ConfChangeType.RemoveNode, id), $"remove voter {id}");
            }
        }
        else if (roll < 75 && learners.Length > 0)
        {
            ulong id = _rng.Pick(learners);
            Propose(leader, Single(ConfChangeType.RemoveNode, id), $"remove learner {id}");
        }
        else if (roll < 90 && learners.Length > 0 && voters.Length >= 2)
        {
            ulong add = _rng.Pick(learners);
            ulong remove = _rng.Pick(voters);
            if (KeepsQuorumCaughtUp(leader, [.. Without(voters, remove), add]))
            {
                Propose(leader, Joint([new(ConfChangeType.AddNode, add), new(ConfChangeType.RemoveNode, remove)]),
                    $"replace voter {remove} by learner {add}");
            }
        }
        else if (voters.Length > 2)
        {
            ulong id = _rng.Pick(voters);
            if (KeepsQuorumCaughtUp(leader, Without(voters, id)))
            {
                Propose(leader, Joint([new(ConfChangeType.AddLearnerNode, id)]), $"demote voter {id} to learner");
            }
        }
    }

    /// <summary>
    /// The operator's safety check before a change (like etcd's strict reconfiguration check):
    /// a majority of the resulting voters must already hold everything the leader committed.
    /// Otherwise the change can leave a configuration whose quorum needs a member that lags so
    /// far behind that it does not even know it is in it; without pre-vote such a member's term
    /// can run ahead of the others' and the cluster never elects a leader again.
    /// </summary>
    private static bool KeepsQuorumCaughtUp(SimNode leader, ulong[] voters)
    {
        RawNode raft = leader.Raw!;
        Status st = raft.Status();
        if (st.Progress is null)
        {
            return false;
        }
        int caughtUp = 0;
        foreach (ulong id in voters)
        {
            if (st.Progress.TryGetValue(id, out Progress? pr) && pr.Match >= st.Basic.HardState.Commit)
            {
                caughtUp++;
            }
        }
        return caughtUp > voters.Length / 2;
    }

    private static ulong[] Without(ulong[] ids, ulong id) => Array.FindAll(ids, x => x != id);

    /// <summary>A single change, as a v1 change or a simple v2 change.</summary>
    private IConfChange Single(ConfChangeType type, ulong id) =>
        _rng.Chance(0.5) ? new ConfChange(type, id) : new ConfChangeV2 { Changes = [new ConfChangeSingle(type, id)] };

    /// <summary>A change through a joint configuration, left automatically or explicitly.</summary>
    private ConfChangeV2 Joint(ConfChangeSingle[] changes) => new()
    {
        Changes = changes,
        Transition = _rng.Pick([ConfChangeTransition.Implicit, ConfChangeTransition.Explicit,
            ConfChangeTransition.Auto]),
    };

    private void Propose(SimNode leader, IConfChange cc, string what)
    {
        _trace.Line($"{_now} operator: {what} via leader {leader}");
        leader.Changes.Add((what, leader.Agent!.ChangeMembershipAsync(cc)));
    }

    /// <summary>The lowest server not retired that never hosted <paramref name="g"/> (never one in a single-group run), or null.</summary>
    private SimServer? ServerToJoin(SimGroup g)
    {
        foreach (SimServer server in _servers.Values)
        {
            if (!server.Retired && !g.Nodes.ContainsKey(server.Id))
            {
                return server;
            }
        }
        return null;
    }

    /// <summary>
    /// Creates an empty replica of <paramref name="g"/> on <paramref name="host"/> (started at once
    /// when the server runs, or with it), or starts a new server with a fresh id hosting only it;
    /// the replica joins when the group's leader reaches it.
    /// </summary>
    private ulong Join(SimGroup g, SimServer? host)
    {
        if (host is not null)
        {
            SimNode n = AddReplica(host, g);
            if (host.Up)
            {
                StartReplica(n);
                ScheduleWork(host, _now + _rng.Between(1, host.Clock.Period));
            }
            return host.Id;
        }
        if (_lastId < (ulong)_s.Voters)
        {
            _lastId = (ulong)_s.Voters;
        }
        ulong id = ++_lastId;
        AddServer(id, [g]);
        return id;
    }

    /// <summary>
    /// Shuts a removed node down when every remaining voter has applied its removal. Sooner is
    /// unsafe for availability: in a joint configuration the removed node may still be needed
    /// by the others, who may not have learned yet that leaving the joint state was committed
    /// (the removed node may be the leader that committed it), and they could never elect a
    /// leader without it.
    /// </summary>
    private void MaybeRetire(SimGroup g, SimNode n)
    {
        (ulong index, ulong[] voters) = g.Retiring[n.Id];
        foreach (ulong v in voters)
        {
            if (g.Nodes.TryGetValue(v, out SimNode? voter) && !voter.Retired && voter.Applied < index)
            {
                Schedule(_now + 100, new SimEvent { Kind = EventKind.Retire, Node = n.Id, Group = g.Index });
                return;
            }
        }
        RetireNode(n);
    }

    private static IEnumerable<ulong> Members(ConfState cs)
    {
        var all = new SortedSet<ulong>(cs.Voters);
        all.UnionWith(cs.VotersOutgoing);
        all.UnionWith(cs.Learners);
        all.UnionWith(cs.LearnersNext);
        return all;
    }

    private static bool IsMember(ConfState cs, ulong id) =>
        Array.IndexOf(cs.Voters, id) >= 0 || Array.IndexOf(cs.VotersOutgoing, id) >= 0
        || Array.IndexOf(cs.Learners, id) >= 0 || Array.IndexOf(cs.LearnersNext, id) >= 0;

    private void RetireNode(SimNode n)
    {
        if (n.Retired)
        {
            return;
        }
        _trace.Line($"{_now} operator: retire removed node {n}");
        GiveUpAt(n);
        n.Retire();
    }
}
