using FastRaft.Core;
using FastRaft.Protocol;

namespace FastRaft.Tests.Node;

/// <summary>
/// Leadership transfer (etcd's TestLeaderTransfer* in raft_test.go): MsgTimeoutNow to an
/// up-to-date transferee, catching a lagging one up first, abandoning the transfer after an
/// election timeout, dropping proposals meanwhile, and the requests that are ignored.
/// </summary>
public class LeaderTransferTests
{
    private static readonly byte[] Payload = "x"u8.ToArray();
    private static readonly Func<Message, bool> CutThree = TestClusterExtensions.Isolating(3);

    private static void AssertLeader(TestCluster c, ulong leader)
    {
        foreach (ulong id in c.Nodes.Keys)
        {
            Assert.Equal(id == leader ? NodeRole.Leader : NodeRole.Follower, c.State(id));
            Assert.Equal(leader, c.Lead(id));
            Assert.Equal(0UL, c.Nodes[id].BasicStatus().LeadTransferee);
        }
    }

    [Fact]
    public void Transfer_to_an_up_to_date_follower_sends_timeout_now_and_the_follower_wins()
    {
        var c = new TestCluster(3);
        c.Elect(1);
        c.ProposeMany(1, 2, Payload);
        ulong term = c.Term(1);

        c.Nodes[1].TransferLeader(2);
        Assert.Equal(2UL, c.Nodes[1].BasicStatus().LeadTransferee);
        c.ProcessReady(1);
        Assert.Single(c.InFlight, m => m.Type == MessageType.TimeoutNow && m.To == 2);

        c.Stabilize();
        AssertLeader(c, 2);
        Assert.Equal(term + 1, c.Term(2));
        Assert.Equal(term + 1, c.Term(1));
    }

    [Fact]
    public void Transfer_requested_on_a_follower_is_forwarded_to_the_leader()
    {
        var c = new TestCluster(3);
        c.Elect(1);
        c.Nodes[2].TransferLeader(2);
        c.Stabilize();
        AssertLeader(c, 2);

        // And back again, asked on the node that wants it.
        c.ProposeMany(2, 1, Payload);
        c.Nodes[1].TransferLeader(1);
        c.Stabilize();
        AssertLeader(c, 1);
    }

    [Fact]
    public void Transfer_succeeds_while_followers_honour_the_leader_lease()
    {
        var c = new TestCluster(3, cfg => cfg with { CheckQuorum = true });
        c.Elect(1);
        c.ProposeMany(1, 1, Payload);

        c.Nodes[1].TransferLeader(2);
        c.Stabilize();
        AssertLeader(c, 2);
    }

    [Fact]
    public void Transfer_campaign_skips_the_pre_vote_round()
    {
        var c = new TestCluster(3, cfg => cfg with { PreVote = true });
        c.Elect(1);
        ulong term = c.Term(1);
        c.Nodes[1].TransferLeader(2);
        c.ProcessReady(1);
        Assert.Equal(1, c.Deliver(m => m.Type == MessageType.TimeoutNow));
        Assert.Equal(NodeRole.Candidate, c.State(2));
        Assert.Equal(term + 1, c.Term(2));
        c.Stabilize();
        AssertLeader(c, 2);
    }

    [Fact]
    public void Transfer_to_a_lagging_follower_first_brings_its_log_up_to_date()
    {
        var c = new TestCluster(3);
        c.Elect(1);
        RawNode leader = c.Nodes[1];
        c.ProposeMany(1, 3, Payload, CutThree);
        ulong last = leader.LastIndex;
        Assert.True(leader.Status().Progress![3].Match < last);

        leader.TransferLeader(3);
        c.ProcessReady(1);
        Assert.DoesNotContain(c.InFlight, m => m.Type == MessageType.TimeoutNow);
        Assert.Contains(c.InFlight, m => m.Type == MessageType.Append && m.To == 3);
        Assert.Equal(3UL, leader.BasicStatus().LeadTransferee);

        var order = new List<MessageType>();
        c.Stabilize(m =>
        {
            if (m.To == 3 && m.Type is MessageType.Append or MessageType.TimeoutNow)
            {
                order.Add(m.Type);
            }
            return false;
        });
        AssertLeader(c, 3);
        // The timeout only went out once the appends had caught node 3 up.
        Assert.Single(order, MessageType.TimeoutNow);
        Assert.True(order.IndexOf(MessageType.Append) < order.IndexOf(MessageType.TimeoutNow));
        Assert.True(c.Nodes[3].LastIndex > last);
        Assert.Equal(3, c.AppliedOf(3).FindAll(e => e.Data.Span.SequenceEqual(Payload)).Count);
    }

