using FastRaft.Core;
using FastRaft.Protocol;

namespace FastRaft.Tests.Node;

/// <summary>
/// PreVote (etcd's TestDisruptiveFollowerPreVote, TestDuelingPreCandidates,
/// TestPreVoteFromAnyState): a node that was partitioned away and rejoins with a stale log does
/// not raise the cluster's term or depose the leader; without PreVote it does.
/// </summary>
public class PreVoteTests
{
    private static readonly byte[] Payload = "x"u8.ToArray();
    private static readonly Func<Message, bool> CutThree = TestClusterExtensions.Isolating(3);

    /// <summary>Elects node 1, then lets node 3 fall behind and campaign while cut off.</summary>
    private static (TestCluster Cluster, ulong Term) PartitionedCampaigner(bool preVote)
    {
        var c = new TestCluster(3, cfg => cfg with { PreVote = preVote });
        c.Elect(1);
        ulong term = c.Term(1);
        c.ProposeMany(1, 3, Payload, CutThree);
        for (int i = 0; i < 3; i++)
        {
            c.Nodes[3].Campaign();
            c.Stabilize(CutThree);
        }
        c.Tick(3, 30, CutThree);
        return (c, term);
    }

    [Fact]
    public void Partitioned_node_does_not_raise_its_term_with_pre_vote()
    {
        (TestCluster c, ulong term) = PartitionedCampaigner(preVote: true);
        Assert.Equal(NodeRole.PreCandidate, c.State(3));
        Assert.Equal(term, c.Term(3));
    }

    [Fact]
    public void Rejoining_node_with_a_stale_log_does_not_disrupt_the_leader_with_pre_vote()
    {
        (TestCluster c, ulong term) = PartitionedCampaigner(preVote: true);

        // The partition heals and node 3 campaigns once more: its pre-votes are refused.
        c.Nodes[3].Campaign();
        c.Stabilize();
        Assert.Equal(NodeRole.Follower, c.State(3));
        Assert.Equal(NodeRole.Leader, c.State(1));
        foreach (ulong id in c.Nodes.Keys)
        {
            Assert.Equal(term, c.Term(id));
        }

        // The leader's next heartbeat brings it back up to date.
        c.Tick(1, 1);
        Assert.Equal(1UL, c.Lead(3));
        Assert.Equal(c.Nodes[1].LastIndex, c.Nodes[3].LastIndex);
        Assert.Equal(c.Commit(1), c.Commit(3));
    }

    [Fact]
    public void Rejoining_node_deposes_the_leader_without_pre_vote()
    {
        (TestCluster c, ulong term) = PartitionedCampaigner(preVote: false);
        Assert.True(c.Term(3) > term);

        c.Nodes[3].Campaign();
        c.Stabilize();
        // Its stale log loses the election, but everyone moved to its term and lost the leader.
        Assert.Equal(NodeRole.Follower, c.State(1));
        Assert.NotEqual(NodeRole.Leader, c.State(3));
        Assert.True(c.Term(1) > term);
        Assert.Equal(c.Term(3), c.Term(1));
    }

    [Fact]
    public void Granting_a_pre_vote_changes_neither_term_nor_vote()
    {
        var c = new TestCluster(3, cfg => cfg with { PreVote = true });
        c.Elect(1);
        HardState before = c.Nodes[2].BasicStatus().HardState;

        // A pre-vote for the next term from an up-to-date node 3 (node 2 knows a leader, but
        // without CheckQuorum there is no lease, and a pre-vote for a later term is granted).
        c.Nodes[2].Step(new Message
        {
            Type = MessageType.PreVote,
            From = 3,
            To = 2,
            Term = before.Term + 1,
            Index = c.Nodes[2].LastIndex,
            LogTerm = before.Term,
        });
        c.ProcessReady(2);
        Message resp = Assert.Single(c.InFlight, m => m.Type == MessageType.PreVoteResponse);
        Assert.False(resp.Reject);
        Assert.Equal(before.Term + 1, resp.Term);
        Assert.Equal(before, c.Nodes[2].BasicStatus().HardState);
        Assert.Equal(NodeRole.Follower, c.State(2));
    }
}
