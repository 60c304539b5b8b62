using System.Buffers;
using System.Numerics;
using FastRaft.Codec;
using FastRaft.Core;
using FastRaft.Protocol;
using FastRaft.Storage.Wal;
using FastRaft.Transport.Udp.Wire;

namespace FastRaft.Transport.Udp;

/// <summary>
/// Sends messages too large for one datagram (and every snapshot) in chunks, flow-controlled by
/// the receiver's acknowledgements: at most a window of chunks is ahead of the acknowledged
/// count, so a burst never overruns the receiver's socket buffer. Lost chunks are resent: at once
/// when an acknowledgement shows a later chunk arrived without them, and otherwise when the
/// receiver shows no progress for the resend interval (doubling the wait each time, so a silent
/// receiver gets a trickle, not a flood). A transfer that makes no progress for the stall
/// timeout, or that the receiver refuses, is given up, and a snapshot among them is reported
/// failed (the leader retries after its pause); a snapshot the receiver acknowledges as delivered
/// is reported finished.
/// The node thread starts transfers; the receiving side (the receive thread, or the node thread
/// itself in the polled mode, where the lock is never contended) advances them on
/// acknowledgements and expires them. Both go through one lock (transfers are rare; whole-message
/// datagrams never take it). Times are timestamps of <see cref="UdpTransportOptions.Time"/>.
/// </summary>
internal sealed class TransferSender : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Transfer?[] _slots;
    private readonly DatagramSealer _sealer;
    private readonly DatagramOutput _output;
    private readonly UdpTransportCounters _counters;
    private readonly SequenceSource _ids;
    private readonly byte[] _datagram;
    private readonly DatagramBuffer _encoder = new(Array.Empty<byte>());
    private readonly int _chunkSize;
    private readonly int _window;
    private readonly int _maxMessageSize;
    private readonly TimeProvider _time;
    private readonly long _stallTimeout;
    private readonly long _resendInterval;

    /// <summary>A chunk shown missing behind a later one is resent at most this often (reordering can fake a hole for a moment).</summary>
    private readonly long _holeResendInterval;

    /// <summary>Transfers in flight (written under the lock, read without it).</summary>
    private volatile int _active;

    public TransferSender(UdpTransportOptions options, DatagramSealer sealer, DatagramOutput output, UdpTransportCounters counters, SequenceSource ids)
    {
        _slots = new Transfer?[options.MaxConcurrentTransfers];
        _sealer = sealer;
        _output = output;
        _counters = counters;
        _ids = ids;
        _datagram = new byte[options.MaxDatagramSize];
        _chunkSize = options.MaxDatagramSize - DatagramHeader.Size - ChunkHeader.Size - sealer.TrailerSize;
        _window = Math.Max(1, options.TransferWindowBytes / _chunkSize);
        _maxMessageSize = options.MaxMessageSize;
        _time = options.Time;
        _stallTimeout = Timestamps.From(options.TransferStallTimeout, _time);
        // Shifted left by up to 10 for the backoff: kept small enough not to overflow.
        _resendInterval = Math.Min(Timestamps.From(options.ChunkResendInterval, _time), long.MaxValue >> 16);
        _holeResendInterval = Math.Max(1, _resendInterval / 4);
    }

    /// <summary>Data bytes per chunk.</summary>
    public int ChunkSize => _chunkSize;

    /// <summary>Starts sending <paramref name="m"/> (<paramref name="size"/> bytes encoded) to <paramref name="peer"/> (node thread).</summary>
    public void Start(Peer peer, in Message m, long size)
    {
        bool isSnapshot = m.Type == MessageType.Snapshot;
        if (size > _maxMessageSize)
        {
            Refuse(peer, isSnapshot, DropReason.MessageTooLarge);
            return;
        }
        int length = (int)size;
        byte[] encoded = Encode(in m, length);
        int count = ChunkHeader.CountFor(length, _chunkSize);
        // Every chunk carries the whole message's checksum: the receiver checks the reassembled message against it.
        uint checksum = Crc32C.Compute(encoded.AsSpan(0, length));
        long now = _time.GetTimestamp();
        var t = new Transfer(peer, _ids.Next(), encoded, length, count, checksum, isSnapshot, ArrayPool<long>.Shared.Rent(count), now);
        bool placed = false;
        lock (_gate)
        {
            int free = Array.IndexOf(_slots, null);
            if (free >= 0)
            {
                _slots[free] = t;
                _active++;
                placed = true;
                UdpTransportCounters.Increment(ref _counters._transfersStarted);
                Pump(t, now);
            }
        }
        if (!placed)
        {
            ReturnBuffers(t);
            Refuse(peer, isSnapshot, DropReason.TransferLimit);
        }
    }

    /// <summary>Handles the receiver's word on a transfer (receiving side).</summary>
    public DropReason OnAck(ulong sender, in ChunkAck ack, long now)
    {
        SnapshotReport report = default;
        lock (_gate)
        {
            int i = Find(sender, ack.TransferId);
            if (i < 0)
            {
                return DropReason.StaleAck;
            }
            Transfer t = _slots[i]!;
            switch (ack.Status)
            {
                case ChunkAckStatus.Delivered:
                    UdpTransportCounters.Increment(ref _counters._transfersCompleted);
                    report = Close(i, SnapshotStatus.Finish);
                    break;
                case ChunkAckStatus.Refused:
                    _counters.Drop(DropReason.TransferFailed);
                    report = Close(i, SnapshotStatus.Failure);
                    break;
                default:
                    OnProgress(t, in ack, now);
                    ResendHoles(t, now);
                    Pump(t, now);
                    break;
            }
        }
        Report(report);
        return DropReason.None;
    }

    /// <summary>
    /// Gives up transfers that stopped progressing, and resends for those waiting longer than the
    /// resend interval (receiving side, on housekeeping). Returns how many transfers it acted on.
    /// </summary>
    public int Expire(long now)
    {
        if (_active == 0)
        {
            return 0;
        }
        Span<SnapshotReport> reports = stackalloc SnapshotReport[_slots.Length];
        int acted = 0;
        lock (_gate)
        {
            for (int i = 0; i < _slots.Length; i++)
            {
                if (_slots[i] is not Transfer t)
                {
                    continue;
                }
                if (now - t.LastProgress > _stallTimeout)
                {
                    _counters.Drop(DropReason.TransferFailed);
                    reports[i] = Close(i, SnapshotStatus.Failure);
                    acted++;
                }
                else if (now - Math.Max(t.LastProgress, t.LastTimeoutResend) >= _resendInterval << Math.Min(t.Backoff, 10))
                {
                    ResendUnacknowledged(t, now);
                    acted++;
                }
            }
        }
        foreach (SnapshotReport r in reports)
        {
            Report(r);
        }
        return acted;
    }

    /// <summary>Transfers in flight (any thread).</summary>
    public int Active => _active;

    private byte[] Encode(in Message m, int length)
    {
        // A bare rented array, not a MemoryOwner<byte>: the encoder writes into it in place and the
        // transfer keeps it until acknowledged; a wrapper would add an object per transfer for nothing.
        byte[] encoded = ArrayPool<byte>.Shared.Rent(length + DatagramBuffer.Slack);
        try
        {
            _encoder.Attach(encoded);
            RaftMessageCodec.Write(_encoder, in m);
            _encoder.Attach(Array.Empty<byte>());
            return encoded;
        }
        catch
        {
            _encoder.Attach(Array.Empty<byte>());
            ArrayPool<byte>.Shared.Return(encoded);
            throw;
        }
    }

    /// <summary>Takes in what an acknowledgement says the receiver holds (acks may arrive out of order).</summary>
    private static void OnProgress(Transfer t, in ChunkAck ack, long now)
    {
        int firstMissing = Math.Min(ack.FirstMissing, t.NextChunk);
        if (firstMissing > t.FirstMissing)
        {
            t.FirstMissing = firstMissing;
            t.HeldMask = ack.HeldMask;
        }
        else if (firstMissing == t.FirstMissing)
        {
            t.HeldMask |= ack.HeldMask;
        }
        int acked = Math.Min(ack.Received, t.NextChunk);
        if (acked > t.Acked)
        {
            t.Acked = acked;
            t.LastProgress = now;
            t.Backoff = 0;
        }
    }

    /// <summary>Resends the chunks the receiver lacks although a later one reached it: they were most likely lost (under the lock).</summary>
    private void ResendHoles(Transfer t, long now)
    {
        if (t.HeldMask == 0)
        {
            return;
        }
        int highestHeld = t.FirstMissing + 63 - BitOperations.LeadingZeroCount(t.HeldMask);
        int end = Math.Min(highestHeld, t.NextChunk);
        for (int i = t.FirstMissing; i < end; i++)
        {
            if (!t.Holds(i) && now - t.SentAt[i] >= _holeResendInterval)
            {
                Resend(t, i, now);
            }
        }
    }

    /// <summary>
    /// No progress for a while: resends up to a window of the chunks not known to have arrived,
    /// from the first missing one (a lost tail, or lost resends), and backs off (under the lock).
    /// </summary>
    private void ResendUnacknowledged(Transfer t, long now)
    {
        int sent = 0;
        for (int i = t.FirstMissing; i < t.NextChunk && sent < _window; i++)
        {
            if (!t.Holds(i))
            {
                Resend(t, i, now);
                sent++;
            }
        }
        t.LastTimeoutResend = now;
        t.Backoff++;
    }

    private void Resend(Transfer t, int index, long now)
    {
        SendChunk(t, index, now);
        UdpTransportCounters.Increment(ref _counters._chunksResent);
    }

    /// <summary>Sends new chunks while the window allows (under the lock).</summary>
    private void Pump(Transfer t, long now)
    {
        while (t.NextChunk < t.ChunkCount && t.NextChunk - t.Acked < _window)
        {
            SendChunk(t, t.NextChunk++, now);
        }
    }

    private void SendChunk(Transfer t, int index, long now)
    {
        t.SentAt[index] = now;
        var h = new ChunkHeader(t.Id, t.Length, _chunkSize, index, t.ChunkCount, t.MessageChecksum);
        Span<byte> d = _datagram;
        h.Write(d[DatagramHeader.Size..]);
        int dataStart = DatagramHeader.Size + ChunkHeader.Size;
        t.Encoded.AsSpan(h.Offset, h.ExpectedLength).CopyTo(d[dataStart..]);
        int length = _sealer.Seal(d, dataStart + h.ExpectedLength, DatagramKind.Chunk, t.Peer.Id);
        _output.Send(t.Peer, d[..length]);
        UdpTransportCounters.Increment(ref _counters._chunksSent);
    }

    private int Find(ulong peer, ulong id)
    {
        for (int i = 0; i < _slots.Length; i++)
        {
            if (_slots[i] is Transfer t && t.Id == id && t.Peer.Id == peer)
            {
                return i;
            }
        }
        return -1;
    }

    private SnapshotReport Close(int slot, SnapshotStatus status)
    {
        Transfer t = _slots[slot]!;
        _slots[slot] = null;
        _active--;
        ReturnBuffers(t);
        return t.IsSnapshot ? new SnapshotReport(t.Peer.Id, status) : default;
    }

    private static void ReturnBuffers(Transfer t)
    {
        ArrayPool<byte>.Shared.Return(t.Encoded);
        ArrayPool<long>.Shared.Return(t.SentAt);
    }

    private void Refuse(Peer peer, bool isSnapshot, DropReason reason)
    {
        _counters.Drop(reason);
        if (isSnapshot)
        {
            Report(new SnapshotReport(peer.Id, SnapshotStatus.Failure));
        }
    }

    /// <summary>Tells the node (outside the lock: the sink is someone else's code).</summary>
    private void Report(SnapshotReport r)
    {
        if (r.Peer != 0)
        {
            _output.Sink?.ReportSnapshot(r.Peer, r.Status);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            for (int i = 0; i < _slots.Length; i++)
            {
                if (_slots[i] is Transfer t)
                {
                    _slots[i] = null;
                    _active--;
                    ReturnBuffers(t);
                }
            }
        }
    }

    private readonly record struct SnapshotReport(ulong Peer, SnapshotStatus Status);
}
