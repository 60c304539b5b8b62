using FastRaft.Core;
using FastRaft.Protocol;

namespace FastRaft.Tests.Node;

/// <summary>
/// CheckQuorum (etcd's TestLeaderStepdownWhenQuorum*, TestLeaderSupersedingWithCheckQuorum,
/// TestFreeStuckCandidateWithCheckQuorum): a leader steps down without a recently active quorum,
/// and a follower that heard from a leader within the election timeout ignores vote requests.
/// </summary>
public class CheckQuorumTests
{
    private static readonly Func<Message, bool> CutLeader = TestClusterExtensions.Isolating(1);

    private static TestCluster NewCluster(bool checkQuorum = true) => new(3, cfg => cfg with { CheckQuorum = checkQuorum });

    [Fact]
    public void Leader_steps_down_when_no_quorum_was_active_within_an_election_timeout()
    {
        TestCluster c = NewCluster();
        c.Elect(1);
        ulong term = c.Term(1);

        // The first check still sees the followers that answered during the election...
        c.Tick(1, 10, CutLeader);
        Assert.Equal(NodeRole.Leader, c.State(1));
        // ...the next one, an election timeout later, sees nobody.
        c.Tick(1, 9, CutLeader);
        Assert.Equal(NodeRole.Leader, c.State(1));
        c.Tick(1, 1, CutLeader);
        Assert.Equal(NodeRole.Follower, c.State(1));
        Assert.Equal(0UL, c.Lead(1));
        Assert.Equal(term, c.Term(1));
    }

    [Fact]
    public void Leader_with_an_active_quorum_stays_leader()
    {
        TestCluster c = NewCluster();
        c.Elect(1);
        ulong term = c.Term(1);

        // One follower is enough for a quorum of three.
        c.Tick(1, 50, TestClusterExtensions.Isolating(3));
        Assert.Equal(NodeRole.Leader, c.State(1));
        Assert.Equal(term, c.Term(1));
    }

    [Fact]
    public void Leader_without_check_quorum_keeps_leading_alone()
    {
        TestCluster c = NewCluster(checkQuorum: false);
        c.Elect(1);
        c.Tick(1, 50, CutLeader);
        Assert.Equal(NodeRole.Leader, c.State(1));
    }

    [Fact]
    public void Newly_added_voter_counts_as_active_until_the_next_check()
    {
        var c = new TestCluster(1, cfg => cfg with { CheckQuorum = true });
        c.Elect(1);
        c.Tick(1, 9);
        Assert.Equal(StepResult.Ok, c.Nodes[1].ProposeConfChange(new ConfChange(ConfChangeType.AddNode, 2)));
        c.Stabilize();
        Assert.True(c.Nodes[1].Status().Config.Voters.Contains(2));

        // The check right after the addition does not depose the leader...
        c.Tick(1, 1);
        Assert.Equal(NodeRole.Leader, c.State(1));
        // ...but node 2 never answers, and the next one does.
        c.Tick(1, 10);
        Assert.Equal(NodeRole.Follower, c.State(1));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Vote_request_within_the_leader_lease_is_ignored_only_with_check_quorum(bool checkQuorum)
    {
        TestCluster c = NewCluster(checkQuorum);
        c.Elect(1);
        ulong term = c.Term(1);

        c.Nodes[3].Campaign();
        c.Stabilize();
        if (checkQuorum)
        {
            // Neither the leader nor node 2 even moved to the candidate's term.
            Assert.Equal(NodeRole.Candidate, c.State(3));
            Assert.Equal(term + 1, c.Term(3));
            Assert.Equal(NodeRole.Leader, c.State(1));
            Assert.Equal(term, c.Term(1));
            Assert.Equal(term, c.Term(2));
        }
        else
        {
            Assert.Equal(NodeRole.Leader, c.State(3));
            Assert.Equal(NodeRole.Follower, c.State(1));
        }
    }

    [Fact]
    public void Vote_is_granted_once_the_follower_has_not_heard_from_the_leader_for_an_election_timeout()
    {
        TestCluster c = NewCluster();
        c.Elect(1);
        c.Nodes[3].Campaign();
        c.Stabilize();
        Assert.Equal(NodeRole.Candidate, c.State(3));

        // Node 2 hears nothing for an election timeout (without campaigning itself).
        c.Nodes[2].SetRandomizedElectionTimeout(11);
        c.Tick(2, 10);
        Assert.Equal(NodeRole.Follower, c.State(2));

        c.Nodes[3].Campaign();
        c.Stabilize();
        Assert.Equal(NodeRole.Leader, c.State(3));
        Assert.Equal(3UL, c.Lead(1));
        Assert.Equal(3UL, c.Lead(2));
    }

    [Fact]
    public void Stuck_candidate_with_a_higher_term_makes_the_leader_step_down_when_it_hears_from_it()
    {
        TestCluster c = NewCluster();
        c.Elect(1);
        c.Nodes[3].Campaign();
        c.Stabilize(CutLeader);
        c.Nodes[3].Campaign();
        c.Stabilize(CutLeader);
        Assert.Equal(NodeRole.Candidate, c.State(3));
        Assert.Equal(c.Term(2) + 2, c.Term(3));

        // The leader's next heartbeat is answered with the higher term: the leader steps down.
        c.Tick(1);
        c.Stabilize();
        Assert.Equal(NodeRole.Follower, c.State(1));
        Assert.Equal(c.Term(3), c.Term(1));

        c.Nodes[3].Campaign();
        c.Stabilize();
        Assert.Equal(NodeRole.Leader, c.State(3));
    }
}
