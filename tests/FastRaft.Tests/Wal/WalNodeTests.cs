using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage.Wal;
using static FastRaft.Tests.Wal.WalAssert;

namespace FastRaft.Tests.Wal;

/// <summary>The core over the WAL: nodes run, stop, are rebuilt over their reopened logs and carry on.</summary>
public class WalNodeTests
{
    private static readonly WalOptions Options = new() { SegmentSize = 16 * 1024, CacheBytes = 4096 };

    [Fact]
    public void A_single_voter_restarts_from_its_log_and_continues()
    {
        using var dir = new TempWalDirectory();
        var outbox = new List<Message>();
        long proposed = 0;
        ulong hash = 0;
        using var node = new WalNodeDriver(1, dir.Path, Options, bootstrapVoters: [1]);

        void Propose(int n)
        {
            for (int k = 0; k < n; k++)
            {
                byte[] data = Payload(1, (ulong)proposed, 24, 3).Data.ToArray();
                Assert.Equal(StepResult.Ok, node.Node.Propose(data));
                proposed++;
                hash = AppliedState.Mix(hash, data);
                while (node.HandleReady(outbox))
                {
                }
            }
        }

        Assert.Equal(StepResult.Ok, node.Node.Campaign());
        while (node.HandleReady(outbox))
        {
        }
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
            while (node.HandleReady(outbox))
            {
            }
            Assert.Equal((proposed, hash), (node.AppliedCount, node.AppliedHash));
            Assert.Equal(StepResult.Ok, node.Node.Campaign());
            while (node.HandleReady(outbox))
            {
            }
            Assert.Equal(StateType.StateLeader, node.Node.BasicStatus().SoftState.RaftState);
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
        cluster.Down.Add(2);
        cluster.ProposeAt(1, 60);
        cluster.Nodes[1].SnapshotAndCompact(keep: 5);
        cluster.Nodes[3].SnapshotAndCompact(keep: 5);
        cluster.Nodes[2].Restart();
        cluster.Down.Remove(2);
        cluster.Heartbeats(1);
        cluster.AssertConverged();
        Assert.True(cluster.Nodes[2].Wal.Recovery.LastIndex < cluster.Nodes[2].Wal.FirstIndex(), "node 2 should have installed a snapshot");

        // The leader is cut off and appends entries nobody else gets; a new leader commits others.
        cluster.Down.Add(1);
        ulong leaderLast = cluster.Nodes[1].Wal.LastIndex();
        for (int k = 0; k < 5; k++)
        {
            Assert.Equal(StepResult.Ok, cluster.Nodes[1].Node.Propose(new byte[] { 9, 9, (byte)k }));
        }
        cluster.Stabilize();
        Assert.Equal(leaderLast + 5, cluster.Nodes[1].Wal.LastIndex());
        cluster.Elect(2);
        cluster.ProposeAt(2, 20);

        // The old leader restarts with its stale tail on disk, rejoins, and has it replaced.
        cluster.Nodes[1].Restart();
        Assert.Equal(leaderLast + 5, cluster.Nodes[1].Wal.LastIndex());
        cluster.Down.Remove(1);
        cluster.Heartbeats(2);
        cluster.AssertConverged();

        // The replacement is durable.
        cluster.Nodes[1].Restart();
        cluster.Heartbeats(2);
        cluster.AssertConverged();
        Assert.Equal(cluster.Proposed, cluster.Nodes[1].AppliedCount);
    }

    /// <summary>WAL-backed nodes in separate directories with a message queue between them.</summary>
    private sealed class WalCluster : IDisposable
    {
        private readonly List<TempWalDirectory> _dirs = [];
        private readonly List<Message> _inFlight = [];
        private ulong _hash;

        public WalCluster(int voters, WalOptions options)
        {
            ulong[] ids = [.. Enumerable.Range(1, voters).Select(i => (ulong)i)];
            foreach (ulong id in ids)
            {
                var dir = new TempWalDirectory();
                _dirs.Add(dir);
                Nodes[id] = new WalNodeDriver(id, dir.Path, options, bootstrapVoters: ids);
            }
        }

        public Dictionary<ulong, WalNodeDriver> Nodes { get; } = [];

        /// <summary>Nodes that neither send nor receive (a crashed or partitioned node); they still handle their own Readys.</summary>
        public HashSet<ulong> Down { get; } = [];

        /// <summary>Proposals that were committed.</summary>
        public long Proposed { get; private set; }

        public void Elect(ulong id)
        {
            Assert.Equal(StepResult.Ok, Nodes[id].Node.Campaign());
            Stabilize();
            Assert.Equal(StateType.StateLeader, Nodes[id].Node.BasicStatus().SoftState.RaftState);
        }

        public void ProposeAt(ulong leader, int n)
        {
            for (int k = 0; k < n; k++)
            {
                byte[] data = Payload(2, (ulong)(Proposed + 1000), 20, 1).Data.ToArray();
                Assert.Equal(StepResult.Ok, Nodes[leader].Node.Propose(data));
                Proposed++;
                _hash = AppliedState.Mix(_hash, data);
                Stabilize();
            }
        }

        /// <summary>A few heartbeat rounds from the leader, so that nodes coming back find it.</summary>
        public void Heartbeats(ulong leader)
        {
            for (int k = 0; k < 5; k++)
            {
                Nodes[leader].Node.Tick();
                Stabilize();
            }
        }

        public void Stabilize()
        {
            for (int round = 0; round < 1000; round++)
            {
                bool any = false;
                foreach (WalNodeDriver n in Nodes.Values)
                {
                    while (n.HandleReady(_inFlight))
                    {
                        any = true;
                    }
                }
                if (_inFlight.Count == 0 && !any)
                {
                    return;
                }
                Message[] batch = [.. _inFlight];
                _inFlight.Clear();
                foreach (Message m in batch)
                {
                    if (!Down.Contains(m.To) && !Down.Contains(m.From))
                    {
                        Nodes[m.To].Node.Step(m);
                    }
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