    [Fact]
    public void Pending_transfer_is_abandoned_after_an_election_timeout()
    {
        var c = new TestCluster(3);
        c.Elect(1);
        RawNode leader = c.Nodes[1];
        ulong term = c.Term(1);

        leader.TransferLeader(3);
        c.Stabilize(CutThree);
        Assert.Equal(3UL, leader.BasicStatus().LeadTransferee);

        c.Tick(1, 9, CutThree);
        Assert.Equal(3UL, leader.BasicStatus().LeadTransferee);
        c.Tick(1, 1, CutThree);
        Assert.Equal(0UL, leader.BasicStatus().LeadTransferee);
        Assert.Equal(NodeRole.Leader, c.State(1));
        Assert.Equal(term, c.Term(1));
    }

    [Fact]
    public void Repeating_the_request_for_the_same_transferee_does_not_extend_the_timeout()
    {
        var c = new TestCluster(3);
        c.Elect(1);
        RawNode leader = c.Nodes[1];

        leader.TransferLeader(3);
        c.Stabilize(CutThree);
        c.Tick(1, 5, CutThree);
        leader.TransferLeader(3);
        c.Stabilize(CutThree);
        c.Tick(1, 5, CutThree);
        Assert.Equal(0UL, leader.BasicStatus().LeadTransferee);
        Assert.Equal(NodeRole.Leader, c.State(1));
    }

    [Fact]
    public void Proposals_are_dropped_while_a_transfer_is_pending()
    {
        var c = new TestCluster(3);
        c.Elect(1);
        RawNode leader = c.Nodes[1];
        leader.TransferLeader(3);
        c.Stabilize(CutThree);
        ulong last = leader.LastIndex;

        Assert.Equal(StepResult.ProposalDroppedLeaderTransferring, leader.Propose(Payload));
        Assert.Equal(StepResult.ProposalDroppedLeaderTransferring, leader.ProposeConfChange(new ConfChange(ConfChangeType.AddLearnerNode, 4)));
        // A follower forwards its proposal; the leader drops it all the same.
        Assert.Equal(StepResult.Ok, c.Nodes[2].Propose(Payload));
        c.Stabilize(CutThree);
        Assert.Equal(last, leader.LastIndex);

        // Once the transfer is abandoned, proposals are taken again.
        c.Tick(1, 10, CutThree);
        Assert.Equal(0UL, leader.BasicStatus().LeadTransferee);
        Assert.Equal(StepResult.Ok, leader.Propose(Payload));
        Assert.Equal(last + 1, leader.LastIndex);
    }

    [Fact]
    public void Transfer_to_self_or_to_a_non_member_is_ignored()
    {
        var c = new TestCluster(3);
        c.Elect(1);
        RawNode leader = c.Nodes[1];

        foreach (ulong target in new ulong[] { 1, 9 })
        {
            leader.TransferLeader(target);
            Assert.Equal(0UL, leader.BasicStatus().LeadTransferee);
            c.ProcessReady(1);
            Assert.DoesNotContain(c.InFlight, m => m.Type == MessageType.TimeoutNow);
            Assert.Equal(StepResult.Ok, leader.Propose(Payload));
            c.Stabilize();
        }
        AssertLeader(c, 1);
    }

