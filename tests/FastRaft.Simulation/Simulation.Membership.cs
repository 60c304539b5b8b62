using FastRaft.Core;
using FastRaft.Protocol;

namespace FastRaft.Simulation;

// The operator: membership changes proposed to the leader while faults go on (adding nodes
// and learners, promoting, removing, demoting, joint replacements, leaving explicit joint
// configurations), and the retirement of nodes once they are out of the configuration.
public sealed partial class Simulation
{
    private readonly SortedSet<ulong> _retiring = [];
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
            Propose(leader, Single(ConfChangeType.ConfChangeAddLearnerNode, id), $"add learner {id}");
        }
        else if (roll < 35 && canGrow)
        {
            ulong id = NewNode();
            Propose(leader, Single(ConfChangeType.ConfChangeAddNode, id), $"add voter {id}");
        }
        else if (roll < 55 && learners.Length > 0)
        {
            ulong id = _rng.Pick(learners);
            Propose(leader, Single(ConfChangeType.ConfChangeAddNode, id), $"promote learner {id}");
        }
        else if (roll < 70 && voters.Length > 2)
        {
            ulong id = _rng.Pick(voters);
            Propose(leader, Single(ConfChangeType.ConfChangeRemoveNode, id), $"remove voter {id}");
        }
        else if (roll < 75 && learners.Length > 0)
        {
            ulong id = _rng.Pick(learners);
            Propose(leader, Single(ConfChangeType.ConfChangeRemoveNode, id), $"remove learner {id}");
        }
        else if (roll < 90 && learners.Length > 0 && voters.Length >= 2)
        {
            ulong add = _rng.Pick(learners);
            ulong remove = _rng.Pick(voters);
            Propose(leader, Joint([new(ConfChangeType.ConfChangeAddNode, add), new(ConfChangeType.ConfChangeRemoveNode, remove)]),
                $"replace voter {remove} by learner {add}");
        }
        else if (voters.Length > 2)
        {
            ulong id = _rng.Pick(voters);
            Propose(leader, Joint([new(ConfChangeType.ConfChangeAddLearnerNode, id)]), $"demote voter {id} to learner");
        }
    }

    /// <summary>A single change, as a v1 change or a simple v2 change.</summary>
    private IConfChange Single(ConfChangeType type, ulong id) =>
        _rng.Chance(0.5) ? new ConfChange(type, id) : new ConfChangeV2 { Changes = [new ConfChangeSingle(type, id)] };

    /// <summary>A change through a joint configuration, left automatically or explicitly.</summary>
    private ConfChangeV2 Joint(ConfChangeSingle[] changes) => new()
    {
        Changes = changes,
        Transition = _rng.Pick([ConfChangeTransition.ConfChangeTransitionJointImplicit, ConfChangeTransition.ConfChangeTransitionJointExplicit,
            ConfChangeTransition.ConfChangeTransitionAuto]),
    };

    private void Propose(SimNode leader, IConfChange cc, string what)
    {
        StepResult r = leader.Raft!.ProposeConfChange(cc);
        _trace.Line($"{_now} operator: {what} via leader {leader.Id}: {r}");
        MarkReady(leader);
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

    private void ApplyConfChange(SimNode n, in Entry e)
    {
        IConfChange cc;
        if (e.Type == EntryType.EntryConfChange)
        {
            if (!ConfChangeCodec.TryDecodeV1(e.Data.Span, out ConfChange v1, out string? err))
            {
                Invariants.Fail("state machine safety", $"node {n.Id} applied an undecodable conf change at {e.Index}: {err}");
            }
            cc = v1;
        }
        else
        {
            if (!ConfChangeCodec.TryDecodeV2(e.Data.Span, out ConfChangeV2? v2, out string? err))
            {
                Invariants.Fail("state machine safety", $"node {n.Id} applied an undecodable conf change at {e.Index}: {err}");
            }
            cc = v2;
        }
        ConfState before = n.Conf;
        n.Conf = n.Raft!.ApplyConfChange(cc);
        _confChanges++;
        _trace.Line($"{_now} node {n.Id} apply {e.Index}/{e.Term} conf change {ConfChangeText.Format(cc.AsV2().Changes)} -> {FastRaft.Diagnostics.Describe.ConfState(n.Conf)}");
        foreach (ulong id in Members(before))
        {
            if (!IsMember(n.Conf, id) && _retiring.Add(id))
            {
                // The operator shuts a removed node down a little later.
                Schedule(_now + _rng.Between(50, 600), new SimEvent { Kind = EventKind.Retire, Node = id });
            }
        }
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
