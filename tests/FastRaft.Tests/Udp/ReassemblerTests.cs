using System.Net;
using FastRaft.Storage.Wal;
using FastRaft.Transport.Udp;
using FastRaft.Transport.Udp.Wire;

namespace FastRaft.Tests.Udp;

/// <summary>
/// The reassembler on its own, on an injected clock (milliseconds): no transfer id, chunk or
/// pace of chunks leaves a sender's reassembly state stuck, and no sender takes more than its share.
/// </summary>
public class ReassemblerTests
{
    /// <summary>The nominal chunk size of 60,000-byte keyed datagrams (what the transport passes as the maximum).</summary>
    private const int ChunkSize = 60_000 - DatagramHeader.Size - ChunkHeader.Size - DatagramAuthenticator.MacSize;

    private const int MiB = 1024 * 1024;

    private static readonly byte[] Filler = Pattern(ChunkSize);

    private static byte[] Pattern(int length)
    {
        var b = new byte[length];
        new Random(1).NextBytes(b);
        return b;
    }

    private static Reassembler NewReassembler(UdpTransportCounters counters, Func<UdpTransportOptions, UdpTransportOptions>? configure = null)
    {
        var o = new UdpTransportOptions { LocalId = 9, ClusterKey = UdpGroup.TestKey, Time = new ManualClock(frequency: 1000) };
        o = configure?.Invoke(o) ?? o;
        o.Validate();
        return new Reassembler(o, ChunkSize, counters);
    }

    private static Peer NewPeer(ulong id) => new(id, new IPEndPoint(IPAddress.Loopback, 9000 + (int)id), 1400);

    private static ChunkHeader Header(ulong transferId, int total, int index, uint checksum = 0) =>
        new(transferId, total, ChunkSize, index, ChunkHeader.CountFor(total, ChunkSize), checksum);

    /// <summary>The checksum of a message made of <see cref="Filler"/> pieces, as the chunks carry it.</summary>
    private static uint ChecksumOf(int total)
    {
        uint crc = ~0u;
        for (int offset = 0; offset < total; offset += ChunkSize)
        {
            crc = Crc32C.Update(crc, Filler.AsSpan(0, Math.Min(ChunkSize, total - offset)));
        }
        return ~crc;
    }

    private static ChunkOutcome Chunk(Reassembler r, Peer p, ulong transferId, int total, int index, long now, uint checksum = 0) =>
        Chunk(r, p, Header(transferId, total, index, checksum), now, out _);

    private static ChunkOutcome Chunk(Reassembler r, Peer p, in ChunkHeader h, long now, out Reassembly? reassembly) =>
        r.Accept(p, in h, Filler.AsSpan(0, h.ExpectedLength), now, out reassembly);

    /// <summary>Sends every chunk of a transfer; returns the last outcome and the completed reassembly.</summary>
    private static ChunkOutcome Whole(Reassembler r, Peer p, ulong transferId, int total, long now, out Reassembly? done)
    {
        uint checksum = ChecksumOf(total);
        int count = ChunkHeader.CountFor(total, ChunkSize);
        ChunkOutcome last = ChunkOutcome.Bad;
        done = null;
        for (int i = 0; i < count; i++)
        {
            last = Chunk(r, p, Header(transferId, total, i, checksum), now, out done);
            if (i < count - 1)
            {
                Assert.Equal(ChunkOutcome.InProgress, last);
            }
        }
        return last;
    }

