using FastRaft.Core.Storage;
using FastRaft.Hosting;
using FastRaft.Protocol;
using FastRaft.Transport.Udp;
using Xunit.Abstractions;

namespace FastRaft.Tests.EndToEnd;

/// <summary>A follower that missed more than the leader's log keeps catches up through a multi-megabyte snapshot sent over UDP.</summary>
[Collection(nameof(EndToEndCollection))]
public class UdpSnapshotTests(ITestOutputHelper output)
{
    private const int Operations = 6_000;
    private const int PayloadSize = 600;

    private static E2eSettings Settings(UdpFaultInjection? chunkLoss) => new()
    {
        Snapshots = new SnapshotPolicy { EveryEntries = 1_000, KeepEntries = 200 },
        Transport = (id, o) =>
        {
            // Small datagrams: a snapshot of a few megabytes takes hundreds of chunks.
            o.MaxDatagramSize = 16 * 1024;
            o.TransferStallTimeout = TimeSpan.FromMilliseconds(500);
            o.FaultInjection = id == 3 ? null : chunkLoss;
        },
    };

    /// <summary>Nodes 1 and 2 commit the operations while node 3 is down, so its entries are compacted away on both.</summary>
    private static async Task<LedgerClient> LoadWithoutNode3Async(E2eCluster cluster)
    {
        cluster.Start([1, 2], joining: false);
        await cluster.WaitForLeaderAsync();
        var client = new LedgerClient(cluster, clientId: 1, PayloadSize);
        await client.RunAsync(Operations, concurrency: 128);
        await cluster.WaitForConvergenceAsync();
        return client;
    }

    /// <summary>A counter over nodes 1 and 2: whichever leads (leadership may move on a loaded machine) sends the snapshots.</summary>
    private static long Sum(E2eCluster cluster, Func<UdpTransportCounters, long> counter) =>
        counter(cluster.Transports[1].Counters) + counter(cluster.Transports[2].Counters);

    private static long SnapshotSize(E2eCluster cluster, ulong id)
    {
        Assert.Equal(StorageStatus.Ok, cluster.Storages[id].Snapshot(out Snapshot s));
        return s.Data.Length;
    }

    [Fact]
    public async Task A_follower_far_behind_catches_up_through_a_multi_megabyte_snapshot()
    {
        await using var cluster = new E2eCluster(3, Settings(chunkLoss: null));
        LedgerClient client = await LoadWithoutNode3Async(cluster);
        RaftNode<ulong> leader = cluster.CurrentLeader()!;
        Assert.True(cluster.Storages[leader.Id].FirstIndex() > 2, "the leader compacted its log");
        Assert.True(SnapshotSize(cluster, leader.Id) > 2_000_000, $"snapshot of {SnapshotSize(cluster, leader.Id)} bytes");

        cluster.Start(3);
        await cluster.WaitForConvergenceAsync();

        LedgerChecks.AssertExactlyAcknowledged(cluster, client);
        Assert.True(cluster.Nodes[3].Counters.SnapshotsRestored >= 1);
        Assert.True(Sum(cluster, c => c.TransfersCompleted) >= 1);
        Assert.True(cluster.StateMachines[3].DataBytes >= (long)Operations * (PayloadSize - LedgerStateMachine.KeySize));
        output.WriteLine($"snapshot {SnapshotSize(cluster, leader.Id)} bytes; transfers {Sum(cluster, c => c.TransfersStarted)} started, {Sum(cluster, c => c.TransfersCompleted)} completed; chunks {Sum(cluster, c => c.ChunksSent)}");
    }

    [Fact]
    public async Task With_a_tenth_of_the_chunks_lost_a_failed_transfer_is_reported_and_the_retried_snapshot_gets_through()
    {
        // Every chunk is lost until a transfer has failed; from then on one in ten.
        var chunkLoss = new UdpFaultInjection { Seed = 11, ChunkLossRate = 1 };
        await using var cluster = new E2eCluster(3, Settings(chunkLoss));
        LedgerClient client = await LoadWithoutNode3Async(cluster);
        long Sum(Func<UdpTransportCounters, long> counter) => UdpSnapshotTests.Sum(cluster, counter);

        cluster.Start(3);
        await E2eCluster.Eventually(() => Sum(c => c.TransfersFailed) >= 1, "a failed snapshot transfer");
        chunkLoss.ChunkLossRate = 0.1;
        await cluster.WaitForConvergenceAsync();

        LedgerChecks.AssertExactlyAcknowledged(cluster, client);
        Assert.True(cluster.Nodes[3].Counters.SnapshotsRestored >= 1);
        Assert.True(Sum(c => c.TransfersStarted) >= 2, "the leader sent the snapshot again after the failure");
        Assert.True(Sum(c => c.TransfersCompleted) >= 1);
        Assert.True(Sum(c => c.ChunksResent) > 0, "lost chunks were resent");
        output.WriteLine($"snapshot {SnapshotSize(cluster, 1)} bytes; transfers {Sum(c => c.TransfersStarted)} started, {Sum(c => c.TransfersFailed)} failed, {Sum(c => c.TransfersCompleted)} completed; "
            + $"chunks {Sum(c => c.ChunksSent)} sent, {Sum(c => c.ChunksResent)} resent; faults {Sum(c => c.FaultsInjected)}");
    }
}
