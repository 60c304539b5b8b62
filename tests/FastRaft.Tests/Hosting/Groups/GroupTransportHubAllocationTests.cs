using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Hosting.Groups;
using FastRaft.Protocol;
using FastRaft.Tests.Perf;

namespace FastRaft.Tests.Hosting.Groups;

/// <summary>
/// The hub's per-message paths allocate nothing once warm: groups copying their messages into
/// pooled batches and flushing them, the hub's cycle sending them (heartbeats coalesced), and
/// inbound batches routed to their groups (coalesced heartbeats fanned out).
/// </summary>
[Collection(AllocationGateCollection.Name)]
public class GroupTransportHubAllocationTests
{
    private const int Groups = 4;

    [Fact]
    public void Sending_routing_and_coalescing_allocate_nothing_in_steady_state()
    {
        var rig = new HubRig(keep: false);
        var views = new GroupTransportView[Groups];
        for (ulong g = 1; g <= Groups; g++)
        {
            views[g - 1] = rig.AddGroup(g, [1, 2, 3], keep: false);
        }
        var entries = new[] { new Entry(3, 11, EntryType.Normal, new byte[64]) };
        var pool = new InboundBatchPool();
        byte[] coalesced = [1, 1, 1, 3, 9, 2, 3, 9, 3, 3, 9, 4, 3, 9]; // heartbeats of groups 1-4 at term 3, commit 9
        rig.Cycle(); // the first liveness pings and the configuration, once

        ulong Operation()
        {
            for (int i = 0; i < views.Length; i++)
            {
                GroupTransportView view = views[i];
                view.Send(new Message(MessageType.Append, 1, 2, 3) { LogTerm = 3, Index = 10, Commit = 9, Entries = entries });
                view.Send(new Message(MessageType.Heartbeat, 1, 3, 3) { Commit = 9 });
                view.Flush();
            }
            rig.Cycle();

            InboundBatch batch = pool.Rent();
            for (ulong g = 1; g <= Groups; g++)
            {
                batch.AddCopy(new Message(MessageType.AppendResponse, 2, 1, 3) { Index = 11, GroupId = g });
            }
            batch.AddCopy(new Message(MessageType.Heartbeat, 3, 1, 0) { Context = coalesced });
            rig.Transport.Sink!.Deliver(batch);
            return (ulong)rig.Transport.SendCount;
        }

        long allocated = AllocationGate.MeasuredBytes(Operation, entriesPerCall: Groups, out _, out int calls, warmupEntries: 20_000);

        Assert.Equal(0, allocated);
        GroupTransportCounters c = rig.Hub.Counters;
        Assert.Equal(0, c.UnknownGroupDrops + c.ControlDrops + c.OutboundDrops);
        // Every cycle: the appends alone, the heartbeats to node 3 as one control message.
        Assert.True(c.HeartbeatControlMessages >= calls);
        Assert.Equal(Groups * c.HeartbeatControlMessages, c.CoalescedHeartbeats);
        // Every call routed each group's response and fanned out each group's heartbeat; one flush per
        // call, plus the first cycle's (its pings).
        Assert.Equal(2L * Groups * (c.Flushes - 1), c.MessagesRouted);
    }
}
