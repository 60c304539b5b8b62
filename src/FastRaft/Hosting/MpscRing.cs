using System.Numerics;
using System.Runtime.CompilerServices;

namespace FastRaft.Hosting;

/// <summary>The outcome of queueing into an <see cref="MpscRing{T}"/>.</summary>
internal enum EnqueueResult
{
    Ok,
    Full,
    Closed,
}

/// <summary>
/// A bounded, lock-free queue from many producer threads to one consumer (the node thread).
/// Producers claim a position with one compare-and-swap and publish their item in its cell with
/// a sequence number (Vyukov's bounded queue); the consumer takes a run of published items
/// without any atomic operation but one ordered store. At most <c>maxCapacity</c> items are
/// queued at once. The array doubles, up to the bound, when it fills, so once warmed up nothing
/// is allocated. After <see cref="Close"/> every enqueue answers <see cref="EnqueueResult.Closed"/>,
/// and draining until empty returns every item whose enqueue answered Ok: nothing slips in
/// behind the final drain and nothing accepted is lost.
/// </summary>
/// <remarks>
/// Growth, after the lock-free growable queues of JCTools: the producer that finds the array
/// full (all cells but one in use) takes the producer index to an odd value, which holds the
/// other producers off for the moment; it allocates the doubled array, puts its item there,
/// links the old array to the new one and writes a "jump" mark in the cell it would have used
/// (the one always kept free for this), then releases the index. The consumer, reaching the
/// mark, continues in the new array; items claimed before the growth are still read from the
/// old one, in order. Closing sets a bit in the producer index, so a claim either happened
/// before the close (and will be drained) or sees it.
/// </remarks>
internal sealed class MpscRing<T>
{
    // The producer index: the claimed item count times two, plus one while an array is being
    // replaced, plus ClosedBit once closed.
    private const long ClosedBit = 1L << 62;
    private const long Resizing = 1;
    private const long ClaimStep = 2;

    private readonly int _maxCapacity;
    private readonly int _finalCapacity;

    private long _producerIndex;

    // The array producers write to; replaced by the growing producer before it releases the index.
    private Cells _producerCells;

    // Items taken by the consumer (written by it alone, read by producers to see free room).
    private long _consumerIndex;

    // The array the consumer reads (it moves to the next one at a jump mark).
    private Cells _consumerCells;

