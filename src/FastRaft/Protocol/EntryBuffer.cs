using System.Diagnostics.CodeAnalysis;

namespace FastRaft.Protocol;

/// <summary>
/// A growable, reusable array of entries: the destination of log and storage reads. Reads
/// append; <see cref="Clear"/> makes the space reusable without freeing it, so a warmed-up buffer
/// never allocates. Memory handed out by <see cref="AsMemory(int, int)"/> stays readable after
/// the buffer grows (growth moves to a new array and leaves the old one intact), but is
/// overwritten once the buffer is cleared and refilled. A capacity of 0 allocates no array until
/// the first add.
/// </summary>
public sealed class EntryBuffer(int capacity = 16)
{
    /// <summary>The first array's length when the buffer starts empty: growth doubles from it.</summary>
    private const int MinCapacity = 4;

    // A capacity of 0 defers the array to the first add (an idle node of thousands holds none).
    private Entry[] _items = capacity > 0 ? new Entry[capacity] : [];

    /// <summary>The number of entries held.</summary>
    public int Count { get; private set; }

    /// <summary>The array's length (0 before the first add or after <see cref="ReleaseArray"/>).</summary>
    internal int Capacity => _items.Length;

    /// <summary>The entries held, valid until the buffer is next changed.</summary>
    public ReadOnlySpan<Entry> Span => _items.AsSpan(0, Count);

    /// <summary>The entry at position <paramref name="i"/>; throws <see cref="ArgumentOutOfRangeException"/> outside 0..<see cref="Count"/>-1.</summary>
    public ref readonly Entry this[int i]
    {
        get
        {
            if ((uint)i >= (uint)Count)
            {
                ThrowIndex(i);
            }
            return ref _items[i];
        }
    }

    /// <summary>Appends one entry, growing the buffer when it is full.</summary>
    public void Add(in Entry e)
    {
        if (Count == _items.Length)
        {
            Grow(Count + 1);
        }
        _items[Count++] = e;
    }

    /// <summary>Appends the entries in order, growing the buffer once if needed.</summary>
    public void AddRange(ReadOnlySpan<Entry> entries)
    {
        if (Count + entries.Length > _items.Length)
        {
            Grow(Count + entries.Length);
        }
        entries.CopyTo(_items.AsSpan(Count));
        Count += entries.Length;
    }

    /// <summary>Appends both pieces of <paramref name="entries"/>.</summary>
    public void AddRange(EntrySegments entries)
    {
        AddRange(entries.First.Span);
        AddRange(entries.Second.Span);
    }

    /// <summary>Overwrites the entry at position <paramref name="i"/>.</summary>
    public void Replace(int i, in Entry e)
    {
        if ((uint)i >= (uint)Count)
        {
            ThrowIndex(i);
        }
        _items[i] = e;
    }

    /// <summary>Drops entries from position <paramref name="count"/> on.</summary>
    public void Truncate(int count)
    {
        if ((uint)count > (uint)Count)
        {
            ThrowIndex(count);
        }
        Count = count;
    }

    /// <summary>Empties the buffer, keeping its capacity.</summary>
    public void Clear() => Count = 0;

    /// <summary>
    /// Empties the buffer and drops its array (the next add allocates anew): for a buffer that
    /// will stay unused for long. Memory handed out keeps the old array alive and intact.
    /// </summary>
    internal void ReleaseArray()
    {
        Count = 0;
        _items = [];
    }

    /// <summary>The <paramref name="length"/> entries from position <paramref name="start"/> as memory (see the class remarks for how long it stays valid).</summary>
    public ReadOnlyMemory<Entry> AsMemory(int start, int length) => new(_items, start, length);

    /// <summary>All the entries held as memory (see the class remarks for how long it stays valid).</summary>
    public ReadOnlyMemory<Entry> AsMemory() => new(_items, 0, Count);

    private void Grow(int needed)
    {
        // A new array rather than Array.Resize semantics in place: views already handed out keep
        // pointing at the old array and remain valid.
        var next = new Entry[Math.Max(needed, Math.Max(MinCapacity, _items.Length * 2))];
        _items.AsSpan(0, Count).CopyTo(next);
        _items = next;
    }

    [DoesNotReturn]
    private static void ThrowIndex(int i) => throw new ArgumentOutOfRangeException(nameof(i), i, "index outside the buffer");
}
