namespace FastRaft.Core.Tracker;

/// <summary>
/// The appends in flight to one follower: a ring of (last index, bytes) pairs, in index order,
/// bounded by a message count and optionally by total bytes (etcd's Inflights). The ring's
/// storage grows on demand up to the count limit and is then reused, so steady-state
/// replication allocates nothing.
/// </summary>
internal sealed class Inflights
{
    private readonly int _size;
    private readonly ulong _maxBytes;
    private Slot[] _buffer;
    private int _start;
    private int _count;
    private ulong _bytes;

    /// <param name="size">Maximum number of messages in flight.</param>
    /// <param name="maxBytes">Maximum total bytes in flight; 0 for no byte limit.</param>
    public Inflights(int size, ulong maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(size);
        _size = size;
        _maxBytes = maxBytes;
        _buffer = [];
    }

    private Inflights(Inflights other)
    {
        _size = other._size;
        _maxBytes = other._maxBytes;
        _buffer = (Slot[])other._buffer.Clone();
        _start = other._start;
        _count = other._count;
        _bytes = other._bytes;
    }

    /// <summary>Messages in flight.</summary>
    public int Count => _count;

    /// <summary>Total bytes in flight.</summary>
    public ulong Bytes => _bytes;

    /// <summary>The message count limit.</summary>
    public int Size => _size;

    /// <summary>The byte limit; 0 means none.</summary>
    public ulong MaxBytes => _maxBytes;

    /// <summary>No more messages may be sent: the count limit is reached or the bytes reach the byte limit.</summary>
    public bool Full => _count == _size || (_maxBytes != 0 && _bytes >= _maxBytes);

    /// <summary>Slots currently allocated in the ring (grows lazily up to <see cref="Size"/>).</summary>
    internal int Capacity => _buffer.Length;

    public Inflights Clone() => new(this);

    /// <summary>
    /// Records a message whose last entry is <paramref name="index"/>. Indexes must be added in
    /// increasing order. A single message may overshoot the byte limit; the window is then full.
    /// </summary>
    public void Add(ulong index, ulong bytes)
    {
        if (Full)
        {
            TrackerThrow.Panic("cannot add into a Full inflights");
        }
        int next = _start + _count;
        if (next >= _size)
        {
            next -= _size;
        }
        if (next >= _buffer.Length)
        {
            Grow();
        }
        _buffer[next] = new Slot(index, bytes);
        _count++;
        _bytes += bytes;
    }

    // Data only ever sits in [_start, _start+_count) without wrapping while the buffer is smaller
    // than _size (wrapping happens at _size), so growing keeps positions unchanged.
    private void Grow()
    {
        int newSize = _buffer.Length == 0 ? 1 : (int)Math.Min((long)_buffer.Length * 2, _size);
        Array.Resize(ref _buffer, newSize);
    }

    /// <summary>Frees every message whose last index is at most <paramref name="to"/>.</summary>
    public void FreeLE(ulong to)
    {
        if (_count == 0 || to < _buffer[_start].Index)
        {
            return;
        }
        int idx = _start;
        int freed = 0;
        ulong bytes = 0;
        while (freed < _count && _buffer[idx].Index <= to)
        {
            bytes += _buffer[idx].Bytes;
            freed++;
            if (++idx >= _size)
            {
                idx -= _size;
            }
        }
        _count -= freed;
        _bytes -= bytes;
        // An empty window restarts at slot 0, which keeps a lazily grown buffer compact.
        _start = _count == 0 ? 0 : idx;
    }

    /// <summary>Frees the oldest message in flight, if any.</summary>
    public void FreeFirstOne()
    {
        if (_count > 0)
        {
            FreeLE(_buffer[_start].Index);
        }
    }

    /// <summary>Forgets everything in flight (the storage is kept for reuse).</summary>
    public void Reset()
    {
        _start = 0;
        _count = 0;
        _bytes = 0;
    }

    /// <summary>Drops the storage of an empty window (a quiet leader's); the next add grows it anew.</summary>
    public void ReleaseIfEmpty()
    {
        if (_count == 0)
        {
            _buffer = [];
            _start = 0;
        }
    }

    private readonly record struct Slot(ulong Index, ulong Bytes);
}