    [Fact]
    public void Chunks_with_extreme_transfer_ids_do_not_make_later_transfers_stale()
    {
        var counters = new UdpTransportCounters();
        Reassembler r = NewReassembler(counters);
        Peer p = NewPeer(1);

        // The attack: a one-chunk "transfer" with the largest id (it completes: garbage, but over),
        // and the first chunk of another near it that is never finished.
        Assert.Equal(ChunkOutcome.Completed, Chunk(r, p, ulong.MaxValue, 1000, 0, now: 0));
        Assert.Equal(ChunkOutcome.InProgress, Chunk(r, p, ulong.MaxValue - 1, 3 * ChunkSize, 0, now: 0));
        r.Expire(now: 5001);
        Assert.Equal(1, counters.ReassembliesTimedOut);
        Assert.Equal(0, r.Active);

        // A real transfer with a small id (and then a restarted sender's, smaller still) goes through.
        Assert.Equal(ChunkOutcome.Completed, Whole(r, p, 1_000_000, 3 * ChunkSize, now: 6000, out Reassembly? done));
        Assert.True(done!.IsIntact);
        p.ClosedTransfers.MarkDelivered(1_000_000);
        Assert.Equal(ChunkOutcome.Completed, Whole(r, p, 10, 2 * ChunkSize + 5, now: 6000, out done));
        Assert.True(done!.IsIntact);

        // Late chunks are answered: a delivered transfer's as delivered, the others' as over.
        Assert.Equal(ChunkOutcome.Delivered, Chunk(r, p, 1_000_000, 3 * ChunkSize, 1, now: 7000));
        Assert.Equal(ChunkOutcome.Stale, Chunk(r, p, ulong.MaxValue, 1000, 0, now: 7000));
        Assert.Equal(ChunkOutcome.Stale, Chunk(r, p, ulong.MaxValue - 1, 3 * ChunkSize, 2, now: 7000));

        // The memory of closed transfers is bounded: after enough newer ones, the oldest is forgotten.
        for (ulong id = 100; id < 100 + ClosedTransfers.Capacity; id++)
        {
            Assert.Equal(ChunkOutcome.Completed, Chunk(r, p, id, 1000, 0, now: 8000));
        }
        Assert.Equal(ChunkOutcome.InProgress, Chunk(r, p, ulong.MaxValue, 2 * ChunkSize, 0, now: 8000));
        Assert.Equal(0, counters.Dropped(DropReason.ReassemblyDeadline));
    }

    [Fact]
    public void A_trickle_fed_reassembly_does_not_block_another_peers_snapshot_and_is_abandoned_at_its_deadline()
    {
        var counters = new UdpTransportCounters();
        Reassembler r = NewReassembler(counters); // defaults: 64 MiB messages, 5 s idle timeout, 1 MiB/s minimum rate
        Peer attacker = NewPeer(2), leader = NewPeer(3);
        const int Total = 64 * MiB;
        const long Deadline = 5_000 + 64_000; // the idle timeout plus 64 MiB at 1 MiB/s

        Assert.Equal(ChunkOutcome.InProgress, Chunk(r, attacker, 500, Total, 0, now: 0));
        // A second never-finishing 64 MiB transfer from the same sender would fill the global
        // byte cap (128 MiB): it is over the sender's share.
        Assert.Equal(ChunkOutcome.RefusedForPeer, Chunk(r, attacker, 501, Total, 0, now: 0));

        // One new chunk every 2 s: never idle for the 5 s timeout.
        int index = 1;
        long now;
        for (now = 2_000; now < Deadline; now += 2_000)
        {
            Assert.Equal(ChunkOutcome.InProgress, Chunk(r, attacker, 500, Total, index++, now));
            if (now == 10_000)
            {
                // Meanwhile another peer's 64 MiB snapshot gets through.
                Assert.Equal(ChunkOutcome.Completed, Whole(r, leader, 77, Total, now, out Reassembly? snapshot));
                Assert.True(snapshot!.IsIntact);
            }
            r.Expire(now);
            Assert.Equal(1, r.Active);
            Assert.Equal(Total, r.BufferedBytes);
        }

        r.Expire(Deadline);
        Assert.Equal(0, r.Active);
        Assert.Equal(0, r.BufferedBytes);
        Assert.Equal(1, counters.ReassembliesPastDeadline);
        Assert.Equal(0, counters.ReassembliesTimedOut);
        // Its later chunks are answered as over (the transport answers "refused"); a new transfer is taken.
        Assert.Equal(ChunkOutcome.Stale, Chunk(r, attacker, 500, Total, index, Deadline + 1));
        Assert.Equal(ChunkOutcome.InProgress, Chunk(r, attacker, 502, Total, 0, Deadline + 1));
    }

