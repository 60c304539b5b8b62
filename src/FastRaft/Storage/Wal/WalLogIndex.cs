using System.Diagnostics;
using FastRaft.Protocol;

namespace FastRaft.Storage.Wal;

/// <summary>
/// The live log in memory: for every entry after the dummy (compaction) point, where its record
/// is on disk; for the most recent ones, up to a byte budget, also the payload, copied into a
/// pooled <see cref="PayloadArena"/> so replication reads need no disk access and no allocation.
/// </summary>
/// <remarks>
/// Entries [<see cref="CacheFrom"/>, <see cref="LastIndex"/>] are cached; older ones carry only
/// their location. Payload memory given out follows the arena's lifetime rule: bytes dropped by
/// eviction, compaction or truncation are rewritten only after two <see cref="AdvanceEpoch"/>
/// calls. Not thread-safe: the owner serializes access.
/// </remarks>
internal sealed class WalLogIndex
{
    private readonly PayloadArena _arena;
    private readonly long _budget;

    private WalSlot[] _slots;
    private int _start;
    private int _count;

    private long _cachedBytes;

    // Arena position where the first cached payload begins: the truncation point when every
    // cached entry is cut off.
    private long _cacheStartPosition;

    public WalLogIndex(long cacheBytes, int chunkSize, int initialSlots = 256)
    {
        _slots = new WalSlot[Math.Max(initialSlots, 2)];
        _arena = new PayloadArena(chunkSize);
        _budget = cacheBytes;
        CacheFrom = 1;
    }

    /// <summary>The index of the dummy entry: the snapshot or compaction point.</summary>
    public ulong DummyIndex { get; private set; }

    public ulong DummyTerm { get; private set; }

    public ulong LastIndex => DummyIndex + (ulong)_count;

    public ulong LastTerm => _count == 0 ? DummyTerm : Slot(_count - 1).Entry.Term;

    public int Count => _count;

    /// <summary>The first cached index; everything from here to the last index is in memory.</summary>
    public ulong CacheFrom { get; private set; }

    public long CachedBytes => _cachedBytes;

    /// <summary>The slot of entry <paramref name="index"/>, which must be in (dummy, last].</summary>
    public ref readonly WalSlot At(ulong index)
    {
        Debug.Assert(index > DummyIndex && index <= LastIndex);
        return ref Slot((int)(index - DummyIndex - 1));
    }

    public bool IsCached(ulong index) => index >= CacheFrom;

    /// <summary>
    /// Appends entry <paramref name="index"/> (which must be the last index + 1) stored at
    /// <paramref name="offset"/> of segment <paramref name="segment"/>, caching its payload.
    /// </summary>
    public void Append(ulong term, ulong index, EntryType type, ReadOnlySpan<byte> payload, long segment, long offset)
    {
        Debug.Assert(index == LastIndex + 1);
        if (_start + _count == _slots.Length)
        {
            MakeRoom();
        }
        ReadOnlyMemory<byte> data = _arena.Append(payload, out long end);
        _slots[_start + _count] = new WalSlot
        {
            Entry = new Entry(term, index, type, data),
            Segment = segment,
            Offset = offset,
            PayloadLength = payload.Length,
            ArenaEnd = end,
        };
        _count++;
        _cachedBytes += payload.Length;
        if (_cachedBytes > _budget)
        {
            EvictOverBudget();
        }
    }

    /// <summary>Keeps the entries up to <paramref name="last"/> (at least the dummy) and drops the rest.</summary>
    public void TruncateAfter(ulong last)
    {
        if (last >= LastIndex)
        {
            return;
        }
        last = Math.Max(last, DummyIndex);
        int keep = (int)(last - DummyIndex);
        for (int i = keep; i < _count; i++)
        {
            ref WalSlot s = ref Slot(i);
            if (s.Entry.Index >= CacheFrom)
            {
                _cachedBytes -= s.PayloadLength;
            }
            s = default;
        }
        _arena.TruncateTo(last >= CacheFrom && keep > 0 ? Slot(keep - 1).ArenaEnd : _cacheStartPosition);
        _count = keep;
        if (CacheFrom > last + 1)
        {
            // Everything cached was cut: new entries are cached from the next index on.
            CacheFrom = last + 1;
        }
    }

    /// <summary>Discards entries up to <paramref name="index"/>, which becomes the dummy with <paramref name="term"/>.</summary>
    public void CompactTo(ulong index, ulong term)
    {
        if (index <= DummyIndex)
        {
            if (index == DummyIndex)
            {
                DummyTerm = term;
            }
            return;
        }
        Debug.Assert(index <= LastIndex);
        int drop = (int)(index - DummyIndex);
        long releaseTo = -1;
        for (int i = 0; i < drop; i++)
        {
            ref WalSlot s = ref Slot(i);
            if (s.Entry.Index >= CacheFrom)
            {
                _cachedBytes -= s.PayloadLength;
                releaseTo = s.ArenaEnd;
            }
            s = default;
        }
        _start += drop;
        _count -= drop;
        if (_count == 0)
        {
            _start = 0;
        }
        DummyIndex = index;
        DummyTerm = term;
        if (releaseTo >= 0)
        {
            _arena.ReleaseBefore(releaseTo);
            _cacheStartPosition = releaseTo;
        }
        if (CacheFrom <= index)
        {
            CacheFrom = index + 1;
        }
    }

    /// <summary>Forgets every entry: the log restarts after (<paramref name="index"/>, <paramref name="term"/>).</summary>
    public void Reset(ulong index, ulong term)
    {
        Array.Clear(_slots, _start, _count);
        _start = 0;
        _count = 0;
        _arena.ReleaseAll();
        _cacheStartPosition = _arena.Tail;
        _cachedBytes = 0;
        DummyIndex = index;
        DummyTerm = term;
        CacheFrom = index + 1;
    }

    /// <summary>A Ready boundary for the payload lifetime rule.</summary>
    public void AdvanceEpoch() => _arena.AdvanceEpoch();

    private ref WalSlot Slot(int i) => ref _slots[_start + i];

    private void EvictOverBudget()
    {
        while (_cachedBytes > _budget && CacheFrom <= LastIndex)
        {
            ref WalSlot s = ref Slot((int)(CacheFrom - DummyIndex - 1));
            _cachedBytes -= s.PayloadLength;
            s.Entry = s.Entry with { Data = ReadOnlyMemory<byte>.Empty };
            _arena.ReleaseBefore(s.ArenaEnd);
            _cacheStartPosition = s.ArenaEnd;
            CacheFrom++;
        }
    }

    private void MakeRoom()
    {
        if (_count <= _slots.Length / 2)
        {
            // At least half the array was dropped from the front: slide down instead of growing.
            Array.Copy(_slots, _start, _slots, 0, _count);
            Array.Clear(_slots, _count, _start);
            _start = 0;
            return;
        }
        var next = new WalSlot[_slots.Length * 2];
        Array.Copy(_slots, _start, next, 0, _count);
        _slots = next;
        _start = 0;
    }
}

/// <summary>One live entry: the entry itself (payload only while cached) and where its record is.</summary>
internal struct WalSlot
{
    /// <summary>Term, index and type; <see cref="Entry.Data"/> is the cached payload, or empty once evicted.</summary>
    public Entry Entry;

    /// <summary>Sequence number of the segment holding the record.</summary>
    public long Segment;

    /// <summary>Byte offset of the record in that segment.</summary>
    public long Offset;

    public int PayloadLength;

    /// <summary>Cache arena position just after the payload.</summary>
    public long ArenaEnd;

    public readonly long RecordSize => WalFormat.EntryRecordSize(PayloadLength);
}
