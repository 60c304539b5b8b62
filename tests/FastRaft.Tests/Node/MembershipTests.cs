using FastRaft.Core;
using FastRaft.Core.Tracker;
using FastRaft.Protocol;

namespace FastRaft.Tests.Node;

/// <summary>
/// Membership changes through RawNode (etcd's TestLearner*, TestStepIgnoreConfig,
/// TestConfChangeCheckBeforeCampaign, TestRawNodeProposeAndConfChange,
/// TestRawNodeJointAutoLeave, StepDownOnRemoval): learners, one pending change at a time, no
/// campaign with unapplied changes, joint consensus left automatically or on request.
/// </summary>
public class MembershipTests
{
    private static readonly byte[] Payload = "x"u8.ToArray();

    private static void AssertConfig(RawNode node, ulong[] voters, ulong[] learners, ulong[]? outgoing = null)
    {
        TrackerConfig cfg = node.Status().Config;
        Assert.Equal(voters, cfg.Voters.Incoming.Ids.ToArray());
        Assert.Equal(outgoing ?? [], cfg.Voters.Outgoing.Ids.ToArray());
        Assert.Equal(learners, cfg.Learners.Ids.ToArray());
    }

    private static bool IsLeaveJoint(Entry e) =>
        e.Type == EntryType.ConfChangeV2
        && ConfChangeCodec.TryDecodeV2(e.Data.Span, out ConfChangeV2? cc, out _)
        && cc is not null && cc.LeaveJoint;

