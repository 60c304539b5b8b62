using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage;

namespace FastRaft.Tests.Node;

/// <summary>
/// Building a node over existing storage (etcd's TestRawNodeRestart,
/// TestRawNodeRestartFromSnapshot) and bootstrapping a fresh one (TestRawNodeStart, Bootstrap).
/// </summary>
public class RestartAndBootstrapTests
{
    private static readonly byte[] Payload = "x"u8.ToArray();

    private static RaftConfig Config(ulong id, IStorage storage, ulong applied = 0) => new()
    {
        Id = id,
        ElectionTick = 10,
        HeartbeatTick = 1,
        Storage = storage,
        MaxSizePerMsg = ulong.MaxValue,
        Applied = applied,
        Random = new Random(99),
    };

    [Fact]
    public void Restarted_node_resumes_term_vote_and_commit_and_does_not_redeliver_applied_entries()
    {
        // The core harness: a RawNode built by the test over the old storage takes the node's place.
        var c = new CoreTestCluster(3);
        c.Elect(1);
        c.ProposeMany(1, 5, Payload);
        BasicStatus before = c.Nodes[2].BasicStatus();
        Assert.Equal(new HardState(1, 1, 7), before.HardState);
        int appliedCount = c.AppliedOf(2).Count;

        var restarted = new RawNode(Config(2, c.Storages[2], before.Applied));
        BasicStatus after = restarted.BasicStatus();
        Assert.Equal(before.HardState, after.HardState);
        Assert.Equal(before.Applied, after.Applied);
        Assert.Equal(NodeRole.Follower, after.SoftState.Role);
        Assert.False(restarted.HasReady());

        // Back in the cluster, it applies only what is new.
        c.Nodes[2] = restarted;
        c.ProposeMany(1, 2, "new"u8.ToArray());
        List<Entry> applied = c.AppliedOf(2);
        Assert.Equal(appliedCount + 2, applied.Count);
        Assert.Equal([8UL, 9UL], [applied[^2].Index, applied[^1].Index]);
        Assert.Equal(c.Commit(1), c.Commit(2));
    }

    [Fact]
    public void Restarted_node_remembers_whom_it_voted_for_in_its_term()
    {
        var c = new TestCluster(3);
        c.Elect(1);
        MemoryStorage storage = c.Storages[2];
        HardState hs = storage.HardState;
        Assert.Equal(1UL, hs.Vote);

        // Node 3 asks for node 2's vote in the same term: a restarted node 2 refuses.
        Assert.True(VoteGranted(storage, hs) is false);

        // Had the vote been lost, the same request would be granted (twice voting in a term).
        Assert.Equal(StorageStatus.Ok, storage.SetHardState(hs with { Vote = 0 }));
        Assert.True(VoteGranted(storage, hs) is true);
    }

    private static bool? VoteGranted(MemoryStorage storage, HardState hs)
    {
        var node = new RawNode(Config(2, storage, hs.Commit));
        node.Step(new Message { Type = MessageType.Vote, From = 3, To = 2, Term = hs.Term, Index = node.LastIndex, LogTerm = hs.Term });
        Ready rd = node.Ready();
        foreach (Message m in rd.Messages.Span)
        {
            if (m.Type == MessageType.VoteResponse && m.To == 3)
            {
                return !m.Reject;
            }
        }
        return null;
    }

    [Fact]
    public void Restart_with_applied_behind_commit_hands_out_exactly_the_unapplied_entries()
    {
        var c = new TestCluster(3);
        c.Elect(1);
        c.ProposeMany(1, 5, Payload);

        var restarted = new RawNode(Config(2, c.Storages[2], applied: 4));
        Ready rd = restarted.Ready();
        Assert.True(rd.HardState.IsEmpty);
        Assert.True(rd.Entries.IsEmpty);
        Assert.False(rd.MustSync);
        Assert.Equal([5UL, 6UL, 7UL], rd.CommittedEntries.ToArray().Select(e => e.Index));
        restarted.Advance();
        Assert.False(restarted.HasReady());
        Assert.Equal(7UL, restarted.BasicStatus().Applied);
    }

