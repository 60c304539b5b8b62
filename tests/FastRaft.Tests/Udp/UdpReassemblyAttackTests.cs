using System.Buffers.Binary;
using FastRaft.Core;
using FastRaft.Protocol;
using FastRaft.Tests.Codec;
using FastRaft.Transport.Udp;
using FastRaft.Transport.Udp.Wire;

namespace FastRaft.Tests.Udp;

/// <summary>
/// The attacks of issue 10 against chunked transfers, over real sockets, with and without a key
/// (with a key, the crafted datagrams are signed with it: what a faulty or compromised peer could
/// send), received by a receive thread and by Poll on a node thread. Whatever arrives, a real snapshot gets through afterwards, and a reassembled message
/// that is not what its sender sent is refused and reported failed.
/// </summary>
public class UdpReassemblyAttackTests
{
    /// <summary>With and without a key, each with a receive thread and polled.</summary>
    public static TheoryData<bool, UdpMode> Modes => new()
    {
        { true, UdpMode.Threaded },
        { false, UdpMode.Threaded },
        { true, UdpMode.Polled },
        { false, UdpMode.Polled },
    };

    private static Message SnapshotMessage(int bytes, ulong index, int seed = 1)
    {
        var data = new byte[bytes];
        new Random(seed).NextBytes(data);
        var snap = new Snapshot(data, new SnapshotMetadata(new ConfState { Voters = [1, 2, 3] }, index, 5));
        return new Message(MessageType.Snapshot, from: 1, to: 2, term: 5) { Snapshot = snap };
    }

    private static UdpTransportOptions Configure(UdpTransportOptions o, bool authenticated) => authenticated ? o : UdpGroup.Insecure(o);

    /// <summary>Sends <paramref name="m"/> from node 1 and checks it arrives whole at node 2 and is reported finished.</summary>
    private static void AssertSnapshotGetsThrough(UdpGroup g, Message m)
    {
        g.Sinks[1].SnapshotReports.Clear();
        g[1].Send(in m);
        g[1].Flush();
        ulong index = m.Snapshot!.Metadata.Index;
        Assert.True(Wait.Until(() => g.Sinks[2].Messages().Any(x => x.Type == MessageType.Snapshot && x.Snapshot!.Metadata.Index == index)),
            $"snapshot {index} did not arrive; node 2 drops: {Drops(g[2])}");
        CodecFixtures.AssertSameMessage(m, g.Sinks[2].Messages().Single(x => x.Type == MessageType.Snapshot && x.Snapshot!.Metadata.Index == index));
        Assert.True(Wait.Until(() => !g.Sinks[1].SnapshotReports.IsEmpty));
        Assert.Equal([(2UL, SnapshotStatus.Finish)], g.Sinks[1].SnapshotReports);
    }

    private static string Drops(UdpTransport t) =>
        string.Join(", ", Enum.GetValues<DropReason>().Where(r => r != DropReason.None && t.Counters.Dropped(r) > 0).Select(r => $"{r}={t.Counters.Dropped(r)}"));

