using FastRaft.Core.Storage;
using FastRaft.Hosting;
using FastRaft.Codec.Framing;
using FastRaft.Protocol;
using FastRaft.Transport.Tcp;
using FastRaft.Transport.Udp;
using Xunit.Abstractions;

namespace FastRaft.Tests.EndToEnd;

/// <summary>A follower that missed more than the leader's log keeps catches up through a multi-megabyte snapshot sent over UDP or TCP.</summary>
[Trait("Category", "Integration")]
[Collection(nameof(EndToEndCollection))]
public class SnapshotCatchUpTests(ITestOutputHelper output)
{
    private const int Operations = 6_000;

    /// <summary>6,000 operations of this size make a snapshot of about 3.6 MB: below the TCP transport's 4 MiB message bound.</summary>
    private const int PayloadSize = 600;

    /// <summary>About 6 MB of snapshot: above the TCP transport's 4 MiB message bound, so it must travel in pieces.</summary>
    private const int LargePayloadSize = 1_000;

    private static E2eSettings Settings(UdpFaultInjection? chunkLoss, E2eNetwork network = E2eNetwork.Udp) => new()
    {
        Network = network,
        Snapshots = new SnapshotPolicy { EveryEntries = 1_000, KeepEntries = 200 },
        Transport = (id, o) => o with
        {
            // Small datagrams: a snapshot of a few megabytes takes hundreds of chunks.
            MaxDatagramSize = 16 * 1024,
            TransferStallTimeout = TimeSpan.FromMilliseconds(500),
            FaultInjection = id == 3 ? null : chunkLoss,
        },
    };

    /// <summary>Nodes 1 and 2 commit the operations while node 3 is down, so its entries are compacted away on both.</summary>
    private static async Task<LedgerClient> LoadWithoutNode3Async(E2eCluster cluster, int payloadSize = PayloadSize)
    {
        cluster.Start([1, 2], joining: false);
        await cluster.WaitForLeaderAsync();
        var client = new LedgerClient(cluster, clientId: 1, payloadSize);
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

    [Theory]
    [InlineData(E2eNetwork.Udp)]
    [InlineData(E2eNetwork.Tcp)]
    public Task A_follower_far_behind_catches_up_through_a_multi_megabyte_snapshot(E2eNetwork network) =>
        CatchUpThroughSnapshotAsync(network, PayloadSize);

    [Fact]
    public async Task Over_tcp_a_follower_far_behind_catches_up_through_a_snapshot_larger_than_the_message_bound()
    {
        long size = await CatchUpThroughSnapshotAsync(E2eNetwork.Tcp, LargePayloadSize);
        Assert.True(size > FrameFormat.DefaultMaxPayloadBytes, $"snapshot of {size} bytes");
    }

    /// <summary>Node 3 misses every operation, then catches up from the snapshot alone; returns the snapshot's size.</summary>
    private async Task<long> CatchUpThroughSnapshotAsync(E2eNetwork network, int payloadSize)
    {
        await using var cluster = new E2eCluster(3, Settings(chunkLoss: null, network));
        LedgerClient client = await LoadWithoutNode3Async(cluster, payloadSize);
        RaftNode<ulong> leader = cluster.CurrentLeader()!;
        long size = SnapshotSize(cluster, leader.Id);
        Assert.True(cluster.Storages[leader.Id].FirstIndex() > 2, "the leader compacted its log");
        Assert.True(size > 2_000_000, $"snapshot of {size} bytes");

        cluster.Start(3);
        await cluster.WaitForConvergenceAsync();

        LedgerChecks.AssertExactlyAcknowledged(cluster, client);
        Assert.True(cluster.Nodes[3].Counters.SnapshotsRestored >= 1);
        Assert.True(cluster.StateMachines[3].DataBytes >= (long)Operations * (payloadSize - LedgerStateMachine.KeySize));
        if (network == E2eNetwork.Udp)
        {
            Assert.True(Sum(cluster, c => c.TransfersCompleted) >= 1);
            output.WriteLine($"snapshot {size} bytes; transfers {Sum(cluster, c => c.TransfersStarted)} started, {Sum(cluster, c => c.TransfersCompleted)} completed; chunks {Sum(cluster, c => c.ChunksSent)}");
        }
        else
        {
            Assert.All(cluster.TcpTransports.Values, t => Assert.Equal(0, t.Counters.BadFrames));
            // Streamed in pieces on connections of their own, answered by node 3.
            Assert.True(cluster.TcpTransports.Values.Sum(t => t.Counters.SnapshotsSent) >= 1);
            Assert.True(cluster.TcpTransports[3].Counters.SnapshotsReceived >= 1);
            output.WriteLine($"snapshot {size} bytes over TCP; {cluster.Describe()}");
        }
        return size;
    }

    [Fact]
    public async Task With_a_tenth_of_the_chunks_lost_a_failed_transfer_is_reported_and_the_retried_snapshot_gets_through()
    {
        // Every chunk is lost until a transfer has failed; from then on one in ten.
        var chunkLoss = new UdpFaultInjection { Seed = 11, ChunkLossRate = 1 };
        await using var cluster = new E2eCluster(3, Settings(chunkLoss));
        LedgerClient client = await LoadWithoutNode3Async(cluster);
        long Sum(Func<UdpTransportCounters, long> counter) => SnapshotCatchUpTests.Sum(cluster, counter);

        cluster.Start(3);
        await E2eCluster.Eventually(() => Sum(c => c.TransfersFailed) >= 1, "a failed snapshot transfer");
        chunkLoss.ChangeChunkLossRate(0.1);
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
