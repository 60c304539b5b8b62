using FastRaft.Core;
using FastRaft.Hosting;
using FastRaft.Hosting.Groups;
using FastRaft.Protocol;

namespace FastRaft.Tests.Hosting.Groups;

/// <summary>The hub's cycle, routing and report fan-out, driven by hand over a recording transport.</summary>
public class GroupTransportHubTests
{
    private static readonly ulong[] Members = [1, 2, 3];

    private static Message Append(ulong to, ulong term, byte fill) => new(MessageType.Append, 1, to, term)
    {
        LogTerm = term,
        Index = 10,
        Commit = 9,
        Entries = new[] { new Entry(term, 11, EntryType.Normal, new byte[] { fill, fill, fill }) },
    };

    [Fact]
    public void One_cycle_sends_every_groups_flushed_messages_stamped_with_their_group_and_flushes_once()
    {
        var rig = new HubRig();
        for (ulong g = 1; g <= 3; g++)
        {
            GroupTransportView view = rig.AddGroup(g, Members);
            view.Send(Append(2, term: g, fill: (byte)g));
            view.Send(new Message(MessageType.Vote, 1, 3, g) { LogTerm = 4, Index = 5 });
            view.Flush();
        }
        Assert.Equal(0, rig.Transport.SendCount); // nothing leaves before the hub's cycle

        Assert.True(rig.Cycle() > 0);

        Assert.Equal(1, rig.Transport.FlushCount);
        Assert.Equal("flush", rig.Events[^1]);
        List<Message> sent = rig.SentWithoutPings();
        Assert.Equal(6, sent.Count);
        for (ulong g = 1; g <= 3; g++)
        {
            Message app = Assert.Single(sent, m => m.GroupId == g && m.Type == MessageType.Append);
            Assert.Equal((2UL, g), (app.To, app.Term));
            Assert.Equal(new byte[] { (byte)g, (byte)g, (byte)g }, app.Entries.Span[0].Data.ToArray());
            Assert.Single(sent, m => m.GroupId == g && m.Type == MessageType.Vote && m.To == 3);
        }
        GroupTransportCounters c = rig.Hub.Counters;
        Assert.Equal((3L, 1L), (c.OutboundBatches, c.Flushes));

        // A cycle with nothing flushed and no ping due sends nothing and does not flush.
        Assert.Equal(0, rig.Cycle());
        Assert.Equal(1, rig.Transport.FlushCount);
    }

    [Fact]
    public void One_cycle_sends_what_a_thousand_groups_flushed_in_one_pass()
    {
        // The hub runs once per runner pass: if it sent less than every group flushes in a pass,
        // the backlog would grow by the difference each pass and messages would age.
        const int groups = 1000;
        var rig = new HubRig();
        for (ulong g = 1; g <= groups; g++)
        {
            GroupTransportView view = rig.AddGroup(g, Members);
            view.Send(new Message(MessageType.Vote, 1, 2, 5) { LogTerm = 4, Index = 5 });
            view.Flush();
        }

        rig.Cycle();

        Assert.Equal(groups, rig.SentWithoutPings().Count);
        Assert.Equal((long)groups, rig.Hub.Counters.OutboundBatches);
        Assert.Equal(1, rig.Transport.FlushCount);
    }

