using FastRaft.Transport.Udp.Wire;

namespace FastRaft.Transport.Udp;

/// <summary>What became of a chunk.</summary>
internal enum ChunkOutcome
{
    /// <summary>Taken (or already had); the transfer goes on.</summary>
    InProgress,

    /// <summary>It was the last missing chunk: the message is whole.</summary>
    Completed,

    /// <summary>A new transfer with no room under the receiver's caps, or larger than the maximum message.</summary>
    Refused,

    /// <summary>A new transfer whose sender already holds its share of reassemblies (count or bytes).</summary>
    RefusedForPeer,

    /// <summary>For a transfer that is over and was delivered whole (a resend whose delivered ack was lost).</summary>
    Delivered,

    /// <summary>For a transfer that is over without being delivered (refused, abandoned, failed its checks).</summary>
    Stale,

    /// <summary>Inconsistent with its transfer, or with what this receiver accepts.</summary>
    Bad,
}

/// <summary>
/// Puts chunked messages back together on the receiving side (the receive thread, or the node
/// thread in the polled mode), with bounded memory and no state a
/// sender can wedge: at most a fixed number of reassemblies and bytes at once, and a smaller
/// share of both per sender (so one sender cannot starve the others); a reassembly is abandoned
/// when no new chunk comes for the timeout, or at its deadline (the timeout plus its size at a
/// minimum rate), so chunks trickling in cannot keep it alive forever. Finished transfers are
/// remembered per sender in a small ring (<see cref="ClosedTransfers"/>), never as a
/// high-water mark that one extreme id could poison. Times are timestamps of <see cref="UdpTransportOptions.Time"/>.
/// </summary>
internal sealed class Reassembler
{
    private readonly Reassembly?[] _slots;
    private readonly UdpTransportCounters _counters;
    private readonly int _maxMessageSize;
    private readonly long _maxBytes;
    private readonly int _maxPerPeer;
    private readonly long _maxBytesPerPeer;
    private readonly int _maxChunkSize;
    private readonly TimeProvider _time;
    private readonly long _idleTimeout;
    private readonly long _minBytesPerSecond;
    private long _bytes;
    private int _active;

    /// <param name="options">The limits: concurrent reassemblies, buffered bytes, timeouts.</param>
    /// <param name="maxChunkSize">The largest nominal chunk size a sender with this receiver's datagram size uses.</param>
    /// <param name="counters">Where completed, timed-out and refused reassemblies are counted.</param>
    public Reassembler(UdpTransportOptions options, int maxChunkSize, UdpTransportCounters counters)
    {
        _slots = new Reassembly?[options.MaxConcurrentReassemblies];
        _counters = counters;
        _maxMessageSize = options.MaxMessageSize;
        _maxBytes = options.MaxReassemblyBytes;
        _maxPerPeer = options.MaxReassembliesPerPeer;
        _maxBytesPerPeer = options.MaxReassemblyBytesPerPeer;
        _maxChunkSize = maxChunkSize;
        _time = options.Time;
        _idleTimeout = Timestamps.From(options.ReassemblyTimeout, _time);
        _minBytesPerSecond = options.ReassemblyMinBytesPerSecond;
    }

    /// <summary>Bytes held by reassemblies in progress (readable from any thread).</summary>
    public long BufferedBytes => Volatile.Read(ref _bytes);

    /// <summary>Reassemblies in progress (read from any thread).</summary>
    public int Active => Volatile.Read(ref _active);

