namespace FastRaft.Hosting.Requests;

/// <summary>A request whose entry is in the leader's log at (<see cref="Index"/>, <see cref="Term"/>), waiting to be applied.</summary>
internal readonly record struct PendingEntry(ulong Index, ulong Term, RequestOperation Request);

/// <summary>
/// The proposals and membership changes this node appended as leader, in log order, waiting for
/// their index to be applied. A ring that grows by doubling and is then reused; it starts without
/// an array (a follower's, or an idle group's, never needs one) and an empty one can give it back.
/// </summary>
internal sealed class PendingEntries
{
    private const int MinCapacity = 4;

    private PendingEntry[] _items = [];
    private int _head;
    private int _count;

    public int Count => _count;

    public ref readonly PendingEntry Front => ref _items[_head];

    public ref readonly PendingEntry Back => ref _items[(_head + _count - 1) & (_items.Length - 1)];

    public void PushBack(in PendingEntry entry)
    {
        if (_count == _items.Length)
        {
            Grow();
        }
        _items[(_head + _count) & (_items.Length - 1)] = entry;
        _count++;
    }

    public PendingEntry PopFront()
    {
        ref PendingEntry slot = ref _items[_head];
        PendingEntry e = slot;
        slot = default;
        _head = (_head + 1) & (_items.Length - 1);
        _count--;
        return e;
    }

    public PendingEntry PopBack()
    {
        ref PendingEntry slot = ref _items[(_head + _count - 1) & (_items.Length - 1)];
        PendingEntry e = slot;
        slot = default;
        _count--;
        return e;
    }

    /// <summary>Drops the array when nothing is pending (a quiet node's); the next push grows it anew.</summary>
    public void ReleaseIfEmpty()
    {
        if (_count == 0)
        {
            _items = [];
            _head = 0;
        }
    }

    private void Grow()
    {
        var bigger = new PendingEntry[Math.Max(MinCapacity, _items.Length * 2)];
        int mask = _items.Length - 1;
        for (int i = 0; i < _count; i++)
        {
            bigger[i] = _items[(_head + i) & mask];
        }
        _items = bigger;
        _head = 0;
    }
}
