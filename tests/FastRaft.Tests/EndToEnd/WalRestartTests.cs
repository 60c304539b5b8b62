using FastRaft.Hosting;
using FastRaft.Storage.Wal;
using Xunit.Abstractions;

namespace FastRaft.Tests.EndToEnd;

/// <summary>Hosts on write-ahead logs: a full restart of the cluster loses nothing acknowledged and applies nothing twice.</summary>
[Trait("Category", "Integration")]
[Collection(nameof(EndToEndCollection))]
public class WalRestartTests(ITestOutputHelper output)
{
    private const int Operations = 5_000;

    private static long Uncommitted(RaftNode<ulong> node)
    {
        RaftNodeCounters c = node.Counters;
        return c.ProposalsAccepted - c.ProposalsCommitted - c.ProposalsFailed;
    }

    private static async Task<long> SettledUncommittedAsync(RaftNode<ulong> leader)
    {
        long last = Uncommitted(leader);
        for (int i = 0; i < 50; i++)
        {
            await Task.Delay(100);
            long now = Uncommitted(leader);
            if (now == last)
            {
                return now;
            }
            last = now;
        }
        return last;
    }

    [Theory]
    [InlineData(E2eNetwork.Udp)]
    [InlineData(E2eNetwork.Tcp)]
    public async Task A_cluster_on_write_ahead_logs_survives_full_restarts_with_every_acknowledged_proposal_applied_exactly_once(E2eNetwork network)
    {
        await using var cluster = new E2eCluster(3, new E2eSettings
        {
            Network = network,
            WriteAheadLog = true,
            Snapshots = new SnapshotPolicy { EveryEntries = 400, KeepEntries = 100 },
        });
        cluster.StartAll();
        await cluster.WaitForLeaderAsync();

        // The followers go down first, so the leader holds proposals it has written but cannot
        // commit; then the leader goes down too, failing them as ShuttingDown: their fate is
        // unknown (on restart they are committed if the old leader wins, discarded if not). The
        // client retries them with the same keys, across the restart.
        var client = new LedgerClient(cluster, clientId: 1);
        Task running = client.RunAsync(Operations, concurrency: 64);
        await E2eCluster.Eventually(() => client.Acknowledged.Count >= 1_000, "the first thousand operations");
        RaftNode<ulong> leader = await cluster.WaitForLeaderAsync();
        await Task.WhenAll(cluster.Members.Where(id => id != leader.Id).Select(cluster.StopAsync));
        await E2eCluster.Eventually(() => Uncommitted(leader) >= 16 || !leader.IsLeader, () => $"the leader to hold uncommitted proposals: {leader.Counters}");
        // Acknowledgements the followers sent just before stopping may still commit proposals:
        // count the stuck ones once that count has settled (CI once saw 64 counted, 58 stuck).
        long stuck = await SettledUncommittedAsync(leader);
        await cluster.RestartAllAsync();
        await running;
        await cluster.WaitForConvergenceAsync();

        Assert.True(stuck > 0, "the leader held uncommitted proposals when it stopped");
        Assert.True(client.Failures.GetValueOrDefault(RequestStatus.ShuttingDown) >= stuck, $"{stuck} stuck; {client.Describe()}");
        Assert.Equal(Operations, client.Acknowledged.Count);
        LedgerChecks.AssertExactlyAcknowledged(cluster, client);
        foreach ((ulong id, WriteAheadLog wal) in cluster.Storages.Select(kv => (kv.Key, (WriteAheadLog)kv.Value)))
        {
            Assert.True(wal.Statistics.Syncs > 0);
            Assert.True(cluster.Nodes[id].Counters.EntriesApplied > 0);
        }
        (ulong Hash, int Count) before = cluster.StateMachines[1].State;
        output.WriteLine($"{network}: {client.Describe()}; retries the ledger recognised (committed after all): {cluster.StateMachines[1].Duplicates}");

        // Once more without traffic: every node rebuilds the same ledger from its snapshot and log alone.
        await cluster.RestartAllAsync();
        await cluster.WaitForLeaderAsync();
        await cluster.WaitForConvergenceAsync();
        foreach (LedgerStateMachine sm in cluster.StateMachines.Values)
        {
            Assert.Equal(before, sm.State);
        }
        LedgerChecks.AssertExactlyAcknowledged(cluster, client);
        Assert.All(cluster.Storages.Values, s => Assert.True(s.FirstIndex() > 1, "the logs were compacted behind snapshots"));
    }
}
