using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Hosting.Agents;
using FastRaft.Hosting.Groups;
using FastRaft.Hosting.InMemory;
using FastRaft.Protocol;
using FastRaft.Tests.Perf;
using FastRaft.Tests.Udp;

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

    [Fact]
    public void Groups_messages_shared_over_an_in_memory_network_and_routed_as_slices_allocate_nothing_in_steady_state()
    {
        var network = new InMemoryNetwork();
        var options = new RaftGroupHostOptions();
        var one = new GroupTransportHub(network.CreateTransport(1), null, options, new SignalWaitSource());
        var two = new GroupTransportHub(network.CreateTransport(2), null, options, new SignalWaitSource());
        one.Open();
        two.Open();
        var leaders = new GroupTransportView[Groups];
        var followers = new GroupTransportView[Groups];
        var sink = new RecordingSink { Keep = false };
        for (ulong g = 1; g <= Groups; g++)
        {
            leaders[g - 1] = one.CreateView(g, new SignalWaitSource());
            followers[g - 1] = two.CreateView(g, new SignalWaitSource());
            foreach (GroupTransportView view in (GroupTransportView[])[leaders[g - 1], followers[g - 1]])
            {
                view.Start(sink);
                view.OnConfigurationChanged(new ConfState { Voters = [1, 2] });
            }
        }
        var entries = new[] { new Entry(3, 11, EntryType.Normal, new byte[64]), new Entry(3, 12, EntryType.Normal, new byte[64]) };
        long calls = 0;

        ulong Operation()
        {
            calls++;
            foreach (GroupTransportView view in leaders)
            {
                view.Send(new Message(MessageType.Append, 1, 2, 3) { LogTerm = 3, Index = 10, Commit = 9, Entries = entries });
                view.Flush();
            }
            long now = options.Time.GetTimestamp();
            one.DoWork(now);
            two.DoWork(now);
            foreach (GroupTransportView view in followers)
            {
                view.Send(new Message(MessageType.AppendResponse, 2, 1, 3) { Index = 12 });
                view.Flush();
            }
            two.DoWork(now);
            one.DoWork(now);
            return (ulong)sink.Count;
        }

        long allocated = AllocationGate.MeasuredBytes(Operation, entriesPerCall: Groups, out _, out _, warmupEntries: 20_000);

        Assert.Equal(0, allocated);
        Assert.Equal(0, one.Counters.UnknownGroupDrops + two.Counters.UnknownGroupDrops);
        // Every message arrived, both ways; the last call's batches all came back.
        Assert.Equal(2 * Groups * calls, sink.Count);
        Assert.Equal(0, one.OutstandingOutbound + two.OutstandingOutbound);
    }
}
