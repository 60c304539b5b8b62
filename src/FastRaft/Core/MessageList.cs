using FastRaft.Protocol;

namespace FastRaft.Core;

/// <summary>
/// A growable, reusable list of messages; cleared, never freed while in use, so it stops
/// allocating once warm. It starts without an array (an idle node of thousands in a process
/// holds none) and an empty list may give its array back (<see cref="ReleaseArray"/>).
/// </summary>
internal sealed class MessageList(int capacity = 0)
{
    /// <summary>The first array's length when the list starts empty: growth doubles from it.</summary>
    private const int MinCapacity = 4;

    private Message[] _items = capacity > 0 ? new Message[capacity] : [];

    public int Count { get; private set; }

    /// <summary>The array's length (0 before the first add or after <see cref="ReleaseArray"/>).</summary>
    public int Capacity => _items.Length;

    public ReadOnlySpan<Message> Span => _items.AsSpan(0, Count);

    public ref Message this[int i] => ref _items[i];

    public void Add(in Message m)
    {
        if (Count == _items.Length)
        {
            Grow();
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
            Grow();
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

    /// <summary>
    /// Drops the array of an empty list (the next add allocates anew). Views handed out keep the
    /// old array alive and intact.
    /// </summary>
    public void ReleaseArray()
    {
        System.Diagnostics.Debug.Assert(Count == 0);
        _items = [];
    }

    private void Grow()
    {
        // A new array: views handed out (AsMemory) keep pointing at the old one.
        var next = new Message[Math.Max(MinCapacity, _items.Length * 2)];
        _items.AsSpan(0, Count).CopyTo(next);
        _items = next;
    }
}
