namespace FastRaft.Hosting.Requests;

/// <summary>A small thread-safe stack of reusable request objects; bounded, so a burst does not pin memory.</summary>
internal sealed class OperationPool<T>(int capacity) where T : class
{
    private readonly Lock _gate = new();
    private readonly T?[] _items = new T?[capacity];
    private int _count;

    public T? TryRent()
    {
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
        lock (_gate)
        {
            if (_count < _items.Length)
            {
                _items[_count++] = item;
            }
        }
    }
}
