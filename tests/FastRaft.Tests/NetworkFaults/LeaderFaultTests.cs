using System.Diagnostics;
using System.Globalization;
using FastRaft.FaultCampaign;
using FastRaft.Sample.Cli;
using FastRaft.Tests.EndToEnd;
using FastRaft.Tests.Sample;
using Xunit.Abstractions;

namespace FastRaft.Tests.NetworkFaults;

/// <summary>
/// Three sample node processes in three network namespaces behind a bridge, a client in the
/// bridge's namespace, and faults from nftables rules inside the leader's namespace: 20% random
/// loss on its link, then a full partition, then healing. The cluster must fail over to one of the
/// other two nodes, take the old leader back (it catches up), and lose or duplicate no
/// acknowledged order. Needs root and namespaces; on a machine that cannot create network
/// namespaces it passes trivially and says why.
/// </summary>
[Trait("Category", "Integration")]
[Collection(nameof(EndToEndCollection))]
public sealed class LeaderFaultTests(ITestOutputHelper output)
{
    private const ulong Nodes = 3;
    private const int LossPercent = 20;
    private static readonly TimeSpan StepTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan LossPhase = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan AfterFailover = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan AfterRejoin = TimeSpan.FromSeconds(2);

    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<string> _timeline = [];

    [SkippableFact]
    public void Leader_with_a_lossy_link_then_partitioned_fails_over_rejoins_after_healing_and_no_order_is_lost()
    {
        using NamespaceNetwork? network = NamespaceNetwork.TryCreate((int)Nodes, out string reason);
        Skip.If(network is null, reason);
        Assert.True(NftFaults.Nft is not null, "nft is not installed: apt-get install -y --no-install-recommends nftables (.ci/run does this)");
        Note($"namespaces {network.RouterNamespace} (bridge, client) and {network.NodeNamespace(1)}..{Nodes}");

        string peers = string.Join(",", Ids().Select(id => $"{id}={NamespaceNetwork.NodeAddress(id)}:7000/8000"));
        var nodes = new Dictionary<ulong, NamespacedProcess>();
        NamespacedProcess? client = null;
        DirectoryInfo keyDir = Directory.CreateTempSubdirectory("fastraft-netns-key-");
        string keyFile = Path.Combine(keyDir.FullName, "cluster.key");
        Assert.True(ClusterKeyFile.TryCreate(keyFile, out string keyError), keyError);
        try
        {
            foreach (ulong id in Ids())
            {
                // --duration bounds a node that outlives the test by accident.
                nodes[id] = NamespacedProcess.StartSample($"node {id}", network.NodeNamespace(id), _clock,
                    "--node", Text(id), "--peers", peers, "--duration", "120", "--init", "--key-file", keyFile);
            }
            Require(() => nodes.Values.All(n => n.Lines.Exists(l => l.StartsWith("node ", StringComparison.Ordinal))), "every node started", nodes, client);
            // The client runs until the test stops it (SIGTERM), so slow phases cannot outlast it.
            client = NamespacedProcess.StartSample("client", network.RouterNamespace, _clock,
                "--client", "--peers", peers, "--duration", "120", "--sessions", "8");

            ulong leader = 0;
            Require(() =>
            {
                ulong acked = SampleOutput.Progress(client.Lines).LastOrDefault(p => p.Commit > 0).Leader;
                leader = NodeStatus.CurrentLeader(nodes.Values.Select(n => NodeStatus.Last(n.Lines)));
                return acked != 0 && acked == leader;
            }, "a leader that acknowledges orders", nodes, client);
            Note($"node {leader} leads and acknowledges orders (commit {Commit(client)})");

            // 1. Random loss on the leader's link: the cluster keeps committing.
            string leaderNs = network.NodeNamespace(leader);
            NftFaults.Loss(leaderNs, NamespaceNetwork.NodeInterface, LossPercent);
            ulong commitAtLoss = Commit(client);
            TimeSpan lossStart = _clock.Elapsed;
            Note($"{LossPercent}% loss on node {leader}'s link (numgen random mod 100 < {LossPercent} drop)");
            Require(() => _clock.Elapsed - lossStart >= LossPhase && Commit(client) > commitAtLoss, "commits under loss", nodes, client);
            long lossDrops = NftFaults.Dropped(leaderNs);
            Assert.True(lossDrops > 0, "the loss rules dropped nothing\n" + Describe(nodes, client));
            Note($"under loss: commit {commitAtLoss} -> {Commit(client)}, {lossDrops} packets dropped on node {leader}'s link");

            // The machine is shared: if leadership moved under loss, partition whoever leads now.
            ulong current = NodeStatus.CurrentLeader(nodes.Values.Select(n => NodeStatus.Last(n.Lines)));
            if (current != 0 && current != leader)
            {
                Note($"leadership moved to node {current} under loss; the partition cuts node {current} off instead");
                NftFaults.Heal(leaderNs);
                leader = current;
                leaderNs = network.NodeNamespace(leader);
            }

            // 2. Full partition of the leader: one of the other two takes over, orders go on.
            NftFaults.Partition(leaderNs, NamespaceNetwork.NodeInterface);
            TimeSpan partitionStart = _clock.Elapsed;
            ulong commitAtPartition = Commit(client);
            ulong oldTerm = NodeStatus.Last(nodes[leader].Lines)?.Term ?? 0;
            Note($"node {leader} partitioned (all traffic on its link dropped) at commit {commitAtPartition}, term {oldTerm}");
            ulong successor = 0;
            Require(() =>
            {
                successor = NodeStatus.CurrentLeader(nodes.Values.Select(n => NodeStatus.Last(n.Lines)));
                return successor != 0 && successor != leader
                    && SampleOutput.Progress(client.LinesSince(partitionStart)).Exists(p => p.Leader == successor && p.Commit > commitAtPartition);
            }, "a new leader among the other nodes acknowledging orders", nodes, client);
            NodeStatus successorStatus = NodeStatus.Last(nodes[successor].Lines)!;
            Assert.True(successorStatus.Term > oldTerm, $"node {successor} leads at term {successorStatus.Term}, not above {oldTerm}\n" + Describe(nodes, client));
            Note($"node {successor} took over at term {successorStatus.Term} after {Seconds(_clock.Elapsed - partitionStart)}; client commit {Commit(client)}");
            TimeSpan failedOver = _clock.Elapsed;
            Require(() => _clock.Elapsed - failedOver >= AfterFailover, "the client keeps running without the old leader", nodes, client);
            long partitionDrops = NftFaults.Dropped(leaderNs);
            Assert.True(partitionDrops > 0, "the partition dropped nothing\n" + Describe(nodes, client));

            // 3. Heal while the client still sends: the old leader rejoins and catches up.
            Assert.False(client.Process.HasExited, "the client stopped before the partition healed\n" + Describe(nodes, client));
            ulong commitAtHeal = Commit(client);
            NodeStatus isolated = NodeStatus.Last(nodes[leader].Lines)!;
            Assert.True(isolated.Applied < commitAtHeal, $"node {leader} applied {isolated.Applied} while cut off, not behind the cluster's {commitAtHeal}\n" + Describe(nodes, client));
            NftFaults.Heal(leaderNs);
            TimeSpan healed = _clock.Elapsed;
            Note($"healed ({partitionDrops} packets dropped by the partition); node {leader} was {isolated.Role} at term {isolated.Term}, applied {isolated.Applied}, cluster commit {commitAtHeal}");
            NodeStatus? rejoined = null;
            Require(() =>
            {
                rejoined = NodeStatus.Last(nodes[leader].LinesSince(healed));
                return rejoined is { Role: "follower" } && rejoined.Leader != 0 && rejoined.Leader != leader && rejoined.Applied >= commitAtHeal;
            }, $"node {leader} following again and caught up to {commitAtHeal}", nodes, client);
            Note($"node {leader} rejoined as follower of node {rejoined!.Leader} at term {rejoined.Term}, applied {rejoined.Applied}, after {Seconds(_clock.Elapsed - healed)}");
            TimeSpan rejoinedAt = _clock.Elapsed;
            Require(() => _clock.Elapsed - rejoinedAt >= AfterRejoin, "orders to the healed cluster", nodes, client);

            // 4. Stop the client: it drains, asks all three nodes for their state and checks them.
            client.Terminate();
            Assert.True(client.Process.WaitForExit(60_000), "the client did not finish within 60 s\n" + Describe(nodes, client));
            client.Process.WaitForExit();
            string clientText = client.Text;
            Note($"client exited with {client.Process.ExitCode}");
            Assert.True(client.Process.ExitCode == 0, Describe(nodes, client));
            Assert.Contains("PASS: 3 replicas hold identical order books", clientText);
            Assert.Contains("(0 lost, 0 duplicated", clientText);
            Assert.True(SampleOutput.Replicas(clientText).Select(r => r.Applied).Min() >= commitAtHeal, clientText);
            foreach (string line in client.Lines.SkipWhile(l => !l.StartsWith("Summary", StringComparison.Ordinal)))
            {
                output.WriteLine(line);
            }
        }
        finally
        {
            client?.Dispose();
            foreach (NamespacedProcess n in nodes.Values)
            {
                n.Dispose();
            }
            foreach (string line in _timeline)
            {
                output.WriteLine(line);
            }
            keyDir.Delete(recursive: true);
        }
    }

