using FastRaft.Core;
using FastRaft.Protocol;

namespace FastRaft.Tests.Node;

/// <summary>
/// RaftConfig.StepDownAfterCatchUp: a leader that removes itself keeps replicating until the new
/// voters hold its whole log, so its vote cannot block their election (simulation seed 5200).
/// </summary>
public class StepDownAfterCatchUpTests
{
    private static readonly byte[] Payload = "x"u8.ToArray();

    [Fact]
    public void Removed_leader_steps_down_only_once_the_new_voters_hold_its_log()
    {
        var c = new TestCluster(3, cfg => cfg with { StepDownOnRemoval = true, StepDownAfterCatchUp = true });
        c.Elect(1);
        Assert.Equal(StepResult.Ok, c.Nodes[1].ProposeConfChange(new ConfChange(ConfChangeType.RemoveNode, 1)));

        // Node 3 hears nothing: the removal commits on 1 and 2, 1 applies it and is out of the
        // configuration, but 3 lacks the log, so 1 goes on leading.
        c.Stabilize(drop: m => m.To == 3);
        Assert.False(c.Nodes[1].Status().Config.Voters.Contains(1));
        Assert.Equal(NodeRole.Leader, c.State(1));

        // Once 3 has caught up, 1 steps down.
        c.Tick(1);
        c.Stabilize();
        Assert.Equal(NodeRole.Follower, c.State(1));
    }

    [Fact]
    public void Removed_leader_steps_down_after_an_election_timeout_when_a_voter_never_answers()
    {
        var c = new TestCluster(3, cfg => cfg with { StepDownOnRemoval = true, StepDownAfterCatchUp = true });
        c.Elect(1);
        c.Nodes[1].ProposeConfChange(new ConfChange(ConfChangeType.RemoveNode, 1));
        c.Stabilize(drop: m => m.To == 3);
        Assert.Equal(NodeRole.Leader, c.State(1));

        c.Tick(1, 9, drop: m => m.To == 3);
        Assert.Equal(NodeRole.Leader, c.State(1));
        c.Tick(1, 1, drop: m => m.To == 3);
        Assert.Equal(NodeRole.Follower, c.State(1));
    }

    [Fact]
    public void Without_the_option_the_removed_leader_steps_down_at_once_as_in_etcd()
    {
        var c = new TestCluster(3, cfg => cfg with { StepDownOnRemoval = true });
        c.Elect(1);
        c.Nodes[1].ProposeConfChange(new ConfChange(ConfChangeType.RemoveNode, 1));
        c.Stabilize(drop: m => m.To == 3);
        Assert.Equal(NodeRole.Follower, c.State(1));
    }
}
