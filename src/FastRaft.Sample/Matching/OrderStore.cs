namespace FastRaft.Sample.Matching;

/// <summary>
/// Every resting order of an engine in one growable array of slots with a free list, plus an
/// index by order id. Adding and removing reuse slots, so a steady book allocates nothing.
/// </summary>
internal sealed class OrderStore
{
    public const int None = -1;

    private readonly Dictionary<ulong, int> _byId = [];
    private RestingOrder[] _slots = new RestingOrder[256];
    private int _highWater;
    private int _free = None;

    public int Count => _byId.Count;

    /// <summary>The order in <paramref name="slot"/>; the reference is valid until the next <see cref="Add"/>.</summary>
    public ref RestingOrder this[int slot] => ref _slots[slot];

    public bool TryFind(ulong orderId, out int slot) => _byId.TryGetValue(orderId, out slot);

    /// <summary>Stores <paramref name="order"/> and returns its slot; false when the id is already resting.</summary>
    public bool TryAdd(in RestingOrder order, out int slot)
    {
        slot = _free != None ? _free : _highWater;
        if (!_byId.TryAdd(order.OrderId, slot))
        {
            slot = None;
            return false;
        }
        if (_free != None)
        {
            _free = _slots[slot].Next;
        }
        else
        {
            if (_highWater == _slots.Length)
            {
                Array.Resize(ref _slots, _slots.Length * 2);
            }
            _highWater++;
        }
        _slots[slot] = order;
        return true;
    }

    public void Remove(int slot)
    {
        _byId.Remove(_slots[slot].OrderId);
        _slots[slot] = default;
        _slots[slot].Next = _free;
        _free = slot;
    }

    public void Clear()
    {
        _byId.Clear();
        Array.Clear(_slots, 0, _highWater);
        _highWater = 0;
        _free = None;
    }
}
