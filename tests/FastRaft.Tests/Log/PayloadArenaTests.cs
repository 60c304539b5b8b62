using System.Runtime.InteropServices;
using FastRaft.Protocol;

namespace FastRaft.Tests.Log;

public class PayloadArenaTests
{
    private static byte[] Bytes(int length, byte fill)
    {
        var b = new byte[length];
        b.AsSpan().Fill(fill);
        return b;
    }

    private static byte[] ArrayOf(ReadOnlyMemory<byte> view)
    {
        Assert.True(MemoryMarshal.TryGetArray(view, out ArraySegment<byte> segment));
        return segment.Array!;
    }

    [Fact]
    public void Append_copies_the_payload_and_reports_its_end_position()
    {
        var arena = new PayloadArena(chunkSize: 64);
        byte[] source = Bytes(10, 7);

        ReadOnlyMemory<byte> stored = arena.Append(source, out long end);
        source[0] = 99;

        Assert.Equal(10, stored.Length);
        Assert.Equal(Bytes(10, 7), stored.ToArray());
        Assert.NotSame(source, ArrayOf(stored));
        Assert.Equal(10, end);
        Assert.Equal(10, arena.Tail);
    }

    [Fact]
    public void Empty_payload_takes_no_space()
    {
        var arena = new PayloadArena(chunkSize: 64);

        ReadOnlyMemory<byte> stored = arena.Append([], out long end);

        Assert.True(stored.IsEmpty);
        Assert.Equal(0, end);
        Assert.Equal(0, arena.LiveChunkCount);
        Assert.Equal(0, arena.AllocatedChunkCount);
    }

    [Fact]
    public void A_payload_that_does_not_fit_starts_a_new_chunk_and_never_straddles()
    {
        var arena = new PayloadArena(chunkSize: 16);
        ReadOnlyMemory<byte> a = arena.Append(Bytes(10, 1), out long endA);
        ReadOnlyMemory<byte> b = arena.Append(Bytes(10, 2), out long endB);

        Assert.NotSame(ArrayOf(a), ArrayOf(b));
        Assert.Equal(10, endA);
        Assert.Equal(16 + 10, endB); // the 6 unused bytes of the first chunk are skipped
        Assert.Equal(2, arena.LiveChunkCount);
    }

    [Fact]
    public void Released_chunk_stays_intact_for_one_epoch_and_is_reused_after_two()
    {
        var arena = new PayloadArena(chunkSize: 16);
        ReadOnlyMemory<byte> a = arena.Append(Bytes(10, 1), out long endA);
        arena.Append(Bytes(10, 2), out _);
        byte[] firstChunk = ArrayOf(a);

        arena.ReleaseBefore(endA);
        Assert.Equal(1, arena.PendingChunkCount);
        Assert.Equal(Bytes(10, 1), a.ToArray());

        arena.AdvanceEpoch();
        Assert.Equal(0, arena.FreeChunkCount);
        ReadOnlyMemory<byte> c = arena.Append(Bytes(10, 3), out _); // needs a chunk: none reusable yet
        Assert.NotSame(firstChunk, ArrayOf(c));
        Assert.Equal(Bytes(10, 1), a.ToArray()); // the view taken before the release still reads its bytes
        Assert.Equal(3, arena.AllocatedChunkCount);

        arena.AdvanceEpoch();
        Assert.Equal(1, arena.FreeChunkCount);
        ReadOnlyMemory<byte> d = arena.Append(Bytes(10, 4), out _);
        Assert.Same(firstChunk, ArrayOf(d));
        Assert.Equal(3, arena.AllocatedChunkCount);
        Assert.Equal(Bytes(10, 4), d.ToArray());
    }

    [Fact]
    public void Truncating_the_tail_never_rewrites_the_cut_bytes_of_the_current_chunk()
    {
        var arena = new PayloadArena(chunkSize: 64);
        arena.Append(Bytes(5, 1), out long endA);
        ReadOnlyMemory<byte> b = arena.Append(Bytes(5, 2), out _);

        arena.TruncateTo(endA);
        ReadOnlyMemory<byte> c = arena.Append(Bytes(5, 3), out long endC);

        Assert.Equal(Bytes(5, 2), b.ToArray()); // a view of the cut entry is still intact
        Assert.Equal(Bytes(5, 3), c.ToArray());
        Assert.True(endC > endA + 5);
    }

    [Fact]
    public void Truncating_the_tail_retires_whole_chunks_after_the_position()
    {
        var arena = new PayloadArena(chunkSize: 16);
        arena.Append(Bytes(10, 1), out long endA);
        ReadOnlyMemory<byte> b = arena.Append(Bytes(10, 2), out _);
        arena.Append(Bytes(10, 3), out _);
        Assert.Equal(3, arena.LiveChunkCount);

        arena.TruncateTo(endA);

        Assert.Equal(1, arena.LiveChunkCount);
        Assert.Equal(2, arena.PendingChunkCount);
        Assert.Equal(Bytes(10, 2), b.ToArray());
    }

    [Fact]
    public void Oversize_payload_gets_a_dedicated_chunk_that_is_not_pooled()
    {
        var arena = new PayloadArena(chunkSize: 16);
        ReadOnlyMemory<byte> big = arena.Append(Bytes(40, 9), out long endBig);
        arena.Append(Bytes(4, 1), out _);

        Assert.Equal(40, ArrayOf(big).Length);
        Assert.Equal(1, arena.AllocatedChunkCount); // only the small chunk counts as pooled

        arena.ReleaseBefore(endBig);
        arena.AdvanceEpoch();
        arena.AdvanceEpoch();

        Assert.Equal(0, arena.PendingChunkCount);
        Assert.Equal(0, arena.FreeChunkCount);
        Assert.Equal(Bytes(40, 9), big.ToArray());
    }

    [Fact]
    public void Partially_written_last_chunk_is_kept_for_writing_when_everything_is_released()
    {
        var arena = new PayloadArena(chunkSize: 64);
        arena.Append(Bytes(10, 1), out _);

        arena.ReleaseAll();

        Assert.Equal(1, arena.LiveChunkCount);
        Assert.Equal(0, arena.PendingChunkCount);
        arena.Append(Bytes(10, 2), out _);
        Assert.Equal(1, arena.AllocatedChunkCount);
    }

    [Fact]
    public void Steady_append_release_advance_allocates_nothing()
    {
        var arena = new PayloadArena(chunkSize: 1024);
        byte[] payload = Bytes(100, 5);

        void Cycle(int n)
        {
            for (int k = 0; k < n; k++)
            {
                arena.Append(payload, out long end1);
                arena.Append(payload, out long end2);
                arena.ReleaseBefore(end1);
                arena.ReleaseBefore(end2);
                arena.AdvanceEpoch();
            }
        }

        Cycle(1000);
        int chunks = arena.AllocatedChunkCount;
        long before = GC.GetAllocatedBytesForCurrentThread();
        Cycle(5000);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.Equal(chunks, arena.AllocatedChunkCount);
    }
}
