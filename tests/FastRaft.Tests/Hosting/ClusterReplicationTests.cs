using FastRaft.Hosting;

namespace FastRaft.Tests.Hosting;

/// <summary>Three node hosts over the in-memory transport: replication, fail-over and restart.</summary>
public class ClusterReplicationTests
{
    [Fact]
    public async Task Three_nodes_replicate_ten_thousand_concurrent_proposals_to_identical_state_machines()
    {
        await using var cluster = new TestHostCluster(3);
        cluster.StartAll();
        await cluster.WaitForLeaderAsync();

        ulong[] ids = Enumerable.Range(1, 10_000).Select(i => (ulong)i).ToArray();
        List<ProposeResult<ulong>> acked = await cluster.ProposeAllAsync(ids);

        Assert.Equal(ids.Length, acked.Count);
        // Each acknowledged proposal names a distinct log position and a result from the state machine.
        Assert.Equal(acked.Count, acked.Select(r => r.Index).Distinct().Count());
        Assert.All(acked, r => Assert.True(r.Value > 0 && r.Term > 0));
        ulong last = acked.Max(r => r.Index);
        await cluster.WaitForAppliedAsync(last);
        await cluster.WaitForConvergenceAsync();
        foreach (RecordingStateMachine sm in cluster.StateMachines.Values)
        {
            Assert.True(ids.All(sm.Contains));
        }
    }

    [Fact]
    public async Task After_the_leader_stops_a_new_one_takes_over_and_the_restarted_node_catches_up()
    {
        await using var cluster = new TestHostCluster(3);
        cluster.StartAll();
        RaftNode<ulong> first = await cluster.WaitForLeaderAsync();
        await cluster.ProposeAllAsync(Range(1, 500));

        ulong oldLeader = first.Id;
        await cluster.StopAsync(oldLeader);
        RaftNode<ulong> second = await cluster.WaitForLeaderAsync();
        Assert.NotEqual(oldLeader, second.Id);

        // A follower refuses proposals and names the leader.
        RaftNode<ulong> follower = cluster.Running.Single(n => n.Id != second.Id);
        ProposeResult<ulong> refused = await follower.ProposeAsync(RecordingStateMachine.Payload(999_999)).AsTask().WaitAsync(TestHostCluster.Timeout);
        Assert.Equal(RequestStatus.NotLeader, refused.Status);
        Assert.Equal(second.Id, refused.LeaderHint);
        Assert.Equal(0UL, refused.Index);
        var ex = Assert.Throws<RaftRequestException>(() => refused.GetValueOrThrow());
        Assert.Equal(second.Id, ex.LeaderHint);

        List<ProposeResult<ulong>> later = await cluster.ProposeAllAsync(Range(501, 1000));
        Assert.Equal(500, later.Count);

        // The old leader comes back on its old storage with an empty state machine and catches up.
        RaftNode<ulong> restarted = cluster.Start(oldLeader);
        await cluster.WaitForAppliedAsync(later.Max(r => r.Index));
        await cluster.WaitForConvergenceAsync();
        RecordingStateMachine sm = cluster.StateMachines[oldLeader];
        Assert.True(Range(1, 1000).All(sm.Contains));
        Assert.Equal(1000, sm.IdCount);
        Assert.All(cluster.StateMachines.Values, s => Assert.False(s.Contains(999_999)));
        Assert.True(restarted.Counters.EntriesApplied > 0);
    }

    internal static ulong[] Range(int from, int to) => Enumerable.Range(from, to - from + 1).Select(i => (ulong)i).ToArray();
}
