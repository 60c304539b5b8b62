using System.Buffers;
using FastRaft.Codec;
using FastRaft.Core;
using FastRaft.Hosting.Groups;
using FastRaft.Protocol;
using FastRaft.Tests.Codec;

namespace FastRaft.Tests.Hosting.Groups;

/// <summary>Heartbeats of many groups to one node travel as one control message and come out as the heartbeats they were.</summary>
public class HeartbeatCoalescingTests
{
    private const int Groups = 6;

    private static Message Heartbeat(ulong group, ulong to = 2) => new(MessageType.Heartbeat, 1, to, 10 + group) { Commit = 100 * group, GroupId = group };

    private static Message Response(ulong group, ulong to = 3) => new(MessageType.HeartbeatResponse, 1, to, 20 + group) { GroupId = group };

    /// <summary>A rig (node 1) whose groups 1..6 send a heartbeat to node 2 and a response to node 3, in one cycle.</summary>
    private static HubRig SendHeartbeats()
    {
        var rig = new HubRig();
        for (ulong g = 1; g <= Groups; g++)
        {
            rig.AddGroup(g, [1, 2, 3]);
        }
        rig.Cycle(); // configuration and first pings out of the way
        rig.Transport.Sent.Clear();
        for (ulong g = 1; g <= Groups; g++)
        {
            GroupTransportView view = rig.Groups[g].View;
            view.Send(Heartbeat(g) with { GroupId = 0 }); // the view stamps the group
            view.Send(Response(g) with { GroupId = 0 });
            view.Flush();
        }
        rig.Cycle();
        return rig;
    }

    [Fact]
    public void Heartbeats_of_many_groups_to_one_peer_leave_as_one_control_message_per_type()
    {
        HubRig rig = SendHeartbeats();

        List<Message> sent = rig.Transport.Sent;
        Assert.Equal(2, sent.Count);
        Message toTwo = Assert.Single(sent, m => m.To == 2);
        Assert.Equal((MessageType.Heartbeat, 0UL, 0UL), (toTwo.Type, toTwo.GroupId, toTwo.Term));
        Message toThree = Assert.Single(sent, m => m.To == 3);
        Assert.Equal(MessageType.HeartbeatResponse, toThree.Type);
        GroupTransportCounters c = rig.Hub.Counters;
        Assert.Equal((2L * Groups, 2L), (c.CoalescedHeartbeats, c.HeartbeatControlMessages));
        Assert.Equal(1, rig.Transport.FlushCount - 1);
    }

    [Fact]
    public void A_control_message_round_trips_through_the_codec_into_each_groups_own_heartbeat()
    {
        HubRig sender = SendHeartbeats();
        var receiver = new HubRig(localId: 2);
        for (ulong g = 1; g <= Groups; g++)
        {
            receiver.AddGroup(g, [1, 2, 3]);
        }

        foreach (Message m in sender.Transport.Sent.Where(m => m.To == 2))
        {
            var output = new ArrayBufferWriter<byte>();
            RaftMessageCodec.Write(output, m);
            int offset = 0;
            Assert.True(RaftMessageCodec.TryRead(output.WrittenMemory, ref offset, new EntryBuffer(), out Message decoded, out WireError error), error.Text);
            Assert.True(receiver.Receive(decoded));
        }

        for (ulong g = 1; g <= Groups; g++)
        {
            Message got = Assert.Single(receiver.SinkOf(g).Messages());
            CodecFixtures.AssertSameMessage(Heartbeat(g), got);
        }
        Assert.Equal((long)Groups, receiver.Hub.Counters.MessagesRouted);
        Assert.Equal(0, receiver.Hub.Counters.ControlDrops);
    }

