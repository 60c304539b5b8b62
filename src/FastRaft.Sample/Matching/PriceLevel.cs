namespace FastRaft.Sample.Matching;

/// <summary>The orders resting at one price on one side, oldest first (time priority).</summary>
internal sealed class PriceLevel
{
    public long Price;
    public int Head = OrderStore.None;
    public int Tail = OrderStore.None;
    public long Quantity;
    public int Count;

    public bool IsEmpty => Count == 0;

    public void Reset(long price)
    {
        Price = price;
        Head = Tail = OrderStore.None;
        Quantity = 0;
        Count = 0;
    }

    public void Append(OrderStore orders, int slot)
    {
        ref RestingOrder order = ref orders[slot];
        order.Prev = Tail;
        order.Next = OrderStore.None;
        if (Tail == OrderStore.None)
        {
            Head = slot;
        }
        else
        {
            orders[Tail].Next = slot;
        }
        Tail = slot;
        Quantity += order.Remaining;
        Count++;
    }

    /// <summary>Unlinks the order in <paramref name="slot"/> (its open quantity leaves the level too).</summary>
    public void Unlink(OrderStore orders, int slot)
    {
        ref RestingOrder order = ref orders[slot];
        if (order.Prev == OrderStore.None)
        {
            Head = order.Next;
        }
        else
        {
            orders[order.Prev].Next = order.Next;
        }
        if (order.Next == OrderStore.None)
        {
            Tail = order.Prev;
        }
        else
        {
            orders[order.Next].Prev = order.Prev;
        }
        Quantity -= order.Remaining;
        Count--;
    }
}