    [Fact]
    public void One_sender_gets_at_most_its_share_of_reassemblies_and_the_others_keep_theirs()
    {
        var counters = new UdpTransportCounters();
        Reassembler r = NewReassembler(counters, o => o with { MaxMessageSize = MiB, MaxReassemblyBytesPerPeer = 3 * MiB / 2, MaxReassemblyBytes = 4 * MiB, MaxConcurrentReassemblies = 4, MaxReassembliesPerPeer = 2 });
        Peer a = NewPeer(1), b = NewPeer(2), c = NewPeer(3);

        Assert.Equal(ChunkOutcome.InProgress, Chunk(r, a, 1, MiB, 0, now: 0));
        Assert.Equal(ChunkOutcome.RefusedForPeer, Chunk(r, a, 2, 600 * 1024, 0, now: 0)); // over its bytes
        Assert.Equal(ChunkOutcome.InProgress, Chunk(r, a, 3, 400 * 1024, 0, now: 0, ChecksumOf(400 * 1024)));
        Assert.Equal(ChunkOutcome.RefusedForPeer, Chunk(r, a, 4, 1000, 0, now: 0)); // over its count
        Assert.Equal(ChunkOutcome.Refused, Chunk(r, a, 5, MiB + 1, 0, now: 0)); // over the message size

        // The other senders still find room, up to the global caps.
        Assert.Equal(ChunkOutcome.InProgress, Chunk(r, b, 1, MiB, 0, now: 0));
        Assert.Equal(ChunkOutcome.InProgress, Chunk(r, b, 2, 100_000, 0, now: 0));
        Assert.Equal(ChunkOutcome.Refused, Chunk(r, c, 1, 100_000, 0, now: 0)); // four slots taken
        Assert.Equal(4, r.Active);

        // Refused transfers stay refused; finishing one frees its sender's share.
        Assert.Equal(ChunkOutcome.Stale, Chunk(r, a, 2, 600 * 1024, 1, now: 1));
        Assert.Equal(ChunkOutcome.Completed, Whole(r, a, 3, 400 * 1024, now: 1, out _));
        Assert.Equal(ChunkOutcome.InProgress, Chunk(r, a, 6, 300 * 1024, 0, now: 2));
    }

    [Fact]
    public void A_chunk_that_disagrees_with_its_transfer_or_is_larger_than_any_sender_makes_is_bad_and_changes_nothing()
    {
        var counters = new UdpTransportCounters();
        Reassembler r = NewReassembler(counters);
        Peer p = NewPeer(1);
        int total = 3 * ChunkSize;
        uint checksum = ChecksumOf(total);
        Assert.Equal(ChunkOutcome.InProgress, Chunk(r, p, 7, total, 0, now: 0, checksum));
        // Another length, another chunk size or another message checksum under the same id.
        Assert.Equal(ChunkOutcome.Bad, Chunk(r, p, 7, total + 1, 1, now: 0, checksum));
        Assert.Equal(ChunkOutcome.Bad, Chunk(r, p, 7, total, 1, now: 0, checksum + 1));
        var smaller = new ChunkHeader(7, total, ChunkSize - 1, 1, ChunkHeader.CountFor(total, ChunkSize - 1), checksum);
        Assert.Equal(ChunkOutcome.Bad, Chunk(r, p, in smaller, now: 0, out _));
        // A chunk size above what this receiver's datagrams carry: not taken, not remembered.
        var huge = new ChunkHeader(8, 2 * ChunkSize, 2 * ChunkSize, 0, 1, checksum);
        Assert.Equal(ChunkOutcome.Bad, r.Accept(p, in huge, new byte[huge.ExpectedLength], now: 0, out _));
        Assert.False(p.ClosedTransfers.TryGet(8, out _));

        Assert.Equal(ChunkOutcome.InProgress, Chunk(r, p, 7, total, 1, now: 0, checksum));
        Assert.Equal(ChunkOutcome.Completed, Chunk(r, p, 7, total, 2, now: 0, checksum));
        Assert.Equal(1, counters.ReassembliesCompleted);
    }

    [Fact]
    public void A_reassembled_message_with_other_bytes_than_its_checksum_announced_is_not_intact()
    {
        var counters = new UdpTransportCounters();
        Reassembler r = NewReassembler(counters);
        Peer p = NewPeer(1);
        int total = 2 * ChunkSize;
        uint checksum = ChecksumOf(total);
        Assert.Equal(ChunkOutcome.InProgress, Chunk(r, p, 1, total, 0, now: 0, checksum));
        byte[] other = (byte[])Filler.Clone();
        other[100] ^= 1;
        Assert.Equal(ChunkOutcome.Completed, r.Accept(p, Header(1, total, 1, checksum), other, now: 0, out Reassembly? done));
        Assert.False(done!.IsIntact);
    }
}
