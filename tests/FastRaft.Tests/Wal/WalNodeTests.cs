using FastRaft.Hosting;
using FastRaft.Hosting.InMemory;
using FastRaft.Protocol;
using FastRaft.Storage.Wal;
using static FastRaft.Tests.Wal.WalAssert;

namespace FastRaft.Tests.Wal;

/// <summary>
/// Nodes over the WAL, as users run them (agents on manual invokers): they run, stop, are rebuilt
/// over their reopened logs and carry on.
/// </summary>
public class WalNodeTests
{
    private static readonly WalOptions Options = new() { SegmentSize = 16 * 1024, CacheBytes = 4096 };

    [Fact]
    public void A_single_voter_restarts_from_its_log_and_continues()
    {
        using var dir = new TempWalDirectory();
        long proposed = 0;
        ulong hash = 0;
        using var node = new WalNodeDriver(1, dir.Path, Options, bootstrapVoters: [1]);

        void Propose(int n)
        {
            for (int k = 0; k < n; k++)
            {
                byte[] data = Payload(1, (ulong)proposed, 24, 3).Data.ToArray();
                node.Propose(data);
                proposed++;
                hash = AppliedState.Mix(hash, data);
            }
        }

        node.TickUntilLeader();
        for (int round = 0; round < 4; round++)
        {
            Propose(60);
            if (round % 2 == 1)
            {
                node.SnapshotAndCompact(keep: 20);
            }
            HardState before = node.Wal.HardState;
            ulong last = node.Wal.LastIndex();

            node.Restart();

            Assert.Equal(before, node.Wal.HardState);
            Assert.Equal(last, node.Wal.LastIndex());
            // Entries committed after the snapshot are handed out again and rebuild the state.
            node.RunUntilQuiet();
            Assert.Equal((proposed, hash), (node.AppliedCount, node.AppliedHash));
            node.TickUntilLeader();
        }
        Propose(10);
        Assert.Equal((proposed, hash), (node.AppliedCount, node.AppliedHash));
        Assert.True(node.Wal.FirstIndex() > 100, "the log should have been compacted behind the snapshots");
    }

    [Fact]
    public void Three_voters_survive_restarts_a_lagging_follower_catches_up_by_snapshot_and_a_stale_tail_is_replaced()
    {
        using var cluster = new WalCluster(3, Options);
        cluster.Elect(1);
        cluster.ProposeAt(1, 40);

        // A follower restarts and catches up.
        cluster.Nodes[3].Restart();
        cluster.ProposeAt(1, 40);
        cluster.AssertConverged();

        // A follower is down while the others move on and compact past it: it needs a snapshot.
        cluster.Disconnect(2);
        cluster.ProposeAt(1, 60);
        cluster.Nodes[1].SnapshotAndCompact(keep: 5);
        cluster.Nodes[3].SnapshotAndCompact(keep: 5);
        cluster.Nodes[2].Restart();
        cluster.Reconnect(2);
        cluster.Heartbeats(1);
        cluster.AssertConverged();
        Assert.True(cluster.Nodes[2].Wal.Recovery.LastIndex < cluster.Nodes[2].Wal.FirstIndex(), "node 2 should have installed a snapshot");

        // The leader is cut off and appends entries nobody else gets; a new leader commits others.
        cluster.Disconnect(1);
        ulong leaderLast = cluster.Nodes[1].Wal.LastIndex();
        var stranded = new List<ValueTask<ProposeResult<long>>>();
        for (int k = 0; k < 5; k++)
        {
            stranded.Add(cluster.Nodes[1].Agent.ProposeAsync(new byte[] { 9, 9, (byte)k }));
        }
        cluster.Stabilize();
        Assert.Equal(leaderLast + 5, cluster.Nodes[1].Wal.LastIndex());
        cluster.Elect(2);
        cluster.ProposeAt(2, 20);

        // The old leader restarts with its stale tail on disk, rejoins, and has it replaced.
        cluster.Nodes[1].Restart();
        Assert.All(stranded, p => Assert.Equal(RequestStatus.ShuttingDown, p.Result.Status));
        Assert.Equal(leaderLast + 5, cluster.Nodes[1].Wal.LastIndex());
        cluster.Reconnect(1);
        cluster.Heartbeats(2);
        cluster.AssertConverged();

        // The replacement is durable.
        cluster.Nodes[1].Restart();
        cluster.Heartbeats(2);
        cluster.AssertConverged();
        Assert.Equal(cluster.Proposed, cluster.Nodes[1].AppliedCount);
    }