    [Fact]
    public void Restart_from_a_snapshot_hands_out_the_committed_entries_after_it()
    {
        var s = new MemoryStorage();
        Assert.Equal(StorageStatus.Ok, s.ApplySnapshot(new Snapshot(ReadOnlyMemory<byte>.Empty, new SnapshotMetadata(new ConfState { Voters = [1, 2] }, 2, 1))));
        Assert.Equal(StorageStatus.Ok, s.Append([new Entry(1, 3, EntryType.Normal, "foo"u8.ToArray())]));
        Assert.Equal(StorageStatus.Ok, s.SetHardState(new HardState(1, 0, 3)));

        var node = new RawNode(Config(1, s));
        Assert.Equal(2UL, node.BasicStatus().Applied);
        Ready rd = node.Ready();
        Assert.True(rd.HardState.IsEmpty);
        Assert.Null(rd.Snapshot);
        Entry e = Assert.Single(rd.CommittedEntries.ToArray());
        Assert.Equal(new Entry(1, 3, EntryType.Normal, "foo"u8.ToArray()), e);
        node.Advance();
        Assert.False(node.HasReady());
        Assert.Equal([1UL, 2UL], node.Status().Config.Voters.Ids());
    }

    [Fact]
    public void Bootstrap_commits_one_add_node_entry_per_peer_through_the_first_ready()
    {
        var s = new MemoryStorage();
        var node = new RawNode(Config(1, s));
        Assert.False(node.HasReady());
        node.Bootstrap([1, 2, 3]);

        Assert.True(node.HasReady());
        Ready rd = node.Ready();
        Assert.Equal(new HardState(1, 0, 3), rd.HardState);
        Assert.True(rd.MustSync);
        Entry[] entries = rd.Entries.ToArray();
        Assert.Equal(entries, rd.CommittedEntries.ToArray());
        Assert.Equal(3, entries.Length);
        for (int i = 0; i < entries.Length; i++)
        {
            Assert.Equal((1UL, (ulong)i + 1, EntryType.ConfChange), (entries[i].Term, entries[i].Index, entries[i].Type));
            Assert.True(ConfChangeCodec.TryDecodeV1(entries[i].Data.Span, out ConfChange cc, out _));
            Assert.Equal(new ConfChange(ConfChangeType.AddNode, (ulong)i + 1), cc);
        }
        Assert.Equal(StorageStatus.Ok, s.Save(rd.HardState, rd.Entries, rd.Snapshot, rd.MustSync));
        foreach (Entry e in entries)
        {
            Assert.True(ConfChangeCodec.TryDecodeV1(e.Data.Span, out ConfChange cc, out _));
            node.ApplyConfChange(cc);
        }
        node.Advance();

        Assert.Equal([1UL, 2UL, 3UL], node.Status().Config.Voters.Ids());
        Assert.Equal(3UL, node.BasicStatus().Applied);
        var refused = Assert.Throws<InvalidOperationException>(() => node.Bootstrap([1, 2, 3]));
        Assert.Equal("can't bootstrap a nonempty Storage", refused.Message);
    }

    [Fact]
    public void Bootstrap_without_peers_is_refused()
    {
        var node = new RawNode(Config(1, new MemoryStorage()));
        var refused = Assert.Throws<ArgumentException>(() => node.Bootstrap([]));
        Assert.StartsWith("must provide at least one peer to Bootstrap", refused.Message, StringComparison.Ordinal);
        Assert.False(node.HasReady());
    }

    [Fact]
    public void Bootstrapped_nodes_elect_a_leader_and_replicate()
    {
        // The core harness: the test builds and bootstraps the RawNodes itself (the host's own
        // bootstrap, from RaftNodeOptions.InitialMembers, is tested with the host).
        var c = new CoreTestCluster(0);
        for (ulong id = 1; id <= 3; id++)
        {
            var s = new MemoryStorage();
            var node = new RawNode(Config(id, s));
            node.Bootstrap([1, 2, 3]);
            c.Nodes[id] = node;
            c.Storages[id] = s;
        }
        // The membership entries are committed but not yet applied: no campaign until they are.
        c.Nodes[1].Campaign();
        Assert.Equal(NodeRole.Follower, c.State(1));
        c.Stabilize();
        c.Elect(1);
        c.ProposeMany(1, 2, Payload);

        foreach (ulong id in c.Nodes.Keys)
        {
            List<Entry> applied = c.AppliedOf(id);
            // Three membership entries, the leader's empty entry, two proposals.
            Assert.Equal([1UL, 2UL, 3UL, 4UL, 5UL, 6UL], applied.Select(e => e.Index));
            Assert.Equal(Payload, applied[^1].Data.ToArray());
            Assert.Equal([1UL, 2UL, 3UL], c.Nodes[id].Status().Config.Voters.Ids());
        }
    }
}