    [Fact]
    public void The_shared_log_is_synced_once_before_a_cycles_sends_and_never_after_them()
    {
        var rig = new HubRig(withLog: true);
        for (ulong g = 1; g <= 4; g++)
        {
            rig.AddGroup(g, Members);
        }
        rig.Cycle(); // the first liveness pings (they depend on no write)
        rig.Events.Clear();

        rig.Log!.HasUnsyncedWrites = true;
        foreach ((GroupTransportView view, _) in rig.Groups.Values)
        {
            view.Send(Append(2, 1, 7));
            view.Send(Append(3, 1, 7));
            view.Flush();
        }
        rig.Cycle();
        Assert.Equal(["sync", .. Enumerable.Repeat("send", 8), "flush"], rig.Events);

        // Nothing unsynced: no sync. Unsynced but nothing to send: no sync either (nothing leaves).
        rig.Events.Clear();
        rig.Groups[1].View.Send(Append(2, 1, 8));
        rig.Groups[1].View.Flush();
        rig.Cycle();
        Assert.Equal(["send", "flush"], rig.Events);
        rig.Events.Clear();
        rig.Log.HasUnsyncedWrites = true;
        rig.Cycle();
        Assert.Empty(rig.Events);
        Assert.Equal(1, rig.Hub.Counters.Syncs);
    }

    [Fact]
    public void A_failed_sync_stops_the_hub_before_anything_is_sent()
    {
        var events = new List<string>();
        var transport = new FakeProcessTransport(1, events);
        var hub = new GroupTransportHub(transport, new FailingCommit(), new RaftGroupHostOptions(), new FastRaft.Hosting.Agents.SignalWaitSource());
        hub.Open();
        GroupTransportView view = hub.CreateView(1, new FastRaft.Hosting.Agents.SignalWaitSource());
        view.Start(new FastRaft.Tests.Udp.RecordingSink());
        view.Send(Append(2, 1, 1));
        view.Flush();

        hub.DoWork(TimeProvider.System.GetTimestamp());

        Assert.True(hub.IsDone);
        Assert.IsType<IOException>(hub.Fault);
        Assert.Empty(events);
        hub.OnClose();
        Assert.True(transport.Disposed);
    }

    private sealed class FailingCommit : FastRaft.Core.Storage.IGroupCommit
    {
        public bool HasUnsyncedWrites => true;

        public void SyncWrites() => throw new IOException("fdatasync failed");
    }

    [Fact]
    public void Inbound_messages_are_routed_by_group_and_unknown_groups_and_bad_control_messages_are_counted_drops()
    {
        var rig = new HubRig();
        rig.AddGroup(1, Members);
        rig.AddGroup(2, Members);

        Assert.True(rig.Receive(
            Append(1, 5, 1) with { From = 2, GroupId = 1 },
            Append(1, 5, 2) with { From = 2, GroupId = 2 },
            Append(1, 6, 3) with { From = 2, GroupId = 1 },
            Append(1, 5, 4) with { From = 2, GroupId = 77 },
            new Message(MessageType.Append, 2, 1, 3) { Context = new byte[] { 0xFF, 0x00 } })); // group 0, not a control message

        Assert.Equal([5UL, 6UL], rig.SinkOf(1).Messages().Select(m => m.Term));
        Assert.Equal(new byte[] { 3, 3, 3 }, rig.SinkOf(1).Messages()[1].Entries.Span[0].Data.ToArray());
        Assert.Equal([2UL], rig.SinkOf(2).Messages().Select(m => m.GroupId));
        GroupTransportCounters c = rig.Hub.Counters;
        Assert.Equal((3L, 1L, 1L), (c.MessagesRouted, c.UnknownGroupDrops, c.ControlDrops));

        // A batch of one group goes whole; one of an unknown group is dropped whole.
        Assert.True(rig.Receive(Append(1, 7, 5) with { From = 3, GroupId = 2 }, Append(1, 8, 5) with { From = 3, GroupId = 2 }));
        Assert.Equal([5UL, 7UL, 8UL], rig.SinkOf(2).Messages().Select(m => m.Term));
        Assert.True(rig.Receive(Append(1, 7, 5) with { From = 3, GroupId = 5 }));
        // A snapshot for an unknown group is reported not taken (an in-process transport then reports it failed).
        Assert.False(rig.Receive(new Message(MessageType.Snapshot, 3, 1, 2)
        {
            GroupId = 5,
            Snapshot = new Snapshot(new byte[] { 1 }, new SnapshotMetadata(new ConfState { Voters = Members }, 10, 2)),
        }));
        Assert.Equal(3, rig.Hub.Counters.UnknownGroupDrops);
    }

