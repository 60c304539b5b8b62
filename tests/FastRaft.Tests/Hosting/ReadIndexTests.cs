using FastRaft.Hosting;

namespace FastRaft.Tests.Hosting;

public class ReadIndexTests
{
    [Fact]
    public async Task Reads_on_the_leader_and_a_follower_see_every_earlier_write()
    {
        await using var cluster = new TestHostCluster(3);
        cluster.StartAll();
        RaftNode<ulong> leader = await cluster.WaitForLeaderAsync();
        List<ProposeResult<ulong>> writes = await cluster.ProposeAllAsync(ClusterReplicationTests.Range(1, 100));
        ulong lastWrite = writes.Max(w => w.Index);

        foreach (RaftNode<ulong> node in cluster.Running)
        {
            ReadResult read = await node.ReadIndexAsync().AsTask().WaitAsync(TestHostCluster.Timeout);
            Assert.True(read.IsOk, $"{node.Id}: {read}");
            Assert.True(read.Index >= lastWrite, $"{node.Id} read at {read.Index}, before the write at {lastWrite}");
            Assert.True(node.AppliedIndex >= read.Index);
            RecordingStateMachine sm = cluster.StateMachines[node.Id];
            Assert.True(ClusterReplicationTests.Range(1, 100).All(sm.Contains), $"node {node.Id} misses writes");
        }
        Assert.True(leader.Counters.ReadsCompleted >= 1);
    }

    [Fact]
    public async Task Without_a_known_leader_reads_and_proposals_fail_as_not_leader()
    {
        // One member of three alone never wins an election (pre-vote needs a quorum).
        await using var cluster = new TestHostCluster(3);
        RaftNode<ulong> lonely = cluster.Start(1);
        await TestHostCluster.Eventually(() => lonely.Counters.Ticks > 30, "several election timeouts");

        ReadResult read = await lonely.ReadIndexAsync().AsTask().WaitAsync(TestHostCluster.Timeout);
        Assert.Equal(RequestStatus.NotLeader, read.Status);
        Assert.Equal(0UL, read.LeaderHint);
        ProposeResult<ulong> write = await lonely.ProposeAsync(new byte[8]).AsTask().WaitAsync(TestHostCluster.Timeout);
        Assert.Equal(RequestStatus.NotLeader, write.Status);
        Assert.Equal(0UL, write.LeaderHint);
    }

    [Fact]
    public async Task A_read_whose_request_never_reaches_the_leader_times_out()
    {
        await using var cluster = new TestHostCluster(3);
        cluster.StartAll();
        RaftNode<ulong> leader = await cluster.WaitForLeaderAsync();
        RaftNode<ulong> follower = cluster.Running.First(n => n.Id != leader.Id);
        // The follower still hears the leader (so it keeps it as leader) but cannot answer it.
        cluster.Network.Block(follower.Id, leader.Id);

        ReadResult read = await follower.ReadIndexAsync().AsTask().WaitAsync(TestHostCluster.Timeout);

        Assert.Equal(RequestStatus.TimedOut, read.Status);
        Assert.Equal(leader.Id, read.LeaderHint);
    }
}
