using System.Net;
using FastRaft.Transport.Udp;
using FastRaft.Transport.Udp.Wire;

namespace FastRaft.Tests.Udp;

/// <summary>What a reassembly acknowledges: the first chunk it lacks and which later ones it holds.</summary>
public class ReassemblyProgressTests
{
    private const int ChunkSize = 10;
    private const int Count = 150;

    private static ChunkHeader Chunk(int index) => new(7, ChunkSize * Count, ChunkSize, index, Count, MessageChecksum: 0);

    private static Reassembly NewReassembly() =>
        new(new Peer(2, new IPEndPoint(IPAddress.Loopback, 9), 1400), Chunk(0), now: 0);

    [Fact]
    public void The_mask_starts_at_the_first_missing_chunk_and_crosses_word_boundaries()
    {
        Reassembly r = NewReassembly();
        byte[] data = new byte[ChunkSize];
        foreach (int i in (int[])[0, 1, 2, 60, 63, 64, 65, 70, 130])
        {
            r.Add(Chunk(i), data, now: 1);
        }

        ChunkAck ack = r.Progress;
        Assert.Equal(3, ack.FirstMissing);
        Assert.Equal(9, ack.Received);
        // Bit i is chunk 3 + i: 60, 63, 64 and 65 are inside the 64-chunk view; 70 and 130 are past it.
        ulong expected = (1UL << 57) | (1UL << 60) | (1UL << 61) | (1UL << 62);
        Assert.Equal(expected, ack.HeldMask);

        for (int i = 3; i < 60; i++)
        {
            r.Add(Chunk(i), data, now: 2);
        }
        // 60..65 are held, 61 and 62 are not: the first gap is 61.
        Assert.Equal(61, r.FirstMissing);
        Assert.Equal(0b11UL << 2 | 1UL << 4 | 1UL << 9, r.HeldMask & 0b1111111111);
    }

    [Fact]
    public void A_complete_transfer_has_no_missing_chunk()
    {
        Reassembly r = NewReassembly();
        byte[] data = new byte[ChunkSize];
        for (int i = Count - 1; i >= 0; i--)
        {
            Assert.True(r.Add(Chunk(i), data, now: 1));
        }
        Assert.False(r.Add(Chunk(5), data, now: 1));
        Assert.True(r.IsComplete);
        Assert.Equal(Count, r.FirstMissing);
        Assert.Equal(0UL, r.HeldMask);
    }
}
