using FastRaft.Transport.Udp.Wire;

namespace FastRaft.Transport.Udp;

/// <summary>What became of a chunk.</summary>
internal enum ChunkOutcome
{
    /// <summary>Taken (or already had); the transfer goes on.</summary>
    InProgress,

    /// <summary>It was the last missing chunk: the message is whole.</summary>
    Completed,

    /// <summary>A new transfer with no room for it (count or byte cap, or too large).</summary>
    Refused,

    /// <summary>For a transfer already completed or abandoned.</summary>
    Stale,

    /// <summary>Inconsistent with its transfer.</summary>
    Bad,
}

/// <summary>
/// Puts chunked messages back together on the receive thread, with bounded memory: at most a
/// fixed number of reassemblies at once and a cap on the bytes they hold together; one that gets
/// no new chunk for the timeout is abandoned and its memory released.
/// </summary>
internal sealed class Reassembler(UdpTransportOptions options, UdpTransportCounters counters)
{
    private readonly Reassembly?[] _slots = new Reassembly?[options.MaxConcurrentReassemblies];
    private readonly long _timeoutMillis = (long)options.ReassemblyTimeout.TotalMilliseconds;
    private long _bytes;

    /// <summary>Bytes held by reassemblies in progress.</summary>
    public long BufferedBytes => _bytes;

    /// <summary>
    /// Takes one chunk from <paramref name="sender"/>. On <see cref="ChunkOutcome.Completed"/> the
    /// whole message is in <paramref name="reassembly"/>, which has left the reassembler;
    /// otherwise <paramref name="reassembly"/> is the transfer in progress, if any.
    /// </summary>
    public ChunkOutcome Accept(Peer sender, in ChunkHeader h, ReadOnlySpan<byte> data, long now, out Reassembly? reassembly)
    {
        int slot = Find(sender.Id, h.TransferId);
        if (slot < 0)
        {
            reassembly = null;
            if (h.TransferId <= sender.LastClosedTransfer)
            {
                return ChunkOutcome.Stale;
            }
            slot = Array.IndexOf(_slots, null);
            if (slot < 0 || h.TotalLength > options.MaxMessageSize || _bytes + h.TotalLength > options.MaxReassemblyBytes)
            {
                // Refused for good: later chunks of it are stale, and the sender hears of it at once.
                Close(sender, h.TransferId);
                return ChunkOutcome.Refused;
            }
            _slots[slot] = new Reassembly(sender, in h, now);
            _bytes += h.TotalLength;
            UdpTransportCounters.Increment(ref counters._reassembliesStarted);
        }
        Reassembly r = _slots[slot]!;
        reassembly = r;
        if (!r.Matches(in h))
        {
            return ChunkOutcome.Bad;
        }
        if (r.Add(in h, data, now))
        {
            UdpTransportCounters.Increment(ref counters._chunksReceived);
        }
        if (!r.IsComplete)
        {
            return ChunkOutcome.InProgress;
        }
        Release(slot);
        UdpTransportCounters.Increment(ref counters._reassembliesCompleted);
        return ChunkOutcome.Completed;
    }

    /// <summary>Abandons reassemblies that got no chunk for the timeout (housekeeping).</summary>
    public void Expire(long now)
    {
        for (int i = 0; i < _slots.Length; i++)
        {
            if (_slots[i] is Reassembly r && now - r.LastProgress > _timeoutMillis)
            {
                Release(i);
                counters.Drop(DropReason.ReassemblyTimeout);
            }
        }
    }

    private int Find(ulong sender, ulong transferId)
    {
        for (int i = 0; i < _slots.Length; i++)
        {
            if (_slots[i] is Reassembly r && r.TransferId == transferId && r.Sender.Id == sender)
            {
                return i;
            }
        }
        return -1;
    }

    private void Release(int slot)
    {
        Reassembly r = _slots[slot]!;
        _slots[slot] = null;
        _bytes -= r.TotalLength;
        Close(r.Sender, r.TransferId);
    }

    private static void Close(Peer sender, ulong transferId)
    {
        if (transferId > sender.LastClosedTransfer)
        {
            sender.LastClosedTransfer = transferId;
        }
    }
}