    [Fact]
    public void A_lone_heartbeat_and_heartbeats_with_a_context_travel_as_they_are()
    {
        var rig = new HubRig();
        rig.AddGroup(1, [1, 2, 3]);
        rig.AddGroup(2, [1, 2, 3]);
        rig.Cycle();
        rig.Transport.Sent.Clear();
        rig.Groups[1].View.Send(Heartbeat(1, to: 3) with { GroupId = 0 });
        // Read-index heartbeats carry a context: never coalesced.
        rig.Groups[1].View.Send(Heartbeat(1) with { GroupId = 0, Context = new byte[] { 7 } });
        rig.Groups[2].View.Send(Heartbeat(2) with { GroupId = 0, Context = new byte[] { 8 } });
        rig.Groups[1].View.Flush();
        rig.Groups[2].View.Flush();
        rig.Cycle();

        Assert.Equal(3, rig.Transport.Sent.Count);
        CodecFixtures.AssertSameMessage(Heartbeat(1, to: 3), rig.Transport.Sent.Single(m => m.To == 3));
        Assert.Equal([1UL, 2UL], rig.Transport.Sent.Where(m => m.To == 2).Select(m => m.GroupId).Order());
        Assert.Equal(0, rig.Hub.Counters.CoalescedHeartbeats);
    }

    [Fact]
    public void Control_messages_are_cut_at_the_transports_whole_message_bound()
    {
        // Room for two tuples of the largest size per control message.
        int bound = 64 + 2 * ControlFormat.MaxTupleSize;
        var rig = new HubRig(maxWholeMessageSize: bound);
        for (ulong g = 1; g <= 5; g++)
        {
            rig.AddGroup(g, [1, 2]);
        }
        rig.Cycle();
        rig.Transport.Sent.Clear();
        for (ulong g = 1; g <= 5; g++)
        {
            rig.Groups[g].View.Send(new Message(MessageType.Heartbeat, 1, 2, ulong.MaxValue) { Commit = ulong.MaxValue - g });
            rig.Groups[g].View.Flush();
        }
        rig.Cycle();

        Assert.Equal(3, rig.Transport.Sent.Count); // 2 + 2 + the last one alone
        Assert.All(rig.Transport.Sent, m => Assert.True(RaftMessageCodec.EncodedSize(m) <= bound));
        Assert.Equal(1, rig.Transport.Sent.Count(m => m.GroupId == 5));
        Assert.Equal(4, rig.Hub.Counters.CoalescedHeartbeats);
    }

    [Fact]
    public void The_documented_example_decodes_to_the_two_heartbeats()
    {
        var rig = new HubRig(localId: 2);
        rig.AddGroup(1, [1, 2]);
        rig.AddGroup(300, [1, 2]);
        byte[] context = [0x01, 0x01, 0x01, 0x05, 0x09, 0xAC, 0x02, 0x05, 0x0C];

        rig.Receive(new Message(MessageType.Heartbeat, 1, 2, 0) { Context = context });

        CodecFixtures.AssertSameMessage(new Message(MessageType.Heartbeat, 1, 2, 5) { Commit = 9, GroupId = 1 }, rig.SinkOf(1).Messages().Single());
        CodecFixtures.AssertSameMessage(new Message(MessageType.Heartbeat, 1, 2, 5) { Commit = 12, GroupId = 300 }, rig.SinkOf(300).Messages().Single());
    }

