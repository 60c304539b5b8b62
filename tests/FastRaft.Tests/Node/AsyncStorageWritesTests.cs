using FastRaft.Core;
using FastRaft.Core.Logging;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage;

namespace FastRaft.Tests.Node;

/// <summary>
/// AsyncStorageWrites (etcd's TestRawNodeAsyncStorageWrites* and the async_storage_writes
/// script, here with three nodes): no Advance; every Ready's persistence and application are
/// requested by MsgStorageAppend / MsgStorageApply messages, handled later by "storage threads",
/// whose responses are stepped back into the node or sent to peers.
/// </summary>
/// <remarks>
/// A core test with a core harness of its own, like the conformance harness: it drives RawNodes
/// directly because this is a mode of the core that the host does not implement (the agent
/// persists and applies each Ready itself and calls Advance; RaftNodeOptions refuses
/// AsyncStorageWrites), so no agent can run these nodes.
/// </remarks>
public class AsyncStorageWritesTests
{
    private static readonly byte[] Payload = "x"u8.ToArray();

    /// <summary>Three async-writing nodes, their storage work queues and a network.</summary>
    private sealed class AsyncCluster
    {
        public Dictionary<ulong, RawNode> Nodes { get; } = [];
        public Dictionary<ulong, MemoryStorage> Storages { get; } = [];
        public Dictionary<ulong, Queue<Message>> AppendWork { get; } = [];
        public Dictionary<ulong, Queue<Message>> ApplyWork { get; } = [];
        public Dictionary<ulong, List<Entry>> Applied { get; } = [];
        public List<Message> Network { get; } = [];

        /// <summary>Vote and append responses seen directly in a Ready (they must wait for durability instead).</summary>
        public int EarlyResponses { get; private set; }

        public AsyncCluster(int voters)
        {
            ulong[] ids = new ulong[voters];
            for (int i = 0; i < voters; i++)
            {
                ids[i] = (ulong)i + 1;
            }
            foreach (ulong id in ids)
            {
                var storage = new MemoryStorage();
                Assert.Equal(StorageStatus.Ok, storage.ApplySnapshot(new Snapshot(ReadOnlyMemory<byte>.Empty, new SnapshotMetadata(new ConfState { Voters = ids }, 1, 1))));
                Nodes[id] = new RawNode(new RaftConfig
                {
                    Id = id,
                    ElectionTick = 10,
                    HeartbeatTick = 1,
                    Storage = storage,
                    MaxSizePerMsg = ulong.MaxValue,
                    Applied = 1,
                    AsyncStorageWrites = true,
                    Random = new Random(1234 + (int)id),
                });
                Storages[id] = storage;
                AppendWork[id] = new Queue<Message>();
                ApplyWork[id] = new Queue<Message>();
                Applied[id] = [];
            }
        }

        /// <summary>Takes a node's Ready: local storage requests are queued (owned), the rest goes on the network.</summary>
        private bool HandleReady(ulong id)
        {
            RawNode n = Nodes[id];
            if (!n.HasReady())
            {
                return false;
            }
            Ready rd = n.Ready();
            foreach (Message m in rd.Messages.Span)
            {
                switch (m.To)
                {
                    case LocalIds.LocalAppendThread:
                        AppendWork[id].Enqueue(OwnLocal(m));
                        break;
                    case LocalIds.LocalApplyThread:
                        ApplyWork[id].Enqueue(OwnLocal(m));
                        break;
                    default:
                        if (m.Type is MessageType.AppendResponse or MessageType.VoteResponse or MessageType.PreVoteResponse)
                        {
                            EarlyResponses++;
                        }
                        Network.Add(TestCluster.Own(m));
                        break;
                }
            }
            Storages[id].AdvanceEpoch();
            return true;
        }

        private static Message OwnLocal(in Message m)
        {
            Message c = TestCluster.Own(m);
            var responses = new Message[m.Responses.Length];
            for (int i = 0; i < responses.Length; i++)
            {
                responses[i] = TestCluster.Own(m.Responses.Span[i]);
            }
            c.Responses = responses;
            return c;
        }

        /// <summary>The append thread: persist hard state, snapshot and entries, then release the responses.</summary>
        private void RunAppend(ulong id, Message m)
        {
            MemoryStorage s = Storages[id];
            if (m.Term != 0 || m.Vote != 0 || m.Commit != 0)
            {
                Assert.Equal(StorageStatus.Ok, s.SetHardState(new HardState(m.Term, m.Vote, m.Commit)));
            }
            if (m.Snapshot is { IsEmpty: false } snap)
            {
                Assert.Equal(StorageStatus.Ok, s.ApplySnapshot(snap));
            }
            Assert.Equal(StorageStatus.Ok, s.Append(m.Entries.Span));
            Release(id, m.Responses);
        }