    /// <summary>
    /// Takes one chunk from <paramref name="sender"/>. On <see cref="ChunkOutcome.Completed"/> the
    /// whole message is in <paramref name="reassembly"/>, which has left the reassembler (the
    /// caller checks and delivers it, then marks it delivered in the sender's
    /// <see cref="ClosedTransfers"/>); otherwise <paramref name="reassembly"/> is the transfer in
    /// progress, if any.
    /// </summary>
    public ChunkOutcome Accept(Peer sender, in ChunkHeader h, ReadOnlySpan<byte> data, long now, out Reassembly? reassembly)
    {
        reassembly = null;
        int slot = Find(sender.Id, h.TransferId);
        if (slot < 0)
        {
            if (sender.ClosedTransfers.TryGet(h.TransferId, out bool delivered))
            {
                return delivered ? ChunkOutcome.Delivered : ChunkOutcome.Stale;
            }
            if (h.ChunkSize > _maxChunkSize)
            {
                // No sender with this receiver's datagram size makes such chunks; not remembered,
                // so a forged one cannot close a real transfer's id.
                return ChunkOutcome.Bad;
            }
            ChunkOutcome admission = Admit(sender.Id, h.TotalLength, out slot);
            if (admission != ChunkOutcome.InProgress)
            {
                // Refused for good: later chunks of it are answered "refused" at once.
                sender.ClosedTransfers.Add(h.TransferId);
                return admission;
            }
            Volatile.Write(ref _slots[slot], new Reassembly(sender, in h, now, DeadlineFor(now, h.TotalLength)));
            Volatile.Write(ref _bytes, _bytes + h.TotalLength);
            Volatile.Write(ref _active, _active + 1);
            UdpTransportCounters.Increment(ref _counters._reassembliesStarted);
        }
        Reassembly r = _slots[slot]!;
        reassembly = r;
        if (!r.Matches(in h))
        {
            return ChunkOutcome.Bad;
        }
        if (r.Add(in h, data, now))
        {
            UdpTransportCounters.Increment(ref _counters._chunksReceived);
        }
        if (!r.IsComplete)
        {
            return ChunkOutcome.InProgress;
        }
        Release(slot);
        UdpTransportCounters.Increment(ref _counters._reassembliesCompleted);
        return ChunkOutcome.Completed;
    }

    /// <summary>
    /// Abandons reassemblies that got no chunk for the timeout or are past their deadline
    /// (housekeeping). Their later chunks are answered "refused", so a live sender learns at once.
    /// Returns how many it abandoned.
    /// </summary>
    public int Expire(long now)
    {
        if (_active == 0)
        {
            return 0;
        }
        int expired = 0;
        for (int i = 0; i < _slots.Length; i++)
        {
            if (_slots[i] is not Reassembly r)
            {
                continue;
            }
            if (now >= r.Deadline)
            {
                Release(i);
                _counters.Drop(DropReason.ReassemblyDeadline);
                expired++;
            }
            else if (now - r.LastProgress > _idleTimeout)
            {
                Release(i);
                _counters.Drop(DropReason.ReassemblyTimeout);
                expired++;
            }
        }
        return expired;
    }

    /// <summary>The idle timeout plus the time the message takes at the minimum rate, from now.</summary>
    private long DeadlineFor(long now, int totalLength) => now + _idleTimeout + Timestamps.ForBytes(totalLength, _minBytesPerSecond, _time);

    /// <summary>Whether a new transfer of <paramref name="length"/> bytes fits, and the free slot for it.</summary>
    private ChunkOutcome Admit(ulong sender, int length, out int slot)
    {
        slot = -1;
        if (length > _maxMessageSize)
        {
            return ChunkOutcome.Refused;
        }
        int peerCount = 0;
        long peerBytes = 0;
        for (int i = 0; i < _slots.Length; i++)
        {
            if (_slots[i] is Reassembly r)
            {
                if (r.Sender.Id == sender)
                {
                    peerCount++;
                    peerBytes += r.TotalLength;
                }
            }
            else if (slot < 0)
            {
                slot = i;
            }
        }
        if (peerCount >= _maxPerPeer || peerBytes + length > _maxBytesPerPeer)
        {
            return ChunkOutcome.RefusedForPeer;
        }
        return slot < 0 || _bytes + length > _maxBytes ? ChunkOutcome.Refused : ChunkOutcome.InProgress;
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
        Volatile.Write(ref _slots[slot], null);
        Volatile.Write(ref _bytes, _bytes - r.TotalLength);
        Volatile.Write(ref _active, _active - 1);
        r.Sender.ClosedTransfers.Add(r.TransferId);
    }
}
