using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage;

namespace FastRaft.Tests.Node;

/// <summary>
/// What an idle node holds (issue 14: thousands of idle groups per process, about a kilobyte
/// each): a new node allocates its message and log buffers only when it uses them, and
/// <see cref="RawNode.ReleaseIdleBuffers"/> gives them back when the node has nothing to do,
/// without breaking what a Ready handed out before, and the node works on afterwards.
/// </summary>
public class IdleBuffersTests
{
    /// <summary>
    /// What building a node over a ready storage may allocate at most: the core's objects and the
    /// construction's transient ones (3.9 KB measured: raft state, log, tracker, two empty arenas,
    /// the seeded Random, the defaulted config copy; it was about 24 KB with buffers allocated up
    /// front). One buffer allocated up front again (a 64-entry ring is 2.6 KB) breaks it.
    /// </summary>
    private const long ConstructionBound = 6 * 1024;

    private static RaftConfig Config(MemoryStorage storage) => new()
    {
        Id = 1,
        Storage = storage,
        ElectionTick = 10,
        HeartbeatTick = 1,
        MaxSizePerMsg = 1024 * 1024,
        Applied = 1,
        Random = new Random(5),
    };

    private static MemoryStorage SingleVoterStorage()
    {
        var storage = new MemoryStorage();
        Assert.Equal(StorageStatus.Ok, storage.ApplySnapshot(new Snapshot(ReadOnlyMemory<byte>.Empty, new SnapshotMetadata(new ConfState { Voters = [1] }, 1, 1))));
        return storage;
    }

    private static void HandleAll(RawNode node, MemoryStorage storage, List<byte[]>? applied = null)
    {
        while (node.HasReady())
        {
            Ready rd = node.Ready();
            Assert.Equal(StorageStatus.Ok, storage.Save(rd.HardState, rd.Entries, rd.Snapshot, rd.MustSync));
            foreach (ref readonly Entry e in rd.CommittedEntries.Span)
            {
                if (e.Type == EntryType.Normal && !e.Data.IsEmpty)
                {
                    applied?.Add(e.Data.ToArray());
                }
            }
            node.Advance();
            storage.AdvanceEpoch();
        }
    }

    [Fact]
    public void A_new_node_holds_no_message_or_log_buffers_and_its_construction_stays_under_the_bound()
    {
        MemoryStorage storage = SingleVoterStorage();
        RaftConfig config = Config(storage);
        // Warm the types and the code paths once, so the measurement below sees only the node.
        _ = new RawNode(Config(SingleVoterStorage()));

        long before = GC.GetAllocatedBytesForCurrentThread();
        var node = new RawNode(config);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.False(node.HoldsIdleBuffers);
        Assert.InRange(allocated, 1, ConstructionBound);
    }

    [Fact]
    public void Buffers_are_kept_while_a_Ready_is_pending_and_released_once_it_is_advanced()
    {
        MemoryStorage storage = SingleVoterStorage();
        var node = new RawNode(Config(storage));
        node.Campaign();
        Assert.True(node.HasReady());

        Assert.False(node.ReleaseIdleBuffers());

        Ready rd = node.Ready();
        Assert.Equal(StorageStatus.Ok, storage.Save(rd.HardState, rd.Entries, rd.Snapshot, rd.MustSync));
        Assert.False(node.ReleaseIdleBuffers());
        node.Advance();
        HandleAll(node, storage);
        Assert.Equal(StepResult.Ok, node.Propose(new byte[] { 1, 2, 3 }));
        HandleAll(node, storage);
        Assert.True(node.HoldsIdleBuffers);

        Assert.True(node.ReleaseIdleBuffers());

        Assert.False(node.HoldsIdleBuffers);
    }

    [Fact]
    public void What_a_Ready_handed_out_stays_intact_after_the_release_and_the_node_commits_afterwards()
    {
        MemoryStorage storage = SingleVoterStorage();
        var node = new RawNode(Config(storage));
        node.Campaign();
        HandleAll(node, storage);
        byte[] first = [10, 20, 30, 40];
        Assert.Equal(StepResult.Ok, node.Propose(first));
        // The Ready that persists the entry and the one that commits it: keep the committed view.
        ReadOnlyMemory<Entry> committed = default;
        while (node.HasReady())
        {
            Ready rd = node.Ready();
            Assert.Equal(StorageStatus.Ok, storage.Save(rd.HardState, rd.Entries, rd.Snapshot, rd.MustSync));
            if (!rd.CommittedEntries.IsEmpty)
            {
                committed = rd.CommittedEntries;
            }
            node.Advance();
            storage.AdvanceEpoch();
        }
        Assert.False(committed.IsEmpty);

        Assert.True(node.ReleaseIdleBuffers());
        // Work after the release grows the buffers anew; it must not write over the old views.
        var applied = new List<byte[]>();
        for (byte i = 0; i < 50; i++)
        {
            Assert.Equal(StepResult.Ok, node.Propose(new byte[] { i, i, i, i, i }));
            HandleAll(node, storage, applied);
        }

        Assert.Equal(first, committed.Span[^1].Data.ToArray());
        Assert.Equal(50, applied.Count);
        for (byte i = 0; i < 50; i++)
        {
            Assert.Equal(new byte[] { i, i, i, i, i }, applied[i]);
        }
        Assert.Equal(storage.LastIndex(), node.BasicStatus().HardState.Commit);
    }
}
