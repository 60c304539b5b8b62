using System.Buffers;
using FastRaft.Codec;
using FastRaft.Core;
using FastRaft.Protocol;
using FastRaft.Transport.Udp.Wire;

namespace FastRaft.Transport.Udp;

/// <summary>
/// Sends messages too large for one datagram (and every snapshot) in chunks, flow-controlled by
/// the receiver's acknowledgements: at most a window of chunks is ahead of the acknowledged
/// count, so a burst never overruns the receiver's socket buffer. Lost chunks are not resent: a
/// transfer that stops progressing for the stall timeout, or that the receiver refuses, is given
/// up, and a snapshot among them is reported failed (the leader retries after its pause); a
/// snapshot the receiver acknowledges as delivered is reported finished.
/// The node thread starts transfers; the receive thread advances them on acknowledgements and
/// expires them. Both go through one lock (transfers are rare; whole-message datagrams never take it).
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
    private readonly long _stallMillis;

    public TransferSender(UdpTransportOptions options, DatagramSealer sealer, DatagramOutput output, UdpTransportCounters counters, SequenceSource ids)
    {
        _slots = new Transfer?[options.MaxConcurrentTransfers];
        _sealer = sealer;
        _output = output;
        _counters = counters;
        _ids = ids;
        _datagram = new byte[options.MaxDatagramSize];
        _chunkSize = options.MaxDatagramSize - DatagramHeader.Size - ChunkHeader.Size - sealer.MacSize;
        _window = Math.Max(1, options.TransferWindowBytes / _chunkSize);
        _maxMessageSize = options.MaxMessageSize;
        _stallMillis = (long)options.TransferStallTimeout.TotalMilliseconds;
    }

    /// <summary>Data bytes per chunk.</summary>
    public int ChunkSize => _chunkSize;

    /// <summary>Starts sending <paramref name="m"/> (<paramref name="size"/> bytes encoded) to <paramref name="peer"/> (node thread).</summary>
    public void Start(Peer peer, in Message m, long size)
    {
        bool isSnapshot = m.Type == MessageType.MsgSnap;
        if (size > _maxMessageSize)
        {
            Refuse(peer, isSnapshot, DropReason.MessageTooLarge);
            return;
        }
        int length = (int)size;
        byte[] encoded = Encode(in m, length);
        var t = new Transfer(peer, _ids.Next(), encoded, length, ChunkHeader.CountFor(length, _chunkSize), isSnapshot, Environment.TickCount64);
        bool placed = false;
        lock (_gate)
        {
            int free = Array.IndexOf(_slots, null);
            if (free >= 0)
            {
                _slots[free] = t;
                placed = true;
                UdpTransportCounters.Increment(ref _counters._transfersStarted);
                Pump(t);
            }
        }
        if (!placed)
        {
            ArrayPool<byte>.Shared.Return(encoded);
            Refuse(peer, isSnapshot, DropReason.TransferLimit);
        }
    }

    /// <summary>Handles the receiver's word on a transfer (receive thread).</summary>
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
                    report = Close(i, SnapshotStatus.SnapshotFinish);
                    break;
                case ChunkAckStatus.Refused:
                    _counters.Drop(DropReason.TransferFailed);
                    report = Close(i, SnapshotStatus.SnapshotFailure);
                    break;
                default:
                    int acked = Math.Min(ack.Received, t.NextChunk);
                    if (acked > t.Acked)
                    {
                        t.Acked = acked;
                        t.LastProgress = now;
                        Pump(t);
                    }
                    break;
            }
        }
        Report(report);
        return DropReason.None;
    }

    /// <summary>Gives up transfers that stopped progressing (receive thread, on housekeeping).</summary>
    public void Expire(long now)
    {
        Span<SnapshotReport> reports = stackalloc SnapshotReport[_slots.Length];
        lock (_gate)
        {
            for (int i = 0; i < _slots.Length; i++)
            {
                if (_slots[i] is Transfer t && now - t.LastProgress > _stallMillis)
                {
                    _counters.Drop(DropReason.TransferFailed);
                    reports[i] = Close(i, SnapshotStatus.SnapshotFailure);
                }
            }
        }
        foreach (SnapshotReport r in reports)
        {
            Report(r);
        }
    }

    /// <summary>Transfers in flight (for tests).</summary>
    public int Active
    {
        get
        {
            lock (_gate)
            {
                int n = 0;
                foreach (Transfer? t in _slots)
                {
                    n += t is null ? 0 : 1;
                }
                return n;
            }
        }
    }

    private byte[] Encode(in Message m, int length)
    {
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

    /// <summary>Sends chunks while the window allows (under the lock).</summary>
    private void Pump(Transfer t)
    {
        while (t.NextChunk < t.ChunkCount && t.NextChunk - t.Acked < _window)
        {
            SendChunk(t, t.NextChunk++);
        }
    }

    private void SendChunk(Transfer t, int index)
    {
        var h = new ChunkHeader(t.Id, t.Length, _chunkSize, index, t.ChunkCount);
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
        ArrayPool<byte>.Shared.Return(t.Encoded);
        return t.IsSnapshot ? new SnapshotReport(t.Peer.Id, status) : default;
    }

    private void Refuse(Peer peer, bool isSnapshot, DropReason reason)
    {
        _counters.Drop(reason);
        if (isSnapshot)
        {
            Report(new SnapshotReport(peer.Id, SnapshotStatus.SnapshotFailure));
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
                    ArrayPool<byte>.Shared.Return(t.Encoded);
                }
            }
        }
    }

    private readonly record struct SnapshotReport(ulong Peer, SnapshotStatus Status);
}