    /// <summary>WAL-backed nodes in separate directories on one in-memory network.</summary>
    private sealed class WalCluster : IDisposable
    {
        private readonly List<TempWalDirectory> _dirs = [];
        private readonly InMemoryNetwork _network = new();
        private ulong _hash;

        public WalCluster(int voters, WalOptions options)
        {
            ulong[] ids = [.. Enumerable.Range(1, voters).Select(i => (ulong)i)];
            foreach (ulong id in ids)
            {
                var dir = new TempWalDirectory();
                _dirs.Add(dir);
                Nodes[id] = new WalNodeDriver(id, dir.Path, options, bootstrapVoters: ids, network: _network);
            }
        }

        public Dictionary<ulong, WalNodeDriver> Nodes { get; } = [];

        /// <summary>Proposals that were committed.</summary>
        public long Proposed { get; private set; }

        /// <summary>Node <paramref name="id"/> neither sends nor receives (a crashed or partitioned node); it still runs.</summary>
        public void Disconnect(ulong id) => _network.Isolate(id);

        public void Reconnect(ulong id)
        {
            _network.Unblock(id, InMemoryNetwork.AnyNode);
            _network.Unblock(InMemoryNetwork.AnyNode, id);
        }

        /// <summary>Ticks node <paramref name="id"/> alone until its election timeout makes it campaign and it wins.</summary>
        public void Elect(ulong id)
        {
            WalNodeDriver n = Nodes[id];
            for (int i = 0; i < 100 && !n.IsLeader; i++)
            {
                n.Tick();
                Stabilize();
            }
            Assert.True(n.IsLeader, $"node {id} did not become leader");
        }

        public void ProposeAt(ulong leader, int n)
        {
            for (int k = 0; k < n; k++)
            {
                byte[] data = Payload(2, (ulong)(Proposed + 1000), 20, 1).Data.ToArray();
                ValueTask<ProposeResult<long>> pending = Nodes[leader].Agent.ProposeAsync(data);
                Stabilize();
                Assert.True(pending.IsCompleted, "the proposal did not complete");
                ProposeResult<long> r = pending.Result;
                Assert.True(r.IsOk, r.ToString());
                Proposed++;
                _hash = AppliedState.Mix(_hash, data);
            }
        }

        /// <summary>A few heartbeat rounds from the leader (only its clock moves), so that nodes coming back find it.</summary>
        public void Heartbeats(ulong leader)
        {
            for (int k = 0; k < 5; k++)
            {
                Nodes[leader].Tick();
                Stabilize();
            }
        }

        /// <summary>Runs every node's duty cycles, in id order, until a pass finds no work.</summary>
        public void Stabilize()
        {
            for (int round = 0; round < 1000; round++)
            {
                int work = 0;
                foreach (WalNodeDriver n in Nodes.Values)
                {
                    work += n.RunCycle();
                }
                if (work == 0)
                {
                    return;
                }
            }
            throw new InvalidOperationException("cluster did not stabilize within 1000 rounds");
        }

        /// <summary>Every node applied every committed proposal, in order, and holds the same log where their logs overlap.</summary>
        public void AssertConverged()
        {
            foreach (WalNodeDriver n in Nodes.Values)
            {
                Assert.Equal((Proposed, _hash), (n.AppliedCount, n.AppliedHash));
            }
            WalNodeDriver a = Nodes[1];
            foreach (WalNodeDriver b in Nodes.Values)
            {
                Assert.Equal(a.Wal.LastIndex(), b.Wal.LastIndex());
                ulong from = Math.Max(a.Wal.FirstIndex(), b.Wal.FirstIndex());
                Entry[] ea = Stored(a.Wal);
                Entry[] eb = Stored(b.Wal);
                Assert.Equal(ea[(int)(from - a.Wal.FirstIndex())..], eb[(int)(from - b.Wal.FirstIndex())..]);
            }
        }

        public void Dispose()
        {
            foreach (WalNodeDriver n in Nodes.Values)
            {
                n.Dispose();
            }
            foreach (TempWalDirectory d in _dirs)
            {
                d.Dispose();
            }
        }
    }
}
