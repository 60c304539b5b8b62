using FastRaft.Protocol;

namespace FastRaft.Core;

/// <summary>A growable, reusable list of messages; cleared, never freed, so it stops allocating once warm.</summary>
internal sealed class MessageList(int capacity = 8)
{
    private Message[] _items = new Message[Math.Max(capacity, 1)];

    public int Count { get; private set; }

    public ReadOnlySpan<Message> Span => _items.AsSpan(0, Count);

    public ref Message this[int i] => ref _items[i];

    public void Add(in Message m)
    {
        if (Count == _items.Length)
        {
            var next = new Message[_items.Length * 2];
            _items.AsSpan(0, Count).CopyTo(next);
            _items = next;
        }
        _items[Count++] = m;
    }

    /// <summary>
    /// Adds an empty message and returns it, to be filled in place (no copy of the whole
    /// struct). The reference is valid until the next add (which may move the array).
    /// </summary>
    public ref Message AddSlot()
    {
        if (Count == _items.Length)
        {
            var next = new Message[_items.Length * 2];
            _items.AsSpan(0, Count).CopyTo(next);
            _items = next;
        }
        // Every slot past Count is empty: Clear empties the used ones.
        return ref _items[Count++];
    }

    public void AddRange(ReadOnlySpan<Message> ms)
    {
        foreach (ref readonly Message m in ms)
        {
            Add(m);
        }
    }

    /// <summary>Clears, also dropping references held by the old messages.</summary>
    public void Clear()
    {
        // A list usually holds one or two messages: clearing them in place is cheaper than a
        // call to the general span clear.
        Message[] items = _items;
        for (int i = 0; i < Count && i < items.Length; i++)
        {
            items[i] = default;
        }
        Count = 0;
    }

    public ReadOnlyMemory<Message> AsMemory(int start, int length) => new(_items, start, length);
}
