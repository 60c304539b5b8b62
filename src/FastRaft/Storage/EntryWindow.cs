using System.Diagnostics;
using FastRaft.Protocol;

namespace FastRaft.Storage;

/// <summary>
/// A run of consecutive entries held in a reusable array window, with the arena end position of
/// each entry's payload alongside. Dropping from the front moves the start (no copying per
/// call); the window is moved back to the front of the array only when an append would run past
/// the end and the array is at most half used; otherwise the array doubles. It starts small (an
/// idle group's log, of thousands in a process, holds a few entries).
/// </summary>
/// <remarks>
/// Spans handed out are views of the array: valid until the next mutating call.
/// </remarks>
internal sealed class EntryWindow(int capacity = 4)
{
    private Entry[] _entries = new Entry[Math.Max(capacity, 4)];
    private long[] _ends = new long[Math.Max(capacity, 4)];
    private int _start;

    public int Count { get; private set; }

    public ReadOnlySpan<Entry> Span => _entries.AsSpan(_start, Count);

    public int Capacity => _entries.Length;

    public ref readonly Entry this[int i]
    {
        get
        {
            Debug.Assert((uint)i < (uint)Count);
            return ref _entries[_start + i];
        }
    }

    public ref readonly Entry Last => ref this[Count - 1];

    /// <summary>The arena position just after the payload of entry <paramref name="i"/>.</summary>
    public long EndOf(int i)
    {
        Debug.Assert((uint)i < (uint)Count);
        return _ends[_start + i];
    }

    public ReadOnlySpan<Entry> Slice(int from, int length) => _entries.AsSpan(_start + from, length);

    /// <summary>Makes room for <paramref name="n"/> more entries at the end.</summary>
    public void EnsureRoom(int n)
    {
        if (_start + Count + n <= _entries.Length)
        {
            return;
        }
        if (Count + n <= _entries.Length / 2)
        {
            // Plenty of room once the dropped front is reclaimed; moving is cheap and amortized
            // because at least half the array is free afterwards.
            Array.Copy(_entries, _start, _entries, 0, Count);
            Array.Copy(_ends, _start, _ends, 0, Count);
            Array.Clear(_entries, Count, _start);
            _start = 0;
            return;
        }
        Grow(Count + n);
    }

    public void Add(in Entry e, long end)
    {
        if (_start + Count == _entries.Length)
        {
            EnsureRoom(1);
        }
        int at = _start + Count;
        _entries[at] = e;
        _ends[at] = end;
        Count++;
    }

    /// <summary>
    /// Appends <paramref name="src"/> with their payloads copied into <paramref name="arena"/>
    /// (whose positions this window records): MemoryStorage's append, one tight loop over the
    /// arrays.
    /// </summary>
    public void AppendCopies(ReadOnlySpan<Entry> src, PayloadArena arena)
    {
        EnsureRoom(src.Length);
        int at = _start + Count;
        Span<Entry> entries = _entries.AsSpan(at, src.Length);
        Span<long> ends = _ends.AsSpan(at, src.Length);
        for (int i = 0; i < entries.Length; i++)
        {
            ref readonly Entry e = ref src[i];
            ReadOnlyMemory<byte> data = arena.Append(e.Data.Span, out ends[i]);
            entries[i] = new Entry(e.Term, e.Index, e.Type, data);
        }
        Count += src.Length;
    }

    /// <summary>Overwrites entry <paramref name="i"/>; its recorded payload end position is kept.</summary>
    public void Replace(int i, in Entry e)
    {
        Debug.Assert((uint)i < (uint)Count);
        _entries[_start + i] = e;
    }

    /// <summary>Drops the first <paramref name="n"/> entries.</summary>
    public void DropFront(int n)
    {
        Debug.Assert((uint)n <= (uint)Count);
        // Cleared so that dropped payload views do not keep dedicated chunks reachable.
        Array.Clear(_entries, _start, n);
        _start += n;
        Count -= n;
        if (Count == 0)
        {
            _start = 0;
        }
    }

    /// <summary>Keeps only the first <paramref name="count"/> entries.</summary>
    public void Truncate(int count)
    {
        Debug.Assert((uint)count <= (uint)Count);
        Array.Clear(_entries, _start + count, Count - count);
        Count = count;
        if (Count == 0)
        {
            _start = 0;
        }
    }

    public void Clear() => Truncate(0);

    private void Grow(int needed)
    {
        int size = Math.Max(needed, _entries.Length * 2);
        var entries = new Entry[size];
        var ends = new long[size];
        Array.Copy(_entries, _start, entries, 0, Count);
        Array.Copy(_ends, _start, ends, 0, Count);
        _entries = entries;
        _ends = ends;
        _start = 0;
    }
}
