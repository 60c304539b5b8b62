namespace FastRaft.Hosting.Requests;

/// <summary>
/// A small thread-safe stack of reusable request objects; bounded, so a burst does not pin memory.
/// The most recently returned object waits in a slot taken and filled with one compare-and-swap,
/// without the lock: a caller with one request at a time (the closed loop) never takes it. The
/// stack's array grows (doubling, up to the bound) as more objects come back, so a node that
/// never has many requests in flight (one of thousands of mostly idle groups) keeps a small one.
/// </summary>
internal sealed class OperationPool<T>(int capacity) where T : class
{
    private const int InitialLength = 8;

    private readonly Lock _gate = new();
    private T?[] _items = new T?[Math.Min(capacity, InitialLength)];
    private int _count;
    private T? _fast;

    public T? TryRent()
    {
        T? fast = Volatile.Read(ref _fast);
        if (fast is not null && Interlocked.CompareExchange(ref _fast, null, fast) == fast)
        {
            return fast;
        }
        lock (_gate)
        {
            if (_count == 0)
            {
                return null;
            }
            T? item = _items[--_count];
            _items[_count] = null;
            return item;
        }
    }

    public void Return(T item)
    {
        if (capacity == 0)
        {
            return;
        }
        if (Volatile.Read(ref _fast) is null && Interlocked.CompareExchange(ref _fast, item, null) is null)
        {
            return;
        }
        lock (_gate)
        {
            if (_count == _items.Length && _count < capacity)
            {
                Array.Resize(ref _items, (int)Math.Min((long)capacity, 2L * _count));
            }
            if (_count < _items.Length)
            {
                _items[_count++] = item;
            }
        }
    }
}