    public static TheoryData<string, Message> MalformedControlMessages()
    {
        static Message Control(MessageType type, params byte[] context) => new(type, 1, 2, 0) { Context = context };
        return new()
        {
            { "no payload", Control(MessageType.Heartbeat) },
            { "header only", Control(MessageType.Heartbeat, 1) },
            { "unknown version", Control(MessageType.Heartbeat, 2, 1, 1, 5, 9) },
            { "unknown kind", Control(MessageType.Heartbeat, 1, 4, 1, 5, 9) },
            { "heartbeats as a response type", Control(MessageType.HeartbeatResponse, 1, 1, 1, 5, 9) },
            { "responses as a heartbeat type", Control(MessageType.Heartbeat, 1, 2, 1, 5, 9) },
            { "heartbeats without tuples", Control(MessageType.Heartbeat, 1, 1) },
            { "a ping with a body", Control(MessageType.Heartbeat, 1, 3, 0) },
            { "a ping of another type", Control(MessageType.Append, 1, 3) },
            { "group 0 in a tuple", Control(MessageType.Heartbeat, 1, 1, 0, 5, 9) },
            { "term 0 in a tuple", Control(MessageType.Heartbeat, 1, 1, 1, 0, 9) },
            { "a truncated tuple", Control(MessageType.Heartbeat, 1, 1, 1, 5, 9, 2, 5) },
            { "a truncated varint", Control(MessageType.Heartbeat, 1, 1, 1, 5, 0x80) },
            { "an overlong varint", Control(MessageType.Heartbeat, 1, 1, 1, 0x85, 0x00, 9) },
            { "a varint beyond 64 bits", Control(MessageType.Heartbeat, 1, 1, 1, 5, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02) },
            { "a term on the control message", Control(MessageType.Heartbeat, 1, 1, 1, 5, 9) with { Term = 3 } },
            { "a commit on the control message", Control(MessageType.Heartbeat, 1, 1, 1, 5, 9) with { Commit = 3 } },
            { "a reject on the control message", Control(MessageType.HeartbeatResponse, 1, 2, 1, 5, 9) with { Reject = true } },
            { "entries on the control message", Control(MessageType.Heartbeat, 1, 1, 1, 5, 9) with { Entries = new[] { new Entry(1, 1) } } },
            { "not a control message at all", new Message(MessageType.Vote, 1, 2, 4) { LogTerm = 3, Index = 9 } },
        };
    }

    [Theory]
    [MemberData(nameof(MalformedControlMessages))]
    public void A_malformed_control_message_is_a_counted_drop_and_delivers_nothing(string what, Message control)
    {
        var rig = new HubRig(localId: 2);
        rig.AddGroup(1, [1, 2]);
        rig.AddGroup(2, [1, 2]);

        rig.Receive(control, new Message(MessageType.Heartbeat, 1, 2, 5) { GroupId = 2 });

        Assert.True(rig.Hub.Counters.ControlDrops == 1, what);
        Assert.Equal(0, rig.SinkOf(1).Count);
        Assert.Equal(1, rig.SinkOf(2).Count); // the batch's other message still arrives
    }

    [Fact]
    public void Random_control_payloads_never_throw_and_are_dropped_or_fanned_out_whole()
    {
        var rng = new Random(1414);
        var rig = new HubRig(localId: 2);
        for (ulong g = 1; g <= 3; g++)
        {
            rig.AddGroup(g, [1, 2]);
        }
        long accepted = 0;
        for (int i = 0; i < 20_000; i++)
        {
            byte[] context = new byte[rng.Next(0, 24)];
            rng.NextBytes(context);
            if (context.Length >= 2 && rng.Next(2) == 0)
            {
                // A valid header half the time, so the tuples get parsed.
                context[0] = 1;
                context[1] = (byte)rng.Next(1, 4);
            }
            for (int j = 2; j < context.Length; j++)
            {
                context[j] = rng.Next(3) == 0 ? (byte)rng.Next(1, 4) : context[j]; // known groups now and then
            }
            MessageType type = context.Length >= 2 && context[1] == 2 ? MessageType.HeartbeatResponse : MessageType.Heartbeat;
            long drops = rig.Hub.Counters.ControlDrops;
            rig.Receive(new Message(type, 1, 2, 0) { Context = context });
            accepted += rig.Hub.Counters.ControlDrops == drops ? 1 : 0;
        }
        GroupTransportCounters c = rig.Hub.Counters;
        Assert.Equal(20_000, c.ControlDrops + accepted);
        Assert.True(accepted > 100 && c.MessagesRouted > 100, $"accepted {accepted}, routed {c.MessagesRouted}");
        Assert.Equal(c.MessagesRouted, Enumerable.Range(1, 3).Sum(g => rig.SinkOf((ulong)g).Count));
    }
}
