namespace FastRaft.Hosting;

/// <summary>A thread-safe pool of <see cref="InboundBatch"/>es; bounded, so bursts cannot pin memory forever.</summary>
public sealed class InboundBatchPool(int maxPooled = 256, int initialBytes = 64 * 1024)
{
    private readonly Stack<InboundBatch> _free = new();
    private readonly Lock _gate = new();
    private int _created;
    private int _outstanding;

    /// <summary>Batches rented and not given back yet (a hint for callers that bound how many they keep out).</summary>
    internal int Outstanding => Volatile.Read(ref _outstanding);

    /// <summary>Batches waiting in the pool now (tests: every batch came back).</summary>
    internal int FreeCount
    {
        get
        {
            lock (_gate)
            {
                return _free.Count;
            }
        }
    }

    /// <summary>A batch from the pool, empty; a new one when the pool has none left. Give it back with <see cref="InboundBatch.Release"/> once its messages are stepped.</summary>
    public InboundBatch Rent()
    {
        lock (_gate)
        {
            _outstanding++;
            if (_free.Count > 0)
            {
                return _free.Pop();
            }
        }
        return new InboundBatch(this, initialBytes);
    }

    /// <summary>
    /// A pooled batch, or null once this method has created <c>maxPooled</c> batches and all of
    /// them are out (their node is behind). A caller that cannot wait then uses a one-off batch
    /// sized to what it holds, rather than another pool-sized batch the full pool would discard.
    /// </summary>
    public InboundBatch? TryRent()
    {
        lock (_gate)
        {
            if (_free.Count > 0)
            {
                _outstanding++;
                return _free.Pop();
            }
            if (_created >= maxPooled)
            {
                return null;
            }
            _created++;
            _outstanding++;
        }
        return new InboundBatch(this, initialBytes);
    }

    internal void Return(InboundBatch batch)
    {
        lock (_gate)
        {
            _outstanding--;
            if (_free.Count < maxPooled)
            {
                _free.Push(batch);
            }
        }
    }
}
