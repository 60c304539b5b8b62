using System.Net;
using FastRaft.Codec;
using FastRaft.Protocol;
using FastRaft.Tests.Codec;
using FastRaft.Transport.Udp;

namespace FastRaft.Tests.Udp;

public class UdpRoundTripTests
{
    private static Message Heartbeat(ulong term) => new(MessageType.Heartbeat, from: 1, to: 2, term) { Commit = term };

    [Theory]
    [InlineData(UdpMode.Threaded)]
    [InlineData(UdpMode.Polled)]
    public void Messages_of_every_type_round_trip_between_two_transports(UdpMode mode)
    {
        using var g = new UdpGroup(2, o => o with { MaxConcurrentTransfers = 64, MaxConcurrentReassemblies = 64 }, mode: mode);
        var rng = new Random(4242);
        var sent = new List<Message>();
        ulong term = 1;
        foreach (MessageType type in CodecFixtures.NetworkTypes)
        {
            // A few of each, with every field at random: some fit a datagram, some are chunked.
            for (int i = 0; i < 4; i++)
            {
                Message m = CodecFixtures.RandomMessage(rng);
                m.Type = type;
                m.From = 1;
                m.To = 2;
                m.Term = term++;
                sent.Add(m);
                g[1].Send(in m);
            }
        }
        g[1].Flush();

        Assert.True(g.Sinks[2].WaitFor(sent.Count), $"{g.Sinks[2].Count} of {sent.Count} arrived");
        Dictionary<ulong, Message> received = g.Sinks[2].Messages().ToDictionary(m => m.Term);
        Assert.Equal(sent.Count, received.Count);
        foreach (Message m in sent)
        {
            CodecFixtures.AssertSameMessage(m, received[m.Term]);
        }
        Assert.Equal(0, g[2].Counters.DroppedTotal);
        // On a loaded machine a slow receiver can draw early resends; their late acks are the only drops.
        Assert.Equal(g[1].Counters.Dropped(DropReason.StaleAck), g[1].Counters.DroppedTotal);
        Assert.True(g[1].Counters.DroppedTotal <= g[1].Counters.ChunksResent);
        Assert.True(g[1].Counters.TransfersStarted > 0, "some random messages should have needed chunking");
        // Every snapshot is sent as a transfer and its arrival reported to the sender's node.
        int snaps = sent.Count(m => m.Type == MessageType.Snapshot);
        Assert.True(Wait.Until(() => g.Sinks[1].SnapshotReports.Count == snaps));
        Assert.All(g.Sinks[1].SnapshotReports, r => Assert.Equal((2UL, Core.SnapshotStatus.Finish), r));
    }

    [Theory]
    [InlineData(UdpMode.Threaded)]
    [InlineData(UdpMode.Polled)]
    public void Small_messages_queued_before_a_flush_leave_in_one_datagram(UdpMode mode)
    {
        using var g = new UdpGroup(2, mode: mode);
        for (ulong i = 1; i <= 200; i++)
        {
            g[1].Send(Heartbeat(i));
        }
        Assert.Equal(0, g[1].Counters.DatagramsSent); // nothing leaves before the flush
        g[1].Flush();

        Assert.True(g.Sinks[2].WaitFor(200));
        Assert.Equal(1, g[1].Counters.MessageDatagramsSent);
        Assert.Equal(200, g[1].Counters.MessagesSent);
        Assert.Equal([200], g.Sinks[2].BatchSizes());
        Assert.Equal(Enumerable.Range(1, 200).Select(i => (ulong)i), g.Sinks[2].Messages().Select(m => m.Term));
    }

    [Theory]
    [InlineData(true, 16)] // MAC
    [InlineData(false, 4)] // CRC-32C
    public void Batches_fill_small_datagrams_as_tightly_as_the_messages_allow(bool authenticated, int trailer)
    {
        using var g = new UdpGroup(2, o =>
        {
            o = o with { MaxDatagramSize = 1400 };
            return authenticated ? o : UdpGroup.Insecure(o);
        });
        var sizes = new List<long>();
        for (ulong i = 1; i <= 300; i++)
        {
            Message m = Heartbeat(i) with { Context = new byte[(int)(i % 40)] };
            sizes.Add(RaftMessageCodec.EncodedSize(m));
            g[1].Send(in m);
        }
        g[1].Flush();

        Assert.True(g.Sinks[2].WaitFor(300));
        // Greedy packing: header (40) + count (2) + messages, up to 1,400 bytes per datagram with the trailer.
        int expected = 0;
        long used = 0;
        foreach (long s in sizes)
        {
            if (expected == 0 || used + s > 1400 - trailer)
            {
                expected++;
                used = 42;
            }
            used += s;
        }
        Assert.Equal(expected, g[1].Counters.MessageDatagramsSent);
        Assert.Equal(expected, g.Sinks[2].BatchSizes().Count);
        Assert.Equal(Enumerable.Range(1, 300).Select(i => (ulong)i), g.Sinks[2].Messages().Select(m => m.Term));
        Assert.True(g[1].Counters.BytesSent <= expected * 1400L);
    }

