namespace FastRaft.Transport.Udp;

/// <summary>
/// The last few transfers of one sender that the receiver finished with (delivered, refused or
/// abandoned), so that their late and resent chunks are answered instead of starting a new
/// reassembly. A fixed ring, not a high-water mark: ids need not increase (a restarted sender, a
/// forged extreme id), and an id falls out after <see cref="Capacity"/> newer ones, so no single
/// id can shut a sender out. Receive thread only; never allocates after construction.
/// </summary>
internal sealed class ClosedTransfers
{
    /// <summary>
    /// Transfers remembered per sender. A sender has few transfers to one receiver at a time, so
    /// a chunk of a transfer this far back is very late; if one comes, it starts a reassembly that
    /// the timeout removes.
    /// </summary>
    public const int Capacity = 16;

    private readonly ulong[] _ids = new ulong[Capacity];
    private readonly bool[] _delivered = new bool[Capacity];
    private int _count;
    private int _next;

    /// <summary>Remembers <paramref name="transferId"/> as closed (replacing the oldest when full).</summary>
    public void Add(ulong transferId, bool delivered = false)
    {
        int at = IndexOf(transferId);
        if (at < 0)
        {
            at = _next;
            _next = (_next + 1) % Capacity;
            _count = Math.Min(_count + 1, Capacity);
            _ids[at] = transferId;
        }
        _delivered[at] = delivered;
    }

    /// <summary>Marks a remembered transfer as handed to the node whole.</summary>
    public void MarkDelivered(ulong transferId)
    {
        int at = IndexOf(transferId);
        if (at >= 0)
        {
            _delivered[at] = true;
        }
    }

    /// <summary>Whether <paramref name="transferId"/> is remembered as closed, and if so whether it was delivered.</summary>
    public bool TryGet(ulong transferId, out bool delivered)
    {
        int at = IndexOf(transferId);
        delivered = at >= 0 && _delivered[at];
        return at >= 0;
    }

    private int IndexOf(ulong transferId)
    {
        for (int i = 0; i < _count; i++)
        {
            if (_ids[i] == transferId)
            {
                return i;
            }
        }
        return -1;
    }
}