    private static IEnumerable<ulong> Ids()
    {
        for (ulong id = 1; id <= Nodes; id++)
        {
            yield return id;
        }
    }

    private static ulong Commit(NamespacedProcess client)
    {
        List<(ulong Leader, ulong Commit)> progress = SampleOutput.Progress(client.Lines);
        return progress.Count == 0 ? 0 : progress.Max(p => p.Commit);
    }

    private static string Text(ulong value) => value.ToString(CultureInfo.InvariantCulture);

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";

    /// <summary>Waits (bounded) for <paramref name="condition"/>; fails with every process's output otherwise.</summary>
    private void Require(Func<bool> condition, string what, Dictionary<ulong, NamespacedProcess> nodes, NamespacedProcess? client)
    {
        var deadline = _clock.Elapsed + StepTimeout;
        while (!condition())
        {
            if (_clock.Elapsed > deadline)
            {
                Assert.Fail($"no {what} within {StepTimeout.TotalSeconds} s\n" + Describe(nodes, client));
            }
            if (client is { Process.HasExited: true })
            {
                Assert.Fail($"the client exited before {what}\n" + Describe(nodes, client));
            }
            Thread.Sleep(50);
        }
    }

    private void Note(string what) => _timeline.Add($"[{_clock.Elapsed.TotalSeconds,5:0.0}s] {what}");

    private string Describe(Dictionary<ulong, NamespacedProcess> nodes, NamespacedProcess? client) =>
        string.Join("\n", _timeline)
        + string.Concat(nodes.Values.Select(n => $"\n--- {n.Name}:\n{n.Text}"))
        + (client is null ? "" : $"\n--- client:\n{client.Text}");
}
