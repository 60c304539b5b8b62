using FastRaft.Hosting;
using FastRaft.Storage.Wal;
using Xunit.Abstractions;

namespace FastRaft.Tests.EndToEnd;

/// <summary>Hosts on write-ahead logs: a full restart of the cluster loses nothing acknowledged and applies nothing twice.</summary>
[Collection(nameof(EndToEndCollection))]
public class WalRestartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_cluster_on_write_ahead_logs_survives_full_restarts_with_every_acknowledged_proposal_applied_exactly_once()
    {
        await using var cluster = new E2eCluster(3, new E2eSettings
        {
            WriteAheadLog = true,
            Snapshots = new SnapshotPolicy { EveryEntries = 400, KeepEntries = 100 },
        });
        cluster.StartAll();
        await cluster.WaitForLeaderAsync();

        // The whole cluster goes down while proposals are in flight; the client retries what it
        // could not see through, across the restart, with the same operation keys.
        var client = new LedgerClient(cluster, clientId: 1);
        Task running = client.RunAsync(3_000, concurrency: 64);
        await E2eCluster.Eventually(() => client.Acknowledged.Count >= 1_000 || running.IsCompleted, "a third of the operations");
        await cluster.RestartAllAsync();
        await running;
        await cluster.WaitForConvergenceAsync();

        Assert.Equal(3_000, client.Acknowledged.Count);
        LedgerChecks.AssertExactlyAcknowledged(cluster, client);
        foreach ((ulong id, WriteAheadLog wal) in cluster.Storages.Select(kv => (kv.Key, (WriteAheadLog)kv.Value)))
        {
            Assert.True(wal.Statistics.Syncs > 0);
            Assert.True(cluster.Nodes[id].Counters.EntriesApplied > 0);
        }
        (ulong Hash, int Count) before = cluster.StateMachines[1].State;
        output.WriteLine($"{client.Describe()}; retries the ledger recognised: {cluster.StateMachines[1].Duplicates}");

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