    [Theory]
    [InlineData(UdpMode.Threaded)]
    [InlineData(UdpMode.Polled)]
    public void Messages_to_several_peers_are_batched_per_peer(UdpMode mode)
    {
        using var g = new UdpGroup(3, mode: mode);
        for (ulong i = 1; i <= 50; i++)
        {
            g[1].Send(Heartbeat(i));
            g[1].Send(Heartbeat(i) with { To = 3 });
        }
        g[1].Flush();
        Assert.True(g.Sinks[2].WaitFor(50));
        Assert.True(g.Sinks[3].WaitFor(50));
        Assert.Equal(2, g[1].Counters.MessageDatagramsSent);
        Assert.All(g.Sinks[3].Messages(), m => Assert.Equal(3UL, m.To));
    }

    [Theory]
    [InlineData(UdpMode.Threaded)]
    [InlineData(UdpMode.Polled)]
    public void A_message_to_an_unknown_peer_is_dropped_and_reported_unreachable(UdpMode mode)
    {
        using var g = new UdpGroup(2, mode: mode);
        g[1].Send(Heartbeat(1) with { To = 9 });
        g[1].Flush();
        Assert.Equal(1, g[1].Counters.Dropped(DropReason.UnknownPeer));
        Assert.Equal([9UL], g.Sinks[1].Unreachable);
        Assert.Equal(0, g[1].Counters.DatagramsSent);
    }

    [Theory]
    [InlineData(UdpMode.Threaded)]
    [InlineData(UdpMode.Polled)]
    public void A_failed_send_is_counted_and_reported_unreachable(UdpMode mode)
    {
        using var g = new UdpGroup(2, mode: mode);
        // Port 0 is not a destination: the send system call fails at once.
        g[1].SetPeer(5, new IPEndPoint(IPAddress.Loopback, 0));
        g[1].Send(Heartbeat(1) with { To = 5 });
        g[1].Flush();
        Assert.Equal(1, g[1].Counters.SendErrors);
        Assert.Equal([5UL], g.Sinks[1].Unreachable);

        // The transport goes on working for the others.
        g[1].Send(Heartbeat(2));
        g[1].Flush();
        Assert.True(g.Sinks[2].WaitFor(1));
    }

    [Theory]
    [InlineData(UdpMode.Threaded)]
    [InlineData(UdpMode.Polled)]
    public void With_a_cluster_key_datagrams_are_authenticated_and_a_wrong_key_is_dropped(UdpMode mode)
    {
        byte[] key = new byte[32];
        new Random(3).NextBytes(key);
        using var g = new UdpGroup(3, o => o with { ClusterKey = o.LocalId == 3 ? new byte[32] : key }, mode: mode);
        g[1].Send(Heartbeat(1));
        g[1].Send(Heartbeat(2) with { To = 3 });
        g[1].Flush();
        Assert.True(g.Sinks[2].WaitFor(1));
        Assert.True(Wait.Until(() => g[3].Counters.Dropped(DropReason.BadMac) == 1));
        Assert.Equal(0, g.Sinks[3].Count);
    }

    [Theory]
    [InlineData(UdpMode.Threaded)]
    [InlineData(UdpMode.Polled)]
    public void A_refusing_inbox_is_counted_as_a_drop(UdpMode mode)
    {
        using var g = new UdpGroup(2, mode: mode);
        g.Sinks[2].Refuse = true;
        g[1].Send(Heartbeat(1));
        g[1].Flush();
        Assert.True(Wait.Until(() => g[2].Counters.Dropped(DropReason.InboxFull) == 1));
        g.Sinks[2].Refuse = false;
        g[1].Send(Heartbeat(2));
        g[1].Flush();
        Assert.True(g.Sinks[2].WaitFor(1));
    }

    [Theory]
    [InlineData(UdpMode.Threaded)]
    [InlineData(UdpMode.Polled)]
    public void Node_local_messages_are_refused_before_anything_is_queued(UdpMode mode)
    {
        using var g = new UdpGroup(2, mode: mode);
        Assert.Throws<ArgumentException>(() => g[1].Send(new Message(MessageType.Hup, 1, 2, 1)));
        g[1].Send(Heartbeat(1));
        g[1].Flush();
        Assert.True(g.Sinks[2].WaitFor(1));
        Assert.Equal(1, g[1].Counters.MessagesSent);
    }

