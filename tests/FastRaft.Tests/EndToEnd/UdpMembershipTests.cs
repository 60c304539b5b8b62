using FastRaft.Core.Storage;
using FastRaft.Hosting;
using FastRaft.Protocol;
using Xunit.Abstractions;

namespace FastRaft.Tests.EndToEnd;

/// <summary>Growing a cluster over UDP at run time: the new node is found through the configuration alone.</summary>
[Trait("Category", "Integration")]
[Collection(nameof(EndToEndCollection))]
public class UdpMembershipTests(ITestOutputHelper output)
{
    /// <param name="snapshots">
    /// With snapshots, the logs are compacted, so node 4 catches up through a snapshot (which must
    /// name it) and the restart starts from the snapshots the hosts took at the changes; without,
    /// it catches up from the log and the restart replays every configuration change from the logs.
    /// </param>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_fourth_node_added_as_learner_then_voter_catches_up_carries_the_quorum_and_survives_a_full_restart(bool snapshots)
    {
        await using var cluster = new E2eCluster(3, new E2eSettings
        {
            WriteAheadLog = true,
            Snapshots = snapshots ? new SnapshotPolicy { EveryEntries = 400, KeepEntries = 100 } : new SnapshotPolicy(),
        });
        cluster.StartAll();
        RaftNode<ulong> leader = await cluster.WaitForLeaderAsync();
        var before = new LedgerClient(cluster, clientId: 1);
        await before.RunAsync(1_000, concurrency: 64);

        // Node 4 knows the members' endpoints; they learn its endpoint from their address books
        // when the configuration names it.
        RaftNode<ulong> joiner = cluster.Start(4, joining: true);
        MembershipResult learner = await leader.AddLearnerAsync(4).AsTask().WaitAsync(E2eCluster.Timeout);
        Assert.True(learner.IsOk, learner.ToString());
        Assert.Contains(4UL, learner.ConfState!.Learners);
        await cluster.WaitForConvergenceAsync();
        Assert.True(joiner.AppliedIndex >= learner.Index);
        Assert.True(snapshots ? joiner.Counters.SnapshotsRestored >= 1 : joiner.Counters.SnapshotsRestored == 0, joiner.Counters.ToString());

        MembershipResult voter = await leader.AddVoterAsync(4).AsTask().WaitAsync(E2eCluster.Timeout);
        Assert.True(voter.IsOk, voter.ToString());
        Assert.Equal(new ulong[] { 1, 2, 3, 4 }, voter.ConfState!.Voters.Order());
        Assert.Contains(cluster.AddressLookups, l => l.Node == leader.Id && l.Peer == 4);
        var during = new LedgerClient(cluster, clientId: 2);
        await during.RunAsync(100, concurrency: 16);
        await cluster.WaitForConvergenceAsync();

        // Without the old leader, three of four voters remain: nothing commits unless node 4 takes part.
        await cluster.StopAsync(leader.Id);
        RaftNode<ulong> next = await cluster.WaitForLeaderAsync();
        var without = new LedgerClient(cluster, clientId: 3);
        await without.RunAsync(100, concurrency: 16);
        await cluster.WaitForConvergenceAsync();
        output.WriteLine($"leader {leader.Id} → {next.Id}; learner at {learner.Index}, voter at {voter.Index}");

        foreach ((ulong id, IRaftStorage s) in cluster.Storages)
        {
            Assert.Equal(StorageStatus.Ok, s.Snapshot(out Snapshot snap));
            if (snapshots)
            {
                Assert.True(snap.Metadata.Index >= voter.Index, $"node {id}: snapshot at {snap.Metadata.Index}, promotion at {voter.Index}");
                Assert.Contains(4UL, snap.Metadata.ConfState.Voters);
            }
            else
            {
                Assert.True(snap.IsEmpty, $"node {id} has a snapshot");
            }
        }
        cluster.Start(leader.Id);
        await cluster.RestartAllAsync();
        Assert.Equal(4, cluster.Nodes.Count);
        await cluster.WaitForLeaderAsync();
        var after = new LedgerClient(cluster, clientId: 4);
        await after.RunAsync(100, concurrency: 16);
        await cluster.WaitForConvergenceAsync();
        LedgerChecks.AssertExactlyAcknowledged(cluster, before, during, without, after);
    }
}
