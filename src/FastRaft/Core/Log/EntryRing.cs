using System.Diagnostics;
using System.Numerics;
using FastRaft.Protocol;

namespace FastRaft.Core.Log;

/// <summary>
/// The unstable log's entries: a run of consecutive entries in a ring buffer (power-of-two
/// capacity, positions masked), with the arena end position of each entry's payload alongside.
/// Dropping from the front only moves the start; an append writes after the end, wrapping around
/// the array; nothing is moved back to the front. A range that wraps is handed out as two pieces
/// (<see cref="EntrySegments"/>). When the ring is full it grows to the next power of two,
/// copying the live entries once; it never shrinks while in use, so in steady state it stops
/// allocating. It starts without an array (an idle log of thousands in a process holds none) and
/// an empty ring may give its arrays back (<see cref="ReleaseArrays"/>, when the node goes quiet).
/// </summary>
/// <remarks>
/// Views handed out by <see cref="HandOut"/> (a Ready's entries) must stay readable until the
/// next Ready, and views of dropped slots may still be in flight, so a slot is never rewritten
/// while such a view may exist:
/// <list type="bullet">
/// <item>a slot dropped from the front (or by <see cref="Clear"/>) is written again only after
/// two calls of <see cref="AdvanceEpoch"/> (once per Ready), as in <see cref="PayloadArena"/>;</item>
/// <item>a <see cref="Truncate"/> that cuts into handed-out entries keeps the cut slots: the
/// entries kept are copied to the end of the ring and the whole old run becomes dropped slots
/// (rare: a new leader overwriting entries being persisted);</item>
/// <item>growth moves to new arrays and leaves the old ones to the views.</item>
/// </list>
/// Positions are logical counters that only grow; the slot of position p is p &amp; mask.
/// Views from <see cref="Segments"/> are for immediate reading only.
/// </remarks>
internal sealed class EntryRing
{
    private Entry[] _entries;
    private long[] _ends;
    private int _mask;

    // Live entries occupy positions [_head, _head + Count).
    private long _head;

    // Positions below this may be written again; [_reusableFrom, _head) are dropped slots whose
    // views may still be in flight. Invariant: _reusableFrom <= _epochBoundary <= _head.
    private long _reusableFrom;

    // _head as of the last AdvanceEpoch: what the next AdvanceEpoch makes reusable.
    private long _epochBoundary;

    // Positions below this may have been handed out (HandOut); truncating below it relocates.
    private long _handedOutEnd;

    /// <summary>The first array's length when the ring starts empty: growth doubles from it.</summary>
    private const int MinCapacity = 4;

