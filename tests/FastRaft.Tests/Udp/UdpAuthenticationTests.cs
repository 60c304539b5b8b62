using System.Collections.Concurrent;
using System.Net;
using FastRaft.Core.Logging;
using FastRaft.Protocol;
using FastRaft.Transport.Udp;
using FastRaft.Transport.Udp.Wire;
using Microsoft.Extensions.Logging;

namespace FastRaft.Tests.Udp;

/// <summary>
/// The transport is authenticated unless the application says otherwise in so many words; without
/// a key, datagrams still carry a CRC-32C, so corruption is dropped (forgery is not: that is what
/// the key is for).
/// </summary>
public class UdpAuthenticationTests
{
    private static Message Heartbeat(ulong term, ulong from = 1) => new(MessageType.Heartbeat, from, to: 2, term) { Commit = 1 };

    private static UdpTransportOptions Bare(ulong id = 1) => new() { LocalId = id, ClusterId = 77, Bind = new IPEndPoint(IPAddress.Loopback, 0) };

    [Fact]
    public void Without_a_cluster_key_the_transport_refuses_to_be_built_and_says_how_to_fix_it()
    {
        UdpTransportOptions o = Bare();
        var e = Assert.Throws<ArgumentException>(() => new UdpTransport(o));
        Assert.Contains("ClusterKey is not set", e.Message);
        Assert.Contains("RandomNumberGenerator.GetBytes(32)", e.Message);
        Assert.Contains("InsecureNoAuthentication = true", e.Message);
        Assert.Equal(nameof(UdpTransportOptions.ClusterKey), e.ParamName);
    }

