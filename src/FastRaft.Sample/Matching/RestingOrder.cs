namespace FastRaft.Sample.Matching;

/// <summary>An order waiting on a book; a node of its price level's FIFO list (slots, not references).</summary>
internal struct RestingOrder
{
    public ulong OrderId;
    public ulong ClientId;
    public long Price;
    public long Remaining;
    public int Instrument;
    public Side Side;
    public int Prev;
    public int Next;
}
