using FastRaft.Hosting;
using FastRaft.Transport.Tcp;
using Xunit.Abstractions;

namespace FastRaft.Tests.EndToEnd;

/// <summary>
/// A cluster over TCP whose links misbehave: TCP loses no single message, so the faults are the
/// ones a stream meets (see <see cref="TcpFaultNetwork"/>): connections reset, links that stop
/// delivering for a while, nodes cut off or black-holed, then healed.
/// </summary>
[Trait("Category", "Integration")]
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
            // A reset cuts a stream between frames or inside one; either way no frame arrives
            // damaged. (A reset during a handshake is counted as a refused handshake: allowed.)
            Assert.Equal(0, t.Counters.BadFrames + t.Counters.ForgedSenders);
            connects += t.Counters.Connects;
        }
        Assert.True(connects > 6, $"{connects} connects: the nodes redialled the links that were reset");
        output.WriteLine($"{tally}; {clients.Count} clients, failures {string.Join("; ", clients.Where(c => !c.Failures.IsEmpty).Select(c => c.Describe()))}");
        output.WriteLine(cluster.Describe());
    }

    [Fact]
    public async Task A_black_holed_follower_pauses_the_leaders_connection_to_it_and_the_same_connection_resumes_once_the_link_heals()
    {
        // Small buffers all along the link, so what the leader sends to the silent follower soon
        // fills them and the leader's connection pauses (messages dropped, the follower reported
        // unreachable) instead of queueing without bound.
        await using var cluster = new E2eCluster(3, new E2eSettings
        {
            Network = E2eNetwork.Tcp,
            TcpFaultProxies = true,
            TcpSendBufferBytes = 64 * 1024,
            TcpProxyReceiveBufferBytes = 4 * 1024,
            // The assertions follow one leader's connection: a longer election timeout keeps a
            // loaded machine from moving leadership meanwhile.
            ElectionTick = 60,
        });
        TcpFaultNetwork faults = cluster.Faults!;
        cluster.StartAll();
        RaftNode<ulong> leader = await cluster.WaitForLeaderAsync();
        ulong silent = cluster.Members.First(id => id != leader.Id);
        var before = new LedgerClient(cluster, clientId: 1, payloadSize: 2_048);
        await before.RunAsync(200, concurrency: 16);
        await cluster.WaitForConvergenceAsync();
        TcpTransportCounters counters = cluster.TcpTransports[leader.Id].Counters;
        TcpFaultProxy toSilent = faults.Link(leader.Id, silent);
        // Dials at start may have met a node not listening yet: only what happens from here counts.
        (long dropped, long dialFailures, long relayed, long broken) = (counters.MessagesDropped, counters.DialFailures, toSilent.Accepted, toSilent.Resets + toSilent.Refused);

        faults.Isolate(silent, blackHole: true);
        var during = new LedgerClient(cluster, clientId: 2, payloadSize: 2_048);
        await during.RunAsync(2_000, concurrency: 32);
        await E2eCluster.Eventually(() => counters.MessagesDropped > dropped, () => $"the leader to drop messages for node {silent}: {cluster.Describe()}");
        Assert.True(cluster.StateMachines[silent].State.Count < 200 + 2_000, "the black-holed follower applied everything");
        faults.HealAll();
        var after = new LedgerClient(cluster, clientId: 3, payloadSize: 2_048);
        await after.RunAsync(100, concurrency: 16);
        await cluster.WaitForConvergenceAsync();

        LedgerChecks.AssertExactlyAcknowledged(cluster, before, during, after);
        Assert.True(leader.Id == cluster.CurrentLeader()!.Id, $"leadership moved during the test: {cluster.Describe()}");
        // The drops came from the paused connection, not from a lost one: the leader never
        // redialled the follower, and the link carried the one connection throughout.
        Assert.Equal(dialFailures, counters.DialFailures);
        Assert.Equal(relayed, toSilent.Accepted);
        Assert.Equal(broken, toSilent.Resets + toSilent.Refused);
        output.WriteLine($"leader dropped {counters.MessagesDropped - dropped} messages while node {silent} was black-holed; {cluster.Describe()}");
    }
}
