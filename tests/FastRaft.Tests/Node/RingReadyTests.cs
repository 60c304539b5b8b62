using System.Buffers.Binary;
using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage;

namespace FastRaft.Tests.Node;

/// <summary>
/// A Ready's entries are a view of the unstable log's ring: where the range wraps they come in
/// two pieces, and they still reach the storage complete and in order (and, with asynchronous
/// storage writes, as one piece in the MsgStorageAppend).
/// </summary>
public class RingReadyTests
{
    private const int Proposals = 2000;

    private static (RawNode Node, MemoryStorage Storage) SingleVoter(bool asyncWrites)
    {
        var storage = new MemoryStorage();
        Assert.Equal(StorageStatus.Ok, storage.ApplySnapshot(new Snapshot(ReadOnlyMemory<byte>.Empty, new SnapshotMetadata(new ConfState { Voters = [1] }, 1, 1))));
        var node = new RawNode(new RaftConfig
        {
            Id = 1,
            Storage = storage,
            ElectionTick = 10,
            HeartbeatTick = 1,
            Applied = 1,
            AsyncStorageWrites = asyncWrites,
            Random = new Random(3),
        });
        return (node, storage);
    }

    private static byte[] Payload(int n)
    {
        byte[] p = new byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(p, n);
        BinaryPrimitives.WriteInt32LittleEndian(p.AsSpan(4), ~n);
        return p;
    }

    /// <summary>Every normal entry with a payload in the storage, in index order: the proposal numbers.</summary>
    private static List<int> StoredProposals(MemoryStorage storage)
    {
        var dest = new EntryBuffer();
        Assert.Equal(StorageStatus.Ok, storage.Entries(storage.FirstIndex(), storage.LastIndex() + 1, ulong.MaxValue, dest));
        var numbers = new List<int>();
        ulong expected = storage.FirstIndex();
        foreach (ref readonly Entry e in dest.Span)
        {
            Assert.Equal(expected++, e.Index);
            if (e.Type == EntryType.Normal && e.Data.Length == 8)
            {
                int n = BinaryPrimitives.ReadInt32LittleEndian(e.Data.Span);
                Assert.Equal(~n, BinaryPrimitives.ReadInt32LittleEndian(e.Data.Span[4..]));
                numbers.Add(n);
            }
        }
        return numbers;
    }

    [Fact]
    public void Wrapped_ready_entries_are_persisted_complete_and_in_order()
    {
        (RawNode node, MemoryStorage storage) = SingleVoter(asyncWrites: false);
        node.Campaign();
        var rng = new Random(11);
        int wrapped = 0;
        int proposed = 0;

        void HandleAll()
        {
            while (node.HasReady())
            {
                Ready rd = node.Ready();
                if (!rd.Entries.IsSingleSegment)
                {
                    wrapped++;
                    Assert.Equal(rd.Entries.First.Span[^1].Index + 1, rd.Entries.Second.Span[0].Index);
                }
                Assert.Equal(StorageStatus.Ok, storage.Save(rd.HardState, rd.Entries, rd.Snapshot, rd.MustSync));
                node.Advance();
                storage.AdvanceEpoch();
            }
        }

        HandleAll();
        while (proposed < Proposals)
        {
            int batch = rng.Next(1, 10);
            for (int k = 0; k < batch; k++)
            {
                Assert.Equal(StepResult.Ok, node.Propose(Payload(proposed++)));
            }
            HandleAll();
        }

        Assert.True(wrapped > 0, "no Ready's entries wrapped around the ring");
        Assert.Equal(Enumerable.Range(0, proposed), StoredProposals(storage));
        Assert.Equal(storage.LastIndex(), node.BasicStatus().HardState.Commit);
    }

    [Fact]
    public void With_asynchronous_writes_the_storage_message_carries_the_wrapped_entries_as_one_piece()
    {
        (RawNode node, MemoryStorage storage) = SingleVoter(asyncWrites: true);
        node.Campaign();
        var rng = new Random(12);
        int wrapped = 0;
        int proposed = 0;

        void HandleAll()
        {
            while (node.HasReady())
            {
                Ready rd = node.Ready();
                bool isWrapped = !rd.Entries.IsSingleSegment;
                foreach (ref readonly Message m in rd.Messages.Span)
                {
                    if (m.Type == MessageType.StorageAppend)
                    {
                        Assert.Equal(rd.Entries.ToArray(), m.Entries.ToArray());
                        wrapped += isWrapped ? 1 : 0;
                        Assert.Equal(StorageStatus.Ok, storage.Save(new HardState(m.Term, m.Vote, m.Commit), m.Entries, m.Snapshot, true));
                    }
                    foreach (ref readonly Message resp in m.Responses.Span)
                    {
                        node.Step(resp);
                    }
                }
                storage.AdvanceEpoch();
            }
        }

        HandleAll();
        while (proposed < Proposals)
        {
            int batch = rng.Next(1, 10);
            for (int k = 0; k < batch; k++)
            {
                Assert.Equal(StepResult.Ok, node.Propose(Payload(proposed++)));
            }
            HandleAll();
        }

        Assert.True(wrapped > 0, "no Ready's entries wrapped around the ring");
        Assert.Equal(Enumerable.Range(0, proposed), StoredProposals(storage));
    }

