using FastRaft.Hosting;
using FastRaft.Protocol;

namespace FastRaft.Tests.Hosting;

/// <summary>
/// Batches that share another batch's memory instead of copying it (slices, shared messages): what
/// they show, and that the batch shared goes back to its pool exactly once, when its last holder
/// releases it, and not before.
/// </summary>
public class InboundBatchSharingTests
{
    private static Message Append(ulong term, byte fill, ulong group = 1) => new(MessageType.Append, 2, 1, term)
    {
        GroupId = group,
        Entries = new[] { new Entry(term, 10 + term, EntryType.Normal, new[] { fill, fill }) },
        Context = new[] { fill },
    };

    private static InboundBatch Filled(InboundBatchPool pool, int count)
    {
        InboundBatch batch = pool.Rent();
        for (int i = 0; i < count; i++)
        {
            batch.AddCopy(Append((ulong)i + 1, (byte)(i + 1)));
        }
        return batch;
    }

    [Fact]
    public void A_slice_shows_exactly_its_range_of_the_parents_messages_without_copying_them()
    {
        var pool = new InboundBatchPool();
        InboundBatch parent = Filled(pool, 5);
        InboundBatch slice = new InboundBatchPool().Rent();

        slice.ShareRange(parent, 1, 3);

        Assert.Equal(3, slice.Count);
        Assert.Equal([2UL, 3UL, 4UL], slice.Messages.ToArray().Select(m => m.Term));
        Assert.Equal(new byte[] { 3, 3 }, slice.Messages[1].Entries.Span[0].Data.ToArray());
        // The same memory, not a copy of it.
        Assert.True(slice.Messages[0].Context.Span.Overlaps(parent.Messages[1].Context.Span));
        Assert.True(parent.IsShared);
    }

    [Fact]
    public void The_parent_returns_to_its_pool_once_its_owner_and_every_slice_released_it_whatever_the_order()
    {
        var pool = new InboundBatchPool();
        var slices = new InboundBatchPool();
        InboundBatch parent = Filled(pool, 4);
        InboundBatch a = slices.Rent();
        InboundBatch b = slices.Rent();
        a.ShareRange(parent, 0, 2);
        b.ShareRange(parent, 2, 2);

        parent.Release(); // the owner lets go first: the slices still read it
        Assert.Equal(0, pool.FreeCount);
        Assert.Equal([3UL, 4UL], b.Messages.ToArray().Select(m => m.Term));
        Assert.Equal(new byte[] { 4 }, b.Messages[1].Context.ToArray());
        a.Release();
        Assert.Equal(0, pool.FreeCount);
        Assert.Equal(1, slices.FreeCount);
        b.Release();

        Assert.Equal(1, pool.FreeCount);
        Assert.Equal(2, slices.FreeCount);
        InboundBatch reused = pool.Rent();
        Assert.Same(parent, reused);
        Assert.Equal(0, reused.Count);
        Assert.False(reused.IsShared);
    }

    [Fact]
    public void A_slice_of_a_slice_is_a_slice_of_the_owner()
    {
        var pool = new InboundBatchPool();
        InboundBatch parent = Filled(pool, 6);
        var outer = new InboundBatch();
        var inner = new InboundBatch();
        outer.ShareRange(parent, 2, 4);
        inner.ShareRange(outer, 1, 2);
        outer.Release();
        parent.Release();

        Assert.Equal([4UL, 5UL], inner.Messages.ToArray().Select(m => m.Term));
        Assert.Equal(0, pool.FreeCount);
        inner.Release();
        Assert.Equal(1, pool.FreeCount);
    }

    [Fact]
    public void Shared_messages_keep_every_owner_until_the_sharing_batch_is_released()
    {
        var pool = new InboundBatchPool();
        InboundBatch first = Filled(pool, 2);
        InboundBatch second = Filled(pool, 1);
        var sharing = new InboundBatch();
        sharing.AddShared(first.Messages[0], first);
        sharing.AddShared(first.Messages[1], first);
        sharing.AddShared(second.Messages[0], second);
        sharing.AddShared(first.Messages[0], first); // again, after another owner: held twice, released twice

        first.Release();
        second.Release();
        Assert.Equal(0, pool.FreeCount);
        Assert.Equal([1UL, 2UL, 1UL, 1UL], sharing.Messages.ToArray().Select(m => m.Term));
        Assert.Equal(new byte[] { 2, 2 }, sharing.Messages[1].Entries.Span[0].Data.ToArray());

        sharing.Release();
        Assert.Equal(2, pool.FreeCount);
        Assert.Equal(0, sharing.Count);
        Assert.Equal(0, pool.Outstanding);
    }

    [Fact]
    public void Nothing_can_be_added_to_a_slice_and_a_batch_sliced_cannot_be_reset()
    {
        var pool = new InboundBatchPool();
        InboundBatch parent = Filled(pool, 2);
        var slice = new InboundBatch();
        slice.ShareRange(parent, 0, 1);

        Assert.Throws<InvalidOperationException>(() => slice.AddCopy(Append(9, 9)));
        Assert.Throws<InvalidOperationException>(() => slice.Add(Append(9, 9)));
        Assert.Throws<InvalidOperationException>(parent.Reset);
        Assert.Equal(2, parent.Count);

        slice.Release();
        parent.Reset(); // no longer shared: the owner may reuse it
        Assert.Equal(0, parent.Count);
    }

    [Fact]
    public void Slices_released_on_many_threads_at_once_return_the_parent_exactly_once()
    {
        const int Slices = 8;
        var pool = new InboundBatchPool();
        var slicePool = new InboundBatchPool();
        for (int round = 0; round < 200; round++)
        {
            InboundBatch parent = Filled(pool, Slices);
            var parts = new InboundBatch[Slices];
            for (int i = 0; i < Slices; i++)
            {
                parts[i] = slicePool.Rent();
                parts[i].ShareRange(parent, i, 1);
            }
            parent.Release();
            using var start = new Barrier(Slices);
            var threads = new Thread[Slices];
            for (int i = 0; i < Slices; i++)
            {
                InboundBatch part = parts[i];
                threads[i] = new Thread(() =>
                {
                    start.SignalAndWait();
                    part.Release();
                });
                threads[i].Start();
            }
            foreach (Thread t in threads)
            {
                t.Join();
            }
            Assert.Equal(1, pool.FreeCount);
            Assert.Equal(Slices, slicePool.FreeCount);
        }
    }
}
