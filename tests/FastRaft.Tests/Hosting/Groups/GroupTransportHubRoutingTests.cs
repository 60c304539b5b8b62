using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Hosting.Groups;
using FastRaft.Protocol;

namespace FastRaft.Tests.Hosting.Groups;

/// <summary>
/// A batch holding several groups' messages is routed by reference: each group gets slices of it
/// with exactly its messages, in order, and the batch goes back to the transport's pool once the
/// last group released its slice, exactly once.
/// </summary>
public class GroupTransportHubRoutingTests
{
    private static readonly ulong[] Members = [1, 2, 3];

    private static Message Append(ulong group, ulong term, byte fill) => new(MessageType.Append, 2, 1, term)
    {
        GroupId = group,
        LogTerm = term,
        Index = 10,
        Entries = new[] { new Entry(term, 11, EntryType.Normal, new byte[] { fill, fill, fill }) },
    };

    private static Message Snapshot(ulong group) => new(MessageType.Snapshot, 2, 1, 4)
    {
        GroupId = group,
        Snapshot = new Snapshot(new byte[] { 7 }, new SnapshotMetadata(new ConfState { Voters = Members }, 20, 4)),
    };

    private static InboundBatch Batch(InboundBatchPool pool, params Message[] messages)
    {
        InboundBatch batch = pool.Rent();
        foreach (Message m in messages)
        {
            batch.AddCopy(in m);
        }
        return batch;
    }

    private static (HubRig Rig, HoldingSink[] Sinks) Rig(int groups)
    {
        var rig = new HubRig();
        var sinks = new HoldingSink[groups];
        for (int g = 0; g < groups; g++)
        {
            GroupTransportView view = rig.Hub.CreateView((ulong)g + 1, new FastRaft.Hosting.Agents.SignalWaitSource());
            sinks[g] = new HoldingSink();
            view.Start(sinks[g]);
            view.OnConfigurationChanged(new ConfState { Voters = Members });
        }
        return (rig, sinks);
    }

    [Fact]
    public void Each_group_gets_exactly_its_messages_in_order_and_the_batch_returns_to_its_pool_after_the_last_slice()
    {
        (HubRig rig, HoldingSink[] sinks) = Rig(3);
        var pool = new InboundBatchPool();
        int slicesFree = rig.Hub.FreeInboundBatches;
        byte[] heartbeats = [1, 1, 1, 3, 9]; // a control message: group 1's heartbeat at term 3, commit 9
        InboundBatch batch = Batch(pool,
            Append(1, 5, 1), Append(1, 6, 2), Append(2, 5, 3),
            new Message(MessageType.Heartbeat, 2, 1, 0) { Context = heartbeats },
            Append(3, 5, 4), Append(1, 7, 5), Append(9, 5, 6));

        Assert.True(rig.Transport.Sink!.Deliver(batch));

        // Group 1: its first run, the fanned-out heartbeat, its second run; groups 2 and 3 one run each.
        Assert.Equal([2, 1, 1], sinks[0].Batches.Select(b => b.Count));
        Assert.Equal([5UL, 6UL], sinks[0].Batches[0].Messages.ToArray().Select(m => m.Term));
        Assert.Equal(MessageType.Heartbeat, sinks[0].Batches[1].Messages[0].Type);
        Assert.Equal(new byte[] { 5, 5, 5 }, sinks[0].Batches[2].Messages[0].Entries.Span[0].Data.ToArray());
        Assert.Equal([2UL], sinks[1].Batches.Select(b => b.Messages[0].GroupId));
        Assert.Equal(new byte[] { 3, 3, 3 }, sinks[1].Batches[0].Messages[0].Entries.Span[0].Data.ToArray());
        Assert.Equal([3UL], sinks[2].Batches.Select(b => b.Messages[0].GroupId));
        GroupTransportCounters c = rig.Hub.Counters;
        Assert.Equal((6L, 1L), (c.MessagesRouted, c.UnknownGroupDrops));

        // The groups step and release in their own time: the batch stays until the last slice goes.
        sinks[2].ReleaseAll();
        sinks[0].ReleaseAll();
        Assert.Equal(0, pool.FreeCount);
        Assert.Equal(new byte[] { 3, 3, 3 }, sinks[1].Batches[0].Messages[0].Entries.Span[0].Data.ToArray());
        sinks[1].ReleaseAll();
        Assert.Equal(1, pool.FreeCount);
        Assert.Equal(slicesFree + 5, rig.Hub.FreeInboundBatches); // four slices and the heartbeat's batch
    }

    [Fact]
    public void A_group_refusing_its_slice_releases_it_and_a_snapshot_in_it_is_reported_not_taken()
    {
        (HubRig rig, HoldingSink[] sinks) = Rig(2);
        var pool = new InboundBatchPool();
        sinks[1].Refuse = true;

        Assert.False(rig.Transport.Sink!.Deliver(Batch(pool, Append(1, 5, 1), Snapshot(2))));
        Assert.Single(sinks[0].Batches);
        Assert.Empty(sinks[1].Batches);
        Assert.Equal(0, pool.FreeCount);
        sinks[0].ReleaseAll();
        Assert.Equal(1, pool.FreeCount);

        // Taken, the snapshot's group keeps it until it released its slice.
        sinks[1].Refuse = false;
        Assert.True(rig.Transport.Sink!.Deliver(Batch(pool, Append(1, 6, 1), Snapshot(2))));
        Snapshot? snapshot = sinks[1].Batches[0].Messages[0].Snapshot;
        Assert.Equal(new byte[] { 7 }, snapshot!.Data.ToArray());
        sinks[0].ReleaseAll();
        sinks[1].ReleaseAll();
        Assert.Equal(1, pool.FreeCount);
    }

    [Fact]
    public void A_batch_of_only_unknown_groups_and_control_messages_returns_at_once()
    {
        (HubRig rig, _) = Rig(1);
        var pool = new InboundBatchPool();

        Assert.True(rig.Transport.Sink!.Deliver(Batch(pool,
            Append(7, 5, 1),
            new Message(MessageType.Heartbeat, 2, 1, 0) { Context = new byte[] { 1, 3 } }, // a liveness ping
            Append(8, 5, 2))));

        Assert.Equal(1, pool.FreeCount);
        Assert.Equal(2, rig.Hub.Counters.UnknownGroupDrops);
    }

    /// <summary>A group's sink that keeps the batches it is handed (as a node that has not stepped them yet) until told to release them.</summary>
    private sealed class HoldingSink : ITransportSink
    {
        public List<InboundBatch> Batches { get; } = [];

        public bool Refuse { get; set; }

        public bool Deliver(InboundBatch batch)
        {
            if (Refuse)
            {
                batch.Release();
                return false;
            }
            Batches.Add(batch);
            return true;
        }

        public void ReleaseAll()
        {
            foreach (InboundBatch b in Batches)
            {
                b.Release();
            }
        }

        public void ReportUnreachable(ulong nodeId)
        {
        }

        public void ReportSnapshot(ulong nodeId, SnapshotStatus status)
        {
        }
    }
}
