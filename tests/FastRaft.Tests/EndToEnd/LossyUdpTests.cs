using FastRaft.Transport.Udp;
using Xunit.Abstractions;

namespace FastRaft.Tests.EndToEnd;

/// <summary>A cluster on a UDP network that loses, duplicates and reorders datagrams.</summary>
[Trait("Category", "Integration")]
[Collection(nameof(EndToEndCollection))]
public class LossyUdpTests(ITestOutputHelper output)
{
    [Fact]
    public async Task With_loss_duplication_and_reordering_every_acknowledged_proposal_is_applied_on_every_node()
    {
        // No cluster key: duplicated datagrams reach Raft itself (a key's replay window would drop them).
        await using var cluster = new E2eCluster(3, new E2eSettings
        {
            Transport = (id, o) => o with
            {
                FaultInjection = new UdpFaultInjection
                {
                    Seed = (int)id * 7,
                    LossRate = 0.1,
                    DuplicateRate = 0.1,
                    ReorderRate = 0.1,
                },
            },
        });
        cluster.StartAll();
        await cluster.WaitForLeaderAsync();

        var client = new LedgerClient(cluster, clientId: 1);
        // Few in flight, so operations take many datagrams (and many meet a fault).
        await client.RunAsync(3_000, concurrency: 16);
        await cluster.WaitForConvergenceAsync();

        Assert.Equal(3_000, client.Acknowledged.Count);
        LedgerChecks.AssertExactlyAcknowledged(cluster, client);
        long faults = 0, datagrams = 0;
        foreach (UdpTransport t in cluster.Transports.Values)
        {
            Assert.Equal(0, t.Counters.Dropped(DropReason.InternalError));
            faults += t.Counters.FaultsInjected;
            datagrams += t.Counters.DatagramsSent;
        }
        Assert.True(faults > 100, $"{faults} faults injected in {datagrams} datagrams");
        output.WriteLine($"{faults} faults injected in {datagrams} datagrams; {client.Describe()}; retries the ledger recognised {cluster.StateMachines[1].Duplicates}");
    }
}
