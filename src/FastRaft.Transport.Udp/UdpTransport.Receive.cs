using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using FastRaft.Codec;
using FastRaft.Hosting;
using FastRaft.Protocol;
using FastRaft.Transport.Udp.Wire;

namespace FastRaft.Transport.Udp;

public sealed partial class UdpTransport
{
    // Receive thread state.
    private readonly InboundBatchPool _pool;
    private readonly Reassembler _reassembler;
    private readonly DatagramSealer _receiveSealer;
    private readonly DatagramAuthenticator? _receiveAuthenticator;
    private readonly byte[] _ackDatagram;
    private readonly SocketAddress _from;
    private readonly int _pollMicros;

    /// <summary>The batch the next datagram is received into; reused while datagrams are dropped.</summary>
    private InboundBatch? _receiving;

    /// <summary>Where a datagram is received when no pooled batch is free (then copied into a one-off batch).</summary>
    private readonly byte[] _overflowBuffer;

    /// <summary>The last exception that escaped datagram processing (a bug: counted as <see cref="DropReason.InternalError"/>).</summary>
    public Exception? LastReceiveError { get; private set; }

    private void ReceiveLoop()
    {
        long housekeepingMillis = Math.Max(1, (long)_options.HousekeepingInterval.TotalMilliseconds);
        long nextHousekeeping = Environment.TickCount64 + housekeepingMillis;
        while (!_stopping)
        {
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                if (_socket.Poll(_pollMicros, SelectMode.SelectRead))
                {
                    ReceiveOne();
                }
                long now = Environment.TickCount64;
                if (now >= nextHousekeeping)
                {
                    Housekeep(now);
                    nextHousekeeping = now + housekeepingMillis;
                }
            }
            catch (ObjectDisposedException) when (_stopping)
            {
                return;
            }
            catch (SocketException) when (!_stopping)
            {
                // A socket-level receive error (e.g. Windows' reset report): nothing was read; go on.
            }
            UdpTransportCounters.Add(ref _counters._receiveLoopAllocatedBytes, GC.GetAllocatedBytesForCurrentThread() - allocatedBefore);
        }
    }

    private void ReceiveOne()
    {
        InboundBatch? batch = _receiving ??= _pool.TryRent();
        Memory<byte> space;
        int n;
        if (batch is not null)
        {
            // One byte more than accepted, so an oversized datagram shows (the OS truncates silently).
            space = batch.RentBuffer(_options.MaxDatagramSize + 1);
            n = _socket.ReceiveFrom(space.Span, SocketFlags.None, _from);
        }
        else
        {
            // Every pooled batch waits at the node (it is behind): receive aside and copy into a
            // one-off batch about the datagram's size, not another datagram-sized pooled one.
            n = _socket.ReceiveFrom(_overflowBuffer, SocketFlags.None, _from);
            batch = new InboundBatch();
            space = batch.RentBuffer(n);
            _overflowBuffer.AsSpan(0, n).CopyTo(space.Span);
            UdpTransportCounters.Increment(ref _counters._overflowBatches);
        }
        DropReason reason;
        try
        {
            reason = Process(batch, space[..n]);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LastReceiveError = e;
            reason = DropReason.InternalError;
        }
        if (reason != DropReason.None)
        {
            _counters.Drop(reason);
        }
        // Counted once handled, so whoever sees the count also sees what became of the datagram.
        UdpTransportCounters.Add(ref _counters._bytesReceived, n);
        UdpTransportCounters.Increment(ref _counters._datagramsReceived);
        // Not handed over: keep the batch for the next datagram.
        _receiving?.Reset();
    }

    /// <summary>Checks and dispatches one datagram. Returns why it was dropped, or None.</summary>
    private DropReason Process(InboundBatch batch, Memory<byte> datagram)
    {
        ReadOnlySpan<byte> d = datagram.Span;
        if (d.Length > _options.MaxDatagramSize)
        {
            return DropReason.Oversized;
        }
        DropReason reason = DatagramHeader.TryRead(d, out DatagramHeader h);
        if (reason != DropReason.None)
        {
            return reason;
        }
        reason = CheckTrailer(h.Flags, d);
        if (reason != DropReason.None)
        {
            return reason;
        }
        if (h.ClusterId != ClusterId)
        {
            return DropReason.WrongCluster;
        }
        if (h.Receiver != LocalId)
        {
            return DropReason.WrongReceiver;
        }
        if (!_peers.TryGet(h.Sender, out Peer peer))
        {
            return DropReason.UnknownSender;
        }
        // The replay guard needs authentic sequence numbers: without a key, one forged datagram
        // with a huge number would shut the real sender out of the window.
        if (IsAuthenticated && !peer.Replay.TryAccept(h.Sequence))
        {
            return DropReason.Replayed;
        }
        Memory<byte> body = datagram[DatagramHeader.Size..(d.Length - _receiveSealer.TrailerSize)];
        return h.Kind switch
        {
            DatagramKind.Messages => DeliverMessages(batch, peer, body),
            DatagramKind.Chunk => AcceptChunk(peer, body.Span),
            _ => AcceptAck(peer, body.Span),
        };
    }

    /// <summary>
    /// Checks the datagram's trailer before anything it says is believed: with a key, the flags
    /// must announce a MAC and the MAC must verify; without one, they must announce a CRC-32C and
    /// it must match (corruption, not forgery, is what that catches).
    /// </summary>
    private DropReason CheckTrailer(DatagramFlags flags, ReadOnlySpan<byte> d)
    {
        DatagramAuthenticator? authenticator = _receiveAuthenticator;
        DatagramFlags expected = authenticator is null ? DatagramFlags.Checksummed : DatagramFlags.Authenticated;
        DropReason failure = authenticator is null && (flags & DatagramFlags.Authenticated) == 0 ? DropReason.BadChecksum : DropReason.BadMac;
        if (flags != expected)
        {
            return failure;
        }
        if (d.Length < DatagramHeader.Size + _receiveSealer.TrailerSize)
        {
            return DropReason.Truncated;
        }
        bool valid = authenticator is null ? DatagramChecksum.Verify(d) : authenticator.Verify(d);
        return valid ? DropReason.None : failure;
    }

    /// <summary>Decodes a batch datagram's messages into <paramref name="batch"/> and hands it to the node.</summary>
    private DropReason DeliverMessages(InboundBatch batch, Peer peer, Memory<byte> body)
    {
        if (body.Length < sizeof(ushort))
        {
            return DropReason.Malformed;
        }
        int count = BinaryPrimitives.ReadUInt16LittleEndian(body.Span);
        if (count == 0)
        {
            return DropReason.Malformed;
        }
        int offset = sizeof(ushort);
        for (int i = 0; i < count; i++)
        {
            if (!RaftMessageCodec.TryRead(body, ref offset, batch.EntryStore, out Message m, out _))
            {
                return DropReason.Malformed;
            }
            if (m.From != peer.Id || m.To != LocalId)
            {
                return DropReason.SenderMismatch;
            }
            batch.Add(in m);
        }
        if (offset != body.Length)
        {
            return DropReason.Malformed;
        }
        UdpTransportCounters.Increment(ref _counters._messageDatagramsReceived);
        return Deliver(batch, count);
    }

    private DropReason Deliver(InboundBatch batch, int count)
    {
        if (ReferenceEquals(batch, _receiving))
        {
            _receiving = null;
        }
        if (_output.Sink is not ITransportSink sink || !sink.Deliver(batch))
        {
            return DropReason.InboxFull;
        }
        UdpTransportCounters.Add(ref _counters._messagesReceived, count);
        return DropReason.None;
    }

    private DropReason AcceptChunk(Peer peer, ReadOnlySpan<byte> body)
    {
        if (!ChunkHeader.TryRead(body, out ChunkHeader h))
        {
            return DropReason.BadChunk;
        }
        ChunkOutcome outcome = _reassembler.Accept(peer, in h, body[ChunkHeader.Size..], Environment.TickCount64, out Reassembly? r);
        switch (outcome)
        {
            case ChunkOutcome.InProgress:
                SendAck(peer, r!.Progress);
                return DropReason.None;
            case ChunkOutcome.Completed:
                DropReason reason = DeliverReassembled(peer, r!);
                if (reason == DropReason.None)
                {
                    r!.Sender.ClosedTransfers.MarkDelivered(h.TransferId);
                }
                // Anything but delivery is a refusal: the sender gives up (a snapshot is reported failed).
                SendAck(peer, new ChunkAck(h.TransferId, r!.Received, reason == DropReason.None ? ChunkAckStatus.Delivered : ChunkAckStatus.Refused, r.Count));
                return reason;
            case ChunkOutcome.Refused:
                SendAck(peer, new ChunkAck(h.TransferId, 0, ChunkAckStatus.Refused));
                return DropReason.ReassemblyLimit;
            case ChunkOutcome.RefusedForPeer:
                SendAck(peer, new ChunkAck(h.TransferId, 0, ChunkAckStatus.Refused));
                return DropReason.PeerReassemblyLimit;
            case ChunkOutcome.Delivered:
                // A resent chunk of a message already delivered (its delivered ack was lost, or
                // the sender resent early): a duplicate like any other, answered again.
                SendAck(peer, new ChunkAck(h.TransferId, h.Count, ChunkAckStatus.Delivered, h.Count));
                return DropReason.None;
            case ChunkOutcome.Stale:
                // Refused, abandoned or undeliverable here: a sender still at it learns at once.
                SendAck(peer, new ChunkAck(h.TransferId, 0, ChunkAckStatus.Refused));
                return DropReason.StaleChunk;
            default:
                return DropReason.BadChunk;
        }
    }

    /// <summary>Decodes a reassembled message (its views point into its own batch) and hands it over.</summary>
    private DropReason DeliverReassembled(Peer peer, Reassembly r)
    {
        if (!r.IsIntact)
        {
            return DropReason.BadMessageChecksum;
        }
        int offset = 0;
        InboundBatch batch = r.Batch;
        if (!RaftMessageCodec.TryRead(r.Buffer, ref offset, batch.EntryStore, out Message m, out _) || offset != r.TotalLength)
        {
            return DropReason.Malformed;
        }
        if (m.From != peer.Id || m.To != LocalId)
        {
            return DropReason.SenderMismatch;
        }
        batch.Add(in m);
        return Deliver(batch, 1);
    }

    private DropReason AcceptAck(Peer peer, ReadOnlySpan<byte> body)
    {
        if (!ChunkAck.TryRead(body, out ChunkAck ack))
        {
            return DropReason.Malformed;
        }
        return _transfers.OnAck(peer.Id, in ack, Environment.TickCount64);
    }

    private void SendAck(Peer peer, in ChunkAck ack)
    {
        Span<byte> d = _ackDatagram;
        ack.Write(d[DatagramHeader.Size..]);
        int length = _receiveSealer.Seal(d, DatagramHeader.Size + ChunkAck.Size, DatagramKind.ChunkAck, peer.Id);
        _output.Send(peer, d[..length]);
    }

    private void Housekeep(long now)
    {
        _reassembler.Expire(now);
        _transfers.Expire(now);
        _output.ReleaseHeld();
    }
}