    [Fact]
    public void Ready_entries_stay_intact_after_Advance_while_later_proposals_go_round_the_ring()
    {
        (RawNode node, MemoryStorage storage) = SingleVoter(asyncWrites: false);
        node.Campaign();
        while (node.HasReady())
        {
            Ready warm = node.Ready();
            Assert.Equal(StorageStatus.Ok, storage.Save(warm.HardState, warm.Entries, warm.Snapshot, warm.MustSync));
            node.Advance();
        }
        int proposed = 0;
        for (int round = 0; round < 50; round++)
        {
            for (int k = 0; k < 3; k++)
            {
                Assert.Equal(StepResult.Ok, node.Propose(Payload(proposed++)));
            }
            Ready rd = node.Ready();
            EntrySegments handedOut = rd.Entries;
            Entry[] seen = handedOut.ToArray();
            Assert.Equal(StorageStatus.Ok, storage.Save(rd.HardState, rd.Entries, rd.Snapshot, rd.MustSync));
            node.Advance();

            // The entries are stable and dropped from the ring; until the next Ready the view
            // must still read what it did, however many proposals follow.
            for (int k = 0; k < 200; k++)
            {
                Assert.Equal(StepResult.Ok, node.Propose(Payload(proposed++)));
            }
            Assert.Equal(seen, handedOut.ToArray());

            while (node.HasReady())
            {
                Ready more = node.Ready();
                Assert.Equal(StorageStatus.Ok, storage.Save(more.HardState, more.Entries, more.Snapshot, more.MustSync));
                node.Advance();
            }
        }
        Assert.Equal(Enumerable.Range(0, proposed), StoredProposals(storage));
    }

    [Fact]
    public void An_append_lent_from_the_ring_keeps_its_entries_when_the_leader_is_overwritten_before_the_next_Ready()
    {
        // The core harness: the test reads the Ready's views itself.
        var c = new CoreTestCluster(3);
        c.Elect(1);
        RawNode leader = c.Nodes[1];
        BasicStatus st = leader.BasicStatus();
        ulong term = st.HardState.Term;
        ulong last = leader.LastIndex;

        // Two proposals: the appends to the followers lend them from the leader's unstable ring.
        Assert.Equal(StepResult.Ok, leader.Propose("a"u8.ToArray()));
        Assert.Equal(StepResult.Ok, leader.Propose("b"u8.ToArray()));

        // Before the next Ready a leader of a higher term overwrites the second one.
        var overwrite = new Message
        {
            Type = MessageType.Append,
            From = 2,
            To = 1,
            Term = term + 1,
            Index = last + 1,
            LogTerm = term,
            Entries = new[] { new Entry(term + 1, last + 2, EntryType.Normal, "c"u8.ToArray()) },
            Commit = st.HardState.Commit,
        };
        Assert.Equal(StepResult.Ok, leader.Step(overwrite));
        Assert.Equal(NodeRole.Follower, leader.BasicStatus().SoftState.Role);

        // The appends queued before still carry what was proposed; the log holds the new entry.
        Ready rd = leader.Ready();
        var sent = new List<string>();
        foreach (ref readonly Message m in rd.Messages.Span)
        {
            if (m.Type == MessageType.Append && m.To == 2)
            {
                foreach (ref readonly Entry e in m.Entries.Span)
                {
                    sent.Add($"{e.Term}/{e.Index} {System.Text.Encoding.UTF8.GetString(e.Data.Span)}");
                }
            }
        }
        Assert.Equal([$"{term}/{last + 1} a", $"{term}/{last + 2} b"], sent);
        Assert.Equal(new Entry(term + 1, last + 2, EntryType.Normal, "c"u8.ToArray()), rd.Entries.Last);
    }
}
