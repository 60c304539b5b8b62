namespace FastRaft.Transport.Udp;

/// <summary>
/// The replay guard for one sender: accepts each sequence number once, newer than anything seen
/// or within <see cref="Size"/> behind the newest (so reordered datagrams still pass). Owned by
/// the receive thread; fixed size, never allocates after construction.
/// </summary>
internal sealed class ReplayWindow
{
    public const int Size = 1024;

    private const int Words = Size / 64;

    private readonly ulong[] _seen = new ulong[Words];
    private ulong _newest;
    private bool _any;

    /// <summary>Marks <paramref name="sequence"/> seen; false when it was seen before or is too old to tell.</summary>
    public bool TryAccept(ulong sequence)
    {
        if (!_any)
        {
            _any = true;
            _newest = sequence;
            Set(sequence);
            return true;
        }
        if (sequence > _newest)
        {
            Slide(sequence);
            Set(sequence);
            return true;
        }
        if (_newest - sequence >= Size || IsSet(sequence))
        {
            return false;
        }
        Set(sequence);
        return true;
    }

    /// <summary>Moves the newest to <paramref name="sequence"/>, forgetting the positions it passes.</summary>
    private void Slide(ulong sequence)
    {
        ulong distance = sequence - _newest;
        if (distance >= Size)
        {
            Array.Clear(_seen);
        }
        else
        {
            for (ulong s = _newest + 1; s != sequence + 1; s++)
            {
                Clear(s);
            }
        }
        _newest = sequence;
    }

    private void Set(ulong s) => _seen[(int)(s / 64 % Words)] |= 1UL << (int)(s % 64);

    private void Clear(ulong s) => _seen[(int)(s / 64 % Words)] &= ~(1UL << (int)(s % 64));

    private bool IsSet(ulong s) => (_seen[(int)(s / 64 % Words)] & (1UL << (int)(s % 64))) != 0;
}
