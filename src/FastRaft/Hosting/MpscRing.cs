using System.Numerics;

namespace FastRaft.Hosting;

/// <summary>The outcome of queueing into an <see cref="MpscRing{T}"/>.</summary>
internal enum EnqueueResult
{
    Ok,
    Full,
    Closed,
}

/// <summary>
/// A bounded queue from many producer threads to the node thread. Producers enqueue under a short
/// lock; the node thread takes a whole run in one lock acquisition. The ring doubles up to its
/// bound, so once warmed up it allocates nothing. After <see cref="Close"/> every enqueue fails,
/// so at shutdown nothing can slip in behind the final drain.
/// </summary>
internal sealed class MpscRing<T>
{
    private readonly Lock _gate = new();
    private readonly int _maxCapacity;
    private T[] _items;
    private int _head;
    private int _count;
    private bool _closed;

    public MpscRing(int initialCapacity, int maxCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCapacity, 1);
        _maxCapacity = maxCapacity;
        _items = new T[BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(initialCapacity, 1, maxCapacity))];
    }

    /// <summary>Items queued now (a hint: producers may be adding).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    public EnqueueResult TryEnqueue(T item)
    {
        lock (_gate)
        {
            if (_closed)
            {
                return EnqueueResult.Closed;
            }
            if (_count >= _maxCapacity)
            {
                return EnqueueResult.Full;
            }
            if (_count == _items.Length)
            {
                Grow();
            }
            _items[(_head + _count) & (_items.Length - 1)] = item;
            _count++;
            return EnqueueResult.Ok;
        }
    }

    /// <summary>Moves up to <paramref name="destination"/>.Length items out, oldest first; returns how many.</summary>
    public int Drain(Span<T> destination)
    {
        lock (_gate)
        {
            int n = Math.Min(_count, destination.Length);
            int mask = _items.Length - 1;
            for (int i = 0; i < n; i++)
            {
                ref T slot = ref _items[(_head + i) & mask];
                destination[i] = slot;
                slot = default!;
            }
            _head = (_head + n) & mask;
            _count -= n;
            return n;
        }
    }

    /// <summary>Refuses every later enqueue; what is queued stays to be drained.</summary>
    public void Close()
    {
        lock (_gate)
        {
            _closed = true;
        }
    }

    private void Grow()
    {
        var bigger = new T[Math.Min(_items.Length * 2, (int)BitOperations.RoundUpToPowerOf2((uint)_maxCapacity))];
        int mask = _items.Length - 1;
        for (int i = 0; i < _count; i++)
        {
            bigger[i] = _items[(_head + i) & mask];
        }
        _items = bigger;
        _head = 0;
    }
}