    [Fact]
    public void A_removed_groups_messages_become_unknown_group_drops()
    {
        var rig = new HubRig();
        GroupTransportView view = rig.AddGroup(1, Members);
        rig.AddGroup(2, Members);
        view.Dispose();

        rig.Receive(Append(1, 5, 1) with { From = 2, GroupId = 1 }, Append(1, 5, 1) with { From = 2, GroupId = 2 });

        Assert.Equal(0, rig.SinkOf(1).Count);
        Assert.Equal(1, rig.SinkOf(2).Count);
        Assert.Equal(1, rig.Hub.Counters.UnknownGroupDrops);
        Assert.Equal(1, rig.Hub.GroupCount);
    }

    [Fact]
    public void Unreachable_goes_to_the_groups_with_that_member_and_snapshot_reports_to_the_groups_that_sent_one_since_the_last()
    {
        var rig = new HubRig();
        rig.AddGroup(1, [1, 2, 3]);
        rig.AddGroup(2, [1, 3]);
        rig.AddGroup(3, [1, 2]);

        rig.Hub.ReportUnreachable(2);
        Assert.Equal([2UL], rig.SinkOf(1).Unreachable);
        Assert.Empty(rig.SinkOf(2).Unreachable);
        Assert.Equal([2UL], rig.SinkOf(3).Unreachable);

        var snapshot = new Snapshot(new byte[] { 9, 9 }, new SnapshotMetadata(new ConfState { Voters = [1, 2, 3] }, 50, 4));
        rig.Groups[1].View.Send(new Message(MessageType.Snapshot, 1, 2, 4) { Snapshot = snapshot });
        rig.Groups[1].View.Flush();
        rig.Groups[2].View.Send(new Message(MessageType.Snapshot, 1, 3, 4) { Snapshot = snapshot });
        rig.Groups[2].View.Flush();
        rig.Cycle();
        Assert.Equal([9, 9], rig.SentWithoutPings().Single(m => m.GroupId == 1).Snapshot!.Data.ToArray());

        rig.Hub.ReportSnapshot(2, SnapshotStatus.Finish);
        rig.Hub.ReportSnapshot(2, SnapshotStatus.Failure); // nobody sent one since the last report
        Assert.Equal([(2UL, SnapshotStatus.Finish)], rig.SinkOf(1).SnapshotReports);
        Assert.Empty(rig.SinkOf(2).SnapshotReports);
        Assert.Empty(rig.SinkOf(3).SnapshotReports);
        rig.Hub.ReportSnapshot(3, SnapshotStatus.Failure);
        Assert.Equal([(3UL, SnapshotStatus.Failure)], rig.SinkOf(2).SnapshotReports);
    }

    [Fact]
    public void The_process_transport_is_given_the_union_of_every_groups_members()
    {
        var rig = new HubRig();
        rig.AddGroup(1, [1, 2, 3]);
        rig.AddGroup(2, [1, 4]);
        rig.Cycle();
        Assert.Equal([1UL, 2, 3, 4], rig.Transport.Configuration!.Voters);

        rig.Groups[2].View.OnConfigurationChanged(new ConfState { Voters = [1, 5], Learners = [6] });
        rig.Cycle();
        Assert.Equal([1UL, 2, 3, 5, 6], rig.Transport.Configuration!.Voters);

        rig.Groups[2].View.Dispose();
        rig.Cycle();
        Assert.Equal([1UL, 2, 3], rig.Transport.Configuration!.Voters);
        Assert.Equal(rig.Hub.MaxWholeMessageSize, rig.Groups[1].View.MaxWholeMessageSize);
        Assert.Same(rig.Transport.WaitSource, rig.Hub.WaitSource);
    }
}