        /// <summary>The apply thread: apply entries (only ever durable ones), then release the responses.</summary>
        private void RunApply(ulong id, Message m)
        {
            RawNode n = Nodes[id];
            foreach (Entry e in m.Entries.Span)
            {
                Assert.True(e.Index <= Storages[id].LastIndex(), $"node {id} asked to apply {e.Index} before it was durable");
                if (e.Type == EntryType.ConfChange)
                {
                    Assert.True(ConfChangeCodec.TryDecodeV1(e.Data.Span, out ConfChange cc, out _));
                    n.ApplyConfChange(cc);
                }
                else if (e.Type == EntryType.ConfChangeV2)
                {
                    Assert.True(ConfChangeCodec.TryDecodeV2(e.Data.Span, out ConfChangeV2? cc, out _));
                    n.ApplyConfChange(cc!);
                }
                Applied[id].Add(e);
            }
            Release(id, m.Responses);
        }

        private void Release(ulong id, ReadOnlyMemory<Message> responses)
        {
            foreach (Message r in responses.Span)
            {
                if (r.To == id)
                {
                    Nodes[id].Step(r);
                }
                else
                {
                    Network.Add(r);
                }
            }
        }

        /// <summary>
        /// Rounds of: Readys, network delivery, then storage work, until nothing is left. The
        /// append work of <paramref name="holdAppendsOf"/> is left queued.
        /// </summary>
        public void Run(ulong holdAppendsOf = 0)
        {
            for (int round = 0; round < 200; round++)
            {
                bool any = false;
                foreach (ulong id in Nodes.Keys)
                {
                    any |= HandleReady(id);
                }
                Message[] batch = [.. Network];
                Network.Clear();
                foreach (Message m in batch)
                {
                    any = true;
                    Nodes[m.To].Step(m);
                }
                foreach (ulong id in Nodes.Keys)
                {
                    while (id != holdAppendsOf && AppendWork[id].Count > 0)
                    {
                        any = true;
                        RunAppend(id, AppendWork[id].Dequeue());
                    }
                    while (ApplyWork[id].Count > 0)
                    {
                        any = true;
                        RunApply(id, ApplyWork[id].Dequeue());
                    }
                }
                if (!any)
                {
                    return;
                }
            }
            throw new InvalidOperationException("cluster did not settle within 200 rounds");
        }
    }

    [Fact]
    public void Three_nodes_elect_commit_and_apply_through_storage_messages()
    {
        var c = new AsyncCluster(3);
        Assert.Equal(StepResult.Ok, c.Nodes[1].Campaign());
        c.Run();
        Assert.Equal(NodeRole.Leader, c.Nodes[1].BasicStatus().SoftState.Role);

        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(StepResult.Ok, c.Nodes[1].Propose(Payload));
            c.Run();
        }
        ulong last = c.Nodes[1].LastIndex;
        Assert.Equal(7UL, last);
        foreach (ulong id in c.Nodes.Keys)
        {
            BasicStatus st = c.Nodes[id].BasicStatus();
            Assert.Equal(last, st.HardState.Commit);
            Assert.Equal(last, st.Applied);
            Assert.Equal(last, c.Storages[id].LastIndex());
            Assert.Equal(st.HardState, c.Storages[id].HardState);
            Assert.Equal([2UL, 3UL, 4UL, 5UL, 6UL, 7UL], c.Applied[id].Select(e => e.Index));
            Assert.Equal(Payload, c.Applied[id][^1].Data.ToArray());
        }
        // Votes and append acknowledgements only ever left with the storage responses.
        Assert.Equal(0, c.EarlyResponses);
    }

    [Fact]
    public void Leader_commits_on_followers_acks_but_applies_only_what_it_has_persisted()
    {
        var c = new AsyncCluster(3);
        c.Nodes[1].Campaign();
        c.Run();
        RawNode leader = c.Nodes[1];

        Assert.Equal(StepResult.Ok, leader.Propose(Payload));
        c.Run(holdAppendsOf: 1);
        // Both followers persisted and acknowledged: committed, even on the leader...
        Assert.Equal(3UL, leader.BasicStatus().HardState.Commit);
        Assert.Equal(3UL, c.Applied[2][^1].Index);
        // ...but the leader's own write is still queued, so it has applied nothing new.
        Assert.Equal(2UL, leader.BasicStatus().Applied);
        Assert.DoesNotContain(c.Applied[1], e => e.Index == 3);
        Assert.NotEmpty(c.AppendWork[1]);

        c.Run();
        Assert.Equal(3UL, leader.BasicStatus().Applied);
        Assert.Equal(3UL, c.Applied[1][^1].Index);
    }

    [Fact]
    public void Advance_is_refused_with_async_storage_writes()
    {
        var c = new AsyncCluster(1);
        c.Nodes[1].Campaign();
        c.Nodes[1].Ready();
        Assert.Throws<RaftPanicException>(() => c.Nodes[1].Advance());
    }
}
