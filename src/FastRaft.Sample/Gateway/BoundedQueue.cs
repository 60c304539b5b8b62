using System.Numerics;
using System.Runtime.InteropServices;

namespace FastRaft.Sample.Gateway;

/// <summary>
/// A fixed-size lock-free queue of references for any number of producers and consumers
/// (Vyukov's bounded queue: each cell carries a sequence number that says whose turn it is, so
/// a claim is one compare-and-swap and a publish one ordered store). The gateway uses it for a
/// connection's replies (completion threads in, the connection's writer out) and for the pool of
/// reply slots. Allocation-free after construction.
/// </summary>
internal sealed class BoundedQueue<T>
    where T : class
{
    private readonly Cell[] _cells;
    private readonly int _mask;
    private long _enqueuePosition;
    private long _dequeuePosition;

    /// <param name="capacity">Rounded up to a power of two.</param>
    public BoundedQueue(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        int size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity, 2));
        _cells = new Cell[size];
        for (int i = 0; i < size; i++)
        {
            _cells[i].Sequence = i;
        }
        _mask = size - 1;
    }

    public int Capacity => _cells.Length;

    /// <summary>Whether nothing is queued (a racy snapshot, exact when no one else is enqueuing).</summary>
    public bool IsEmpty => Volatile.Read(ref _enqueuePosition) == Volatile.Read(ref _dequeuePosition);

    /// <summary>Queues <paramref name="item"/>; false when the queue is full.</summary>
    public bool TryEnqueue(T item)
    {
        long position = Volatile.Read(ref _enqueuePosition);
        while (true)
        {
            ref Cell cell = ref _cells[position & _mask];
            long sequence = Volatile.Read(ref cell.Sequence);
            long difference = sequence - position;
            if (difference == 0)
            {
                long seen = Interlocked.CompareExchange(ref _enqueuePosition, position + 1, position);
                if (seen == position)
                {
                    cell.Item = item;
                    Volatile.Write(ref cell.Sequence, position + 1);
                    return true;
                }
                position = seen;
            }
            else if (difference < 0)
            {
                return false;
            }
            else
            {
                position = Volatile.Read(ref _enqueuePosition);
            }
        }
    }

    /// <summary>Takes the oldest item; false when none is published.</summary>
    public bool TryDequeue(out T item)
    {
        long position = Volatile.Read(ref _dequeuePosition);
        while (true)
        {
            ref Cell cell = ref _cells[position & _mask];
            long sequence = Volatile.Read(ref cell.Sequence);
            long difference = sequence - (position + 1);
            if (difference == 0)
            {
                long seen = Interlocked.CompareExchange(ref _dequeuePosition, position + 1, position);
                if (seen == position)
                {
                    item = cell.Item!;
                    cell.Item = null;
                    Volatile.Write(ref cell.Sequence, position + _cells.Length);
                    return true;
                }
                position = seen;
            }
            else if (difference < 0)
            {
                item = null!;
                return false;
            }
            else
            {
                position = Volatile.Read(ref _dequeuePosition);
            }
        }
    }

    [StructLayout(LayoutKind.Auto)]
    private struct Cell
    {
        public long Sequence;
        public T? Item;
    }
}