    [Fact]
    public void Transfer_to_a_learner_is_ignored()
    {
        var c = new TestCluster(3);
        c.Elect(1);
        RawNode leader = c.Nodes[1];
        Assert.Equal(StepResult.Ok, leader.ProposeConfChange(new ConfChange(ConfChangeType.AddLearnerNode, 4)));
        c.Stabilize();
        Assert.True(leader.Status().Config.Learners.Contains(4));

        leader.TransferLeader(4);
        Assert.Equal(0UL, leader.BasicStatus().LeadTransferee);
        c.ProcessReady(1);
        Assert.DoesNotContain(c.InFlight, m => m.Type == MessageType.TimeoutNow);
        Assert.Equal(StepResult.Ok, leader.Propose(Payload));
    }

    [Fact]
    public void Transfer_back_to_the_leader_cancels_the_pending_transfer()
    {
        var c = new TestCluster(3);
        c.Elect(1);
        RawNode leader = c.Nodes[1];
        leader.TransferLeader(3);
        c.Stabilize(CutThree);
        Assert.Equal(3UL, leader.BasicStatus().LeadTransferee);

        leader.TransferLeader(1);
        Assert.Equal(0UL, leader.BasicStatus().LeadTransferee);
        Assert.Equal(StepResult.Ok, leader.Propose(Payload));
    }

    [Fact]
    public void Transfer_to_another_node_replaces_the_pending_transfer()
    {
        var c = new TestCluster(3);
        c.Elect(1);
        c.Nodes[1].TransferLeader(3);
        c.Stabilize(CutThree);

        c.Nodes[1].TransferLeader(2);
        c.Stabilize(CutThree);
        Assert.Equal(NodeRole.Leader, c.State(2));
        Assert.Equal(NodeRole.Follower, c.State(1));
        Assert.Equal(2UL, c.Lead(1));
        Assert.Equal(0UL, c.Nodes[1].BasicStatus().LeadTransferee);
    }

    [Fact]
    public void Removing_the_transferee_aborts_the_transfer()
    {
        var c = new TestCluster(3);
        c.Elect(1);
        RawNode leader = c.Nodes[1];
        leader.TransferLeader(3);
        c.Stabilize(TestClusterExtensions.Dropping(MessageType.TimeoutNow));
        Assert.Equal(3UL, leader.BasicStatus().LeadTransferee);

        // As when the removal commits and applies (proposing it is refused during a transfer).
        leader.ApplyConfChange(new ConfChange(ConfChangeType.RemoveNode, 3));
        Assert.Equal(0UL, leader.BasicStatus().LeadTransferee);
        Assert.Equal(NodeRole.Leader, c.State(1));
    }

    [Fact]
    public void Demoting_the_transferee_to_learner_aborts_the_transfer()
    {
        var c = new TestCluster(3);
        c.Elect(1);
        RawNode leader = c.Nodes[1];
        leader.TransferLeader(3);
        c.Stabilize(TestClusterExtensions.Dropping(MessageType.TimeoutNow));

        leader.ApplyConfChange(new ConfChangeV2
        {
            Changes = [new ConfChangeSingle(ConfChangeType.RemoveNode, 3), new ConfChangeSingle(ConfChangeType.AddLearnerNode, 3)],
        });
        leader.ApplyConfChange(new ConfChangeV2());
        Assert.Equal(0UL, leader.BasicStatus().LeadTransferee);
        Assert.Equal(NodeRole.Leader, c.State(1));
    }

    [Fact]
    public void Election_of_another_node_ends_a_pending_transfer()
    {
        var c = new TestCluster(3);
        c.Elect(1);
        c.Nodes[1].TransferLeader(3);
        c.Stabilize(CutThree);

        c.Nodes[2].Campaign();
        c.Stabilize(CutThree);
        Assert.Equal(NodeRole.Leader, c.State(2));
        Assert.Equal(NodeRole.Follower, c.State(1));
        Assert.Equal(2UL, c.Lead(1));
        Assert.Equal(0UL, c.Nodes[1].BasicStatus().LeadTransferee);
    }
}
