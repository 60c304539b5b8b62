using System.Net;
using FastRaft.Core;
using FastRaft.Hosting.Idle;
using FastRaft.Protocol;
using FastRaft.Transport.Udp;

namespace FastRaft.Tests.Udp;

/// <summary>
/// Three RaftNodes talking over real UDP sockets on 127.0.0.1, each agent on a thread of its own:
/// in the polled mode that thread also receives (Poll each cycle, wait on the socket when idle),
/// with a receive thread it is handed batches.
/// </summary>
public class UdpRaftClusterTests
{
    private static readonly ulong[] Voters = [1, 2, 3];
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    private static List<UdpRaftNode> NewCluster(
        UdpMode mode, Func<UdpTransportOptions, UdpTransportOptions>? configure = null, Func<ulong, ulong>? snapshotEvery = null, Func<IIdleStrategy>? idleStrategy = null)
    {
        var nodes = new List<UdpRaftNode>();
        try
        {
            foreach (ulong id in Voters)
            {
                var o = new UdpTransportOptions { LocalId = id, ClusterId = 5, Bind = new IPEndPoint(IPAddress.Loopback, 0), ClusterKey = UdpGroup.TestKey, ReceiveThread = mode == UdpMode.Threaded };
                o = configure?.Invoke(o) ?? o;
                nodes.Add(new UdpRaftNode(id, Voters, o, snapshotEvery: snapshotEvery?.Invoke(id) ?? 0, idleStrategy: idleStrategy));
            }
            foreach (UdpRaftNode n in nodes)
            {
                foreach (UdpRaftNode other in nodes)
                {
                    if (other != n)
                    {
                        n.Transport.SetPeer(other.Id, other.Transport.LocalEndPoint);
                    }
                }
            }
            return nodes;
        }
        catch
        {
            nodes.ForEach(n => n.Dispose());
            throw;
        }
    }

    private static void AssertSameLogs(List<UdpRaftNode> nodes)
    {
        List<Entry> reference = nodes[0].Log();
        foreach (UdpRaftNode n in nodes.Skip(1))
        {
            List<Entry> log = n.Log();
            // Compare where both logs still hold entries (a node may have compacted further).
            ulong from = Math.Max(reference[0].Index, log[0].Index);
            var a = reference.Where(e => e.Index >= from).ToList();
            var b = log.Where(e => e.Index >= from).ToList();
            Assert.Equal(a.Count, b.Count);
            for (int i = 0; i < a.Count; i++)
            {
                Assert.Equal((a[i].Index, a[i].Term, a[i].Type), (b[i].Index, b[i].Term, b[i].Type));
                Assert.True(a[i].Data.Span.SequenceEqual(b[i].Data.Span), $"entry {a[i].Index} differs on node {n.Id}");
            }
        }
    }

    private static string Describe(UdpRaftNode leader, UdpRaftNode lagging)
    {
        UdpTransportCounters l = leader.Transport.Counters, f = lagging.Transport.Counters;
        return $"reports [{string.Join(",", leader.SnapshotReports)}]; leader transfers {l.TransfersStarted}/{l.TransfersCompleted}/{l.TransfersFailed} chunks {l.ChunksSent} faults {l.FaultsInjected} drops {l.DroppedTotal}; "
            + $"follower reassemblies {f.ReassembliesStarted}/{f.ReassembliesCompleted}/{f.ReassembliesTimedOut} chunks {f.ChunksReceived} drops {f.DroppedTotal} "
            + $"({string.Join(",", Enum.GetValues<DropReason>().Where(r => f.Dropped(r) > 0).Select(r => $"{r}={f.Dropped(r)}"))}); "
            + $"leader first index {leader.Storage.FirstIndex()} commit {leader.Commit}; follower commit {lagging.Commit} applied {lagging.AppliedCount}; leader? {leader.IsLeader}";
    }

    [Theory]
    [InlineData(UdpMode.Threaded)]
    [InlineData(UdpMode.Polled)]
    public void Three_nodes_elect_a_leader_and_replicate_ten_thousand_entries_with_identical_logs(UdpMode mode)
    {
        const long Target = 10_000;
        List<UdpRaftNode> nodes = NewCluster(mode);
        try
        {
            foreach (UdpRaftNode n in nodes)
            {
                n.ProposeUntil = Target;
                n.Start();
            }
            Assert.True(Wait.Until(() => nodes.Any(n => n.IsLeader), Deadline), "no leader elected");
            Assert.True(Wait.Until(() => nodes.All(n => n.AppliedCount >= Target) && nodes.Select(n => n.Commit).Distinct().Count() == 1, Deadline),
                $"applied: {string.Join(", ", nodes.Select(n => n.AppliedCount))}");
        }
        finally
        {
            nodes.ForEach(n => n.Stop());
        }
        try
        {
            List<byte[]> applied = nodes[0].Applied;
            Assert.True(applied.Count >= Target);
            foreach (UdpRaftNode n in nodes.Skip(1))
            {
                Assert.Equal(applied.Count, n.Applied.Count);
                Assert.True(applied.Zip(n.Applied).All(p => p.First.AsSpan().SequenceEqual(p.Second)), $"node {n.Id} applied different payloads");
            }
            Assert.Equal(nodes[0].Log().Count, nodes[1].Log().Count);
            AssertSameLogs(nodes);
            foreach (UdpRaftNode n in nodes)
            {
                UdpTransportCounters c = n.Transport.Counters;
                // Only batches refused by nodes already stopped at the end (their inbox closes first).
                Assert.Equal(c.Dropped(DropReason.InboxFull), c.DroppedTotal);
                Assert.True(c.MessagesSent > c.MessageDatagramsSent, $"node {n.Id}: messages should share datagrams");
            }
        }
        finally
        {
            nodes.ForEach(n => n.Dispose());
        }
    }

