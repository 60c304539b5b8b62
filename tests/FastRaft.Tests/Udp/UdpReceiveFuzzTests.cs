using FastRaft.Protocol;
using FastRaft.Tests.Codec;
using FastRaft.Transport.Udp;
using FastRaft.Transport.Udp.Wire;

namespace FastRaft.Tests.Udp;

/// <summary>
/// Whatever arrives, receiving (a receive thread, or Poll on the node thread) drops and counts
/// what it cannot use and keeps working. The forged datagrams claim to come from node 1; the
/// receiver checks ids, MACs and sequence numbers, not source addresses.
/// </summary>
public class UdpReceiveFuzzTests
{
    private static readonly byte[] Key = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];

    private static Message Heartbeat(ulong term, ulong from = 1) => new(MessageType.Heartbeat, from, to: 2, term) { Commit = 1 };

    /// <summary>Sends <paramref name="datagram"/> to node 2 and waits until node 2 has read it.</summary>
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
        long messages = g.Sinks[2].Count;
        Deliver(g, forge, datagram);
        Assert.Equal(before + 1, g[2].Counters.Dropped(reason));
        Assert.Equal(total + 1, g[2].Counters.DroppedTotal);
        Assert.Equal(messages, g.Sinks[2].Count);
    }

    [Theory]
    [InlineData(UdpMode.Threaded)]
    [InlineData(UdpMode.Polled)]
    public void Every_kind_of_bad_datagram_is_dropped_under_its_own_reason_and_the_transport_keeps_working(UdpMode mode)
    {
        using var g = new UdpGroup(3, o => o with { ClusterKey = Key, MaxDatagramSize = 1400 }, mode: mode);
        g[2].RemovePeer(3); // node 3 is now unknown to node 2
        using var forge = new DatagramForge(g[2].LocalEndPoint);
        ulong seq = 100;
        byte[] good = DatagramForge.Batch(Heartbeat(1));
        byte[] Valid() => DatagramForge.Build(DatagramKind.Messages, ++seq, good, Key);

        var rng = new Random(11);
        byte[] garbage = new byte[300];
        rng.NextBytes(garbage);
        AssertDropped(g, forge, garbage, DropReason.BadMagic);
        AssertDropped(g, forge, [], DropReason.Truncated); // empty: readable, yet "0 bytes available"
        AssertDropped(g, forge, garbage[..2], DropReason.Truncated);
        AssertDropped(g, forge, garbage[..20], DropReason.Truncated);
        AssertDropped(g, forge, Valid()[..39], DropReason.Truncated);
        AssertDropped(g, forge, new byte[1401], DropReason.Oversized);

        byte[] d = Valid();
        d[0] ^= 0xFF;
        AssertDropped(g, forge, d, DropReason.BadMagic);
        d = Valid();
        d[4] = 1; // the format before checksummed datagrams
        AssertDropped(g, forge, d, DropReason.UnsupportedVersion);
        d = Valid();
        d[5] = 9;
        AssertDropped(g, forge, d, DropReason.UnknownKind);
        d = Valid();
        d[6] |= 0x80;
        AssertDropped(g, forge, d, DropReason.Malformed);
        AssertDropped(g, forge, DatagramForge.Build(DatagramKind.Messages, ++seq, good, Key, cluster: 78), DropReason.WrongCluster);
        AssertDropped(g, forge, DatagramForge.Build(DatagramKind.Messages, ++seq, good, Key, receiver: 3), DropReason.WrongReceiver);
        AssertDropped(g, forge, DatagramForge.Build(DatagramKind.Messages, ++seq, DatagramForge.Batch(Heartbeat(1, from: 3)), Key, sender: 3), DropReason.UnknownSender);

        // Authentication: a changed byte, a wrong key, a checksum instead of a MAC, no trailer at all, no room for a MAC.
        d = Valid();
        d[DatagramHeader.Size + 3] ^= 1;
        AssertDropped(g, forge, d, DropReason.BadMac);
        AssertDropped(g, forge, DatagramForge.Build(DatagramKind.Messages, ++seq, good, new byte[32]), DropReason.BadMac);
        AssertDropped(g, forge, DatagramForge.Build(DatagramKind.Messages, ++seq, good, key: null), DropReason.BadMac);
        AssertDropped(g, forge, DatagramForge.BuildBare(DatagramKind.Messages, ++seq, good), DropReason.BadMac);
        AssertDropped(g, forge, Valid()[..(DatagramHeader.Size + 10)], DropReason.Truncated);

        // Replay: the same datagram twice; a sequence number fallen out of the window.
        d = Valid();
        Deliver(g, forge, d);
        Assert.Equal(1, g.Sinks[2].Count);
        AssertDropped(g, forge, d, DropReason.Replayed);
        seq += 5000;
        Deliver(g, forge, Valid());
        AssertDropped(g, forge, DatagramForge.Build(DatagramKind.Messages, seq - 2000, good, Key), DropReason.Replayed);
        Assert.Equal(2, g.Sinks[2].Count);

        // Authentic but malformed bodies.
        AssertDropped(g, forge, DatagramForge.Build(DatagramKind.Messages, ++seq, DatagramForge.BatchWithCount(2, Heartbeat(1)), Key), DropReason.Malformed);
        AssertDropped(g, forge, DatagramForge.Build(DatagramKind.Messages, ++seq, DatagramForge.BatchWithCount(0), Key), DropReason.Malformed);
        AssertDropped(g, forge, DatagramForge.Build(DatagramKind.Messages, ++seq, [.. good, 0xC0], Key), DropReason.Malformed);
        AssertDropped(g, forge, DatagramForge.Build(DatagramKind.Messages, ++seq, garbage, Key), DropReason.Malformed);
        AssertDropped(g, forge, DatagramForge.Build(DatagramKind.Messages, ++seq, DatagramForge.Batch(Heartbeat(1, from: 3)), Key), DropReason.SenderMismatch);
        AssertDropped(g, forge, DatagramForge.Build(DatagramKind.Messages, ++seq, DatagramForge.Batch(Heartbeat(1) with { To = 3 }), Key), DropReason.SenderMismatch);
        AssertDropped(g, forge, DatagramForge.Build(DatagramKind.Chunk, ++seq, garbage[..30], Key), DropReason.BadChunk);
        byte[] chunk = new byte[ChunkHeader.Size + 10];
        new ChunkHeader(TransferId: 1, TotalLength: 100, ChunkSize: 10, Index: 3, Count: 10, MessageChecksum: 0).Write(chunk); // chunks this small are never sent
        AssertDropped(g, forge, DatagramForge.Build(DatagramKind.Chunk, ++seq, chunk, Key), DropReason.BadChunk);
        chunk = new byte[ChunkHeader.Size + 500];
        new ChunkHeader(TransferId: 1, TotalLength: 5000, ChunkSize: 500, Index: 3, Count: 9, MessageChecksum: 0).Write(chunk); // count should be 10
        AssertDropped(g, forge, DatagramForge.Build(DatagramKind.Chunk, ++seq, chunk, Key), DropReason.BadChunk);
        byte[] ack = new byte[ChunkAck.Size];
        new ChunkAck(TransferId: 12345, Received: 1, ChunkAckStatus.InProgress).Write(ack);
        AssertDropped(g, forge, DatagramForge.Build(DatagramKind.ChunkAck, ++seq, ack, Key), DropReason.StaleAck);
        ack[12] = 7;
        AssertDropped(g, forge, DatagramForge.Build(DatagramKind.ChunkAck, ++seq, ack, Key), DropReason.Malformed);

        // After all that, real traffic still flows both ways.
        Assert.Equal(0, g[2].Counters.Dropped(DropReason.InternalError));
        Assert.Null(g[2].LastReceiveError);
        g[1].Send(Heartbeat(50));
        g[1].Flush();
        Assert.True(Wait.Until(() => g.Sinks[2].Messages().Any(m => m.Term == 50)));
        g[2].Send(Heartbeat(51) with { From = 2, To = 1 });
        g[2].Flush();
        Assert.True(g.Sinks[1].WaitFor(1));
    }

    [Theory]
    [InlineData(UdpMode.Threaded)]
    [InlineData(UdpMode.Polled)]
    public void One_byte_datagrams_from_anyone_count_as_wakes_and_change_nothing(UdpMode mode)
    {
        using var g = new UdpGroup(2, mode: mode);
        using var forge = new DatagramForge(g[2].LocalEndPoint);
        for (int i = 0; i < 100; i++)
        {
            forge.Send([(byte)i]);
        }
        Assert.True(Wait.Until(() => g[2].Counters.WakeDatagramsReceived == 100), $"{g[2].Counters.WakeDatagramsReceived} of 100 read");
        Assert.Equal(0, g[2].Counters.DatagramsReceived);
        Assert.Equal(0, g[2].Counters.DroppedTotal);
        Assert.Equal(0, g.Sinks[2].Count);
        g[1].Send(Heartbeat(7));
        g[1].Flush();
        Assert.True(g.Sinks[2].WaitFor(1));
        Assert.Equal(7UL, Assert.Single(g.Sinks[2].Messages()).Term);
    }

    [Theory]
    [InlineData(UdpMode.Threaded)]
    [InlineData(UdpMode.Polled)]
    public void Thousands_of_mutated_datagrams_are_each_delivered_or_dropped_and_counted(UdpMode mode)
    {
        using var g = new UdpGroup(2, UdpGroup.Insecure, mode: mode);
        using var forge = new DatagramForge(g[2].LocalEndPoint);
        var rng = new Random(2024);
        Message[] templates =
        [
            Heartbeat(3),
            CodecFixtures.App(entries: 5, payloadSize: 20) with { From = 1, To = 2 },
            CodecFixtures.AppResp() with { From = 1, To = 2 },
            CodecFixtures.Vote() with { From = 1, To = 2 },
        ];
        ulong seq = 1;
        const int Count = 3000;
        for (int i = 0; i < Count; i++)
        {
            byte[] body = DatagramForge.Batch(templates[rng.Next(templates.Length)], templates[rng.Next(templates.Length)]);
            byte[] d = DatagramForge.Build(DatagramKind.Messages, seq++, body, key: null);
            switch (rng.Next(4))
            {
                case 0: // flip a few bits anywhere
                    for (int k = rng.Next(1, 4); k > 0; k--)
                    {
                        d[rng.Next(d.Length)] ^= (byte)(1 << rng.Next(8));
                    }
                    break;
                case 1: // cut it short
                    d = d[..rng.Next(d.Length)];
                    break;
                case 2: // overwrite a stretch of the body with noise
                    int start = rng.Next(DatagramHeader.Size, d.Length);
                    rng.NextBytes(d.AsSpan(start, Math.Min(d.Length - start, rng.Next(1, 16))));
                    break;
                default: // leave it valid
                    break;
            }
            forge.Send(d);
        }
        // A datagram cut down to one byte is a wake signal: read, counted apart, harmless.
        UdpTransportCounters c = g[2].Counters;
        Assert.True(Wait.Until(() => c.DatagramsReceived + c.WakeDatagramsReceived == Count), $"{c.DatagramsReceived} + {c.WakeDatagramsReceived} of {Count} arrived");
        Assert.Equal(Count, c.MessageDatagramsReceived + c.DroppedTotal + c.WakeDatagramsReceived);
        Assert.True(c.MessageDatagramsReceived > Count / 5);
        Assert.True(c.DroppedTotal > Count / 5);
        Assert.Equal(0, c.Dropped(DropReason.InternalError));
        Assert.Null(g[2].LastReceiveError);
        Assert.True(c.Dropped(DropReason.BadChecksum) > Count / 5, "the checksum catches the mutations");

        // Without a key sequence numbers are not trusted, so no mutated number shuts the real sender out.
        Assert.Equal(0, c.Dropped(DropReason.Replayed));
        g[1].Send(Heartbeat(99));
        g[1].Flush();
        Assert.True(Wait.Until(() => g.Sinks[2].Messages().Any(m => m.Term == 99)));
    }
}