    [Theory]
    [InlineData(UdpMode.Threaded)]
    [InlineData(UdpMode.Polled)]
    public void With_a_cluster_key_duplicated_and_reordered_datagrams_deliver_each_message_once(UdpMode mode)
    {
        using var g = new UdpGroup(2, o => o with { ClusterKey = new byte[16], FaultInjection = o.LocalId == 1 ? new UdpFaultInjection { Seed = 9, DuplicateRate = 0.2, ReorderRate = 0.2 } : null }, mode: mode);
        for (ulong i = 1; i <= 500; i++)
        {
            g[1].Send(Heartbeat(i));
            g[1].Flush(); // one datagram each
        }
        Assert.True(g.Sinks[2].WaitFor(500));
        Assert.True(Wait.Until(() => g[1].Counters.DatagramsSent == g[2].Counters.DatagramsReceived));
        Assert.Equal(500, g.Sinks[2].Count);
        Assert.Equal(Enumerable.Range(1, 500).Select(i => (ulong)i), g.Sinks[2].Messages().Select(m => m.Term).Order());
        long duplicates = g[1].Counters.DatagramsSent - 500;
        Assert.True(duplicates > 0);
        Assert.Equal(duplicates, g[2].Counters.Dropped(DropReason.Replayed));
        Assert.NotEqual(Enumerable.Range(1, 500).Select(i => (ulong)i), g.Sinks[2].Messages().Select(m => m.Term)); // some were reordered
    }

    [Theory]
    [InlineData(UdpMode.Threaded)]
    [InlineData(UdpMode.Polled)]
    public void Without_a_key_duplicates_pass_through_as_the_network_made_them(UdpMode mode)
    {
        using var g = new UdpGroup(2, o => UdpGroup.Insecure(o) with { FaultInjection = o.LocalId == 1 ? new UdpFaultInjection { Seed = 9, DuplicateRate = 0.3 } : null }, mode: mode);
        for (ulong i = 1; i <= 100; i++)
        {
            g[1].Send(Heartbeat(i));
            g[1].Flush();
        }
        long sent = g[1].Counters.DatagramsSent;
        Assert.True(sent > 100);
        Assert.True(g.Sinks[2].WaitFor(sent));
        Assert.Equal(0, g[2].Counters.Dropped(DropReason.Replayed));
    }

    [Fact]
    public void Invalid_options_are_refused_with_the_reason()
    {
        byte[] key = UdpGroup.TestKey;
        var e = Assert.Throws<ArgumentException>(() => new UdpTransport(new UdpTransportOptions { LocalId = 1, ClusterKey = key, MaxDatagramSize = 70_000 }));
        Assert.Contains("MaxDatagramSize", e.Message);
        Assert.Equal(nameof(UdpTransportOptions.MaxDatagramSize), e.ParamName);
        e = Assert.Throws<ArgumentException>(() => new UdpTransport(new UdpTransportOptions { LocalId = 1, ClusterKey = new byte[8] }));
        Assert.Contains("ClusterKey must be at least 16 bytes", e.Message);
        e = Assert.Throws<ArgumentException>(() => new UdpTransport(new UdpTransportOptions { LocalId = 1, ClusterKey = key, MaxMessageSize = 100 * 1024 * 1024 }));
        Assert.Contains("MaxReassemblyBytesPerPeer", e.Message);
        Assert.Equal(nameof(UdpTransportOptions.MaxReassemblyBytesPerPeer), e.ParamName);
        e = Assert.Throws<ArgumentException>(() => new UdpTransport(new UdpTransportOptions { LocalId = 1, ClusterKey = key, MaxReassembliesPerPeer = 0 }));
        Assert.Contains("MaxReassembliesPerPeer", e.Message);
        Assert.Equal(nameof(UdpTransportOptions.MaxReassembliesPerPeer), e.ParamName);
        e = Assert.Throws<ArgumentException>(() => new UdpTransport(new UdpTransportOptions { LocalId = 1, ClusterKey = key, ReassemblyMinBytesPerSecond = 0 }));
        Assert.Contains("ReassemblyMinBytesPerSecond", e.Message);
        e = Assert.Throws<ArgumentException>(() => new UdpTransport(new UdpTransportOptions { LocalId = 0, ClusterKey = key }));
        Assert.Equal(nameof(UdpTransportOptions.LocalId), e.ParamName);
        using var t = new UdpTransport(UdpGroup.Options(1));
        Assert.Throws<ArgumentException>(() => t.SetPeer(1, new IPEndPoint(IPAddress.Loopback, 1000)));
        Assert.Throws<ArgumentException>(() => t.SetPeer(2, new IPEndPoint(IPAddress.IPv6Loopback, 1000)));
    }
}