    [Fact]
    public void Learner_catches_up_does_not_count_for_quorum_never_campaigns_and_can_be_promoted()
    {
        var c = new TestCluster(2);
        c.AddNode(3, new ConfState { Voters = [1, 2] });
        c.Elect(1);
        RawNode leader = c.Nodes[1];
        RawNode n3 = c.Nodes[3];
        c.ProposeMany(1, 2, Payload);

        Assert.Equal(StepResult.Ok, leader.ProposeConfChange(new ConfChange(ConfChangeType.AddLearnerNode, 3)));
        c.Stabilize();
        foreach (RawNode n in c.Nodes.Values)
        {
            AssertConfig(n, [1, 2], [3]);
        }
        Assert.Equal(leader.LastIndex, n3.LastIndex);
        Assert.Equal(c.Commit(1), c.Commit(3));

        // Its acknowledgement does not count: with node 2 away nothing commits.
        ulong commit = c.Commit(1);
        Assert.Equal(StepResult.Ok, leader.Propose(Payload));
        c.Stabilize(TestClusterExtensions.Isolating(2));
        Assert.Equal(leader.LastIndex, n3.LastIndex);
        Assert.Equal(commit, c.Commit(1));
        c.Tick(1, 1);
        Assert.Equal(leader.LastIndex, c.Commit(1));

        // It does not campaign, whether its timer fires, it is asked, or it is told to.
        ulong term = c.Term(3);
        c.Tick(3, 30, TestClusterExtensions.Isolating(3));
        n3.Campaign();
        n3.Step(new Message { Type = MessageType.TimeoutNow, From = 1, To = 3, Term = term });
        c.Stabilize();
        Assert.Equal(NodeRole.Follower, c.State(3));
        Assert.Equal(term, c.Term(3));
        Assert.Equal(NodeRole.Leader, c.State(1));

        // Promoted to voter, it can win an election.
        Assert.Equal(StepResult.Ok, leader.ProposeConfChange(new ConfChange(ConfChangeType.AddNode, 3)));
        c.Stabilize();
        foreach (RawNode n in c.Nodes.Values)
        {
            AssertConfig(n, [1, 2, 3], []);
        }
        n3.Campaign();
        c.Stabilize();
        Assert.Equal(NodeRole.Leader, c.State(3));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Removed_leader_steps_down_only_with_step_down_on_removal(bool stepDown)
    {
        var c = new TestCluster(3, cfg => cfg with { StepDownOnRemoval = stepDown });
        c.Elect(1);
        Assert.Equal(StepResult.Ok, c.Nodes[1].ProposeConfChange(new ConfChange(ConfChangeType.RemoveNode, 1)));
        c.Stabilize();
        AssertConfig(c.Nodes[2], [2, 3], []);

        Assert.Equal(stepDown ? NodeRole.Follower : NodeRole.Leader, c.State(1));
        if (stepDown)
        {
            Assert.Equal(0UL, c.Lead(1));
            // The remaining voters elect a leader among themselves.
            c.Nodes[2].Campaign();
            c.Stabilize();
            Assert.Equal(NodeRole.Leader, c.State(2));
            Assert.Equal(2UL, c.Lead(3));
        }
    }

    [Fact]
    public void Leader_demoted_to_learner_steps_down_when_the_joint_configuration_is_left()
    {
        var c = new TestCluster(3, cfg => cfg with { StepDownOnRemoval = true });
        c.Elect(1);
        var demote = new ConfChangeV2
        {
            Changes = [new ConfChangeSingle(ConfChangeType.RemoveNode, 1), new ConfChangeSingle(ConfChangeType.AddLearnerNode, 1)],
        };
        Assert.Equal(StepResult.Ok, c.Nodes[1].ProposeConfChange(demote));
        c.Stabilize();
        AssertConfig(c.Nodes[2], [2, 3], [1]);
        Assert.Equal(NodeRole.Follower, c.State(1));
    }

    [Fact]
    public void Pending_entry_commits_once_a_removal_shrinks_the_quorum()
    {
        var c = new TestCluster(2);
        c.Elect(1);
        RawNode leader = c.Nodes[1];

        Assert.Equal(StepResult.Ok, leader.ProposeConfChange(new ConfChange(ConfChangeType.RemoveNode, 2)));
        c.ProcessReady(1);
        ulong ccIndex = leader.LastIndex;
        // While the removal is pending another entry is proposed; node 2 never receives it.
        Assert.Equal(StepResult.Ok, leader.Propose("hello"u8.ToArray()));
        c.ProcessReady(1);
        c.InFlight.Clear();
        Assert.Equal(ccIndex - 1, c.Commit(1));

        // Node 2 acknowledges up to the removal: it commits and applies, and the quorum is now
        // node 1 alone, so the entry after it commits without anyone else.
        leader.Step(new Message { Type = MessageType.AppendResponse, From = 2, To = 1, Term = c.Term(1), Index = ccIndex });
        for (int i = 0; i < 5 && c.ProcessReady(1); i++)
        {
            c.InFlight.Clear();
        }
        Assert.Equal(ccIndex + 1, c.Commit(1));
        List<Entry> applied = c.AppliedOf(1);
        Assert.Equal("hello"u8.ToArray(), applied[^1].Data.ToArray());
        Assert.Equal(EntryType.ConfChange, applied[^2].Type);
        AssertConfig(leader, [1], []);
    }

    [Fact]
    public void Second_conf_change_while_one_is_pending_is_replaced_by_an_empty_entry()
    {
        var c = new TestCluster(3);
        c.Elect(1);
        RawNode leader = c.Nodes[1];

        Assert.Equal(StepResult.Ok, leader.ProposeConfChange(new ConfChange(ConfChangeType.AddLearnerNode, 4)));
        Assert.Equal(StepResult.Ok, leader.ProposeConfChange(new ConfChange(ConfChangeType.AddLearnerNode, 5)));
        c.Stabilize();
        List<Entry> applied = c.AppliedOf(2);
        Assert.Equal(EntryType.ConfChange, applied[^2].Type);
        Assert.Equal(EntryType.Normal, applied[^1].Type);
        Assert.True(applied[^1].Data.IsEmpty);
        AssertConfig(leader, [1, 2, 3], [4]);

        // Once the first is applied, the next one goes through.
        Assert.Equal(StepResult.Ok, leader.ProposeConfChange(new ConfChange(ConfChangeType.AddLearnerNode, 5)));
        c.Stabilize();
        AssertConfig(leader, [1, 2, 3], [4, 5]);
    }

    [Fact]
    public void Node_with_a_committed_but_unapplied_conf_change_does_not_campaign()
    {
        // The core harness: node 2 takes messages but never handles a Ready, which the agent cannot leave undone.
        var c = new CoreTestCluster(3);
        c.Elect(1);
        Assert.Equal(StepResult.Ok, c.Nodes[1].ProposeConfChange(new ConfChange(ConfChangeType.AddLearnerNode, 4)));
        // Node 2 receives everything but never handles a Ready: the change commits, unapplied there.
        StabilizeWithoutReadyOf(c, 2);
        RawNode n2 = c.Nodes[2];
        BasicStatus st = n2.BasicStatus();
        Assert.Equal(c.Commit(1), st.HardState.Commit);
        Assert.True(st.Applied < st.HardState.Commit);
        ulong term = st.HardState.Term;

        n2.Campaign();
        for (int i = 0; i < 30; i++)
        {
            n2.Tick();
        }
        c.Nodes[1].TransferLeader(2);
        StabilizeWithoutReadyOf(c, 2);
        Assert.Equal(NodeRole.Follower, c.State(2));
        Assert.Equal(term, c.Term(2));
        Assert.Equal(NodeRole.Leader, c.State(1));

        // Once it applies the change, it may campaign.
        c.Stabilize();
        c.Tick(1, 10); // let the leader abandon the transfer it could not complete
        n2.Campaign();
        c.Stabilize();
        Assert.Equal(NodeRole.Leader, c.State(2));
    }

    /// <summary>Delivers messages and handles Readys until quiet, except that node <paramref name="skip"/> never handles one.</summary>
    private static void StabilizeWithoutReadyOf(CoreTestCluster c, ulong skip)
    {
        for (int round = 0; round < 100; round++)
        {
            foreach (ulong id in c.Nodes.Keys)
            {
                if (id != skip)
                {
                    c.ProcessReady(id);
                }
            }
            if (c.InFlight.Count == 0)
            {
                return;
            }
            c.Deliver(_ => true);
        }
        throw new InvalidOperationException("did not settle");
    }

    [Fact]
    public void Joint_change_with_auto_leave_is_left_by_the_leader_once_applied()
    {
        var c = new TestCluster(1);
        c.Elect(1);
        RawNode node = c.Nodes[1];
        var cc = new ConfChangeV2
        {
            Transition = ConfChangeTransition.Implicit,
            Changes = [new ConfChangeSingle(ConfChangeType.AddLearnerNode, 2)],
        };
        Assert.Equal(StepResult.Ok, node.ProposeConfChange(cc));

        bool sawJoint = false;
        for (int i = 0; i < 20 && c.ProcessReady(1); i++)
        {
            TrackerConfig cfg = node.Status().Config;
            if (cfg.Voters.IsJoint)
            {
                sawJoint = true;
                Assert.True(cfg.AutoLeave);
                Assert.Equal([1UL], cfg.Voters.Outgoing.Ids.ToArray());
            }
        }
        Assert.True(sawJoint);
        AssertConfig(node, [1], [2]);
        Assert.False(node.Status().Config.AutoLeave);
        // Nobody proposed the way out: the leader did, as an empty v2 change.
        Assert.True(IsLeaveJoint(c.AppliedOf(1)[^1]));
    }

    [Fact]
    public void Joint_demotion_in_a_three_node_cluster_is_left_automatically_on_every_node()
    {
        var c = new TestCluster(3);
        c.Elect(1);
        var demoteThree = new ConfChangeV2
        {
            Changes = [new ConfChangeSingle(ConfChangeType.RemoveNode, 3), new ConfChangeSingle(ConfChangeType.AddLearnerNode, 3)],
        };
        Assert.Equal(StepResult.Ok, c.Nodes[1].ProposeConfChange(demoteThree));
        c.Stabilize();
        foreach (ulong id in c.Nodes.Keys)
        {
            AssertConfig(c.Nodes[id], [1, 2], [3]);
            Assert.True(IsLeaveJoint(c.AppliedOf(id)[^1]));
        }
        c.ProposeMany(1, 1, Payload);
        Assert.Equal(c.Commit(1), c.Commit(3));
    }

    [Fact]
    public void Joint_change_left_by_a_new_leader_after_the_old_one_stepped_down()
    {
        // The core harness: the test takes and advances the node's Readys itself.
        var c = new CoreTestCluster(1);
        c.Elect(1);
        RawNode node = c.Nodes[1];
        var cc = new ConfChangeV2
        {
            Transition = ConfChangeTransition.Implicit,
            Changes = [new ConfChangeSingle(ConfChangeType.AddLearnerNode, 2)],
        };
        Assert.Equal(StepResult.Ok, node.ProposeConfChange(cc));

        // Drive by hand: the node loses leadership just before it applies the change.
        bool applied = false;
        for (int i = 0; i < 10 && !applied; i++)
        {
            Ready rd = node.Ready();
            c.Storages[1].Append(rd.Entries);
            foreach (Entry e in rd.CommittedEntries.Span)
            {
                if (e.Type == EntryType.ConfChangeV2)
                {
                    ulong term = node.BasicStatus().HardState.Term;
                    // A heartbeat from a leader of a later term (etcd's test fakes a response from
                    // the node to itself, which is now refused: a node never messages itself so).
                    Assert.Equal(StepResult.Ok, node.Step(new Message { Type = MessageType.Heartbeat, From = 2, To = 1, Term = term + 1 }));
                    Assert.Equal(NodeRole.Follower, node.BasicStatus().SoftState.Role);
                    Assert.True(ConfChangeCodec.TryDecodeV2(e.Data.Span, out ConfChangeV2? decoded, out _));
                    node.ApplyConfChange(decoded!);
                    applied = true;
                }
            }
            if (!rd.HardState.IsEmpty)
            {
                c.Storages[1].SetHardState(rd.HardState);
            }
            node.Advance();
        }
        Assert.True(applied);
        Assert.True(node.Status().Config.Voters.IsJoint);

        // A follower does not propose the way out.
        c.ProcessReady(1);
        Assert.False(node.HasReady());
        Assert.True(node.Status().Config.Voters.IsJoint);

        // Leader again: once its first entry applies, it leaves the joint configuration.
        c.Elect(1);
        AssertConfig(node, [1], [2]);
        Assert.True(IsLeaveJoint(c.AppliedOf(1)[^1]));
    }

    [Fact]
    public void Explicit_joint_change_waits_for_a_request_to_leave_and_refuses_other_changes_meanwhile()
    {
        var c = new TestCluster(1);
        c.Elect(1);
        RawNode node = c.Nodes[1];
        var cc = new ConfChangeV2
        {
            Transition = ConfChangeTransition.Explicit,
            Changes = [new ConfChangeSingle(ConfChangeType.AddLearnerNode, 2)],
        };
        Assert.Equal(StepResult.Ok, node.ProposeConfChange(cc));
        c.Stabilize();
        AssertConfig(node, [1], [2], outgoing: [1]);
        Assert.False(node.Status().Config.AutoLeave);

        // Another change is refused while joint (it becomes an empty entry).
        Assert.Equal(StepResult.Ok, node.ProposeConfChange(new ConfChange(ConfChangeType.AddLearnerNode, 3)));
        c.Stabilize();
        AssertConfig(node, [1], [2], outgoing: [1]);
        Assert.Equal(EntryType.Normal, c.AppliedOf(1)[^1].Type);

        Assert.Equal(StepResult.Ok, node.ProposeConfChange(new ConfChangeV2 { Context = "manual"u8.ToArray() }));
        c.Stabilize();
        AssertConfig(node, [1], [2]);
    }
}
