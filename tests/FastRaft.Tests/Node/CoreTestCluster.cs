using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage;

namespace FastRaft.Tests.Node;

/// <summary>
/// The core harness: a few RawNodes over MemoryStorage with a message queue between them, each
/// Ready handled by the test's own code (persist, apply, collect messages, Advance), like etcd's
/// raft_test network and like the conformance harness. It is kept for the core behaviour tests
/// that need what the agent does not give: the read states a Ready hands out (the agent's request
/// tracker consumes them), the core's own meaning of 0 for MaxSizePerMsg,
/// MaxCommittedSizePerReady and SnapshotStatusTimeoutTicks (the host fills those in), Readys
/// taken and advanced by the test itself. Every other behaviour test runs its nodes through
/// the agent (<see cref="TestCluster"/>). Messages are copied when collected (the Ready's views
/// die at the next Ready), so tests may hold them.
/// </summary>
internal sealed class CoreTestCluster : ITestCluster
{
    public Dictionary<ulong, RawNode> Nodes { get; } = [];

    public Dictionary<ulong, MemoryStorage> Storages { get; } = [];

    /// <summary>Messages sent and not yet delivered, in order.</summary>
    public List<Message> InFlight { get; } = [];

    /// <summary>The read states each node's Readys handed out, in order (contexts copied).</summary>
    public Dictionary<ulong, List<ReadState>> ReadStates { get; } = [];

    /// <summary>The committed entries each node applied, in order (payloads copied).</summary>
    public Dictionary<ulong, List<Entry>> Applied { get; } = [];

    public CoreTestCluster(int voters, Func<RaftConfig, RaftConfig>? configure = null, ulong snapshotIndex = 1)
    {
        ulong[] ids = new ulong[voters];
        for (int i = 0; i < voters; i++)
        {
            ids[i] = (ulong)i + 1;
        }
        foreach (ulong id in ids)
        {
            MemoryStorage storage = TestCluster.NewStorage(new ConfState { Voters = ids }, snapshotIndex);
            RaftConfig cfg = TestCluster.NodeConfig(id, snapshotIndex);
            cfg = cfg with { Storage = storage };
            cfg = configure?.Invoke(cfg) ?? cfg;
            Nodes[id] = new RawNode(cfg);
            Storages[id] = storage;
        }
    }

    /// <summary>Handles one Ready of node <paramref name="id"/>, queueing its messages. Returns whether there was one.</summary>
    public bool ProcessReady(ulong id)
    {
        RawNode n = Nodes[id];
        if (!n.HasReady())
        {
            return false;
        }
        Ready rd = n.Ready();
        MemoryStorage s = Storages[id];
        if (!rd.HardState.IsEmpty)
        {
            Assert.Equal(StorageStatus.Ok, s.SetHardState(rd.HardState));
        }
        if (rd.Snapshot is { IsEmpty: false } snap)
        {
            Assert.Equal(StorageStatus.Ok, s.ApplySnapshot(snap));
        }
        Assert.Equal(StorageStatus.Ok, s.Append(rd.Entries));
        foreach (ReadState rs in rd.ReadStates.Span)
        {
            TestCluster.ListFor(ReadStates, id).Add(rs with { RequestCtx = rs.RequestCtx.ToArray() });
        }
        foreach (Entry e in rd.CommittedEntries.Span)
        {
            TestCluster.ListFor(Applied, id).Add(e with { Data = e.Data.ToArray() });
            if (e.Type == EntryType.ConfChange)
            {
                Assert.True(ConfChangeCodec.TryDecodeV1(e.Data.Span, out ConfChange cc, out _));
                n.ApplyConfChange(cc);
            }
            else if (e.Type == EntryType.ConfChangeV2)
            {
                Assert.True(ConfChangeCodec.TryDecodeV2(e.Data.Span, out ConfChangeV2? cc, out _));
                n.ApplyConfChange(cc);
            }
        }
        foreach (Message m in rd.Messages.Span)
        {
            InFlight.Add(TestCluster.Own(m));
        }
        n.Advance();
        s.AdvanceEpoch();
        return true;
    }

    /// <summary>Delivers every queued message (dropping those <paramref name="drop"/> rejects) and handles Readys until quiet.</summary>
    public void Stabilize(Func<Message, bool>? drop = null)
    {
        for (int round = 0; round < 1000; round++)
        {
            bool any = false;
            foreach (ulong id in Nodes.Keys)
            {
                any |= ProcessReady(id);
            }
            if (InFlight.Count > 0)
            {
                any = true;
                Message[] batch = [.. InFlight];
                InFlight.Clear();
                foreach (Message m in batch)
                {
                    if (drop is not null && drop(m))
                    {
                        continue;
                    }
                    if (Nodes.TryGetValue(m.To, out RawNode? to))
                    {
                        to.Step(m);
                    }
                }
            }
            if (!any)
            {
                return;
            }
        }
        throw new InvalidOperationException("cluster did not stabilize within 1000 rounds");
    }

    /// <summary>Elects node <paramref name="id"/> and brings everyone up to date.</summary>
    public void Elect(ulong id)
    {
        Assert.Equal(StepResult.Ok, Nodes[id].Campaign());
        Stabilize();
        Assert.Equal(NodeRole.Leader, Nodes[id].BasicStatus().SoftState.Role);
    }

    /// <summary>Removes and returns the queued messages matching <paramref name="match"/>.</summary>
    public List<Message> Take(Func<Message, bool> match) => TestCluster.Take(InFlight, match);

    /// <summary>One logical tick of node <paramref name="id"/> (its Ready is left for the next ProcessReady).</summary>
    public void Tick(ulong id) => Nodes[id].Tick();

    /// <summary>Steps every queued message matching <paramref name="match"/> into its recipient at once (others stay queued).</summary>
    public int Deliver(Func<Message, bool> match)
    {
        List<Message> taken = Take(match);
        foreach (Message m in taken)
        {
            if (Nodes.TryGetValue(m.To, out RawNode? to))
            {
                to.Step(m);
            }
        }
        return taken.Count;
    }

    public RawNode AddNode(ulong id, ConfState initial, Func<RaftConfig, RaftConfig>? configure = null)
    {
        MemoryStorage storage = TestCluster.NewStorage(initial, 1);
        RaftConfig cfg = TestCluster.NodeConfig(id, 1);
        cfg = cfg with { Storage = storage };
        cfg = configure?.Invoke(cfg) ?? cfg;
        var node = new RawNode(cfg);
        Nodes[id] = node;
        Storages[id] = storage;
        return node;
    }
}
