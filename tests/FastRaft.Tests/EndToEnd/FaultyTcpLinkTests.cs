using FastRaft.Transport.Tcp;
using Xunit.Abstractions;

namespace FastRaft.Tests.EndToEnd;

/// <summary>
/// A cluster over TCP whose links misbehave: TCP loses no single message, so the faults are the
/// ones a stream meets (see <see cref="TcpFaultNetwork"/>): connections reset, links that stop
/// delivering for a while, nodes cut off or black-holed, then healed.
/// </summary>
[Collection(nameof(EndToEndCollection))]
public class FaultyTcpLinkTests(ITestOutputHelper output)
{
    private static readonly TimeSpan FaultyPeriod = TimeSpan.FromSeconds(6);

    [Fact]
    public async Task With_connections_reset_links_stalled_and_nodes_partitioned_every_acknowledged_proposal_is_applied_on_every_node()
    {
        await using var cluster = new E2eCluster(3, new E2eSettings { Network = E2eNetwork.Tcp, TcpFaultProxies = true });
        TcpFaultNetwork faults = cluster.Faults!;
        cluster.StartAll();
        await cluster.WaitForLeaderAsync();

        // Clients one after another (few in flight, so operations meet many faults) for as long
        // as the seeded schedule runs, then one more once every link is healed.
        Task<TcpFaultTally> schedule = faults.RunScheduleAsync(seed: 12, FaultyPeriod, () => cluster.CurrentLeader()?.Id);
        var clients = new List<LedgerClient>();
        while (!schedule.IsCompleted)
        {
            var client = new LedgerClient(cluster, clientId: (ulong)clients.Count + 1);
            clients.Add(client);
            await client.RunAsync(300, concurrency: 16);
        }
        TcpFaultTally tally = await schedule;
        var healed = new LedgerClient(cluster, clientId: (ulong)clients.Count + 1);
        clients.Add(healed);
        await healed.RunAsync(300, concurrency: 16);
        await cluster.WaitForConvergenceAsync();

        Assert.All(clients, c => Assert.Equal(300, c.Acknowledged.Count));
        LedgerChecks.AssertExactlyAcknowledged(cluster, [.. clients]);
        Assert.True(tally.Resets > 0 && tally.Stalls > 0 && tally.Partitions > 0 && tally.BlackHoles > 0, tally.ToString());
        long resets = faults.Links.Sum(l => l.Resets + l.Refused);
        Assert.True(resets > 0, faults.Describe());
        long connects = 0;
        foreach (TcpTransport t in cluster.TcpTransports.Values)
        {
            // A reset cuts a stream between frames or inside one; either way no frame arrives damaged.
            Assert.Equal(0, t.Counters.BadFrames + t.Counters.ForgedSenders + t.Counters.HandshakesRefused);
            connects += t.Counters.Connects;
        }
        Assert.True(connects > 6, $"{connects} connects: the nodes redialled the links that were reset");
        output.WriteLine($"{tally}; {clients.Count} clients, failures {string.Join("; ", clients.Where(c => !c.Failures.IsEmpty).Select(c => c.Describe()))}");
        output.WriteLine(cluster.Describe());
    }
}