    public EntryRing(int capacity = 0)
    {
        if (capacity <= 0)
        {
            _entries = [];
            _ends = [];
            return;
        }
        int size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity, MinCapacity));
        _entries = new Entry[size];
        _ends = new long[size];
        _mask = size - 1;
    }

    public int Count { get; private set; }

    public int Capacity => _entries.Length;

    public ref readonly Entry this[int i]
    {
        get
        {
            Debug.Assert((uint)i < (uint)Count);
            return ref _entries[(int)(_head + i) & _mask];
        }
    }

    public ref readonly Entry Last => ref this[Count - 1];

    /// <summary>The arena position just after the payload of entry <paramref name="i"/>.</summary>
    public long EndOf(int i)
    {
        Debug.Assert((uint)i < (uint)Count);
        return _ends[(int)(_head + i) & _mask];
    }

    /// <summary>Entries [<paramref name="from"/>, from + <paramref name="length"/>), to be read at once (before the next mutating call).</summary>
    public EntrySegments Segments(int from, int length)
    {
        Debug.Assert(from >= 0 && length >= 0 && from + length <= Count);
        if (length == 0)
        {
            return default;
        }
        int start = (int)(_head + from) & _mask;
        int firstLength = Math.Min(length, _entries.Length - start);
        var first = new ReadOnlyMemory<Entry>(_entries, start, firstLength);
        return firstLength == length
            ? new EntrySegments(first)
            : new EntrySegments(first, new ReadOnlyMemory<Entry>(_entries, 0, length - firstLength));
    }

    /// <summary>
    /// Like <see cref="Segments"/>, for a view that outlives this call (a Ready's entries): its
    /// slots are not rewritten until two epochs after they are dropped, even by a truncation.
    /// </summary>
    public EntrySegments HandOut(int from, int length)
    {
        long end = _head + from + length;
        if (end > _handedOutEnd)
        {
            _handedOutEnd = end;
        }
        return Segments(from, length);
    }

    /// <summary>
    /// Appends <paramref name="src"/> with their payloads copied into <paramref name="arena"/>
    /// (whose positions this ring records): the append of the unstable log, one tight loop per
    /// contiguous piece of free slots.
    /// </summary>
    public void AppendCopies(ReadOnlySpan<Entry> src, PayloadArena arena)
    {
        EnsureRoom(src.Length);
        while (!src.IsEmpty)
        {
            int at = (int)(_head + Count) & _mask;
            int n = Math.Min(src.Length, _entries.Length - at);
            Span<Entry> entries = _entries.AsSpan(at, n);
            Span<long> ends = _ends.AsSpan(at, n);
            for (int i = 0; i < entries.Length; i++)
            {
                ref readonly Entry e = ref src[i];
                ReadOnlyMemory<byte> data = arena.Append(e.Data.Span, out ends[i]);
                entries[i] = new Entry(e.Term, e.Index, e.Type, data);
            }
            Count += n;
            src = src[n..];
        }
    }

    /// <summary>Appends one entry whose payload lives at arena positions ending at <paramref name="end"/>.</summary>
    public void Add(in Entry e, long end)
    {
        EnsureRoom(1);
        int at = (int)(_head + Count) & _mask;
        _entries[at] = e;
        _ends[at] = end;
        Count++;
    }

    /// <summary>Drops the first <paramref name="n"/> entries (their slots wait out two epochs).</summary>
    public void DropFront(int n)
    {
        Debug.Assert((uint)n <= (uint)Count);
        _head += n;
        Count -= n;
    }

    /// <summary>Keeps only the first <paramref name="count"/> entries.</summary>
    public void Truncate(int count)
    {
        Debug.Assert((uint)count <= (uint)Count);
        if (count == Count)
        {
            return;
        }
        long cut = _head + count;
        if (cut >= _handedOutEnd)
        {
            // Nobody has seen the cut entries: their slots are rewritten by the next append.
            ClearSlots(cut, _head + Count);
            Count = count;
            return;
        }
        Relocate(count);
    }

    /// <summary>Drops every entry (their slots wait out two epochs).</summary>
    public void Clear() => DropFront(Count);

    /// <summary>A Ready boundary: slots dropped two boundaries ago may be written again.</summary>
    public void AdvanceEpoch()
    {
        // Cleared so that dropped payload views do not keep dedicated chunks reachable.
        ClearSlots(_reusableFrom, _epochBoundary);
        _reusableFrom = _epochBoundary;
        _epochBoundary = _head;
    }

    /// <summary>
    /// Drops the arrays of an empty ring (the next append allocates anew). Views handed out keep
    /// the old arrays alive and intact, so no epoch needs to pass first.
    /// </summary>
    public void ReleaseArrays()
    {
        Debug.Assert(Count == 0);
        _entries = [];
        _ends = [];
        _mask = 0;
        _head = 0;
        _reusableFrom = 0;
        _epochBoundary = 0;
        _handedOutEnd = 0;
    }

    private void EnsureRoom(int n)
    {
        if (_head + Count + n - _reusableFrom > _entries.Length)
        {
            Grow(Count + n);
        }
    }

    // Copies the first `keep` entries after the end of the ring and drops the whole old run, so
    // that no handed-out slot is rewritten before its epochs have passed.
    private void Relocate(int keep)
    {
        long oldHead = _head;
        long tail = _head + Count;
        if (tail + keep - _reusableFrom > _entries.Length)
        {
            // No room to copy into this array: moving to a larger one leaves the old slots alone.
            Count = keep;
            Grow(keep);
            return;
        }
        for (int i = 0; i < keep; i++)
        {
            int from = (int)(oldHead + i) & _mask;
            int to = (int)(tail + i) & _mask;
            _entries[to] = _entries[from];
            _ends[to] = _ends[from];
        }
        _head = tail;
        Count = keep;
    }

    private void Grow(int needed)
    {
        int size = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(needed, Math.Max(MinCapacity, _entries.Length * 2)));
        var entries = new Entry[size];
        var ends = new long[size];
        for (int i = 0; i < Count; i++)
        {
            int from = (int)(_head + i) & _mask;
            entries[i] = _entries[from];
            ends[i] = _ends[from];
        }
        // The old arrays stay as they are: views into them remain valid.
        _entries = entries;
        _ends = ends;
        _mask = size - 1;
        _head = 0;
        _reusableFrom = 0;
        _epochBoundary = 0;
        _handedOutEnd = 0;
    }

    // Clears the slots of positions [from, to) (at most a whole lap).
    private void ClearSlots(long from, long to)
    {
        // Usually a handful of slots: cleared in place rather than by a general clear call.
        Entry[] entries = _entries;
        for (long p = from; p < to; p++)
        {
            entries[(int)p & _mask] = default;
        }
    }
}