    [Fact]
    public void A_cluster_key_together_with_InsecureNoAuthentication_is_refused_as_contradictory()
    {
        UdpTransportOptions o = Bare() with { ClusterKey = UdpGroup.TestKey, InsecureNoAuthentication = true };
        var e = Assert.Throws<ArgumentException>(() => new UdpTransport(o));
        Assert.Contains("contradicts", e.Message);
        Assert.Contains("ClusterKey", e.Message);
        Assert.Contains("InsecureNoAuthentication", e.Message);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void An_insecure_transport_says_so_once_when_it_starts_and_a_keyed_one_says_nothing(bool receiveThread)
    {
        var lines = new Tcp.ConcurrentLogger();
        UdpTransportOptions insecure = UdpGroup.Insecure(Bare(1)) with { Logger = lines, ReceiveThread = receiveThread };
        UdpTransportOptions keyed = Bare(2) with { ReceiveThread = receiveThread, ClusterKey = UdpGroup.TestKey, Logger = lines };

        using var open = new UdpTransport(insecure);
        using var secure = new UdpTransport(keyed);
        Assert.False(open.IsAuthenticated);
        Assert.True(secure.IsAuthenticated);
        Assert.Empty(lines.Lines()); // not before it starts

        open.Start(new RecordingSink());
        secure.Start(new RecordingSink());
        (LogLevel level, EventId id, string text) = Assert.Single(lines.Lines());
        Assert.Equal(LogLevel.Warning, level);
        Assert.Equal(RaftLogEvents.UdpInsecure, id);
        Assert.Contains("WITHOUT AUTHENTICATION", text);
        Assert.Contains("node 1", text);
        Assert.Contains("ClusterKey", text);
    }

    [Theory]
    [InlineData(UdpMode.Threaded)]
    [InlineData(UdpMode.Polled)]
    public void Without_a_key_a_corrupted_datagram_is_dropped_by_its_checksum(UdpMode mode)
    {
        using var g = new UdpGroup(2, UdpGroup.Insecure, mode: mode);
        using var forge = new DatagramForge(g[2].LocalEndPoint);
        byte[] body = DatagramForge.Batch(Heartbeat(5));
        byte[] Valid() => DatagramForge.Build(DatagramKind.Messages, 1, body, key: null);

        Deliver(g, forge, Valid());
        Assert.Equal(1, g.Sinks[2].Count);

        // A flipped bit in the body, in the header (the checksum covers both), in the checksum itself.
        int[] positions = [DatagramHeader.Size + 4, 9, Valid().Length - 1];
        foreach (int at in positions)
        {
            byte[] d = Valid();
            d[at] ^= 0x10;
            AssertDropped(g, forge, d, DropReason.BadChecksum);
        }
        // No trailer, or a MAC where a checksum belongs.
        AssertDropped(g, forge, DatagramForge.BuildBare(DatagramKind.Messages, 1, body), DropReason.BadChecksum);
        AssertDropped(g, forge, DatagramForge.Build(DatagramKind.Messages, 1, body, UdpGroup.TestKey), DropReason.BadMac);

        Assert.Equal(1, g.Sinks[2].Count);
        Assert.Equal(4, g[2].Counters.Dropped(DropReason.BadChecksum));
        Deliver(g, forge, Valid());
        Assert.Equal(2, g.Sinks[2].Count);
    }

    [Theory]
    [InlineData(UdpMode.Threaded)]
    [InlineData(UdpMode.Polled)]
    public void With_a_key_forged_and_unsigned_datagrams_are_dropped_and_only_signed_ones_delivered(UdpMode mode)
    {
        using var g = new UdpGroup(2, mode: mode);
        using var forge = new DatagramForge(g[2].LocalEndPoint);
        // What an attacker without the key can send: a well-formed heartbeat of a high term,
        // checksummed as an unkeyed node would, bare, or signed with a guessed key.
        byte[] body = DatagramForge.Batch(Heartbeat(1_000));
        AssertDropped(g, forge, DatagramForge.Build(DatagramKind.Messages, 1, body, key: null), DropReason.BadMac);
        AssertDropped(g, forge, DatagramForge.BuildBare(DatagramKind.Messages, 2, body), DropReason.BadMac);
        AssertDropped(g, forge, DatagramForge.Build(DatagramKind.Messages, 3, body, new byte[32]), DropReason.BadMac);
        Assert.Equal(0, g.Sinks[2].Count);

        // The real peer's datagrams pass.
        g[1].Send(Heartbeat(7));
        g[1].Flush();
        Assert.True(g.Sinks[2].WaitFor(1));
        Assert.Equal(7UL, Assert.Single(g.Sinks[2].Messages()).Term);
    }

    [Theory]
    [InlineData(UdpMode.Threaded)]
    [InlineData(UdpMode.Polled)]
    public void A_keyed_node_and_an_unkeyed_node_drop_each_others_datagrams(UdpMode mode)
    {
        using var g = new UdpGroup(2, o => o.LocalId == 2 ? UdpGroup.Insecure(o) : o, mode: mode);
        g[1].Send(Heartbeat(1));
        g[1].Flush();
        g[2].Send(Heartbeat(2) with { From = 2, To = 1 });
        g[2].Flush();
        Assert.True(Wait.Until(() => g[2].Counters.Dropped(DropReason.BadMac) == 1 && g[1].Counters.Dropped(DropReason.BadMac) == 1));
        Assert.Equal(0, g.Sinks[1].Count + g.Sinks[2].Count);
    }

    private static void Deliver(UdpGroup g, DatagramForge forge, byte[] datagram)
    {
        long before = g[2].Counters.DatagramsReceived;
        forge.Send(datagram);
        Assert.True(Wait.Until(() => g[2].Counters.DatagramsReceived == before + 1), "the datagram never arrived");
    }

    private static void AssertDropped(UdpGroup g, DatagramForge forge, byte[] datagram, DropReason reason)
    {
        long before = g[2].Counters.Dropped(reason);
        long total = g[2].Counters.DroppedTotal;
        Deliver(g, forge, datagram);
        Assert.Equal(before + 1, g[2].Counters.Dropped(reason));
        Assert.Equal(total + 1, g[2].Counters.DroppedTotal);
    }
}
