using FastRaft.Core;
using FastRaft.Core.Storage;
using FastRaft.Protocol;
using FastRaft.Storage;

namespace FastRaft.Tests.Node;

/// <summary>
/// A few RawNodes over MemoryStorage with a message queue between them, for behaviour tests.
/// Ready handling follows the contract: persist, apply, collect messages, Advance. Messages are
/// copied when collected (the Ready's views die at the next Ready), so tests may hold them.
/// </summary>
internal sealed class TestCluster
{
    public Dictionary<ulong, RawNode> Nodes { get; } = [];

    public Dictionary<ulong, MemoryStorage> Storages { get; } = [];

    /// <summary>Messages sent and not yet delivered, in order.</summary>
    public List<Message> InFlight { get; } = [];

    /// <summary>The read states each node's Readys handed out, in order (contexts copied).</summary>
    public Dictionary<ulong, List<ReadState>> ReadStates { get; } = [];

    /// <summary>The committed entries each node applied, in order (payloads copied).</summary>
    public Dictionary<ulong, List<Entry>> Applied { get; } = [];

    public TestCluster(int voters, Action<RaftConfig>? configure = null, ulong snapshotIndex = 1)
    {
        ulong[] ids = new ulong[voters];
        for (int i = 0; i < voters; i++)
        {
            ids[i] = (ulong)i + 1;
        }
        foreach (ulong id in ids)
        {
            var storage = new MemoryStorage();
            var snap = new Snapshot(ReadOnlyMemory<byte>.Empty, new SnapshotMetadata(new ConfState { Voters = ids }, snapshotIndex, 1));
            Assert.Equal(StorageStatus.Ok, storage.ApplySnapshot(snap));
            var cfg = new RaftConfig
            {
                Id = id,
                ElectionTick = 10,
                HeartbeatTick = 1,
                Storage = storage,
                MaxSizePerMsg = ulong.MaxValue,
                MaxInflightMsgs = 256,
                Applied = snapshotIndex,
                Random = new Random(1234 + (int)id),
            };
            configure?.Invoke(cfg);
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
            ListFor(ReadStates, id).Add(rs with { RequestCtx = rs.RequestCtx.ToArray() });
        }
        foreach (Entry e in rd.CommittedEntries.Span)
        {
            ListFor(Applied, id).Add(e with { Data = e.Data.ToArray() });
            if (e.Type == EntryType.EntryConfChange)
            {
                Assert.True(ConfChangeCodec.TryDecodeV1(e.Data.Span, out ConfChange cc, out _));
                n.ApplyConfChange(cc);
            }
            else if (e.Type == EntryType.EntryConfChangeV2)
            {
                Assert.True(ConfChangeCodec.TryDecodeV2(e.Data.Span, out ConfChangeV2? cc, out _));
                n.ApplyConfChange(cc);
            }
        }
        foreach (Message m in rd.Messages.Span)
        {
            InFlight.Add(Own(m));
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
        Assert.Equal(StateType.StateLeader, Nodes[id].BasicStatus().SoftState.RaftState);
    }

    /// <summary>Removes and returns the queued messages matching <paramref name="match"/>.</summary>
    public List<Message> Take(Func<Message, bool> match)
    {
        var taken = InFlight.FindAll(m => match(m));
        InFlight.RemoveAll(m => match(m));
        return taken;
    }

    /// <summary>The list kept for node <paramref name="id"/>, created empty on first use.</summary>
    public static List<T> ListFor<T>(Dictionary<ulong, List<T>> lists, ulong id)
    {
        if (!lists.TryGetValue(id, out List<T>? list))
        {
            list = [];
            lists[id] = list;
        }
        return list;
    }

    public static Message Own(in Message m)
    {
        Message c = m;
        var ents = new Entry[m.Entries.Length];
        for (int i = 0; i < ents.Length; i++)
        {
            Entry e = m.Entries.Span[i];
            ents[i] = e with { Data = e.Data.ToArray() };
        }
        c.Entries = ents;
        c.Context = m.Context.ToArray();
        return c;
    }
}