    [Theory]
    [InlineData(UdpMode.Threaded)]
    [InlineData(UdpMode.Polled)]
    public void A_follower_that_fell_behind_a_compaction_catches_up_through_a_chunked_snapshot_despite_a_failed_first_try(UdpMode mode)
    {
        // Every chunk is lost until the first transfer fails; then a tenth of them, which are resent.
        var leaderFaults = new UdpFaultInjection { Seed = 3, ChunkLossRate = 1 };
        // Run without a key: the CRC-32C path carries a whole Raft cluster and its snapshot too.
        List<UdpRaftNode> nodes = NewCluster(
            mode,
            o => UdpGroup.Insecure(o) with
            {
                TransferStallTimeout = TimeSpan.FromMilliseconds(300),
                ReassemblyTimeout = TimeSpan.FromMilliseconds(400),
                // Small datagrams: the snapshot takes many chunks.
                MaxDatagramSize = 1400,
                FaultInjection = o.LocalId == 1 ? leaderFaults : null,
            },
            snapshotEvery: id => id == 3 ? 0UL : 500UL);
        UdpRaftNode leader = nodes[0], lagging = nodes[2];
        try
        {
            leader.Start();
            nodes[1].Start();
            UdpRaftNode.EnsureLeader([leader, nodes[1]], leader.Id, Deadline);
            leader.ProposeUntil = 3000;
            Assert.True(Wait.Until(() => leader.AppliedCount >= 3000 && nodes[1].AppliedCount >= 3000, Deadline));
            Assert.True(leader.IsLeader);
            Assert.True(leader.Storage.FirstIndex() > 2, "the leader compacted its log");

            // Node 3 joins late: the entries it lacks are gone, so it needs a snapshot (~48 KB: about 36 chunks of 1,400-byte datagrams).
            lagging.Start();
            Assert.True(Wait.Until(() => leader.SnapshotReports.Contains(SnapshotStatus.Failure), Deadline), Describe(leader, lagging));
            leaderFaults.ChangeChunkLossRate(0.1);
            Assert.True(Wait.Until(() => leader.SnapshotReports.Contains(SnapshotStatus.Finish), Deadline), "the retried snapshot should arrive");
            Assert.True(Wait.Until(() => lagging.AppliedCount >= 3000 && lagging.Commit == leader.Commit, Deadline),
                $"node 3 applied {lagging.AppliedCount}, commit {lagging.Commit} vs {leader.Commit}");
        }
        finally
        {
            nodes.ForEach(n => n.Stop());
        }
        try
        {
            Assert.True(lagging.RestoredSnapshots > 0);
            Assert.Equal(leader.Applied.Count, lagging.Applied.Count);
            Assert.True(leader.Applied.Zip(lagging.Applied).All(p => p.First.AsSpan().SequenceEqual(p.Second)));
            AssertSameLogs(nodes);
            Assert.True(leader.Transport.Counters.TransfersFailed >= 1);
            Assert.True(lagging.Transport.Counters.ReassembliesCompleted >= 1);
        }
        finally
        {
            nodes.ForEach(n => n.Dispose());
        }
    }

    [Fact]
    public void An_idle_polled_cluster_waits_on_its_sockets_instead_of_spinning()
    {
        // No spinning after work: a cycle that finds nothing to do waits on the socket at once.
        List<UdpRaftNode> nodes = NewCluster(UdpMode.Polled, idleStrategy: () => new ParkingIdleStrategy(maxSpins: 0));
        try
        {
            nodes.ForEach(n => n.Start());
            UdpRaftNode.EnsureLeader(nodes, nodes[0].Id, Deadline);
            Assert.True(Wait.Until(() => nodes.All(n => n.Commit >= 4), Deadline), "the leader's first entry not committed everywhere");
            long[] before = [.. nodes.Select(n => n.Cycles)];
            long[] received = [.. nodes.Select(n => n.Transport.Counters.DatagramsReceived)];
            long started = Environment.TickCount64;
            Thread.Sleep(500);
            long ticks = (Environment.TickCount64 - started) / 10 + 1;
            // Idle, a node runs at most two cycles per tick (10 ms) and per datagram (heartbeats
            // every other tick and their answers): the one that does the work, and the one that
            // finds none and waits. Spinning would be millions of cycles, and sleeping a
            // millisecond per idle cycle ten per tick.
            for (int i = 0; i < nodes.Count; i++)
            {
                long cycles = nodes[i].Cycles - before[i];
                long datagrams = nodes[i].Transport.Counters.DatagramsReceived - received[i];
                Assert.True(cycles <= 2 * (ticks + datagrams) + 10, $"node {nodes[i].Id}: {cycles} cycles for {ticks} ticks and {datagrams} datagrams");
                Assert.True(cycles > 0, "the node thread stopped");
            }
        }
        finally
        {
            nodes.ForEach(n => n.Dispose());
        }
    }
}
