using System.Collections.Concurrent;
using FastRaft.Hosting;
using FastRaft.Protocol;

namespace FastRaft.Tests.Hosting;

public class MembershipAndLeadershipTests
{
    [Fact]
    public async Task A_new_node_joins_as_learner_is_promoted_to_voter_and_removed()
    {
        await using var cluster = new TestHostCluster(3);
        cluster.StartAll();
        RaftNode<ulong> leader = await cluster.WaitForLeaderAsync();
        await cluster.ProposeAllAsync(ClusterReplicationTests.Range(1, 50));

        RaftNode<ulong> joiner = cluster.Start(4, joining: true);
        MembershipResult learner = await leader.AddLearnerAsync(4).AsTask().WaitAsync(TestHostCluster.Timeout);
        Assert.True(learner.IsOk, learner.ToString());
        Assert.Contains(4UL, learner.ConfState!.Learners);
        Assert.DoesNotContain(4UL, learner.ConfState.Voters);
        await cluster.WaitForAppliedAsync(learner.Index);
        await cluster.WaitForConvergenceAsync();

        MembershipResult voter = await leader.AddVoterAsync(4).AsTask().WaitAsync(TestHostCluster.Timeout);
        Assert.True(voter.IsOk, voter.ToString());
        Assert.Equal(new ulong[] { 1, 2, 3, 4 }, voter.ConfState!.Voters.Order());
        Assert.True(voter.Index > learner.Index, $"promotion at {voter.Index}, learner at {learner.Index}");

        MembershipResult removed = await leader.RemoveMemberAsync(4).AsTask().WaitAsync(TestHostCluster.Timeout);
        Assert.True(removed.IsOk, removed.ToString());
        Assert.Equal(new ulong[] { 1, 2, 3 }, removed.ConfState!.Voters.Order());
        // Bootstrap added three members; then learner, voter and removal.
        Assert.Equal(6, cluster.StateMachines[leader.Id].MembershipChanges);
        // The removed node still learns of changes up to its removal.
        await TestHostCluster.Eventually(() => joiner.AppliedIndex >= voter.Index, "the joiner to apply its promotion");
    }

    [Fact]
    public async Task Membership_changes_and_transfers_on_a_follower_fail_as_not_leader_with_a_hint()
    {
        await using var cluster = new TestHostCluster(3);
        cluster.StartAll();
        RaftNode<ulong> leader = await cluster.WaitForLeaderAsync();
        RaftNode<ulong> follower = cluster.Running.First(n => n.Id != leader.Id);

        MembershipResult change = await follower.AddVoterAsync(7).AsTask().WaitAsync(TestHostCluster.Timeout);
        TransferResult transfer = await follower.TransferLeadershipAsync(follower.Id).AsTask().WaitAsync(TestHostCluster.Timeout);

        Assert.Equal(RequestStatus.NotLeader, change.Status);
        Assert.Equal(leader.Id, change.LeaderHint);
        Assert.Equal(RequestStatus.NotLeader, transfer.Status);
        Assert.Equal(leader.Id, transfer.Leader);
    }

    [Fact]
    public async Task Leadership_moves_on_request_and_every_change_is_reported()
    {
        var events = new ConcurrentDictionary<ulong, ConcurrentQueue<LeadershipChange>>();
        await using var cluster = new TestHostCluster(3)
        {
            BeforeStart = node =>
            {
                var log = events.GetOrAdd(node.Id, _ => new ConcurrentQueue<LeadershipChange>());
                node.LeadershipChanged += log.Enqueue;
            },
        };
        cluster.StartAll();
        RaftNode<ulong> leader = await cluster.WaitForLeaderAsync();
        // Handlers run on the node thread just after the new role is published.
        await TestHostCluster.Eventually(
            () => events[leader.Id].Contains(new LeadershipChange(leader.Term, leader.Id, NodeRole.Leader)),
            "the leader to report itself");

        RaftNode<ulong> target = cluster.Running.First(n => n.Id != leader.Id);
        TransferResult moved = await leader.TransferLeadershipAsync(target.Id).AsTask().WaitAsync(TestHostCluster.Timeout);

        Assert.True(moved.IsOk, moved.ToString());
        Assert.Equal(target.Id, moved.Leader);
        RaftNode<ulong> now = await cluster.WaitForLeaderAsync();
        Assert.Equal(target.Id, now.Id);
        await TestHostCluster.Eventually(
            () => events[target.Id].Contains(new LeadershipChange(target.Term, target.Id, NodeRole.Leader)),
            "the new leader to report itself");
        await TestHostCluster.Eventually(
            () => events[leader.Id].Contains(new LeadershipChange(target.Term, target.Id, NodeRole.Follower)),
            "the old leader to report the new one");
        // Proposals now go through the new leader; the old one names it.
        ProposeResult<ulong> refused = await leader.ProposeAsync(new byte[8]).AsTask().WaitAsync(TestHostCluster.Timeout);
        Assert.Equal(RequestStatus.NotLeader, refused.Status);
        Assert.Equal(target.Id, refused.LeaderHint);
    }
}
