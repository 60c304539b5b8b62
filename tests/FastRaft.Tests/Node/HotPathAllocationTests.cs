using FastRaft.Benchmarks.Workloads;
using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage;

namespace FastRaft.Tests.Node;

/// <summary>
/// The hot path allocates nothing: after warm-up, proposing, persisting, replicating,
/// committing and advancing 10,000+ entries leaves the thread's allocation counter unchanged.
/// The RawNode gates are core gates: they drive the core directly (the least a Ready needs,
/// messages stepped straight into the peers), like the conformance harness, to gate the core
/// alone; the agent gates run the same through the host users run (RaftNodeAgents over the
/// in-memory transport, proposals through ProposeAsync).
/// </summary>
[Collection(Perf.AllocationGateCollection.Name)]
public class HotPathAllocationTests
{
    private const int Entries = 10_000;
    private static readonly ReadOnlyMemory<byte> Payload = new byte[16];

    private static (RawNode Node, MemoryStorage Storage) NewNode(ulong id, ulong[] voters)
    {
        var storage = new MemoryStorage();
        Assert.Equal(StorageStatus.Ok, storage.ApplySnapshot(new Snapshot(ReadOnlyMemory<byte>.Empty, new SnapshotMetadata(new ConfState { Voters = voters }, 1, 1))));
        var node = new RawNode(new RaftConfig
        {
            Id = id,
            Storage = storage,
            ElectionTick = 10,
            HeartbeatTick = 1,
            MaxSizePerMsg = 1024 * 1024,
            MaxInflightMsgs = 256,
            Applied = 1,
            Random = new Random(7),
        });
        return (node, storage);
    }

    /// <summary>Handles one Ready of a node: persist, deliver messages to peers at once, apply, compact now and then, Advance.</summary>
    private static void Handle(RawNode node, MemoryStorage storage, RawNode?[] peers, ref ulong committed)
    {
        Ready rd = node.Ready();
        if (!rd.HardState.IsEmpty)
        {
            storage.SetHardState(rd.HardState);
        }
        storage.Append(rd.Entries);
        foreach (ref readonly Message m in rd.Messages.Span)
        {
            peers[m.To]!.Step(m);
        }
        ReadOnlySpan<Entry> ce = rd.CommittedEntries.Span;
        if (!ce.IsEmpty)
        {
            committed = ce[^1].Index;
            // Keep memory bounded the way a host would: compact behind what was applied.
            if (committed % 1024 == 0)
            {
                storage.Compact(committed - 512);
            }
        }
        node.Advance();
        // Compacted payload space becomes reusable once no Ready can still be looking at it.
        storage.AdvanceEpoch();
    }

    [Fact]
    public void Single_voter_propose_persist_commit_advance_allocates_nothing()
    {
        (RawNode node, MemoryStorage storage) = NewNode(1, [1]);
        var peers = new RawNode?[2];
        peers[1] = node;
        node.Campaign();
        var committed = new ulong[1];
        for (int i = 0; i < 4; i++)
        {
            if (node.HasReady())
            {
                Handle(node, storage, peers, ref committed[0]);
            }
        }
        Assert.Equal(NodeRole.Leader, node.BasicStatus().SoftState.Role);

        void Run(int n)
        {
            for (int i = 0; i < n; i++)
            {
                node.Propose(Payload);
                while (node.HasReady())
                {
                    Handle(node, storage, peers, ref committed[0]);
                }
            }
        }

        Run(Entries); // warm up: pools, arenas and lists reach their steady size
        ulong before = committed[0];
        long delta = AllocationCounter.Steady(() => Run(Entries));

        Assert.Equal(0, delta);
        Assert.Equal(0UL, (committed[0] - before) % Entries);
        Assert.True(committed[0] - before >= Entries);
    }

    [Fact]
    public void Three_voters_exchanging_messages_in_memory_allocate_nothing_per_entry()
    {
        ulong[] voters = [1, 2, 3];
        var nodes = new RawNode[4];
        var storages = new MemoryStorage[4];
        for (ulong id = 1; id <= 3; id++)
        {
            (nodes[id], storages[id]) = NewNode(id, voters);
        }
        var peers = new RawNode?[4];
        for (int i = 1; i <= 3; i++)
        {
            peers[i] = nodes[i];
        }
        var committed = new ulong[4];

        void Pump()
        {
            bool any = true;
            while (any)
            {
                any = false;
                for (int id = 1; id <= 3; id++)
                {
                    if (nodes[id].HasReady())
                    {
                        Handle(nodes[id], storages[id], peers, ref committed[id]);
                        any = true;
                    }
                }
            }
        }

        nodes[1].Campaign();
        Pump();
        Assert.Equal(NodeRole.Leader, nodes[1].BasicStatus().SoftState.Role);

        void Run(int n)
        {
            for (int i = 0; i < n; i++)
            {
                nodes[1].Propose(Payload);
                Pump();
            }
        }

        Run(Entries);
        ulong before = committed[1];
        long delta = AllocationCounter.Steady(() => Run(Entries));

        Assert.Equal(0UL, (committed[1] - before) % Entries);
        Assert.True(committed[1] - before >= Entries);
        Assert.Equal(committed[1], committed[2]);
        Assert.Equal(committed[1], committed[3]);
        Assert.Equal(0, delta);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Through_the_agent_proposing_replicating_committing_and_applying_allocates_nothing(int voters)
    {
        using var w = new AgentClusterWorkload(voters, Payload.Length);

        // One proposal at a time, each committed and applied on every node before the next.
        long delta = Perf.AgentAllocationWindow.MeasuredBytes(w, () => w.ProposeUntilQuiet(1), 1);

        Assert.Equal(w.Proposed, w.Completed);
        Assert.True(w.Completed >= 2 * Entries);
        for (int i = 0; i < voters; i++)
        {
            Assert.Equal(w.LastCompletedIndex, w.AppliedIndex(i));
        }
        Assert.Equal(0, delta);
    }
}
