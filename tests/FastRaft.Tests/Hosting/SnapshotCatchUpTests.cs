using FastRaft.Hosting;

namespace FastRaft.Tests.Hosting;

public class SnapshotCatchUpTests
{
    [Fact]
    public async Task A_follower_far_behind_catches_up_from_the_leaders_snapshot()
    {
        var policy = new SnapshotPolicy { EveryEntries = 100, KeepEntries = 20 };
        await using var cluster = new TestHostCluster(3, options: id => TestHostCluster.DefaultOptions(id, null, policy));
        cluster.StartAll();
        RaftNode<ulong> leader = await cluster.WaitForLeaderAsync();
        ulong lagging = cluster.Members.First(id => id != leader.Id);

        cluster.Network.Isolate(lagging);
        // The two connected nodes still form a quorum, and keep snapshotting and compacting.
        List<ProposeResult<ulong>> acked = await cluster.ProposeAllAsync(ClusterReplicationTests.Range(1, 1000));
        ulong last = acked.Max(r => r.Index);
        Assert.True(cluster.Nodes[lagging].AppliedIndex < 100);
        // The leader snapshots and compacts after applying (the proposals complete first).
        await TestHostCluster.Eventually(() => cluster.Storages[leader.Id].FirstIndex() > cluster.Nodes[lagging].AppliedIndex + 1, "the leader to compact past the follower");

        cluster.Network.Heal();
        await cluster.WaitForAppliedAsync(last);
        await cluster.WaitForConvergenceAsync();

        Assert.True(cluster.Nodes[leader.Id].Counters.SnapshotsCreated >= 1, cluster.Nodes[leader.Id].Counters.ToString());
        Assert.Equal(1, cluster.Nodes[lagging].Counters.SnapshotsRestored);
        RecordingStateMachine sm = cluster.StateMachines[lagging];
        Assert.True(ClusterReplicationTests.Range(1, 1000).All(sm.Contains));
    }
}