    [Theory]
    [MemberData(nameof(Modes))]
    public void After_chunks_with_extreme_transfer_ids_a_real_snapshot_still_gets_through(bool authenticated, UdpMode mode)
    {
        using var g = new UdpGroup(2, o => Configure(o, authenticated), mode: mode);
        byte[]? key = authenticated ? UdpGroup.TestKey : null;
        using var forge = new DatagramForge(g[2].LocalEndPoint);
        int chunkSize = 60_000 - DatagramHeader.Size - ChunkHeader.Size - (authenticated ? DatagramAuthenticator.MacSize : DatagramChecksum.Size);

        // A one-chunk transfer with the largest id (completes as garbage), and the first chunk of
        // one near it that never finishes. Low sequence numbers, sent before the real sender's.
        var whole = new ChunkHeader(ulong.MaxValue, 1000, chunkSize, 0, 1, 0);
        var open = new ChunkHeader(ulong.MaxValue - 1, 3 * chunkSize, chunkSize, 0, 3, 0);
        forge.Send(DatagramForge.Build(DatagramKind.Chunk, 1, DatagramForge.Chunk(in whole, new byte[whole.ExpectedLength]), key));
        forge.Send(DatagramForge.Build(DatagramKind.Chunk, 2, DatagramForge.Chunk(in open, new byte[open.ExpectedLength]), key));
        Assert.True(Wait.Until(() => g[2].Counters.DatagramsReceived == 2));
        Assert.Equal(2, g[2].Counters.ReassembliesStarted);
        Assert.Equal(1, g[2].Counters.Dropped(DropReason.BadMessageChecksum));

        AssertSnapshotGetsThrough(g, SnapshotMessage(4 * 1024 * 1024, index: 1000));
        AssertSnapshotGetsThrough(g, SnapshotMessage(1024 * 1024, index: 2000, seed: 2));
        Assert.Equal(0, g[2].Counters.Dropped(DropReason.InternalError));
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void A_reassembled_message_that_fails_its_checksum_is_refused_and_the_sender_reports_the_snapshot_failed(bool authenticated, UdpMode mode)
    {
        using var g = new UdpGroup(2, o => Configure(o, authenticated) with
        {
            TransferStallTimeout = TimeSpan.FromSeconds(30), // a failure seen must come from the refusal
        }, mode: mode);
        byte[]? key = authenticated ? UdpGroup.TestKey : null;
        // A hop that changes one byte of chunk 1's data and fixes the datagram's trailer up: every
        // datagram passes its own check, only the whole message's checksum can tell.
        int corrupt = 1;
        using var relay = new DatagramRelay(g[2].LocalEndPoint, d =>
        {
            if (d[5] == (byte)DatagramKind.Chunk
                && BinaryPrimitives.ReadInt32LittleEndian(d.AsSpan(DatagramHeader.Size + 16)) == 1
                && Interlocked.Exchange(ref corrupt, 0) == 1)
            {
                d[DatagramHeader.Size + ChunkHeader.Size + 7] ^= 0x40;
                DatagramForge.Reseal(d, key);
            }
            return d;
        });
        g[1].SetPeer(2, relay.EndPoint);

        Message m = SnapshotMessage(1024 * 1024, index: 3000);
        g[1].Send(in m);
        g[1].Flush();
        Assert.True(Wait.Until(() => !g.Sinks[1].SnapshotReports.IsEmpty), $"no report; node 2 drops: {Drops(g[2])}");
        Assert.Equal([(2UL, SnapshotStatus.Failure)], g.Sinks[1].SnapshotReports);
        // Node 2 counts the drop after its refusal left: the sender may know first.
        Assert.True(Wait.Until(() => g[2].Counters.Dropped(DropReason.BadMessageChecksum) == 1), Drops(g[2]));
        Assert.Equal(1, g[1].Counters.TransfersFailed);
        Assert.Equal(0, g.Sinks[2].Count);

        // The retry (the leader's, after its pause) is not corrupted and gets through.
        AssertSnapshotGetsThrough(g, m);
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Hundreds_of_thousands_of_random_and_crafted_datagrams_leave_a_node_able_to_take_a_multi_chunk_snapshot(bool authenticated, UdpMode mode)
    {
        const int Datagrams = 200_000;
        const int MaxMessage = 8 * 1024 * 1024;
        using var g = new UdpGroup(3, o => Configure(o, authenticated) with
        {
            MaxDatagramSize = 1400,
            MaxMessageSize = MaxMessage,
            MaxReassemblyBytesPerPeer = MaxMessage,
            MaxReassemblyBytes = 2 * MaxMessage,
            ReassemblyTimeout = TimeSpan.FromMilliseconds(300),
        }, mode: mode);
        using var forge = new DatagramForge(g[2].LocalEndPoint);
        var fuzz = new DatagramFuzz(new Random(authenticated ? 71 : 72), authenticated ? UdpGroup.TestKey : null, 1400, MaxMessage);
        UdpTransportCounters c = g[2].Counters;

        for (int sent = 0; sent < Datagrams;)
        {
            // In bursts the receiver's socket buffer holds, so most datagrams are read, not lost.
            for (int i = 0; i < 200; i++)
            {
                forge.Send(fuzz.Next());
            }
            sent += 200;
            WaitForReceiver(c, sent);
        }

        Assert.Equal(0, c.Dropped(DropReason.InternalError));
        Assert.Null(g[2].LastReceiveError);
        Assert.True(c.DatagramsReceived > Datagrams / 2, $"{c.DatagramsReceived} datagrams read");
        Assert.True(c.Dropped(authenticated ? DropReason.BadMac : DropReason.BadChecksum) > Datagrams / 10, Drops(g[2]));
        Assert.True(c.ReassembliesStarted > 10, $"crafted chunks reached the reassembler: {c.ReassembliesStarted}");

        // Nothing the fuzz left behind lives on: every reassembly it started expires...
        Assert.True(Wait.Until(() => g[2].ActiveReassemblies == 0 && g[2].ReassemblyBytes == 0),
            $"{g[2].ActiveReassemblies} reassemblies ({g[2].ReassemblyBytes} bytes) still held");
        // ...and a real snapshot of a few thousand chunks gets through, from both peers.
        AssertSnapshotGetsThrough(g, SnapshotMessage(3 * 1024 * 1024, index: 4000));
        Message fromThree = SnapshotMessage(512 * 1024, index: 5000, seed: 3) with { From = 3 };
        g[3].Send(in fromThree);
        g[3].Flush();
        Assert.True(Wait.Until(() => !g.Sinks[3].SnapshotReports.IsEmpty));
        Assert.Equal([(2UL, SnapshotStatus.Finish)], g.Sinks[3].SnapshotReports);
        Assert.Equal(0, c.Dropped(DropReason.InternalError));
    }

    /// <summary>Waits until node 2 has read what was sent, or has read nothing new for a while (the kernel dropped the rest).</summary>
    private static void WaitForReceiver(UdpTransportCounters c, long sent)
    {
        long last = -1;
        long stillSince = Environment.TickCount64;
        long deadline = Environment.TickCount64 + 10_000;
        // A random datagram of one byte is read as a wake, not counted as received.
        while (c.DatagramsReceived + c.WakeDatagramsReceived < sent && Environment.TickCount64 < deadline)
        {
            long now = c.DatagramsReceived + c.WakeDatagramsReceived;
            if (now != last)
            {
                last = now;
                stillSince = Environment.TickCount64;
            }
            else if (Environment.TickCount64 - stillSince > 50)
            {
                return;
            }
            Thread.Sleep(1);
        }
    }
}