    public MpscRing(int initialCapacity, int maxCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCapacity, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxCapacity, 1 << 30);
        _maxCapacity = maxCapacity;
        _finalCapacity = (int)BitOperations.RoundUpToPowerOf2((uint)maxCapacity);
        int initial = Math.Min((int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(initialCapacity, 2)), _finalCapacity);
        _producerCells = new Cells(initial);
        _consumerCells = _producerCells;
    }

    /// <summary>Items queued now (a hint: producers may be adding).</summary>
    public int Count
    {
        get
        {
            long consumed = Volatile.Read(ref _consumerIndex);
            long claimed = (Volatile.Read(ref _producerIndex) & ~ClosedBit) / ClaimStep;
            return (int)Math.Max(0, claimed - consumed);
        }
    }

    /// <summary>The length of the array now in use (grows in powers of two up to the bound).</summary>
    public int ArrayLength => Volatile.Read(ref _producerCells).Length;

    public EnqueueResult TryEnqueue(T item)
    {
        SpinWait spin = default;
        while (true)
        {
            long p = Volatile.Read(ref _producerIndex);
            if ((p & ClosedBit) != 0)
            {
                return EnqueueResult.Closed;
            }
            if ((p & Resizing) != 0)
            {
                // Another producer is replacing the array: wait for the new one.
                spin.SpinOnce();
                continue;
            }
            long position = p / ClaimStep;
            // Read after the index: the array matches it unless the index moves on (then the CAS fails).
            Cells cells = Volatile.Read(ref _producerCells);
            long queued = position - Volatile.Read(ref _consumerIndex);
            if (queued >= _maxCapacity)
            {
                return EnqueueResult.Full;
            }
            if (cells.Length < _finalCapacity && queued >= cells.Length - 1)
            {
                // The last free cell is kept for the jump mark: grow instead.
                if (Interlocked.CompareExchange(ref _producerIndex, p + Resizing, p) == p)
                {
                    Grow(cells, position, item);
                    return EnqueueResult.Ok;
                }
                continue;
            }
            if (Interlocked.CompareExchange(ref _producerIndex, p + ClaimStep, p) == p)
            {
                cells.Publish(position, item);
                return EnqueueResult.Ok;
            }
        }
    }

    /// <summary>
    /// Moves up to <paramref name="destination"/>.Length items out, oldest first; returns how
    /// many. Consumer thread only. Before <see cref="Close"/> it stops at an item still being
    /// written (its producer wakes the consumer once it is); after, it waits for it, so draining
    /// until 0 empties the ring of everything accepted.
    /// </summary>
    public int Drain(Span<T> destination)
    {
        Cells cells = _consumerCells;
        long position = _consumerIndex;
        int n = 0;
        SpinWait spin = default;
        while (n < destination.Length)
        {
            ref Cell cell = ref cells.At(position);
            long sequence = Volatile.Read(ref cell.Sequence);
            if (sequence == Cells.Published(position))
            {
                destination[n++] = cell.Item;
                if (RuntimeHelpers.IsReferenceOrContainsReferences<T>())
                {
                    cell.Item = default!;
                }
                position++;
            }
            else if (sequence == Cells.Jump(position))
            {
                cells = cells.Next!;
            }
            else if (IsClaimedWhileClosed(position))
            {
                // Claimed before the close and not written yet: it is a few instructions away.
                spin.SpinOnce();
            }
            else
            {
                break;
            }
        }
        _consumerCells = cells;
        Volatile.Write(ref _consumerIndex, position);
        return n;
    }

    /// <summary>Refuses every later enqueue; what is queued (or being queued) stays to be drained.</summary>
    public void Close() => Interlocked.Or(ref _producerIndex, ClosedBit);

    private bool IsClaimedWhileClosed(long position)
    {
        long p = Volatile.Read(ref _producerIndex);
        if ((p & ClosedBit) == 0)
        {
            return false;
        }
        // A growing producer has claimed the position it holds the index at.
        long claimed = ((p & ~ClosedBit) / ClaimStep) + (p & Resizing);
        return position < claimed;
    }

    private void Grow(Cells old, long position, T item)
    {
        var next = new Cells(Math.Min(old.Length * 2, _finalCapacity));
        next.Publish(position, item);
        old.Next = next;
        // The cell kept free: the consumer reaching this position goes on in the new array.
        Volatile.Write(ref old.At(position).Sequence, Cells.Jump(position));
        Volatile.Write(ref _producerCells, next);
        // Leaves the resizing state (keeping the closed bit if a close came meanwhile).
        Interlocked.Add(ref _producerIndex, ClaimStep - Resizing);
    }

    private struct Cell
    {
        // Published(position) once the item for that position is written; Jump(position) when
        // the item is in the next array; anything else: not written yet.
        public long Sequence;
        public T Item;
    }

    private sealed class Cells(int length)
    {
        private readonly Cell[] _cells = new Cell[length];
        private readonly int _mask = length - 1;

        public int Length => _cells.Length;

        /// <summary>The array that follows this one, set before the jump mark is written.</summary>
        public Cells? Next;

        // Position + 1 (never 0, the value of a fresh cell), unique per position.
        public static long Published(long position) => position + 1;

        public static long Jump(long position) => -(position + 1);

        public ref Cell At(long position) => ref _cells[(int)position & _mask];

        public void Publish(long position, T item)
        {
            ref Cell cell = ref At(position);
            cell.Item = item;
            Volatile.Write(ref cell.Sequence, Published(position));
        }
    }
}
