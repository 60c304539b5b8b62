using System.Buffers.Binary;
using System.Net.Sockets;
using FastRaft.Codec;
using FastRaft.Hosting;
using FastRaft.Protocol;
using FastRaft.Transport.Udp.Wire;

namespace FastRaft.Transport.Udp;

public sealed partial class UdpTransport
{
    // Receiving side state: the receive thread's, or in the polled mode the node thread's.
    private readonly InboundBatchPool _pool;
    private readonly Reassembler _reassembler;
    private readonly DatagramSealer _receiveSealer;
    private readonly DatagramAuthenticator? _receiveAuthenticator;
    private readonly byte[] _ackDatagram;
    private readonly int _pollMicros;

    /// <summary>The batch the next datagram is received into; reused while datagrams are dropped.</summary>
    private InboundBatch? _receiving;

    /// <summary>Where a datagram is received when no pooled batch is free (then copied into a one-off batch).</summary>
    private readonly byte[] _overflowBuffer;

    /// <summary>
    /// Whether the sink's Deliver is running (receiving side): in the polled mode an exception it
    /// throws is the node's (it steps the batch on the spot) and goes to the caller of Poll
    /// instead of being counted as a drop. (Exception filters run before finally blocks, so the
    /// filter still sees the flag set.)
    /// </summary>
    private bool _inSink;

    /// <summary>The last exception that escaped datagram processing (a bug: counted as <see cref="DropReason.InternalError"/>).</summary>
    public Exception? LastReceiveError { get; private set; }

    /// <summary>What one receive attempt found.</summary>
    private enum Received
    {
        /// <summary>No datagram was waiting (or the socket reported an error instead of one).</summary>
        Nothing,

        /// <summary>A datagram was read and handled: delivered, or dropped and counted.</summary>
        Datagram,

        /// <summary>A one-byte wake datagram was read and counted.</summary>
        Wake,
    }

    /// <summary>The receive thread (<see cref="UdpTransportOptions.ReceiveThread"/>): waits for datagrams, handles them, housekeeps.</summary>
    private void ReceiveLoop()
    {
        TimeProvider time = _options.Time;
        long nextHousekeeping = time.GetTimestamp() + _housekeepingInterval;
        while (!_stopping)
        {
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                if (_socket.Poll(_pollMicros, SelectMode.SelectRead))
                {
                    ReceiveOne(time.GetTimestamp());
                }
                long now = time.GetTimestamp();
                if (now >= nextHousekeeping)
                {
                    Housekeep(now);
                    nextHousekeeping = now + _housekeepingInterval;
                }
            }
            catch (ObjectDisposedException) when (_stopping)
            {
                return;
            }
            catch (SocketException) when (!_stopping)
            {
                // A socket-level error while polling: nothing was read; go on.
            }
            UdpTransportCounters.Add(ref _counters._receiveLoopAllocatedBytes, GC.GetAllocatedBytesForCurrentThread() - allocatedBefore);
        }
    }

    /// <summary>
    /// Reads one datagram, if one is waiting, and handles it. Never throws for the socket's sake:
    /// in the polled mode the socket does not block, and "nothing waiting" is an error code, not an
    /// exception. The sender's address is not read: datagrams are checked by ids, MAC and
    /// sequence number, not by where they claim to come from.
    /// </summary>
    private Received ReceiveOne(long now)
    {
        InboundBatch? pooled = _receiving ??= _pool.TryRent();
        // One byte more than accepted, so an oversized datagram shows (the OS truncates silently).
        Memory<byte> space = pooled is not null ? pooled.RentBuffer(_options.MaxDatagramSize + 1) : _overflowBuffer;
        int n = _socket.Receive(space.Span, SocketFlags.None, out SocketError error);
        if (error != SocketError.Success || n == SocketWaitSource.WakeLength)
        {
            // WouldBlock (nothing waiting), another error (e.g. Windows' report of an earlier
            // send's reset: nothing was read), or a wake: the batch stays for the next datagram.
            pooled?.Reset();
            if (error != SocketError.Success)
            {
                return Received.Nothing;
            }
            UdpTransportCounters.Increment(ref _counters._wakeDatagramsReceived);
            return Received.Wake;
        }
        InboundBatch batch = pooled ?? OverflowBatch(n, out space);
        DropReason reason;
        try
        {
            reason = Process(batch, space[..n], now);
        }
        catch (Exception e) when (e is not OutOfMemoryException && !(_inSink && _waitSource is not null))
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
        return Received.Datagram;
    }

    /// <summary>
    /// Every pooled batch waits at the node (it is behind): the datagram went to the overflow
    /// buffer and is copied into a one-off batch about its size, not another datagram-sized pooled one.
    /// </summary>
    private InboundBatch OverflowBatch(int length, out Memory<byte> space)
    {
        var batch = new InboundBatch();
        space = batch.RentBuffer(length);
        _overflowBuffer.AsSpan(0, length).CopyTo(space.Span);
        UdpTransportCounters.Increment(ref _counters._overflowBatches);
        return batch;
    }

    /// <summary>Checks and dispatches one datagram. Returns why it was dropped, or None.</summary>
    private DropReason Process(InboundBatch batch, Memory<byte> datagram, long now)
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
            DatagramKind.Chunk => AcceptChunk(peer, body.Span, now),
            _ => AcceptAck(peer, body.Span, now),
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
        if (_output.Sink is not ITransportSink sink)
        {
            return DropReason.InboxFull;
        }
        bool accepted;
        _inSink = true;
        try
        {
            accepted = sink.Deliver(batch);
        }
        finally
        {
            _inSink = false;
        }
        if (!accepted)
        {
            return DropReason.InboxFull;
        }
        UdpTransportCounters.Add(ref _counters._messagesReceived, count);
        return DropReason.None;
    }

    private DropReason AcceptChunk(Peer peer, ReadOnlySpan<byte> body, long now)
    {
        if (!ChunkHeader.TryRead(body, out ChunkHeader h))
        {
            return DropReason.BadChunk;
        }
        ChunkOutcome outcome = _reassembler.Accept(peer, in h, body[ChunkHeader.Size..], now, out Reassembly? r);
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

    private DropReason AcceptAck(Peer peer, ReadOnlySpan<byte> body, long now)
    {
        if (!ChunkAck.TryRead(body, out ChunkAck ack))
        {
            return DropReason.Malformed;
        }
        return _transfers.OnAck(peer.Id, in ack, now);
    }

    private void SendAck(Peer peer, in ChunkAck ack)
    {
        Span<byte> d = _ackDatagram;
        ack.Write(d[DatagramHeader.Size..]);
        int length = _receiveSealer.Seal(d, DatagramHeader.Size + ChunkAck.Size, DatagramKind.ChunkAck, peer.Id);
        _output.Send(peer, d[..length]);
    }

    /// <summary>Expires reassemblies and transfers, resends what is due. Returns how much it did.</summary>
    private int Housekeep(long now)
    {
        int work = _reassembler.Expire(now) + _transfers.Expire(now);
        return _output.ReleaseHeld() ? work + 1 : work;
    }
}
