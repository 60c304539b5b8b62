using FastRaft.Core;
using FastRaft.Core.Tracker;
using FastRaft.Protocol;

namespace FastRaft.Simulation;

// The operator: membership changes proposed to the leader while faults go on (adding nodes
// and learners, promoting, removing, demoting, joint replacements, leaving explicit joint
// configurations), and the retirement of nodes once they are out of the configuration.
public sealed partial class Simulation
{
    /// <summary>Removed nodes to shut down: the index of the removal and the voters it left.</summary>
    private readonly SortedDictionary<ulong, (ulong Index, ulong[] Voters)> _retiring = [];
    private ulong _lastId;

    private void ChangeMembership()
    {
        if (CurrentLeader() is not ulong lead)
        {
            return;
        }
        SimNode leader = _nodes[lead];
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
        bool canGrow = _nodes.Count < _s.MaxNodes;
        int roll = _rng.Next(100);
        ulong[] voters = cs.Voters;
        ulong[] learners = cs.Learners;
        if (roll < 25 && canGrow)
        {
            ulong id = NewNode();
            Propose(leader, Single(ConfChangeType.AddLearnerNode, id), $"add learner {id}");
        }
        else if (roll < 35 && canGrow && KeepsQuorumCaughtUp(leader, [.. voters, _lastId + 1]))
        {
            ulong id = NewNode();
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
        _trace.Line($"{_now} operator: {what} via leader {leader.Id}");
        leader.Changes.Add((what, leader.Agent!.ChangeMembershipAsync(cc)));
    }

    /// <summary>Starts a node with a fresh id and empty storage; it joins when a leader reaches it.</summary>
    private ulong NewNode()
    {
        if (_lastId < (ulong)_s.Voters)
        {
            _lastId = (ulong)_s.Voters;
        }
        ulong id = ++_lastId;
        AddNode(id);
        return id;
    }

    /// <summary>
    /// Shuts a removed node down when every remaining voter has applied its removal. Sooner is
    /// unsafe for availability: in a joint configuration the removed node may still be needed
    /// by the others, who may not have learned yet that leaving the joint state was committed
    /// (the removed node may be the leader that committed it), and they could never elect a
    /// leader without it.
    /// </summary>
    private void MaybeRetire(SimNode n)
    {
        (ulong index, ulong[] voters) = _retiring[n.Id];
        foreach (ulong v in voters)
        {
            if (_nodes.TryGetValue(v, out SimNode? voter) && !voter.Retired && voter.Applied < index)
            {
                Schedule(_now + 100, new SimEvent { Kind = EventKind.Retire, Node = n.Id });
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
        _trace.Line($"{_now} operator: retire removed node {n.Id}");
        GiveUpAt(n);
        n.Retire();
    }
}
